//! What the KMDF headers provide as `FORCEINLINE` functions and macros, which wdk-sys 0.5.2 does not
//! bind (bindgen 0.73.2 emits inline functions only with `generate_inline_functions`,
//! `options/mod.rs:1503`, which wdk-build 0.6.0 `src/bindgen.rs` does not set, and it never
//! translates function-like macros): the `*_INIT` initializers, `WDF_DECLARE_CONTEXT_TYPE_WITH_NAME`,
//! `DECLARE_CONST_UNICODE_STRING`; plus the spin lock guard and the completion list the I/O paths
//! share.
//!
//! Each initializer is written from the header text it stands for (cited on it), minding one trap:
//! `Default::default()` gives 0 where C's `_INIT` gives `WdfUseDefault` (2) or 0xFFFFFFFF, so those
//! fields are always set by hand. `WDF_STRUCTURE_SIZE(T)` is `sizeof(T)` when the driver is not newer
//! than the framework (h:wdffuncenum.h:177-185); the package pins KMDF 1.31.

use core::mem::size_of;
use core::ptr;

use wdk_sys::{
    _WDF_EXECUTION_LEVEL, _WDF_IO_QUEUE_DISPATCH_TYPE, _WDF_SYNCHRONIZATION_SCOPE, _WDF_TRI_STATE, NTSTATUS,
    PCWDF_OBJECT_CONTEXT_TYPE_INFO, PFN_WDF_DPC, PFN_WDF_TIMER, PVOID, ULONG, ULONG_PTR, UNICODE_STRING,
    USHORT, WDF_DEVICE_PNP_CAPABILITIES, WDF_DPC_CONFIG, WDF_IO_QUEUE_CONFIG, WDF_IO_QUEUE_DISPATCH_TYPE,
    WDF_OBJECT_ATTRIBUTES, WDF_OBJECT_CONTEXT_TYPE_INFO, WDF_PNPPOWER_EVENT_CALLBACKS, WDF_TIMER_CONFIG,
    WDFOBJECT, WDFREQUEST, WDFSPINLOCK, call_unsafe_wdf_function_binding,
};

/// `WDF_STRUCTURE_SIZE(T)` = `sizeof(T)` (h:wdffuncenum.h:177-185). Every WDF structure is far below
/// 4 GiB, so the cast is exact.
pub(super) const fn wdf_size<T>() -> ULONG {
    size_of::<T>() as ULONG
}

/// `WDF_OBJECT_ATTRIBUTES_INIT`: zero, `Size`, `ExecutionLevel` and `SynchronizationScope`
/// `InheritFromParent` (h:wdfobject.h:145-155; zero would be `...Invalid`).
pub(super) fn object_attributes() -> WDF_OBJECT_ATTRIBUTES {
    WDF_OBJECT_ATTRIBUTES {
        Size: wdf_size::<WDF_OBJECT_ATTRIBUTES>(),
        ExecutionLevel: _WDF_EXECUTION_LEVEL::WdfExecutionLevelInheritFromParent,
        SynchronizationScope: _WDF_SYNCHRONIZATION_SCOPE::WdfSynchronizationScopeInheritFromParent,
        ..Default::default()
    }
}

/// `WDF_OBJECT_ATTRIBUTES_INIT_CONTEXT_TYPE(&a, T)`: the above plus
/// `ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(T)->UniqueType` (h:wdfobject.h:157-172).
pub(super) fn object_attributes_with_context(info: &'static ContextTypeInfo) -> WDF_OBJECT_ATTRIBUTES {
    WDF_OBJECT_ATTRIBUTES { ContextTypeInfo: info.unique_type(), ..object_attributes() }
}

/// `WDF_OBJECT_CONTEXT_TYPE_INFO` as a `static`: what `WDF_DECLARE_CONTEXT_TYPE_WITH_NAME` emits
/// (h:wdfobject.h:259-357; the Rust pattern of Windows-rust-driver-samples `wdf_object_context.rs`).
#[repr(transparent)]
pub(super) struct ContextTypeInfo(pub(super) WDF_OBJECT_CONTEXT_TYPE_INFO);

// SAFETY: the structure is never written after its static initializer; its pointers are to statics
// (the name literal and the structure itself), so sharing it between threads is sound.
unsafe impl Sync for ContextTypeInfo {}

