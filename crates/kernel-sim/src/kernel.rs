//! `ndis_types::host::Kernel` for the model: one method per OS call, each forwarding to the module
//! that models it. Methods that may run driver callbacks (completion routines, the scheduler) live
//! on `Inner` and release the state borrow around every call into the driver.

use crate::kmdf::IoKind;
use crate::ndis::pnp::Op;
use crate::state::Inner;
use core::ffi::c_void;
use ndis_types::config::{
    NdisConfigurationObject, NdisConfigurationParameter, NdisErrorCode, NdisParameterType, UnicodeString,
};
use ndis_types::host::{DeviceProperty, Kernel};
use ndis_types::miniport::NdisMiniportDriverCharacteristics;
use ndis_types::nbl::{Mdl, NetBufferList, NetBufferListPoolParameters};
use ndis_types::object::NdisObjectHeader;
use ndis_types::oid::{NdisOidRequest, NdisStatusIndication};
use ndis_types::wdf::*;
use ndis_types::*;

impl Inner {
    fn note(&self, api: &'static str) {
        self.with(|st| {
            if st.trace.enabled() {
                st.log(api)
            }
        });
    }
}

/// The model as one processor's OS: what `ndis_types::host::install` puts on a thread.
pub(crate) struct KernelHandle(pub(crate) crate::mp::Shared<Inner>);

impl core::ops::Deref for KernelHandle {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl Kernel for KernelHandle {
    fn ke_get_current_irql(&self) -> Kirql {
        self.with(|st| st.cpu.irql)
    }

    fn ke_initialize_spin_lock(&self, lock: *mut usize) {
        self.with(|st| st.ke_initialize_spin_lock(lock))
    }

    fn ke_acquire_spin_lock_raise_to_dpc(&self, lock: *mut usize) -> Kirql {
        self.acquire_when_free("KeAcquireSpinLockRaiseToDpc", lock, |st| {
            st.ke_acquire_spin_lock_raise_to_dpc(lock)
        })
    }

    fn ke_release_spin_lock(&self, lock: *mut usize, new_irql: Kirql) {
        self.with(|st| st.ke_release_spin_lock(lock, new_irql))
    }

    fn ke_acquire_spin_lock_at_dpc_level(&self, lock: *mut usize) {
        self.acquire_when_free("KeAcquireSpinLockAtDpcLevel", lock, |st| {
            st.ke_acquire_spin_lock_at_dpc_level(lock)
        })
    }

    fn ke_release_spin_lock_from_dpc_level(&self, lock: *mut usize) {
        self.with(|st| st.ke_release_spin_lock_from_dpc_level(lock))
    }

    fn wdf_driver_create(
        &self,
        driver_object: DriverObject,
        _registry_path: RegistryPath,
        config: &WdfDriverConfig,
    ) -> Result<WdfDriver, NtStatus> {
        self.note("WdfDriverCreate");
        self.with(|st| st.wdf_driver_create(driver_object, config))
    }

    fn wdf_get_driver(&self) -> WdfDriver {
        self.with(|st| st.wdf_get_driver())
    }

    fn wdf_driver_miniport_unload(&self, driver: WdfDriver) {
        self.note("WdfDriverMiniportUnload");
        self.with(|st| st.wdf_driver_miniport_unload(driver))
    }

    fn wdf_device_miniport_create(
        &self,
        driver: WdfDriver,
        attributes: &WdfObjectAttributes,
        device_object: DeviceObject,
        attached_device_object: DeviceObject,
        pdo: DeviceObject,
    ) -> Result<WdfDevice, NtStatus> {
        self.note("WdfDeviceMiniportCreate");
        self.with(|st| {
            st.wdf_device_miniport_create(driver, attributes, device_object, attached_device_object, pdo)
        })
    }

    fn wdf_object_get_typed_context_worker(
        &self,
        handle: WdfObject,
        type_info: &'static WdfObjectContextTypeInfo,
    ) -> *mut c_void {
        self.with(|st| st.wdf_object_get_typed_context(handle, type_info))
    }

    fn wdf_device_get_io_target(&self, device: WdfDevice) -> WdfIoTarget {
        self.with(|st| st.wdf_device_get_io_target(device))
    }

    fn wdf_request_create(
        &self,
        attributes: &WdfObjectAttributes,
        io_target: WdfIoTarget,
    ) -> Result<WdfRequest, NtStatus> {
        self.note("WdfRequestCreate");
        self.with(|st| st.wdf_request_create(attributes, io_target))
    }

