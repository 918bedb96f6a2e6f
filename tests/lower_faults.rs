//! Faults below the lower edge: failed, cancelled, delayed, truncated and malformed completions,
//! and failing writes. Each is counted (vendor OID `OID_VWIRE_DRIVER_COUNTERS`) and survived: no
//! crash, no violation, nothing lost that was already accepted, and traffic flows again after.

mod common;

use common::*;
use kernel_sim::{AdapterId, Faults, NblShape, Sim};
use ndis_types::miniport::{MEDIA_CONNECT_STATE_CONNECTED, MEDIA_DUPLEX_STATE_FULL, MEDIA_DUPLEX_STATE_HALF};
use ndis_types::oid::*;
use ndis_types::*;
use std::time::Duration;
use vwire_proto::{IOCTL_VWIRE_WAIT_LINK_CHANGE, LinkState};

const OID_VWIRE_DRIVER_COUNTERS: u32 = 0xFF76_0001;
const MALFORMED: usize = 2;
const READ_ERRORS: usize = 3;
const WRITE_ERRORS: usize = 4;
/// `lower::WRITE_REQUESTS`: write requests the adapter keeps.
const WRITE_REQUESTS: usize = 8;
const LINK_ERRORS: usize = 7;

fn driver_counters(sim: &Sim, adapter: AdapterId) -> Vec<u64> {
    let result = sim.oid_query(adapter, OID_VWIRE_DRIVER_COUNTERS, 104);
    assert_eq!(result.status, NDIS_STATUS_SUCCESS);
    result.data[..104].chunks_exact(8).map(|chunk| u64::from_le_bytes(chunk.try_into().unwrap())).collect()
}

fn frame(destination: [u8; 6], source: [u8; 6], length: usize, tag: u8) -> Vec<u8> {
    let mut frame = vec![tag; length];
    frame[..6].copy_from_slice(&destination);
    frame[6..12].copy_from_slice(&source);
    frame[12..14].copy_from_slice(&[0x88, 0xB5]);
    frame
}

fn pair(seed: u64) -> (Sim, AdapterId, AdapterId) {
    let (sim, ids) = with_adapters(seed, 2);
    for &adapter in &ids {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
        assert_eq!(
            sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status,
            NDIS_STATUS_SUCCESS
        );
    }
    (sim, ids[0], ids[1])
}

/// Traffic from `a` to `b` still arrives whole.
fn assert_traffic_flows(sim: &Sim, a: AdapterId, b: AdapterId, tag: u8) {
    let before = sim.received_frames(b).len();
    let frames: Vec<Vec<u8>> = (0..10).map(|i| frame(mac(sim, b), mac(sim, a), 100 + i * 50, tag)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    for id in ids {
        assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS));
    }
    let received = sim.received_frames(b);
    assert_eq!(&received[before..], &frames[..]);
}

#[test]
fn malformed_and_truncated_batches_are_rejected_whole_and_counted() {
    let (sim, a, b) = pair(300);
    let garbage = [0xA5u8; 64];
    assert!(sim.inject_raw_read_completion(b, &garbage, STATUS_SUCCESS));
    // A valid header that claims more bytes than came back: truncated.
    let mut truncated = vec![0u8; 16];
    truncated[..4].copy_from_slice(&0x3142_5756u32.to_le_bytes());
    truncated[4..6].copy_from_slice(&1u16.to_le_bytes());
    truncated[6..8].copy_from_slice(&3u16.to_le_bytes());
    truncated[8..12].copy_from_slice(&4000u32.to_le_bytes());
    assert!(sim.inject_raw_read_completion(b, &truncated, STATUS_SUCCESS));
    sim.run_until_idle();
    assert!(sim.received_frames(b).is_empty(), "nothing of a malformed batch is indicated");
    assert_eq!(driver_counters(&sim, b)[MALFORMED], 2);
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS, "the reads are sent again");
    assert_traffic_flows(&sim, a, b, 1);
    finish(sim, &[a, b]);
}

