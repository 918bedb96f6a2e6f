//! The OS facade: the only place the driver reaches Windows (or the kernel model standing in for it).
//!
//! - `windows/`: the backend on wdk-sys and the bindgen output of `ndis.h`/`wdfminiport.h`.
//! - `host/`: the backend that forwards every call to `kernel-sim`.
//!
//! Both backends export the same functions, one per OS call, named after it (ARCHITECTURE.md,
//! "Rules of the facade"). This file adds the few safe wrappers the rest of the driver uses instead
//! of raw pointers: [`SpinLock`], [`PoolBox`], [`SendChain`], the device context and the attribute
//! calls. All `unsafe` of the driver outside its callback signatures lives here.
#![allow(unsafe_code)]

#[cfg(not(windows))]
mod host;
#[cfg(not(windows))]
use host as backend;

#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as backend;

pub use backend::{
    ke_get_current_irql, ndis_allocate_memory_with_tag_priority, ndis_allocate_net_buffer_list_pool,
    ndis_m_deregister_miniport_driver, ndis_m_get_device_property, ndis_m_pause_complete,
    ndis_m_register_miniport_driver, wdf_device_get_io_target, wdf_device_miniport_create,
    wdf_driver_create, wdf_driver_miniport_unload, wdf_get_driver,
    wdf_io_target_format_request_for_read, wdf_io_target_start, wdf_io_target_stop,
    wdf_memory_create, wdf_object_delete, wdf_request_cancel_sent_request, wdf_request_create,
    wdf_request_get_information, wdf_request_get_status, wdf_request_reuse, wdf_request_send,
    wdf_request_set_completion_routine,
};
pub use ndis_types::miniport::*;
pub use ndis_types::nbl::*;
pub use ndis_types::oid::*;
pub use ndis_types::wdf::*;
pub use ndis_types::{handles::*, object::*, status::*};
pub use ndis_types::{Boolean, Kirql, APC_LEVEL, DISPATCH_LEVEL, FALSE, HIGH_LEVEL, PASSIVE_LEVEL, TRUE};

#[cfg(not(windows))]
pub use ndis_types::host::DeviceProperty;
#[cfg(windows)]
pub use windows::DeviceProperty;

use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::marker::PhantomData;
use core::mem::{align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};

/// True when the caller runs at `DISPATCH_LEVEL`: what the `*_DISPATCH_LEVEL` flags must say
/// (ndis-kmdf.md §3.2, "Dispatch IRQL Tracking").
pub fn at_dispatch_level() -> bool {
    ke_get_current_irql() >= DISPATCH_LEVEL
}

// ---------------------------------------------------------------------------------------------
// NDIS_SPIN_LOCK

/// `NDIS_SPIN_LOCK` (W:km/ndis.h:1114-1118): the `KSPIN_LOCK` and the IRQL to return to.
#[repr(C)]
struct NdisSpinLock {
    spin_lock: usize,
    old_irql: Kirql,
}

/// Data guarded by an `NDIS_SPIN_LOCK`. `lock` is `NdisAcquireSpinLock` (which ndis.h expands to
/// `KeAcquireSpinLockRaiseToDpc`), `lock_at_dpc` is `NdisDprAcquireSpinLock`
/// (`KeAcquireSpinLockAtDpcLevel`). The guard releases with the matching call.
pub struct SpinLock<T> {
    raw: UnsafeCell<NdisSpinLock>,
    data: UnsafeCell<T>,
}

// SAFETY: access to `data` is serialized by the kernel spin lock, which is what makes the C
// equivalent safe to share between processors.
unsafe impl<T: Send> Sync for SpinLock<T> {}
// SAFETY: as above; moving the lock moves its data.
unsafe impl<T: Send> Send for SpinLock<T> {}

impl<T> SpinLock<T> {
    /// A lock in the state `KeInitializeSpinLock` leaves it (zero). Call [`SpinLock::initialize`]
    /// once it sits at its final address.
    pub const fn new(data: T) -> Self {
        Self { raw: UnsafeCell::new(NdisSpinLock { spin_lock: 0, old_irql: 0 }), data: UnsafeCell::new(data) }
    }

