//! Surprise removal in every adapter state, shutdown in every state NDIS may call it, reset, and
//! the send statuses each state dictates.

mod common;

use common::*;
use kernel_sim::AdapterState;
use ndis_types::miniport::*;
use ndis_types::oid::*;
use ndis_types::*;

#[test]
fn surprise_removal_while_paused_after_initialize() {
    let (sim, ids) = with_adapters(20, 1);
    sim.surprise_remove(ids[0]);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn surprise_removal_while_running_cancels_the_reads_and_refuses_everything() {
    for seed in 0..6 {
        let (sim, adapter) = running(seed);
        assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS);
        sim.pnp_event(adapter, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
        assert_eq!(sim.lower(adapter).pending_reads(), 0, "sent I/O is cancelled at the notification");

        let sends = sim.send(adapter, 3, 60);
        sim.run_until_idle();
        for id in sends {
            assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_NOT_ACCEPTED));
        }
        let oid = sim.oid_query(adapter, OID_GEN_XMIT_OK, 8);
        assert_eq!(oid.status, NDIS_STATUS_NOT_ACCEPTED);
        // A reset of the vanished device still completes with a documented status, and arms
        // nothing below.
        let (status, _) = sim.reset(adapter);
        assert_eq!(status, NDIS_STATUS_SUCCESS);
        assert_eq!(sim.lower(adapter).pending_reads(), 0);

        // NDIS pauses and halts; nothing may be sent below on the way.
        assert_eq!(sim.pause(adapter), NDIS_STATUS_SUCCESS);
        sim.halt(adapter, NDIS_HALT_DEVICE_SURPRISE_REMOVED);
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn a_device_that_vanishes_before_pnp_says_so_fails_what_goes_below_and_loses_nothing() {
    let (sim, adapter) = running(7);
    sim.unplug(adapter);
    sim.run_until_idle();
    let sends = sim.send(adapter, 3, 60);
    sim.run_until_idle();
    for id in sends {
        let status = sim.send_completion(id);
        assert!(status.is_some_and(|s| s != NDIS_STATUS_SUCCESS), "completed, not sent: {status:?}");
    }
    // A filter change cannot reach the device: the OID fails as one for a removed device does.
    let filter = NDIS_PACKET_TYPE_DIRECTED;
    let oid = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
    assert_eq!(oid.status, NDIS_STATUS_NOT_ACCEPTED);
    // Then PnP tells NDIS, which removes the adapter as usual.
    sim.surprise_remove(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn surprise_removal_after_pause_and_restart_cycles() {
    let (sim, adapter) = running(21);
    sim.pause(adapter);
    sim.restart(adapter);
    sim.pause(adapter);
    sim.surprise_remove(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn surprise_removal_of_one_adapter_leaves_the_others_running() {
    let (sim, ids) = with_adapters(22, 3);
    for &adapter in &ids {
        sim.restart(adapter);
    }
    sim.surprise_remove(ids[1]);
    assert_eq!(sim.adapter_state(ids[0]), AdapterState::Running);
    assert_eq!(sim.lower(ids[0]).pending_reads(), READ_REQUESTS);
    assert_eq!(sim.lower(ids[2]).pending_reads(), READ_REQUESTS);
    sim.remove_adapter(ids[0]);
    sim.remove_adapter(ids[2]);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn restart_after_surprise_removal_is_refused_without_touching_the_device() {
    let (sim, ids) = with_adapters(23, 1);
    sim.pnp_event(ids[0], NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
    assert_eq!(sim.restart(ids[0]), NDIS_STATUS_FAILURE);
    assert_eq!(sim.adapter_state(ids[0]), AdapterState::Paused);
    sim.halt(ids[0], NDIS_HALT_DEVICE_SURPRISE_REMOVED);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn shutdown_power_off_while_paused_and_while_running() {
    for running_first in [false, true] {
        let (sim, ids) = with_adapters(24, 1);
        let adapter = ids[0];
        if running_first {
            sim.restart(adapter);
        }
        sim.shutdown(adapter, NDIS_SHUTDOWN_POWER_OFF);
        assert_eq!(sim.lower(adapter).pending_reads(), 0, "shutdown quiesces the lower edge");
        assert_eq!(sim.adapter_state(adapter), AdapterState::Shutdown);
        // Only a halt may follow; it must still release everything.
        sim.halt(adapter, NDIS_HALT_DEVICE_DISABLED);
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn shutdown_on_the_bug_check_path_takes_no_lock_and_frees_nothing() {
    for running_first in [false, true] {
        let (sim, ids) = with_adapters(25, 1);
        let adapter = ids[0];
        if running_first {
            sim.restart(adapter);
        }
        let reads_before = sim.lower(adapter).pending_reads();
        // kernel-sim runs this at HIGH_LEVEL in bug-check mode: any lock, wait, allocation or free
        // is a violation.
        sim.shutdown(adapter, NDIS_SHUTDOWN_BUG_CHECK);
        sim.assert_no_violations();
        assert_eq!(sim.lower(adapter).pending_reads(), reads_before, "nothing is touched at HIGH_LEVEL");
        // The machine stops here; nothing is released, and the model is not asked to unload.
    }
}

#[test]
fn reset_keeps_the_adapter_running_and_its_reads_armed() {
    for seed in 0..4 {
        let (sim, adapter) = running(30 + seed);
        let (status, addressing_reset) = sim.reset(adapter);
        assert_eq!(status, NDIS_STATUS_SUCCESS);
        assert!(!addressing_reset, "filters survive: no addressing reset");
        assert_eq!(sim.adapter_state(adapter), AdapterState::Running);
        assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS);
        sim.remove_adapter(adapter);
        sim.unload();
        sim.assert_clean();
    }
}

#[test]
fn reset_while_paused_sends_nothing_below() {
    let (sim, ids) = with_adapters(34, 1);
    let (status, _) = sim.reset(ids[0]);
    assert_eq!(status, NDIS_STATUS_SUCCESS);
    assert_eq!(sim.lower(ids[0]).pending_reads(), 0);
    sim.remove_adapter(ids[0]);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn sends_complete_once_with_the_status_of_the_adapter_state() {
    let (sim, ids) = with_adapters(35, 1);
    let adapter = ids[0];
    let paused = sim.send(adapter, 4, 1514);
    sim.restart(adapter);
    let running = sim.send(adapter, 3, 60);
    sim.run_until_idle();
    for id in paused {
        assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_PAUSED));
    }
    // Running with the port's link up: the frames go down the wire.
    for id in running {
        assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS));
    }
    let discards = sim.oid_query(adapter, OID_GEN_XMIT_DISCARDS, 8);
    assert_eq!(discards.status, NDIS_STATUS_SUCCESS);
    assert_eq!(u64::from_ne_bytes(discards.data[..8].try_into().unwrap()), 4, "only the paused sends");
    let sent = sim.oid_query(adapter, OID_GEN_XMIT_OK, 8);
    assert_eq!(u64::from_ne_bytes(sent.data[..8].try_into().unwrap()), 3);
    sim.remove_adapter(adapter);
    sim.unload();
    sim.assert_clean();
}

#[test]
fn shutdown_with_writes_in_flight_completes_them_once() {
    use kernel_sim::{NblShape, WriteCompletion};
    for seed in 0..4 {
        let (sim, adapter) = running(60 + seed);
        sim.lower(adapter).set_write_completion(WriteCompletion::Hold);
        let frames: Vec<Vec<u8>> = (0..20)
            .map(|i| {
                vec![0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, i, 8, 0]
                    .into_iter()
                    .chain(std::iter::repeat_n(i, 100))
                    .collect()
            })
            .collect();
        let ids = sim.send_frames(adapter, &frames, NblShape::default());
        sim.shutdown(adapter, NDIS_SHUTDOWN_POWER_OFF);
        for id in ids {
            assert_eq!(
                sim.send_completion(id),
                Some(NDIS_STATUS_FAILURE),
                "in flight at shutdown: FAILURE, once"
            );
        }
        sim.halt(adapter, NDIS_HALT_DEVICE_DISABLED);
        sim.unload();
        sim.assert_clean();
    }
}