#[test]
fn failed_reads_are_counted_and_rearmed_by_reset() {
    let (sim, a, b) = pair(301);
    sim.fail_next_reads(b, 3, STATUS_UNSUCCESSFUL);
    sim.run_until_idle();
    assert_eq!(driver_counters(&sim, b)[READ_ERRORS], 3);
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS - 3, "a failing read is not re-sent at once");
    let (status, _) = sim.reset(b);
    assert_eq!(status, NDIS_STATUS_SUCCESS);
    assert_eq!(sim.lower(b).pending_reads(), READ_REQUESTS, "reset re-arms them");
    assert_traffic_flows(&sim, a, b, 2);
    finish(sim, &[a, b]);
}

#[test]
fn cancelled_reads_are_not_errors() {
    let (sim, a, b) = pair(302);
    sim.pause(b);
    assert_eq!(driver_counters(&sim, b)[READ_ERRORS], 0);
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    assert_traffic_flows(&sim, a, b, 3);
    finish(sim, &[a, b]);
}

#[test]
fn delayed_frames_arrive_once_their_time_comes() {
    let (sim, a, b) = pair(303);
    sim.set_faults(b, Faults { delay_ticks: 5_000_000, ..Faults::default() });
    let frames: Vec<Vec<u8>> = (0..5).map(|i| frame(mac(&sim, b), mac(&sim, a), 200, i)).collect();
    sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    sim.advance_time(Duration::from_millis(10));
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b), frames);
    sim.set_faults(b, Faults::default());
    finish(sim, &[a, b]);
}

#[test]
fn failing_writes_complete_their_nbls_with_failure_and_are_counted() {
    let (sim, a, b) = pair(304);
    sim.set_faults(a, Faults { fail_writes: true, ..Faults::default() });
    let frames: Vec<Vec<u8>> = (0..6).map(|i| frame(mac(&sim, b), mac(&sim, a), 300, i)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    for id in ids {
        assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_FAILURE));
    }
    assert!(driver_counters(&sim, a)[WRITE_ERRORS] >= 1);
    assert!(sim.received_frames(b).is_empty());
    // Counted as errors only: nothing was sent, so no octet or per-destination counter moved
    // (NDIS_STATISTICS_INFO: ifHCOutUcastPkts at 64, ifHCOutOctets at 56, ifHCOutUcastOctets at 128).
    let stats = sim.oid_query(a, OID_GEN_STATISTICS, 152);
    let at = |offset: usize| u64::from_ne_bytes(stats.data[offset..offset + 8].try_into().unwrap());
    assert_eq!((at(56), at(64), at(128)), (0, 0, 0));
    let xmit_error = sim.oid_query(a, OID_GEN_XMIT_ERROR, 8);
    assert_eq!(u64::from_ne_bytes(xmit_error.data[..8].try_into().unwrap()), 6);
    sim.set_faults(a, Faults::default());
    assert_traffic_flows(&sim, a, b, 4);
    finish(sim, &[a, b]);
}

