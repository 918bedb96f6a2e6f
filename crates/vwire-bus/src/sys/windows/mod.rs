//! `vwire_bus.sys`: the KMDF bus driver below the NDIS miniport (Windows only).
//!
//! One module per framework object, as in the Windows-rust-driver-samples echo driver:
//! - [`driver`]: `DriverEntry` and `EvtDriverDeviceAdd`.
//! - [`fdo`]: the root-enumerated bus FDO: the hub, its lock, the port table, the child list, the
//!   administrator's control interface, the serving DPC, the delivery timer.
//! - [`pdo`]: one child PDO per port (`EvtChildListCreateDevice`), its IDs, capabilities, queues, and
//!   the cleanup that frees the hub port when the PDO is really gone.
//! - [`io`]: the PDO's reads, writes and internal IOCTLs, served from the hub.
//! - [`wdf`]: the `FORCEINLINE` KMDF helpers wdk-sys does not bind, the lock guard, completions.
//!
//! Every WDK item used here and where its spelling was read: `docs/wdk-items.md`, "vwire-bus".
//! None of this compiles off Windows (wdk-build needs the WDK, wdk-rs-facts.md §0); the logic it
//! drives (`crate::hub`, `crate::control`) is portable and tested on every host.

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

mod driver;
mod fdo;
mod io;
mod pdo;
mod wdf;

use wdk_sys::{
    NTSTATUS, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_BUFFER_SIZE,
    STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER, STATUS_IO_DEVICE_ERROR, STATUS_NO_SUCH_DEVICE,
    STATUS_OBJECT_NAME_COLLISION, STATUS_QUOTA_EXCEEDED, STATUS_SUCCESS, ntddk,
};

use crate::control::AdminError;
use crate::hub::{HubError, IoctlStatus};

// The kernel has no unwinding: a panic is a bug check (wdk-panic 0.5.0's handler, KeBugCheckEx); all
// heap memory (the hub's tables and port queues) is nonpaged pool (wdk-alloc 0.4.2, ExAllocatePool2).
// Not in test builds, where std provides both.
#[cfg(not(test))]
extern crate wdk_panic;

#[cfg(not(test))]
#[global_allocator]
static GLOBAL_ALLOCATOR: wdk_alloc::WdkAllocator = wdk_alloc::WdkAllocator;

/// The hub's clock: `KeQueryUnbiasedInterruptTime()`, 100 ns units since boot, not counting sleep,
/// callable at any IRQL (an `NTKERNELAPI` export of ntoskrnl; wdk-sys binds it in `ntddk`). The hub
/// takes time as an argument in "the caller's ticks" (hub/mod.rs), so the fault delay is in 100 ns
/// units too.
fn now() -> u64 {
    // SAFETY: no preconditions; any IRQL.
    unsafe { ntddk::KeQueryUnbiasedInterruptTime() }
}

/// 100 ns ticks per microsecond (the admin interface's delay unit).
const TICKS_PER_MICROSECOND: u64 = 10;

/// How a hub failure reaches the requester (converted once, here, at the edge).
fn hub_status(error: HubError) -> NTSTATUS {
    match error {
        HubError::NoSuchPort => STATUS_NO_SUCH_DEVICE,
        HubError::TooManyPorts => STATUS_QUOTA_EXCEEDED,
        HubError::PortExists => STATUS_OBJECT_NAME_COLLISION,
        HubError::InvalidMac | HubError::Batch(_) | HubError::Control(_) => STATUS_INVALID_PARAMETER,
        HubError::OutOfMemory => STATUS_INSUFFICIENT_RESOURCES,
        HubError::BatchTooLarge => STATUS_INVALID_BUFFER_SIZE,
        // The injected "hardware" errors.
        HubError::WriteFailed | HubError::ReadFailed => STATUS_IO_DEVICE_ERROR,
        HubError::BufferTooSmall => STATUS_BUFFER_TOO_SMALL,
    }
}

/// The NTSTATUS each [`IoctlStatus`] is named after.
fn ioctl_status(status: IoctlStatus) -> NTSTATUS {
    match status {
        IoctlStatus::Success => STATUS_SUCCESS,
        IoctlStatus::InvalidParameter => STATUS_INVALID_PARAMETER,
        IoctlStatus::BufferTooSmall => STATUS_BUFFER_TOO_SMALL,
        IoctlStatus::InvalidDeviceRequest => STATUS_INVALID_DEVICE_REQUEST,
        IoctlStatus::NoSuchDevice => STATUS_NO_SUCH_DEVICE,
    }
}

/// How a malformed administrator request is failed.
fn admin_status(error: AdminError) -> NTSTATUS {
    match error {
        AdminError::UnknownIoctl { .. } => STATUS_INVALID_DEVICE_REQUEST,
        _ => STATUS_INVALID_PARAMETER,
    }
}
