//! Host backend: every OS call goes to the kernel model that `kernel-sim` installed on this thread.
//! Nothing here but forwarding (docs/architecture.md, "The OS facade", rule 1): the model must see
//! exactly the calls Windows would see.

use core::ffi::c_void;
use core::ptr;
use ndis_types::config::{
    NdisConfigurationObject, NdisConfigurationParameter, NdisErrorCode, NdisParameterType, UnicodeString,
};
use ndis_types::handles::{
    DeviceObject, DriverObject, NdisHandle, RegistryPath, WdfContext, WdfDevice, WdfDriver, WdfIoTarget,
    WdfMemory, WdfObject, WdfRequest,
};
use ndis_types::host::{DeviceProperty, current};
use ndis_types::miniport::{NdisIoWorkItemRoutine, NdisMiniportDriverCharacteristics};
use ndis_types::nbl::{Mdl, NetBufferList, NetBufferListPoolParameters};
use ndis_types::object::NdisObjectHeader;
use ndis_types::oid::NdisStatusIndication;
use ndis_types::status::{NDIS_STATUS_FAILURE, NDIS_STATUS_SUCCESS, NdisStatus, NtStatus};
use ndis_types::wdf::{
    EvtWdfRequestCompletionRoutine, WdfDriverConfig, WdfIoTargetPurgeIoAction, WdfIoTargetSentIoAction,
    WdfObjectAttributes, WdfObjectContextTypeInfo, WdfRequestSendOptions,
};
use ndis_types::{Boolean, Kirql};

pub fn ke_get_current_irql() -> Kirql {
    current().ke_get_current_irql()
}

/// # Safety
/// `lock` points at a `KSPIN_LOCK` that stays in place while it is in use.
pub unsafe fn ke_initialize_spin_lock(lock: *mut usize) {
    current().ke_initialize_spin_lock(lock)
}

/// # Safety
/// As [`ke_initialize_spin_lock`].
pub unsafe fn ke_acquire_spin_lock_raise_to_dpc(lock: *mut usize) -> Kirql {
    current().ke_acquire_spin_lock_raise_to_dpc(lock)
}

/// # Safety
/// As [`ke_initialize_spin_lock`]; the lock is held by the caller.
pub unsafe fn ke_release_spin_lock(lock: *mut usize, new_irql: Kirql) {
    current().ke_release_spin_lock(lock, new_irql)
}

/// # Safety
/// As [`ke_initialize_spin_lock`].
pub unsafe fn ke_acquire_spin_lock_at_dpc_level(lock: *mut usize) {
    current().ke_acquire_spin_lock_at_dpc_level(lock)
}

/// # Safety
/// As [`ke_initialize_spin_lock`]; the lock is held by the caller.
pub unsafe fn ke_release_spin_lock_from_dpc_level(lock: *mut usize) {
    current().ke_release_spin_lock_from_dpc_level(lock)
}

pub fn wdf_driver_create(
    driver_object: DriverObject,
    registry_path: RegistryPath,
    config: &WdfDriverConfig,
) -> Result<WdfDriver, NtStatus> {
    current().wdf_driver_create(driver_object, registry_path, config)
}

pub fn wdf_get_driver() -> WdfDriver {
    current().wdf_get_driver()
}

pub fn wdf_driver_miniport_unload(driver: WdfDriver) {
    current().wdf_driver_miniport_unload(driver)
}

pub fn wdf_device_miniport_create(
    driver: WdfDriver,
    attributes: &WdfObjectAttributes,
    device_object: DeviceObject,
    attached_device_object: DeviceObject,
    pdo: DeviceObject,
) -> Result<WdfDevice, NtStatus> {
    current().wdf_device_miniport_create(driver, attributes, device_object, attached_device_object, pdo)
}

pub fn wdf_object_get_typed_context_worker(
    handle: WdfObject,
    type_info: &'static WdfObjectContextTypeInfo,
) -> *mut c_void {
    current().wdf_object_get_typed_context_worker(handle, type_info)
}

pub fn wdf_device_get_io_target(device: WdfDevice) -> WdfIoTarget {
    current().wdf_device_get_io_target(device)
}

pub fn wdf_request_create(
    attributes: &WdfObjectAttributes,
    io_target: WdfIoTarget,
) -> Result<WdfRequest, NtStatus> {
    current().wdf_request_create(attributes, io_target)
}

