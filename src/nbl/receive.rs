//! The receive side: the NBL pool, the receive NBLs (each with one NET_BUFFER and a partial MDL of
//! its own), and [`ReceivePool`], which tracks who owns each receive NBL: the miniport (free, or
//! leased to one completion routine) or NDIS (indicated, until `MiniportReturnNetBufferLists`).
//!
//! Frames are indicated in place: a leased NBL's MDL is rebuilt (`IoBuildPartialMdl`) over the
//! frame where it lies in the completed read's buffer. The pool counts, per read, the NBLs NDIS
//! holds over its buffer, so that the read goes below again only when the last has come back.
//!
//! Invariant: a [`RxSlot`] exists only for a receive NBL leased to its holder; the pool's state
//! changes under its spin lock, which is what makes the NBL and MDL a slot describes exclusive.
#![allow(unsafe_code)]

use crate::sync::SpinLock;
use crate::sys::{self, ndis_allocate_net_buffer_list_pool};
use bytemuck::Zeroable;
use core::ffi::c_void;
use core::ptr::{self, NonNull};
use ndis_types::TRUE;
use ndis_types::handles::NdisHandle;
use ndis_types::nbl::{
    IEEE_8021Q_NET_BUFFER_LIST_INFO, Mdl, NDIS_DEFAULT_PORT_NUMBER, NDIS_PROTOCOL_ID_DEFAULT,
    NDIS_RECEIVE_FLAGS_RESOURCES, NetBufferList, NetBufferListPoolParameters, PAGE_SIZE,
};
use ndis_types::object::{
    NDIS_OBJECT_TYPE_DEFAULT, NDIS_SIZEOF_NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1,
    NET_BUFFER_LIST_POOL_PARAMETERS_REVISION_1, NdisObjectHeader,
};
use ndis_types::status::{
    NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_RESOURCES, NDIS_STATUS_SUCCESS, NdisStatus,
};

/// Receive NBLs per adapter.
pub const RECEIVE_NBLS: usize = 64;

#[derive(Clone, Copy, PartialEq, Eq, Debug, bytemuck::Zeroable)]
#[repr(u8)]
enum RxState {
    Free = 0,
    Leased,
    Indicated,
}

/// A receive NBL the miniport allocated: one NET_BUFFER, one MDL with room for a frame of
/// `capacity` bytes anywhere in a read buffer.
#[derive(Clone, Copy)]
struct RxDescriptor {
    nbl: NonNull<NetBufferList>,
    mdl: NonNull<Mdl>,
    capacity: u32,
}

/// A descriptor table entry: all-zero (no NBL) is an empty entry.
#[derive(Clone, Copy, bytemuck::Zeroable)]
struct RxEntry {
    nbl: Option<NonNull<NetBufferList>>,
    mdl: Option<NonNull<Mdl>>,
    capacity: u32,
}

impl RxEntry {
    fn get(self) -> Option<RxDescriptor> {
        Some(RxDescriptor { nbl: self.nbl?, mdl: self.mdl?, capacity: self.capacity })
    }
}

// SAFETY: the descriptors are the adapter's; their state machine serializes access.
unsafe impl Send for RxDescriptor {}

/// Who owns each receive NBL, and for each of the `R` reads how many NBLs over its buffer NDIS
/// holds. All-zero: every NBL free, no read lent.
#[derive(bytemuck::Zeroable)]
struct RxBook<const N: usize, const R: usize> {
    states: [RxState; N],
    /// The read whose buffer an Indicated NBL's frame lies in.
    read_of: [usize; N],
    /// NBLs NDIS holds over each read's buffer.
    held: [u16; R],
    /// The read's request waits for its last NBL ([`ReceivePool::park`]).
    parked: [bool; R],
}

/// Whether an indication may leave its NBLs, and its read's buffer, with NDIS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lending {
    /// Never: `NDIS_RECEIVE_FLAGS_RESOURCES`, the NBLs come back when the call returns.
    Never,
    /// While fewer than `reads` other reads are lent and at least `free_nbls` NBLs are free;
    /// otherwise as [`Lending::Never`].
    UpTo { reads: usize, free_nbls: usize },
}

