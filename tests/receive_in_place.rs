//! Frames indicated in place, from the buffer of the read that brought them: while NDIS holds
//! frames of a read, the read stays out of service and the device keeps the others; the return of
//! the last frame sends the read below again. The model catches a read sent into a buffer NDIS
//! still reads from (`Ndis.ReceiveOwnership`), so every scenario here ending clean means no frame
//! was overwritten under a protocol.

mod common;

use common::*;
use kernel_sim::{AdapterId, InlineReturns, InlineService, NblShape, Sim};
use ndis_types::oid::*;
use ndis_types::*;

const FILTER: u32 = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;

fn frames(destination: [u8; 6], source: [u8; 6], count: usize, first: u32) -> Vec<Vec<u8>> {
    (0..count as u32)
        .map(|i| {
            let mut frame = vec![0u8; 1514];
            frame[..6].copy_from_slice(&destination);
            frame[6..12].copy_from_slice(&source);
            frame[12..14].copy_from_slice(&[0x88, 0xB5]);
            frame[14..18].copy_from_slice(&(first + i).to_be_bytes());
            frame
        })
        .collect()
}

/// Two running adapters that take directed and broadcast frames.
fn running_pair(seed: u64) -> (Sim, AdapterId, AdapterId) {
    let (sim, adapters) = with_adapters(seed, 2);
    for &adapter in &adapters {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let result = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &FILTER.to_ne_bytes());
        assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    }
    (sim, adapters[0], adapters[1])
}

/// Two running adapters; B's protocol keeps every NBL it is given until told otherwise.
fn b_holds_what_it_receives(seed: u64) -> (Sim, AdapterId, AdapterId) {
    let (sim, a, b) = running_pair(seed);
    sim.hold_returns(b, true);
    (sim, a, b)
}

/// A sends B `rounds` batches of four full-size frames, one batch at a time.
fn send_batches(sim: &Sim, a: AdapterId, b: AdapterId, rounds: u32) -> Vec<Vec<u8>> {
    let mut sent = Vec::new();
    for round in 0..rounds {
        let batch = frames(mac(sim, b), mac(sim, a), 4, round * 4);
        sim.send_frames(a, &batch, NblShape::default());
        sim.run_until_idle();
        sent.extend(batch);
    }
    sent
}

/// Held frames keep their reads out of service, but never the last `RESERVED_READS`: past that,
/// frames go up with `NDIS_RECEIVE_FLAGS_RESOURCES` (NDIS copies them and gives the NBLs back at
/// once), so nothing is lost. When the protocol returns what it held, every read goes below again.
#[test]
fn held_frames_keep_their_reads_and_the_device_keeps_the_rest() {
    let (sim, a, b) = b_holds_what_it_receives(700);
    let sent = send_batches(&sim, a, b, 30);
    assert_eq!(sim.received_frames(b), sent, "every frame indicated, in order");
    assert_eq!(
        sim.lower(b).pending_reads(),
        RESERVED_READS,
        "the reads lent to NDIS are not below; the reserved ones are"
    );
    let counts = sim.receive_counts(b);
    assert!(counts.outstanding_nbls > 0 && counts.outstanding_nbls <= 12 * 4, "{counts:?}");
    assert!(counts.resources_nbls > 0, "past the lending bound, frames went up with RESOURCES: {counts:?}");

    let runs = sim.work_items_run();
    sim.return_now(b);
    sim.hold_returns(b, false);
    sim.run_until_idle();
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS, "every returned read went below again");
    assert!(sim.work_items_run() > runs, "posted by the deferred-work item, not from the return");
    // And they carry traffic again.
    let more = frames(mac(&sim, b), mac(&sim, a), 40, 1000);
    sim.send_frames(a, &more, NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b)[sent.len()..], more[..]);
    finish(sim, &[a, b]);
}