pub fn wdf_memory_create(
    attributes: &WdfObjectAttributes,
    pool_type: i32,
    pool_tag: u32,
    size: usize,
) -> Result<(WdfMemory, *mut c_void), NtStatus> {
    current().wdf_memory_create(attributes, pool_type, pool_tag, size)
}

pub fn wdf_io_target_format_request_for_read(
    io_target: WdfIoTarget,
    request: WdfRequest,
    output_buffer: WdfMemory,
) -> NtStatus {
    current().wdf_io_target_format_request_for_read(io_target, request, output_buffer)
}

pub fn wdf_io_target_format_request_for_write(
    io_target: WdfIoTarget,
    request: WdfRequest,
    input_buffer: WdfMemory,
    length: usize,
) -> NtStatus {
    current().wdf_io_target_format_request_for_write(io_target, request, input_buffer, length)
}

pub fn wdf_io_target_format_request_for_internal_ioctl(
    io_target: WdfIoTarget,
    request: WdfRequest,
    ioctl_code: u32,
    input_buffer: WdfMemory,
    output_buffer: WdfMemory,
) -> NtStatus {
    current().wdf_io_target_format_request_for_internal_ioctl(
        io_target,
        request,
        ioctl_code,
        input_buffer,
        output_buffer,
    )
}

pub fn wdf_io_target_send_internal_ioctl_synchronously(
    io_target: WdfIoTarget,
    request: WdfRequest,
    ioctl_code: u32,
    input: &[u8],
    output: &mut [u8],
    options: Option<&WdfRequestSendOptions>,
) -> Result<usize, NtStatus> {
    current().wdf_io_target_send_internal_ioctl_synchronously(
        io_target, request, ioctl_code, input, output, options,
    )
}

/// # Safety
/// As the Windows backend's: `routine` may be called with `context` when `request` completes.
pub unsafe fn wdf_request_set_completion_routine(
    request: WdfRequest,
    routine: Option<EvtWdfRequestCompletionRoutine>,
    context: WdfContext,
) {
    current().wdf_request_set_completion_routine(request, routine, context)
}

pub fn wdf_request_send(
    request: WdfRequest,
    io_target: WdfIoTarget,
    options: Option<&WdfRequestSendOptions>,
) -> bool {
    current().wdf_request_send(request, io_target, options)
}

pub fn wdf_request_get_status(request: WdfRequest) -> NtStatus {
    current().wdf_request_get_status(request)
}

pub fn wdf_request_get_information(request: WdfRequest) -> usize {
    current().wdf_request_get_information(request)
}

pub fn wdf_request_reuse(request: WdfRequest, flags: u32, status: NtStatus) -> NtStatus {
    current().wdf_request_reuse(request, flags, status)
}

pub fn wdf_request_cancel_sent_request(request: WdfRequest) -> bool {
    current().wdf_request_cancel_sent_request(request)
}

pub fn wdf_io_target_stop(io_target: WdfIoTarget, action: WdfIoTargetSentIoAction) {
    current().wdf_io_target_stop(io_target, action)
}

pub fn wdf_io_target_start(io_target: WdfIoTarget) -> NtStatus {
    current().wdf_io_target_start(io_target)
}

pub fn wdf_io_target_purge(io_target: WdfIoTarget, action: WdfIoTargetPurgeIoAction) {
    current().wdf_io_target_purge(io_target, action)
}

pub fn wdf_object_delete(object: WdfObject) {
    current().wdf_object_delete(object)
}

pub fn ndis_m_register_miniport_driver(
    driver_object: DriverObject,
    registry_path: RegistryPath,
    miniport_driver_context: NdisHandle,
    characteristics: &NdisMiniportDriverCharacteristics,
) -> Result<NdisHandle, NdisStatus> {
    current().ndis_m_register_miniport_driver(
        driver_object,
        registry_path,
        miniport_driver_context,
        characteristics,
    )
}

pub fn ndis_m_deregister_miniport_driver(ndis_miniport_driver_handle: NdisHandle) {
    current().ndis_m_deregister_miniport_driver(ndis_miniport_driver_handle)
}

/// # Safety
/// `attributes` points at a complete registration or general attributes structure whose
/// `Header.Size` bytes are readable.
pub unsafe fn ndis_m_set_miniport_attributes(
    ndis_miniport_handle: NdisHandle,
    attributes: *const NdisObjectHeader,
) -> NdisStatus {
    current().ndis_m_set_miniport_attributes(ndis_miniport_handle, attributes)
}

