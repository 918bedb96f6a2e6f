//! The host backend's interface: what the driver's `src/sys/host` forwards every OS call to.
//!
//! `kernel-sim` implements [`Kernel`] and [`install`]s it on the thread that drives a scenario; the
//! driver's host backend calls [`current`] and forwards, with no logic of its own. One method per OS
//! call, named after it, taking the facade's Rust types. Pointers are the same raw pointers the
//! Windows backend passes to the OS: the model reads and writes through them as NDIS would.
//!
//! A model method may call back into the driver (a completion routine inside `WdfIoTargetStop`, a
//! handler inside `NdisMRegisterMiniportDriver`'s checks): implementations must not hold their own
//! borrows across such calls.

use crate::config::{
    NdisConfigurationObject, NdisConfigurationParameter, NdisErrorCode, NdisParameterType, UnicodeString,
};
use crate::handles::*;
use crate::miniport::NdisMiniportDriverCharacteristics;
use crate::nbl::{Mdl, NetBufferList, NetBufferListPoolParameters};
use crate::object::NdisObjectHeader;
use crate::oid::{NdisOidRequest, NdisStatusIndication};
use crate::status::{NdisStatus, NtStatus};
use crate::wdf::*;
use crate::{Boolean, Kirql};
use core::cell::RefCell;
use core::ffi::c_void;
use std::rc::Rc;

/// The three device objects `NdisMGetDeviceProperty` returns (the resource lists are not asked for).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DeviceProperty {
    pub physical_device_object: DeviceObject,
    pub functional_device_object: DeviceObject,
    pub next_device_object: DeviceObject,
}

/// Every OS call the driver makes, as the kernel model receives it.
pub trait Kernel {
    // Kernel services (wdm.h). `lock` is the `KSPIN_LOCK` inside the driver's `NDIS_SPIN_LOCK`.
    fn ke_get_current_irql(&self) -> Kirql;
    fn ke_initialize_spin_lock(&self, lock: *mut usize);
    fn ke_acquire_spin_lock_raise_to_dpc(&self, lock: *mut usize) -> Kirql;
    fn ke_release_spin_lock(&self, lock: *mut usize, new_irql: Kirql);
    fn ke_acquire_spin_lock_at_dpc_level(&self, lock: *mut usize);
    fn ke_release_spin_lock_from_dpc_level(&self, lock: *mut usize);

    // KMDF (wdfdriver.h, wdfminiport.h, wdfdevice.h, wdfobject.h, wdfrequest.h, wdfiotarget.h,
    // wdfmemory.h).
    fn wdf_driver_create(
        &self,
        driver_object: DriverObject,
        registry_path: RegistryPath,
        config: &WdfDriverConfig,
    ) -> Result<WdfDriver, NtStatus>;
    /// `WdfGetDriver()`: `WdfDriverGlobals->Driver`, null before `WdfDriverCreate`.
    fn wdf_get_driver(&self) -> WdfDriver;
    fn wdf_driver_miniport_unload(&self, driver: WdfDriver);
    fn wdf_device_miniport_create(
        &self,
        driver: WdfDriver,
        attributes: &WdfObjectAttributes,
        device_object: DeviceObject,
        attached_device_object: DeviceObject,
        pdo: DeviceObject,
    ) -> Result<WdfDevice, NtStatus>;
    /// `WdfObjectGetTypedContextWorker`: the object's context of that type, or null.
    fn wdf_object_get_typed_context_worker(
        &self,
        handle: WdfObject,
        type_info: &'static WdfObjectContextTypeInfo,
    ) -> *mut c_void;
    fn wdf_device_get_io_target(&self, device: WdfDevice) -> WdfIoTarget;
    fn wdf_request_create(
        &self,
        attributes: &WdfObjectAttributes,
        io_target: WdfIoTarget,
    ) -> Result<WdfRequest, NtStatus>;
    /// `WdfMemoryCreate`: the memory object and its buffer (`size` bytes, 16-aligned, zeroed).
    fn wdf_memory_create(
        &self,
        attributes: &WdfObjectAttributes,
        pool_type: i32,
        pool_tag: u32,
        size: usize,
    ) -> Result<(WdfMemory, *mut c_void), NtStatus>;
    /// `WdfIoTargetFormatRequestForRead(target, request, memory, NULL, NULL)`: the whole buffer.
    fn wdf_io_target_format_request_for_read(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        output_buffer: WdfMemory,
    ) -> NtStatus;
    /// `WdfIoTargetFormatRequestForWrite(target, request, memory, &offsets, NULL)`: the first
    /// `length` bytes of the buffer.
    fn wdf_io_target_format_request_for_write(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        input_buffer: WdfMemory,
        length: usize,
    ) -> NtStatus;
    /// `WdfIoTargetFormatRequestForInternalIoctl(target, request, ioctl, input, NULL, output, NULL)`:
    /// `input`/`output` may be null (`WDF_NO_HANDLE`); each is passed whole.
    fn wdf_io_target_format_request_for_internal_ioctl(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        ioctl_code: u32,
        input_buffer: WdfMemory,
        output_buffer: WdfMemory,
    ) -> NtStatus;
    /// `WdfIoTargetSendInternalIoctlSynchronously(target, request, ioctl, &input, &output,
    /// options or NULL, &bytes_returned)` with buffer-type memory descriptors (`input`/`output` may
    /// be empty: `NULL` descriptors). PASSIVE_LEVEL; returns the bytes the device wrote to `output`.
    /// `request` (may be null) is a reusable request the driver owns; it is not pending. With a
    /// timeout, a request the device has not completed when it expires is cancelled, and the call
    /// returns `STATUS_IO_TIMEOUT` once the cancelled request has completed.
    fn wdf_io_target_send_internal_ioctl_synchronously(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        ioctl_code: u32,
        input: &[u8],
        output: &mut [u8],
        options: Option<&WdfRequestSendOptions>,
    ) -> Result<usize, NtStatus>;
    fn wdf_request_set_completion_routine(
        &self,
        request: WdfRequest,
        routine: Option<EvtWdfRequestCompletionRoutine>,
        context: WdfContext,
    );
    /// `WdfRequestSend(request, target, options or WDF_NO_SEND_OPTIONS)`; FALSE means it was not
    /// sent and `WdfRequestGetStatus` says why (the completion routine is then not called). With a
    /// timeout, a request still pending when it expires is cancelled and completes with
    /// `STATUS_IO_TIMEOUT`.
    fn wdf_request_send(
        &self,
        request: WdfRequest,
        io_target: WdfIoTarget,
        options: Option<&WdfRequestSendOptions>,
    ) -> bool;
    fn wdf_request_get_status(&self, request: WdfRequest) -> NtStatus;
    fn wdf_request_get_information(&self, request: WdfRequest) -> usize;
    fn wdf_request_reuse(&self, request: WdfRequest, flags: u32, status: NtStatus) -> NtStatus;
    fn wdf_request_cancel_sent_request(&self, request: WdfRequest) -> bool;
    fn wdf_io_target_purge(&self, io_target: WdfIoTarget, action: WdfIoTargetPurgeIoAction);
    fn wdf_io_target_stop(&self, io_target: WdfIoTarget, action: WdfIoTargetSentIoAction);
    fn wdf_io_target_start(&self, io_target: WdfIoTarget) -> NtStatus;
    fn wdf_object_delete(&self, object: WdfObject);

