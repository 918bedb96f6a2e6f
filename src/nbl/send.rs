//! The send side: [`SendNbl`] (an NBL NDIS sent and the miniport has not completed), its
//! NET_BUFFERs, and [`SendQueue`], NBLs linked through their own `Next` field.
//!
//! Invariant: a `SendNbl` exists only for an NBL NDIS handed to `MiniportSendNetBufferLists` and
//! not yet completed, and it is in at most one queue; [`SendQueue::complete`] gives it back to NDIS
//! exactly once.
#![allow(unsafe_code)]

use super::{MDL_MAPPING_PRIORITY, NetBufferError, mm_get_system_address_for_mdl_safe};
use crate::sys;
use crate::traffic::TrafficTally;
use bytemuck::Zeroable;
use core::ffi::c_void;
use core::ptr::{self, NonNull};
use ndis_types::handles::NdisHandle;
use ndis_types::nbl::{IEEE_8021Q_NET_BUFFER_LIST_INFO, NET_BUFFER_LIST_CANCEL_ID, NetBuffer, NetBufferList};
use ndis_types::status::NdisStatus;
use vwire_proto::MAX_BATCH_FRAMES;

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

    /// `NetBufferListInfo[Ieee8021QNetBufferListInfo]` as a number: the
    /// `NDIS_NET_BUFFER_LIST_8021Q_INFO` the protocol set (km/ndis/nbl8021q.h), 0 if none.
    pub fn ieee8021q_info(self) -> usize {
        // SAFETY: the miniport owns this NBL; the slot index is within the 6.30 array.
        unsafe {
            (*self.0.as_ptr())
                .NetBufferListInfo
                .get(IEEE_8021Q_NET_BUFFER_LIST_INFO)
                .map_or(0, |value| value.addr())
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
        self.copy_head(destination)
    }

    /// Copy the first `destination.len()` bytes of the NB's data (at most `DataLength`): a look
    /// at the frame's header before it is packed.
    pub fn copy_head(self, destination: &mut [u8]) -> Result<(), NetBufferError> {
        if destination.len() > self.data_length() {
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
                // SAFETY: `current` is in the MDL chain of an NB of this SendNbl, which the miniport
                // owns until it completes the NBL.
                let base = unsafe { mm_get_system_address_for_mdl_safe(current, MDL_MAPPING_PRIORITY) };
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
        unsafe { sys::ndis_m_send_net_buffer_lists_complete(miniport, head.as_ptr(), send_complete_flags) }
    }
}

/// Which NBLs one write request carries, and what for the counters: the context of a write
/// request's slot, filled by the drain owner that packs it and emptied by whoever finishes it, in
/// place (2 KiB: never copied onto the stack at DISPATCH_LEVEL).
#[derive(Zeroable)]
pub struct WriteRefs {
    nbls: [Option<SendNbl>; MAX_BATCH_FRAMES],
    count: usize,
    /// The frames it carries as they go on the wire, counted when the write comes back.
    tally: TrafficTally,
}

impl WriteRefs {
    pub fn clear(&mut self) {
        self.count = 0;
        self.tally = TrafficTally::default();
    }

    /// No room to name another NBL: the request cannot take frames of a new one.
    pub fn is_full(&self) -> bool {
        self.count >= MAX_BATCH_FRAMES
    }

    /// The request carries frames of `nbl` (once per NBL, after its frames are counted).
    pub fn carry(&mut self, nbl: SendNbl) {
        if let Some(entry) = self.nbls.get_mut(self.count) {
            *entry = Some(nbl);
            self.count = self.count.saturating_add(1);
        }
    }

    /// One frame went into the request, as it is on the wire.
    pub fn count_frame(&mut self, frame: &[u8]) {
        self.tally.count(frame);
    }

    /// What the frames it carries count for.
    pub fn tally(&self) -> &TrafficTally {
        &self.tally
    }

    pub fn carried(&self) -> impl Iterator<Item = SendNbl> + '_ {
        self.nbls.iter().take(self.count).flatten().copied()
    }
}
