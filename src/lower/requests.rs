//! Pre-allocated request slots with an ownership state machine, so that a request's buffer (and the
//! per-request context `C`) is only ever touched by whoever holds the slot.
//!
//! A slot is Free, Leased (one context owns it and may read and write its buffer and context),
//! InFlight (sent below: the device owns the buffer), HandedBack (completed, and given back to
//! the context still inside `WdfRequestSend` for it, which sends it again) or Held (completed, its
//! buffer lent to someone else: a read whose frames NDIS holds, until the last comes back). [`RequestPool::lease`]
//! turns Free into Leased; a [`Slot`] is sent with one of its `send_*` methods (Leased → InFlight)
//! or released; the completion routine gets it back with [`RequestPool::completed`] (InFlight →
//! Leased). The state changes under a spin lock, which is what makes the `&mut` a [`Slot`] hands
//! out exclusive.
//!
//! **Bounded nesting.** A device may complete a request inside `WdfRequestSend` (KMDF then runs the
//! completion routine on the sender's stack, at the sender's IRQL). A completion routine that sent
//! its request again from there would nest one level deeper per completion, and a device that
//! always has data ready would overflow the 24 KiB kernel stack. So a send marks its slot as
//! *sending* until `WdfRequestSend` returns, and a completion routine that wants to send again
//! calls [`Slot::hand_back_if_sending`]: while the sender is still inside `WdfRequestSend` the
//! slot goes back to it ([`Sent::HandedBack`]), and the sender sends again from its own loop. The
//! stack then holds at most one sender and one completion routine per request, however many
//! completions come inline.
//!
//! Invariant: a slot's buffer and context are reached only through a [`Slot`], which exists only
//! for a slot in the Leased state; the state changes under the pool's spin lock.
#![allow(unsafe_code)]

use crate::nbl::receive::DescribedBuffer;
use crate::sync::SpinLock;
use crate::sys;
use bytemuck::Zeroable;
use core::cell::UnsafeCell;
use core::ffi::c_void;
use core::ptr::NonNull;
use ndis_types::handles::{NdisHandle, WdfContext, WdfIoTarget, WdfMemory, WdfRequest};
use ndis_types::nbl::Mdl;
use ndis_types::status::{
    NtStatus, STATUS_BUFFER_TOO_SMALL, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_DEVICE_STATE,
    STATUS_SUCCESS, STATUS_UNSUCCESSFUL, nt_success,
};
use ndis_types::wdf::{
    EvtWdfRequestCompletionRoutine, NON_PAGED_POOL_NX, WDF_REQUEST_REUSE_NO_FLAGS, WdfObjectAttributes,
    WdfRequestSendOptions,
};

#[derive(Clone, Copy, PartialEq, Eq, Debug, Zeroable)]
#[repr(u8)]
enum SlotState {
    Free = 0,
    Leased,
    InFlight,
    HandedBack,
    Held,
}

#[derive(Clone, Copy, Zeroable)]
struct SlotEntry {
    state: SlotState,
    /// The sender of the latest send is inside `WdfRequestSend` for it.
    sending: bool,
    /// Sends so far (wrapping): a sender that comes back from `WdfRequestSend` after its request
    /// completed elsewhere, was released and sent again by someone else, finds another count and
    /// leaves the slot alone.
    sends: u32,
    /// The latest completion came while its sender was inside `WdfRequestSend` (inline, or on
    /// another processor before the send returned).
    completed_in_send: bool,
}

/// A request and the buffer it always carries (`WdfRequestCreate` + `WdfMemoryCreate`), plus an
/// input buffer for internal IOCTLs that send one. All-zero (a NULL request) is an empty slot.
#[derive(Clone, Copy, Zeroable)]
pub struct RequestResources {
    pub request: WdfRequest,
    pub buffer: WdfBuffer,
    /// NULL memory when the request sends no input.
    pub input: WdfBuffer,
}