/// A pause waits for the held frames; their reads are not re-posted once the pause began, and a
/// restart arms all of them again.
#[test]
fn a_pause_waits_for_held_frames_and_a_restart_rearms_every_read() {
    let (sim, a, b) = b_holds_what_it_receives(701);
    send_batches(&sim, a, b, 8);
    assert!(sim.receive_counts(b).outstanding_nbls > 0);
    // Pends while the protocol holds frames; NDIS, pausing it above, gets them back, and the last
    // return finishes the pause.
    assert_eq!(sim.pause(b), NDIS_STATUS_PENDING, "frames are still with the protocol");
    assert_eq!(sim.lower(b).pending_reads(), 0, "nothing below");
    sim.run_until_idle();
    assert_eq!(sim.adapter_state(b), kernel_sim::AdapterState::Paused);
    assert_eq!(sim.receive_counts(b).outstanding_nbls, 0);
    sim.hold_returns(b, false);
    assert_eq!(sim.lower(b).pending_reads(), 0, "a returned read is not sent while pausing");
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS);
    let before = sim.received_frames(b).len();
    let more = frames(mac(&sim, b), mac(&sim, a), 20, 500);
    sim.send_frames(a, &more, NblShape::default());
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b)[before..], more[..]);
    finish(sim, &[a, b]);
}

/// A reset does not wait for held frames (NDIS 6.30: nothing held across it is the sends'), and
/// the reads come back when they return.
#[test]
fn a_reset_with_held_frames_keeps_receiving() {
    let (sim, a, b) = b_holds_what_it_receives(702);
    send_batches(&sim, a, b, 20);
    let (status, _) = sim.reset(b);
    assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
    sim.run_until_idle();
    let before = sim.received_frames(b).len();
    let sent = send_batches(&sim, a, b, 5);
    assert_eq!(sim.received_frames(b)[before..], sent[..], "received through the reserved reads");
    sim.return_now(b);
    sim.hold_returns(b, false);
    sim.run_until_idle();
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS);
    finish(sim, &[a, b]);
}

/// Surprise removal while the protocol holds frames: nothing goes below any more, the held frames
/// come back to a removed adapter without sending their reads, and halt frees every NBL, MDL and
/// read.
#[test]
fn surprise_removal_with_held_frames_ends_clean() {
    let (sim, a, b) = b_holds_what_it_receives(703);
    send_batches(&sim, a, b, 20);
    assert!(sim.receive_counts(b).outstanding_nbls > 0);
    let runs = sim.work_items_run();
    sim.surprise_remove(b);
    // The held frames come back to a removed adapter (NDIS pausing it gets them back): their
    // reads are freed, not sent, and no work item is queued to send them.
    sim.hold_returns(b, false);
    sim.run_until_idle();
    assert_eq!(sim.receive_counts(b).outstanding_nbls, 0);
    assert_eq!(sim.lower(b).pending_reads(), 0, "nothing goes below a removed device");
    assert_eq!(sim.work_items_run(), runs);
    // Removal halted it; A goes the orderly way.
    sim.remove_adapter(a);
    sim.unload();
    sim.assert_clean();
}

/// NDIS may return NBLs before `NdisMIndicateReceiveNetBufferLists` returns. When a read's own
/// frames come back so, the read is not lent at all: its completion routine sends it again itself,
/// and no work item runs.
#[test]
fn frames_returned_inside_their_indication_leave_the_read_with_its_routine() {
    let (sim, a, b) = running_pair(704);
    sim.set_inline_returns(InlineReturns::Always);
    let runs = sim.work_items_run();
    let before = sim.receive_counts(b);
    let sent = send_batches(&sim, a, b, 10);
    let after = sim.receive_counts(b);
    assert_eq!(sim.received_frames(b), sent);
    assert!(after.inline_return_calls - before.inline_return_calls >= 10, "{after:?}");
    assert_eq!(
        after.return_calls - before.return_calls,
        after.inline_return_calls - before.inline_return_calls
    );
    assert_eq!(sim.work_items_run(), runs, "no read was lent, so none waited for the work item");
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS);
    finish(sim, &[a, b]);
}

