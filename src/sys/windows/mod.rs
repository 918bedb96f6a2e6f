//! Windows backend of the OS facade: one function per OS call, each a direct call into KMDF (through
//! wdk-sys), NDIS (through the bindgen output of `ndis.h`/`wdfminiport.h`, [`ndis`]) or ntoskrnl.
//!
//! Rules (docs/architecture.md, "The OS facade"): the signatures are exactly those of
//! `src/sys/host/mod.rs`; nothing here but conversion between the facade's Rust types and the C
//! types. Handles are `#[repr(transparent)]` over `*mut c_void`, so a handle converts with a pointer
//! cast; the ndis-types structure mirrors convert with a pointer cast whose soundness `layout.rs`
//! proves at compile time. Statuses cross the same way: the bindings give `NTSTATUS` and
//! `NDIS_STATUS` as `i32`, which become [`NtStatus`]/[`NdisStatus`] with `from_raw` and go back with
//! `to_raw` here and nowhere else in the driver (`#[repr(transparent)]`, same layout: `layout.rs`).
//!
//! Every item used here, what it expands to and where that is written down: `docs/wdk-items.md`.
//! Spellings: wdk-macros 0.5.2 `call_unsafe_wdf_function_binding` and the wdk-sys 0.5.2 bindings;
//! NDIS prototypes: W:km/ndis.h, W:km/ndis/nblapi.h, W:km/ndis/mdlapi.h; the spin-lock macros:
//! W:km/ndis.h:2311-2337.
//!
//! Calling conventions: every routine called here is `extern "C"` in the bindings (`NTAPI`,
//! `FASTCALL` and `NDIS_EXPORTED_ROUTINE` carry no convention on x64 and ARM64; `EXPORT` is empty
//! for drivers, W:km/ndis.h:1014-1016, and `NDIS_EXPORTED_ROUTINE` is only `dllimport`,
//! S:shared/ndis/types.h:15-17).

mod layout;
pub(crate) mod ndis;

use core::ffi::c_void;
use core::mem::{size_of, transmute};
use core::ptr;

use ndis_types::config::{
    NdisConfigurationObject, NdisConfigurationParameter, NdisErrorCode, NdisParameterType, UnicodeString,
};
use ndis_types::miniport::{NdisIoWorkItemRoutine, NdisMiniportDriverCharacteristics};
use ndis_types::nbl::{MDL_PARTIAL_HAS_BEEN_MAPPED, Mdl, NetBufferList, NetBufferListPoolParameters};
use ndis_types::oid::NdisStatusIndication;
use ndis_types::wdf::{
    EvtWdfRequestCompletionRoutine, WdfDriverConfig, WdfIoTargetPurgeIoAction, WdfIoTargetSentIoAction,
    WdfObjectAttributes, WdfObjectContextTypeInfo, WdfRequestSendOptions,
};
use ndis_types::{
    Boolean, DeviceObject, DriverObject, Kirql, NDIS_STATUS_FAILURE, NDIS_STATUS_SUCCESS, NdisHandle,
    NdisObjectHeader, NdisStatus, NtStatus, RegistryPath, WdfContext, WdfDevice, WdfDriver, WdfIoTarget,
    WdfMemory, WdfObject, WdfRequest,
};
use wdk_sys::{
    _MEMORY_CACHING_TYPE, _MODE, _WDF_EXECUTION_LEVEL, _WDF_MEMORY_DESCRIPTOR_TYPE,
    _WDF_SYNCHRONIZATION_SCOPE, _WDFFUNCENUM, DEVICE_OBJECT, DRIVER_OBJECT, KPROCESSOR_MODE, KSPIN_LOCK, MDL,
    NT_SUCCESS, NTSTATUS, PDEVICE_OBJECT, PFN_WDF_REQUEST_COMPLETION_ROUTINE, PVOID, PWDF_MEMORY_DESCRIPTOR,
    PWDF_REQUEST_SEND_OPTIONS, SIZE_T, ULONG, ULONG_PTR, UNICODE_STRING, WDF_DRIVER_CONFIG,
    WDF_MEMORY_DESCRIPTOR, WDF_NO_OBJECT_ATTRIBUTES, WDF_NO_SEND_OPTIONS, WDF_OBJECT_ATTRIBUTES,
    WDF_REQUEST_REUSE_PARAMS, WDF_REQUEST_SEND_OPTIONS, WDFDEVICE, WDFDRIVER, WDFFUNC, WDFMEMORY,
    WDFMEMORY_OFFSET, WDFREQUEST, call_unsafe_wdf_function_binding, ntddk,
};

/// The three device objects `NdisMGetDeviceProperty` returns (the resource lists are not asked
/// for). The same shape as the host backend's `ndis_types::host::DeviceProperty`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceProperty {
    pub physical_device_object: DeviceObject,
    pub functional_device_object: DeviceObject,
    pub next_device_object: DeviceObject,
}

// `sizeof` of the WDF structures built below, as the C `*_INIT` helpers store it. `WDF_STRUCTURE_SIZE`
// is plain `sizeof` when the driver is not newer than the framework it runs on (WDF-SRC wdffuncenum.h,
// `WDF_STRUCTURE_SIZE`); the package pins KMDF 1.31, which Windows 10 22H2 ships.
const WDF_DRIVER_CONFIG_SIZE: ULONG = size_of::<WDF_DRIVER_CONFIG>() as ULONG;
const WDF_OBJECT_ATTRIBUTES_SIZE: ULONG = size_of::<WDF_OBJECT_ATTRIBUTES>() as ULONG;
const WDF_REQUEST_REUSE_PARAMS_SIZE: ULONG = size_of::<WDF_REQUEST_REUSE_PARAMS>() as ULONG;
const WDF_REQUEST_SEND_OPTIONS_SIZE: ULONG = size_of::<WDF_REQUEST_SEND_OPTIONS>() as ULONG;
const _: () = assert!(size_of::<WDF_OBJECT_ATTRIBUTES>() <= ULONG::MAX as usize);

// `ULONG_PTR`, `SIZE_T` and `KSPIN_LOCK` are pointer-sized on x64 and ARM64 (`KSPIN_LOCK` is
// `ULONG_PTR`, W:km/wdm.h:295; the assertions below check all three), so
// the integer and pointer casts between them and `usize` below are lossless.
const _: () = assert!(size_of::<ULONG_PTR>() == size_of::<usize>());
const _: () = assert!(size_of::<SIZE_T>() == size_of::<usize>());
const _: () = assert!(size_of::<KSPIN_LOCK>() == size_of::<usize>());

