//! System sleep and resume (`src/adapter/power.rs`): with `NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND`
//! NDIS pauses the adapter, sets D3, later sets D0 and restarts it. In D3 nothing is below (the
//! model's `Ndis.NoDeviceIoInLowPower`), and the vwire port below is powered down as the bus's PDO
//! powers it down (`EvtDeviceD0Exit`): what a peer sends meanwhile is dropped there and counted,
//! what was queued for it is lost, and traffic flows again after the wake.

mod common;

use common::*;
use kernel_sim::{AdapterId, AdapterState, AdminCounters, DevicePower, NblShape, Sim};
use ndis_types::miniport::{
    MEDIA_CONNECT_STATE_CONNECTED, MEDIA_CONNECT_STATE_DISCONNECTED, NDIS_HALT_DEVICE_DISABLED,
};
use ndis_types::oid::*;
use ndis_types::*;

fn frames(to: [u8; 6], from: [u8; 6], count: u8, tag: u8) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let mut frame = vec![tag ^ i; 60 + usize::from(i) * 13];
            frame[..6].copy_from_slice(&to);
            frame[6..12].copy_from_slice(&from);
            frame[12..14].copy_from_slice(&[0x88, 0xB5]);
            frame
        })
        .collect()
}

fn running_pair(seed: u64) -> (Sim, AdapterId, AdapterId) {
    let (sim, ids) = with_adapters(seed, 2);
    for &adapter in &ids {
        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
        let filter = NDIS_PACKET_TYPE_DIRECTED;
        assert_eq!(
            sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status,
            NDIS_STATUS_SUCCESS
        );
    }
    (sim, ids[0], ids[1])
}

fn send_all(sim: &Sim, from: AdapterId, frames: &[Vec<u8>]) {
    let ids = sim.send_frames(from, frames, NblShape::default());
    sim.run_until_idle();
    assert!(ids.iter().all(|&id| sim.send_completion(id) == Some(NDIS_STATUS_SUCCESS)));
}

