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
pub mod control;
#[cfg(windows)]
mod sys;
