//! The driver on several processors at once: every pair of entry points that Windows may run
//! concurrently, each on its own virtual processor, with kernel-sim checking the IRQL and spin-lock
//! rules per processor (`crates/kernel-sim/src/mp.rs`).
//!
//! Two builds run these scenarios (a default build compiles this file to nothing):
//!
//! - `RUSTFLAGS="--cfg shuttle" cargo test --release --test schedules`: the schedule explorer.
//!   Each call the driver makes into the model and each atomic it uses is a point where shuttle's
//!   PCT scheduler may switch processors. `SCHEDULES` sets the schedules per scenario (default
//!   500). A failure prints a schedule; replay it with
//!   `SCHEDULE_REPLAY='<scenario>=<schedule>' RUSTFLAGS="--cfg shuttle" cargo test --release --test schedules <scenario>`.
//! - `RUSTFLAGS="--cfg kernel_sim_threads" cargo test --release --test schedules`: the same
//!   scenarios on OS threads; `.ci/tsan` runs them under ThreadSanitizer (`docs/testing.md`).
#![cfg(any(shuttle, kernel_sim_threads))]

use kernel_sim::{AdapterId, AdapterState, NblShape, Sim, SimConfig, WriteCompletion};
use ndis_types::miniport::{NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED, NDIS_HALT_DEVICE_SURPRISE_REMOVED};
use ndis_types::oid::{
    NDIS_PACKET_TYPE_BROADCAST, NDIS_PACKET_TYPE_DIRECTED, OID_802_3_MULTICAST_LIST,
    OID_GEN_CURRENT_PACKET_FILTER, OID_GEN_STATISTICS, OID_GEN_VLAN_ID,
};
use ndis_types::*;

mod common;

use common::explorer::explore;
use common::{READ_REQUESTS, RESERVED_READS};

fn frame(to: [u8; 6], tag: u8, length: usize) -> Vec<u8> {
    let mut frame = to.to_vec();
    frame.extend_from_slice(&[2, 0, 0, 0, 0x5C, tag, 0x88, 0xB5]);
    frame.resize(length, tag);
    frame
}

const BROADCAST: [u8; 6] = [0xFF; 6];

/// The calls a failing scenario prints before its first violation (each tagged with its
/// processor; spin-lock calls left out).
const CALLS_SHOWN: usize = 200;

/// Adapters `count`, Running, with a seed the schedule chose.
fn running_adapters(seed: u64, count: usize) -> (Sim, Vec<AdapterId>) {
    let sim = Sim::new(SimConfig { seed, ..SimConfig::default() });
    sim.set_call_log_limit(None);
    assert_eq!(sim.load(kmdf_miniport::driver_entry), STATUS_SUCCESS);
    let adapters: Vec<AdapterId> =
        (0..count).map(|i| sim.add_adapter().unwrap_or_else(|s| panic!("adapter {i}: {s:#x}"))).collect();
    let filter = (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST).to_le_bytes();
    for &a in &adapters {
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        assert_eq!(sim.oid_set(a, OID_GEN_CURRENT_PACKET_FILTER, &filter).status, NDIS_STATUS_SUCCESS);
    }
    (sim, adapters)
}

/// Drain, then check what every scenario owes: each send completed once, each indication returned,
/// and after removal and unload nothing left and no rule broken (`Sim::drop` reports violations).
fn finish(sim: Sim, adapters: &[AdapterId], sends: &[kernel_sim::SendId]) {
    for &a in adapters {
        sim.hold_returns(a, false);
    }
    sim.run_until_idle();
    for &id in sends {
        assert!(sim.send_completion(id).is_some(), "send {id:?} was never completed");
    }
    for &a in adapters {
        let counts = sim.receive_counts(a);
        assert_eq!(counts.outstanding_nbls, 0, "adapter {a:?}: indicated NBLs not back: {counts:?}");
        // Every read of a running adapter is below again once its frames came back: none was
        // lost between a completion that lent it and the return that freed it.
        if sim.adapter_state(a) == AdapterState::Running && !sim.surprise_removed(a) {
            assert_eq!(sim.lower(a).pending_reads(), READ_REQUESTS, "adapter {a:?}: reads lost");
        }
        if sim.adapter_state(a) != AdapterState::Halted {
            sim.remove_adapter(a);
        }
    }
    sim.unload();
    if !sim.violations().is_empty() {
        let calls: Vec<String> = sim
            .calls()
            .into_iter()
            .filter(|c| !c.contains("SpinLock") && !c.contains("KeGetCurrentIrql"))
            .collect();
        let first = calls.iter().position(|c| c.contains("VIOLATION")).unwrap_or(calls.len());
        let shown = &calls[first.saturating_sub(CALLS_SHOWN)..(first + 1).min(calls.len())];
        eprintln!("the calls up to the first violation:\n{}", shown.join("\n"));
    }
    sim.assert_clean();
}