/// `WDF_OBJECT_ATTRIBUTES_INIT` (+ `_INIT_CONTEXT_TYPE`) by hand: `Size`, both scopes
/// `InheritFromParent`, then `ParentObject` and `ContextTypeInfo = WDF_GET_CONTEXT_TYPE_INFO(T)->UniqueType`
/// (WDF-SRC wdfobject.h).
fn object_attributes(attributes: &WdfObjectAttributes) -> WDF_OBJECT_ATTRIBUTES {
    WDF_OBJECT_ATTRIBUTES {
        Size: WDF_OBJECT_ATTRIBUTES_SIZE,
        ExecutionLevel: _WDF_EXECUTION_LEVEL::WdfExecutionLevelInheritFromParent,
        SynchronizationScope: _WDF_SYNCHRONIZATION_SCOPE::WdfSynchronizationScopeInheritFromParent,
        ParentObject: attributes.parent.map_or(ptr::null_mut(), |parent| parent.0.cast()),
        ContextTypeInfo: attributes.context_type.map_or(ptr::null(), |info| info.UniqueType.cast()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Kernel services: what ndis.h's spin-lock macros expand to (W:km/ndis.h:2311-2337).

/// `KeGetCurrentIrql()`. On x64 wdm.h also has a force-inline reading CR8; wdk-sys binds the
/// exported routine (`wdk_sys::ntddk::KeGetCurrentIrql`, the one wdk-sys's own `PAGED_CODE!` calls)
/// and the kernel exports it, so the driver calls that (docs/wdk-items.md).
pub fn ke_get_current_irql() -> Kirql {
    // SAFETY: no preconditions; callable at any IRQL. Returns KIRQL (UCHAR), the facade's Kirql.
    unsafe { ntddk::KeGetCurrentIrql() }
}

/// `NdisAllocateSpinLock` = `KeInitializeSpinLock(&Lock->SpinLock)`.
///
/// # Safety
/// `lock` points at a `KSPIN_LOCK` that stays in place while it is in use.
pub unsafe fn ke_initialize_spin_lock(lock: *mut usize) {
    // SAFETY: the caller guarantees `lock` is a live, pinned KSPIN_LOCK (pointer-sized, see above).
    unsafe { ntddk::KeInitializeSpinLock(lock.cast::<KSPIN_LOCK>()) }
}

/// `NdisAcquireSpinLock` = `Lock->OldIrql = KeAcquireSpinLockRaiseToDpc(&Lock->SpinLock)`.
///
/// # Safety
/// As [`ke_initialize_spin_lock`].
pub unsafe fn ke_acquire_spin_lock_raise_to_dpc(lock: *mut usize) -> Kirql {
    // SAFETY: the caller guarantees `lock` is an initialized KSPIN_LOCK; the facade calls this at
    // <= DISPATCH_LEVEL. Returns the previous KIRQL (UCHAR), the facade's Kirql.
    unsafe { ntddk::KeAcquireSpinLockRaiseToDpc(lock.cast::<KSPIN_LOCK>()) }
}

/// `NdisReleaseSpinLock` = `KeReleaseSpinLock(&Lock->SpinLock, Lock->OldIrql)`.
///
/// # Safety
/// As [`ke_initialize_spin_lock`]; the lock is held by the caller.
pub unsafe fn ke_release_spin_lock(lock: *mut usize, new_irql: Kirql) {
    // SAFETY: the caller holds the lock and passes the IRQL the acquire returned.
    unsafe { ntddk::KeReleaseSpinLock(lock.cast::<KSPIN_LOCK>(), new_irql) }
}

/// `NdisDprAcquireSpinLock` = `KeAcquireSpinLockAtDpcLevel(&Lock->SpinLock)`.
///
/// # Safety
/// As [`ke_initialize_spin_lock`].
pub unsafe fn ke_acquire_spin_lock_at_dpc_level(lock: *mut usize) {
    // SAFETY: the caller guarantees an initialized KSPIN_LOCK and that it runs at DISPATCH_LEVEL.
    unsafe { ntddk::KeAcquireSpinLockAtDpcLevel(lock.cast::<KSPIN_LOCK>()) }
}

/// `NdisDprReleaseSpinLock` = `KeReleaseSpinLockFromDpcLevel(&Lock->SpinLock)`.
///
/// # Safety
/// As [`ke_initialize_spin_lock`]; the lock is held by the caller.
pub unsafe fn ke_release_spin_lock_from_dpc_level(lock: *mut usize) {
    // SAFETY: the caller holds the lock, acquired at DISPATCH_LEVEL.
    unsafe { ntddk::KeReleaseSpinLockFromDpcLevel(lock.cast::<KSPIN_LOCK>()) }
}

/// `MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, Priority)`: the mapping
/// branch of wdm.h's FORCEINLINE `MmGetSystemAddressForMdlSafe` (W:km/wdm.h:29056-29104; the flag test
/// before it is the caller's). A plain ntoskrnl export here: wdk-build defines no `POOL_NX_OPTIN`,
/// so wdm.h's inline redirection of this routine is not in effect (docs/wdk-items.md).
///
/// # Safety
/// `mdl` is the MDL of an NBL the caller owns for the duration of the call, and the caller runs at
/// <= DISPATCH_LEVEL.
pub unsafe fn mm_map_locked_pages_specify_cache(mdl: *mut Mdl, priority: u32) -> *mut c_void {
    // SAFETY: guaranteed by the caller (`Mdl` has the layout of MDL, layout.rs), with a
    // NormalPagePriority | MdlMappingNoExecute priority.
    // KernelMode is 0, which fits KPROCESSOR_MODE (CCHAR). Returns NULL if no mapping is possible
    // (BugCheckOnFailure = FALSE).
    unsafe {
        ntddk::MmMapLockedPagesSpecifyCache(
            mdl.cast::<MDL>(),
            _MODE::KernelMode as KPROCESSOR_MODE,
            _MEMORY_CACHING_TYPE::MmCached,
            ptr::null_mut(),
            0,
            priority,
        )
    }
}

// ---------------------------------------------------------------------------------------------
// KMDF

/// `WDF_DRIVER_CONFIG_INIT(&config, WDF_NO_EVENT_CALLBACK)`, the flags and pool tag, then
/// `WdfDriverCreate(DriverObject, RegistryPath, WDF_NO_OBJECT_ATTRIBUTES, &config, &driver)`.
pub fn wdf_driver_create(
    driver_object: DriverObject,
    registry_path: RegistryPath,
    config: &WdfDriverConfig,
) -> Result<WdfDriver, NtStatus> {
    let mut driver_config = WDF_DRIVER_CONFIG {
        Size: WDF_DRIVER_CONFIG_SIZE,
        DriverInitFlags: config.driver_init_flags,
        DriverPoolTag: config.driver_pool_tag,
        // EvtDriverDeviceAdd and EvtDriverUnload stay None: a miniport registers neither, and with
        // NoDispatchOverride the framework does not store them (WDF-SRC
        // src/framework/shared/core/fxdriverapi.cpp, WdfDriverCreate).
        ..Default::default()
    };
    let mut driver: WDFDRIVER = ptr::null_mut();
    // SAFETY: DriverEntry's DRIVER_OBJECT and registry path, passed through unchanged; the config
    // and the out-handle are live locals for the call (PASSIVE_LEVEL, inside DriverEntry).
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDriverCreate,
            driver_object.0.cast::<DRIVER_OBJECT>(),
            registry_path.0.cast::<UNICODE_STRING>(),
            WDF_NO_OBJECT_ATTRIBUTES,
            &mut driver_config,
            &mut driver
        )
    };
    if NT_SUCCESS(status) { Ok(WdfDriver(driver.cast())) } else { Err(NtStatus::from_raw(status)) }
}

/// `WdfGetDriver()`: the FORCEINLINE `return WdfDriverGlobals->Driver;` (WDF-SRC wdfdriver.h).
pub fn wdf_get_driver() -> WdfDriver {
    // SAFETY: `WdfDriverGlobals` is set by the KMDF stub (FxDriverEntry) before DriverEntry runs
    // and stays valid until the image unloads; the driver runs only between those two points.
    let driver: WDFDRIVER = unsafe { (*wdk_sys::WdfDriverGlobals).Driver };
    WdfDriver(driver.cast())
}

/// `WdfDriverMiniportUnload(Driver)`. wdfminiport.h's FORCEINLINE does not use the function table:
/// `((PFN_WDFDRIVERMINIPORTUNLOAD) WdfDriverMiniportUnloadOverride)(WdfDriverGlobals, Driver)`.
/// `WdfDriverMiniportUnloadOverride` (declared in wdf.h, defined in WdfDriverEntry.lib) is what the
/// stub points at its own miniport-unload path, so the call goes through it exactly as in C
/// (WDF-SRC wdfminiport.h, wdf.h; the framework side is FxDriver::Unload in
/// src/framework/shared/core/fxdriver.cpp; what the stub stores there is not in the public
/// sources, docs/wdk-items.md).
pub fn wdf_driver_miniport_unload(driver: WdfDriver) {
    // SAFETY: the variable is written by the stub before DriverEntry and only read here; a
    // `WDFFUNC` and `PFN_WDFDRIVERMINIPORTUNLOAD` are both `Option` of a plain function pointer.
    let unload = unsafe {
        transmute::<WDFFUNC, ndis::PFN_WDFDRIVERMINIPORTUNLOAD>(wdk_sys::WdfDriverMiniportUnloadOverride)
    };
    // NULL only if the stub never bound the framework, in which case DriverEntry never ran and
    // there is nothing to unload (C would call through the null pointer).
    if let Some(unload) = unload {
        // SAFETY: called from MiniportDriverUnload at PASSIVE_LEVEL with the WDFDRIVER of this
        // image, with the stub's globals, exactly as the C inline does.
        unsafe { unload(wdk_sys::WdfDriverGlobals, driver.0.cast()) }
    }
}

/// `WdfDeviceMiniportCreate(Driver, &Attributes, DeviceObject, AttachedDeviceObject, Pdo, &Device)`.
///
/// Route: wdk-sys has the table index (`_WDFFUNCENUM::WdfDeviceMiniportCreateTableIndex`, from
/// wdffuncenum.h) but no `PFN_WDFDEVICEMINIPORTCREATE`, because wdf.h does not include
/// wdfminiport.h, so `call_unsafe_wdf_function_binding!` cannot resolve it (WDF-SRC wdf.h, its
/// include list).
/// `build.rs` runs bindgen over wdfminiport.h, so the PFN type is the header's own typedef rather
/// than a hand-written one; the table lookup below is what the macro expands to (wdk-macros 0.5.2,
/// `call_unsafe_wdf_function_binding_impl`), which is also what the C FORCEINLINE does:
/// `((PFN_WDFDEVICEMINIPORTCREATE) WdfFunctions[WdfDeviceMiniportCreateTableIndex])(WdfDriverGlobals, ...)`.
pub fn wdf_device_miniport_create(
    driver: WdfDriver,
    attributes: &WdfObjectAttributes,
    device_object: DeviceObject,
    attached_device_object: DeviceObject,
    pdo: DeviceObject,
) -> Result<WdfDevice, NtStatus> {
    let mut device_attributes = object_attributes(attributes);
    let mut device: WDFDEVICE = ptr::null_mut();
    // SAFETY: `WdfFunctions` is the bound function table of `get_wdf_function_count()` entries
    // (set by the stub before DriverEntry, never mutated; the same slice the wdk-sys macro builds).
    let table = unsafe {
        core::slice::from_raw_parts(wdk_sys::WdfFunctions, wdk_sys::wdf::__private::get_wdf_function_count())
    };
    let entry: WDFFUNC =
        table.get(_WDFFUNCENUM::WdfDeviceMiniportCreateTableIndex as usize).copied().flatten();
    // SAFETY: the table maps this index to a function of exactly the `PFN_WDFDEVICEMINIPORTCREATE`
    // type (wdffuncenum.h / wdfminiport.h); `WDFFUNC` and that PFN are both `Option` of a function
    // pointer.
    let create = unsafe { transmute::<WDFFUNC, ndis::PFN_WDFDEVICEMINIPORTCREATE>(entry) };
    // Index 200 is below every framework's always-available count, so this is never None on a
    // bound KMDF; C indexes without a check, here a missing entry is an error status, not a crash.
    let Some(create) = create else {
        return Err(NtStatus::from_raw(wdk_sys::STATUS_PROCEDURE_NOT_FOUND));
    };
    // SAFETY: PASSIVE_LEVEL (MiniportInitializeEx); the device objects come from
    // NdisMGetDeviceProperty for this adapter; attributes and out-handle are live locals.
    let status: NTSTATUS = unsafe {
        create(
            wdk_sys::WdfDriverGlobals,
            driver.0.cast(),
            &mut device_attributes,
            device_object.0.cast::<DEVICE_OBJECT>(),
            attached_device_object.0.cast::<DEVICE_OBJECT>(),
            pdo.0.cast::<DEVICE_OBJECT>(),
            &mut device,
        )
    };
    if NT_SUCCESS(status) { Ok(WdfDevice(device.cast())) } else { Err(NtStatus::from_raw(status)) }
}

/// `WdfObjectGetTypedContextWorker(Handle, WDF_GET_CONTEXT_TYPE_INFO(T)->UniqueType)`, which is what
/// `WdfObjectGetTypedContext` expands to (WDF-SRC wdfobject.h).
pub fn wdf_object_get_typed_context_worker(
    handle: WdfObject,
    type_info: &'static WdfObjectContextTypeInfo,
) -> *mut c_void {
    // SAFETY: `handle` is a live framework object owned by the driver; the type info is a static
    // with the layout of WDF_OBJECT_CONTEXT_TYPE_INFO (layout.rs). Returns NULL if the object has no
    // context of that type.
    let context: PVOID = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfObjectGetTypedContextWorker,
            handle.0.cast(),
            type_info.UniqueType.cast()
        )
    };
    context.cast()
}

