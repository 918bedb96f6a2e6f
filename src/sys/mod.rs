//! The OS facade: the only place the driver reaches Windows (or the kernel model standing in for it).
//!
//! - `windows/`: the backend on wdk-sys and the bindgen output of `ndis.h`/`wdfminiport.h`.
//! - `host/`: the backend that forwards every call to `kernel-sim`.
//!
//! Both backends export the same functions, one per OS call, named after it (docs/architecture.md,
//! "The facade"). This file re-exports them and adds the OS calls whose C form is a macro or an
//! inline function over a structure (`NdisMSetMiniportAttributes` with each attribute kind,
//! `NdisMIndicateStatusEx` with a link state, the IRQL tests of the `*_DISPATCH_LEVEL` flags).
//! What owns OS objects is not here: the modules that wrap them (`sync`, `pool`, `work_item`,
//! `nbl`, `lower::requests`, `lower::device_context`, `oid_request`) call these functions.
#![allow(unsafe_code)]

#[cfg(not(windows))]
mod host;
#[cfg(not(windows))]
use host as backend;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as backend;

use ndis_types::handles::NdisHandle;
use ndis_types::miniport::{NdisMiniportAdapterGeneralAttributes, NdisMiniportAdapterRegistrationAttributes};
use ndis_types::nbl::{NDIS_DEFAULT_PORT_NUMBER, NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL};
use ndis_types::object::{
    NDIS_OBJECT_TYPE_STATUS_INDICATION, NDIS_SIZEOF_LINK_STATE_REVISION_1,
    NDIS_SIZEOF_STATUS_INDICATION_REVISION_1, NDIS_STATUS_INDICATION_REVISION_1, NdisObjectHeader,
};
use ndis_types::oid::{Guid, NdisLinkState, NdisStatusIndication};
use ndis_types::status::{NDIS_STATUS_LINK_STATE, NdisStatus};
use ndis_types::{DISPATCH_LEVEL, FALSE, TRUE};

pub use backend::{
    io_allocate_mdl, io_build_partial_mdl, io_free_mdl, ke_acquire_spin_lock_at_dpc_level,
    ke_acquire_spin_lock_raise_to_dpc, ke_get_current_irql, ke_initialize_spin_lock, ke_release_spin_lock,
    ke_release_spin_lock_from_dpc_level, mm_map_locked_pages_specify_cache, mm_prepare_mdl_for_reuse,
    ndis_allocate_io_work_item, ndis_allocate_mdl, ndis_allocate_memory_with_tag_priority,
    ndis_allocate_net_buffer_and_net_buffer_list, ndis_allocate_net_buffer_list_pool,
    ndis_close_configuration, ndis_free_io_work_item, ndis_free_mdl, ndis_free_memory_with_tag_priority,
    ndis_free_net_buffer_list, ndis_free_net_buffer_list_pool, ndis_m_deregister_miniport_driver,
    ndis_m_get_device_property, ndis_m_indicate_receive_net_buffer_lists, ndis_m_pause_complete,
    ndis_m_register_miniport_driver, ndis_m_send_net_buffer_lists_complete, ndis_open_configuration_ex,
    ndis_queue_io_work_item, ndis_read_configuration, ndis_read_network_address, ndis_write_error_log_entry,
    wdf_device_get_io_target, wdf_device_miniport_create, wdf_driver_create, wdf_driver_miniport_unload,
    wdf_get_driver, wdf_io_target_format_request_for_internal_ioctl, wdf_io_target_format_request_for_read,
    wdf_io_target_format_request_for_write, wdf_io_target_purge,
    wdf_io_target_send_internal_ioctl_synchronously, wdf_io_target_start, wdf_io_target_stop,
    wdf_memory_create, wdf_object_delete, wdf_object_get_typed_context_worker,
    wdf_request_cancel_sent_request, wdf_request_create, wdf_request_get_information, wdf_request_get_status,
    wdf_request_reuse, wdf_request_send, wdf_request_set_completion_routine,
};

#[cfg(not(windows))]
pub use ndis_types::host::DeviceProperty;
#[cfg(windows)]
pub use windows::DeviceProperty;

use core::ptr;

/// `NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL` exactly when completing at DISPATCH_LEVEL.
pub fn send_complete_flags_here() -> u32 {
    if at_dispatch_level() { NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL } else { 0 }
}

/// True when the caller runs at `DISPATCH_LEVEL`: what the `*_DISPATCH_LEVEL` flags must say
/// (Doc "Dispatch IRQL Tracking").
pub fn at_dispatch_level() -> bool {
    ke_get_current_irql() >= DISPATCH_LEVEL
}

// ---------------------------------------------------------------------------------------------
// Attributes

/// `NdisMSetMiniportAttributes` with registration attributes.
pub fn ndis_m_set_registration_attributes(
    miniport: NdisHandle,
    attributes: &NdisMiniportAdapterRegistrationAttributes,
) -> NdisStatus {
    // SAFETY: a complete structure, borrowed for the call.
    unsafe { backend::ndis_m_set_miniport_attributes(miniport, ptr::from_ref(&attributes.Header)) }
}

/// `NdisMSetMiniportAttributes` with general attributes. NDIS copies everything, including the
/// supported OID list, before it returns.
pub fn ndis_m_set_general_attributes(
    miniport: NdisHandle,
    attributes: &NdisMiniportAdapterGeneralAttributes,
) -> NdisStatus {
    // SAFETY: a complete structure, borrowed for the call.
    unsafe { backend::ndis_m_set_miniport_attributes(miniport, ptr::from_ref(&attributes.Header)) }
}

/// `NdisMIndicateStatusEx(NDIS_STATUS_LINK_STATE)` with an `NDIS_LINK_STATE`.
pub fn indicate_link_state(miniport: NdisHandle, link: &NdisLinkState) {
    let indication = NdisStatusIndication {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_STATUS_INDICATION,
            NDIS_STATUS_INDICATION_REVISION_1,
            NDIS_SIZEOF_STATUS_INDICATION_REVISION_1,
        ),
        SourceHandle: miniport,
        PortNumber: NDIS_DEFAULT_PORT_NUMBER,
        StatusCode: NDIS_STATUS_LINK_STATE,
        Flags: 0,
        DestinationHandle: NdisHandle::NULL,
        RequestId: ptr::null_mut(),
        StatusBuffer: ptr::from_ref(link).cast_mut().cast(),
        StatusBufferSize: u32::from(NDIS_SIZEOF_LINK_STATE_REVISION_1),
        Guid: Guid::default(),
        NdisReserved: [ptr::null_mut(); 4],
    };
    // SAFETY: both structures live on this stack frame for the call; NDIS copies what it keeps.
    unsafe { backend::ndis_m_indicate_status_ex(miniport, &indication) }
}

/// `NdisMResetComplete`.
pub fn ndis_m_reset_complete(miniport: NdisHandle, status: NdisStatus, addressing_reset: bool) {
    backend::ndis_m_reset_complete(miniport, status, if addressing_reset { TRUE } else { FALSE })
}
