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
    ndis_m_register_miniport_driver, wdf_device_get_io_target, wdf_device_miniport_create, wdf_driver_create,
    wdf_driver_miniport_unload, wdf_get_driver, wdf_io_target_send_internal_ioctl_synchronously,
    wdf_io_target_stop, wdf_object_delete, wdf_request_create, wdf_request_reuse,
};
pub use ndis_types::miniport::*;
pub use ndis_types::nbl::*;
pub use ndis_types::oid::*;
pub use ndis_types::wdf::*;
pub use ndis_types::{Boolean, DISPATCH_LEVEL, FALSE, Kirql, TRUE};
pub use ndis_types::{handles::*, object::*, status::*};

mod net_buffer;
mod request;
pub use net_buffer::*;
pub use request::*;

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

pub use bytemuck::Zeroable;

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
// NDIS_SPIN_LOCK

/// `NDIS_SPIN_LOCK` (W:km/ndis.h:1114-1118): the `KSPIN_LOCK` and the IRQL to return to.
#[repr(C)]
#[derive(Zeroable)]
struct NdisSpinLock {
    spin_lock: usize,
    old_irql: Kirql,
}

/// Data guarded by an `NDIS_SPIN_LOCK`. `lock` is `NdisAcquireSpinLock` (which ndis.h expands to
/// `KeAcquireSpinLockRaiseToDpc`), `lock_at_dpc` is `NdisDprAcquireSpinLock`
/// (`KeAcquireSpinLockAtDpcLevel`). The guard releases with the matching call. All-zero is the state
/// `KeInitializeSpinLock` leaves a lock in, so a lock can start life in zeroed pool memory.
#[derive(Zeroable)]
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
// NDIS I/O work items

/// An NDIS I/O work item (`NdisAllocateIoWorkItem`), freed with `NdisFreeIoWorkItem` on drop.
/// Invariant: never queued twice and never freed while queued (IoQueueWorkItem and IoFreeWorkItem
/// forbid both, Doc nf-wdm-iofreeworkitem): [`IoWorkItem::queue`] queues only an idle item, the
/// routine calls [`IoWorkItem::started`] first (the system dequeues an item before it runs it), and
/// drop frees only an idle item. All-zero is "no work item".
#[derive(Zeroable)]
pub struct IoWorkItem {
    handle: NdisHandle,
    queued: core::sync::atomic::AtomicBool,
}

impl IoWorkItem {
    /// `NdisAllocateIoWorkItem` for the adapter; `NDIS_STATUS_RESOURCES` if it cannot be had.
    pub fn allocate(miniport: NdisHandle) -> Result<Self, NdisStatus> {
        let handle = backend::ndis_allocate_io_work_item(miniport);
        if handle.is_null() {
            return Err(NDIS_STATUS_RESOURCES);
        }
        Ok(Self { handle, queued: core::sync::atomic::AtomicBool::new(false) })
    }

    /// `NdisQueueIoWorkItem(item, routine, context)`, unless the item is already queued (false).
    /// `context` must stay valid until `routine` has run: its owner's duty, as in C.
    pub fn queue(&self, routine: NdisIoWorkItemRoutine, context: NdisHandle) -> bool {
        use core::sync::atomic::Ordering::AcqRel;
        if self.handle.is_null() || self.queued.swap(true, AcqRel) {
            return false;
        }
        // SAFETY: a live item (allocated, not yet dropped) that was not queued (the swap above).
        unsafe { backend::ndis_queue_io_work_item(self.handle, routine, context.as_ptr()) };
        true
    }

    /// The routine has begun: the item is dequeued and may be queued again.
    pub fn started(&self) {
        self.queued.store(false, core::sync::atomic::Ordering::Release);
    }
}

