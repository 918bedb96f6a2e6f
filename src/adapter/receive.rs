//! Receive, in place: all resources allocated in `MiniportInitializeEx` — one NBL pool and the
//! receive NBLs, each with an MDL of its own (`IoAllocateMdl`), and an MDL over each read buffer
//! (`lower`). A batch read from below is parsed once (`vwire_proto::Batch::parse`, which rejects a
//! malformed batch whole); each frame the packet filter accepts is indicated where it lies, its
//! NBL's MDL built over it (`IoBuildPartialMdl`), a tag stripped by moving the addresses over it.
//! Nothing is copied.
//!
//! While NDIS holds NBLs over a read's buffer, the read stays out of service (Held). The return of
//! the last frees it, and the deferred-work item sends it below again: a send from the return
//! handler could complete inline and indicate from inside it, and a protocol returning other NBLs
//! from its receive handler would then nest one level deeper per read. So that the device never
//! starves while protocols hold NBLs, at most `READ_REQUESTS - RESERVED_READS` reads are lent to
//! NDIS; past that, an indication carries `NDIS_RECEIVE_FLAGS_RESOURCES`, and the NBLs (and the
//! read) come back when it returns.

use super::deferred::INLINE_READS_PER_CALL;
use super::traffic::add_received;
use super::vlan::{self, Received};
use super::{Adapter, AdapterState, Phase, bump};
use crate::lower::READ_REQUESTS;
use crate::lower::requests::{Sent, Slot};
use crate::nbl::receive::{
    DescribedBuffer, FrameSpan, Lending, NblPool, RECEIVE_NBLS, ReceiveNbl, ReceivePool, ReceiveScratch,
    Returned, ReturnedChain, RxSlot,
};
use crate::sys::at_dispatch_level;
use crate::traffic::{Destination, TrafficTally, destination_of};
use bytemuck::Zeroable;
use core::ffi::c_void;
use core::ops::Range;
use core::ptr::NonNull;
use ndis_types::handles::{NdisHandle, WdfRequest};
use ndis_types::miniport::ETH_LENGTH_OF_ADDRESS;
use ndis_types::nbl::NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL;
use ndis_types::oid::{
    NDIS_PACKET_TYPE_ALL_MULTICAST, NDIS_PACKET_TYPE_BROADCAST, NDIS_PACKET_TYPE_DIRECTED,
    NDIS_PACKET_TYPE_MULTICAST, NDIS_PACKET_TYPE_PROMISCUOUS,
};
use ndis_types::status::{NDIS_STATUS_RESOURCES, NdisStatus, STATUS_CANCELLED, nt_success};
use vwire_proto::MulticastList;

/// Reads never lent to NDIS: pending below, or being indicated, while protocols hold the rest.
pub const RESERVED_READS: usize = 4;
/// Below this many free NBLs an indication carries `NDIS_RECEIVE_FLAGS_RESOURCES`: NDIS copies what
/// it needs and hands the NBLs back at once, so the pool cannot run dry while protocols sit on
/// indicated NBLs.
pub const LOW_RESOURCES_THRESHOLD: usize = 8;

pub const NBL_POOL_TAG: u32 = u32::from_le_bytes(*b"KmNb");

/// All-zero is "nothing allocated yet".
#[derive(Zeroable)]
pub struct ReceiveResources {
    pub nbls: ReceivePool<RECEIVE_NBLS, READ_REQUESTS>,
    /// Receive NBLs allocated (`*ReceiveBuffers`, at most `RECEIVE_NBLS`).
    pub count: u32,
    // Teardown order: the NBLs (and their MDLs) are freed explicitly first, then the pool.
    pool: NblPool,
}

impl ReceiveResources {
    /// Allocate the pool and `count` receive NBLs (at most `RECEIVE_NBLS`), each able to describe a
    /// frame of up to `max_frame` bytes in a read buffer (`read_buffer`: one of them, address and
    /// length). On failure what was allocated stays recorded here for [`ReceiveResources::free`].
    pub fn allocate(
        &mut self,
        miniport: NdisHandle,
        count: u32,
        max_frame: u32,
        read_buffer: (NonNull<c_void>, usize),
    ) -> Result<(), NdisStatus> {
        let nbls = count.min(u32::try_from(RECEIVE_NBLS).map_err(|_| NDIS_STATUS_RESOURCES)?);
        self.pool = NblPool::allocate(miniport, NBL_POOL_TAG)?;
        for _ in 0..nbls {
            let nbl = ReceiveNbl::allocate(&self.pool, read_buffer, max_frame)?;
            if let Err(nbl) = self.nbls.insert(nbl) {
                nbl.free();
                return Err(NDIS_STATUS_RESOURCES);
            }
            self.count = self.count.saturating_add(1);
        }
        Ok(())
    }

