//! A device below that completes inside `WdfRequestSend`, as a bus driver may: the miniport's
//! completion routines then run on the sender's stack, at the sender's IRQL. The driver must not
//! let that nest without bound (kernel-sim's `Stack.Recursion`, `MAX_NESTED_CALLBACKS`): a read
//! that completes inline is sent again from its sender's loop, not from inside its own completion.

mod common;

use common::{finish, mac};
use kernel_sim::{AdapterId, InlineService, NblShape, Sim, WriteCompletion};
use ndis_types::oid::*;
use ndis_types::*;

const FILTER: u32 = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;

fn two_running(seed: u64) -> (Sim, AdapterId, AdapterId) {
    let (sim, adapters) = common::with_adapters(seed, 2);
    for &adapter in &adapters {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let status = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &FILTER.to_ne_bytes()).status;
        assert_eq!(status, NDIS_STATUS_SUCCESS);
    }
    (sim, adapters[0], adapters[1])
}

/// Halt every adapter, unload, and require a clean model: nothing leaked or violated.
fn frames_to(destination: [u8; 6], source: [u8; 6], count: usize, length: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut frame = vec![i as u8; length];
            frame[..6].copy_from_slice(&destination);
            frame[6..12].copy_from_slice(&source);
            frame[12..14].copy_from_slice(&[0x88, 0xB5]);
            frame
        })
        .collect()
}

/// Two adapters, B paused with `count` full-size frames from A waiting below it (10 a batch).
fn backlog_below_paused(seed: u64, count: usize) -> (Sim, AdapterId, AdapterId, Vec<Vec<u8>>) {
    let (sim, a, b) = two_running(seed);
    let status = sim.pause(b);
    assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
    sim.run_until_idle();
    let frames = frames_to(mac(&sim, b), mac(&sim, a), count, 1514);
    let sent = sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    assert!(sent.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.hub_pending_frames(b), count, "every frame waits below the paused adapter");
    (sim, a, b, frames)
}

/// Reads one call re-sends after inline completions before it hands the rest to the re-post work
/// item.
use kmdf_miniport::INLINE_READS_PER_CALL;

/// Batches pile up below a paused adapter; when it restarts, every read it sends finds one ready
/// and completes inside `WdfRequestSend`. Each completion hands its read back to the sender's
/// loop: however many batches wait, the stack holds restart and one completion routine. And the
/// loop is bounded in time too: after `INLINE_READS_PER_CALL` inline completions the rest is
/// posted by a work item at PASSIVE_LEVEL, so a device that never runs dry (other processors
/// filling it) cannot hold one call forever.
#[test]
fn reads_that_complete_inline_are_resent_from_a_loop_not_nested() {
    let (sim, a, b, frames) = backlog_below_paused(11, 200);
    let runs_before = sim.work_items_run();

    sim.lower(b).set_inline_service(InlineService::Always);
    let reads_before = sim.lower(b).reads_completed();
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    let in_restart = sim.lower(b).reads_completed() - reads_before;
    assert_eq!(in_restart, INLINE_READS_PER_CALL, "served inside the restart's sends, up to the bound");
    // The read completion routine nests in the restart's send and never deeper; NDIS may return
    // frames from inside that routine's indication, one level more.
    assert!(
        (2..=3).contains(&sim.deepest_nesting()),
        "MiniportRestartEx -> one read completion routine (-> MiniportReturnNetBufferLists): {}",
        sim.deepest_nesting()
    );
    assert_eq!(sim.work_items_run(), runs_before);
    sim.run_until_idle();
    assert!(sim.work_items_run() > runs_before, "the rest was posted from the work item");
    assert_eq!(sim.hub_pending_frames(b), 0, "every batch was read");
    assert_eq!(sim.received_frames(b).len(), frames.len(), "and indicated");
    finish(sim, &[a, b]);
}