#[test]
fn the_adapter_sleeps_instead_of_halting() {
    let (sim, ids) = with_adapters(600, 1);
    let flags = sim.registration_attributes(ids[0]).unwrap().attribute_flags;
    assert_ne!(flags & ndis_types::miniport::NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND, 0);
    sim.remove_adapter(ids[0]);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn in_d3_nothing_is_below_and_d0_rearms_the_link_watch_and_the_reads() {
    let (sim, a, b) = running_pair(601);
    assert_eq!(sim.lower(a).pending_ioctls(), 1, "the link watch is below while running");
    assert_eq!(sim.suspend(a), NDIS_STATUS_SUCCESS);
    assert_eq!((sim.lower(a).pending_reads(), sim.lower(a).pending_ioctls()), (0, 0), "nothing below in D3");
    // The link goes down while the adapter sleeps: it learns so when it wakes.
    sim.lower(a).set_link(false);
    sim.run_until_idle();
    let before = sim.status_indications(a).len();
    assert_eq!(sim.resume(a), NDIS_STATUS_SUCCESS);
    sim.run_until_idle();
    assert_eq!(sim.lower(a).pending_reads(), READ_REQUESTS);
    assert_eq!(sim.lower(a).pending_ioctls(), 1, "the link watch is below again");
    let states: Vec<i32> = sim.status_indications(a)[before..]
        .iter()
        .filter_map(|s| s.link_state)
        .map(|(connect, ..)| connect)
        .collect();
    assert_eq!(states, [MEDIA_CONNECT_STATE_DISCONNECTED]);
    sim.lower(a).set_link(true);
    sim.run_until_idle();
    assert_eq!(
        sim.status_indications(a).last().and_then(|s| s.link_state).map(|s| s.0),
        Some(MEDIA_CONNECT_STATE_CONNECTED)
    );
    send_all(&sim, b, &frames(mac(&sim, a), mac(&sim, b), 5, 7));
    assert_eq!(sim.received_frames(a).len(), 5);
    finish(sim, &[a, b]);
}

#[test]
fn sleep_and_resume_cycles_under_traffic_deliver_everything_sent_while_awake() {
    let (sim, a, b) = running_pair(602);
    let mut expected = Vec::new();
    for cycle in 0..3u8 {
        let before = frames(mac(&sim, b), mac(&sim, a), 20, cycle);
        send_all(&sim, a, &before);
        expected.extend(before);
        assert_eq!(sim.suspend(b), NDIS_STATUS_SUCCESS);
        // Sent while b sleeps: a's sends succeed (the wire took them), b's powered-down port
        // drops them.
        send_all(&sim, a, &frames(mac(&sim, b), mac(&sim, a), 10, cycle ^ 0x80));
        assert_eq!(sim.resume(b), NDIS_STATUS_SUCCESS);
        let after = frames(mac(&sim, b), mac(&sim, a), 15, cycle ^ 0x40);
        send_all(&sim, a, &after);
        expected.extend(after);
        sim.run_until_idle();
        assert_eq!(sim.received_frames(b), expected, "cycle {cycle}");
    }
    let dropped = sim.lower(b).admin_counters().unwrap().rx_dropped_powered_down;
    assert_eq!(dropped, 30, "ten per sleep");
    finish(sim, &[a, b]);
}

/// A peer keeps sending while an adapter sleeps: nothing reaches the sleeping adapter (its port is
/// powered down, as the bus's PDO is in D3), the frames that were waiting for it when it went to
/// sleep are lost, the hub's counters say so, the link it sees is the one it left, and after the
/// wake traffic flows both ways with every byte as sent.
#[test]
fn a_peer_sending_to_a_sleeping_adapter_reaches_nothing_and_traffic_flows_after_the_wake() {
    let (sim, a, b) = running_pair(604);
    let (mac_a, mac_b) = (mac(&sim, a), mac(&sim, b));
    send_all(&sim, a, &frames(mac_b, mac_a, 5, 1));
    assert_eq!(sim.received_frames(b).len(), 5);
    let generation = sim.hub_link_generation(b);

    // Paused (its reads canceled), b takes nothing from its port: three frames wait there, and
    // the device's power-down loses them.
    assert!(matches!(sim.pause(b), NDIS_STATUS_SUCCESS | NDIS_STATUS_PENDING));
    sim.run_until_idle();
    assert_eq!(sim.adapter_state(b), AdapterState::Paused);
    send_all(&sim, a, &frames(mac_b, mac_a, 3, 2));
    assert_eq!(sim.hub_pending_frames(b), 3);
    assert_eq!(sim.suspend(b), NDIS_STATUS_SUCCESS);
    assert_eq!(sim.lower(b).power(), Some(DevicePower::D3));
    assert_eq!(sim.hub_pending_frames(b), 0, "a powered-off NIC's FIFO is lost");

    // The peer goes on sending, in several batches, and its sends all succeed.
    for round in 0..4u8 {
        send_all(&sim, a, &frames(mac_b, mac_a, 6, 0x10 + round));
        sim.advance_time(std::time::Duration::from_millis(5));
    }
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b).len(), 5, "nothing reached the sleeping adapter");
    assert_eq!(sim.hub_pending_frames(b), 0, "nothing waits for it either");
    assert_eq!(
        sim.lower(b).admin_counters(),
        Some(AdminCounters {
            rx_dropped_powered_down: 24,
            rx_discarded_at_power_down: 3,
            ..AdminCounters::default()
        }),
        "every frame counted; no read or write of b's reached its powered-down port"
    );
    let counters = sim.hub_counters(b).unwrap();
    assert_eq!((counters.rx_frames, counters.rx_dropped_queue_full), (5, 0));
    assert_eq!(sim.hub_link_generation(b), generation, "the link partner is still there");

    assert_eq!(sim.resume(b), NDIS_STATUS_SUCCESS);
    sim.run_until_idle();
    assert_eq!(sim.lower(b).power(), Some(DevicePower::D0));
    let to_b = frames(mac_b, mac_a, 40, 0x55);
    send_all(&sim, a, &to_b);
    let to_a = frames(mac_a, mac_b, 40, 0xAA);
    send_all(&sim, b, &to_a);
    sim.run_until_idle();
    assert_eq!(sim.received_frames(b)[5..], to_b[..], "every byte after the wake");
    assert_eq!(sim.received_frames(a), to_a, "and b sends again");
    let admin = sim.lower(b).admin_counters().unwrap();
    assert_eq!((admin.rx_dropped_powered_down, admin.io_refused_powered_down), (24, 0));
    finish(sim, &[a, b]);
}

#[test]
fn an_adapter_removed_while_asleep_halts_clean() {
    let (sim, a, b) = running_pair(603);
    assert_eq!(sim.suspend(a), NDIS_STATUS_SUCCESS);
    sim.halt(a, NDIS_HALT_DEVICE_DISABLED);
    sim.remove_adapter(b);
    sim.unload();
    sim.assert_clean();
}
