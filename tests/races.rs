//! The orderings around reset, pause and shutdown that the single-threaded model can play: nested
//! and deferred cancels (seeded), held writes, held returns. The multi-processor interleavings
//! behind the same code (a flush while the drain owner packs an NBL, a pause turning between a read
//! completion's phase check and its indication or re-send) are covered by unit tests of the send
//! engine and by review; the model cannot run two handlers at once.

mod common;

use common::*;
use kernel_sim::{AdapterState, NblShape, WriteCompletion};
use ndis_types::miniport::*;
use ndis_types::*;

fn broadcast(tag: u8, length: usize) -> Vec<u8> {
    let mut frame = vec![0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 0, tag, 8, 0];
    frame.resize(length, tag);
    frame
}

/// Sends in flight when a reset starts are completed (RESET_IN_PROGRESS) before the reset is,
/// whichever way the cancel of their writes comes back; the reads are armed again afterwards and
/// the adapter keeps sending.
#[test]
fn reset_with_writes_in_flight_completes_their_sends_first() {
    for seed in 0..8 {
        let (sim, adapter) = running(300 + seed);
        sim.lower(adapter).set_write_completion(WriteCompletion::Hold);
        let frames: Vec<Vec<u8>> = (0..24).map(|i| broadcast(i, 200)).collect();
        let shape = NblShape { nbs_per_nbl: 3, ..NblShape::default() };
        let ids = sim.send_frames(adapter, &frames, shape);
        assert!(sim.lower(adapter).pending_writes() > 0, "seed {seed}: writes held below");

        let (status, addressing) = sim.reset(adapter);
        assert_eq!(status, NDIS_STATUS_SUCCESS, "seed {seed}");
        assert!(!addressing);
        for id in &ids {
            assert_eq!(
                sim.send_completion(*id),
                Some(NDIS_STATUS_RESET_IN_PROGRESS),
                "seed {seed}: every send held across the reset"
            );
        }
        assert_eq!(sim.outstanding_sends(adapter), 0, "seed {seed}");
        assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS, "seed {seed}: reads re-armed");

        sim.lower(adapter).set_write_completion(WriteCompletion::Seeded);
        let after = sim.send(adapter, 4, 60);
        sim.run_until_idle();
        for id in after {
            assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS), "seed {seed}");
        }
        sim.remove_adapter(adapter);
        sim.unload();
        sim.assert_clean();
    }
}

/// A reset while Paused arms no read (nothing may be indicated until the restart), and the pause
/// that follows a reset while Running still finds every read cancelled and every indicated NBL back.
#[test]
fn reset_around_pause_leaves_no_read_behind() {
    for seed in 0..8 {
        let (sim, adapter) = running(320 + seed);
        sim.hold_returns(adapter, true);
        let mac = sim.port_mac(adapter);
        let mut directed = broadcast(1, 120);
        directed[..6].copy_from_slice(&mac);
        sim.inject_frames(adapter, &[&directed, &broadcast(2, 64), &broadcast(3, 1514)]);
        sim.run_until_idle();
        assert_eq!(sim.reset(adapter).0, NDIS_STATUS_SUCCESS, "seed {seed}");
        assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS, "seed {seed}");

        // The pause waits for the held NBLs (the model returns them once nothing else is left).
        let status = sim.pause(adapter);
        assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING, "seed {seed}");
        assert_eq!(sim.adapter_state(adapter), AdapterState::Paused, "seed {seed}");
        assert_eq!(sim.lower(adapter).pending_reads(), 0, "seed {seed}: reads cancelled by pause");
        assert_eq!(sim.receive_counts(adapter).outstanding_nbls, 0, "seed {seed}");

        assert_eq!(sim.reset(adapter).0, NDIS_STATUS_SUCCESS, "seed {seed}");
        assert_eq!(sim.lower(adapter).pending_reads(), 0, "seed {seed}: no read armed while Paused");
        sim.inject_frames(adapter, &[&broadcast(4, 64)]);
        sim.run_until_idle();

        assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS, "seed {seed}");
        assert_eq!(sim.lower(adapter).pending_reads(), READ_REQUESTS, "seed {seed}");
        sim.hold_returns(adapter, false);
        sim.remove_adapter(adapter);
        sim.unload();
        sim.assert_clean();
    }
}

/// Writes cancelled by a power-off shutdown complete their sends with FAILURE, the status new
/// sends get after a shutdown, not SEND_ABORTED (which is for MiniportCancelSend).
#[test]
fn shutdown_cancelled_writes_complete_with_failure_in_every_seed() {
    for seed in 0..8 {
        let (sim, adapter) = running(340 + seed);
        sim.lower(adapter).set_write_completion(WriteCompletion::Hold);
        let frames: Vec<Vec<u8>> = (0..12).map(|i| broadcast(i, 300)).collect();
        let ids = sim.send_frames(adapter, &frames, NblShape { nbs_per_nbl: 2, ..NblShape::default() });
        sim.shutdown(adapter, NDIS_SHUTDOWN_POWER_OFF);
        for id in ids {
            assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_FAILURE), "seed {seed}");
        }
        sim.halt(adapter, NDIS_HALT_DEVICE_DISABLED);
        sim.unload();
        sim.assert_clean();
    }
}
