//! The portable part of `vwire-ctl`: the frame text format of `inject` and `capture --read`
//! ([`hex`]), the speed text of `speed` ([`speed`]) and the smoke test's exchange ([`smoke`]), over any [`smoke::Wire`] (the bus's admin
//! IOCTLs on Windows, the host model's bus in miniport-lab's tests). Everything here runs and is
//! tested on every host; `main.rs` adds the command line and the Windows device calls.

pub mod hex;
pub mod smoke;
pub mod speed;
