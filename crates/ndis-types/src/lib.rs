//! NDIS 6.30 and KMDF types for a KMDF-lower-edge miniport, written by hand.
//!
//! `wdk-sys` binds neither `ndis.h` nor `wdfminiport.h`, and it does not build off Windows. These
//! `#[repr(C)]` mirrors are what the driver reads and writes on every platform. On Windows the driver's
//! build generates the real structures with bindgen and asserts, field by field, that these mirrors
//! match them; on every host `tests/abi.rs` asserts their x64 layout against figures read from the
//! WDK and SDK headers (each cited there by file and line).
//!
//! The crate also carries the interface of the host backend ([`host`]): the one seam through which the
//! driver's `sys` facade reaches `kernel-sim` when it is not running on Windows.
#![no_std]
#![deny(unsafe_code)]
#![allow(non_camel_case_types, non_snake_case)]

#[cfg(not(windows))]
extern crate std;

pub mod config;
pub mod handles;
pub mod miniport;
pub mod nbl;
pub mod object;
pub mod oid;
pub mod status;
pub mod wdf;

#[cfg(not(windows))]
pub mod host;

pub use handles::*;
pub use object::*;
pub use status::*;

/// `KIRQL`.
pub type Kirql = u8;
/// `PASSIVE_LEVEL`.
pub const PASSIVE_LEVEL: Kirql = 0;
/// `APC_LEVEL`.
pub const APC_LEVEL: Kirql = 1;
/// `DISPATCH_LEVEL`.
pub const DISPATCH_LEVEL: Kirql = 2;
/// `HIGH_LEVEL` (x64 and ARM64).
pub const HIGH_LEVEL: Kirql = 15;

/// `BOOLEAN`: a byte, never a Rust `bool` (NDIS may write any non-zero value).
pub type Boolean = u8;
pub const TRUE: Boolean = 1;
pub const FALSE: Boolean = 0;