    /// Free every NBL and its MDL, then the pool: exactly what was allocated.
    pub fn free(&mut self) {
        self.nbls.free_all();
        self.count = 0;
        self.pool = NblPool::zeroed();
    }
}

/// The receive filter NDIS set (`OID_GEN_CURRENT_PACKET_FILTER`, `OID_802_3_MULTICAST_LIST`).
#[derive(Clone, Copy, Zeroable)]
pub struct ReceiveFilter {
    pub packet_filter: u32,
    pub address: [u8; ETH_LENGTH_OF_ADDRESS],
    pub multicast: MulticastList,
    /// The adapter's VLAN (`VlanID`, `OID_GEN_VLAN_ID`), 0 for none; used only with VLANs enabled.
    pub vlan_id: u16,
}

impl ReceiveFilter {
    /// Whether NDIS wants this frame (Doc oid-gen-current-packet-filter).
    pub fn accepts(&self, frame: &[u8]) -> bool {
        let filter = self.packet_filter;
        if filter & NDIS_PACKET_TYPE_PROMISCUOUS != 0 {
            return true;
        }
        let Some(destination) = frame.get(..ETH_LENGTH_OF_ADDRESS) else {
            return false;
        };
        match destination_of(frame) {
            Some(Destination::Broadcast) => filter & NDIS_PACKET_TYPE_BROADCAST != 0,
            Some(Destination::Multicast) => {
                filter & NDIS_PACKET_TYPE_ALL_MULTICAST != 0
                    || (filter & NDIS_PACKET_TYPE_MULTICAST != 0
                        && <[u8; 6]>::try_from(destination)
                            .is_ok_and(|address| self.multicast.contains(&address)))
            }
            Some(Destination::Directed) => {
                filter & NDIS_PACKET_TYPE_DIRECTED != 0 && destination == self.address
            }
            None => false,
        }
    }
}

impl Adapter {
    /// A read came back (completion routine, <= DISPATCH_LEVEL): indicate what it carried, then
    /// send it again while running.
    pub fn read_completed(&self, request: WdfRequest) {
        let Some(mut slot) = self.lower.reads.completed(request) else {
            bump(&self.counters.lower_unknown_completions, 1);
            return;
        };
        let status = slot.status();
        if nt_success(status) {
            let length = slot.information();
            bump(&self.counters.lower_read_batches, 1);
            bump(&self.counters.lower_read_bytes, u64::try_from(length).unwrap_or(u64::MAX));
            let read = slot.index();
            let indicated = slot.described_parts().is_some_and(|(mut buffer, scratch)| {
                let found = buffer.bytes().get(..length).is_some_and(|batch| scratch.find_frames(batch));
                if found {
                    self.indicate_batch(read, &mut buffer, scratch);
                }
                found
            });
            if !indicated {
                // Truncated (Information beyond the buffer) or malformed: nothing of it is trusted.
                bump(&self.counters.lower_malformed_batches, 1);
                bump(&self.counters.rcv_error, 1);
            }
        } else if status != STATUS_CANCELLED {
            bump(&self.counters.lower_read_errors, 1);
        }
        // While NDIS holds frames of this read's buffer, the read waits for them to come back.
        let Some(slot) = self.hold_while_indicated(slot) else { return };

        // A failed read is not re-sent at once: a device failing every read would spin here; the
        // next restart, reset or run of the deferred-work item (which a return of held frames
        // queues) re-arms it. A read that completed inside its own WdfRequestSend
        // goes back to that sender, which sends it again without nesting deeper.
        if nt_success(status) && self.reads_wanted() {
            if let Some(slot) = slot.hand_back_if_sending() {
                let mut inline_budget = INLINE_READS_PER_CALL;
                self.send_read_slot(slot, &mut inline_budget);
            }
        } else {
            slot.release();
        }
    }

