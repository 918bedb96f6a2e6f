//! The miniport WDFDEVICE's context: the adapter it belongs to
//! (`WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(MINIPORT_DEVICE_CONTEXT, ...)` in C).
//!
//! Invariant: the context is read and written only through the typed pointer KMDF returns for a
//! device created with [`MINIPORT_DEVICE_CONTEXT_TYPE`], while the device exists.
#![allow(unsafe_code)]

use crate::sys;
use core::ptr::NonNull;
use ndis_types::handles::{NdisHandle, WdfDevice};
use ndis_types::wdf::WdfObjectContextTypeInfo;

/// The miniport WDFDEVICE's context: a back-pointer to the adapter that owns the device.
#[repr(C)]
pub struct MiniportDeviceContext {
    adapter: NdisHandle,
}

/// `WDF_OBJECT_CONTEXT_TYPE_INFO` for [`MiniportDeviceContext`]. In `.data`, as
/// `__declspec(allocate(".data"))` places the C macro's, so identical infos are never folded.
#[cfg_attr(windows, unsafe(link_section = ".data"))]
pub static MINIPORT_DEVICE_CONTEXT_TYPE: WdfObjectContextTypeInfo = WdfObjectContextTypeInfo {
    Size: size_of::<WdfObjectContextTypeInfo>() as u32,
    ContextName: c"MINIPORT_DEVICE_CONTEXT".as_ptr().cast(),
    ContextSize: size_of::<MiniportDeviceContext>(),
    UniqueType: &MINIPORT_DEVICE_CONTEXT_TYPE,
    EvtDriverGetUniqueContextType: None,
};

fn miniport_device_context(device: WdfDevice) -> Option<NonNull<MiniportDeviceContext>> {
    NonNull::new(
        sys::wdf_object_get_typed_context_worker(device.into(), &MINIPORT_DEVICE_CONTEXT_TYPE)
            .cast::<MiniportDeviceContext>(),
    )
}

/// Record the owning adapter in the device's context. False if the device has no such context.
pub fn set_device_adapter(device: WdfDevice, adapter: NdisHandle) -> bool {
    match miniport_device_context(device) {
        Some(context) => {
            // SAFETY: KMDF allocated the context with the device (size from the type info) and it
            // lives until the device is deleted; only the owning adapter writes it, before any I/O.
            unsafe { context.as_ptr().write(MiniportDeviceContext { adapter }) };
            true
        }
        None => false,
    }
}
