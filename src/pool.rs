//! Nonpaged pool the driver owns: [`PoolBox`] (one value, the adapter), from
//! `NdisAllocateMemoryWithTagPriority` and freed with `NdisFreeMemoryWithTagPriority` and the same
//! tag.
//!
//! Invariant: a `PoolBox<T>` owns an initialized `T` at its pointer until it is dropped or given
//! away with [`PoolBox::into_handle`].
#![allow(unsafe_code)]

use crate::sys::{self, ndis_allocate_memory_with_tag_priority};
use bytemuck::Zeroable;
use core::ffi::c_void;
use core::mem::{align_of, size_of};
use core::ops::{Deref, DerefMut};
use core::ptr::{self, NonNull};
use ndis_types::handles::NdisHandle;
use ndis_types::nbl::MEMORY_ALLOCATION_ALIGNMENT;
use ndis_types::status::{NDIS_STATUS_RESOURCES, NdisStatus};
use ndis_types::wdf::NORMAL_POOL_PRIORITY;

/// A `T` in nonpaged pool from `NdisAllocateMemoryWithTagPriority`, freed with
/// `NdisFreeMemoryWithTagPriority` and the same tag. The adapter lives in one, so the pool tag
/// names it in `!poolused` and in the model's leak report.
pub struct PoolBox<T> {
    ptr: NonNull<T>,
    ndis_handle: NdisHandle,
    tag: u32,
}

impl<T> PoolBox<T> {
    const SIZE_FITS: () =
        assert!(size_of::<T>() <= u32::MAX as usize && align_of::<T>() <= MEMORY_ALLOCATION_ALIGNMENT);

    /// Allocate a zeroed `T` in place, as a C miniport zeroes its adapter block with
    /// `NdisZeroMemory`: the value is never built on the stack (the kernel stack is 24 KiB on x64,
    /// and the adapter alone is close to that). `NDIS_STATUS_RESOURCES` if the pool is exhausted.
    pub fn new_zeroed(ndis_handle: NdisHandle, tag: u32) -> Result<Self, NdisStatus>
    where
        T: Zeroable,
    {
        let () = Self::SIZE_FITS;
        let length = u32::try_from(size_of::<T>()).map_err(|_| NDIS_STATUS_RESOURCES)?;
        let raw = ndis_allocate_memory_with_tag_priority(ndis_handle, length, tag, NORMAL_POOL_PRIORITY);
        let ptr = NonNull::new(raw.cast::<T>()).ok_or(NDIS_STATUS_RESOURCES)?;
        // SAFETY: fresh allocation of size_of::<T>() bytes; pool memory is 16-aligned and T's
        // alignment is at most 16 (checked above); all-zero bytes are a valid T (`T: Zeroable`).
        unsafe { ptr.as_ptr().write_bytes(0, 1) };
        Ok(Self { ptr, ndis_handle, tag })
    }

    /// The address as an `NDIS_HANDLE`, for `MiniportAdapterContext` and completion contexts.
    /// Ownership stays with the box.
    pub fn handle(&self) -> NdisHandle {
        NdisHandle(self.ptr.as_ptr().cast::<c_void>())
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

impl<T> DerefMut for PoolBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the box owns an initialized T and is borrowed mutably.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for PoolBox<T> {
    fn drop(&mut self) {
        // SAFETY: the box owns an initialized T in memory from NdisAllocateMemoryWithTagPriority
        // with this tag; nothing refers to it after drop.
        unsafe {
            ptr::drop_in_place(self.ptr.as_ptr());
            sys::ndis_free_memory_with_tag_priority(self.ndis_handle, self.ptr.as_ptr().cast(), self.tag);
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