    // NDIS (ndis.h, nblapi.h, mdlapi.h).
    fn ndis_m_register_miniport_driver(
        &self,
        driver_object: DriverObject,
        registry_path: RegistryPath,
        miniport_driver_context: NdisHandle,
        characteristics: &NdisMiniportDriverCharacteristics,
    ) -> Result<NdisHandle, NdisStatus>;
    fn ndis_m_deregister_miniport_driver(&self, ndis_miniport_driver_handle: NdisHandle);
    /// `attributes` points at a registration or general attributes structure; the model reads
    /// `Header` to tell which, as NDIS does.
    fn ndis_m_set_miniport_attributes(
        &self,
        ndis_miniport_handle: NdisHandle,
        attributes: *const NdisObjectHeader,
    ) -> NdisStatus;
    fn ndis_m_get_device_property(&self, miniport_adapter_handle: NdisHandle) -> DeviceProperty;
    // Configuration and the error log (W:km/ndis.h:2643-2687, 3830-3838, 4325-4332). The out
    // pointers are written as NDIS writes them; what a read returns lives until the close.
    fn ndis_open_configuration_ex(
        &self,
        config_object: *const NdisConfigurationObject,
        configuration_handle: *mut NdisHandle,
    ) -> NdisStatus;
    fn ndis_read_configuration(
        &self,
        status: *mut NdisStatus,
        parameter_value: *mut *mut NdisConfigurationParameter,
        configuration_handle: NdisHandle,
        keyword: *const UnicodeString,
        parameter_type: NdisParameterType,
    );
    fn ndis_read_network_address(
        &self,
        status: *mut NdisStatus,
        network_address: *mut *mut c_void,
        network_address_length: *mut u32,
        configuration_handle: NdisHandle,
    );
    fn ndis_close_configuration(&self, configuration_handle: NdisHandle);
    /// `NdisWriteErrorLogEntry(NdisAdapterHandle, ErrorCode, NumberOfErrorValues, ...)`: the
    /// variadic error values as a slice.
    fn ndis_write_error_log_entry(
        &self,
        ndis_adapter_handle: NdisHandle,
        error_code: NdisErrorCode,
        values: &[u32],
    );
    fn ndis_allocate_memory_with_tag_priority(
        &self,
        ndis_handle: NdisHandle,
        length: u32,
        tag: u32,
        priority: i32,
    ) -> *mut c_void;
    fn ndis_free_memory_with_tag_priority(&self, ndis_handle: NdisHandle, va: *mut c_void, tag: u32);
    fn ndis_allocate_net_buffer_list_pool(
        &self,
        ndis_handle: NdisHandle,
        parameters: &NetBufferListPoolParameters,
    ) -> NdisHandle;
    fn ndis_free_net_buffer_list_pool(&self, pool_handle: NdisHandle);
    fn ndis_allocate_net_buffer_and_net_buffer_list(
        &self,
        pool_handle: NdisHandle,
        context_size: u16,
        context_back_fill: u16,
        mdl_chain: *mut Mdl,
        data_offset: u32,
        data_length: usize,
    ) -> *mut NetBufferList;
    fn ndis_free_net_buffer_list(&self, net_buffer_list: *mut NetBufferList);
    fn ndis_allocate_mdl(
        &self,
        ndis_handle: NdisHandle,
        virtual_address: *mut c_void,
        length: u32,
    ) -> *mut Mdl;
    fn ndis_free_mdl(&self, mdl: *mut Mdl);
    /// `IoAllocateMdl(VirtualAddress, Length, FALSE, FALSE, NULL)`: an MDL with room for the pages
    /// of that range, describing none yet (for `IoBuildPartialMdl`).
    fn io_allocate_mdl(&self, virtual_address: *mut c_void, length: u32) -> *mut Mdl;
    fn io_free_mdl(&self, mdl: *mut Mdl);
    /// `IoBuildPartialMdl(SourceMdl, TargetMdl, VirtualAddress, Length)`.
    fn io_build_partial_mdl(
        &self,
        source: *mut Mdl,
        target: *mut Mdl,
        virtual_address: *mut c_void,
        length: u32,
    );
    /// wdm.h's `MmPrepareMdlForReuse(Mdl)`.
    fn mm_prepare_mdl_for_reuse(&self, mdl: *mut Mdl);
    /// `MmMapLockedPagesSpecifyCache(Mdl, KernelMode, MmCached, NULL, FALSE, Priority)`: what the
    /// `MmGetSystemAddressForMdlSafe` inline calls when the MDL is not mapped yet.
    fn mm_map_locked_pages_specify_cache(&self, mdl: *mut Mdl, priority: u32) -> *mut c_void;
    fn ndis_m_send_net_buffer_lists_complete(
        &self,
        miniport_adapter_handle: NdisHandle,
        net_buffer_list: *mut NetBufferList,
        send_complete_flags: u32,
    );
    fn ndis_m_indicate_receive_net_buffer_lists(
        &self,
        miniport_adapter_handle: NdisHandle,
        net_buffer_list: *mut NetBufferList,
        port_number: u32,
        number_of_net_buffer_lists: u32,
        receive_flags: u32,
    );
    fn ndis_m_oid_request_complete(
        &self,
        miniport_adapter_handle: NdisHandle,
        oid_request: *mut NdisOidRequest,
        status: NdisStatus,
    );
    fn ndis_m_pause_complete(&self, miniport_adapter_handle: NdisHandle);
    /// `NdisAllocateIoWorkItem(NdisObjectHandle)`: NULL on failure.
    fn ndis_allocate_io_work_item(&self, ndis_object_handle: NdisHandle) -> NdisHandle;
    /// `NdisQueueIoWorkItem(NdisIoWorkItemHandle, Routine, WorkItemContext)`.
    fn ndis_queue_io_work_item(
        &self,
        work_item: NdisHandle,
        routine: crate::miniport::NdisIoWorkItemRoutine,
        context: *mut core::ffi::c_void,
    );
    /// `NdisFreeIoWorkItem(NdisIoWorkItemHandle)`.
    fn ndis_free_io_work_item(&self, work_item: NdisHandle);
    /// `NdisMRestartComplete(h, Status)`: completes a `MiniportRestart` that returned PENDING.
    fn ndis_m_restart_complete(&self, miniport_adapter_handle: NdisHandle, status: NdisStatus);
    fn ndis_m_reset_complete(
        &self,
        miniport_adapter_handle: NdisHandle,
        status: NdisStatus,
        addressing_reset: Boolean,
    );
    fn ndis_m_indicate_status_ex(
        &self,
        miniport_adapter_handle: NdisHandle,
        status_indication: *const NdisStatusIndication,
    );
}

std::thread_local! {
    static CURRENT: RefCell<Option<Rc<dyn Kernel>>> = const { RefCell::new(None) };
}

/// Make `kernel` the OS for the driver code running on this thread.
pub fn install(kernel: Rc<dyn Kernel>) {
    CURRENT.with(|current| *current.borrow_mut() = Some(kernel));
}

/// Remove the kernel installed on this thread.
pub fn uninstall() {
    CURRENT.with(|current| *current.borrow_mut() = None);
}

/// The kernel installed on this thread. Driver code reaching the OS with none installed is a test
/// harness bug, reported as such.
pub fn current() -> Rc<dyn Kernel> {
    CURRENT
        .with(|current| current.borrow().clone())
        .unwrap_or_else(|| panic!("driver called the OS on a thread with no kernel-sim installed"))
}