/// Where a pool's requests go and who hears of their completion, fixed when the lower edge is
/// built ([`RequestPool::aim`]): the data path sends a slot without knowing either. All-zero (no
/// routine) is "not aimed": nothing is sent.
#[derive(Clone, Copy, Zeroable)]
pub struct SendTarget {
    io_target: WdfIoTarget,
    /// Called by KMDF for every completed request of the pool, with `context`.
    completion: Option<EvtWdfRequestCompletionRoutine>,
    context: WdfContext,
}

/// The completion routines of the lower edge's three pools and the context KMDF passes them.
#[derive(Clone, Copy)]
pub struct CompletionRoutines {
    read: EvtWdfRequestCompletionRoutine,
    write: EvtWdfRequestCompletionRoutine,
    link: EvtWdfRequestCompletionRoutine,
    context: WdfContext,
}

impl CompletionRoutines {
    /// # Safety
    /// Each routine may be called with `context` for any request of its pool, at <= DISPATCH_LEVEL,
    /// until the pool's requests are deleted: `context` must stay valid that long, and be what
    /// each routine expects.
    pub unsafe fn new(
        read: EvtWdfRequestCompletionRoutine,
        write: EvtWdfRequestCompletionRoutine,
        link: EvtWdfRequestCompletionRoutine,
        context: WdfContext,
    ) -> Self {
        Self { read, write, link, context }
    }

    /// The targets of the read, write and link pools on `io_target`.
    pub fn targets(self, io_target: WdfIoTarget) -> [SendTarget; 3] {
        let context = self.context;
        [self.read, self.write, self.link].map(|routine| SendTarget {
            io_target,
            completion: Some(routine),
            context,
        })
    }
}

/// `N` requests, each with its buffers and a context `C` that belongs to whoever holds the slot
/// (the NBLs a write carries, the scratch space of a receive indication). All-zero is an empty
/// pool, so it can live in the adapter's zeroed pool memory.
#[derive(Zeroable)]
pub struct RequestPool<const N: usize, C = ()> {
    target: SendTarget,
    resources: [RequestResources; N],
    contexts: [UnsafeCell<C>; N],
    states: SpinLock<[SlotEntry; N]>,
}

// SAFETY: `contexts[i]` is reached only through the `Slot` for `i`, which exists for one context
// at a time (the state machine under `states`' spin lock); everything else is handles.
unsafe impl<const N: usize, C: Send> Sync for RequestPool<N, C> {}
// SAFETY: as above; moving the pool moves its contexts.
unsafe impl<const N: usize, C: Send> Send for RequestPool<N, C> {}

/// What a `send_*` did with a slot.
pub enum Sent<'a, const N: usize, C> {
    /// The request is below; its completion routine gets the slot back.
    Pending,
    /// The request completed while this sender was inside `WdfRequestSend` (inline, or on another
    /// processor before the send returned) and its completion routine kept the slot (lent it out,
    /// or released it): a completion inside the send all the same, which the sender counts against
    /// its budget.
    Kept,
    /// The request completed before `WdfRequestSend` returned and its completion routine handed
    /// the slot back to be sent again ([`Slot::hand_back_if_sending`]).
    HandedBack(Slot<'a, N, C>),
}

impl<const N: usize, C> RequestPool<N, C> {
    /// `NdisAllocateSpinLock` for the slot states, once the pool sits at its final address.
    pub fn initialize(&mut self) {
        self.states.initialize();
    }

    /// Aim every request of the pool at `target`, before any is sent.
    pub fn aim(&mut self, target: SendTarget) {
        self.target = target;
    }

    /// Record a created request; false if the pool is full.
    pub fn insert(&mut self, resources: RequestResources) -> bool {
        match self.resources.iter_mut().find(|slot| slot.request.is_null()) {
            Some(slot) => {
                *slot = resources;
                true
            }
            None => false,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.resources.iter().all(|slot| !slot.request.is_null())
    }

    /// Take a free slot, if any.
    pub fn lease(&self) -> Option<Slot<'_, N, C>> {
        let mut states = self.states.lock_any();
        let index = (0..N).find(|&index| {
            states.get(index).is_some_and(|entry| entry.state == SlotState::Free)
                && self.resources.get(index).is_some_and(|slot| !slot.request.is_null())
        })?;
        states.get_mut(index)?.state = SlotState::Leased;
        Some(Slot { pool: self, index })
    }

