//! NET_BUFFER_LIST, NET_BUFFER and MDL access for the data path, as safe operations over structures
//! whose ownership the type system cannot see: a [`SendNbl`] exists only for an NBL NDIS handed to
//! `MiniportSendNetBufferLists` and not yet completed; a [`RxSlot`] only for a receive NBL the
//! miniport owns. The accessor macros of nblaccessors.h are plain field accesses
//! (W:km/ndis/nblaccessors.h:21-44, 182-190).

use super::{SpinLock, backend};
use core::ffi::c_void;
use core::ptr::{self, NonNull};
use ndis_types::nbl::*;
use ndis_types::oid::*;
use ndis_types::*;

// ---------------------------------------------------------------------------------------------
// MDLs

/// `MmGetSystemAddressForMdlSafe(Mdl, Priority)` as wdm.h's FORCEINLINE expands it
/// (W:km/wdm.h:29056-29104): the mapped VA if the MDL is mapped or describes nonpaged pool, else a
/// new mapping.
fn mm_get_system_address_for_mdl_safe(mdl: NonNull<Mdl>, priority: u32) -> *mut c_void {
    // SAFETY: the MDL belongs to an NBL the miniport owns for this call.
    let (flags, mapped) = unsafe { ((*mdl.as_ptr()).MdlFlags, (*mdl.as_ptr()).MappedSystemVa) };
    if flags & (MDL_MAPPED_TO_SYSTEM_VA | MDL_SOURCE_IS_NONPAGED_POOL) != 0 {
        mapped
    } else {
        backend::mm_map_locked_pages_specify_cache(mdl.as_ptr(), priority)
    }
}

/// `NormalPagePriority | MdlMappingNoExecute`: what `NdisQueryMdl` asks for.
const MDL_MAPPING_PRIORITY: u32 = 16 | 0x4000_0000;

/// Why a NET_BUFFER's data could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetBufferError {
    /// The MDL chain ends before `DataLength` bytes.
    ChainTooShort,
    /// A mapping failed (`MmGetSystemAddressForMdlSafe` returned NULL).
    NotMapped,
    /// The destination is not `DataLength` bytes.
    LengthMismatch,
}

// ---------------------------------------------------------------------------------------------
// Send side

/// An NBL NDIS sent to the miniport and not yet completed.
#[repr(transparent)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SendNbl(NonNull<NetBufferList>);

// SAFETY: `SendNbl` is `#[repr(transparent)]` over `NonNull`, so `Option<SendNbl>` has the null
// pointer as `None` (the guarantee core::option documents for such wrappers): all-zero is `None`.
unsafe impl bytemuck::ZeroableInOption for SendNbl {}

// SAFETY: the miniport owns the NBL until it completes it; ownership moves between its contexts.
unsafe impl Send for SendNbl {}

/// A NET_BUFFER of a [`SendNbl`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SendNb(NonNull<NetBuffer>);

impl SendNbl {
    /// The NBLs of a chain NDIS passed to `MiniportSendNetBufferLists`, unlinked one by one.
    ///
    /// # Safety
    /// `head` is that chain (or null), and the miniport completes each NBL exactly once.
    pub unsafe fn unlink_chain(head: *mut NetBufferList) -> SendQueue {
        let mut queue = SendQueue::EMPTY;
        let mut next = head;
        while let Some(nbl) = NonNull::new(next) {
            // SAFETY: the chain is the miniport's (caller's guarantee).
            unsafe {
                next = (*nbl.as_ptr()).Next;
                (*nbl.as_ptr()).Next = ptr::null_mut();
            }
            queue.push_back(SendNbl(nbl));
        }
        queue
    }

    pub fn first_nb(self) -> Option<SendNb> {
        // SAFETY: the miniport owns this NBL.
        NonNull::new(unsafe { (*self.0.as_ptr()).FirstNetBuffer }).map(SendNb)
    }

    /// `NET_BUFFER_LIST_STATUS`.
    pub fn status(self) -> NdisStatus {
        // SAFETY: the miniport owns this NBL.
        unsafe { (*self.0.as_ptr()).Status }
    }

    pub fn set_status(self, status: NdisStatus) {
        // SAFETY: the miniport owns this NBL.
        unsafe { (*self.0.as_ptr()).Status = status }
    }

    /// `NDIS_GET_NET_BUFFER_LIST_CANCEL_ID`: `NetBufferListInfo[NetBufferListCancelId]`.
    pub fn cancel_id(self) -> *mut c_void {
        // SAFETY: the miniport owns this NBL; the slot index is within the 6.30 array.
        unsafe {
            (*self.0.as_ptr())
                .NetBufferListInfo
                .get(NET_BUFFER_LIST_CANCEL_ID)
                .copied()
                .unwrap_or(ptr::null_mut())
        }
    }