/// What [`ReceivePool::returned`] found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Returned {
    /// NBLs that were not ours in NDIS's hands (never touched).
    pub foreign: u64,
    /// Parked reads whose last NBL came back in this chain, one bit per read: their requests may
    /// go below again.
    pub reads_freed: u32,
}

/// The receive NBLs and who owns each (Free, Leased to a context filling it, or Indicated: NDIS's
/// until it returns it), for an adapter with `R` reads (at most 32). All-zero is an empty pool.
#[derive(bytemuck::Zeroable)]
pub struct ReceivePool<const N: usize, const R: usize> {
    descriptors: [RxEntry; N],
    book: SpinLock<RxBook<N, R>>,
}

// SAFETY: see RxDescriptor; the book is behind a spin lock.
unsafe impl<const N: usize, const R: usize> Sync for ReceivePool<N, R> {}
// SAFETY: as above.
unsafe impl<const N: usize, const R: usize> Send for ReceivePool<N, R> {}

impl<const N: usize, const R: usize> ReceivePool<N, R> {
    /// One bit per read in [`Returned::reads_freed`].
    const READS_FIT: () = assert!(R <= 32);

    pub fn initialize(&mut self) {
        let () = Self::READS_FIT;
        self.book.initialize();
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
                *slot = RxEntry { nbl: Some(nbl.nbl), mdl: Some(nbl.mdl), capacity: nbl.capacity };
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
                ReceiveNbl { nbl: descriptor.nbl, mdl: descriptor.mdl, capacity: descriptor.capacity }.free();
            }
        }
    }

    pub fn indicated_count(&self) -> usize {
        self.book.lock_any().states.iter().filter(|state| **state == RxState::Indicated).count()
    }

    /// Whether NDIS holds NBLs over read `read`'s buffer.
    pub fn holds(&self, read: usize) -> bool {
        self.book.lock_any().held.get(read).is_some_and(|held| *held > 0)
    }

    /// The read `read`'s request waits for its NBLs: true if NDIS still holds some (the return of
    /// the last reports the read in [`Returned::reads_freed`]), false if all came back already.
    pub fn park(&self, read: usize) -> bool {
        let mut book = self.book.lock_any();
        let RxBook { held, parked, .. } = &mut *book;
        match (held.get(read), parked.get_mut(read)) {
            (Some(held), Some(parked)) if *held > 0 => {
                *parked = true;
                true
            }
            _ => false,
        }
    }

    /// Lease up to `want` free descriptors under one acquisition of the lock, into `leases` (whose
    /// earlier leases must all have been handed out or released).
    pub fn lease_many(&self, want: usize, leases: &mut RxLeases<N>) {
        leases.next = 0;
        leases.len = 0;
        let want = want.min(N);
        let mut book = self.book.lock_any();
        for (index, state) in book.states.iter_mut().enumerate() {
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
                return Some(RxSlot { index, mdl: descriptor.mdl, capacity: descriptor.capacity });
            }
        }
        None
    }

    /// Give back, under one acquisition of the lock, the leases not handed out.
    pub fn release_unused(&self, leases: &mut RxLeases<N>) {
        if leases.next >= leases.len {
            return;
        }
        let mut book = self.book.lock_any();
        for index in leases.indices.get(leases.next..leases.len).unwrap_or(&[]) {
            if let Some(state) = book.states.get_mut(*index) {
                *state = RxState::Free;
            }
        }
        leases.next = leases.len;
    }

    /// Give a leased descriptor back unused.
    pub fn release(&self, slot: RxSlot) {
        if let Some(state) = self.book.lock_any().states.get_mut(slot.index) {
            *state = RxState::Free;
        }
    }

    /// `NdisMIndicateReceiveNetBufferLists` for the frames in `chain` (each NBL's MDL built over its
    /// frame in read `read`'s buffer), with `receive_flags` and, unless `lending` allows NDIS to
    /// keep them, `NDIS_RECEIVE_FLAGS_RESOURCES`: every NBL is then back when the call returns;
    /// otherwise NDIS holds them, and the read's buffer with them. The chain is linked and the
    /// lengths set here, while the miniport still owns the NBLs.
    pub fn indicate(
        &self,
        miniport: NdisHandle,
        chain: &mut IndicationChain<N>,
        receive_flags: u32,
        read: usize,
        lending: Lending,
    ) {
        if chain.count == 0 {
            return;
        }
        let mut head: *mut NetBufferList = ptr::null_mut();
        let mut linked = 0u16;
        let resources;
        {
            let mut book = self.book.lock_any();
            // Decided under the lock: completions of different reads on several processors could
            // otherwise each see room for one more and together lend every read.
            resources = match lending {
                Lending::Never => true,
                Lending::UpTo { reads, free_nbls } => {
                    let lent = book
                        .held
                        .iter()
                        .enumerate()
                        .filter(|&(other, held)| other != read && *held > 0)
                        .count();
                    // Entries past `*ReceiveBuffers` are empty (all-zero, so Free): not NBLs.
                    let free = book
                        .states
                        .iter()
                        .zip(self.descriptors.iter())
                        .filter(|(state, entry)| **state == RxState::Free && entry.get().is_some())
                        .count();
                    lent >= reads || free < free_nbls
                }
            };
            for (index, length, ieee8021q) in chain.entries.iter().take(chain.count).rev() {
                let Some(descriptor) = self.descriptors.get(*index).and_then(|entry| entry.get()) else {
                    // No NBL there (never leased so): nothing to indicate or keep.
                    if let Some(state) = book.states.get_mut(*index) {
                        *state = RxState::Free;
                    }
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
                        nb.MdlChain = descriptor.mdl.as_ptr();
                        nb.CurrentMdl = descriptor.mdl.as_ptr();
                    }
                    (*nbl).Status = NDIS_STATUS_SUCCESS;
                    // Set on every indication: the NBL may carry the last frame's tag.
                    if let Some(slot) = (*nbl).NetBufferListInfo.get_mut(IEEE_8021Q_NET_BUFFER_LIST_INFO) {
                        *slot = ptr::without_provenance_mut(*ieee8021q);
                    }
                    (*nbl).Next = head;
                    head = nbl;
                }
                if let Some(state) = book.states.get_mut(*index) {
                    *state = RxState::Indicated;
                }
                if let Some(read_of) = book.read_of.get_mut(*index) {
                    *read_of = read;
                }
                linked = linked.saturating_add(1);
            }
            if !resources && let Some(held) = book.held.get_mut(read) {
                // Counted before NDIS sees any of them: a return may come on another processor
                // before the indication returns.
                *held = held.saturating_add(linked);
            }
        }
        if linked == 0 {
            chain.count = 0;
            return;
        }
        let receive_flags =
            if resources { receive_flags | NDIS_RECEIVE_FLAGS_RESOURCES } else { receive_flags };
        let count = u32::from(linked);
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
        if resources {
            // Ownership came back when the call returned (Doc nf-ndis-ndismindicatereceivenetbufferlists).
            let mut book = self.book.lock_any();
            for (index, _, _) in chain.entries.iter().take(chain.count) {
                if let Some(state) = book.states.get_mut(*index) {
                    *state = RxState::Free;
                }
            }
        }
        chain.count = 0;
    }

    /// `MiniportReturnNetBufferLists`: take back every NBL of the chain under one acquisition of the
    /// lock, and learn which parked reads it frees.
    pub fn returned(&self, chain: ReturnedChain) -> Returned {
        let mut returned = Returned::default();
        let mut book = self.book.lock_any();
        let RxBook { states, read_of, held, parked } = &mut *book;
        for nbl in chain {
            let index = self.index_of(nbl);
            match index.and_then(|index| states.get_mut(index)) {
                Some(state) if *state == RxState::Indicated => *state = RxState::Free,
                _ => {
                    returned.foreign = returned.foreign.saturating_add(1);
                    continue;
                }
            }
            let Some(read) = index.and_then(|index| read_of.get(index)).copied() else { continue };
            if let (Some(held), Some(parked)) = (held.get_mut(read), parked.get_mut(read)) {
                *held = held.saturating_sub(1);
                if *held == 0 && *parked {
                    *parked = false;
                    returned.reads_freed |=
                        u32::checked_shl(1, u32::try_from(read).unwrap_or(u32::MAX)).unwrap_or(0);
                }
            }
        }
        returned
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

/// A request's buffer, held exclusively through its slot, and the MDL that describes exactly those
/// bytes (nonpaged, built by `NdisAllocateMdl`).
pub struct DescribedBuffer<'a> {
    bytes: &'a mut [u8],
    mdl: NonNull<Mdl>,
}

