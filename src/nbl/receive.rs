//! The receive side: the NBL pool, one receive NBL per frame slot (its MDL over that slot), and
//! [`ReceivePool`], which tracks who owns each receive NBL: the miniport (free or leased to one
//! completion routine) or NDIS (indicated, until `MiniportReturnNetBufferLists`).
//!
//! Invariant: a [`RxSlot`] exists only for a receive NBL leased to its holder; the pool's state
//! changes under its spin lock, which is what makes the frame bytes a slot hands out exclusive.
#![allow(unsafe_code)]

use crate::pool::PoolBuffer;
use crate::sync::SpinLock;
use crate::sys::{self, ndis_allocate_net_buffer_list_pool};
use bytemuck::Zeroable;
use core::ptr::{self, NonNull};
use ndis_types::TRUE;
use ndis_types::handles::NdisHandle;
use ndis_types::nbl::{
    IEEE_8021Q_NET_BUFFER_LIST_INFO, Mdl, NDIS_DEFAULT_PORT_NUMBER, NDIS_PROTOCOL_ID_DEFAULT,
    NDIS_RECEIVE_FLAGS_RESOURCES, NetBufferList, NetBufferListPoolParameters,
};
use ndis_types::object::{
    NDIS_OBJECT_TYPE_DEFAULT, NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1, NdisObjectHeader,
};
use ndis_types::status::{
    NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, NdisStatus,
};

/// Receive NBLs (and frame slots) per adapter.
pub const RECEIVE_NBLS: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Debug, bytemuck::Zeroable)]
#[repr(u8)]
enum RxState {
    Free = 0,
    Leased,
    Indicated,
}

/// A receive NBL the miniport allocated: one NET_BUFFER, one MDL over a frame slot.
#[derive(Clone, Copy)]
struct RxDescriptor {
    nbl: NonNull<NetBufferList>,
    mdl: NonNull<Mdl>,
    frame: NonNull<u8>,
    capacity: u32,
}

/// A descriptor table entry: all-zero (no NBL) is an empty entry.
#[derive(Clone, Copy, bytemuck::Zeroable)]
struct RxEntry {
    nbl: Option<NonNull<NetBufferList>>,
    mdl: Option<NonNull<Mdl>>,
    frame: Option<NonNull<u8>>,
    capacity: u32,
}

impl RxEntry {
    fn get(self) -> Option<RxDescriptor> {
        Some(RxDescriptor { nbl: self.nbl?, mdl: self.mdl?, frame: self.frame?, capacity: self.capacity })
    }
}

// SAFETY: the descriptors are the adapter's; their state machine serializes access.
unsafe impl Send for RxDescriptor {}

/// The receive NBLs, their frame slots and who owns each (Free, Leased to a context filling it,
/// or Indicated: NDIS's until it returns it). All-zero is an empty pool.
#[derive(bytemuck::Zeroable)]
pub struct ReceivePool<const N: usize> {
    descriptors: [RxEntry; N],
    states: SpinLock<[RxState; N]>,
}

// SAFETY: see RxDescriptor; states are behind a spin lock.
unsafe impl<const N: usize> Sync for ReceivePool<N> {}
// SAFETY: as above.
unsafe impl<const N: usize> Send for ReceivePool<N> {}

impl<const N: usize> ReceivePool<N> {
    pub fn initialize(&mut self) {
        self.states.initialize();
    }

    /// Take ownership of a receive NBL allocated by [`ReceiveNbl::allocate`].
    pub fn insert(&mut self, nbl: ReceiveNbl) -> Result<(), ReceiveNbl> {
        match self.descriptors.iter_mut().enumerate().find(|(_, slot)| slot.get().is_none()) {
            Some((index, slot)) => {
                // SAFETY: the miniport owns this NBL (just allocated, never indicated); it records the
                // descriptor index in its own MiniportReserved area for the return path.
                unsafe {
                    if let Some(reserved) = (*nbl.nbl.as_ptr()).MiniportReserved.0.first_mut() {
                        *reserved = ptr::without_provenance_mut(index);
                    }
                }
                *slot = RxEntry {
                    nbl: Some(nbl.nbl),
                    mdl: Some(nbl.mdl),
                    frame: Some(nbl.frame),
                    capacity: nbl.capacity,
                };
                Ok(())
            }
            None => Err(nbl),
        }
    }

    /// Free every descriptor's NBL and MDL. Only when none is indicated (after halt's waits).
    pub fn free_all(&mut self) {
        for slot in self.descriptors.iter_mut() {
            if let Some(descriptor) =
                core::mem::replace(slot, <RxEntry as bytemuck::Zeroable>::zeroed()).get()
            {
                ReceiveNbl {
                    nbl: descriptor.nbl,
                    mdl: descriptor.mdl,
                    frame: descriptor.frame,
                    capacity: descriptor.capacity,
                }
                .free();
            }
        }
    }

    pub fn free_count(&self) -> usize {
        self.states.lock_any().iter().filter(|state| **state == RxState::Free).count()
    }

