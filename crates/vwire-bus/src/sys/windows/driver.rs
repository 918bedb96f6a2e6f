//! The driver object: `DriverEntry` (KMDF's `FxDriverEntry` calls it by its exported name) and
//! `EvtDriverDeviceAdd`.

use core::ptr;

use wdk_sys::{
    NTSTATUS, PCUNICODE_STRING, PDRIVER_OBJECT, PWDFDEVICE_INIT, WDF_DRIVER_CONFIG, WDF_NO_OBJECT_ATTRIBUTES,
    WDFDRIVER, call_unsafe_wdf_function_binding,
};

use super::fdo;
use super::wdf::wdf_size;

/// Pool tag of the framework's allocations for this driver, `'VWbs'` as pool tools show it
/// (`WDF_DRIVER_CONFIG.DriverPoolTag`; the hub's own memory carries wdk-alloc's `'rust'` tag).
const DRIVER_POOL_TAG: u32 = u32::from_le_bytes(*b"VWbs");

/// `DriverEntry`: `WDF_DRIVER_CONFIG_INIT(&config, EvtDriverDeviceAdd)` (zero, `Size`,
/// `EvtDriverDeviceAdd`; h:wdfdriver.h) and `WdfDriverCreate`. A PnP driver: no unload callback is
/// needed, the framework unloads the image once its devices are gone. Signature and export as in
/// Windows-rust-driver-samples `general/echo/kmdf/driver/DriverSync/src/driver.rs` (`extern "system"`,
/// exported by the name `DriverEntry`: wdk-build 0.6.0 `src/lib.rs:1272` links with
/// `/ENTRY:FxDriverEntry`, KMDF's stub, which calls `DriverEntry` by that name).
///
/// # Safety
/// Called once by the KMDF stub at PASSIVE_LEVEL with the system's driver object and registry path.
#[unsafe(export_name = "DriverEntry")]
pub unsafe extern "system" fn driver_entry(
    driver: PDRIVER_OBJECT,
    registry_path: PCUNICODE_STRING,
) -> NTSTATUS {
    let mut config = WDF_DRIVER_CONFIG {
        Size: wdf_size::<WDF_DRIVER_CONFIG>(),
        EvtDriverDeviceAdd: Some(evt_driver_device_add),
        DriverPoolTag: DRIVER_POOL_TAG,
        ..Default::default()
    };
    // SAFETY: the stub's driver object and registry path, passed through; the config is a live local
    // the framework reads during the call; no WDFDRIVER handle is asked for (WDF_NO_HANDLE).
    unsafe {
        call_unsafe_wdf_function_binding!(
            WdfDriverCreate,
            driver,
            registry_path,
            WDF_NO_OBJECT_ATTRIBUTES,
            &mut config,
            ptr::null_mut::<WDFDRIVER>()
        )
    }
}

/// `EvtDriverDeviceAdd` (h:wdfdriver.h:66-79, PASSIVE_LEVEL): PnP found `Root\VWireBus`; create the bus
/// FDO on it.
extern "C" fn evt_driver_device_add(_driver: WDFDRIVER, device_init: PWDFDEVICE_INIT) -> NTSTATUS {
    fdo::create(device_init)
}
