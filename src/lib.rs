//! `kmdf_miniport.sys`: an NDIS 6.30 Ethernet miniport whose lower edge is WDM, driven through
//! KMDF I/O targets (the "Creating KMDF Miniport Drivers" pattern).
//!
//! Modules, each depending only on those below it (docs/architecture.md, "The driver's modules";
//! `tests/module_graph.rs` holds them to it):
//! - [`driver`]: `DriverEntry`, the characteristics NDIS gets, `MiniportDriverUnload`.
//! - `adapter`: one NDIS adapter: initialize, restart, pause, reset, PnP, shutdown, halt, and under
//!   it send, receive, OID requests, the link watch and the pause/reset rundown.
//! - `lower`: the WDM lower edge: the miniport WDFDEVICE's default I/O target and its
//!   pre-allocated requests (`lower::requests`).
//! - `nbl`: NET_BUFFER_LISTs the driver holds: the send queue, the receive pool.
//! - `sync`, `pool`, `work_item`, `oid_request`, `configuration`: safe owners of a spin lock, pool
//!   memory, an I/O work item, an OID request and the registry configuration handle.
//! - `version`: the versions the driver declares.
//! - `sys`: the OS facade, the only place that reaches Windows or the host kernel model.
//!
//! On Windows this is a `no_std` kernel image; on other hosts the same code links `std` only for the
//! facade's host backend, and `kernel-sim` stands where the kernel stands.
#![no_std]
#![deny(unsafe_code)]
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::todo,
    clippy::unimplemented,
    clippy::unreachable,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::undocumented_unsafe_blocks,
    clippy::missing_safety_doc
)]
// The x64 kernel stack is 24 KiB and callers have used part of it: no function may claim more than
// `stack-size-threshold` (clippy.toml, 2 KiB). Large objects live in pool memory, built in place.
#![deny(clippy::large_stack_frames)]

#[cfg(not(windows))]
extern crate std;

// The kernel has no unwinding: a panic is a bug check (wdk-panic's handler, KeBugCheckEx).
#[cfg(windows)]
extern crate wdk_panic;

#[cfg(windows)]
#[global_allocator]
static GLOBAL_ALLOCATOR: wdk_alloc::WdkAllocator = wdk_alloc::WdkAllocator;

mod adapter;
mod configuration;
pub mod driver;
mod lower;
mod nbl;
mod oid_request;
mod pool;
mod sync;
mod sys;
mod traffic;
mod version;
mod work_item;

pub use driver::driver_entry;

// Reads the adapter keeps below while it runs, how many of them it never lends to NDIS with held
// frames, and how many inline completions one call serves: for tests and the lab, which check
// that the receive path came back whole. Not an interface of the driver.
#[doc(hidden)]
pub use adapter::deferred::INLINE_READS_PER_CALL;
#[doc(hidden)]
pub use adapter::receive::RESERVED_READS;
#[doc(hidden)]
pub use lower::READ_REQUESTS;