impl ContextTypeInfo {
    /// `WDF_GET_CONTEXT_TYPE_INFO(T)->UniqueType`: the address that identifies the type.
    pub(super) fn unique_type(&'static self) -> PCWDF_OBJECT_CONTEXT_TYPE_INFO {
        self.0.UniqueType
    }
}

/// Declares `static $info: ContextTypeInfo` for context type `$ty` named `$name` (a C string), in
/// `.data` as the C macro's `__declspec(allocate(".data"))` places it (so identical infos are never
/// folded into one address), with `UniqueType` pointing at itself.
macro_rules! declare_context_type {
    ($info:ident, $ty:ty, $name:literal) => {
        #[unsafe(link_section = ".data")]
        pub(super) static $info: $crate::sys::windows::wdf::ContextTypeInfo =
            $crate::sys::windows::wdf::ContextTypeInfo(wdk_sys::WDF_OBJECT_CONTEXT_TYPE_INFO {
                Size: $crate::sys::windows::wdf::wdf_size::<wdk_sys::WDF_OBJECT_CONTEXT_TYPE_INFO>(),
                ContextName: $name.as_ptr(),
                ContextSize: core::mem::size_of::<$ty>(),
                UniqueType: &$info.0,
                EvtDriverGetUniqueContextType: None,
            });
    };
}
pub(super) use declare_context_type;

/// `WdfObjectGetTypedContext(handle, T)` = `WdfObjectGetTypedContextWorker(handle, info->UniqueType)`
/// (h:wdfobject.h:542-570, the casting function of `WDF_DECLARE_CONTEXT_TYPE_WITH_NAME`). NULL if
/// the object has no context of that type.
///
/// # Safety
/// `handle` is a live framework object.
pub(super) unsafe fn typed_context<T>(handle: WDFOBJECT, info: &'static ContextTypeInfo) -> *mut T {
    // SAFETY: the caller guarantees a live handle; the type info is a static of the right layout.
    let context: PVOID = unsafe {
        call_unsafe_wdf_function_binding!(WdfObjectGetTypedContextWorker, handle, info.unique_type())
    };
    context.cast()
}

/// `WDF_IO_QUEUE_CONFIG_INIT(&c, DispatchType)` (h:wdfio.h:424-439): zero, `Size`,
/// `PowerManaged = WdfUseDefault`, `DispatchType`, and for a parallel queue
/// `Settings.Parallel.NumberOfPresentedRequests = (ULONG)-1` (zero would present nothing,
/// WDF-SRC src/framework/shared/irphandlers/io/fxioqueue.cpp:356-375 makes it the cap of presented
/// requests, and the dispatcher holds a request back while that many are presented, :3075-3082).
pub(super) fn io_queue_config(dispatch_type: WDF_IO_QUEUE_DISPATCH_TYPE) -> WDF_IO_QUEUE_CONFIG {
    let mut config = WDF_IO_QUEUE_CONFIG {
        Size: wdf_size::<WDF_IO_QUEUE_CONFIG>(),
        PowerManaged: _WDF_TRI_STATE::WdfUseDefault,
        DispatchType: dispatch_type,
        ..Default::default()
    };
    if dispatch_type == _WDF_IO_QUEUE_DISPATCH_TYPE::WdfIoQueueDispatchParallel {
        // The field path `Settings.Parallel.NumberOfPresentedRequests` is the header's; the bindgen
        // union behind `Settings` is confirmed by wincheck (docs/wdk-items.md, "vwire-bus").
        config.Settings.Parallel.NumberOfPresentedRequests = ULONG::MAX;
    }
    config
}

/// `WDF_IO_QUEUE_CONFIG_INIT_DEFAULT_QUEUE(&c, DispatchType)` (h:wdfio.h:441-457): the above plus
/// `DefaultQueue = TRUE`.
pub(super) fn io_queue_config_default_queue(
    dispatch_type: WDF_IO_QUEUE_DISPATCH_TYPE,
) -> WDF_IO_QUEUE_CONFIG {
    WDF_IO_QUEUE_CONFIG { DefaultQueue: u8::from(true), ..io_queue_config(dispatch_type) }
}