#[test]
fn a_full_receive_queue_below_drops_without_blocking_the_sender() {
    let (sim, a, b) = pair(305);
    sim.pause(b);
    let frames: Vec<Vec<u8>> =
        (0..400).map(|i| frame(mac(&sim, b), mac(&sim, a), 60, (i % 250) as u8)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    for id in ids {
        assert_eq!(
            sim.send_completion(id),
            Some(NDIS_STATUS_SUCCESS),
            "the sender never waits on a full port"
        );
    }
    let counters = sim.hub_counters(b).unwrap();
    assert!(counters.rx_dropped_queue_full > 0, "{counters:?}");
    assert_eq!(sim.restart(b), NDIS_STATUS_SUCCESS);
    finish(sim, &[a, b]);
}

#[test]
fn a_device_that_sits_on_writes_cannot_hold_sends_past_the_write_timeout() {
    use kernel_sim::WriteCompletion;
    let (sim, a, b) = pair(306);
    sim.lower(a).set_write_completion(WriteCompletion::Hold);
    let frames: Vec<Vec<u8>> = (0..6).map(|i| frame(mac(&sim, b), mac(&sim, a), 300, i)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    let sent_at = sim.now();
    // Nothing else is scheduled: the next thing that happens is KMDF's send-options timer.
    sim.run_until_idle();
    for id in &ids {
        assert_eq!(sim.send_completion(*id), Some(NDIS_STATUS_FAILURE), "the stalled write timed out");
    }
    let waited = sim.now() - sent_at;
    assert!(waited >= Duration::from_secs(5) && waited < Duration::from_secs(30), "{waited:?}");
    assert!(driver_counters(&sim, a)[WRITE_ERRORS] >= 1);
    sim.lower(a).set_write_completion(WriteCompletion::Seeded);
    assert_traffic_flows(&sim, a, b, 5);
    finish(sim, &[a, b]);
}

#[test]
fn a_bus_that_stops_answering_control_ioctls_cannot_hold_an_oid_past_the_verifier_limit() {
    let (sim, a, b) = pair(307);
    let old_filter = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST;
    let new_filter = old_filter | NDIS_PACKET_TYPE_MULTICAST;
    let group = [0x01, 0x00, 0x5E, 0x00, 0x00, 0x01];
    sim.lower(a).hold_control_ioctls(true);
    let sent = sim.lower(a).ioctls_received().len();
    // Each set reaches the bus, which never answers: the OID fails once KMDF's timer expires,
    // well before NdisTimedOidComplete's 12 s (the model flags anything later, and aborts on a send
    // with no timeout).
    for (oid, buffer) in [
        (OID_GEN_CURRENT_PACKET_FILTER, new_filter.to_ne_bytes().to_vec()),
        (OID_802_3_MULTICAST_LIST, group.to_vec()),
    ] {
        let issued = sim.now();
        assert_eq!(sim.oid_set(a, oid, &buffer).status, NDIS_STATUS_FAILURE, "OID {oid:#x}");
        let waited = sim.now() - issued;
        assert!(waited >= Duration::from_secs(1) && waited < Duration::from_secs(12), "{waited:?}");
    }
    assert_eq!(sim.lower(a).ioctls_received().len(), sent + 2, "both IOCTLs went to the bus");
    // A failed set changes nothing.
    let filter = sim.oid_query(a, OID_GEN_CURRENT_PACKET_FILTER, 4);
    assert_eq!(filter.data[..4], old_filter.to_ne_bytes());
    assert_eq!(sim.oid_query(a, OID_802_3_MULTICAST_LIST, 6 * 32).bytes_written_or_read, 0);
    // Reads and writes do not go through the control request: traffic still flows.
    assert_traffic_flows(&sim, a, b, 7);
    // The bus answers again: the control request was left reusable, and the same sets succeed.
    sim.lower(a).hold_control_ioctls(false);
    assert_eq!(
        sim.oid_set(a, OID_GEN_CURRENT_PACKET_FILTER, &new_filter.to_ne_bytes()).status,
        NDIS_STATUS_SUCCESS
    );
    assert_eq!(sim.oid_set(a, OID_802_3_MULTICAST_LIST, &group).status, NDIS_STATUS_SUCCESS);
    assert_eq!(sim.oid_query(a, OID_GEN_CURRENT_PACKET_FILTER, 4).data[..4], new_filter.to_ne_bytes());
    assert_eq!(sim.oid_query(a, OID_802_3_MULTICAST_LIST, 6 * 32).data[..6], group);
    assert_traffic_flows(&sim, a, b, 8);
    finish(sim, &[a, b]);
}

/// One frame of the largest size in a batch: the smallest `max_batch_bytes` the miniport accepts.
const ONE_LARGEST_FRAME: u32 = (vwire_proto::BATCH_HEADER_LEN + vwire_proto::RECORD_HEADER_LEN + 1520) as u32;

#[test]
fn a_device_whose_limits_cannot_carry_the_mtu_is_refused_at_initialize() {
    let refused: [fn(&mut vwire_proto::DeviceInfo); 4] = [
        |d| d.mtu = 1499,
        |d| d.max_batch_frames = 0,
        |d| d.max_batch_bytes = ONE_LARGEST_FRAME - 1,
        |d| d.max_batch_bytes = vwire_proto::BATCH_HEADER_LEN as u32 - 1,
    ];
    for edit in refused {
        let sim = loaded(309);
        sim.edit_device_info(Some(edit));
        assert_eq!(sim.add_adapter(), Err(NDIS_STATUS_ADAPTER_NOT_FOUND));
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn a_device_at_the_smallest_limits_it_accepts_carries_full_size_frames() {
    let sim = loaded(312);
    // One frame per batch, one largest frame's worth of bytes, and a larger MTU than ours.
    sim.edit_device_info(Some(|d| {
        d.mtu = 9000;
        d.max_batch_frames = 1;
        d.max_batch_bytes = ONE_LARGEST_FRAME;
    }));
    let (a, b) = (sim.add_adapter().expect("initialize"), sim.add_adapter().expect("initialize"));
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED;
        assert_eq!(
            sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status,
            NDIS_STATUS_SUCCESS
        );
    }
    let frames: Vec<Vec<u8>> = (0..8).map(|i| frame(mac(&sim, b), mac(&sim, a), 1514, i)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(b), frames);
    assert!(sim.lower(a).written_data().len() >= frames.len(), "one frame per write");
    finish(sim, &[a, b]);
}

/// The device's frame limit binds on its own: small frames that would fit many to a batch go
/// down at most `max_batch_frames` to a write.
#[test]
fn writes_carry_no_more_frames_than_the_device_takes() {
    let sim = loaded(313);
    sim.edit_device_info(Some(|d| d.max_batch_frames = 2));
    let (a, b) = (sim.add_adapter().expect("initialize"), sim.add_adapter().expect("initialize"));
    for adapter in [a, b] {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED;
        let set = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
        assert_eq!(set.status, NDIS_STATUS_SUCCESS);
    }
    let frames: Vec<Vec<u8>> = (0..10).map(|i| frame(mac(&sim, b), mac(&sim, a), 100, i)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    sim.run_until_idle();
    let per_write: Vec<usize> = sim
        .lower(a)
        .written_data()
        .iter()
        .map(|batch| vwire_proto::Batch::parse(batch).expect("a valid batch").frames().count())
        .collect();
    assert!(per_write.len() >= 5 && per_write.iter().all(|&n| n <= 2), "{per_write:?}");
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(b), frames);
    finish(sim, &[a, b]);
}

/// A device that holds every write gets all the adapter's write requests before the queue waits:
/// the drain keeps packing while a request is free, not one write per call.
#[test]
fn a_stalled_device_gets_every_write_request_before_sends_queue() {
    let (sim, a, b) = pair(314);
    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Hold);
    let frames: Vec<Vec<u8>> = (0..100).map(|i| frame(mac(&sim, b), mac(&sim, a), 1514, i)).collect();
    let ids = sim.send_frames(a, &frames, NblShape::default());
    assert_eq!(sim.lower(a).pending_writes(), WRITE_REQUESTS, "every write request is at the device");
    sim.lower(a).set_write_completion(kernel_sim::WriteCompletion::Immediate);
    sim.lower(a).complete_writes(usize::MAX, STATUS_SUCCESS);
    sim.run_until_idle();
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
    assert_eq!(sim.received_frames(b), frames);
    finish(sim, &[a, b]);
}

#[test]
fn a_bus_that_never_answers_at_start_fails_initialize_in_time() {
    let sim = loaded(308);
    sim.hold_control_ioctls_of_new_ports(true);
    let started = sim.now();
    assert_eq!(sim.add_adapter(), Err(NDIS_STATUS_ADAPTER_NOT_FOUND));
    let waited = sim.now() - started;
    assert!(waited >= Duration::from_secs(1) && waited < Duration::from_secs(12), "{waited:?}");
    // Unwound cleanly (the model checks the failed initialize left nothing behind); a bus that
    // answers gets an adapter.
    sim.hold_control_ioctls_of_new_ports(false);
    let a = sim.add_adapter().expect("initialize");
    assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
    finish(sim, &[a]);
}

/// A link report from the device below `a` at the hub's current generation, so the watch the
/// adapter re-sends after it is held.
fn link_report(
    sim: &Sim,
    a: AdapterId,
    up: bool,
    full_duplex: bool,
    speed_bps: u64,
) -> [u8; LinkState::ENCODED_LEN] {
    let mut out = [0u8; LinkState::ENCODED_LEN];
    LinkState::new(sim.hub_link_generation(a), up, full_duplex, speed_bps).encode(&mut out).unwrap();
    out
}

fn link_indications(sim: &Sim, a: AdapterId) -> Vec<(i32, i32, u64, u64)> {
    sim.status_indications(a).iter().filter_map(|s| s.link_state).collect()
}

fn link_waits_sent(sim: &Sim, a: AdapterId) -> usize {
    sim.lower(a).ioctls_received().iter().filter(|&&code| code == IOCTL_VWIRE_WAIT_LINK_CHANGE).count()
}

#[test]
fn a_link_report_is_indicated_when_speed_or_duplex_alone_changes_and_not_when_nothing_does() {
    let (sim, a, b) = pair(310);
    let before = link_indications(&sim, a).len();
    let gigabit = 1_000_000_000;
    let connected = MEDIA_CONNECT_STATE_CONNECTED;

    assert!(sim.inject_link_completion(a, &link_report(&sim, a, true, true, gigabit), STATUS_SUCCESS));
    sim.run_until_idle();
    assert_eq!(link_indications(&sim, a)[before..], [(connected, MEDIA_DUPLEX_STATE_FULL, gigabit, gigabit)]);

    assert!(sim.inject_link_completion(a, &link_report(&sim, a, true, false, gigabit), STATUS_SUCCESS));
    sim.run_until_idle();
    assert_eq!(
        link_indications(&sim, a)[before + 1..],
        [(connected, MEDIA_DUPLEX_STATE_HALF, gigabit, gigabit)]
    );

    assert!(sim.inject_link_completion(a, &link_report(&sim, a, true, false, gigabit), STATUS_SUCCESS));
    sim.run_until_idle();
    assert_eq!(link_indications(&sim, a).len(), before + 2, "a report that changes nothing is not indicated");

    assert_eq!(sim.lower(a).pending_ioctls(), 1, "the watch was re-sent after each report, and held");
    assert_eq!(driver_counters(&sim, a)[LINK_ERRORS], 0);
    assert_traffic_flows(&sim, a, b, 10);
    finish(sim, &[a, b]);
}

#[test]
fn failed_link_watches_are_counted_unless_cancelled_and_rearmed_at_restart_past_the_known_generation() {
    let (sim, a, b) = pair(311);
    // The link moves twice and the adapter follows, so the generation it knows is past 1.
    sim.lower(a).set_link(false);
    sim.run_until_idle();
    sim.lower(a).set_link(true);
    sim.run_until_idle();
    assert!(sim.hub_link_generation(a) >= 2);

    let rearm = |sim: &Sim| {
        assert_eq!(sim.lower(a).pending_ioctls(), 0, "a failed watch is not re-sent at once");
        let sent = link_waits_sent(sim, a);
        sim.pause(a);
        sim.run_until_idle();
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        sim.run_until_idle();
        assert_eq!(link_waits_sent(sim, a), sent + 1, "restart sends one watch, past the known generation");
        assert_eq!(sim.lower(a).pending_ioctls(), 1, "and the device holds it");
    };

    assert!(sim.inject_link_completion(a, &[], STATUS_CANCELLED));
    sim.run_until_idle();
    assert_eq!(driver_counters(&sim, a)[LINK_ERRORS], 0, "a cancelled watch is not an error");
    rearm(&sim);

    assert!(sim.inject_link_completion(a, &[], STATUS_UNSUCCESSFUL));
    sim.run_until_idle();
    assert_eq!(driver_counters(&sim, a)[LINK_ERRORS], 1);
    rearm(&sim);

    assert!(sim.inject_link_completion(a, &[0xA5; LinkState::ENCODED_LEN], STATUS_SUCCESS));
    sim.run_until_idle();
    assert_eq!(driver_counters(&sim, a)[LINK_ERRORS], 2, "a malformed report is an error");
    rearm(&sim);

    let indications = link_indications(&sim, a).len();
    sim.lower(a).set_link(false);
    sim.run_until_idle();
    assert_eq!(link_indications(&sim, a).len(), indications + 1, "the re-armed watch sees the next change");
    sim.lower(a).set_link(true);
    sim.run_until_idle();
    assert_traffic_flows(&sim, a, b, 11);
    finish(sim, &[a, b]);
}