impl Drop for IoWorkItem {
    fn drop(&mut self) {
        if self.handle.is_null() || self.queued.load(core::sync::atomic::Ordering::Acquire) {
            // Queued: freeing it would corrupt the system work queue. Its owner never lets that
            // happen (the adapter's pause waits for every run, and halt follows the pause;
            // kernel-sim's Ndis.HaltLeavesNothing holds it to that); not freeing is what is left.
            return;
        }
        // SAFETY: allocated by `allocate` and not queued (checked above).
        unsafe { backend::ndis_free_io_work_item(self.handle) };
        self.handle = NdisHandle::NULL;
    }
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
    ContextName: c"MINIPORT_DEVICE_CONTEXT".as_ptr().cast(),
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

// ---------------------------------------------------------------------------------------------
// Buffers the driver owns for the lower edge and for receive indications

/// A `WDFMEMORY` and the buffer KMDF allocated with it (`WdfMemoryCreate`). Deleted with
/// `WdfObjectDelete` (or with its parent). Who may touch the bytes is decided by the request slot
/// that owns it ([`request::Slot`]). All-zero (a NULL memory object, no bytes) is "no buffer".
#[derive(Clone, Copy, Zeroable)]
pub struct WdfBuffer {
    pub memory: WdfMemory,
    buffer: *mut u8,
    len: usize,
}

// SAFETY: nonpaged memory owned by the memory object; access is serialized by the request slot
// state machine in `request.rs`.
unsafe impl Send for WdfBuffer {}
// SAFETY: as above.
unsafe impl Sync for WdfBuffer {}

impl WdfBuffer {
    /// `WdfMemoryCreate(attributes, NonPagedPoolNx, tag, size, &memory, &buffer)`.
    pub fn create(attributes: &WdfObjectAttributes, tag: u32, size: usize) -> Result<Self, NtStatus> {
        let (memory, buffer) = backend::wdf_memory_create(attributes, NON_PAGED_POOL_NX, tag, size)?;
        match NonNull::new(buffer.cast::<u8>()) {
            Some(buffer) => Ok(Self { memory, buffer: buffer.as_ptr(), len: size }),
            None => {
                // A success without a buffer is an OS bug; do not keep the object.
                backend::wdf_object_delete(memory.into());
                Err(STATUS_INSUFFICIENT_RESOURCES)
            }
        }
    }

    /// The buffer's bytes.
    ///
    /// # Safety
    /// No request using this memory is pending and no other reference to the bytes exists for
    /// the returned lifetime (the owning slot is leased to the caller).
    unsafe fn as_mut_slice<'a>(&self) -> &'a mut [u8] {
        if self.buffer.is_null() {
            return &mut [];
        }
        // SAFETY: KMDF allocated `len` bytes for the memory object, which lives as long as the
        // adapter; exclusivity is guaranteed by the caller.
        unsafe { core::slice::from_raw_parts_mut(self.buffer, self.len) }
    }

    /// No memory object: the zero value.
    pub fn is_none(&self) -> bool {
        self.memory.is_null()
    }
}

/// Nonpaged memory from `NdisAllocateMemoryWithTagPriority`, described by `len` bytes: the
/// receive frame area that the receive NBLs' MDLs point into. All-zero is "nothing allocated".
#[derive(Zeroable)]
pub struct PoolBuffer {
    ptr: Option<NonNull<u8>>,
    len: u32,
    ndis_handle: NdisHandle,
    tag: u32,
}

// SAFETY: plain nonpaged memory owned by the adapter.
unsafe impl Send for PoolBuffer {}
// SAFETY: as above; mutation only through `&mut self`.
unsafe impl Sync for PoolBuffer {}

impl PoolBuffer {
    pub fn allocate(ndis_handle: NdisHandle, tag: u32, len: u32) -> Result<Self, NdisStatus> {
        let raw = ndis_allocate_memory_with_tag_priority(ndis_handle, len, tag, NORMAL_POOL_PRIORITY);
        let ptr = NonNull::new(raw.cast::<u8>()).ok_or(NDIS_STATUS_RESOURCES)?;
        Ok(Self { ptr: Some(ptr), len, ndis_handle, tag })
    }

