//! The driver object: `DriverEntry` and `MiniportDriverUnload`.
//!
//! Order (Doc "Creating KMDF Miniport Drivers"; WDK 6001 sample
//! src/kmdf/ndisedge/60/NdisWdm.c:46-160, DriverEntry): `WdfDriverCreate` with
//! `WdfDriverInitNoDispatchOverride` so that NDIS, not KMDF, owns the IRP dispatch table; then
//! `NdisMRegisterMiniportDriver` with `NDIS_WDM_DRIVER`. Unload is the mirror image:
//! `WdfDriverMiniportUnload`, then `NdisMDeregisterMiniportDriver`.

use crate::adapter::entry;
use crate::sync::atomic::{AtomicPtr, Ordering};
use crate::sys;
use crate::version::{DRIVER_MAJOR_VERSION, DRIVER_MINOR_VERSION, NDIS_MAJOR_VERSION, NDIS_MINOR_VERSION};
use ndis_types::handles::{DriverObject, NdisHandle, RegistryPath};
use ndis_types::miniport::{NDIS_WDM_DRIVER, NdisMiniportDriverCharacteristics};
use ndis_types::object::{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
    NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2, NdisObjectHeader,
};
use ndis_types::status::{NtStatus, STATUS_SUCCESS};
use ndis_types::wdf::{WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE, WdfDriverConfig};

/// Pool tag of KMDF's allocations on the driver's behalf (`WDF_DRIVER_CONFIG.DriverPoolTag`).
pub const DRIVER_POOL_TAG: u32 = u32::from_le_bytes(*b"KmDr");

/// `NdisMiniportDriverHandle` from `NdisMRegisterMiniportDriver`, kept for the deregistration.
static NDIS_DRIVER_HANDLE: AtomicPtr<core::ffi::c_void> = AtomicPtr::new(core::ptr::null_mut());

/// The characteristics handed to NDIS: revision 2 (NDIS 6.1+), every required handler, no
/// `CheckForHangHandlerEx` (a virtual, WDM-lower-edge miniport has no hardware to poll; Doc
/// `registering-miniport-driver-functions-for-wdm-lower-edge`), no direct OID path.
pub fn characteristics() -> NdisMiniportDriverCharacteristics {
    NdisMiniportDriverCharacteristics {
        Header: NdisObjectHeader::new(
            NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
            NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
            NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
        ),
        MajorNdisVersion: NDIS_MAJOR_VERSION,
        MinorNdisVersion: NDIS_MINOR_VERSION,
        MajorDriverVersion: DRIVER_MAJOR_VERSION,
        MinorDriverVersion: DRIVER_MINOR_VERSION,
        Flags: NDIS_WDM_DRIVER,
        SetOptionsHandler: None,
        InitializeHandlerEx: Some(entry::miniport_initialize_ex),
        HaltHandlerEx: Some(entry::miniport_halt_ex),
        UnloadHandler: Some(miniport_driver_unload),
        PauseHandler: Some(entry::miniport_pause),
        RestartHandler: Some(entry::miniport_restart),
        OidRequestHandler: Some(entry::miniport_oid_request),
        SendNetBufferListsHandler: Some(entry::miniport_send_net_buffer_lists),
        ReturnNetBufferListsHandler: Some(entry::miniport_return_net_buffer_lists),
        CancelSendHandler: Some(entry::miniport_cancel_send),
        CheckForHangHandlerEx: None,
        ResetHandlerEx: Some(entry::miniport_reset_ex),
        DevicePnPEventNotifyHandler: Some(entry::miniport_device_pnp_event_notify),
        ShutdownHandlerEx: Some(entry::miniport_shutdown_ex),
        CancelOidRequestHandler: Some(entry::miniport_cancel_oid_request),
        DirectOidRequestHandler: None,
        CancelDirectOidRequestHandler: None,
    }
}

/// `DriverEntry` (KMDF's `FxDriverEntry` calls it by this exported name).
///
/// If NDIS refuses the registration, the framework side is undone with `WdfDriverMiniportUnload`
/// before the error is returned, so the image unloads clean. The ndisedge sample just returns; the
/// call is our choice (Doc `nf-wdfminiport-wdfdriverminiportunload`: it deletes the framework driver
/// object).
// The one name the KMDF stub (FxDriverEntry, wdk-build's `/ENTRY`) looks up.
#[allow(unsafe_code)]
#[unsafe(export_name = "DriverEntry")]
pub extern "system" fn driver_entry(driver_object: DriverObject, registry_path: RegistryPath) -> NtStatus {
    let config = WdfDriverConfig {
        driver_init_flags: WDF_DRIVER_INIT_NO_DISPATCH_OVERRIDE,
        driver_pool_tag: DRIVER_POOL_TAG,
    };
    if let Err(status) = sys::wdf_driver_create(driver_object, registry_path, &config) {
        return status;
    }

    let characteristics = characteristics();
    match sys::ndis_m_register_miniport_driver(
        driver_object,
        registry_path,
        NdisHandle::NULL,
        &characteristics,
    ) {
        Ok(handle) => {
            NDIS_DRIVER_HANDLE.store(handle.as_ptr(), Ordering::Release);
            STATUS_SUCCESS
        }
        Err(status) => {
            sys::wdf_driver_miniport_unload(sys::wdf_get_driver());
            // DriverEntry returns NDIS's refusal as its own status, bit for bit.
            NtStatus::from_ndis(status)
        }
    }
}

/// `MiniportDriverUnload` (PASSIVE_LEVEL): `WdfDriverMiniportUnload`, then
/// `NdisMDeregisterMiniportDriver` (ndisedge `NdisWdm.c:567-607`; usbnwifi the same).
pub extern "system" fn miniport_driver_unload(_driver_object: DriverObject) {
    sys::wdf_driver_miniport_unload(sys::wdf_get_driver());
    let handle = NDIS_DRIVER_HANDLE.swap(core::ptr::null_mut(), Ordering::AcqRel);
    sys::ndis_m_deregister_miniport_driver(NdisHandle(handle));
}