    /// `NdisAllocateSpinLock`: `KeInitializeSpinLock(&lock->SpinLock)`.
    pub fn initialize(&self) {
        // SAFETY: the KSPIN_LOCK lives inside `self`, which does not move while borrowed.
        unsafe { backend::ke_initialize_spin_lock(ptr::addr_of_mut!((*self.raw.get()).spin_lock)) }
    }

    /// `NdisAcquireSpinLock`: raises to DISPATCH_LEVEL.
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        // SAFETY: the KSPIN_LOCK lives inside `self`; the OS serializes holders.
        let old_irql = unsafe { backend::ke_acquire_spin_lock_raise_to_dpc(self.spin_lock_ptr()) };
        // SAFETY: we hold the lock, so nobody else touches `old_irql`.
        unsafe { (*self.raw.get()).old_irql = old_irql };
        SpinLockGuard { lock: self, at_dpc: false, _not_send: PhantomData }
    }

    /// `NdisDprAcquireSpinLock`: the caller is already at DISPATCH_LEVEL.
    pub fn lock_at_dpc(&self) -> SpinLockGuard<'_, T> {
        // SAFETY: as in `lock`.
        unsafe { backend::ke_acquire_spin_lock_at_dpc_level(self.spin_lock_ptr()) };
        SpinLockGuard { lock: self, at_dpc: true, _not_send: PhantomData }
    }

    /// Acquire the way the current IRQL requires.
    pub fn lock_any(&self) -> SpinLockGuard<'_, T> {
        if at_dispatch_level() { self.lock_at_dpc() } else { self.lock() }
    }

    fn spin_lock_ptr(&self) -> *mut usize {
        // SAFETY: only the address is taken.
        unsafe { ptr::addr_of_mut!((*self.raw.get()).spin_lock) }
    }
}

/// Holding an [`SpinLock`]; released on drop with the call that matches the acquire.
pub struct SpinLockGuard<'a, T> {
    lock: &'a SpinLock<T>,
    at_dpc: bool,
    /// The release must happen on the processor that acquired.
    _not_send: PhantomData<*mut ()>,
}