    /// If NDIS holds NBLs over the slot's buffer, lend the slot out until the last comes back
    /// (None); otherwise, or if they all came back meanwhile, the slot is the caller's again.
    fn hold_while_indicated<'a>(
        &'a self,
        slot: Slot<'a, READ_REQUESTS, ReceiveScratch>,
    ) -> Option<Slot<'a, READ_REQUESTS, ReceiveScratch>> {
        let read = slot.index();
        if !self.receive.nbls.holds(read) {
            // Nothing of it is with NDIS, so nothing can come back and free it.
            return Some(slot);
        }
        // Held before parked: a return on another processor that sees it parked finds it held.
        slot.hold();
        if self.receive.nbls.park(read) {
            return None;
        }
        self.lower.reads.unhold(read)
    }

    /// Whether reads should be pending below: Restarting or Running, device present.
    fn reads_wanted(&self) -> bool {
        self.reads_wanted_in(&self.state.lock_any())
    }

    fn reads_wanted_in(&self, state: &AdapterState) -> bool {
        matches!(state.phase, Phase::Restarting | Phase::Running) && self.may_use_device(state)
    }

    /// Send a leased read slot below; false if it would not go. The phase was checked before, but a
    /// pause on another processor may have turned it and cancelled the reads in flight since (this
    /// slot was only leased then, so it escaped): checked again once the read is sent, and cancelled
    /// if it is no longer wanted, or the pause would wait for data that may never come.
    ///
    /// A read the device completes inside `WdfRequestSend` comes back here through
    /// [`Slot::hand_back_if_sending`] and is sent again from this loop: a device that always has
    /// a batch ready costs iterations, not stack. Each inline completion (re-sent, or kept by its
    /// routine while NDIS holds its frames) spends one of the call's `inline_budget`
    /// (`deferred::INLINE_READS_PER_CALL`); once it is spent the deferred-work item posts the rest
    /// (false: stop posting from here).
    fn send_read_slot(
        &self,
        mut slot: Slot<'_, READ_REQUESTS, ReceiveScratch>,
        inline_budget: &mut usize,
    ) -> bool {
        loop {
            let index = slot.index();
            match slot.send_read() {
                Ok(Sent::Pending) => {
                    if !self.reads_wanted() {
                        self.lower.reads.cancel_if_in_flight(index);
                    }
                    return true;
                }
                Ok(Sent::Kept) => {
                    // Completed inside the send, and its completion routine kept the slot (lent
                    // to NDIS with its frames): an inline completion all the same, and the next
                    // slot this call posts may be another.
                    *inline_budget = inline_budget.saturating_sub(1);
                    if *inline_budget > 0 {
                        return true;
                    }
                    if self.count_deferred_run_if(|state| self.reads_wanted_in(state)) {
                        self.queue_deferred_work();
                    }
                    return false;
                }
                Ok(Sent::HandedBack(again)) => {
                    *inline_budget = inline_budget.saturating_sub(1);
                    // Counted for the work item before the slot is released, in the section that
                    // decides reads are still wanted: a pause on another processor that finds the
                    // slot idle then already waits for the work item, and halt cannot free the
                    // adapter under a queued run.
                    if *inline_budget == 0 {
                        if self.count_deferred_run_if(|state| self.reads_wanted_in(state)) {
                            again.release();
                            self.queue_deferred_work();
                            return false;
                        }
                    } else if self.reads_wanted() {
                        slot = again;
                        continue;
                    }
                    // Not wanted any more. A pause may be waiting for this slot, which was not idle
                    // while handed back: the callback this runs in finds it done when it leaves.
                    again.release();
                    return true;
                }
                Err((slot, _)) => {
                    bump(&self.counters.lower_send_failures, 1);
                    slot.release();
                    return false;
                }
            }
        }
    }

    /// Indicate, in place, each frame of read `read`'s batch (found by
    /// [`ReceiveScratch::find_frames`]) that the filter accepts, as chains.
    fn indicate_batch(&self, read: usize, buffer: &mut DescribedBuffer<'_>, scratch: &mut ReceiveScratch) {
        // Copied out of the lock, by field: the multicast list makes the filter 200 bytes, and
        // every temporary copy of it counts against the kernel stack.
        let indicate;
        let filter;
        {
            let state = self.state.lock_any();
            let running = matches!(state.phase, Phase::Restarting | Phase::Running);
            indicate = running && !state.link.no_common_speed;
            filter = state.filter;
        }
        let ReceiveScratch { leases, chain, spans, span_count } = scratch;
        let spans = spans.get(..*span_count).unwrap_or_default();
        let frames = u64::try_from(spans.len()).unwrap_or(u64::MAX);
        if !indicate {
            // Not allowed to indicate (Paused, Pausing), or no link at the speed `*SpeedDuplex`
            // forces (`link`): the frames are dropped and counted.
            bump(&self.counters.rcv_discards, frames);
            return;
        }
        chain.clear();
        let mut tally = TrafficTally::default();
        let mut remaining = spans.len();
        self.receive.nbls.lease_many(remaining, leases);
        for &FrameSpan { start, end } in spans {
            remaining = remaining.saturating_sub(1);
            let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else { continue };
            let Some(tag) = buffer.bytes().get(start..end).and_then(|frame| self.wanted(&filter, frame))
            else {
                continue;
            };
            let mut leased = self.receive.nbls.next_leased(leases);
            if leased.is_none() {
                // Out of receive NBLs in the middle of a batch: hand over what is gathered (if
                // anything: `indicate` skips an empty chain) with NDIS_RECEIVE_FLAGS_RESOURCES,
                // which gives the NBLs back as soon as the call returns.
                self.receive.nbls.indicate(self.miniport, chain, dispatch_flag(), read, Lending::Never);
                self.receive.nbls.lease_many(remaining.saturating_add(1), leases);
                leased = self.receive.nbls.next_leased(leases);
            }
            let Some(mut rx) = leased else {
                bump(&self.counters.rcv_no_buffer, 1);
                bump(&self.counters.rcv_discards, 1);
                continue;
            };
            let Some((length, ieee8021q)) = place_frame(&mut rx, buffer, start..end, tag) else {
                self.receive.nbls.release(rx);
                bump(&self.counters.rcv_error, 1);
                continue;
            };
            let Some(indicated) = buffer.bytes().get(end.saturating_sub(length)..end) else {
                self.receive.nbls.release(rx);
                continue;
            };
            // Counted as the protocol above receives it (`crate::traffic`).
            tally.count(indicated);
            chain.push(rx, u32::try_from(length).unwrap_or(0), ieee8021q);
        }
        add_received(&tally, &self.counters);
        // Leases the filter left unused go back before the pool's level is judged.
        self.receive.nbls.release_unused(leases);
        if chain.len() == 0 {
            return;
        }
        // Lent to NDIS only while enough reads stay with the device and enough NBLs stay free.
        let lending = Lending::UpTo {
            reads: READ_REQUESTS.saturating_sub(RESERVED_READS),
            free_nbls: LOW_RESOURCES_THRESHOLD,
        };
        self.receive.nbls.indicate(self.miniport, chain, dispatch_flag(), read, lending);
    }

    /// How a received frame goes up, or None (counted) if it does not: malformed, of another VLAN,
    /// or not passed by the filter.
    fn wanted(&self, filter: &ReceiveFilter, frame: &[u8]) -> Option<Received> {
        let tag = vlan::receive(self.tagging, filter.vlan_id, frame);
        if tag == Received::Malformed {
            bump(&self.counters.rcv_error, 1);
            return None;
        }
        if tag == Received::OtherVlan || !filter.accepts(frame) {
            bump(&self.counters.rcv_filtered, 1);
            return None;
        }
        Some(tag)
    }

    /// Post every free read below while Restarting or Running (restart, reset).
    /// One budget of inline re-sends for the whole call, across the slots.
    pub fn post_idle_reads(&self) {
        let mut inline_budget = INLINE_READS_PER_CALL;
        while self.reads_wanted() {
            let Some(slot) = self.lower.reads.lease() else { break };
            if !self.send_read_slot(slot, &mut inline_budget) {
                break;
            }
        }
    }

    /// `MiniportReturnNetBufferLists` (<= DISPATCH_LEVEL). A read whose last NBL came back is
    /// released, and the deferred-work item sends it below (the module's comment says why not here).
    pub fn return_net_buffer_lists(&self, returned: ReturnedChain) {
        let Returned { foreign, reads_freed } = self.receive.nbls.returned(returned);
        if foreign > 0 {
            bump(&self.counters.foreign_returns, foreign);
        }
        if reads_freed == 0 {
            return;
        }
        for read in 0..READ_REQUESTS {
            let freed = u32::try_from(read)
                .ok()
                .and_then(|bit| 1u32.checked_shl(bit))
                .is_some_and(|bit| reads_freed & bit != 0);
            if freed && let Some(slot) = self.lower.reads.unhold(read) {
                slot.release();
            }
        }
        if self.count_deferred_run_if(|state| self.reads_wanted_in(state)) {
            self.queue_deferred_work();
        }
    }
}

