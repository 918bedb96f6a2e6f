//! System sleep and resume (`src/adapter/power.rs`): with `NDIS_MINIPORT_ATTRIBUTES_NO_HALT_ON_SUSPEND`
//! NDIS pauses the adapter, sets D3, later sets D0 and restarts it. In D3 nothing is below (the
//! model's `Ndis.NoDeviceIoInLowPower`), and nothing accepted is lost across the sleep.

mod common;

use common::*;
use kernel_sim::{AdapterId, NblShape, Sim};
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
fn sleep_and_resume_cycles_under_traffic_lose_nothing_accepted() {
    let (sim, a, b) = running_pair(602);
    let mut expected = Vec::new();
    for cycle in 0..3u8 {
        let before = frames(mac(&sim, b), mac(&sim, a), 20, cycle);
        send_all(&sim, a, &before);
        expected.extend(before);
        assert_eq!(sim.suspend(b), NDIS_STATUS_SUCCESS);
        // Sent while b sleeps: the wire holds them for b's port until it reads again.
        let during = frames(mac(&sim, b), mac(&sim, a), 10, cycle ^ 0x80);
        send_all(&sim, a, &during);
        expected.extend(during);
        assert_eq!(sim.resume(b), NDIS_STATUS_SUCCESS);
        sim.run_until_idle();
        assert_eq!(sim.received_frames(b), expected, "cycle {cycle}");
    }
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
