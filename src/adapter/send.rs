//! Send: `MiniportSendNetBufferLists` queues NBLs (linked through their own `Next`, no memory), and
//! one context at a time packs their NET_BUFFERs into pre-allocated write requests, several frames
//! per request, and sends them below. An NBL is completed exactly once, when every request carrying
//! one of its frames has completed (Doc `nf-ndis-ndismsendnetbufferlistscomplete`):
//! - `MiniportReserved[0]` counts the requests still carrying its frames, plus one while frames of
//!   it remain to be packed;
//! - `MiniportReserved[1]` is the next NET_BUFFER to pack;
//! - `NET_BUFFER_LIST_STATUS` starts SUCCESS and keeps the first failure.

use super::deferred::WRITES_PER_DRAIN;
use super::traffic::add_transmitted;
use super::{Adapter, Phase, bump, vlan};
use crate::lower::requests::{Sent, Slot};
use crate::nbl::NetBufferError;
use crate::nbl::send::{SendNb, SendNbl, SendQueue, WriteRefs};
use crate::sys;
use bytemuck::Zeroable;
use ndis_types::handles::WdfRequest;
use ndis_types::nbl::{NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL, NDIS_SEND_FLAGS_DISPATCH_LEVEL};
use ndis_types::status::{
    NDIS_STATUS_FAILURE, NDIS_STATUS_INVALID_LENGTH, NDIS_STATUS_LOW_POWER_STATE,
    NDIS_STATUS_MEDIA_DISCONNECTED, NDIS_STATUS_NOT_ACCEPTED, NDIS_STATUS_PAUSED,
    NDIS_STATUS_RESET_IN_PROGRESS, NDIS_STATUS_RESOURCES, NDIS_STATUS_SEND_ABORTED, NDIS_STATUS_SUCCESS,
    NdisStatus, NtStatus, STATUS_CANCELLED, nt_success,
};
use vwire_proto::{BatchWriter, MIN_FRAME_LEN};

/// How long a write may stay with the device before KMDF cancels it (`STATUS_IO_TIMEOUT`, its NBLs
/// complete with FAILURE): well inside Driver Verifier's 30 s for a send (NdisTimedDataSend), so a
/// stalled device cannot hold NDIS's sends hostage.
pub const WRITE_TIMEOUT_MS: u32 = 5_000;
/// Ethernet's minimum frame (without FCS): shorter frames are padded with zeros.
pub const MIN_ETHERNET_FRAME: usize = 60;

const REFS: usize = 0;

/// The adapter-wide send state, under the adapter lock. All-zero is `EMPTY`.
#[derive(Zeroable)]
pub struct SendEngine {
    queue: SendQueue,
    /// A context is packing and sending; others only queue.
    draining: bool,
    /// NBLs accepted and not yet completed.
    outstanding: usize,
    /// Flushes so far (wrapping), and the status of the last one. The drain owner packs one NBL
    /// outside the lock, out of the queue where a flush on another processor cannot see it; when it
    /// puts that NBL back it compares this count with the one it took it at, and applies a flush it
    /// missed instead of queueing the NBL again (where nothing would ever complete it: the drain
    /// stops once the adapter is not Running, and the pause would wait for it forever).
    flushes: u32,
    flush_status: NdisStatus,
}

/// An NBL the drain owner took off the queue to pack, and the flush count when it did.
#[derive(Clone, Copy)]
pub struct InHand {
    nbl: SendNbl,
    flushes: u32,
}

impl SendEngine {
    pub fn is_idle(&self) -> bool {
        self.outstanding == 0 && !self.draining
    }

    /// Take ownership of an NBL `MiniportSendNetBufferLists` accepted: queued, one reference (its
    /// frames to pack), status SUCCESS.
    pub fn accept(&mut self, nbl: SendNbl) {
        nbl.set_status(NDIS_STATUS_SUCCESS);
        nbl.set_reserved(REFS, 1);
        nbl.set_next_nb(nbl.first_nb());
        self.queue.push_back(nbl);
        self.outstanding = self.outstanding.saturating_add(1);
    }

    /// The next NBL to pack, off the queue (the drain owner only).
    pub fn take_for_packing(&mut self) -> Option<InHand> {
        let nbl = self.queue.pop_front()?;
        Some(InHand { nbl, flushes: self.flushes })
    }