    /// The address `offset` bytes in, if `offset + len` fits.
    fn slice_ptr(&self, offset: u32, len: u32) -> Option<*mut c_void> {
        let end = offset.checked_add(len)?;
        if end > self.len {
            return None;
        }
        let offset = usize::try_from(offset).ok()?;
        let base = self.ptr?;
        // SAFETY: offset + len is within the allocation (checked above).
        Some(unsafe { base.as_ptr().add(offset) }.cast::<c_void>())
    }
}

impl Drop for PoolBuffer {
    fn drop(&mut self) {
        if let Some(ptr) = self.ptr.take() {
            // SAFETY: allocated by `allocate` with this handle and tag; the MDLs over it are freed
            // first (they are owned by the receive descriptors, which the adapter frees earlier).
            unsafe {
                backend::ndis_free_memory_with_tag_priority(self.ndis_handle, ptr.as_ptr().cast(), self.tag)
            }
        }
    }
}

/// `NdisAllocateNetBufferListPool` / `NdisFreeNetBufferListPool`. All-zero (a NULL handle) is
/// "no pool".
#[derive(Zeroable)]
pub struct NblPool {
    handle: NdisHandle,
}

impl NblPool {
    /// A pool of NBLs that each carry one NET_BUFFER (`fAllocateNetBuffer`), no data buffers and no
    /// context area: the miniport brings its own buffers through MDLs.
    pub fn allocate(ndis_handle: NdisHandle, tag: u32) -> Result<Self, NdisStatus> {
        let parameters = NetBufferListPoolParameters {
            Header: NdisObjectHeader::new(
                NDIS_OBJECT_TYPE_DEFAULT,
                NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
                NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
            ),
            ProtocolId: NDIS_PROTOCOL_ID_DEFAULT,
            fAllocateNetBuffer: TRUE,
            ContextSize: 0,
            PoolTag: tag,
            DataSize: 0,
        };
        let handle = ndis_allocate_net_buffer_list_pool(ndis_handle, &parameters);
        if handle.is_null() { Err(NDIS_STATUS_RESOURCES) } else { Ok(Self { handle }) }
    }
}

impl Drop for NblPool {
    fn drop(&mut self) {
        if self.handle.is_null() {
            return;
        }
        // SAFETY: every NBL of the pool is owned by a ReceiveNbl, and the adapter frees those
        // before the pool (`ReceiveNbl::free` is called first in teardown).
        unsafe { backend::ndis_free_net_buffer_list_pool(self.handle) }
    }
}

/// A receive NBL owned by the miniport: one NET_BUFFER whose MDL describes `len` bytes of a
/// [`PoolBuffer`]. Freed explicitly with [`ReceiveNbl::free`] while the miniport owns it.
pub struct ReceiveNbl {
    nbl: NonNull<NetBufferList>,
    mdl: NonNull<Mdl>,
    /// The frame slot the MDL describes, `capacity` bytes.
    frame: NonNull<u8>,
    capacity: u32,
}

// SAFETY: the NBL and MDL are owned by the adapter while not indicated; NDIS owns them in between.
unsafe impl Send for ReceiveNbl {}
// SAFETY: as above.
unsafe impl Sync for ReceiveNbl {}

impl ReceiveNbl {
    /// `NdisAllocateMdl` over `frames[offset..offset+len]`, then
    /// `NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdl, 0, len)`. Undoes the MDL if the NBL
    /// cannot be had.
    pub fn allocate(
        ndis_handle: NdisHandle,
        pool: &NblPool,
        frames: &PoolBuffer,
        offset: u32,
        len: u32,
    ) -> Result<Self, NdisStatus> {
        let va = frames.slice_ptr(offset, len).ok_or(NDIS_STATUS_INVALID_LENGTH)?;
        let data_length = usize::try_from(len).map_err(|_| NDIS_STATUS_INVALID_LENGTH)?;
        // SAFETY: `va..va+len` lies inside `frames`, nonpaged pool that the adapter frees only
        // after every MDL over it.
        let mdl = NonNull::new(unsafe { backend::ndis_allocate_mdl(ndis_handle, va, len) })
            .ok_or(NDIS_STATUS_RESOURCES)?;
        // SAFETY: the MDL chain is ours and outlives the NBL (freed after it in `free`).
        let nbl = unsafe {
            backend::ndis_allocate_net_buffer_and_net_buffer_list(
                pool.handle,
                0,
                0,
                mdl.as_ptr(),
                0,
                data_length,
            )
        };
        let Some(frame) = NonNull::new(va.cast::<u8>()) else {
            // SAFETY: the MDL was just allocated and nothing refers to it.
            unsafe { backend::ndis_free_mdl(mdl.as_ptr()) };
            return Err(NDIS_STATUS_INVALID_LENGTH);
        };
        match NonNull::new(nbl) {
            Some(nbl) => Ok(Self { nbl, mdl, frame, capacity: len }),
            None => {
                // SAFETY: the MDL was just allocated and nothing refers to it.
                unsafe { backend::ndis_free_mdl(mdl.as_ptr()) };
                Err(NDIS_STATUS_RESOURCES)
            }
        }
    }