    /// The slot of a request KMDF completed: InFlight becomes Leased. None for a request that is
    /// not ours or not in flight (counted by the caller).
    pub fn completed(&self, request: WdfRequest) -> Option<Slot<'_, N, C>> {
        if request.is_null() {
            return None;
        }
        let index = self.resources.iter().position(|slot| slot.request == request)?;
        let mut states = self.states.lock_any();
        let entry = states.get_mut(index)?;
        if entry.state != SlotState::InFlight {
            return None;
        }
        entry.state = SlotState::Leased;
        entry.completed_in_send = entry.sending;
        Some(Slot { pool: self, index })
    }

    pub fn free(&self) -> usize {
        self.states.lock_any().iter().filter(|entry| entry.state == SlotState::Free).count()
    }

    /// The slot `index` that [`Slot::hold`] lent out, back to the caller: Held becomes Leased.
    /// None if it is not held.
    pub fn unhold(&self, index: usize) -> Option<Slot<'_, N, C>> {
        let mut states = self.states.lock_any();
        let entry = states.get_mut(index)?;
        if entry.state != SlotState::Held {
            return None;
        }
        entry.state = SlotState::Leased;
        Some(Slot { pool: self, index })
    }

    /// `NdisAllocateMdl` over every request's buffer, so that parts of it can be handed on in
    /// place ([`Slot::described_parts`]); [`RequestPool::delete`] frees them. Before any is sent.
    pub fn describe_buffers(&mut self, miniport: NdisHandle) -> Result<(), NtStatus> {
        for resources in self.resources.iter_mut().filter(|resources| !resources.request.is_null()) {
            let buffer = &mut resources.buffer;
            if buffer.buffer.is_null() || buffer.mdl.is_some() {
                continue;
            }
            let length = u32::try_from(buffer.len).map_err(|_| STATUS_INSUFFICIENT_RESOURCES)?;
            // SAFETY: the buffer is the memory object's nonpaged bytes, which the MDL is freed
            // before (`delete`).
            let mdl = unsafe { sys::ndis_allocate_mdl(miniport, buffer.buffer.cast::<c_void>(), length) };
            buffer.mdl = Some(NonNull::new(mdl).ok_or(STATUS_INSUFFICIENT_RESOURCES)?);
        }
        Ok(())
    }

    /// The first request's buffer and its length: an address in this pool's nonpaged memory, for
    /// sizing MDLs that will describe parts of such buffers.
    pub fn sample_buffer(&self) -> Option<(NonNull<c_void>, usize)> {
        let buffer = self.resources.first()?.buffer;
        Some((NonNull::new(buffer.buffer.cast::<c_void>())?, buffer.len))
    }

    /// No slot is leased, in flight, handed back or held: nobody is filling, sending or finishing
    /// a request of this pool, and no buffer of it is lent out. A slot a completion routine holds
    /// (InFlight → Leased) is still busy: its routine may yet indicate receives or complete sends.
    pub fn idle(&self) -> bool {
        self.states.lock_any().iter().all(|entry| entry.state == SlotState::Free)
    }

    /// `WdfRequestCancelSentRequest` on slot `index` if it is in flight. As in
    /// [`RequestPool::cancel_in_flight`], the lock is not held across the call.
    pub fn cancel_if_in_flight(&self, index: usize) {
        let in_flight =
            self.states.lock_any().get(index).is_some_and(|entry| entry.state == SlotState::InFlight);
        if in_flight && let Some(resources) = self.resources.get(index) {
            sys::wdf_request_cancel_sent_request(resources.request);
        }
    }

    /// `WdfRequestCancelSentRequest` on every request in flight. The lock is not held across the
    /// calls: a completion routine may run inside them.
    pub fn cancel_in_flight(&self) {
        for (index, resources) in self.resources.iter().enumerate() {
            let in_flight =
                self.states.lock_any().get(index).is_some_and(|entry| entry.state == SlotState::InFlight);
            if in_flight {
                sys::wdf_request_cancel_sent_request(resources.request);
            }
        }
    }

    /// `WdfObjectDelete` on every request and buffer, leaving the pool empty. Only once nothing is
    /// in flight (after `WdfIoTargetStop` with cancel-sent-I/O).
    pub fn delete(&mut self) {
        for slot in self.resources.iter_mut() {
            let resources = core::mem::replace(slot, RequestResources::zeroed());
            if resources.request.is_null() {
                continue;
            }
            sys::wdf_object_delete(resources.request.into());
            if let Some(mdl) = resources.buffer.mdl {
                // SAFETY: the MDL `describe_buffers` made over this buffer; nothing is in flight and
                // nothing built from it is in use (halt comes after every NBL came back).
                unsafe { sys::ndis_free_mdl(mdl.as_ptr()) };
            }
            sys::wdf_object_delete(resources.buffer.memory.into());
            if !resources.input.is_none() {
                sys::wdf_object_delete(resources.input.memory.into());
            }
        }
    }

    fn set_state(&self, index: usize, state: SlotState) {
        if let Some(entry) = self.states.lock_any().get_mut(index) {
            entry.state = state;
        }
    }
}