impl<'a> DescribedBuffer<'a> {
    /// # Safety
    /// `mdl` describes exactly `bytes` (nonpaged, locked) and stays valid for `'a`.
    pub unsafe fn new(bytes: &'a mut [u8], mdl: NonNull<Mdl>) -> Self {
        Self { bytes, mdl }
    }

    pub fn bytes(&mut self) -> &mut [u8] {
        self.bytes
    }

    /// The MDL over the whole buffer and the address of `span` in it; None for a span outside the
    /// buffer or longer than an MDL's `ByteCount`.
    pub fn locate(&mut self, span: core::ops::Range<usize>) -> Option<(NonNull<Mdl>, NonNull<c_void>, u32)> {
        let length = u32::try_from(span.len()).ok()?;
        let part = self.bytes.get_mut(span)?;
        Some((self.mdl, NonNull::new(part.as_mut_ptr().cast::<c_void>())?, length))
    }
}

/// A leased receive descriptor.
pub struct RxSlot {
    index: usize,
    mdl: NonNull<Mdl>,
    capacity: u32,
}

impl RxSlot {
    /// Build this NBL's MDL over `span` of `buffer` (`MmPrepareMdlForReuse`, then
    /// `IoBuildPartialMdl` from the buffer's MDL). False, and nothing built, for a span outside
    /// the buffer or longer than the NBL's capacity (the largest frame indicated).
    pub fn describe(&mut self, buffer: &mut DescribedBuffer<'_>, span: core::ops::Range<usize>) -> bool {
        let Some((source, va, length)) = buffer.locate(span) else { return false };
        if length == 0 || length > self.capacity {
            return false;
        }
        // SAFETY: the descriptor is Leased to this `RxSlot` (exclusive by the pool's state
        // machine, and the slot is not Clone), so no one else uses its MDL, which came from
        // IoAllocateMdl with room for any `capacity` bytes (`ReceiveNbl::allocate`); `source`
        // describes exactly the buffer's nonpaged bytes and `va..va+length` lies inside them
        // (`DescribedBuffer::locate`).
        unsafe {
            sys::mm_prepare_mdl_for_reuse(self.mdl.as_ptr());
            sys::io_build_partial_mdl(source.as_ptr(), self.mdl.as_ptr(), va.as_ptr(), length);
        }
        true
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

/// A receive NBL owned by the miniport: one NET_BUFFER whose MDL (from `IoAllocateMdl`) is built
/// over each frame it indicates. Freed explicitly with [`ReceiveNbl::free`] while the miniport
/// owns it.
pub struct ReceiveNbl {
    nbl: NonNull<NetBufferList>,
    mdl: NonNull<Mdl>,
    /// The largest frame the MDL can describe.
    capacity: u32,
}

// SAFETY: the NBL and MDL are owned by the adapter while not indicated; NDIS owns them in between.
unsafe impl Send for ReceiveNbl {}
// SAFETY: as above.
unsafe impl Sync for ReceiveNbl {}

impl ReceiveNbl {
    /// `IoAllocateMdl` with room for a frame of `capacity` bytes at any place in a read buffer,
    /// then `NdisAllocateNetBufferAndNetBufferList(pool, 0, 0, mdl, 0, 0)`. Undoes the MDL if the
    /// NBL cannot be had.
    ///
    /// `IoAllocateMdl` sizes an MDL for the pages its range spans (`ADDRESS_AND_SIZE_TO_SPAN_PAGES`,
    /// Doc nf-wdm-ioallocatemdl). `capacity` bytes anywhere span at most as many pages as
    /// `capacity + PAGE_SIZE - 1` bytes from any address, so the MDL is sized over that many bytes
    /// of a read buffer (`within`: its address and length); it describes nothing until
    /// [`RxSlot::describe`] builds it.
    pub fn allocate(
        pool: &NblPool,
        within: (NonNull<c_void>, usize),
        capacity: u32,
    ) -> Result<Self, NdisStatus> {
        let (va, available) = within;
        let sized_for = usize::try_from(capacity)
            .ok()
            .and_then(|capacity| capacity.checked_add(PAGE_SIZE - 1))
            .filter(|&sized_for| sized_for <= available)
            .and_then(|sized_for| u32::try_from(sized_for).ok())
            .ok_or(NDIS_STATUS_INVALID_LENGTH)?;
        // SAFETY: `va..va+sized_for` lies in the read buffer; IoAllocateMdl only sizes the MDL.
        let mdl = NonNull::new(unsafe { sys::io_allocate_mdl(va.as_ptr(), sized_for) })
            .ok_or(NDIS_STATUS_RESOURCES)?;
        // SAFETY: the MDL chain is ours and outlives the NBL (freed after it in `free`).
        let nbl = unsafe {
            sys::ndis_allocate_net_buffer_and_net_buffer_list(pool.handle, 0, 0, mdl.as_ptr(), 0, 0)
        };
        match NonNull::new(nbl) {
            Some(nbl) => Ok(Self { nbl, mdl, capacity }),
            None => {
                // SAFETY: the MDL was just allocated and nothing refers to it.
                unsafe { sys::io_free_mdl(mdl.as_ptr()) };
                Err(NDIS_STATUS_RESOURCES)
            }
        }
    }

    /// `NdisFreeNetBufferList`, then `IoFreeMdl`.
    pub fn free(self) {
        // SAFETY: the miniport owns this NBL (never indicated, or returned by NDIS), and the MDL
        // is referenced only by it.
        unsafe {
            sys::ndis_free_net_buffer_list(self.nbl.as_ptr());
            sys::io_free_mdl(self.mdl.as_ptr());
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

/// Where one frame lies in a read's buffer.
#[derive(Clone, Copy, Zeroable)]
pub struct FrameSpan {
    pub start: u32,
    pub end: u32,
}

/// What a read's completion routine needs to indicate one batch, kept with the read request (its
/// slot context) rather than on the stack at DISPATCH_LEVEL.
#[derive(Zeroable)]
pub struct ReceiveScratch {
    pub leases: RxLeases<RECEIVE_NBLS>,
    pub chain: IndicationChain<RECEIVE_NBLS>,
    /// The frames of the batch being indicated, found once the batch is checked: the buffer is
    /// then rewritten in place (tags stripped) while they are handed on.
    pub spans: [FrameSpan; vwire_proto::MAX_BATCH_FRAMES],
    pub span_count: usize,
}

impl ReceiveScratch {
    /// Check the batch at the start of `buffer` and record where its frames lie. False, and no
    /// frame recorded, for a malformed batch.
    pub fn find_frames(&mut self, buffer: &[u8]) -> bool {
        self.span_count = 0;
        let Ok(batch) = vwire_proto::Batch::parse(buffer) else { return false };
        for (slot, span) in self.spans.iter_mut().zip(batch.frame_spans()) {
            let (Ok(start), Ok(end)) = (u32::try_from(span.start), u32::try_from(span.end)) else {
                self.span_count = 0;
                return false;
            };
            *slot = FrameSpan { start, end };
            self.span_count = self.span_count.saturating_add(1);
        }
        true
    }
}