/// `WDF_DEVICE_PNP_CAPABILITIES_INIT(&c)` (h:wdfdevice.h:1591-1613): `Size`, all nine tri-states
/// `WdfUseDefault` (keep what the incoming IRP_MN_QUERY_CAPABILITIES had), `Address` and `UINumber`
/// 0xFFFFFFFF ("not set").
pub(super) fn device_pnp_capabilities() -> WDF_DEVICE_PNP_CAPABILITIES {
    WDF_DEVICE_PNP_CAPABILITIES {
        Size: wdf_size::<WDF_DEVICE_PNP_CAPABILITIES>(),
        LockSupported: _WDF_TRI_STATE::WdfUseDefault,
        EjectSupported: _WDF_TRI_STATE::WdfUseDefault,
        Removable: _WDF_TRI_STATE::WdfUseDefault,
        DockDevice: _WDF_TRI_STATE::WdfUseDefault,
        UniqueID: _WDF_TRI_STATE::WdfUseDefault,
        SilentInstall: _WDF_TRI_STATE::WdfUseDefault,
        SurpriseRemovalOK: _WDF_TRI_STATE::WdfUseDefault,
        HardwareDisabled: _WDF_TRI_STATE::WdfUseDefault,
        NoDisplayInUI: _WDF_TRI_STATE::WdfUseDefault,
        Address: ULONG::MAX,
        UINumber: ULONG::MAX,
    }
}

/// `WDF_TIMER_CONFIG_INIT(&c, EvtTimerFunc)` (h:wdftimer.h:105-118): zero, `Size`, `EvtTimerFunc`,
/// `Period = 0`, `AutomaticSerialization = TRUE`, `TolerableDelay = 0`.
pub(super) fn timer_config(evt_timer_func: PFN_WDF_TIMER) -> WDF_TIMER_CONFIG {
    WDF_TIMER_CONFIG {
        Size: wdf_size::<WDF_TIMER_CONFIG>(),
        EvtTimerFunc: evt_timer_func,
        Period: 0,
        AutomaticSerialization: u8::from(true),
        TolerableDelay: 0,
        ..Default::default()
    }
}

/// `WDF_DPC_CONFIG_INIT(&c, EvtDpcFunc)` (h:wdfdpc.h:81-93): zero, `Size`, `EvtDpcFunc`,
/// `AutomaticSerialization = TRUE`.
pub(super) fn dpc_config(evt_dpc_func: PFN_WDF_DPC) -> WDF_DPC_CONFIG {
    WDF_DPC_CONFIG {
        Size: wdf_size::<WDF_DPC_CONFIG>(),
        EvtDpcFunc: evt_dpc_func,
        AutomaticSerialization: u8::from(true),
    }
}

/// `WDF_PNPPOWER_EVENT_CALLBACKS_INIT(&c)` (KMDF 1.31 wdfdevice.h:1257-1265): zero (every callback NULL) and
/// `Size`.
pub(super) fn pnp_power_event_callbacks() -> WDF_PNPPOWER_EVENT_CALLBACKS {
    WDF_PNPPOWER_EVENT_CALLBACKS { Size: wdf_size::<WDF_PNPPOWER_EVENT_CALLBACKS>(), ..Default::default() }
}

/// `WDF_REL_TIMEOUT_IN_MS`-style relative due time (h:wdfcore.h:57-85): negative, in 100 ns units.
/// `ticks` is already in 100 ns units (the unit of `KeQueryUnbiasedInterruptTime`); at least 1.
pub(super) fn relative_due_time(ticks: u64) -> i64 {
    i64::try_from(ticks.max(1)).map_or(i64::MIN, |t| t.saturating_neg())
}

// ---------------------------------------------------------------------------------------------
// Strings

/// A fixed-capacity UTF-16 string built from ASCII, for the `PCUNICODE_STRING`s the PDO
/// initialization takes (the framework copies them, ddi "WdfPdoInitAssignDeviceID function
/// (wdfpdo.h)", so a stack buffer that
/// outlives the call is enough). Keeps a terminating NUL, like `DECLARE_CONST_UNICODE_STRING`.
pub(super) struct Utf16Text<const N: usize> {
    units: [u16; N],
    len: usize,
}

impl<const N: usize> Utf16Text<N> {
    pub(super) const fn new() -> Self {
        Self { units: [0; N], len: 0 }
    }

    /// Appends the bytes of `text` (ASCII; other bytes are appended as their value, never produced
    /// by this driver). Stops one unit short of the capacity, which keeps the NUL.
    pub(super) fn push_ascii(&mut self, text: &str) -> &mut Self {
        for byte in text.bytes() {
            let Some(slot) = self.units.get_mut(self.len) else { break };
            if self.len.saturating_add(1) >= N {
                break;
            }
            *slot = u16::from(byte);
            self.len = self.len.saturating_add(1);
        }
        self
    }

