//! Opaque OS handles. Driver code never looks inside one; on Windows each is the pointer the OS
//! handed out, on the host it is a token the kernel model minted. All are `#[repr(transparent)]`
//! over a pointer, so they are ABI-identical to the C handle types in callback signatures, and
//! all-zero is the NULL handle (`Zeroable`).
#![allow(unsafe_code)]

use core::ffi::c_void;
use core::ptr;

macro_rules! opaque_handle {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, bytemuck::Zeroable)]
        pub struct $name(pub *mut c_void);

        impl $name {
            pub const NULL: Self = Self(ptr::null_mut());
            pub fn is_null(self) -> bool {
                self.0.is_null()
            }
            pub fn as_ptr(self) -> *mut c_void {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::NULL
            }
        }

        // SAFETY: a handle is an opaque token; the OS (or the model) serializes what it names, and the
        // driver never dereferences it.
        unsafe impl Send for $name {}
        // SAFETY: as above.
        unsafe impl Sync for $name {}
    };
}

opaque_handle!(
    /// `NDIS_HANDLE` (`PVOID`): driver handles, adapter handles, pool handles, contexts.
    NdisHandle
);
opaque_handle!(
    /// `PDRIVER_OBJECT`.
    DriverObject
);
opaque_handle!(
    /// `PDEVICE_OBJECT`.
    DeviceObject
);
opaque_handle!(
    /// `PUNICODE_STRING` as passed to `DriverEntry` (the service's registry path).
    RegistryPath
);
opaque_handle!(
    /// `WDFDRIVER`.
    WdfDriver
);
opaque_handle!(
    /// `WDFDEVICE`.
    WdfDevice
);
opaque_handle!(
    /// `WDFIOTARGET`.
    WdfIoTarget
);
opaque_handle!(
    /// `WDFREQUEST`.
    WdfRequest
);
opaque_handle!(
    /// `WDFMEMORY`.
    WdfMemory
);
opaque_handle!(
    /// `WDFOBJECT`: any framework object, for `WdfObjectDelete` and parents.
    WdfObject
);
opaque_handle!(
    /// `WDFCONTEXT` (`PVOID`): the context passed back to a completion routine.
    WdfContext
);

macro_rules! into_wdf_object {
    ($($name:ident),*) => {
        $(impl From<$name> for WdfObject {
            fn from(handle: $name) -> Self {
                WdfObject(handle.0)
            }
        })*
    };
}
into_wdf_object!(WdfDriver, WdfDevice, WdfIoTarget, WdfRequest, WdfMemory);
