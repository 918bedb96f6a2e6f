//! Pre-allocated request slots with an ownership state machine, so that a request's buffer is only
//! ever touched by whoever holds the slot.
//!
//! A slot is Free, Leased (one context owns it and may read and write its buffer) or InFlight (sent
//! below: the device owns the buffer). [`RequestPool::lease`] turns Free into Leased; a
//! [`Slot`] is sent with one of its `send_*` methods (Leased → InFlight) or released; the
//! completion routine gets it back with [`RequestPool::completed`] (InFlight → Leased). The state
//! changes under a spin lock, which is what makes the `&mut [u8]` a [`Slot`] hands out exclusive.

use super::{SpinLock, WdfBuffer, backend};
use ndis_types::wdf::*;
use ndis_types::*;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum SlotState {
    Free,
    Leased,
    InFlight,
}

/// A request and the buffer it always carries (`WdfRequestCreate` + `WdfMemoryCreate`), plus an
/// input buffer for internal IOCTLs that send one.
#[derive(Clone, Copy)]
pub struct RequestResources {
    pub request: WdfRequest,
    pub buffer: WdfBuffer,
    pub input: Option<WdfBuffer>,
}

pub struct RequestPool<const N: usize> {
    resources: [Option<RequestResources>; N],
    states: SpinLock<[SlotState; N]>,
}

impl<const N: usize> RequestPool<N> {
    pub const fn new() -> Self {
        Self { resources: [None; N], states: SpinLock::new([SlotState::Free; N]) }
    }

    /// `NdisAllocateSpinLock` for the slot states, once the pool sits at its final address.
    pub fn initialize(&self) {
        self.states.initialize();
    }

    /// Record a created request; false if the pool is full.
    pub fn insert(&mut self, resources: RequestResources) -> bool {
        match self.resources.iter_mut().find(|slot| slot.is_none()) {
            Some(slot) => {
                *slot = Some(resources);
                true
            }
            None => false,
        }
    }

    pub fn is_complete(&self) -> bool {
        self.resources.iter().all(Option::is_some)
    }

    /// Take a free slot, if any.
    pub fn lease(&self) -> Option<Slot<'_, N>> {
        let mut states = self.states.lock_any();
        let index = (0..N).find(|&index| {
            states.get(index) == Some(&SlotState::Free)
                && self.resources.get(index).is_some_and(Option::is_some)
        })?;
        *states.get_mut(index)? = SlotState::Leased;
        Some(Slot { pool: self, index })
    }

    /// The slot of a request KMDF completed: InFlight becomes Leased. None for a request that is
    /// not ours or not in flight (counted by the caller).
    pub fn completed(&self, request: WdfRequest) -> Option<Slot<'_, N>> {
        let index =
            self.resources.iter().position(|slot| slot.is_some_and(|slot| slot.request == request))?;
        let mut states = self.states.lock_any();
        let state = states.get_mut(index)?;
        if *state != SlotState::InFlight {
            return None;
        }
        *state = SlotState::Leased;
        Some(Slot { pool: self, index })
    }

    pub fn free(&self) -> usize {
        self.states.lock_any().iter().filter(|state| **state == SlotState::Free).count()
    }

    /// No slot is leased or in flight: nobody is filling, sending or finishing a request of this
    /// pool. A slot a completion routine holds (InFlight → Leased) is still busy: its routine may
    /// yet indicate receives or complete sends.
    pub fn idle(&self) -> bool {
        self.states.lock_any().iter().all(|state| *state == SlotState::Free)
    }

    /// `WdfRequestCancelSentRequest` on slot `index` if it is in flight. As in
    /// [`RequestPool::cancel_in_flight`], the lock is not held across the call.
    pub fn cancel_if_in_flight(&self, index: usize) {
        let in_flight = self.states.lock_any().get(index) == Some(&SlotState::InFlight);
        if in_flight && let Some(Some(resources)) = self.resources.get(index) {
            backend::wdf_request_cancel_sent_request(resources.request);
        }
    }

    /// `WdfRequestCancelSentRequest` on every request in flight. The lock is not held across the
    /// calls: a completion routine may run inside them.
    pub fn cancel_in_flight(&self) {
        let states = *self.states.lock_any();
        for (state, resources) in states.iter().zip(self.resources.iter()) {
            if *state == SlotState::InFlight
                && let Some(resources) = resources
            {
                backend::wdf_request_cancel_sent_request(resources.request);
            }
        }
    }

    /// `WdfObjectDelete` on every request and buffer, leaving the pool empty. Only once nothing is
    /// in flight (after `WdfIoTargetStop` with cancel-sent-I/O).
    pub fn delete(&mut self) {
        for slot in self.resources.iter_mut() {
            if let Some(resources) = slot.take() {
                backend::wdf_object_delete(resources.request.into());
                backend::wdf_object_delete(resources.buffer.memory.into());
                if let Some(input) = resources.input {
                    backend::wdf_object_delete(input.memory.into());
                }
            }
        }
    }

    fn set_state(&self, index: usize, state: SlotState) {
        if let Some(slot) = self.states.lock_any().get_mut(index) {
            *slot = state;
        }
    }
}