    /// `NdisFreeNetBufferList`, then `NdisFreeMdl`.
    pub fn free(self) {
        // SAFETY: the miniport owns this NBL (never indicated, or returned by NDIS), and the MDL
        // is referenced only by it.
        unsafe {
            backend::ndis_free_net_buffer_list(self.nbl.as_ptr());
            backend::ndis_free_mdl(self.mdl.as_ptr());
        }
    }
}

/// The chain NDIS passes to `MiniportReturnNetBufferLists`, walked NBL by NBL. The `Next` link
/// is read before an NBL is yielded, so the consumer may relink or free what it gets.
pub struct ReturnedChain {
    next: *mut NetBufferList,
}

impl ReturnedChain {
    /// # Safety
    /// `head` is the chain NDIS passed to `MiniportReturnNetBufferLists` (or null): NBLs this
    /// miniport indicated, owned by it again.
    pub unsafe fn from_return(head: *mut NetBufferList) -> Self {
        Self { next: head }
    }
}

impl Iterator for ReturnedChain {
    type Item = *mut NetBufferList;

    fn next(&mut self) -> Option<*mut NetBufferList> {
        let current = NonNull::new(self.next)?;
        // SAFETY: NDIS handed the chain back to the miniport; each NBL in it is valid and ours.
        self.next = unsafe { (*current.as_ptr()).Next };
        Some(current.as_ptr())
    }
}

// ---------------------------------------------------------------------------------------------
// OID requests

/// The parts of an `NDIS_OID_REQUEST` the miniport answers from.
pub struct OidRequestView<'a> {
    pub request_type: NdisRequestType,
    pub oid: NdisOid,
    /// `InformationBuffer[..InformationBufferLength]`.
    pub buffer: &'a mut [u8],
}

/// Borrow the request NDIS passed to `MiniportOidRequest`.
///
/// # Safety
/// `request` is the request NDIS passed to the OID handler, not yet completed; NDIS guarantees
/// that `InformationBuffer` holds `InformationBufferLength` (query/set) bytes for that long.
pub unsafe fn oid_request_view<'a>(request: *mut NdisOidRequest) -> Option<OidRequestView<'a>> {
    // SAFETY: guaranteed by the caller.
    let request = unsafe { request.as_mut()? };
    let query = request.DATA.query();
    let length = usize::try_from(query.InformationBufferLength).ok()?;
    let buffer: &'a mut [u8] = if query.InformationBuffer.is_null() || length == 0 {
        &mut []
    } else {
        // SAFETY: guaranteed by the caller; query and set share the buffer fields' layout.
        unsafe { core::slice::from_raw_parts_mut(query.InformationBuffer.cast::<u8>(), length) }
    };
    Some(OidRequestView { request_type: request.RequestType, oid: query.Oid, buffer })
}

/// Write `BytesWritten`/`BytesRead` and `BytesNeeded` back into the request.
///
/// # Safety
/// As [`oid_request_view`]; the view borrowed from it is no longer used.
pub unsafe fn oid_request_finish(request: *mut NdisOidRequest, bytes_transferred: u32, bytes_needed: u32) {
    // SAFETY: guaranteed by the caller.
    if let Some(request) = unsafe { request.as_mut() } {
        if request.RequestType == NDIS_REQUEST_SET_INFORMATION {
            let set = request.DATA.set_mut();
            set.BytesRead = bytes_transferred;
            set.BytesNeeded = bytes_needed;
        } else {
            let query = request.DATA.query_mut();
            query.BytesWritten = bytes_transferred;
            query.BytesNeeded = bytes_needed;
        }
    }
}