/// `WdfDeviceGetIoTarget(Device)`: the default target over the AttachedDeviceObject.
pub fn wdf_device_get_io_target(device: WdfDevice) -> WdfIoTarget {
    // SAFETY: `device` is the live miniport WDFDEVICE (FX_TYPE_DEVICE_BASE is accepted, WDF-SRC
    // src/framework/shared/core/fxdeviceapi.cpp, WdfDeviceGetIoTarget).
    let target = unsafe { call_unsafe_wdf_function_binding!(WdfDeviceGetIoTarget, device.0.cast()) };
    WdfIoTarget(target.cast())
}

/// `WdfRequestCreate(&Attributes, IoTarget, &Request)`.
pub fn wdf_request_create(
    attributes: &WdfObjectAttributes,
    io_target: WdfIoTarget,
) -> Result<WdfRequest, NtStatus> {
    let mut request_attributes = object_attributes(attributes);
    let mut request: WDFREQUEST = ptr::null_mut();
    // SAFETY: live locals for the attributes and out-handle; `io_target` is a live target.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRequestCreate,
            &mut request_attributes,
            io_target.0.cast(),
            &mut request
        )
    };
    if NT_SUCCESS(status) { Ok(WdfRequest(request.cast())) } else { Err(NtStatus::from_raw(status)) }
}

/// `WdfMemoryCreate(&Attributes, PoolType, PoolTag, BufferSize, &Memory, &Buffer)`.
pub fn wdf_memory_create(
    attributes: &WdfObjectAttributes,
    pool_type: i32,
    pool_tag: u32,
    size: usize,
) -> Result<(WdfMemory, *mut c_void), NtStatus> {
    let mut memory_attributes = object_attributes(attributes);
    let mut memory: WDFMEMORY = ptr::null_mut();
    let mut buffer: PVOID = ptr::null_mut();
    // SAFETY: live locals for the attributes and both out-values. `pool_type` is a POOL_TYPE value
    // (the facade passes NonPagedPoolNx, checked equal in layout.rs).
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfMemoryCreate,
            &mut memory_attributes,
            pool_type,
            pool_tag,
            size,
            &mut memory,
            &mut buffer
        )
    };
    if NT_SUCCESS(status) { Ok((WdfMemory(memory.cast()), buffer)) } else { Err(NtStatus::from_raw(status)) }
}