/// An older read freed by a return NDIS makes inside another read's indication is not sent from
/// the return handler (that would nest an indication inside it): the work item sends it.
#[test]
fn an_older_read_freed_inside_an_indication_goes_below_from_the_work_item() {
    let (sim, a, b) = b_holds_what_it_receives(705);
    send_batches(&sim, a, b, 1);
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS - 1, "the first read is lent");
    // The next frame completes B's read inside A's send, and NDIS gives back everything it holds,
    // the first read's frames too, before the indication returns.
    sim.set_inline_returns(InlineReturns::Always);
    sim.lower(a).set_inline_service(InlineService::Always);
    sim.lower(b).set_inline_service(InlineService::Always);
    sim.hold_returns(b, false);
    let runs = sim.work_items_run();
    let frame = frames(mac(&sim, b), mac(&sim, a), 1, 99);
    sim.send_frames(a, &frame, NblShape::default());
    let counts = sim.receive_counts(b);
    assert!(counts.inline_return_calls > 0 && counts.outstanding_nbls == 0, "{counts:?}");
    sim.run_until_idle();
    assert!(sim.work_items_run() > runs, "the freed read was sent by the work item");
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS);
    assert!(sim.deepest_nesting() <= kernel_sim::MAX_NESTED_CALLBACKS + 1);
    finish(sim, &[a, b]);
}

/// Cut-through: frames a peer writes while B's reads are parked, with nothing queued for B, go
/// straight into B's oldest read (the hub copies each frame once) and up in order; none waits in
/// the hub's queue.
// The bus holds up to `FILLED_READS_PER_PORT` filled reads per port for its DPC: every read the
// driver keeps below can be filled by cut-through before the DPC runs.
const _: () = assert!(READ_REQUESTS <= kernel_sim::FILLED_READS_PER_PORT);

#[test]
fn frames_from_a_peer_go_straight_into_a_parked_read() {
    let (sim, a, b) = running_pair(706);
    let before = sim.hub_switch_totals();
    let sent = send_batches(&sim, a, b, 10);
    let after = sim.hub_switch_totals();
    assert_eq!(sim.received_frames(b), sent, "every frame indicated, in order");
    assert_eq!(after.cut_through - before.cut_through, 40, "every frame went straight into a read");
    assert_eq!(sim.hub_pending_frames(b), 0);
    finish(sim, &[a, b]);
}

/// A read the hub filled belongs to the bus, out of its queue, until the serving DPC completes
/// it: the pause that cancels B's reads cannot cancel it and waits for its completion, with data.
#[test]
fn a_pause_waits_for_a_read_the_hub_filled_instead_of_cancelling_it() {
    let (sim, a, b) = running_pair(707);
    // A's writes never complete B's reads inside A's send: the filled read waits for the pump.
    sim.lower(a).set_inline_service(InlineService::Never);
    let completed = sim.lower(b).reads_completed();
    let batch = frames(mac(&sim, b), mac(&sim, a), 4, 0);
    sim.send_frames(a, &batch, NblShape::default());
    assert_eq!(sim.hub_switch_totals().cut_through, 4);
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS - 1, "the filled read is out of the queue");
    let status = sim.pause(b);
    sim.run_until_idle();
    assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING, "{status:#x}");
    assert_eq!(sim.adapter_state(b), kernel_sim::AdapterState::Paused);
    assert_eq!(sim.lower(b).reads_completed(), completed + 1, "completed with its batch, not cancelled");
    // It completed while B was pausing: its frames were not indicated but counted as discarded.
    assert!(sim.received_frames(b).is_empty());
    let discards = sim.oid_query(b, OID_GEN_RCV_DISCARDS, 8);
    assert_eq!(discards.data[..8], 4u64.to_ne_bytes());
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    finish(sim, &[a, b]);
}