    /// The drain owner is done packing from `in_hand` for now: `carried` says whether the write
    /// request being filled carries frames of it (one more reference), `cursor` is the next
    /// NET_BUFFER still to pack, `failure` what packing found wrong with it. It goes back to the
    /// head of the queue if frames remain and no flush happened meanwhile; otherwise its packing
    /// reference is dropped. Returns the NBL if that was its last reference (complete it now).
    pub fn put_back(
        &mut self,
        in_hand: InHand,
        carried: bool,
        cursor: Option<SendNb>,
        failure: NdisStatus,
    ) -> Option<SendNbl> {
        let nbl = in_hand.nbl;
        fail(nbl, failure);
        if carried {
            nbl.set_reserved(REFS, nbl.reserved(REFS).saturating_add(1));
        }
        let cursor = if self.flushes == in_hand.flushes {
            cursor
        } else {
            // Flushed while in hand: what was packed goes down, the rest never will.
            fail(nbl, self.flush_status);
            None
        };
        nbl.set_next_nb(cursor);
        if cursor.is_some() {
            // Frames of it remain: back to the head of the queue, keeping the order.
            self.queue.push_front(nbl);
            None
        } else {
            self.drop_reference(nbl)
        }
    }

    /// Stop packing every queued NBL and give it `status`; returns those no write request carries
    /// any more, to be completed now. The rest complete with that status when their last write does,
    /// and so does an NBL the drain owner holds right now ([`SendEngine::put_back`]).
    pub fn flush(&mut self, status: NdisStatus) -> SendQueue {
        self.flushes = self.flushes.wrapping_add(1);
        self.flush_status = status;
        let mut queue = core::mem::replace(&mut self.queue, SendQueue::EMPTY);
        let mut done = SendQueue::EMPTY;
        while let Some(nbl) = queue.pop_front() {
            nbl.set_next_nb(None);
            self.fail_and_drop_reference(nbl, status, &mut done);
        }
        done
    }

    /// Take the queued NBLs of `cancel_id` that no write carries frames of (their only reference is
    /// the packing one) and return them with SEND_ABORTED, to be completed now. "Not carried" is
    /// not "not started": packing may have skipped NET_BUFFERs it refused (INVALID_LENGTH) without
    /// any frame going down, and such an NBL is still the miniport's alone; cancelled, it is
    /// aborted, whatever failure packing had recorded.
    pub fn abort_unsent(&mut self, cancel_id: *mut core::ffi::c_void) -> SendQueue {
        let mut cancelled = self.queue.extract(|nbl| nbl.cancel_id() == cancel_id && nbl.reserved(REFS) == 1);
        let mut done = SendQueue::EMPTY;
        while let Some(nbl) = cancelled.pop_front() {
            nbl.set_status(NDIS_STATUS_SEND_ABORTED);
            if let Some(nbl) = self.drop_reference(nbl) {
                done.push_back(nbl);
            }
        }
        done
    }

    /// Drop one of the NBL's references (its packing, or a write that carried its frames). If it
    /// was the last, the NBL is no longer outstanding and is returned, to be completed.
    fn drop_reference(&mut self, nbl: SendNbl) -> Option<SendNbl> {
        let remaining = nbl.reserved(REFS).saturating_sub(1);
        nbl.set_reserved(REFS, remaining);
        if remaining > 0 {
            return None;
        }
        self.outstanding = self.outstanding.saturating_sub(1);
        Some(nbl)
    }

    /// Record `status` as the NBL's failure (unless one is recorded) and drop one reference;
    /// an NBL done with it goes onto `done`.
    fn fail_and_drop_reference(&mut self, nbl: SendNbl, status: NdisStatus, done: &mut SendQueue) {
        fail(nbl, status);
        if let Some(nbl) = self.drop_reference(nbl) {
            done.push_back(nbl);
        }
    }
}

/// Record a failure unless an earlier one is already recorded.
fn fail(nbl: SendNbl, status: NdisStatus) {
    if status != NDIS_STATUS_SUCCESS && nbl.status() == NDIS_STATUS_SUCCESS {
        nbl.set_status(status);
    }
}

/// What the adapter's state says about a send right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SendGate {
    pub surprise_removed: bool,
    pub shut_down: bool,
    pub running: bool,
    /// A reset is pending (`MiniportResetEx` began and has not completed).
    pub resetting: bool,
    /// In D1-D3 (`power`).
    pub low_power: bool,
    pub media_connected: bool,
}