/// `WdfIoTargetFormatRequestForRead(IoTarget, Request, OutputBuffer, NULL, NULL)`: the whole buffer,
/// no device offset.
pub fn wdf_io_target_format_request_for_read(
    io_target: WdfIoTarget,
    request: WdfRequest,
    output_buffer: WdfMemory,
) -> NtStatus {
    // SAFETY: live target, request and memory object owned by the driver; the request is not
    // pending (the caller formats only idle requests).
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoTargetFormatRequestForRead,
            io_target.0.cast(),
            request.0.cast(),
            output_buffer.0.cast(),
            ptr::null_mut(),
            ptr::null_mut()
        )
    };
    NtStatus::from_raw(status)
}

/// `WdfIoTargetFormatRequestForWrite(IoTarget, Request, InputBuffer, &Offset, NULL)` with
/// `WDFMEMORY_OFFSET { BufferOffset: 0, BufferLength: length }`: the first `length` bytes of the
/// buffer, no device offset.
pub fn wdf_io_target_format_request_for_write(
    io_target: WdfIoTarget,
    request: WdfRequest,
    input_buffer: WdfMemory,
    length: usize,
) -> NtStatus {
    let mut offset = WDFMEMORY_OFFSET { BufferOffset: 0, BufferLength: length };
    // SAFETY: live target, request and memory object owned by the driver; the request is not
    // pending; `offset` is a live local (the framework copies it while formatting).
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoTargetFormatRequestForWrite,
            io_target.0.cast(),
            request.0.cast(),
            input_buffer.0.cast(),
            &mut offset,
            ptr::null_mut()
        )
    };
    NtStatus::from_raw(status)
}

/// `WdfIoTargetFormatRequestForInternalIoctl(IoTarget, Request, IoctlCode, InputBuffer, NULL,
/// OutputBuffer, NULL)`: whole buffers; either memory handle may be NULL.
pub fn wdf_io_target_format_request_for_internal_ioctl(
    io_target: WdfIoTarget,
    request: WdfRequest,
    ioctl_code: u32,
    input_buffer: WdfMemory,
    output_buffer: WdfMemory,
) -> NtStatus {
    // SAFETY: live target and request owned by the driver, the request not pending; each memory
    // handle is NULL or a live memory object owned by the driver.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoTargetFormatRequestForInternalIoctl,
            io_target.0.cast(),
            request.0.cast(),
            ioctl_code,
            input_buffer.0.cast(),
            ptr::null_mut(),
            output_buffer.0.cast(),
            ptr::null_mut()
        )
    };
    NtStatus::from_raw(status)
}

/// `WDF_MEMORY_DESCRIPTOR_INIT_BUFFER(&descriptor, Buffer, Length)` (WDF-SRC wdfmemory.h): zero,
/// `Type = WdfMemoryDescriptorTypeBuffer`, `u.BufferType.{Buffer, Length}`.
fn buffer_descriptor(buffer: *mut c_void, length: ULONG) -> WDF_MEMORY_DESCRIPTOR {
    let mut descriptor = WDF_MEMORY_DESCRIPTOR {
        Type: _WDF_MEMORY_DESCRIPTOR_TYPE::WdfMemoryDescriptorTypeBuffer,
        ..Default::default()
    };
    // Writes to (nested) union fields of `Copy` type are safe.
    descriptor.u.BufferType.Buffer = buffer;
    descriptor.u.BufferType.Length = length;
    descriptor
}

/// `WdfIoTargetSendInternalIoctlSynchronously(IoTarget, Request, IoctlCode, &InputDescriptor,
/// &OutputDescriptor, &RequestOptions or WDF_NO_SEND_OPTIONS, &BytesReturned)` over the two slices
/// (a NULL descriptor for an empty one), the options built by [`request_send_options`]. With a
/// timeout the framework cancels the request when it expires, waits for it to complete, and
/// returns `STATUS_IO_TIMEOUT` (Doc `nf-wdfiotarget-wdfiotargetsendinternalioctlsynchronously`,
/// Return value). PASSIVE_LEVEL only (the caller's duty). A slice longer than `ULONG::MAX` cannot be
/// described: `STATUS_INVALID_PARAMETER`.
pub fn wdf_io_target_send_internal_ioctl_synchronously(
    io_target: WdfIoTarget,
    request: WdfRequest,
    ioctl_code: u32,
    input: &[u8],
    output: &mut [u8],
    options: Option<&WdfRequestSendOptions>,
) -> Result<usize, NtStatus> {
    let input_length =
        ULONG::try_from(input.len()).map_err(|_| NtStatus::from_raw(wdk_sys::STATUS_INVALID_PARAMETER))?;
    let output_length =
        ULONG::try_from(output.len()).map_err(|_| NtStatus::from_raw(wdk_sys::STATUS_INVALID_PARAMETER))?;
    // The framework only reads the input buffer of an internal IOCTL; the descriptor type has no
    // const variant, hence `cast_mut`.
    let mut input_descriptor = buffer_descriptor(input.as_ptr().cast_mut().cast(), input_length);
    let mut output_descriptor = buffer_descriptor(output.as_mut_ptr().cast(), output_length);
    let input_descriptor_ptr: PWDF_MEMORY_DESCRIPTOR =
        if input.is_empty() { ptr::null_mut() } else { &mut input_descriptor };
    let output_descriptor_ptr: PWDF_MEMORY_DESCRIPTOR =
        if output.is_empty() { ptr::null_mut() } else { &mut output_descriptor };
    let mut bytes_returned: ULONG_PTR = 0;
    let mut send_options = options.map(request_send_options);
    let send_options_ptr = send_options_ptr(&mut send_options);
    // SAFETY: live target; `request` is NULL or a live, idle request owned by the driver; the
    // descriptors point at the borrowed slices and the options (if any) at a live local, all of which
    // outlive this synchronous call; the out-value is a live local. PASSIVE_LEVEL is the caller's duty.
    let status: NTSTATUS = unsafe {
        call_unsafe_wdf_function_binding!(
            WdfIoTargetSendInternalIoctlSynchronously,
            io_target.0.cast(),
            request.0.cast(),
            ioctl_code,
            input_descriptor_ptr,
            output_descriptor_ptr,
            send_options_ptr,
            &mut bytes_returned
        )
    };
    // ULONG_PTR is pointer-sized (asserted above): lossless.
    if NT_SUCCESS(status) { Ok(bytes_returned as usize) } else { Err(NtStatus::from_raw(status)) }
}