/// Describe, with `rx`'s MDL, the frame at `span` of the read's buffer as it goes up: its tag
/// stripped where it lies (the addresses move over it, so the frame then ends where it did).
/// Returns its length and `Ieee8021QNetBufferListInfo`; None for a frame no NBL may describe.
///
/// An NBL describes at most `OID_GEN_MAXIMUM_TOTAL_SIZE` bytes: a longer frame once its tag is gone
/// (a giant for this MTU) is a receive error, never indicated ("must never indicate up ... packets
/// ... longer than ... OID_GEN_MAXIMUM_TOTAL_SIZE", Doc `oid-gen-maximum-total-size`).
fn place_frame(
    rx: &mut RxSlot,
    buffer: &mut DescribedBuffer<'_>,
    span: Range<usize>,
    tag: Received,
) -> Option<(usize, usize)> {
    let (span, ieee8021q) = match tag {
        Received::Stripped(info) => {
            let frame = buffer.bytes().get_mut(span.clone())?;
            vlan::strip_in_place(frame)
                .then_some((span.start.saturating_add(vlan::TAG_LEN)..span.end, info))?
        }
        Received::AsIs => (span, 0),
        Received::OtherVlan | Received::Malformed => return None,
    };
    let length = span.len();
    rx.describe(buffer, span).then_some((length, ieee8021q))
}

