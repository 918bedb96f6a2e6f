//! `vwire_bus.sys`: the KMDF bus driver below the NDIS miniport (Windows only).
//!
//! One module per framework object, as in the Windows-rust-driver-samples echo driver:
//! - [`driver`]: `DriverEntry` and `EvtDriverDeviceAdd`.
//! - [`fdo`]: the root-enumerated bus FDO: the portable `crate::bus::BusState` (hub, port table) under
//!   its lock, the child list, the administrator's control interface, the serving DPC, the delivery
//!   timer.
//! - [`pdo`]: one child PDO per port (`EvtChildListCreateDevice`), its IDs, capabilities, queues, and
//!   the cleanup that frees the hub port when the PDO is really gone.
//! - [`io`]: the PDO's reads, writes and internal IOCTLs, served from the hub.
//! - [`wdf`]: the `FORCEINLINE` KMDF helpers wdk-sys does not bind, the lock guard, completions.
//!
//! Every WDK item used here and where its spelling was read: `docs/wdk-items.md`, "vwire-bus".
//! None of this compiles off Windows (wdk-build needs the WDK: wdk-build 0.6.0 depends on the
//! `windows` crate unconditionally, whose `windows-future` does not build on Linux); the logic it
//! drives (`crate::bus`, `crate::hub`, `crate::control`) is portable and tested on every host.

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
    STATUS_BUFFER_TOO_SMALL, STATUS_CANCELLED, STATUS_DEVICE_NOT_READY, STATUS_DEVICE_POWERED_OFF,
    STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_DEVICE_REQUEST,
    STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_IO_DEVICE_ERROR, STATUS_NO_SUCH_DEVICE,
    STATUS_OBJECT_NAME_COLLISION, STATUS_QUOTA_EXCEEDED, STATUS_SUCCESS, ntddk,
};

use crate::bus::BusStatus;

// The portable statuses are the NTSTATUS values wdk-sys defines under the same names.
const _: () = {
    assert!(BusStatus::Success.ntstatus() == STATUS_SUCCESS);
    assert!(BusStatus::InvalidParameter.ntstatus() == STATUS_INVALID_PARAMETER);
    assert!(BusStatus::NoSuchDevice.ntstatus() == STATUS_NO_SUCH_DEVICE);
    assert!(BusStatus::InvalidDeviceRequest.ntstatus() == STATUS_INVALID_DEVICE_REQUEST);
    assert!(BusStatus::BufferTooSmall.ntstatus() == STATUS_BUFFER_TOO_SMALL);
    assert!(BusStatus::ObjectNameCollision.ntstatus() == STATUS_OBJECT_NAME_COLLISION);
    assert!(BusStatus::QuotaExceeded.ntstatus() == STATUS_QUOTA_EXCEEDED);
    assert!(BusStatus::InsufficientResources.ntstatus() == STATUS_INSUFFICIENT_RESOURCES);
    assert!(BusStatus::DeviceNotReady.ntstatus() == STATUS_DEVICE_NOT_READY);
    assert!(BusStatus::Cancelled.ntstatus() == STATUS_CANCELLED);
    assert!(BusStatus::InvalidDeviceState.ntstatus() == STATUS_INVALID_DEVICE_STATE);
    assert!(BusStatus::IoDeviceError.ntstatus() == STATUS_IO_DEVICE_ERROR);
    assert!(BusStatus::InvalidBufferSize.ntstatus() == STATUS_INVALID_BUFFER_SIZE);
    assert!(BusStatus::DevicePoweredOff.ntstatus() == STATUS_DEVICE_POWERED_OFF);
};

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
/// units too (`crate::bus::TICKS_PER_MICROSECOND`).
fn now() -> u64 {
    // SAFETY: no preconditions; any IRQL.
    unsafe { ntddk::KeQueryUnbiasedInterruptTime() }
}