/// `WdfRequestSetCompletionRoutine(Request, CompletionRoutine, CompletionContext)`.
///
/// # Safety
/// `request` is a live request owned by the driver and not pending, and `routine` may be called
/// with `context` whenever the request completes.
pub unsafe fn wdf_request_set_completion_routine(
    request: WdfRequest,
    routine: Option<EvtWdfRequestCompletionRoutine>,
    context: WdfContext,
) {
    // SAFETY: `EvtWdfRequestCompletionRoutine` is `unsafe extern "C" fn(WdfRequest, WdfIoTarget,
    // *mut c_void, WdfContext)`; each handle is `#[repr(transparent)]` over a pointer, so it has the
    // ABI of `EVT_WDF_REQUEST_COMPLETION_ROUTINE` (WDFREQUEST, WDFIOTARGET,
    // PWDF_REQUEST_COMPLETION_PARAMS, WDFCONTEXT); both are `Option` of a function pointer.
    let routine = unsafe {
        transmute::<Option<EvtWdfRequestCompletionRoutine>, PFN_WDF_REQUEST_COMPLETION_ROUTINE>(routine)
    };
    // SAFETY: guaranteed by the caller.
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfRequestSetCompletionRoutine,
            request.0.cast(),
            routine,
            context.0
        )
    }
}

/// `WDF_REQUEST_SEND_OPTIONS` built as `WDF_REQUEST_SEND_OPTIONS_INIT` + `_SET_TIMEOUT` do
/// (WDF-SRC wdfrequest.h:364-428: `Size`, `Flags`, `Timeout`; wdk-sys has no `*_INIT` helpers, they
/// are FORCEINLINE).
fn request_send_options(options: &WdfRequestSendOptions) -> WDF_REQUEST_SEND_OPTIONS {
    WDF_REQUEST_SEND_OPTIONS {
        Size: WDF_REQUEST_SEND_OPTIONS_SIZE,
        Flags: options.flags,
        Timeout: options.timeout,
    }
}

/// The `PWDF_REQUEST_SEND_OPTIONS` to pass: the caller's local, or `WDF_NO_SEND_OPTIONS`.
fn send_options_ptr(options: &mut Option<WDF_REQUEST_SEND_OPTIONS>) -> PWDF_REQUEST_SEND_OPTIONS {
    match options.as_mut() {
        Some(options) => options,
        None => WDF_NO_SEND_OPTIONS.cast(),
    }
}

/// `WdfRequestSend(Request, Target, &Options)` with the options built by [`request_send_options`],
/// or `WDF_NO_SEND_OPTIONS`; FALSE: not sent, `WdfRequestGetStatus` says why.
pub fn wdf_request_send(
    request: WdfRequest,
    io_target: WdfIoTarget,
    options: Option<&WdfRequestSendOptions>,
) -> bool {
    let mut send_options = options.map(request_send_options);
    let send_options = send_options_ptr(&mut send_options);
    // SAFETY: live request formatted for `io_target`, not already pending (the caller's state); the
    // options (if any) are a live local for the call.
    let sent = unsafe {
        call_unsafe_wdf_function_binding!(WdfRequestSend, request.0.cast(), io_target.0.cast(), send_options)
    };
    sent != 0 // BOOLEAN: any non-zero value is TRUE
}

/// `WdfRequestGetStatus(Request)`.
pub fn wdf_request_get_status(request: WdfRequest) -> NtStatus {
    // SAFETY: live request owned by the driver.
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfRequestGetStatus, request.0.cast()) };
    NtStatus::from_raw(status)
}

/// `WdfRequestGetInformation(Request)` (`ULONG_PTR`).
pub fn wdf_request_get_information(request: WdfRequest) -> usize {
    // SAFETY: live request owned by the driver.
    let information: ULONG_PTR =
        unsafe { call_unsafe_wdf_function_binding!(WdfRequestGetInformation, request.0.cast()) };
    information as usize // pointer-sized (asserted above): lossless
}

/// `WDF_REQUEST_REUSE_PARAMS_INIT(&params, Flags, Status)` (zero, `Size`, `Flags`, `Status`,
/// `NewIrp` NULL), then `WdfRequestReuse(Request, &params)`.
pub fn wdf_request_reuse(request: WdfRequest, flags: u32, status: NtStatus) -> NtStatus {
    let mut params = WDF_REQUEST_REUSE_PARAMS {
        Size: WDF_REQUEST_REUSE_PARAMS_SIZE,
        Flags: flags,
        Status: status.to_raw(),
        NewIrp: ptr::null_mut(),
    };
    // SAFETY: live request owned by the driver and completed (not pending); `params` is a live local.
    let status: NTSTATUS =
        unsafe { call_unsafe_wdf_function_binding!(WdfRequestReuse, request.0.cast(), &mut params) };
    NtStatus::from_raw(status)
}

/// `WdfRequestCancelSentRequest(Request)`.
pub fn wdf_request_cancel_sent_request(request: WdfRequest) -> bool {
    // SAFETY: live request owned by the driver (KMDF handles the race with completion).
    let canceled =
        unsafe { call_unsafe_wdf_function_binding!(WdfRequestCancelSentRequest, request.0.cast()) };
    canceled != 0 // BOOLEAN
}

/// `WdfIoTargetStop(IoTarget, Action)`.
pub fn wdf_io_target_stop(io_target: WdfIoTarget, action: WdfIoTargetSentIoAction) {
    // SAFETY: live target; `action` is a WDF_IO_TARGET_SENT_IO_ACTION value (checked equal in
    // layout.rs). CancelSentIo/WaitForSentIoToComplete require PASSIVE_LEVEL: the caller's duty.
    unsafe { call_unsafe_wdf_function_binding!(WdfIoTargetStop, io_target.0.cast(), action) }
}

/// `WdfIoTargetStart(IoTarget)` → NTSTATUS.
pub fn wdf_io_target_start(io_target: WdfIoTarget) -> NtStatus {
    // SAFETY: live target; PASSIVE_LEVEL (h:wdfiotarget.h `WdfIoTargetStart`): the caller's duty.
    let status: NTSTATUS = unsafe { call_unsafe_wdf_function_binding!(WdfIoTargetStart, io_target.0.cast()) };
    NtStatus::from_raw(status)
}

/// `WdfIoTargetPurge(IoTarget, Action)` (KMDF 1.11+).
pub fn wdf_io_target_purge(io_target: WdfIoTarget, action: WdfIoTargetPurgeIoAction) {
    // SAFETY: live target; `action` is a WDF_IO_TARGET_PURGE_IO_ACTION value (checked equal in
    // layout.rs). PurgeIoAndWait requires PASSIVE_LEVEL: the caller's duty.
    unsafe { call_unsafe_wdf_function_binding!(WdfIoTargetPurge, io_target.0.cast(), action) }
}

/// `WdfObjectDelete(Object)`.
pub fn wdf_object_delete(object: WdfObject) {
    // SAFETY: `object` is a live framework object the driver created and may delete.
    unsafe { call_unsafe_wdf_function_binding!(WdfObjectDelete, object.0.cast()) }
}

// ---------------------------------------------------------------------------------------------
// NDIS (ndis.sys; prototypes in W:km/ndis.h, W:km/ndis/nblapi.h, W:km/ndis/mdlapi.h)

/// `NdisMRegisterMiniportDriver(DriverObject, RegistryPath, MiniportDriverContext,
/// &Characteristics, &NdisMiniportDriverHandle)`.
pub fn ndis_m_register_miniport_driver(
    driver_object: DriverObject,
    registry_path: RegistryPath,
    miniport_driver_context: NdisHandle,
    characteristics: &NdisMiniportDriverCharacteristics,
) -> Result<NdisHandle, NdisStatus> {
    let mut handle: ndis::NDIS_HANDLE = ptr::null_mut();
    // SAFETY: DriverEntry's objects passed through; the characteristics mirror has the layout of
    // NDIS_MINIPORT_DRIVER_CHARACTERISTICS (layout.rs) and NDIS only reads it during the call.
    let status: ndis::NDIS_STATUS = unsafe {
        ndis::NdisMRegisterMiniportDriver(
            driver_object.0.cast::<DRIVER_OBJECT>(),
            registry_path.0.cast::<UNICODE_STRING>(),
            miniport_driver_context.0,
            ptr::from_ref(characteristics).cast_mut().cast::<ndis::NDIS_MINIPORT_DRIVER_CHARACTERISTICS>(),
            &mut handle,
        )
    };
    let status = NdisStatus::from_raw(status);
    if status == NDIS_STATUS_SUCCESS { Ok(NdisHandle(handle)) } else { Err(status) }
}

