//! vwire-bus: the virtual Ethernet hub between vwire ports, and (on Windows) the KMDF bus driver that
//! enumerates one child PDO per port and serves each miniport's reads, writes and internal IOCTLs from
//! the hub.
//!
//! The [`hub`] is portable `no_std` code: the bus driver and the host model (`kernel-sim`) run the very
//! same switching, queueing, fault injection and IOCTL dispatch.

#![no_std]

extern crate alloc;

pub mod hub;

pub use hub::*;
/// The administrator's control interface (defined with the protocol, so tools need not link the bus).
pub use vwire_proto::admin as control;

// The host build of this crate's cdylib target needs a panic handler; std provides it. The Windows
// image gets wdk-panic's from `sys/windows`.
#[cfg(not(windows))]
extern crate std;
#[cfg(windows)]
mod sys;