/// A leased slot: its owner may use the buffer and the context until it sends or releases the slot.
pub struct Slot<'a, const N: usize, C = ()> {
    pool: &'a RequestPool<N, C>,
    index: usize,
}

impl<'a, const N: usize, C> Slot<'a, N, C> {
    fn resources(&self) -> Option<RequestResources> {
        self.pool.resources.get(self.index).copied().filter(|resources| !resources.request.is_null())
    }

    pub fn index(&self) -> usize {
        self.index
    }

    pub fn request(&self) -> WdfRequest {
        self.resources().map_or(WdfRequest::NULL, |resources| resources.request)
    }

    /// The whole buffer. Exclusive: the slot is Leased to this owner.
    pub fn buffer(&mut self) -> &mut [u8] {
        match self.resources() {
            // SAFETY: the slot is Leased to this `Slot` (state changed under the pool's lock), so
            // no request using the buffer is pending and no other context holds the slot.
            Some(resources) => unsafe { resources.buffer.as_mut_slice() },
            None => &mut [],
        }
    }

    /// The slot's context. Exclusive: the slot is Leased to this owner. (None only for an index
    /// outside the pool, which `lease` and `completed` never hand out.)
    pub fn context(&mut self) -> Option<&mut C> {
        let context = self.pool.contexts.get(self.index)?.get();
        // SAFETY: only the holder of this slot reaches `contexts[index]` (the state machine), and
        // `&mut self` makes the borrow exclusive for its lifetime.
        Some(unsafe { &mut *context })
    }

    /// The buffer with the MDL that describes it, and the context. None if the buffer has no MDL
    /// ([`RequestPool::describe_buffers`]).
    pub fn described_parts(&mut self) -> Option<(DescribedBuffer<'_>, &mut C)> {
        let resources = self.resources()?;
        let mdl = resources.buffer.mdl?;
        // SAFETY: as in `buffer`.
        let bytes = unsafe { resources.buffer.as_mut_slice() };
        let context = self.pool.contexts.get(self.index)?.get();
        // SAFETY: as in `context`; the buffer and the context are distinct memory.
        // SAFETY (`DescribedBuffer::new`): `describe_buffers` built the MDL over exactly this
        // buffer, and it lives as long as the buffer (`delete` frees it first).
        let buffer = unsafe { DescribedBuffer::new(bytes, mdl) };
        // SAFETY: as in `context`; the buffer and the context are distinct memory.
        Some((buffer, unsafe { &mut *context }))
    }

    /// Lend the slot out: Leased becomes Held, and nobody may send it or touch its buffer through
    /// the pool until [`RequestPool::unhold`] gives it back.
    pub fn hold(self) {
        self.pool.set_state(self.index, SlotState::Held);
    }