/// `NdisMDeregisterMiniportDriver(NdisMiniportDriverHandle)`.
pub fn ndis_m_deregister_miniport_driver(ndis_miniport_driver_handle: NdisHandle) {
    // SAFETY: the handle NdisMRegisterMiniportDriver returned; PASSIVE_LEVEL (MiniportDriverUnload).
    unsafe { ndis::NdisMDeregisterMiniportDriver(ndis_miniport_driver_handle.0) }
}

/// `NdisMSetMiniportAttributes(NdisMiniportHandle, (PNDIS_MINIPORT_ADAPTER_ATTRIBUTES)attributes)`.
///
/// # Safety
/// `attributes` points at a complete registration or general attributes structure whose
/// `Header.Size` bytes are readable.
pub unsafe fn ndis_m_set_miniport_attributes(
    ndis_miniport_handle: NdisHandle,
    attributes: *const NdisObjectHeader,
) -> NdisStatus {
    // SAFETY: the caller guarantees a complete attributes structure; NDIS picks the union member by
    // `Header.Type` and reads `Header.Size` bytes (`_In_reads_bytes_`, W:km/ndis.h:10590-10594).
    let status: ndis::NDIS_STATUS = unsafe {
        ndis::NdisMSetMiniportAttributes(
            ndis_miniport_handle.0,
            attributes.cast_mut().cast::<ndis::NDIS_MINIPORT_ADAPTER_ATTRIBUTES>(),
        )
    };
    NdisStatus::from_raw(status)
}

/// `NdisMGetDeviceProperty(MiniportAdapterHandle, &Pdo, &Fdo, &NextDeviceObject, NULL, NULL)`.
pub fn ndis_m_get_device_property(miniport_adapter_handle: NdisHandle) -> DeviceProperty {
    let mut physical_device_object: PDEVICE_OBJECT = ptr::null_mut();
    let mut functional_device_object: PDEVICE_OBJECT = ptr::null_mut();
    let mut next_device_object: PDEVICE_OBJECT = ptr::null_mut();
    // SAFETY: the adapter handle NDIS passed to MiniportInitializeEx; every out-pointer is a live
    // local or NULL (all optional); PASSIVE_LEVEL.
    unsafe {
        ndis::NdisMGetDeviceProperty(
            miniport_adapter_handle.0,
            &mut physical_device_object,
            &mut functional_device_object,
            &mut next_device_object,
            ptr::null_mut(),
            ptr::null_mut(),
        );
    }
    DeviceProperty {
        physical_device_object: DeviceObject(physical_device_object.cast()),
        functional_device_object: DeviceObject(functional_device_object.cast()),
        next_device_object: DeviceObject(next_device_object.cast()),
    }
}

/// `NdisOpenConfigurationEx(ConfigObject, &ConfigurationHandle)` (W:km/ndis.h:4325-4332): the
/// adapter's driver key; PASSIVE_LEVEL.
pub fn ndis_open_configuration_ex(config_object: &NdisConfigurationObject) -> Result<NdisHandle, NdisStatus> {
    let mut handle: ndis::NDIS_HANDLE = ptr::null_mut();
    // SAFETY: `NdisConfigurationObject` has the layout of NDIS_CONFIGURATION_OBJECT (layout.rs);
    // NDIS only reads it (`_In_`) and writes the handle on success.
    let status = unsafe {
        ndis::NdisOpenConfigurationEx(
            ptr::from_ref(config_object).cast_mut().cast::<ndis::NDIS_CONFIGURATION_OBJECT>(),
            &mut handle,
        )
    };
    let status = NdisStatus::from_raw(status);
    if status == NDIS_STATUS_SUCCESS { Ok(NdisHandle(handle)) } else { Err(status) }
}

/// `NdisReadConfiguration(&Status, &ParameterValue, ConfigurationHandle, Keyword, ParameterType)`
/// (W:km/ndis.h:2643-2655).
///
/// # Safety
/// `configuration_handle` is open; the parameter returned lives until it is closed. PASSIVE_LEVEL.
pub unsafe fn ndis_read_configuration(
    configuration_handle: NdisHandle,
    keyword: &UnicodeString,
    parameter_type: NdisParameterType,
) -> Result<*const NdisConfigurationParameter, NdisStatus> {
    let mut status: ndis::NDIS_STATUS = NDIS_STATUS_FAILURE.to_raw();
    let mut parameter: ndis::PNDIS_CONFIGURATION_PARAMETER = ptr::null_mut();
    // SAFETY: guaranteed by the caller; `UnicodeString` has the layout of UNICODE_STRING
    // (layout.rs) and NDIS only reads the keyword (`_In_`).
    unsafe {
        ndis::NdisReadConfiguration(
            &mut status,
            &mut parameter,
            configuration_handle.0,
            ptr::from_ref(keyword).cast_mut().cast::<UNICODE_STRING>(),
            parameter_type,
        );
    }
    let status = NdisStatus::from_raw(status);
    if status == NDIS_STATUS_SUCCESS && !parameter.is_null() {
        Ok(parameter.cast_const().cast::<NdisConfigurationParameter>())
    } else {
        Err(status)
    }
}

/// `NdisReadNetworkAddress(&Status, &NetworkAddress, &NetworkAddressLength, ConfigurationHandle)`
/// (W:km/ndis.h:2676-2687): the `NetworkAddress` keyword, parsed by NDIS.
///
/// # Safety
/// `configuration_handle` is open; the bytes returned live until it is closed. PASSIVE_LEVEL.
pub unsafe fn ndis_read_network_address(
    configuration_handle: NdisHandle,
) -> Result<(*const u8, u32), NdisStatus> {
    let mut status: ndis::NDIS_STATUS = NDIS_STATUS_FAILURE.to_raw();
    let mut address: PVOID = ptr::null_mut();
    let mut length: u32 = 0;
    // SAFETY: guaranteed by the caller; every out-pointer is a live local.
    unsafe { ndis::NdisReadNetworkAddress(&mut status, &mut address, &mut length, configuration_handle.0) };
    let status = NdisStatus::from_raw(status);
    if status == NDIS_STATUS_SUCCESS && !address.is_null() {
        Ok((address.cast_const().cast::<u8>(), length))
    } else {
        Err(status)
    }
}

/// `NdisCloseConfiguration(ConfigurationHandle)` (W:km/ndis.h:2668-2673).
///
/// # Safety
/// `configuration_handle` is open, and neither it nor anything read through it is used after.
pub unsafe fn ndis_close_configuration(configuration_handle: NdisHandle) {
    // SAFETY: guaranteed by the caller; PASSIVE_LEVEL.
    unsafe { ndis::NdisCloseConfiguration(configuration_handle.0) }
}