/// `NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL` exactly when at DISPATCH_LEVEL (Doc "Dispatch IRQL
/// Tracking"); the pool adds RESOURCES when the NBLs may not stay with NDIS ([`Lending`]).
fn dispatch_flag() -> u32 {
    if at_dispatch_level() { NDIS_RECEIVE_FLAGS_DISPATCH_LEVEL } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(destination: [u8; 6]) -> [u8; 60] {
        let mut frame = [0u8; 60];
        frame[..6].copy_from_slice(&destination);
        frame
    }

    const OWN: [u8; 6] = [0x02, 0x76, 0x77, 0, 0, 1];
    const OTHER: [u8; 6] = [0x02, 0x76, 0x77, 0, 0, 2];
    const GROUP: [u8; 6] = [0x01, 0x00, 0x5E, 0, 0, 1];
    const OTHER_GROUP: [u8; 6] = [0x01, 0x00, 0x5E, 0, 0, 2];

    fn filter(packet_filter: u32) -> ReceiveFilter {
        let multicast = MulticastList::from_addresses(&[GROUP]).unwrap();
        ReceiveFilter { packet_filter, address: OWN, multicast, vlan_id: 0 }
    }

    #[test]
    fn directed_only_accepts_own_unicast() {
        let directed = filter(NDIS_PACKET_TYPE_DIRECTED);
        assert!(directed.accepts(&frame(OWN)));
        assert!(!directed.accepts(&frame(OTHER)));
        assert!(!directed.accepts(&frame([0xFF; 6])));
        assert!(!directed.accepts(&frame(GROUP)));
    }

    #[test]
    fn multicast_needs_the_list_unless_all_multicast() {
        assert!(filter(NDIS_PACKET_TYPE_MULTICAST).accepts(&frame(GROUP)));
        assert!(!filter(NDIS_PACKET_TYPE_MULTICAST).accepts(&frame(OTHER_GROUP)));
        assert!(filter(NDIS_PACKET_TYPE_ALL_MULTICAST).accepts(&frame(OTHER_GROUP)));
        assert!(
            !filter(NDIS_PACKET_TYPE_ALL_MULTICAST).accepts(&frame([0xFF; 6])),
            "broadcast is its own bit"
        );
    }

    #[test]
    fn promiscuous_takes_everything_and_zero_takes_nothing() {
        for destination in [OWN, OTHER, GROUP, [0xFF; 6]] {
            assert!(filter(NDIS_PACKET_TYPE_PROMISCUOUS).accepts(&frame(destination)));
            assert!(!filter(0).accepts(&frame(destination)));
        }
        assert!(filter(NDIS_PACKET_TYPE_BROADCAST).accepts(&frame([0xFF; 6])));
    }
}