    pub fn indicated_count(&self) -> usize {
        self.states.lock_any().iter().filter(|state| **state == RxState::Indicated).count()
    }

    /// Lease up to `want` free descriptors under one acquisition of the lock, into `leases` (whose
    /// earlier leases must all have been handed out or released).
    pub fn lease_many(&self, want: usize, leases: &mut RxLeases<N>) {
        leases.next = 0;
        leases.len = 0;
        let want = want.min(N);
        let mut states = self.states.lock_any();
        for (index, state) in states.iter_mut().enumerate() {
            if leases.len >= want {
                break;
            }
            if *state == RxState::Free
                && self.descriptors.get(index).is_some_and(|entry| entry.get().is_some())
                && let Some(entry) = leases.indices.get_mut(leases.len)
            {
                *state = RxState::Leased;
                *entry = index;
                leases.len = leases.len.saturating_add(1);
            }
        }
    }

    /// The next descriptor of `leases`, now the caller's to fill.
    pub fn next_leased(&self, leases: &mut RxLeases<N>) -> Option<RxSlot> {
        while leases.next < leases.len {
            let index = *leases.indices.get(leases.next)?;
            leases.next = leases.next.saturating_add(1);
            if let Some(descriptor) = self.descriptors.get(index).and_then(|entry| entry.get()) {
                return Some(RxSlot { index, frame: descriptor.frame, capacity: descriptor.capacity });
            }
        }
        None
    }

    /// Give back, under one acquisition of the lock, the leases not handed out.
    pub fn release_unused(&self, leases: &mut RxLeases<N>) {
        if leases.next >= leases.len {
            return;
        }
        let mut states = self.states.lock_any();
        for index in leases.indices.get(leases.next..leases.len).unwrap_or(&[]) {
            if let Some(state) = states.get_mut(*index) {
                *state = RxState::Free;
            }
        }
        leases.next = leases.len;
    }

    /// Give a leased descriptor back unused.
    pub fn release(&self, slot: RxSlot) {
        if let Some(state) = self.states.lock_any().get_mut(slot.index) {
            *state = RxState::Free;
        }
    }

    /// `NdisMIndicateReceiveNetBufferLists` for the frames in `chain` (each slot's first `len` bytes),
    /// then, with `NDIS_RECEIVE_FLAGS_RESOURCES`, take every NBL back at once. The chain is linked
    /// and the lengths set here, while the miniport still owns the NBLs.
    pub fn indicate(&self, miniport: NdisHandle, chain: &mut IndicationChain<N>, receive_flags: u32) {
        if chain.count == 0 {
            return;
        }
        let mut head: *mut NetBufferList = ptr::null_mut();
        {
            let mut states = self.states.lock_any();
            for (index, length, ieee8021q) in chain.entries.iter().take(chain.count).rev() {
                let Some(descriptor) = self.descriptors.get(*index).and_then(|entry| entry.get()) else {
                    continue;
                };
                // SAFETY: Leased descriptors are ours; NB and MDL lengths are set to the frame's.
                unsafe {
                    let nbl = descriptor.nbl.as_ptr();
                    let nb = (*nbl).FirstNetBuffer;
                    if let Some(nb) = nb.as_mut() {
                        nb.DataLength = *length;
                        nb.DataOffset = 0;
                        nb.CurrentMdlOffset = 0;
                        nb.CurrentMdl = descriptor.mdl.as_ptr();
                    }
                    (*descriptor.mdl.as_ptr()).ByteCount = *length;
                    (*nbl).Status = NDIS_STATUS_SUCCESS;
                    // Set on every indication: the NBL may carry the last frame's tag.
                    if let Some(slot) = (*nbl).NetBufferListInfo.get_mut(IEEE_8021Q_NET_BUFFER_LIST_INFO) {
                        *slot = ptr::without_provenance_mut(*ieee8021q);
                    }
                    (*nbl).Next = head;
                    head = nbl;
                }
                if let Some(state) = states.get_mut(*index) {
                    *state = RxState::Indicated;
                }
            }
        }
        let count = u32::try_from(chain.count).unwrap_or(u32::MAX);
        // SAFETY: a chain of `count` receive NBLs this miniport owns, now handed to NDIS.
        unsafe {
            sys::ndis_m_indicate_receive_net_buffer_lists(
                miniport,
                head,
                NDIS_DEFAULT_PORT_NUMBER,
                count,
                receive_flags,
            )
        };
        if receive_flags & NDIS_RECEIVE_FLAGS_RESOURCES != 0 {
            // Ownership came back when the call returned (Doc nf-ndis-ndismindicatereceivenetbufferlists).
            let mut states = self.states.lock_any();
            for (index, _, _) in chain.entries.iter().take(chain.count) {
                if let Some(state) = states.get_mut(*index) {
                    *state = RxState::Free;
                }
            }
        }
        chain.count = 0;
    }