/// A write serves the peer's parked read inside the writer's send (the vwire bus once did this):
/// the peer's receive path runs inside this adapter's `MiniportSendNetBufferLists`. Traffic both
/// ways, every write completing inline too, stays within the nesting bound.
#[test]
fn a_peer_served_inside_a_write_stays_within_the_nesting_bound() {
    let (sim, a, b) = two_running(12);
    for adapter in [a, b] {
        sim.lower(adapter).set_inline_service(InlineService::Always);
        sim.lower(adapter).set_write_completion(WriteCompletion::Immediate);
    }
    let one = frames_to(mac(&sim, b), mac(&sim, a), 1, 60);
    sim.send_frames(a, &one, NblShape::default());
    assert_eq!(sim.received_frames(b).len(), 1, "delivered inside the send, before any DPC ran");
    assert!(sim.deepest_nesting() >= 2);
    for round in 0..50 {
        let (from, to) = if round % 2 == 0 { (a, b) } else { (b, a) };
        let frames = frames_to(mac(&sim, to), mac(&sim, from), 1 + round % 7, 60 + round * 29);
        sim.send_frames(from, &frames, NblShape::default());
    }
    sim.run_until_idle();
    assert!(sim.deepest_nesting() <= kernel_sim::MAX_NESTED_CALLBACKS);
    assert_eq!(
        sim.received_frames(a).len() + sim.received_frames(b).len(),
        1 + (0..50).map(|r| 1 + r % 7).sum::<usize>()
    );
    finish(sim, &[a, b]);
}

/// The link changed between initialize and restart, and keeps flapping while the miniport reports
/// it: every watch names a generation the port has left behind, so each completes inside its own
/// `WdfRequestSend`. Each completion routine reports the change and hands the watch back; restart's
/// loop sends it again for the new generation, one level deep however long the flapping lasts.
#[test]
fn a_link_watch_that_completes_inline_is_resent_from_the_senders_loop() {
    use ndis_types::miniport::{
        MEDIA_CONNECT_STATE_CONNECTED as CONNECTED, MEDIA_CONNECT_STATE_DISCONNECTED as DISCONNECTED,
    };
    let (sim, adapters) = common::with_adapters(13, 1);
    let a = adapters[0];
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    sim.lower(a).set_link(false);
    sim.lower(a).flap_link_on_indication(4);
    let link_states = |sim: &Sim| -> Vec<i32> {
        sim.status_indications(a).iter().filter_map(|s| s.link_state).map(|(connect, ..)| connect).collect()
    };
    assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
    assert_eq!(
        link_states(&sim),
        vec![DISCONNECTED, CONNECTED, DISCONNECTED, CONNECTED, DISCONNECTED],
        "every change reported inside the restart"
    );
    assert_eq!(sim.lower(a).pending_ioctls(), 1, "the watch is pending again, for the new generation");
    assert_eq!(sim.deepest_nesting(), 2);
    sim.lower(a).set_link(true);
    sim.run_until_idle();
    assert_eq!(link_states(&sim).last(), Some(&CONNECTED), "the re-armed watch saw the next change");
    assert_eq!(link_states(&sim).len(), 6);
    finish(sim, &[a]);
}

/// A reset that also runs into the bound while the work item is still queued leaves the posting
/// to that one run: the count it took is given back at once, and the pause after it completes.
#[test]
fn a_second_deferral_while_the_work_item_is_queued_is_counted_back() {
    let (sim, a, b, frames) = backlog_below_paused(15, 250);
    let runs_before = sim.work_items_run();
    sim.lower(b).set_inline_service(InlineService::Always);
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    let after_restart = sim.lower(b).reads_completed();
    let (status, _) = sim.reset(b);
    assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
    assert_eq!(
        sim.lower(b).reads_completed() - after_restart,
        INLINE_READS_PER_CALL,
        "the reset's reads ran into the bound too"
    );
    assert_eq!(sim.work_items_run(), runs_before, "both deferrals share the one queued run");
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b).len(), frames.len());
    let status = sim.pause(b);
    assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
    sim.run_until_idle();
    assert_eq!(sim.adapter_state(b), kernel_sim::AdapterState::Paused, "no run left counted");
    finish(sim, &[a, b]);
}