    /// `MiniportReserved[index]` as a number (the miniport's own scratch space, 2 pointers).
    pub fn reserved(self, index: usize) -> usize {
        // SAFETY: the miniport owns this NBL and its MiniportReserved area.
        unsafe { (*self.0.as_ptr()).MiniportReserved.0.get(index).map_or(0, |value| value.addr()) }
    }

    pub fn set_reserved(self, index: usize, value: usize) {
        // SAFETY: the miniport owns this NBL and its MiniportReserved area.
        unsafe {
            if let Some(slot) = (*self.0.as_ptr()).MiniportReserved.0.get_mut(index) {
                *slot = ptr::without_provenance_mut(value);
            }
        }
    }

    /// The NB to send next, as recorded with [`SendNbl::set_next_nb`].
    pub fn next_nb(self) -> Option<SendNb> {
        // SAFETY: the miniport owns this NBL and its MiniportReserved area.
        let raw = unsafe { (*self.0.as_ptr()).MiniportReserved.0.get(1).copied().unwrap_or(ptr::null_mut()) };
        NonNull::new(raw.cast::<NetBuffer>()).map(SendNb)
    }

    pub fn set_next_nb(self, nb: Option<SendNb>) {
        let raw = nb.map_or(ptr::null_mut(), |nb| nb.0.as_ptr().cast::<c_void>());
        // SAFETY: the miniport owns this NBL and its MiniportReserved area.
        unsafe {
            if let Some(slot) = (*self.0.as_ptr()).MiniportReserved.0.get_mut(1) {
                *slot = raw;
            }
        }
    }

    fn as_ptr(self) -> *mut NetBufferList {
        self.0.as_ptr()
    }
}

impl SendNb {
    pub fn next(self) -> Option<SendNb> {
        // SAFETY: the NB belongs to an NBL the miniport owns.
        NonNull::new(unsafe { (*self.0.as_ptr()).Next }).map(SendNb)
    }

    /// `NET_BUFFER_DATA_LENGTH`.
    pub fn data_length(self) -> usize {
        // SAFETY: the NB belongs to an NBL the miniport owns.
        usize::try_from(unsafe { (*self.0.as_ptr()).DataLength }).unwrap_or(usize::MAX)
    }

    /// Copy the NB's data (from `CurrentMdl` at `CurrentMdlOffset`, `DataLength` bytes across
    /// the MDL chain) into `destination`, which must be exactly `DataLength` bytes.
    pub fn copy_to(self, destination: &mut [u8]) -> Result<(), NetBufferError> {
        if destination.len() != self.data_length() {
            return Err(NetBufferError::LengthMismatch);
        }
        // SAFETY: the NB belongs to an NBL the miniport owns.
        let (mut mdl, mut offset) =
            unsafe { ((*self.0.as_ptr()).CurrentMdl, (*self.0.as_ptr()).CurrentMdlOffset) };
        let mut copied = 0usize;
        while copied < destination.len() {
            let Some(current) = NonNull::new(mdl) else {
                return Err(NetBufferError::ChainTooShort);
            };
            // SAFETY: an MDL of the NB's chain.
            let byte_count = unsafe { (*current.as_ptr()).ByteCount };
            let available = byte_count.saturating_sub(offset);
            if available > 0 {
                let base = mm_get_system_address_for_mdl_safe(current, MDL_MAPPING_PRIORITY);
                if base.is_null() {
                    return Err(NetBufferError::NotMapped);
                }
                let wanted = destination.len().saturating_sub(copied);
                let take = wanted.min(usize::try_from(available).unwrap_or(usize::MAX));
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let Some(target) = destination.get_mut(copied..copied.saturating_add(take)) else {
                    return Err(NetBufferError::LengthMismatch);
                };
                // SAFETY: the MDL maps `ByteCount` bytes at `base`; `start + take <= ByteCount`.
                let source = unsafe { core::slice::from_raw_parts(base.cast::<u8>().add(start), take) };
                target.copy_from_slice(source);
                copied = copied.saturating_add(take);
            }
            offset = 0;
            // SAFETY: an MDL of the NB's chain.
            mdl = unsafe { (*current.as_ptr()).Next };
        }
        Ok(())
    }
}

/// A FIFO of send NBLs linked through `NET_BUFFER_LIST.Next`, which the miniport may use while it
/// owns them: queueing takes no memory. All-zero is the empty queue.
#[derive(bytemuck::Zeroable)]
pub struct SendQueue {
    head: Option<SendNbl>,
    tail: Option<SendNbl>,
    len: usize,
}