/// The status sends arriving in that state are refused with, or SUCCESS if they are accepted (Doc
/// `nf-ndis-ndismsendnetbufferlistscomplete`, `nc-ndis-miniport_device_pnp_event_notify`):
/// NOT_ACCEPTED once the device is surprise-removed, PAUSED unless Running, FAILURE after a
/// shutdown, LOW_POWER_STATE in D1-D3 (Doc `oid-pnp-set-power`), RESET_IN_PROGRESS during a
/// reset, and MEDIA_DISCONNECTED while the link is down.
/// During a reset protocols hold what they would send until NDIS_STATUS_RESET_END (Doc
/// "NDIS_STATUS_RESET_START"); a send that comes anyway, from another processor, is refused
/// rather than held across the reset, which must leave nothing held (Doc `nc-ndis-miniport_reset`).
pub fn send_status(gate: SendGate) -> NdisStatus {
    if gate.surprise_removed {
        NDIS_STATUS_NOT_ACCEPTED
    } else if !gate.running {
        NDIS_STATUS_PAUSED
    } else if gate.shut_down {
        NDIS_STATUS_FAILURE
    } else if gate.low_power {
        NDIS_STATUS_LOW_POWER_STATE
    } else if gate.resetting {
        NDIS_STATUS_RESET_IN_PROGRESS
    } else if !gate.media_connected {
        NDIS_STATUS_MEDIA_DISCONNECTED
    } else {
        NDIS_STATUS_SUCCESS
    }
}

/// The completion flags for a completion made in the sender's own context: DISPATCH_LEVEL exactly
/// when NDIS said it called at DISPATCH_LEVEL (Doc "Dispatch IRQL Tracking").
pub fn completion_flags(send_flags: u32) -> u32 {
    if send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL != 0 { NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL } else { 0 }
}

/// The NDIS status for NBLs whose write completed with `status`: as [`send_status`] would refuse
/// them now if the write failed because the device went away or was shut down.
fn write_status(
    status: NtStatus,
    surprise_removed: bool,
    shut_down: bool,
    reset_pending: bool,
) -> NdisStatus {
    if nt_success(status) {
        NDIS_STATUS_SUCCESS
    } else if surprise_removed {
        NDIS_STATUS_NOT_ACCEPTED
    } else if shut_down {
        NDIS_STATUS_FAILURE
    } else if status == STATUS_CANCELLED && reset_pending {
        NDIS_STATUS_RESET_IN_PROGRESS
    } else if status == STATUS_CANCELLED {
        NDIS_STATUS_SEND_ABORTED
    } else {
        NDIS_STATUS_FAILURE
    }
}

impl Adapter {
    /// `MiniportSendNetBufferLists` (<= DISPATCH_LEVEL).
    pub fn send_net_buffer_lists(&self, mut incoming: SendQueue, send_flags: u32) {
        let flags = completion_flags(send_flags);
        let (refused_status, mut overflow) = {
            let mut state = if send_flags & NDIS_SEND_FLAGS_DISPATCH_LEVEL != 0 {
                self.state.lock_at_dpc()
            } else {
                self.state.lock()
            };
            let gate = SendGate {
                surprise_removed: state.surprise_removed,
                shut_down: self.shut_down.load(crate::sync::atomic::Ordering::Acquire),
                running: state.phase == Phase::Running,
                resetting: state.reset_pending || state.reset_reporting > 0,
                low_power: state.low_power,
                media_connected: state.link.up,
            };
            let status = send_status(gate);
            if status == NDIS_STATUS_SUCCESS {
                let mut overflow = SendQueue::EMPTY;
                while let Some(nbl) = incoming.pop_front() {
                    // Beyond `*TransmitBuffers`, refused with RESOURCES (settings.rs).
                    if state.send.queue.len() >= self.max_queued_nbls {
                        overflow.push_back(nbl);
                        continue;
                    }
                    state.send.accept(nbl);
                }
                (NDIS_STATUS_RESOURCES, overflow)
            } else {
                (status, core::mem::replace(&mut incoming, SendQueue::EMPTY))
            }
        };
        if !overflow.is_empty() {
            let count = u64::try_from(overflow.len()).unwrap_or(u64::MAX);
            bump(&self.counters.xmit_discards, count);
            if refused_status == NDIS_STATUS_RESOURCES {
                bump(&self.counters.send_queue_full, count);
            }
            core::mem::replace(&mut overflow, SendQueue::EMPTY).complete(
                self.miniport,
                Some(refused_status),
                flags,
            );
        }
        self.drain_sends();
    }