/// The device below completes every write it holds, and the events that follow run.
fn device_completes_held_writes(sim: &Sim, a: AdapterId) {
    sim.lower(a).release_writes(usize::MAX);
    sim.run_until_idle();
}

/// The device below stops holding writes: what it held and what comes completes later.
fn device_stops_holding_writes(sim: &Sim, a: AdapterId) {
    sim.lower(a).set_write_completion(WriteCompletion::Deferred);
    sim.lower(a).release_writes(usize::MAX);
}

/// `MiniportPause` and `MiniportResetEx` may finish at once or pend; both are right here.
fn pause_either_way(sim: &Sim, a: AdapterId) {
    assert!(matches!(sim.pause(a), NDIS_STATUS_SUCCESS | NDIS_STATUS_PENDING));
}

fn reset_either_way(sim: &Sim, a: AdapterId) {
    assert!(matches!(sim.reset(a).0, NDIS_STATUS_SUCCESS | NDIS_STATUS_PENDING));
}

/// Collects the SendIds each processor's sends return. On OS threads behind a lock whose hand-over
/// ThreadSanitizer sees (`std`'s happens in its uninstrumented code); shuttle's processors share
/// one OS thread.
#[derive(Default)]
struct Sent(SentLock<Vec<kernel_sim::SendId>>);

#[cfg(shuttle)]
type SentLock<T> = std::sync::Mutex<T>;
#[cfg(not(shuttle))]
type SentLock<T> = spin::mutex::TicketMutex<T, spin::relax::Yield>;

impl Sent {
    fn add(&self, ids: Vec<kernel_sim::SendId>) {
        #[cfg(shuttle)]
        self.0.lock().unwrap().extend(ids);
        #[cfg(not(shuttle))]
        self.0.lock().extend(ids);
    }

    fn all(self) -> Vec<kernel_sim::SendId> {
        #[cfg(shuttle)]
        return self.0.into_inner().unwrap();
        #[cfg(not(shuttle))]
        return self.0.into_inner();
    }
}

fn send_broadcasts(sim: &Sim, a: AdapterId, tag: u8, count: usize, sent: &Sent) {
    let frames: Vec<Vec<u8>> = (0..count).map(|i| frame(BROADCAST, tag.wrapping_add(i as u8), 120)).collect();
    let shape = NblShape { nbs_per_nbl: 2, ..NblShape::default() };
    sent.add(sim.send_frames(a, &frames, shape));
}