    fn wdf_memory_create(
        &self,
        attributes: &WdfObjectAttributes,
        pool_type: i32,
        pool_tag: u32,
        size: usize,
    ) -> Result<(WdfMemory, *mut c_void), NtStatus> {
        self.note("WdfMemoryCreate");
        self.with(|st| st.wdf_memory_create(attributes, pool_type, pool_tag, size))
    }

    fn wdf_io_target_format_request_for_read(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        output_buffer: WdfMemory,
    ) -> NtStatus {
        self.with(|st| {
            st.wdf_format_request(
                "WdfIoTargetFormatRequestForRead",
                io_target,
                request,
                output_buffer,
                IoKind::Read,
                None,
            )
        })
    }

    fn wdf_io_target_format_request_for_write(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        input_buffer: WdfMemory,
        length: usize,
    ) -> NtStatus {
        self.with(|st| {
            st.wdf_format_request(
                "WdfIoTargetFormatRequestForWrite",
                io_target,
                request,
                input_buffer,
                IoKind::Write,
                Some(length),
            )
        })
    }

    fn wdf_io_target_format_request_for_internal_ioctl(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        ioctl_code: u32,
        input_buffer: WdfMemory,
        output_buffer: WdfMemory,
    ) -> NtStatus {
        self.with(|st| {
            st.wdf_format_internal_ioctl(io_target, request, ioctl_code, input_buffer, output_buffer)
        })
    }

    fn wdf_io_target_send_internal_ioctl_synchronously(
        &self,
        io_target: WdfIoTarget,
        request: WdfRequest,
        ioctl_code: u32,
        input: &[u8],
        output: &mut [u8],
        options: Option<&WdfRequestSendOptions>,
    ) -> Result<usize, NtStatus> {
        self.note("WdfIoTargetSendInternalIoctlSynchronously");
        Inner::wdf_send_internal_ioctl_sync(self, io_target, request, ioctl_code, input, output, options)
    }

    fn wdf_request_set_completion_routine(
        &self,
        request: WdfRequest,
        routine: Option<EvtWdfRequestCompletionRoutine>,
        context: WdfContext,
    ) {
        self.with(|st| st.wdf_request_set_completion_routine(request, routine, context))
    }

    fn wdf_request_send(
        &self,
        request: WdfRequest,
        io_target: WdfIoTarget,
        options: Option<&WdfRequestSendOptions>,
    ) -> bool {
        self.note("WdfRequestSend");
        Inner::wdf_request_send(self, request, io_target, options)
    }

    fn wdf_request_get_status(&self, request: WdfRequest) -> NtStatus {
        self.with(|st| st.wdf_request_get("WdfRequestGetStatus", request))
            .map_or(STATUS_INVALID_PARAMETER, |(s, _)| s)
    }

    fn wdf_request_get_information(&self, request: WdfRequest) -> usize {
        self.with(|st| st.wdf_request_get("WdfRequestGetInformation", request)).map_or(0, |(_, i)| i)
    }

    fn wdf_request_reuse(&self, request: WdfRequest, _flags: u32, status: NtStatus) -> NtStatus {
        self.with(|st| st.wdf_request_reuse(request, status))
    }

    fn wdf_request_cancel_sent_request(&self, request: WdfRequest) -> bool {
        self.note("WdfRequestCancelSentRequest");
        Inner::wdf_request_cancel_sent_request(self, request)
    }

    fn wdf_io_target_stop(&self, io_target: WdfIoTarget, action: WdfIoTargetSentIoAction) {
        self.note("WdfIoTargetStop");
        Inner::wdf_io_target_stop(self, io_target, action)
    }

    fn wdf_io_target_purge(&self, io_target: WdfIoTarget, action: WdfIoTargetPurgeIoAction) {
        self.note("WdfIoTargetPurge");
        Inner::wdf_io_target_purge(self, io_target, action)
    }

    fn wdf_io_target_start(&self, io_target: WdfIoTarget) -> NtStatus {
        self.note("WdfIoTargetStart");
        Inner::wdf_io_target_start(self, io_target)
    }

    fn wdf_object_delete(&self, object: WdfObject) {
        self.note("WdfObjectDelete");
        Inner::wdf_object_delete(self, object)
    }

    fn ndis_m_register_miniport_driver(
        &self,
        driver_object: DriverObject,
        _registry_path: RegistryPath,
        miniport_driver_context: NdisHandle,
        characteristics: &NdisMiniportDriverCharacteristics,
    ) -> Result<NdisHandle, NdisStatus> {
        self.note("NdisMRegisterMiniportDriver");
        self.with(|st| {
            st.ndis_m_register_miniport_driver(driver_object, miniport_driver_context, characteristics)
        })
    }