    /// Pack queued NBLs into free write requests and send them, as the single drain owner. At most
    /// [`WRITES_PER_DRAIN`] per call: a device that completes every write at once, fed by sends on
    /// other processors, would otherwise keep this loop going without end; past the bound the rest
    /// is drained by the deferred-work item.
    pub(super) fn drain_sends(&self) {
        let mut writes = 0usize;
        loop {
            {
                let mut state = self.state.lock_any();
                let can_send = state.phase == Phase::Running && self.may_use_device(&state);
                if state.send.draining || !can_send || state.send.queue.is_empty() {
                    break;
                }
                state.send.draining = true;
            }
            while let Some(mut slot) = self.lower.writes.lease() {
                let (frames, length) = self.pack(&mut slot);
                if frames == 0 {
                    slot.release();
                    break;
                }
                // A write the device completes inline runs its completion routine here, which
                // finds `draining` set and leaves the queue to this loop: no deeper nesting.
                match slot.send_write(length, WRITE_TIMEOUT_MS) {
                    Ok(Sent::Pending | Sent::Kept) => writes = writes.saturating_add(1),
                    // `write_completed` finishes every write itself and never hands one back; were
                    // one handed back, its NBLs still need completing.
                    Ok(Sent::HandedBack(slot)) => {
                        let status = slot.status();
                        self.finish_write(slot, status);
                        writes = writes.saturating_add(1);
                    }
                    Err((slot, status)) => {
                        bump(&self.counters.lower_send_failures, 1);
                        self.finish_write(slot, status);
                        break;
                    }
                }
                if writes >= WRITES_PER_DRAIN {
                    break;
                }
            }
            let (again, deferred) = {
                let mut state = self.state.lock_any();
                state.send.draining = false;
                let more = !state.send.queue.is_empty();
                if writes >= WRITES_PER_DRAIN {
                    // Counted while the queue is seen non-empty and sends allowed, in this section:
                    // a pause that flushes the queue right after still waits for the run.
                    let wanted = more && state.phase == Phase::Running && self.may_use_device(&state);
                    if wanted {
                        state.deferred_runs = state.deferred_runs.saturating_add(1);
                    }
                    (false, wanted)
                } else {
                    (more && self.lower.writes.free() > 0, false)
                }
            };
            if deferred {
                self.queue_deferred_work();
            }
            if !again {
                break;
            }
        }
    }

    /// Fill the leased write request with frames from the queue; returns (frames, batch length).
    fn pack<const N: usize>(&self, slot: &mut Slot<'_, N, WriteRefs>) -> (usize, usize) {
        let limit = self.max_batch_bytes;
        let mut done = SendQueue::EMPTY;
        let Some((buffer, refs)) = slot.parts() else {
            return (0, 0);
        };
        refs.clear();
        let buffer_len = buffer.len();
        let Ok(mut writer) = BatchWriter::new(buffer.get_mut(..limit.min(buffer_len)).unwrap_or(&mut []))
        else {
            return (0, 0);
        };
        // Out of the queue from here to `put_back`: a flush meanwhile does not see it. Putting one
        // NBL back and taking the next share one acquisition of the lock.
        let (mut next, vlan_id) = {
            let mut state = self.state.lock_any();
            (state.send.take_for_packing(), state.filter.vlan_id)
        };
        while let Some(in_hand) = next {
            let nbl = in_hand.nbl;
            // Failures are recorded under the lock in `put_back`: a write already carrying frames of
            // this NBL may complete on another processor and record its own meanwhile.
            let mut failure = NDIS_STATUS_SUCCESS;
            // The NBL's 802.1Q info applies to each of its frames.
            let ieee8021q = nbl.ieee8021q_info();
            let mut carried = false;
            let mut cursor = nbl.next_nb();
            let mut full = false;
            while let Some(nb) = cursor {
                let length = nb.data_length();
                let (tag, refusal) = match self.frame_tag(nb, length, vlan_id, ieee8021q) {
                    Ok(tag) => (tag, None),
                    Err(status) => (None, Some(status)),
                };
                let tag_length = if tag.is_some() { vlan::TAG_LEN } else { 0 };
                if let Some(status) = refusal {
                    if failure == NDIS_STATUS_SUCCESS {
                        failure = status;
                    }
                    bump(&self.counters.xmit_error, 1);
                    cursor = nb.next();
                    continue;
                }
                let wire_length = length.saturating_add(tag_length).max(MIN_ETHERNET_FRAME);
                if !writer.fits(wire_length)
                    || writer.frame_count() >= self.max_batch_frames
                    || refs.is_full()
                {
                    full = true;
                    break;
                }
                // A NET_BUFFER whose MDL chain cannot supply its DataLength is not sent at all (no
                // zero-filled stand-in on the wire): the frame is added only once it is copied.
                let tagged_length = length.saturating_add(tag_length);
                let pushed = writer.try_push_with(wire_length, |destination| {
                    let (frame, padding) = destination
                        .split_at_mut_checked(tagged_length)
                        .ok_or(NetBufferError::LengthMismatch)?;
                    // The frame goes in after the tag's room; the addresses then move in front of it.
                    let untagged = frame.get_mut(tag_length..).ok_or(NetBufferError::LengthMismatch)?;
                    nb.copy_to(untagged)?;
                    // Counted as the protocol sent it: no tag, no padding (`crate::traffic`).
                    refs.count_frame(untagged);
                    if let Some(tag) = tag
                        && !vlan::insert_tag(frame, tag)
                    {
                        return Err(NetBufferError::LengthMismatch);
                    }
                    padding.fill(0);
                    Ok::<(), NetBufferError>(())
                });
                match pushed {
                    Err(_) => {
                        full = true;
                        break;
                    }
                    Ok(Err(error)) => {
                        // Only the statuses a send completion may carry
                        // (`nf-ndis-ndismsendnetbufferlistscomplete`): a chain shorter than its
                        // DataLength is a length error, a mapping that failed a resource shortage.
                        if failure == NDIS_STATUS_SUCCESS {
                            failure = match error {
                                NetBufferError::NotMapped => NDIS_STATUS_RESOURCES,
                                NetBufferError::ChainTooShort | NetBufferError::LengthMismatch => {
                                    NDIS_STATUS_INVALID_LENGTH
                                }
                            };
                        }
                        bump(&self.counters.xmit_error, 1);
                        cursor = nb.next();
                        continue;
                    }
                    Ok(Ok(())) => {}
                }
                carried = true;
                cursor = nb.next();
            }
            if carried {
                refs.carry(nbl);
            }
            let finished = {
                let mut state = self.state.lock_any();
                let finished = state.send.put_back(in_hand, carried, cursor, failure);
                next = if full { None } else { state.send.take_for_packing() };
                finished
            };
            if let Some(nbl) = finished {
                done.push_back(nbl);
            }
        }
        let frames = writer.frame_count();
        let length = writer.finish();
        done.complete(self.miniport, None, sys::send_complete_flags_here());
        (frames, length)
    }