impl<T> Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard proves the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T> DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard proves the lock is held, and it is borrowed mutably.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        let lock = self.lock.spin_lock_ptr();
        if self.at_dpc {
            // SAFETY: we hold the lock, acquired at DPC level.
            unsafe { backend::ke_release_spin_lock_from_dpc_level(lock) }
        } else {
            // SAFETY: we hold the lock; `old_irql` was stored when it was acquired.
            unsafe {
                let old_irql = (*self.lock.raw.get()).old_irql;
                backend::ke_release_spin_lock(lock, old_irql)
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Nonpaged pool through NdisAllocateMemoryWithTagPriority

/// A `T` in nonpaged pool from `NdisAllocateMemoryWithTagPriority`, freed with
/// `NdisFreeMemoryWithTagPriority` and the same tag. The adapter lives in one, so the pool tag
/// names it in `!poolused` and in the model's leak report.
pub struct PoolBox<T> {
    ptr: NonNull<T>,
    ndis_handle: NdisHandle,
    tag: u32,
}

impl<T> PoolBox<T> {
    const SIZE_FITS: () = assert!(size_of::<T>() <= u32::MAX as usize && align_of::<T>() <= MEMORY_ALLOCATION_ALIGNMENT);

    /// Allocate and move `value` in; `NDIS_STATUS_RESOURCES` if the pool is exhausted.
    pub fn new(ndis_handle: NdisHandle, tag: u32, value: T) -> Result<Self, NdisStatus> {
        let () = Self::SIZE_FITS;
        let length = u32::try_from(size_of::<T>()).map_err(|_| NDIS_STATUS_RESOURCES)?;
        let raw = ndis_allocate_memory_with_tag_priority(ndis_handle, length, tag, NORMAL_POOL_PRIORITY);
        let ptr = NonNull::new(raw.cast::<T>()).ok_or(NDIS_STATUS_RESOURCES)?;
        // SAFETY: fresh allocation of size_of::<T>() bytes; pool memory is 16-aligned and T's
        // alignment is at most 16 (checked above).
        unsafe { ptr.as_ptr().write(value) };
        Ok(Self { ptr, ndis_handle, tag })
    }

    /// Give up ownership, e.g. to hand the adapter to NDIS as `MiniportAdapterContext`.
    pub fn into_handle(self) -> NdisHandle {
        let raw = self.ptr.as_ptr().cast::<c_void>();
        core::mem::forget(self);
        NdisHandle(raw)
    }

    /// Take back what [`PoolBox::into_handle`] gave away.
    ///
    /// # Safety
    /// `handle` came from `into_handle` of a `PoolBox<T>` allocated with `ndis_handle` and `tag`,
    /// and no reference to the value outlives the returned box.
    pub unsafe fn from_handle(handle: NdisHandle, ndis_handle: NdisHandle, tag: u32) -> Option<Self> {
        NonNull::new(handle.0.cast::<T>()).map(|ptr| Self { ptr, ndis_handle, tag })
    }
}

impl<T> Deref for PoolBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the box owns an initialized T.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> Drop for PoolBox<T> {
    fn drop(&mut self) {
        // SAFETY: the box owns an initialized T in memory from NdisAllocateMemoryWithTagPriority
        // with this tag; nothing refers to it after drop.
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            backend::ndis_free_memory_with_tag_priority(self.ndis_handle, self.ptr.as_ptr().cast(), self.tag);
        }
    }
}

/// Borrow the `T` behind a context handle NDIS or KMDF passes back.
///
/// # Safety
/// `handle` came from [`PoolBox::into_handle`] of a `PoolBox<T>` that is still alive for `'a`.
pub unsafe fn context_ref<'a, T>(handle: NdisHandle) -> Option<&'a T> {
    // SAFETY: guaranteed by the caller.
    unsafe { handle.0.cast::<T>().as_ref() }
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

// ---------------------------------------------------------------------------------------------
// Device context (WDF_DECLARE_CONTEXT_TYPE_WITH_NAME(MINIPORT_DEVICE_CONTEXT, ...))

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
    ContextName: b"MINIPORT_DEVICE_CONTEXT\0".as_ptr(),
    ContextSize: size_of::<MiniportDeviceContext>(),
    UniqueType: &MINIPORT_DEVICE_CONTEXT_TYPE,
    EvtDriverGetUniqueContextType: None,
};

fn miniport_device_context(device: WdfDevice) -> Option<NonNull<MiniportDeviceContext>> {
    NonNull::new(
        backend::wdf_object_get_typed_context_worker(device.into(), &MINIPORT_DEVICE_CONTEXT_TYPE)
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

/// The adapter recorded in the device's context (null if none).
pub fn device_adapter(device: WdfDevice) -> NdisHandle {
    match miniport_device_context(device) {
        // SAFETY: as in `set_device_adapter`; a plain read of a pointer-sized field.
        Some(context) => unsafe { context.as_ptr().read().adapter },
        None => NdisHandle::NULL,
    }
}

// ---------------------------------------------------------------------------------------------
// Send chains

/// A chain of NBLs NDIS handed to `MiniportSendNetBufferLists`, owned by the miniport until it is
/// given back with [`SendChain::complete`]. Not `Copy`: completing consumes it, once.
pub struct SendChain {
    head: *mut NetBufferList,
}

impl SendChain {
    /// # Safety
    /// `head` is the chain NDIS passed to `MiniportSendNetBufferLists` (or null), not yet completed.
    pub unsafe fn from_send(head: *mut NetBufferList) -> Self {
        Self { head }
    }

    pub fn is_empty(&self) -> bool {
        self.head.is_null()
    }

    /// Set `NET_BUFFER_LIST_STATUS` of every NBL in the chain.
    pub fn set_status(&mut self, status: NdisStatus) {
        let mut nbl = self.head;
        while let Some(current) = NonNull::new(nbl) {
            // SAFETY: the miniport owns every NBL of the chain until it completes it.
            unsafe {
                (*current.as_ptr()).Status = status;
                nbl = (*current.as_ptr()).Next;
            }
        }
    }

    /// `NdisMSendNetBufferListsComplete` for the whole chain.
    pub fn complete(self, miniport: NdisHandle, send_complete_flags: u32) {
        if self.head.is_null() {
            return;
        }
        // SAFETY: the chain came from NDIS's send handler and is completed exactly once (self is
        // consumed).
        unsafe { backend::ndis_m_send_net_buffer_lists_complete(miniport, self.head, send_complete_flags) }
    }
}