#[test]
fn send_races_send() {
    explore("send_races_send", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        sim.concurrently(&[&|| send_broadcasts(&sim, a, 1, 4, &sent), &|| {
            send_broadcasts(&sim, a, 2, 4, &sent)
        }]);
        sim.run_until_idle();
        assert_eq!(sim.receive_counts(b).frames, 8, "adapter b received every frame a sent");
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn send_races_write_completion() {
    explore("send_races_write_completion", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        let sent = Sent::default();
        send_broadcasts(&sim, a, 1, 4, &sent);
        sim.lower(a).set_write_completion(WriteCompletion::Deferred);
        sim.concurrently(&[&|| send_broadcasts(&sim, a, 2, 4, &sent), &|| {
            device_completes_held_writes(&sim, a)
        }]);
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn send_races_read_completion() {
    explore("send_races_read_completion", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| send_broadcasts(&sim, a, 1, 3, &sent),
            &|| send_broadcasts(&sim, b, 2, 3, &sent),
            &|| sim.run_until_idle(),
        ]);
        sim.run_until_idle();
        assert_eq!(sim.receive_counts(a).frames, 3);
        assert_eq!(sim.receive_counts(b).frames, 3);
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn read_completion_races_return() {
    explore("read_completion_races_return", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        sim.hold_returns(b, true);
        let sent = Sent::default();
        send_broadcasts(&sim, a, 1, 3, &sent);
        sim.run_until_idle();
        sim.concurrently(&[&|| send_broadcasts(&sim, a, 2, 3, &sent), &|| sim.run_until_idle(), &|| {
            sim.return_now(b);
        }]);
        finish(sim, &adapters, &sent.all());
    });
}

/// Read completions on several processors, each about to lend its read to NDIS while the protocol
/// holds what it was given: only one may take the last read that can be lent, or the device is left
/// with fewer than `RESERVED_READS` and a protocol waiting for more data before it returns deadlocks
/// the receive path. The decision is made under the receive pool's lock. (The race needs the parts
/// on processors of their own: under `--cfg shuttle` or `kernel_sim_threads`; the default build
/// runs them one after another.)
#[test]
fn read_completions_race_for_the_last_lendable_read() {
    explore("read_completions_race_for_the_last_lendable_read", |seed| {
        let (sim, adapters) = running_adapters(seed, 3);
        let (a, b, c) = (adapters[0], adapters[1], adapters[2]);
        sim.hold_returns(b, true);
        let sent = Sent::default();
        // All but one of the reads B may lend, one batch each.
        for i in 0..READ_REQUESTS - RESERVED_READS - 1 {
            send_broadcasts(&sim, a, i as u8, 1, &sent);
            sim.run_until_idle();
        }
        assert_eq!(sim.lower(b).pending_reads(), RESERVED_READS + 1);
        sim.concurrently(&[
            &|| send_broadcasts(&sim, a, 100, 1, &sent),
            &|| send_broadcasts(&sim, c, 101, 1, &sent),
            &|| sim.run_until_idle(),
        ]);
        sim.run_until_idle();
        assert_eq!(
            sim.receive_counts(b).frames as usize,
            READ_REQUESTS - RESERVED_READS + 1,
            "every frame went up"
        );
        assert!(
            sim.lower(b).pending_reads() >= RESERVED_READS,
            "only {} reads left below: more than {} lent to NDIS",
            sim.lower(b).pending_reads(),
            READ_REQUESTS - RESERVED_READS
        );
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn oid_requests_race_the_data_path() {
    explore("oid_requests_race_the_data_path", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| send_broadcasts(&sim, a, 1, 4, &sent),
            &|| {
                let filter = (NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_BROADCAST).to_le_bytes();
                assert_eq!(
                    sim.oid_set(b, OID_GEN_CURRENT_PACKET_FILTER, &filter).status,
                    NDIS_STATUS_SUCCESS
                );
                let list = [0x01, 0x00, 0x5E, 0, 0, 1];
                assert_eq!(sim.oid_set(b, OID_802_3_MULTICAST_LIST, &list).status, NDIS_STATUS_SUCCESS);
            },
            &|| {
                let stats = sim.oid_query(a, OID_GEN_STATISTICS, 256);
                assert_eq!(stats.status, NDIS_STATUS_SUCCESS);
                sim.run_until_idle();
            },
        ]);
        finish(sim, &adapters, &sent.all());
    });
}

/// `OID_GEN_VLAN_ID` sets on both ends while frames cross: a pack and a receive each see one VLAN
/// ID, never a torn one. The receiver on VLAN 10 indicates only frames of VLAN 10 (whatever the
/// sender's setting was at its pack), each with VLAN 10 in its NBL's info, and once both are back
/// on 10 traffic flows.
#[test]
fn vlan_id_sets_race_the_data_path() {
    explore("vlan_id_sets_race_the_data_path", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let set_vlan = |x: AdapterId, id: u32| {
            assert_eq!(sim.oid_set(x, OID_GEN_VLAN_ID, &id.to_le_bytes()).status, NDIS_STATUS_SUCCESS);
        };
        set_vlan(a, 10);
        set_vlan(b, 10);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| send_broadcasts(&sim, a, 1, 4, &sent),
            &|| {
                set_vlan(a, 30);
                set_vlan(a, 10);
            },
            &|| {
                set_vlan(b, 20);
                set_vlan(b, 10);
                sim.run_until_idle();
            },
        ]);
        sim.run_until_idle();
        let received = sim.take_received_with_8021q(b);
        assert!(received.len() <= 4, "{} frames from 4 sent", received.len());
        assert!(received.iter().all(|(_, info)| info >> 4 == 10), "{received:?}");
        send_broadcasts(&sim, a, 9, 2, &sent);
        sim.run_until_idle();
        let after: Vec<usize> = sim.take_received_with_8021q(b).into_iter().map(|(_, info)| info).collect();
        assert_eq!(after, [10 << 4, 10 << 4], "both back on VLAN 10");
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn cancel_races_pack() {
    explore("cancel_races_pack", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        let sent = Sent::default();
        let frames: Vec<Vec<u8>> = (0..12).map(|i| frame(BROADCAST, i, 600)).collect();
        sim.concurrently(&[
            &|| sent.add(sim.send_frames_cancelable(a, &frames, NblShape::default(), 7)),
            &|| sim.cancel_send(a, 7),
            &|| device_completes_held_writes(&sim, a),
        ]);
        device_stops_holding_writes(&sim, a);
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn pause_races_sends_and_receives() {
    explore("pause_races_sends_and_receives", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        send_broadcasts(&sim, b, 9, 2, &sent);
        sim.concurrently(&[
            &|| send_broadcasts(&sim, a, 1, 4, &sent),
            &|| pause_either_way(&sim, a),
            &|| sim.run_until_idle(),
        ]);
        sim.run_until_idle();
        assert_eq!(sim.adapter_state(a), AdapterState::Paused);
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        send_broadcasts(&sim, a, 3, 2, &sent);
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn reset_races_the_data_path() {
    explore("reset_races_the_data_path", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| send_broadcasts(&sim, a, 1, 4, &sent),
            &|| reset_either_way(&sim, a),
            &|| {
                send_broadcasts(&sim, b, 2, 2, &sent);
                sim.run_until_idle();
            },
        ]);
        send_broadcasts(&sim, a, 3, 2, &sent);
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn surprise_removal_races_everything() {
    explore("surprise_removal_races_everything", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| sim.pnp_event(a, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED),
            &|| {
                send_broadcasts(&sim, a, 1, 3, &sent);
                sim.oid_query(a, OID_GEN_STATISTICS, 256);
            },
            &|| {
                send_broadcasts(&sim, b, 2, 3, &sent);
                sim.run_until_idle();
            },
        ]);
        finish(sim, &adapters, &sent.all());
    });
}

#[test]
fn halt_after_surprise_removal_with_io_in_flight() {
    explore("halt_after_surprise_removal_with_io_in_flight", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        sim.hold_returns(a, true);
        let sent = Sent::default();
        send_broadcasts(&sim, a, 1, 4, &sent);
        send_broadcasts(&sim, b, 2, 2, &sent);
        sim.concurrently(&[
            &|| {
                sim.pnp_event(a, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
                pause_either_way(&sim, a);
                sim.halt(a, NDIS_HALT_DEVICE_SURPRISE_REMOVED);
            },
            &|| device_completes_held_writes(&sim, a),
            &|| {
                sim.return_now(a);
            },
        ]);
        finish(sim, &adapters, &sent.all());
    });
}

/// A small deterministic generator for the random mix (the seed comes from the schedule).
struct Picks(u64);

impl Picks {
    fn below(&mut self, n: u64) -> u64 {
        // xorshift64*: enough to spread a mix of operations.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// The data path on two processors and the adapter's life on a third, each doing a seeded mix:
/// sends (some cancelable, then cancelled), events, returns, OID queries and sets on one side;
/// pause and restart, and resets, on the other (NDIS serializes those for one adapter).
#[test]
fn random_operations_on_three_processors() {
    explore("random_operations_on_three_processors", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        let sent = Sent::default();
        let data_path = |cpu: u64| {
            let mut picks = Picks(seed.wrapping_mul(31).wrapping_add(cpu) | 1);
            for step in 0..6u8 {
                let adapter = if picks.below(2) == 0 { a } else { b };
                match picks.below(6) {
                    0 | 1 => send_broadcasts(&sim, adapter, step, 1 + picks.below(3) as usize, &sent),
                    2 => {
                        let frames: Vec<Vec<u8>> = (0..3).map(|i| frame(BROADCAST, i, 300)).collect();
                        let id = 100 + cpu as usize;
                        sent.add(sim.send_frames_cancelable(adapter, &frames, NblShape::default(), id));
                        sim.cancel_send(adapter, id);
                    }
                    3 => sim.run_until_idle(),
                    4 => {
                        sim.return_now(adapter);
                    }
                    _ => {
                        let stats = sim.oid_query(adapter, OID_GEN_STATISTICS, 256);
                        assert_eq!(stats.status, NDIS_STATUS_SUCCESS);
                    }
                }
            }
        };
        let life = || {
            let mut picks = Picks(seed ^ 0x9E37_79B9_7F4A_7C15);
            for _ in 0..3 {
                match picks.below(3) {
                    0 => {
                        pause_either_way(&sim, a);
                        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
                    }
                    1 => reset_either_way(&sim, a),
                    _ => {
                        let filter = NDIS_PACKET_TYPE_BROADCAST.to_le_bytes();
                        assert_eq!(
                            sim.oid_set(a, OID_GEN_CURRENT_PACKET_FILTER, &filter).status,
                            NDIS_STATUS_SUCCESS
                        );
                    }
                }
            }
        };
        sim.concurrently(&[&|| data_path(1), &|| data_path(2), &life]);
        finish(sim, &adapters, &sent.all());
    });
}

/// Sends that arrive while a reset is pending, with every write request busy below: each is
/// refused (RESET_IN_PROGRESS) or sent, never left queued when the reset completes. The random mix
/// found the driver queuing them (`Ndis.NothingHeldAcrossReset`); this keeps the shape that did.
#[test]
fn sends_during_a_pending_reset_are_not_held() {
    explore("sends_during_a_pending_reset_are_not_held", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        let sent = Sent::default();
        // More than the write requests can carry: every one is held below, the rest queued.
        for tag in 0..12 {
            send_broadcasts(&sim, a, tag, 4, &sent);
        }
        sim.concurrently(&[
            &|| reset_either_way(&sim, a),
            &|| {
                for tag in 20..24 {
                    send_broadcasts(&sim, a, tag, 1, &sent);
                }
            },
            &|| device_completes_held_writes(&sim, a),
        ]);
        device_stops_holding_writes(&sim, a);
        finish(sim, &adapters, &sent.all());
    });
}

/// A pause and a reset that waits for held writes, in either order, while the writes come back.
#[test]
fn pause_races_a_pending_reset() {
    explore("pause_races_a_pending_reset", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        let sent = Sent::default();
        send_broadcasts(&sim, a, 1, 6, &sent);
        sim.concurrently(&[&|| reset_either_way(&sim, a), &|| pause_either_way(&sim, a), &|| {
            device_completes_held_writes(&sim, a)
        }]);
        device_stops_holding_writes(&sim, a);
        sim.run_until_idle();
        assert_eq!(sim.adapter_state(a), AdapterState::Paused);
        assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS);
        send_broadcasts(&sim, a, 2, 2, &sent);
        finish(sim, &adapters, &sent.all());
    });
}

/// A reset of a paused adapter while it restarts, with the peer sending to it.
#[test]
fn reset_races_restart() {
    explore("reset_races_restart", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let (a, b) = (adapters[0], adapters[1]);
        pause_either_way(&sim, a);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| assert_eq!(sim.restart(a), NDIS_STATUS_SUCCESS),
            &|| reset_either_way(&sim, a),
            &|| {
                send_broadcasts(&sim, b, 1, 3, &sent);
                sim.run_until_idle();
            },
        ]);
        send_broadcasts(&sim, a, 2, 2, &sent);
        finish(sim, &adapters, &sent.all());
    });
}