    /// The 802.1Q tag to insert in front of one frame of `length` bytes, or why it cannot be sent:
    /// INVALID_LENGTH if it is shorter than an Ethernet header or longer than the MTU allows
    /// (`OID_GEN_MAXIMUM_TOTAL_SIZE`, Doc `oid-gen-maximum-total-size`; a frame the protocol
    /// tagged itself may carry its tag on top), FAILURE if its VLAN is not the adapter's
    /// (`vlan::send_frame`). Reads the frame's first 16 bytes to see a tag already in it.
    fn frame_tag(
        &self,
        nb: SendNb,
        length: usize,
        vlan_id: u16,
        ieee8021q: usize,
    ) -> Result<Option<[u8; vlan::TAG_LEN]>, NdisStatus> {
        let max_total = usize::try_from(self.max_total_size()).unwrap_or(0);
        if length < MIN_FRAME_LEN {
            return Err(NDIS_STATUS_INVALID_LENGTH);
        }
        let mut head = [0u8; vlan::TAGGED_HEADER_LEN];
        let peeked = head
            .get_mut(..length.min(vlan::TAGGED_HEADER_LEN))
            .is_some_and(|prefix| nb.copy_head(prefix).is_ok());
        // An NB whose chain cannot supply even its header is refused when it is copied.
        let in_band = if peeked { vlan::tag_in(&head, length) } else { None };
        let decision = vlan::send_frame(self.tagging, vlan_id, ieee8021q, in_band);
        if decision == vlan::SendFrame::Refuse {
            return Err(NDIS_STATUS_FAILURE);
        }
        let allowed = match (decision, in_band) {
            (vlan::SendFrame::AsIs, Some(_)) => max_total.saturating_add(vlan::TAG_LEN),
            _ => max_total,
        };
        if length > allowed {
            return Err(NDIS_STATUS_INVALID_LENGTH);
        }
        match decision {
            vlan::SendFrame::Tag(tag) => Ok(Some(tag)),
            vlan::SendFrame::AsIs | vlan::SendFrame::Refuse => Ok(None),
        }
    }