    /// `MiniportReturnNetBufferLists`: take back every NBL of the chain under one acquisition of the
    /// lock. Returns how many were not ours in NDIS's hands (counted by the caller, never touched).
    pub fn returned(&self, chain: ReturnedChain) -> u64 {
        let mut foreign = 0u64;
        let mut states = self.states.lock_any();
        for nbl in chain {
            match self.index_of(nbl).and_then(|index| states.get_mut(index)) {
                Some(state) if *state == RxState::Indicated => *state = RxState::Free,
                _ => foreign = foreign.saturating_add(1),
            }
        }
        foreign
    }

    /// The descriptor of `nbl`: its index is in `MiniportReserved[0]` (set when the pool took it),
    /// confirmed against the descriptor so a foreign NBL is never mistaken for ours.
    fn index_of(&self, nbl: *mut NetBufferList) -> Option<usize> {
        // SAFETY: NDIS hands back valid NBLs; only the miniport's scratch field is read.
        let index = unsafe { nbl.as_ref()?.MiniportReserved.0.first()?.addr() };
        let descriptor = self.descriptors.get(index).and_then(|entry| entry.get())?;
        ptr::eq(descriptor.nbl.as_ptr(), nbl).then_some(index)
    }
}

/// Descriptors leased together ([`ReceivePool::lease_many`]) and handed out one by one: one lock
/// round trip per batch of frames instead of one per frame.
#[derive(bytemuck::Zeroable)]
pub struct RxLeases<const N: usize> {
    indices: [usize; N],
    next: usize,
    len: usize,
}

/// A leased receive descriptor and its frame slot.
pub struct RxSlot {
    index: usize,
    frame: NonNull<u8>,
    capacity: u32,
}

impl RxSlot {
    /// The frame slot, `capacity` bytes.
    pub fn frame_mut(&mut self) -> &mut [u8] {
        // SAFETY: the descriptor is Leased to this `RxSlot` (exclusive by the pool's state machine,
        // and the slot is not Clone), and its frame slot is `capacity` bytes of the adapter's frame
        // area, which outlives every receive descriptor.
        unsafe {
            core::slice::from_raw_parts_mut(self.frame.as_ptr(), usize::try_from(self.capacity).unwrap_or(0))
        }
    }
}

/// Frames gathered for one indication: descriptor index, length and the
/// `Ieee8021QNetBufferListInfo` to indicate with; the first `count` entries are valid.
#[derive(bytemuck::Zeroable)]
pub struct IndicationChain<const N: usize> {
    entries: [(usize, u32, usize); N],
    count: usize,
}

impl<const N: usize> IndicationChain<N> {
    pub fn clear(&mut self) {
        self.count = 0;
    }

    /// Add a filled descriptor of `length` bytes, indicated with `ieee8021q` as its 802.1Q info.
    pub fn push(&mut self, slot: RxSlot, length: u32, ieee8021q: usize) {
        if let Some(entry) = self.entries.get_mut(self.count) {
            *entry = (slot.index, length, ieee8021q);
            self.count = self.count.saturating_add(1);
        }
    }

    pub fn len(&self) -> usize {
        self.count
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
        unsafe { sys::ndis_free_net_buffer_list_pool(self.handle) }
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
        let mdl = NonNull::new(unsafe { sys::ndis_allocate_mdl(ndis_handle, va, len) })
            .ok_or(NDIS_STATUS_RESOURCES)?;
        // SAFETY: the MDL chain is ours and outlives the NBL (freed after it in `free`).
        let nbl = unsafe {
            sys::ndis_allocate_net_buffer_and_net_buffer_list(pool.handle, 0, 0, mdl.as_ptr(), 0, data_length)
        };
        let Some(frame) = NonNull::new(va.cast::<u8>()) else {
            // SAFETY: the MDL was just allocated and nothing refers to it.
            unsafe { sys::ndis_free_mdl(mdl.as_ptr()) };
            return Err(NDIS_STATUS_INVALID_LENGTH);
        };
        match NonNull::new(nbl) {
            Some(nbl) => Ok(Self { nbl, mdl, frame, capacity: len }),
            None => {
                // SAFETY: the MDL was just allocated and nothing refers to it.
                unsafe { sys::ndis_free_mdl(mdl.as_ptr()) };
                Err(NDIS_STATUS_RESOURCES)
            }
        }
    }

    /// `NdisFreeNetBufferList`, then `NdisFreeMdl`.
    pub fn free(self) {
        // SAFETY: the miniport owns this NBL (never indicated, or returned by NDIS), and the MDL
        // is referenced only by it.
        unsafe {
            sys::ndis_free_net_buffer_list(self.nbl.as_ptr());
            sys::ndis_free_mdl(self.mdl.as_ptr());
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

/// What a read's completion routine needs to indicate one batch, kept with the read request (its
/// slot context) rather than on the stack at DISPATCH_LEVEL.
#[derive(Zeroable)]
pub struct ReceiveScratch {
    pub leases: RxLeases<RECEIVE_NBLS>,
    pub chain: IndicationChain<RECEIVE_NBLS>,
}