pub fn ndis_m_get_device_property(miniport_adapter_handle: NdisHandle) -> DeviceProperty {
    current().ndis_m_get_device_property(miniport_adapter_handle)
}

pub fn ndis_open_configuration_ex(config_object: &NdisConfigurationObject) -> Result<NdisHandle, NdisStatus> {
    let mut handle = NdisHandle::NULL;
    let status = current().ndis_open_configuration_ex(config_object, &mut handle);
    if status == NDIS_STATUS_SUCCESS { Ok(handle) } else { Err(status) }
}

/// # Safety
/// `configuration_handle` is open; the parameter returned lives until it is closed.
pub unsafe fn ndis_read_configuration(
    configuration_handle: NdisHandle,
    keyword: &UnicodeString,
    parameter_type: NdisParameterType,
) -> Result<*const NdisConfigurationParameter, NdisStatus> {
    let mut status = NDIS_STATUS_FAILURE;
    let mut parameter: *mut NdisConfigurationParameter = ptr::null_mut();
    current().ndis_read_configuration(
        &mut status,
        &mut parameter,
        configuration_handle,
        keyword,
        parameter_type,
    );
    if status == NDIS_STATUS_SUCCESS && !parameter.is_null() {
        Ok(parameter.cast_const())
    } else {
        Err(status)
    }
}

/// # Safety
/// `configuration_handle` is open; the bytes returned live until it is closed.
pub unsafe fn ndis_read_network_address(
    configuration_handle: NdisHandle,
) -> Result<(*const u8, u32), NdisStatus> {
    let mut status = NDIS_STATUS_FAILURE;
    let mut address: *mut c_void = ptr::null_mut();
    let mut length = 0u32;
    current().ndis_read_network_address(&mut status, &mut address, &mut length, configuration_handle);
    if status == NDIS_STATUS_SUCCESS && !address.is_null() {
        Ok((address.cast_const().cast(), length))
    } else {
        Err(status)
    }
}

/// # Safety
/// `configuration_handle` is open, and neither it nor anything read through it is used after.
pub unsafe fn ndis_close_configuration(configuration_handle: NdisHandle) {
    current().ndis_close_configuration(configuration_handle)
}

pub fn ndis_write_error_log_entry(ndis_adapter_handle: NdisHandle, error_code: NdisErrorCode, value: u32) {
    current().ndis_write_error_log_entry(ndis_adapter_handle, error_code, &[value])
}

pub fn ndis_allocate_memory_with_tag_priority(
    ndis_handle: NdisHandle,
    length: u32,
    tag: u32,
    priority: i32,
) -> *mut c_void {
    current().ndis_allocate_memory_with_tag_priority(ndis_handle, length, tag, priority)
}

/// # Safety
/// `va` came from [`ndis_allocate_memory_with_tag_priority`] with `tag` and is not used after.
pub unsafe fn ndis_free_memory_with_tag_priority(ndis_handle: NdisHandle, va: *mut c_void, tag: u32) {
    current().ndis_free_memory_with_tag_priority(ndis_handle, va, tag)
}

pub fn ndis_allocate_net_buffer_list_pool(
    ndis_handle: NdisHandle,
    parameters: &NetBufferListPoolParameters,
) -> NdisHandle {
    current().ndis_allocate_net_buffer_list_pool(ndis_handle, parameters)
}

/// # Safety
/// Every NBL of the pool has been freed.
pub unsafe fn ndis_free_net_buffer_list_pool(pool_handle: NdisHandle) {
    current().ndis_free_net_buffer_list_pool(pool_handle)
}

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
    current().ndis_allocate_net_buffer_and_net_buffer_list(
        pool_handle,
        context_size,
        context_back_fill,
        mdl_chain,
        data_offset,
        data_length,
    )
}

/// # Safety
/// `net_buffer_list` came from this driver's pool, is owned by the driver and is not used after.
pub unsafe fn ndis_free_net_buffer_list(net_buffer_list: *mut NetBufferList) {
    current().ndis_free_net_buffer_list(net_buffer_list)
}

/// # Safety
/// `virtual_address` is nonpaged memory of at least `length` bytes that outlives the MDL.
pub unsafe fn ndis_allocate_mdl(
    ndis_handle: NdisHandle,
    virtual_address: *mut c_void,
    length: u32,
) -> *mut Mdl {
    current().ndis_allocate_mdl(ndis_handle, virtual_address, length)
}