    /// A write request came back (or never left): complete what it carried and give the slot back.
    /// The slot is released only after the NBLs are completed: a reset or pause waiting for the
    /// write slots to be idle must not finish in between.
    fn finish_write<const N: usize>(&self, mut slot: Slot<'_, N, WriteRefs>, status: NtStatus) {
        let Some(refs) = slot.context() else {
            slot.release();
            return;
        };
        if nt_success(status) {
            add_transmitted(refs.tally(), &self.counters);
        } else {
            bump(&self.counters.xmit_error, refs.tally().frames());
            if status != STATUS_CANCELLED {
                bump(&self.counters.lower_write_errors, 1);
            }
        }
        let mut done = SendQueue::EMPTY;
        {
            let mut state = self.state.lock_any();
            let shut_down = self.shut_down.load(crate::sync::atomic::Ordering::Acquire);
            let ndis_status = write_status(status, state.surprise_removed, shut_down, state.reset_pending);
            for nbl in refs.carried() {
                state.send.fail_and_drop_reference(nbl, ndis_status, &mut done);
            }
        }
        refs.clear();
        done.complete(self.miniport, None, sys::send_complete_flags_here());
        slot.release();
    }

    /// The write completion routine's work (<= DISPATCH_LEVEL).
    pub fn write_completed(&self, request: WdfRequest) {
        let Some(slot) = self.lower.writes.completed(request) else {
            bump(&self.counters.lower_unknown_completions, 1);
            return;
        };
        let status = slot.status();
        self.finish_write(slot, status);
        self.drain_sends();
    }