/// The device vanishes while a reset waits for held writes.
#[test]
fn surprise_removal_races_a_pending_reset() {
    explore("surprise_removal_races_a_pending_reset", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        let sent = Sent::default();
        send_broadcasts(&sim, a, 1, 6, &sent);
        sim.concurrently(&[
            &|| {
                let (status, _) = sim.reset(a);
                assert!(matches!(
                    status,
                    NDIS_STATUS_SUCCESS | NDIS_STATUS_PENDING | NDIS_STATUS_NOT_ACCEPTED
                ));
            },
            &|| sim.pnp_event(a, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED),
            &|| device_completes_held_writes(&sim, a),
        ]);
        device_stops_holding_writes(&sim, a);
        finish(sim, &adapters, &sent.all());
    });
}

/// More sends than one drain may write, so the deferred-work item finishes them, racing a pause.
#[test]
fn deferred_drain_races_pause() {
    explore("deferred_drain_races_pause", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Immediate);
        let sent = Sent::default();
        sim.concurrently(&[
            &|| {
                for tag in 0..4 {
                    send_broadcasts(&sim, a, tag, 24, &sent);
                }
            },
            &|| pause_either_way(&sim, a),
            &|| sim.run_until_idle(),
        ]);
        sim.run_until_idle();
        assert_eq!(sim.adapter_state(a), AdapterState::Paused);
        finish(sim, &adapters, &sent.all());
    });
}