    /// The buffer and the context at once.
    pub fn parts(&mut self) -> Option<(&mut [u8], &mut C)> {
        let buffer = match self.resources() {
            // SAFETY: as in `buffer`.
            Some(resources) => unsafe { resources.buffer.as_mut_slice() },
            None => &mut [],
        };
        let context = self.pool.contexts.get(self.index)?.get();
        // SAFETY: as in `context`; the buffer and the context are distinct memory.
        Some((buffer, unsafe { &mut *context }))
    }

    /// `WdfRequestGetStatus` of the completed request.
    pub fn status(&self) -> NtStatus {
        sys::wdf_request_get_status(self.request())
    }

    /// `WdfRequestGetInformation` of the completed request.
    pub fn information(&self) -> usize {
        sys::wdf_request_get_information(self.request())
    }

    /// Give the slot back.
    pub fn release(self) {
        self.pool.set_state(self.index, SlotState::Free);
    }

    /// For a completion routine that wants to send this request again: if its sender is still
    /// inside `WdfRequestSend` (the request completed inline, or on another processor before the
    /// send returned), the slot goes back to that sender, which sends it again from its loop, and
    /// None is returned. Otherwise the caller gets the slot to send itself.
    pub fn hand_back_if_sending(self) -> Option<Self> {
        let mut states = self.pool.states.lock_any();
        match states.get_mut(self.index) {
            Some(entry) if entry.sending => {
                entry.state = SlotState::HandedBack;
                None
            }
            _ => {
                drop(states);
                Some(self)
            }
        }
    }

    /// Reuse, format with `format`, set the completion routine and send. On failure the slot stays
    /// leased and comes back with the status.
    fn send(
        self,
        options: Option<&WdfRequestSendOptions>,
        format: impl FnOnce(WdfIoTarget, WdfRequest, WdfBuffer) -> NtStatus,
    ) -> Result<Sent<'a, N, C>, (Self, NtStatus)> {
        let SendTarget { io_target, completion, context } = self.pool.target;
        let (Some(resources), Some(completion)) = (self.resources(), completion) else {
            return Err((self, STATUS_INVALID_DEVICE_STATE));
        };
        // Reused before every format: KMDF requires it after a completion, and it also clears the
        // completion routine, which is therefore set again below (ndisedge NICFreeRCB).
        let status = sys::wdf_request_reuse(resources.request, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
        if !nt_success(status) {
            return Err((self, status));
        }
        let status = format(io_target, resources.request, resources.buffer);
        if !nt_success(status) {
            return Err((self, status));
        }
        // SAFETY: the request is the slot's, leased to this sender and not pending (its previous
        // completion routine, if any, has run: the slot is Leased); routine and context are the
        // pair `SendTarget::new` was promised is valid for every request of the pool.
        unsafe { sys::wdf_request_set_completion_routine(resources.request, Some(completion), context) };
        // InFlight before the send: the completion routine may run before WdfRequestSend returns
        // (inline, or on another processor).
        let this_send = self.start_send();
        let sent = sys::wdf_request_send(resources.request, io_target, options);
        let (handed_back, kept) = {
            let mut states = self.pool.states.lock_any();
            match states.get_mut(self.index) {
                // Completed, released and sent again by another context meanwhile: not ours.
                Some(entry) if entry.sends != this_send => (false, false),
                Some(entry) => {
                    entry.sending = false;
                    if !sent {
                        // Not sent: KMDF will not run the completion routine (Doc
                        // nf-wdfrequest-wdfrequestsend), so the slot is still this sender's.
                        entry.state = SlotState::Leased;
                    }
                    let handed_back = entry.state == SlotState::HandedBack;
                    if handed_back {
                        entry.state = SlotState::Leased;
                    }
                    let kept =
                        sent && !handed_back && entry.completed_in_send && entry.state != SlotState::InFlight;
                    (handed_back, kept)
                }
                None => (false, false),
            }
        };
        if !sent {
            let status = sys::wdf_request_get_status(resources.request);
            return Err((self, if nt_success(status) { STATUS_UNSUCCESSFUL } else { status }));
        }
        if handed_back {
            Ok(Sent::HandedBack(self))
        } else if kept {
            Ok(Sent::Kept)
        } else {
            // The completion routine owns the slot now (or will): this `Slot` is spent.
            Ok(Sent::Pending)
        }
    }