    /// `MiniportCancelSend`: queued NBLs with that cancel ID none of whose frames went down complete
    /// with SEND_ABORTED (Doc `nc-ndis-miniport_cancel_send`); one a write already carries frames of
    /// finishes normally.
    pub fn cancel_send(&self, cancel_id: *mut core::ffi::c_void) {
        let cancelled = self.state.lock_any().send.abort_unsent(cancel_id);
        cancelled.complete(self.miniport, None, sys::send_complete_flags_here());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndis_types::nbl::{NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK, NetBuffer, NetBufferList};
    use ndis_types::status::{STATUS_SUCCESS, STATUS_UNSUCCESSFUL};
    use std::boxed::Box;
    use std::vec::Vec;

    const RUNNING: SendGate = SendGate {
        surprise_removed: false,
        shut_down: false,
        running: true,
        resetting: false,
        low_power: false,
        media_connected: true,
    };

    #[test]
    fn surprise_removal_wins_over_every_other_state() {
        assert_eq!(
            send_status(SendGate { surprise_removed: true, running: false, ..RUNNING }),
            NDIS_STATUS_NOT_ACCEPTED
        );
        assert_eq!(send_status(SendGate { surprise_removed: true, ..RUNNING }), NDIS_STATUS_NOT_ACCEPTED);
    }

    #[test]
    fn not_running_is_paused_even_after_shutdown() {
        assert_eq!(send_status(SendGate { running: false, ..RUNNING }), NDIS_STATUS_PAUSED);
        assert_eq!(send_status(SendGate { running: false, shut_down: true, ..RUNNING }), NDIS_STATUS_PAUSED);
        assert_eq!(send_status(SendGate { shut_down: true, ..RUNNING }), NDIS_STATUS_FAILURE);
    }

    #[test]
    fn a_send_in_low_power_is_refused_with_low_power_state() {
        assert_eq!(send_status(SendGate { low_power: true, ..RUNNING }), NDIS_STATUS_LOW_POWER_STATE);
        assert_eq!(
            send_status(SendGate { low_power: true, resetting: true, ..RUNNING }),
            NDIS_STATUS_LOW_POWER_STATE
        );
        assert_eq!(send_status(SendGate { low_power: true, running: false, ..RUNNING }), NDIS_STATUS_PAUSED);
    }

    #[test]
    fn a_send_during_a_reset_is_refused_not_held() {
        assert_eq!(send_status(SendGate { resetting: true, ..RUNNING }), NDIS_STATUS_RESET_IN_PROGRESS);
        assert_eq!(
            send_status(SendGate { resetting: true, media_connected: false, ..RUNNING }),
            NDIS_STATUS_RESET_IN_PROGRESS
        );
        assert_eq!(send_status(SendGate { resetting: true, running: false, ..RUNNING }), NDIS_STATUS_PAUSED);
    }

    #[test]
    fn running_without_link_is_media_disconnected() {
        assert_eq!(
            send_status(SendGate { media_connected: false, ..RUNNING }),
            NDIS_STATUS_MEDIA_DISCONNECTED
        );
        assert_eq!(send_status(RUNNING), NDIS_STATUS_SUCCESS);
    }

    #[test]
    fn completion_flags_mirror_the_dispatch_flag_only() {
        assert_eq!(completion_flags(NDIS_SEND_FLAGS_DISPATCH_LEVEL), NDIS_SEND_COMPLETE_FLAGS_DISPATCH_LEVEL);
        assert_eq!(completion_flags(NDIS_SEND_FLAGS_CHECK_FOR_LOOPBACK), 0);
        assert_eq!(completion_flags(0), 0);
    }

    /// NBLs as NDIS would send them: each with `nbs` zeroed NET_BUFFERs (only the links matter
    /// here), owned by the returned boxes. Boxed so each structure keeps its address when the vectors grow: the NBLs link to them.
    #[allow(unsafe_code, clippy::vec_box)]
    fn nbls(count: usize, nbs: usize) -> (Vec<Box<NetBufferList>>, Vec<Box<NetBuffer>>, Vec<SendNbl>) {
        let mut lists = Vec::new();
        let mut buffers = Vec::new();
        let mut sends = Vec::new();
        for _ in 0..count {
            // SAFETY: NET_BUFFER_LIST and NET_BUFFER are plain C structures (pointers and integers)
            // for which all zeroes is a valid value: an empty list and buffer.
            let mut nbl: Box<NetBufferList> = Box::new(unsafe { core::mem::zeroed() });
            let mut next: *mut NetBuffer = core::ptr::null_mut();
            for _ in 0..nbs {
                // SAFETY: as above.
                let mut nb: Box<NetBuffer> = Box::new(unsafe { core::mem::zeroed() });
                nb.Next = next;
                next = &raw mut *nb;
                buffers.push(nb);
            }
            nbl.FirstNetBuffer = next;
            // SAFETY: a one-NBL chain this test owns; nothing completes it through NDIS.
            let mut queue = unsafe { SendNbl::unlink_chain(&raw mut *nbl) };
            sends.push(queue.pop_front().unwrap());
            lists.push(nbl);
        }
        (lists, buffers, sends)
    }

    #[test]
    fn a_cancel_aborts_an_nbl_packing_skipped_into_but_no_write_carries() {
        // Found by the send_shapes fuzz target: a first NET_BUFFER refused as INVALID_LENGTH moves
        // the NBL's cursor without any frame going down, and the write fills before the next one.
        // The NBL is still the miniport's alone, so a cancel of its id must abort it, and with
        // SEND_ABORTED, not the failure packing recorded (MINIPORT_CANCEL_SEND, Remarks).
        let (mut lists, _buffers, sends) = nbls(2, 2);
        let cancel_id = 0x42usize as *mut core::ffi::c_void;
        for list in &mut lists {
            list.NetBufferListInfo[ndis_types::nbl::NET_BUFFER_LIST_CANCEL_ID] = cancel_id;
        }
        let mut engine = SendEngine::zeroed();
        engine.accept(sends[0]);
        engine.accept(sends[1]);
        // The first is skipped into and put back uncarried; the second a write carries.
        let in_hand = engine.take_for_packing().unwrap();
        let second_nb = sends[0].first_nb().unwrap().next();
        assert!(engine.put_back(in_hand, false, second_nb, NDIS_STATUS_INVALID_LENGTH).is_none());
        let first = engine.take_for_packing().unwrap();
        let carried = engine.take_for_packing().unwrap();
        let carried_cursor = sends[1].first_nb().unwrap().next();
        assert!(engine.put_back(carried, true, carried_cursor, NDIS_STATUS_SUCCESS).is_none());
        assert!(engine.put_back(first, false, second_nb, NDIS_STATUS_SUCCESS).is_none());
        assert_eq!(engine.queue.len(), 2);

        let mut aborted = engine.abort_unsent(cancel_id);
        assert_eq!(aborted.pop_front(), Some(sends[0]));
        assert!(aborted.pop_front().is_none(), "a write carries frames of the other: it finishes normally");
        assert_eq!(sends[0].status(), NDIS_STATUS_SEND_ABORTED);
        assert_eq!(engine.queue.len(), 1);
        assert_eq!(engine.outstanding, 1);
    }

    #[test]
    fn put_back_without_a_flush_requeues_at_the_head() {
        let (_lists, _buffers, sends) = nbls(2, 2);
        let mut engine = SendEngine::zeroed();
        engine.accept(sends[0]);
        engine.accept(sends[1]);
        let in_hand = engine.take_for_packing().unwrap();
        let second_nb = sends[0].first_nb().unwrap().next();
        assert!(engine.put_back(in_hand, true, second_nb, NDIS_STATUS_SUCCESS).is_none());
        assert_eq!(engine.queue.len(), 2);
        assert_eq!(engine.queue.pop_front(), Some(sends[0]), "order kept");
        assert_eq!(sends[0].next_nb(), second_nb);
        assert_eq!(sends[0].reserved(REFS), 2, "packing + one write");
    }

    /// MiniportPause (or reset, surprise removal, shutdown) flushes the queue on one processor
    /// while the drain owner, on another, has an NBL out of the queue to pack. The NBL must take
    /// the flush's status and complete with its last write, not go back into a queue nothing
    /// drains any more (the pause would wait for it forever).
    #[test]
    fn a_flush_while_packing_reaches_the_nbl_in_hand() {
        let (_lists, _buffers, sends) = nbls(2, 2);
        let mut engine = SendEngine::zeroed();
        engine.accept(sends[0]);
        engine.accept(sends[1]);
        let in_hand = engine.take_for_packing().unwrap();
        let flushed = engine.flush(NDIS_STATUS_PAUSED);
        assert_eq!(flushed.len(), 1, "only the queued one");
        let second_nb = sends[0].first_nb().unwrap().next();
        // The first frame went into the write being filled; the second never will.
        assert!(engine.put_back(in_hand, true, second_nb, NDIS_STATUS_SUCCESS).is_none());
        assert!(engine.queue.is_empty(), "not queued again after the flush");
        assert_eq!(sends[0].next_nb(), None);
        assert_eq!(sends[0].status(), NDIS_STATUS_PAUSED);
        assert_eq!(sends[0].reserved(REFS), 1, "only the write's reference is left");

        // Nothing carried: done at once, and nothing is outstanding any more.
        let (_lists, _buffers, sends) = nbls(1, 1);
        let mut engine = SendEngine::zeroed();
        engine.accept(sends[0]);
        let in_hand = engine.take_for_packing().unwrap();
        assert!(engine.flush(NDIS_STATUS_RESET_IN_PROGRESS).is_empty());
        let first = sends[0].first_nb();
        assert_eq!(engine.put_back(in_hand, false, first, NDIS_STATUS_SUCCESS), Some(sends[0]));
        assert_eq!(sends[0].status(), NDIS_STATUS_RESET_IN_PROGRESS);
        assert!(engine.is_idle());
    }

    /// Idle means nothing accepted and nobody draining: an NBL merely queued is not idle, nor is
    /// a drain owner whose queue emptied but who has not finished.
    #[test]
    fn idle_needs_no_outstanding_nbl_and_no_drain() {
        let (_lists, _buffers, sends) = nbls(1, 1);
        let mut engine = SendEngine::zeroed();
        assert!(engine.is_idle());
        engine.accept(sends[0]);
        assert!(!engine.is_idle(), "a queued NBL");
        assert!(engine.flush(NDIS_STATUS_PAUSED).len() == 1);
        assert!(engine.is_idle(), "flushed");
        engine.draining = true;
        assert!(!engine.is_idle(), "a drain in progress");
    }

    #[test]
    fn packing_failures_win_over_a_later_flush() {
        let (_lists, _buffers, sends) = nbls(1, 1);
        let mut engine = SendEngine::zeroed();
        engine.accept(sends[0]);
        let in_hand = engine.take_for_packing().unwrap();
        assert!(engine.flush(NDIS_STATUS_PAUSED).is_empty());
        assert_eq!(engine.put_back(in_hand, false, None, NDIS_STATUS_INVALID_LENGTH), Some(sends[0]));
        assert_eq!(sends[0].status(), NDIS_STATUS_INVALID_LENGTH);
    }

    #[test]
    fn write_outcomes_map_to_the_documented_send_statuses() {
        assert_eq!(write_status(STATUS_SUCCESS, false, false, false), NDIS_STATUS_SUCCESS);
        assert_eq!(write_status(STATUS_CANCELLED, true, false, false), NDIS_STATUS_NOT_ACCEPTED);
        assert_eq!(write_status(STATUS_CANCELLED, true, true, false), NDIS_STATUS_NOT_ACCEPTED);
        assert_eq!(write_status(STATUS_CANCELLED, false, true, true), NDIS_STATUS_FAILURE);
        assert_eq!(write_status(STATUS_CANCELLED, false, false, true), NDIS_STATUS_RESET_IN_PROGRESS);
        assert_eq!(write_status(STATUS_CANCELLED, false, false, false), NDIS_STATUS_SEND_ABORTED);
        assert_eq!(write_status(STATUS_UNSUCCESSFUL, false, false, false), NDIS_STATUS_FAILURE);
    }
}