// SAFETY: the queue owns the NBLs it links.
unsafe impl Send for SendQueue {}

impl SendQueue {
    pub const EMPTY: Self = Self { head: None, tail: None, len: 0 };

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn link(from: SendNbl, to: Option<SendNbl>) {
        // SAFETY: both NBLs are owned by the queue.
        unsafe { (*from.as_ptr()).Next = to.map_or(ptr::null_mut(), SendNbl::as_ptr) }
    }

    pub fn push_back(&mut self, nbl: SendNbl) {
        Self::link(nbl, None);
        match self.tail {
            Some(tail) => Self::link(tail, Some(nbl)),
            None => self.head = Some(nbl),
        }
        self.tail = Some(nbl);
        self.len = self.len.saturating_add(1);
    }

    pub fn push_front(&mut self, nbl: SendNbl) {
        Self::link(nbl, self.head);
        if self.tail.is_none() {
            self.tail = Some(nbl);
        }
        self.head = Some(nbl);
        self.len = self.len.saturating_add(1);
    }

    pub fn pop_front(&mut self) -> Option<SendNbl> {
        let head = self.head?;
        // SAFETY: owned by the queue.
        let next = NonNull::new(unsafe { (*head.as_ptr()).Next }).map(SendNbl);
        Self::link(head, None);
        self.head = next;
        if next.is_none() {
            self.tail = None;
        }
        self.len = self.len.saturating_sub(1);
        Some(head)
    }

    /// Move the NBLs for which `take` is true into a new queue, keeping the order of both.
    pub fn extract(&mut self, mut take: impl FnMut(SendNbl) -> bool) -> SendQueue {
        let mut kept = SendQueue::EMPTY;
        let mut taken = SendQueue::EMPTY;
        while let Some(nbl) = self.pop_front() {
            if take(nbl) { taken.push_back(nbl) } else { kept.push_back(nbl) }
        }
        *self = kept;
        taken
    }

    /// Set every NBL's status and give the chain back: `NdisMSendNetBufferListsComplete`.
    pub fn complete(mut self, miniport: NdisHandle, status: Option<NdisStatus>, send_complete_flags: u32) {
        let Some(head) = self.head else {
            return;
        };
        if let Some(status) = status {
            let mut cursor = Some(head);
            while let Some(nbl) = cursor {
                nbl.set_status(status);
                // SAFETY: owned by the queue.
                cursor = NonNull::new(unsafe { (*nbl.as_ptr()).Next }).map(SendNbl);
            }
        }
        self.head = None;
        self.tail = None;
        self.len = 0;
        // SAFETY: every NBL of the chain came from the send handler and is completed here once
        // (the queue is consumed).
        unsafe {
            backend::ndis_m_send_net_buffer_lists_complete(miniport, head.as_ptr(), send_complete_flags)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Receive side

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
    pub fn initialize(&self) {
        self.states.initialize();
    }

    /// Take ownership of a receive NBL allocated by [`super::ReceiveNbl::allocate`].
    pub fn insert(&mut self, nbl: super::ReceiveNbl) -> Result<(), super::ReceiveNbl> {
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
                super::ReceiveNbl {
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
            for (index, length) in chain.entries.iter().take(chain.count).rev() {
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
            backend::ndis_m_indicate_receive_net_buffer_lists(
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
            for (index, _) in chain.entries.iter().take(chain.count) {
                if let Some(state) = states.get_mut(*index) {
                    *state = RxState::Free;
                }
            }
        }
        chain.count = 0;
    }

    /// `MiniportReturnNetBufferLists`: take back every NBL of the chain under one acquisition of the
    /// lock. Returns how many were not ours in NDIS's hands (counted by the caller, never touched).
    pub fn returned(&self, chain: super::ReturnedChain) -> u64 {
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

/// Frames gathered for one indication: descriptor index and length; the first `count` entries
/// are valid.
#[derive(bytemuck::Zeroable)]
pub struct IndicationChain<const N: usize> {
    entries: [(usize, u32); N],
    count: usize,
}

impl<const N: usize> IndicationChain<N> {
    pub fn clear(&mut self) {
        self.count = 0;
    }

    /// Add a filled descriptor of `length` bytes.
    pub fn push(&mut self, slot: RxSlot, length: u32) {
        if let Some(entry) = self.entries.get_mut(self.count) {
            *entry = (slot.index, length);
            self.count = self.count.saturating_add(1);
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }
}

// ---------------------------------------------------------------------------------------------
// Status indications

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