    /// Leased → InFlight, sending; returns the number of this send.
    fn start_send(&self) -> u32 {
        match self.pool.states.lock_any().get_mut(self.index) {
            Some(entry) => {
                entry.state = SlotState::InFlight;
                entry.sending = true;
                entry.completed_in_send = false;
                entry.sends = entry.sends.wrapping_add(1);
                entry.sends
            }
            None => 0,
        }
    }

    /// Send as a read of the whole buffer.
    pub fn send_read(self) -> Result<Sent<'a, N, C>, (Self, NtStatus)> {
        // No timeout: a read waits for frames as long as it takes.
        self.send(None, |io_target, request, buffer| {
            sys::wdf_io_target_format_request_for_read(io_target, request, buffer.memory)
        })
    }

    /// Send as a write of the first `length` bytes of the buffer, cancelled by the framework if the
    /// device has not completed it within `timeout_ms`.
    pub fn send_write(self, length: usize, timeout_ms: u32) -> Result<Sent<'a, N, C>, (Self, NtStatus)> {
        let options = WdfRequestSendOptions::relative_timeout_ms(timeout_ms);
        self.send(Some(&options), |io_target, request, buffer| {
            sys::wdf_io_target_format_request_for_write(io_target, request, buffer.memory, length)
        })
    }

    /// Send as an internal IOCTL (METHOD_BUFFERED): `input` is copied into the slot's input buffer,
    /// the output lands in the slot's buffer.
    pub fn send_internal_ioctl(
        self,
        ioctl_code: u32,
        input: &[u8],
    ) -> Result<Sent<'a, N, C>, (Self, NtStatus)> {
        let Some(input_buffer) =
            self.resources().map(|resources| resources.input).filter(|input| !input.is_none())
        else {
            return Err((self, STATUS_INVALID_DEVICE_STATE));
        };
        // SAFETY: the slot is Leased to this `Slot`; its input buffer is used only by its request,
        // which is not pending.
        let destination = unsafe { input_buffer.as_mut_slice() };
        match destination.get_mut(..input.len()) {
            Some(destination) => destination.copy_from_slice(input),
            None => return Err((self, STATUS_BUFFER_TOO_SMALL)),
        }
        // No timeout: the link watch stays pending until the link changes.
        self.send(None, |io_target, request, buffer| {
            sys::wdf_io_target_format_request_for_internal_ioctl(
                io_target,
                request,
                ioctl_code,
                input_buffer.memory,
                buffer.memory,
            )
        })
    }
}

/// A `WDFMEMORY` and the buffer KMDF allocated with it (`WdfMemoryCreate`). Deleted with
/// `WdfObjectDelete` (or with its parent). Who may touch the bytes is decided by the request slot
/// that owns it ([`Slot`]). All-zero (a NULL memory object, no bytes) is "no buffer".
#[derive(Clone, Copy, Zeroable)]
pub struct WdfBuffer {
    pub memory: WdfMemory,
    buffer: *mut u8,
    len: usize,
    /// An MDL over all `len` bytes, if the pool's buffers are described
    /// ([`RequestPool::describe_buffers`]).
    mdl: Option<NonNull<Mdl>>,
}

// SAFETY: nonpaged memory owned by the memory object; access is serialized by the request slot
// state machine of this module.
unsafe impl Send for WdfBuffer {}
// SAFETY: as above.
unsafe impl Sync for WdfBuffer {}

impl WdfBuffer {
    /// `WdfMemoryCreate(attributes, NonPagedPoolNx, tag, size, &memory, &buffer)`.
    pub fn create(attributes: &WdfObjectAttributes, tag: u32, size: usize) -> Result<Self, NtStatus> {
        let (memory, buffer) = sys::wdf_memory_create(attributes, NON_PAGED_POOL_NX, tag, size)?;
        match NonNull::new(buffer.cast::<u8>()) {
            Some(buffer) => Ok(Self { memory, buffer: buffer.as_ptr(), len: size, mdl: None }),
            None => {
                // A success without a buffer is an OS bug; do not keep the object.
                sys::wdf_object_delete(memory.into());
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