    /// Appends `value` in decimal.
    pub(super) fn push_decimal(&mut self, value: u32) -> &mut Self {
        let mut digits = [0u8; 10];
        let mut count = 0usize;
        let mut rest = value;
        for slot in digits.iter_mut().rev() {
            // `rest % 10` is below 10, so the digit is in b'0'..=b'9'.
            *slot = b'0'.wrapping_add((rest % 10) as u8);
            count = count.saturating_add(1);
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let start = digits.len().saturating_sub(count);
        if let Some(text) = digits.get(start..).and_then(|d| core::str::from_utf8(d).ok()) {
            self.push_ascii(text);
        }
        self
    }

    /// A `UNICODE_STRING` over the text (`Length` without the NUL, `MaximumLength` with it, as
    /// `RtlInitUnicodeString` and `DECLARE_CONST_UNICODE_STRING` set them; km:wdm.h:13097-13112). It
    /// borrows `self`: use it only while `self` lives.
    pub(super) fn unicode_string(&self) -> UNICODE_STRING {
        let bytes = |units: usize| USHORT::try_from(units.saturating_mul(2)).unwrap_or(USHORT::MAX & !1);
        UNICODE_STRING {
            Length: bytes(self.len),
            MaximumLength: bytes(self.len.saturating_add(1)),
            Buffer: self.units.as_ptr().cast_mut(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Locking and completion

/// `WdfSpinLockAcquire` .. `WdfSpinLockRelease` (h:wdfsync.h:249-309) as a guard: acquiring raises to
/// DISPATCH_LEVEL; dropping releases and restores the IRQL.
pub(super) struct SpinLockGuard {
    lock: WDFSPINLOCK,
}

impl SpinLockGuard {
    /// # Safety
    /// `lock` is a live WDFSPINLOCK, the caller runs at <= DISPATCH_LEVEL and does not hold it.
    pub(super) unsafe fn acquire(lock: WDFSPINLOCK) -> Self {
        // SAFETY: guaranteed by the caller.
        unsafe { call_unsafe_wdf_function_binding!(WdfSpinLockAcquire, lock) };
        Self { lock }
    }
}

impl Drop for SpinLockGuard {
    fn drop(&mut self) {
        // SAFETY: the lock was acquired by `acquire` on this thread and is still held.
        unsafe { call_unsafe_wdf_function_binding!(WdfSpinLockRelease, self.lock) };
    }
}

/// Requests to complete once the lock is released: a completion can run the miniport's completion
/// routine synchronously, which can send the next read straight back into this driver, which takes
/// the lock (`crate::bus` module doc, "Effects instead of calls").
pub(super) struct Completions {
    items: [(WDFREQUEST, NTSTATUS, usize); Self::CAPACITY],
    len: usize,
}

impl Completions {
    pub(super) const CAPACITY: usize = 16;

    pub(super) const fn new() -> Self {
        Self { items: [(ptr::null_mut(), 0, 0); Self::CAPACITY], len: 0 }
    }

    pub(super) fn is_full(&self) -> bool {
        self.len >= Self::CAPACITY
    }

    /// Records a completion; `false` (nothing recorded) when full, so the caller checks
    /// [`Self::is_full`] before taking a request it must complete.
    #[must_use]
    pub(super) fn push(&mut self, request: WDFREQUEST, status: NTSTATUS, information: usize) -> bool {
        let Some(slot) = self.items.get_mut(self.len) else { return false };
        *slot = (request, status, information);
        self.len = self.len.saturating_add(1);
        true
    }

    /// `WdfRequestCompleteWithInformation` for every recorded request (h:wdfrequest.h:1063-1090).
    /// Call without the spin lock held.
    pub(super) fn complete_all(&mut self) {
        for &(request, status, information) in self.items.iter().take(self.len) {
            complete(request, status, information);
        }
        self.len = 0;
    }
}

/// `WdfRequestCompleteWithInformation(Request, Status, Information)`: the request handle is invalid
/// afterwards.
pub(super) fn complete(request: WDFREQUEST, status: NTSTATUS, information: usize) {
    // SAFETY: every request passed here is one the driver owns (presented to it, or retrieved from
    // one of its manual queues) and completes exactly once; <= DISPATCH_LEVEL. `ULONG_PTR` is
    // pointer-sized on x64 and ARM64, so the conversion from usize is exact.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRequestCompleteWithInformation,
            request,
            status,
            information as ULONG_PTR
        )
    }
}
