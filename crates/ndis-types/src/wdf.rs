//! The KMDF values the facade passes. These are not layout mirrors: the Windows backend builds the
//! real `WDF_*` structures from them (wdk-sys has those), the model reads them as they are.

use crate::handles::WdfObject;

/// `WDF_DRIVER_INIT_FLAGS` (wdfdriver.h): `WdfDriverInitNonPnpDriver` = 1.
pub const WDF_DRIVER_INIT_NON_PNP_DRIVER: u32 = 0x0000_0001;
/// `WdfDriverInitNoDispatchOverride` = 2: the port driver (NDIS) keeps the IRP dispatch table.
pub const WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE: u32 = 0x0000_0002;

/// What `DriverEntry` puts in `WDF_DRIVER_CONFIG`. A miniport has no `EvtDriverDeviceAdd` and no
/// `EvtDriverUnload` (KMDF does not store either with NoDispatchOverride: Windows-Driver-Frameworks
/// `src/framework/shared/core/fxdriver.cpp:402-410`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WdfDriverConfig {
    pub driver_init_flags: u32,
    pub driver_pool_tag: u32,
}

/// `WDF_OBJECT_CONTEXT_TYPE_INFO` (wdfobject.h), what `WDF_DECLARE_CONTEXT_TYPE_WITH_NAME` emits:
/// `UniqueType` points at the structure itself, and that address is the type's identity.
/// x64/ARM64: `ULONG Size` @0, `PCHAR ContextName` @8, `size_t ContextSize` @16,
/// `PCWDF_OBJECT_CONTEXT_TYPE_INFO UniqueType` @24, `PFN_GET_UNIQUE_CONTEXT_TYPE` @32; 40 bytes.
#[repr(C)]
#[derive(Debug)]
pub struct WdfObjectContextTypeInfo {
    pub Size: u32,
    pub ContextName: *const u8,
    pub ContextSize: usize,
    pub UniqueType: *const WdfObjectContextTypeInfo,
    pub EvtDriverGetUniqueContextType: Option<unsafe extern "C" fn() -> *const WdfObjectContextTypeInfo>,
}

// SAFETY: the structure is immutable after its static initializer; the pointers it holds are to
// other statics (its name and itself).
#[allow(unsafe_code)]
unsafe impl Sync for WdfObjectContextTypeInfo {}

/// `WDF_OBJECT_ATTRIBUTES` as this driver fills it: `ExecutionLevel` and `SynchronizationScope`
/// are always `InheritFromParent` (what `WDF_OBJECT_ATTRIBUTES_INIT` sets), no cleanup or destroy
/// callbacks.
#[derive(Clone, Copy, Debug, Default)]
pub struct WdfObjectAttributes {
    pub parent: Option<WdfObject>,
    pub context_type: Option<&'static WdfObjectContextTypeInfo>,
}

/// `WDF_IO_TARGET_PURGE_IO_ACTION` (wdfiotarget.h, KMDF 1.11+).
pub type WdfIoTargetPurgeIoAction = i32;
pub const WDF_IO_TARGET_PURGE_IO_AND_WAIT: WdfIoTargetPurgeIoAction = 1;
pub const WDF_IO_TARGET_PURGE_IO: WdfIoTargetPurgeIoAction = 2;

/// `WDF_IO_TARGET_SENT_IO_ACTION` (wdfiotarget.h).
pub type WdfIoTargetSentIoAction = i32;
pub const WDF_IO_TARGET_CANCEL_SENT_IO: WdfIoTargetSentIoAction = 1;
pub const WDF_IO_TARGET_WAIT_FOR_SENT_IO_TO_COMPLETE: WdfIoTargetSentIoAction = 2;
pub const WDF_IO_TARGET_LEAVE_SENT_IO_PENDING: WdfIoTargetSentIoAction = 3;

/// `POOL_TYPE::NonPagedPoolNx`.
pub const NON_PAGED_POOL_NX: i32 = 512;

/// `WDF_REQUEST_SEND_OPTIONS` (wdfrequest.h: `ULONG Size; ULONG Flags; LONGLONG Timeout;`) as the
/// facade passes it; the Windows backend fills in `Size`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WdfRequestSendOptions {
    pub flags: u32,
    /// 100-nanosecond units; negative is relative (`WDF_REL_TIMEOUT_IN_MS`).
    pub timeout: i64,
}

/// `WDF_REQUEST_SEND_OPTIONS_FLAGS::WDF_REQUEST_SEND_OPTION_TIMEOUT`.
pub const WDF_REQUEST_SEND_OPTION_TIMEOUT: u32 = 0x0000_0001;

impl WdfRequestSendOptions {
    /// `WDF_REQUEST_SEND_OPTIONS_INIT` + `WDF_REQUEST_SEND_OPTIONS_SET_TIMEOUT(WDF_REL_TIMEOUT_IN_MS(ms))`:
    /// the framework cancels the request if it has not completed `ms` milliseconds after it was sent,
    /// and it completes with `STATUS_IO_TIMEOUT`.
    pub const fn relative_timeout_ms(ms: u32) -> Self {
        Self { flags: WDF_REQUEST_SEND_OPTION_TIMEOUT, timeout: -(ms as i64 * 10_000) }
    }
}

/// `WDF_REQUEST_REUSE_NO_FLAGS`.
pub const WDF_REQUEST_REUSE_NO_FLAGS: u32 = 0;

/// `EX_POOL_PRIORITY::NormalPoolPriority`.
pub const NORMAL_POOL_PRIORITY: i32 = 16;

/// `EVT_WDF_REQUEST_COMPLETION_ROUTINE`:
/// `VOID (WDFREQUEST, WDFIOTARGET, PWDF_REQUEST_COMPLETION_PARAMS, WDFCONTEXT)`.
/// The driver reads the outcome with `WdfRequestGetStatus`/`WdfRequestGetInformation`, so the
/// parameters structure stays opaque here.
pub type EvtWdfRequestCompletionRoutine =
    unsafe extern "C" fn(crate::WdfRequest, crate::WdfIoTarget, *mut core::ffi::c_void, crate::WdfContext);