    fn ndis_m_deregister_miniport_driver(&self, handle: NdisHandle) {
        self.note("NdisMDeregisterMiniportDriver");
        self.with(|st| st.ndis_m_deregister_miniport_driver(handle))
    }

    fn ndis_m_set_miniport_attributes(
        &self,
        handle: NdisHandle,
        attributes: *const NdisObjectHeader,
    ) -> NdisStatus {
        self.note("NdisMSetMiniportAttributes");
        self.with(|st| st.ndis_m_set_miniport_attributes(handle, attributes))
    }

    fn ndis_open_configuration_ex(
        &self,
        config_object: *const NdisConfigurationObject,
        configuration_handle: *mut NdisHandle,
    ) -> NdisStatus {
        self.note("NdisOpenConfigurationEx");
        self.with(|st| st.ndis_open_configuration_ex(config_object, configuration_handle))
    }

    fn ndis_read_configuration(
        &self,
        status: *mut NdisStatus,
        parameter_value: *mut *mut NdisConfigurationParameter,
        configuration_handle: NdisHandle,
        keyword: *const UnicodeString,
        parameter_type: NdisParameterType,
    ) {
        self.note("NdisReadConfiguration");
        self.with(|st| {
            st.ndis_read_configuration(status, parameter_value, configuration_handle, keyword, parameter_type)
        })
    }

    fn ndis_read_network_address(
        &self,
        status: *mut NdisStatus,
        network_address: *mut *mut c_void,
        network_address_length: *mut u32,
        configuration_handle: NdisHandle,
    ) {
        self.note("NdisReadNetworkAddress");
        self.with(|st| {
            st.ndis_read_network_address(
                status,
                network_address,
                network_address_length,
                configuration_handle,
            )
        })
    }

    fn ndis_close_configuration(&self, configuration_handle: NdisHandle) {
        self.note("NdisCloseConfiguration");
        self.with(|st| st.ndis_close_configuration(configuration_handle))
    }

    fn ndis_write_error_log_entry(
        &self,
        ndis_adapter_handle: NdisHandle,
        error_code: NdisErrorCode,
        values: &[u32],
    ) {
        self.note("NdisWriteErrorLogEntry");
        self.with(|st| st.ndis_write_error_log_entry(ndis_adapter_handle, error_code, values))
    }

    fn ndis_m_get_device_property(&self, handle: NdisHandle) -> DeviceProperty {
        self.note("NdisMGetDeviceProperty");
        self.with(|st| st.ndis_m_get_device_property(handle))
    }

    fn ndis_allocate_memory_with_tag_priority(
        &self,
        handle: NdisHandle,
        length: u32,
        tag: u32,
        _priority: i32,
    ) -> *mut c_void {
        self.with(|st| st.ndis_allocate_memory(handle, length, tag))
    }

    fn ndis_free_memory_with_tag_priority(&self, _handle: NdisHandle, va: *mut c_void, tag: u32) {
        self.with(|st| st.ndis_free_memory(va, tag))
    }

    fn ndis_allocate_net_buffer_list_pool(
        &self,
        handle: NdisHandle,
        parameters: &NetBufferListPoolParameters,
    ) -> NdisHandle {
        self.note("NdisAllocateNetBufferListPool");
        self.with(|st| st.ndis_allocate_net_buffer_list_pool(handle, parameters))
    }

    fn ndis_free_net_buffer_list_pool(&self, pool_handle: NdisHandle) {
        self.note("NdisFreeNetBufferListPool");
        self.with(|st| st.ndis_free_net_buffer_list_pool(pool_handle))
    }

    fn ndis_allocate_net_buffer_and_net_buffer_list(
        &self,
        pool_handle: NdisHandle,
        context_size: u16,
        context_back_fill: u16,
        mdl_chain: *mut Mdl,
        data_offset: u32,
        data_length: usize,
    ) -> *mut NetBufferList {
        self.with(|st| {
            st.ndis_allocate_nbl(
                pool_handle,
                context_size,
                context_back_fill,
                mdl_chain,
                data_offset,
                data_length,
            )
        })
    }

    fn ndis_free_net_buffer_list(&self, net_buffer_list: *mut NetBufferList) {
        self.with(|st| st.ndis_free_nbl(net_buffer_list))
    }