/// # Safety
/// `mdl` came from [`ndis_allocate_mdl`] and is not used after.
pub unsafe fn ndis_free_mdl(mdl: *mut Mdl) {
    current().ndis_free_mdl(mdl)
}

/// # Safety
/// As the Windows backend's: `virtual_address..+length` is the range the MDL is sized for.
pub unsafe fn io_allocate_mdl(virtual_address: *mut c_void, length: u32) -> *mut Mdl {
    current().io_allocate_mdl(virtual_address, length)
}

/// # Safety
/// `mdl` came from [`io_allocate_mdl`], is referenced by nothing and is not used after.
pub unsafe fn io_free_mdl(mdl: *mut Mdl) {
    current().io_free_mdl(mdl)
}

/// # Safety
/// As the Windows backend's: `source` describes locked or nonpaged memory containing
/// `virtual_address..+length`, and `target` (from [`io_allocate_mdl`], prepared for reuse) is
/// large enough for it and used by no one else.
pub unsafe fn io_build_partial_mdl(
    source: *mut Mdl,
    target: *mut Mdl,
    virtual_address: *mut c_void,
    length: u32,
) {
    current().io_build_partial_mdl(source, target, virtual_address, length)
}

/// # Safety
/// `mdl` came from [`io_allocate_mdl`] and is used by no one else.
pub unsafe fn mm_prepare_mdl_for_reuse(mdl: *mut Mdl) {
    current().mm_prepare_mdl_for_reuse(mdl)
}

/// # Safety
/// As the Windows backend's: `mdl` is the MDL of an NBL the caller owns for the call.
pub unsafe fn mm_map_locked_pages_specify_cache(mdl: *mut Mdl, priority: u32) -> *mut c_void {
    current().mm_map_locked_pages_specify_cache(mdl, priority)
}

/// # Safety
/// `net_buffer_list` is a chain of NBLs NDIS sent to this miniport and not yet completed.
pub unsafe fn ndis_m_send_net_buffer_lists_complete(
    miniport_adapter_handle: NdisHandle,
    net_buffer_list: *mut NetBufferList,
    send_complete_flags: u32,
) {
    current().ndis_m_send_net_buffer_lists_complete(
        miniport_adapter_handle,
        net_buffer_list,
        send_complete_flags,
    )
}

pub fn ndis_m_pause_complete(miniport_adapter_handle: NdisHandle) {
    current().ndis_m_pause_complete(miniport_adapter_handle)
}

pub fn ndis_allocate_io_work_item(ndis_object_handle: NdisHandle) -> NdisHandle {
    current().ndis_allocate_io_work_item(ndis_object_handle)
}

/// # Safety
/// `work_item` is a live work item that is not queued; `context` is valid whenever `routine` runs.
pub unsafe fn ndis_queue_io_work_item(
    work_item: NdisHandle,
    routine: NdisIoWorkItemRoutine,
    context: *mut c_void,
) {
    current().ndis_queue_io_work_item(work_item, routine, context)
}

/// # Safety
/// `work_item` came from `ndis_allocate_io_work_item` and is not queued.
pub unsafe fn ndis_free_io_work_item(work_item: NdisHandle) {
    current().ndis_free_io_work_item(work_item)
}

/// # Safety
/// `net_buffer_list` is a chain of `number_of_net_buffer_lists` receive NBLs the miniport owns.
pub unsafe fn ndis_m_indicate_receive_net_buffer_lists(
    miniport_adapter_handle: NdisHandle,
    net_buffer_list: *mut NetBufferList,
    port_number: u32,
    number_of_net_buffer_lists: u32,
    receive_flags: u32,
) {
    current().ndis_m_indicate_receive_net_buffer_lists(
        miniport_adapter_handle,
        net_buffer_list,
        port_number,
        number_of_net_buffer_lists,
        receive_flags,
    )
}

/// # Safety
/// `status_indication` and its status buffer are valid for the call.
pub unsafe fn ndis_m_indicate_status_ex(
    miniport_adapter_handle: NdisHandle,
    status_indication: *const NdisStatusIndication,
) {
    current().ndis_m_indicate_status_ex(miniport_adapter_handle, status_indication)
}

pub fn ndis_m_reset_complete(
    miniport_adapter_handle: NdisHandle,
    status: NdisStatus,
    addressing_reset: Boolean,
) {
    current().ndis_m_reset_complete(miniport_adapter_handle, status, addressing_reset)
}