/// A leased slot: its owner may use the buffer until it sends or releases the slot.
pub struct Slot<'a, const N: usize> {
    pool: &'a RequestPool<N>,
    index: usize,
}

impl<'a, const N: usize> Slot<'a, N> {
    fn resources(&self) -> Option<RequestResources> {
        self.pool.resources.get(self.index).copied().flatten()
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

    /// `WdfRequestGetStatus` of the completed request.
    pub fn status(&self) -> NtStatus {
        backend::wdf_request_get_status(self.request())
    }

    /// `WdfRequestGetInformation` of the completed request.
    pub fn information(&self) -> usize {
        backend::wdf_request_get_information(self.request())
    }

    /// Give the slot back.
    pub fn release(self) {
        self.pool.set_state(self.index, SlotState::Free);
    }

    /// Reuse, format with `format`, set the completion routine and send. On failure the slot stays
    /// leased and comes back with the status.
    fn send(
        self,
        io_target: WdfIoTarget,
        completion: EvtWdfRequestCompletionRoutine,
        context: WdfContext,
        options: Option<&WdfRequestSendOptions>,
        format: impl FnOnce(WdfRequest, WdfBuffer) -> NtStatus,
    ) -> Result<(), (Self, NtStatus)> {
        let Some(resources) = self.resources() else {
            return Err((self, STATUS_INVALID_DEVICE_STATE));
        };
        // Reused before every format: KMDF requires it after a completion, and it also clears the
        // completion routine, which is therefore set again below (ndisedge NICFreeRCB).
        let status =
            backend::wdf_request_reuse(resources.request, WDF_REQUEST_REUSE_NO_FLAGS, STATUS_SUCCESS);
        if !nt_success(status) {
            return Err((self, status));
        }
        let status = format(resources.request, resources.buffer);
        if !nt_success(status) {
            return Err((self, status));
        }
        backend::wdf_request_set_completion_routine(resources.request, Some(completion), context);
        // InFlight before the send: the completion routine may run before WdfRequestSend returns.
        self.pool.set_state(self.index, SlotState::InFlight);
        if backend::wdf_request_send(resources.request, io_target, options) {
            Ok(())
        } else {
            self.pool.set_state(self.index, SlotState::Leased);
            let status = backend::wdf_request_get_status(resources.request);
            Err((self, if nt_success(status) { STATUS_UNSUCCESSFUL } else { status }))
        }
    }

    /// Send as a read of the whole buffer.
    pub fn send_read(
        self,
        io_target: WdfIoTarget,
        completion: EvtWdfRequestCompletionRoutine,
        context: WdfContext,
    ) -> Result<(), (Self, NtStatus)> {
        // No timeout: a read waits for frames as long as it takes.
        self.send(io_target, completion, context, None, |request, buffer| {
            backend::wdf_io_target_format_request_for_read(io_target, request, buffer.memory)
        })
    }

    /// Send as a write of the first `length` bytes of the buffer, cancelled by the framework if the
    /// device has not completed it within `timeout_ms`.
    pub fn send_write(
        self,
        io_target: WdfIoTarget,
        length: usize,
        timeout_ms: u32,
        completion: EvtWdfRequestCompletionRoutine,
        context: WdfContext,
    ) -> Result<(), (Self, NtStatus)> {
        let options = WdfRequestSendOptions::relative_timeout_ms(timeout_ms);
        self.send(io_target, completion, context, Some(&options), |request, buffer| {
            backend::wdf_io_target_format_request_for_write(io_target, request, buffer.memory, length)
        })
    }

    /// Send as an internal IOCTL (METHOD_BUFFERED): `input` is copied into the slot's input buffer,
    /// the output lands in the slot's buffer.
    pub fn send_internal_ioctl(
        self,
        io_target: WdfIoTarget,
        ioctl_code: u32,
        input: &[u8],
        completion: EvtWdfRequestCompletionRoutine,
        context: WdfContext,
    ) -> Result<(), (Self, NtStatus)> {
        let Some(input_buffer) = self.resources().and_then(|resources| resources.input) else {
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
        self.send(io_target, completion, context, None, |request, buffer| {
            backend::wdf_io_target_format_request_for_internal_ioctl(
                io_target,
                request,
                ioctl_code,
                input_buffer.memory,
                buffer.memory,
            )
        })
    }
}