/// A pause that comes while the deferred-work item is queued waits for it: halt, which follows the
/// pause, frees the work item and the adapter its routine runs on.
#[test]
fn a_pause_waits_for_the_deferred_work_item() {
    let (sim, a, b, _) = backlog_below_paused(14, 200);
    let runs_before = sim.work_items_run();
    sim.lower(b).set_inline_service(InlineService::Always);
    sim.hold_returns(b, true);
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.work_items_run(), runs_before, "the deferred-work item is queued, not run");
    // Every indicated NBL back, nothing in flight below: only the work item is outstanding.
    sim.return_now(b);
    sim.hold_returns(b, false);
    assert_eq!(sim.pause(b), NDIS_STATUS_PENDING, "the pause waits for the queued work item");
    sim.run_until_idle();
    assert_eq!(sim.work_items_run(), runs_before + 1);
    assert_eq!(sim.adapter_state(b), kernel_sim::AdapterState::Paused);
    finish(sim, &[a, b]);
}

/// A queue that empties exactly at the bound queues no deferred run: nothing is left for it.
#[test]
fn a_queue_drained_exactly_at_the_bound_queues_no_deferred_work() {
    let (sim, a, b) = two_running(17);
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    sim.lower(a).set_inline_service(InlineService::Never);
    // Ten 1514-byte frames fill a 16 KiB batch (16 + 10 x 1524 bytes): 160 frames are exactly the
    // 16 writes one call may send.
    let frames = frames_to(mac(&sim, b), mac(&sim, a), 160, 1514);
    let writes_before = sim.lower(a).writes_completed();
    // B's reads, freed by the return of their NBLs, are posted by B's work item: held back here,
    // so that only the send path could run one.
    sim.hold_returns(b, true);
    let sent = sim.send_frames(a, &frames, NblShape::default());
    assert_eq!(sim.lower(a).writes_completed() - writes_before, 16);
    sim.run_until_idle();
    assert_eq!(sim.work_items_run(), 0, "no deferred run for an empty queue");
    sim.hold_returns(b, false);
    sim.run_until_idle();
    assert!(sent.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(b), frames);
    finish(sim, &[a, b]);
}

/// A device that completes every write at once never runs the send queue dry by itself: one call
/// of `MiniportSendNetBufferLists` sends at most `WRITES_PER_DRAIN` write batches, and the
/// deferred-work item drains the rest at PASSIVE_LEVEL. Every NBL still completes, in order.
#[test]
fn a_long_send_queue_is_drained_in_bounded_calls() {
    /// `adapter::deferred::WRITES_PER_DRAIN`.
    const WRITES_PER_DRAIN: usize = 16;
    let (sim, a, b) = two_running(16);
    sim.lower(a).set_write_completion(WriteCompletion::Immediate);
    sim.lower(a).set_inline_service(InlineService::Never);
    // 400 full-size frames: about 40 batches, well past one call's bound.
    let frames = frames_to(mac(&sim, b), mac(&sim, a), 400, 1514);
    let writes_before = sim.lower(a).writes_completed();
    let sent = sim.send_frames(a, &frames, NblShape::default());
    let in_call = sim.lower(a).writes_completed() - writes_before;
    assert_eq!(in_call, WRITES_PER_DRAIN, "one call sent exactly its bound");
    assert_eq!(sim.work_items_run(), 0);
    sim.run_until_idle();
    assert!(sim.work_items_run() >= 2, "the rest went through the deferred-work item");
    assert!(sent.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(b), frames, "every frame arrived, in order");
    finish(sim, &[a, b]);
}