/// A cancel of queued sends while a pause flushes the same NBLs and the writes come back: each NBL
/// is completed once, by whichever gets it.
#[test]
fn cancel_races_the_pause_flush() {
    explore("cancel_races_the_pause_flush", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        sim.lower(a).set_write_completion(WriteCompletion::Hold);
        let sent = Sent::default();
        // More than the write requests carry: the rest stays queued for the cancel or the flush.
        let frames: Vec<Vec<u8>> = (0..40).map(|i| frame(BROADCAST, i, 1000)).collect();
        sent.add(sim.send_frames_cancelable(a, &frames, NblShape::default(), 9));
        sim.concurrently(&[&|| sim.cancel_send(a, 9), &|| pause_either_way(&sim, a), &|| {
            device_completes_held_writes(&sim, a)
        }]);
        device_stops_holding_writes(&sim, a);
        sim.run_until_idle();
        assert_eq!(sim.adapter_state(a), AdapterState::Paused);
        finish(sim, &adapters, &sent.all());
    });
}

/// On three processors: the link below `a` flaps (its watch completes and is re-armed), `other`
/// runs, and the model's own events run.
fn link_flaps_while(sim: &Sim, a: AdapterId, other: &(dyn Fn() + Sync)) {
    sim.concurrently(&[
        &|| {
            sim.lower(a).set_link(false);
            sim.lower(a).set_link(true);
        },
        other,
        &|| sim.run_until_idle(),
    ]);
}