/// `NdisWriteErrorLogEntry(NdisAdapterHandle, ErrorCode, 1, value)` (W:km/ndis.h:3830-3838, a
/// `__cdecl` variadic; a ULONG error value is passed as one 32-bit argument). <= DISPATCH_LEVEL.
pub fn ndis_write_error_log_entry(ndis_adapter_handle: NdisHandle, error_code: NdisErrorCode, value: u32) {
    // SAFETY: the adapter handle NDIS passed to MiniportInitializeEx; one error value follows the
    // count, as NumberOfErrorValues says.
    unsafe { ndis::NdisWriteErrorLogEntry(ndis_adapter_handle.0, error_code, 1, value) }
}

/// `NdisAllocateMemoryWithTagPriority(NdisHandle, Length, Tag, Priority)`.
pub fn ndis_allocate_memory_with_tag_priority(
    ndis_handle: NdisHandle,
    length: u32,
    tag: u32,
    priority: i32,
) -> *mut c_void {
    // SAFETY: a valid NDIS handle; <= DISPATCH_LEVEL. Returns NULL on failure.
    unsafe { ndis::NdisAllocateMemoryWithTagPriority(ndis_handle.0, length, tag, priority) }
}

/// `NdisFreeMemoryWithTagPriority(NdisHandle, VirtualAddress, Tag)`.
///
/// # Safety
/// `va` came from [`ndis_allocate_memory_with_tag_priority`] with `tag` and is not used after.
pub unsafe fn ndis_free_memory_with_tag_priority(ndis_handle: NdisHandle, va: *mut c_void, tag: u32) {
    // SAFETY: guaranteed by the caller.
    unsafe { ndis::NdisFreeMemoryWithTagPriority(ndis_handle.0, va, tag) }
}

/// `NdisAllocateNetBufferListPool(NdisHandle, &Parameters)`.
pub fn ndis_allocate_net_buffer_list_pool(
    ndis_handle: NdisHandle,
    parameters: &NetBufferListPoolParameters,
) -> NdisHandle {
    // SAFETY: the mirror has the layout of NET_BUFFER_LIST_POOL_PARAMETERS (layout.rs); NDIS only
    // reads it during the call. Returns NULL on failure.
    let pool = unsafe {
        ndis::NdisAllocateNetBufferListPool(
            ndis_handle.0,
            ptr::from_ref(parameters).cast_mut().cast::<ndis::NET_BUFFER_LIST_POOL_PARAMETERS>(),
        )
    };
    NdisHandle(pool)
}

/// `NdisFreeNetBufferListPool(PoolHandle)`.
///
/// # Safety
/// Every NBL of the pool has been freed.
pub unsafe fn ndis_free_net_buffer_list_pool(pool_handle: NdisHandle) {
    // SAFETY: guaranteed by the caller.
    unsafe { ndis::NdisFreeNetBufferListPool(pool_handle.0) }
}

/// `NdisAllocateNetBufferAndNetBufferList(PoolHandle, ContextSize, ContextBackFill, MdlChain,
/// DataOffset, DataLength)`.
///
/// # Safety
/// `mdl_chain` is null or an MDL chain that outlives the NBL.
pub unsafe fn ndis_allocate_net_buffer_and_net_buffer_list(
    pool_handle: NdisHandle,
    context_size: u16,
    context_back_fill: u16,
    mdl_chain: *mut Mdl,
    data_offset: u32,
    data_length: usize,
) -> *mut NetBufferList {
    // SAFETY: the caller guarantees the MDL chain; `Mdl` has the layout of MDL and `NetBufferList`
    // that of NET_BUFFER_LIST (layout.rs). Returns NULL on failure.
    let nbl = unsafe {
        ndis::NdisAllocateNetBufferAndNetBufferList(
            pool_handle.0,
            context_size,
            context_back_fill,
            mdl_chain.cast::<MDL>(),
            data_offset,
            data_length as SIZE_T, // pointer-sized (asserted above): lossless
        )
    };
    nbl.cast::<NetBufferList>()
}

/// `NdisFreeNetBufferList(NetBufferList)`.
///
/// # Safety
/// `net_buffer_list` came from this driver's pool, is owned by the driver and is not used after.
pub unsafe fn ndis_free_net_buffer_list(net_buffer_list: *mut NetBufferList) {
    // SAFETY: guaranteed by the caller.
    unsafe { ndis::NdisFreeNetBufferList(net_buffer_list.cast::<ndis::NET_BUFFER_LIST>()) }
}

/// `NdisAllocateMdl(NdisHandle, VirtualAddress, Length)`.
///
/// # Safety
/// `virtual_address` is nonpaged memory of at least `length` bytes that outlives the MDL.
pub unsafe fn ndis_allocate_mdl(
    ndis_handle: NdisHandle,
    virtual_address: *mut c_void,
    length: u32,
) -> *mut Mdl {
    // SAFETY: guaranteed by the caller. Returns NULL on failure.
    let mdl = unsafe { ndis::NdisAllocateMdl(ndis_handle.0, virtual_address, length) };
    mdl.cast::<Mdl>()
}

/// `NdisFreeMdl(Mdl)`.
///
/// # Safety
/// `mdl` came from [`ndis_allocate_mdl`] and is not used after.
pub unsafe fn ndis_free_mdl(mdl: *mut Mdl) {
    // SAFETY: guaranteed by the caller.
    unsafe { ndis::NdisFreeMdl(mdl.cast::<MDL>()) }
}

/// `IoAllocateMdl(VirtualAddress, Length, FALSE, FALSE, NULL)` (W:km/wdm.h:32321-32330): an MDL
/// with room for the pages the range spans (`ADDRESS_AND_SIZE_TO_SPAN_PAGES`), describing none of
/// them until `IoBuildPartialMdl` builds it. NULL on failure.
///
/// # Safety
/// `virtual_address..+length` is memory the caller names only to size the MDL; the MDL is freed with
/// [`io_free_mdl`].
pub unsafe fn io_allocate_mdl(virtual_address: *mut c_void, length: u32) -> *mut Mdl {
    // SAFETY: guaranteed by the caller; no secondary buffer, no quota, no IRP (BOOLEAN FALSE is 0).
    let mdl = unsafe { ntddk::IoAllocateMdl(virtual_address, length, 0, 0, ptr::null_mut()) };
    mdl.cast::<Mdl>()
}

/// `IoFreeMdl(Mdl)` (W:km/wdm.h:33424-33429).
///
/// # Safety
/// `mdl` came from [`io_allocate_mdl`], is referenced by nothing and is not used after.
pub unsafe fn io_free_mdl(mdl: *mut Mdl) {
    // SAFETY: guaranteed by the caller (`Mdl` has the layout of MDL, layout.rs).
    unsafe { ntddk::IoFreeMdl(mdl.cast::<MDL>()) }
}

/// `IoBuildPartialMdl(SourceMdl, TargetMdl, VirtualAddress, Length)` (W:km/wdm.h:32403-32411). The
/// address is measured from the source's `MmGetMdlVirtualAddress` (StartVa + ByteOffset), which for
/// an `NdisAllocateMdl` MDL is the buffer's own address (Doc nf-wdm-iobuildpartialmdl; WDF-SRC
/// src/framework/shared/support/km/fxrequestbufferkm.cpp:202-239 passes it the same way).
///
/// # Safety
/// `source` describes locked or nonpaged memory containing `virtual_address..+length` (else bug
/// check 0x12E INVALID_MDL_RANGE), and `target`, from [`io_allocate_mdl`] and prepared for reuse,
/// has room for the pages that range spans (else 0x40 TARGET_MDL_TOO_SMALL) and is used by no one
/// else.
pub unsafe fn io_build_partial_mdl(
    source: *mut Mdl,
    target: *mut Mdl,
    virtual_address: *mut c_void,
    length: u32,
) {
    // SAFETY: guaranteed by the caller.
    unsafe { ntddk::IoBuildPartialMdl(source.cast::<MDL>(), target.cast::<MDL>(), virtual_address, length) }
}

