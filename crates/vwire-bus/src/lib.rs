//! vwire-bus: the virtual Ethernet hub between vwire ports, and (on Windows) the KMDF bus driver that
//! enumerates one child PDO per port and serves each miniport's reads, writes and internal IOCTLs from
//! the hub.
//!
//! The [`hub`] is portable `no_std` code: the bus driver and the host model (`kernel-sim`) run the very
//! same switching, queueing, fault injection and IOCTL dispatch. The [`bus`] module, portable too, is
//! the bus driver's own bookkeeping over its hub: the port table, each child device's state and the
//! administrator's requests; the Windows driver only turns its decisions into KMDF calls.

#![no_std]
// The bus runs on the kernel stack (24 KiB on x64, KERNEL_STACK_SIZE 0x6000 in km/ntddk.h), under the
// miniport's, NDIS's and TCP/IP's frames: a frame above `stack-size-threshold` (clippy.toml, 2048 bytes)
// is an error. Large objects are built in place in their pool or WDF context memory instead.
#![deny(clippy::large_stack_frames)]

extern crate alloc;

pub mod bus;
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