    fn ndis_allocate_mdl(&self, handle: NdisHandle, virtual_address: *mut c_void, length: u32) -> *mut Mdl {
        self.with(|st| st.ndis_allocate_mdl(handle, virtual_address, length))
    }

    fn ndis_free_mdl(&self, mdl: *mut Mdl) {
        self.with(|st| st.ndis_free_mdl(mdl))
    }

    fn io_allocate_mdl(&self, virtual_address: *mut c_void, length: u32) -> *mut Mdl {
        self.with(|st| st.io_allocate_mdl(virtual_address, length))
    }

    fn io_free_mdl(&self, mdl: *mut Mdl) {
        self.with(|st| st.io_free_mdl(mdl))
    }

    fn io_build_partial_mdl(
        &self,
        source: *mut Mdl,
        target: *mut Mdl,
        virtual_address: *mut c_void,
        length: u32,
    ) {
        self.with(|st| st.io_build_partial_mdl(source, target, virtual_address, length))
    }

    fn mm_prepare_mdl_for_reuse(&self, mdl: *mut Mdl) {
        self.with(|st| st.mm_prepare_mdl_for_reuse(mdl))
    }

    fn mm_map_locked_pages_specify_cache(&self, mdl: *mut Mdl, priority: u32) -> *mut c_void {
        self.note("MmMapLockedPagesSpecifyCache");
        self.with(|st| st.mm_map_locked_pages(mdl, priority))
    }

    fn ndis_m_send_net_buffer_lists_complete(
        &self,
        handle: NdisHandle,
        net_buffer_list: *mut NetBufferList,
        send_complete_flags: u32,
    ) {
        self.note("NdisMSendNetBufferListsComplete");
        self.with(|st| st.ndis_m_send_complete(handle, net_buffer_list, send_complete_flags))
    }

    fn ndis_m_indicate_receive_net_buffer_lists(
        &self,
        handle: NdisHandle,
        net_buffer_list: *mut NetBufferList,
        _port_number: u32,
        number_of_net_buffer_lists: u32,
        receive_flags: u32,
    ) {
        self.note("NdisMIndicateReceiveNetBufferLists");
        let inline = self.with(|st| {
            st.ndis_m_indicate_receive(handle, net_buffer_list, number_of_net_buffer_lists, receive_flags);
            st.take_inline_returns(handle)
        });
        if let Some((adapter, nbls)) = inline {
            self.return_nbls(adapter, nbls, true);
        }
    }

    fn ndis_m_oid_request_complete(
        &self,
        handle: NdisHandle,
        oid_request: *mut NdisOidRequest,
        status: NdisStatus,
    ) {
        self.note("NdisMOidRequestComplete");
        self.with(|st| st.ndis_m_oid_request_complete(handle, oid_request, status))
    }

    fn ndis_allocate_io_work_item(&self, ndis_object_handle: NdisHandle) -> NdisHandle {
        self.note("NdisAllocateIoWorkItem");
        self.with(|st| st.ndis_allocate_io_work_item(ndis_object_handle))
    }

    fn ndis_queue_io_work_item(
        &self,
        work_item: NdisHandle,
        routine: ndis_types::miniport::NdisIoWorkItemRoutine,
        context: *mut c_void,
    ) {
        self.note("NdisQueueIoWorkItem");
        self.with(|st| st.ndis_queue_io_work_item(work_item, routine, context))
    }

    fn ndis_free_io_work_item(&self, work_item: NdisHandle) {
        self.note("NdisFreeIoWorkItem");
        self.with(|st| st.ndis_free_io_work_item(work_item))
    }

    fn ndis_m_pause_complete(&self, handle: NdisHandle) {
        self.note("NdisMPauseComplete");
        self.with(|st| st.ndis_m_complete_op(Op::Pause, handle, NDIS_STATUS_SUCCESS, false))
    }

    fn ndis_m_restart_complete(&self, handle: NdisHandle, status: NdisStatus) {
        self.note("NdisMRestartComplete");
        self.with(|st| st.ndis_m_complete_op(Op::Restart, handle, status, false))
    }

    fn ndis_m_reset_complete(&self, handle: NdisHandle, status: NdisStatus, addressing_reset: Boolean) {
        self.note("NdisMResetComplete");
        self.with(|st| st.ndis_m_complete_op(Op::Reset, handle, status, addressing_reset != FALSE))
    }

    fn ndis_m_indicate_status_ex(&self, handle: NdisHandle, status_indication: *const NdisStatusIndication) {
        self.note("NdisMIndicateStatusEx");
        self.with(|st| st.ndis_m_indicate_status_ex(handle, status_indication))
    }
}