/// wdm.h's FORCEINLINE `MmPrepareMdlForReuse` (W:km/wdm.h:29146-29175), which bindgen does not bind:
/// a partial MDL the memory manager mapped (`MDL_PARTIAL_HAS_BEEN_MAPPED`) is unmapped with
/// `MmUnmapLockedPages(MappedSystemVa, Mdl)` (W:km/wdm.h:28610-28616); the other branch is only a
/// checked build's `NT_ASSERT`.
///
/// # Safety
/// `mdl` came from [`io_allocate_mdl`] (built by `IoBuildPartialMdl`, or not yet) and is used by no
/// one else.
pub unsafe fn mm_prepare_mdl_for_reuse(mdl: *mut Mdl) {
    // SAFETY: guaranteed by the caller: a live MDL only this caller uses.
    let (flags, mapped) = unsafe { ((*mdl).MdlFlags, (*mdl).MappedSystemVa) };
    if flags & MDL_PARTIAL_HAS_BEEN_MAPPED != 0 {
        // SAFETY: the memory manager mapped this partial MDL at `mapped` (the flag says so).
        unsafe { ntddk::MmUnmapLockedPages(mapped, mdl.cast::<MDL>()) }
    }
}

/// `NdisMSendNetBufferListsComplete(MiniportAdapterHandle, NetBufferList, SendCompleteFlags)`.
///
/// # Safety
/// `net_buffer_list` is a chain of NBLs NDIS sent to this miniport and not yet completed.
pub unsafe fn ndis_m_send_net_buffer_lists_complete(
    miniport_adapter_handle: NdisHandle,
    net_buffer_list: *mut NetBufferList,
    send_complete_flags: u32,
) {
    // SAFETY: guaranteed by the caller; <= DISPATCH_LEVEL with the matching DISPATCH flag.
    unsafe {
        ndis::NdisMSendNetBufferListsComplete(
            miniport_adapter_handle.0,
            net_buffer_list.cast::<ndis::NET_BUFFER_LIST>(),
            send_complete_flags,
        )
    }
}

/// `NdisMPauseComplete(MiniportAdapterHandle)`.
pub fn ndis_m_pause_complete(miniport_adapter_handle: NdisHandle) {
    // SAFETY: the adapter handle; called once per pending MiniportPause, <= DISPATCH_LEVEL.
    unsafe { ndis::NdisMPauseComplete(miniport_adapter_handle.0) }
}

/// `NdisAllocateIoWorkItem(NdisObjectHandle)` (<= DISPATCH_LEVEL); NULL on failure.
pub fn ndis_allocate_io_work_item(ndis_object_handle: NdisHandle) -> NdisHandle {
    // SAFETY: a miniport adapter handle NDIS gave the driver; nothing else is passed.
    NdisHandle(unsafe { ndis::NdisAllocateIoWorkItem(ndis_object_handle.0) })
}

/// `NdisQueueIoWorkItem(NdisIoWorkItemHandle, Routine, WorkItemContext)` (<= DISPATCH_LEVEL): NDIS
/// runs `routine` in a system thread at PASSIVE_LEVEL (Doc nf-ndis-ndisqueueioworkitem).
///
/// # Safety
/// `work_item` is a live work item that is not queued (IoQueueWorkItem's rule); `context` is valid
/// whenever `routine` runs.
pub unsafe fn ndis_queue_io_work_item(
    work_item: NdisHandle,
    routine: NdisIoWorkItemRoutine,
    context: *mut c_void,
) {
    // SAFETY: `NdisIoWorkItemRoutine` is `unsafe extern "C" fn(*mut c_void, NdisHandle)` and
    // `NdisHandle` is `#[repr(transparent)]` over `PVOID`, so it has the ABI of
    // `NDIS_IO_WORKITEM_FUNCTION` (PVOID, NDIS_HANDLE); the binding's type is its `Option`.
    let routine =
        unsafe { transmute::<Option<NdisIoWorkItemRoutine>, ndis::NDIS_IO_WORKITEM_ROUTINE>(Some(routine)) };
    // SAFETY: guaranteed by the caller.
    unsafe { ndis::NdisQueueIoWorkItem(work_item.0, routine, context) }
}

/// `NdisFreeIoWorkItem(NdisIoWorkItemHandle)` (<= DISPATCH_LEVEL).
///
/// # Safety
/// `work_item` came from `ndis_allocate_io_work_item` and is not queued (Doc nf-wdm-iofreeworkitem:
/// "Only free a work item that is not currently queued").
pub unsafe fn ndis_free_io_work_item(work_item: NdisHandle) {
    // SAFETY: guaranteed by the caller.
    unsafe { ndis::NdisFreeIoWorkItem(work_item.0) }
}

/// `NdisMIndicateReceiveNetBufferLists(MiniportAdapterHandle, NetBufferList, PortNumber,
/// NumberOfNetBufferLists, ReceiveFlags)`.
///
/// # Safety
/// `net_buffer_list` is a chain of `number_of_net_buffer_lists` receive NBLs the miniport owns.
pub unsafe fn ndis_m_indicate_receive_net_buffer_lists(
    miniport_adapter_handle: NdisHandle,
    net_buffer_list: *mut NetBufferList,
    port_number: u32,
    number_of_net_buffer_lists: u32,
    receive_flags: u32,
) {
    // SAFETY: guaranteed by the caller; `NetBufferList` has the layout of NET_BUFFER_LIST
    // (layout.rs); <= DISPATCH_LEVEL with the matching DISPATCH flag.
    unsafe {
        ndis::NdisMIndicateReceiveNetBufferLists(
            miniport_adapter_handle.0,
            net_buffer_list.cast::<ndis::NET_BUFFER_LIST>(),
            port_number,
            number_of_net_buffer_lists,
            receive_flags,
        )
    }
}

/// `NdisMIndicateStatusEx(MiniportAdapterHandle, StatusIndication)`.
///
/// # Safety
/// `status_indication` and its status buffer are valid for the call.
pub unsafe fn ndis_m_indicate_status_ex(
    miniport_adapter_handle: NdisHandle,
    status_indication: *const NdisStatusIndication,
) {
    // SAFETY: guaranteed by the caller; the mirror has the layout of NDIS_STATUS_INDICATION
    // (layout.rs) and NDIS only reads it during the call; <= DISPATCH_LEVEL.
    unsafe {
        ndis::NdisMIndicateStatusEx(
            miniport_adapter_handle.0,
            status_indication.cast_mut().cast::<ndis::NDIS_STATUS_INDICATION>(),
        )
    }
}

/// `NdisMResetComplete(MiniportAdapterHandle, Status, AddressingReset)` (a routine in NDIS 6; the
/// macro of the same name is only for legacy miniports: W:km/ndis.h:12584-12593 and :11716).
pub fn ndis_m_reset_complete(
    miniport_adapter_handle: NdisHandle,
    status: NdisStatus,
    addressing_reset: Boolean,
) {
    // SAFETY: the adapter handle; called once per MiniportResetEx that returned NDIS_STATUS_PENDING,
    // <= DISPATCH_LEVEL. NDIS_STATUS is `int` (the newtype's raw value) and BOOLEAN is UCHAR.
    unsafe { ndis::NdisMResetComplete(miniport_adapter_handle.0, status.to_raw(), addressing_reset) }
}