/// The link flaps below (the link-watch IOCTL completes and is re-armed) while NDIS puts the
/// adapter to sleep and wakes it on another processor: when D3 completes nothing may be below, nor
/// be sent while in it (`Ndis.NoDeviceIoInLowPower`); a re-send that raced the D3 is failed back
/// by the purged target, and the wake re-arms the watch.
#[test]
fn link_watch_races_sleep_and_wake() {
    explore("link_watch_races_sleep_and_wake", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        let sent = Sent::default();
        link_flaps_while(&sim, a, &|| {
            assert_eq!(sim.suspend(a), NDIS_STATUS_SUCCESS);
            assert_eq!(sim.resume(a), NDIS_STATUS_SUCCESS);
        });
        assert_eq!(sim.adapter_state(a), AdapterState::Running);
        finish(sim, &adapters, &sent.all());
    });
}

/// The link flaps below (the link-watch IOCTL completes and is re-armed) while the adapter is
/// paused and halted on another processor.
#[test]
fn link_watch_races_pause_and_halt() {
    explore("link_watch_races_pause_and_halt", |seed| {
        let (sim, adapters) = running_adapters(seed, 2);
        let a = adapters[0];
        let sent = Sent::default();
        link_flaps_while(&sim, a, &|| sim.remove_adapter(a));
        assert_eq!(sim.adapter_state(a), AdapterState::Halted);
        finish(sim, &adapters, &sent.all());
    });
}
