//! Seeded randomized simulation: many seeds, each a few hundred random operations on a small
//! network — traffic of random shapes and sizes, pause/restart, reset, link flaps, hub faults,
//! filter changes, receive NBLs held by NDIS, cancels, surprise removal and a replacement adapter.
//! Whatever the interleaving, every NBL is completed exactly once, nothing is leaked and no rule is
//! broken (kernel-sim fails the run otherwise). A failing seed replays exactly.

mod common;

use kernel_sim::{AdapterId, AdapterState, Faults, InlineService, NblShape, SendId, Sim, WriteCompletion};
use ndis_types::oid::*;
use ndis_types::*;
use std::time::Duration;

/// splitmix64: the test's own deterministic choices.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

const FILTER: u32 = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;

fn mac(sim: &Sim, adapter: AdapterId) -> [u8; 6] {
    sim.general_attributes(adapter).unwrap().current_mac_address[..6].try_into().unwrap()
}

/// A new adapter; its port below completes inline or later as the dice say (each mode, and the
/// seeded mix of both, in every run).
fn bring_up(sim: &Sim, dice: &mut Dice) -> AdapterId {
    let adapter = sim.add_adapter().expect("initialize");
    let lower = sim.lower(adapter);
    lower.set_inline_service(dice.pick(&[
        InlineService::Seeded,
        InlineService::Always,
        InlineService::OwnReads,
        InlineService::Never,
    ]));
    lower.set_write_completion(dice.pick(&[
        WriteCompletion::Seeded,
        WriteCompletion::Immediate,
        WriteCompletion::Deferred,
    ]));
    assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS);
    assert_eq!(
        sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &FILTER.to_ne_bytes()).status,
        NDIS_STATUS_SUCCESS
    );
    adapter
}

fn frames(dice: &mut Dice, source: [u8; 6], destinations: &[[u8; 6]]) -> Vec<Vec<u8>> {
    let count = 1 + dice.below(24) as usize;
    (0..count)
        .map(|i| {
            let length = match dice.below(4) {
                0 => 60,
                1 => 1514,
                2 => 14 + dice.below(46) as usize, // short: padded by the driver
                _ => 60 + dice.below(1455) as usize,
            };
            let mut frame = vec![(i as u8) ^ 0x5A; length];
            frame[..6].copy_from_slice(&dice.pick(destinations));
            frame[6..12].copy_from_slice(&source);
            frame[12..14].copy_from_slice(&[0x88, 0xB5]);
            frame
        })
        .collect()
}

fn shape(dice: &mut Dice) -> NblShape {
    match dice.below(4) {
        0 => NblShape::default(),
        1 => NblShape { nbs_per_nbl: 1 + dice.below(6) as usize, ..NblShape::default() },
        2 => NblShape {
            nbs_per_nbl: 1,
            mdl_split: vec![14, 1 + dice.below(40) as usize],
            data_offset: 0,
            ..NblShape::default()
        },
        _ => NblShape {
            nbs_per_nbl: 2,
            mdl_split: vec![7, 7],
            data_offset: dice.below(9) as u32,
            ..NblShape::default()
        },
    }
}

fn chaos(seed: u64, steps: usize) {
    let mut dice = Dice(seed);
    let sim = common::loaded(seed);
    let mut adapters: Vec<AdapterId> = (0..3).map(|_| bring_up(&sim, &mut dice)).collect();
    let mut sends: Vec<SendId> = Vec::new();
    let mut replaced = false;
    for step in 0..steps {
        let live: Vec<AdapterId> = adapters.iter().copied().filter(|&a| !sim.surprise_removed(a)).collect();
        let adapter = dice.pick(&live);
        let running = sim.adapter_state(adapter) == AdapterState::Running;
        match dice.below(20) {
            0..=8 => {
                let source = mac(&sim, adapter);
                let mut destinations: Vec<[u8; 6]> = live.iter().map(|&a| mac(&sim, a)).collect();
                destinations.push([0xFF; 6]);
                destinations.push([0x01, 0x00, 0x5E, 0, 0, 1]);
                let batch = frames(&mut dice, source, &destinations);
                let shape = shape(&mut dice);
                if dice.below(8) == 0 {
                    let cancel_id = 1 + step;
                    sends.extend(sim.send_frames_cancelable(adapter, &batch, shape, cancel_id));
                    sim.cancel_send(adapter, cancel_id);
                } else {
                    sends.extend(sim.send_frames(adapter, &batch, shape));
                }
            }
            9..=11 => sim.run_until_idle(),
            12 => sim.advance_time(Duration::from_millis(dice.below(200))),
            13 if running => {
                let status = sim.pause(adapter);
                assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING, "seed {seed}");
                assert_eq!(sim.restart(adapter), NDIS_STATUS_SUCCESS, "seed {seed}");
            }
            14 => {
                let (status, _) = sim.reset(adapter);
                assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING, "seed {seed}");
            }
            15 => sim.lower(adapter).set_link(dice.below(3) != 0),
            16 => {
                let faults = match dice.below(4) {
                    0 => Faults::default(),
                    1 => Faults { drop_ppm: 100_000, ..Faults::default() },
                    2 => Faults { corrupt_ppm: 100_000, ..Faults::default() },
                    _ => Faults { delay_ticks: 1_000_000 * (1 + dice.below(5)), ..Faults::default() },
                };
                sim.set_faults(adapter, faults);
            }
            17 => {
                let filter =
                    dice.pick(&[FILTER, NDIS_PACKET_TYPE_PROMISCUOUS, 0, NDIS_PACKET_TYPE_BROADCAST]);
                assert_eq!(
                    sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status,
                    NDIS_STATUS_SUCCESS
                );
            }
            18 => {
                let hold = dice.below(2) == 0;
                sim.hold_returns(adapter, hold);
                if !hold {
                    sim.return_now(adapter);
                }
            }
            19 if !replaced && live.len() > 2 => {
                // The bus loses a port mid-traffic; PnP brings a new one.
                sim.surprise_remove(adapter);
                adapters.push(bring_up(&sim, &mut dice));
                replaced = true;
            }
            _ => {}
        }
    }
    for &adapter in &adapters {
        if !sim.surprise_removed(adapter) {
            sim.hold_returns(adapter, false);
            sim.lower(adapter).set_link(true);
            sim.set_faults(adapter, Faults::default());
        }
    }
    sim.run_until_idle();
    for id in &sends {
        assert!(sim.send_completion(*id).is_some(), "seed {seed}: an NBL was never completed");
    }
    for &adapter in &adapters {
        if !sim.surprise_removed(adapter) {
            sim.remove_adapter(adapter);
        }
    }
    sim.unload();
    sim.assert_clean();
}

#[test]
fn random_operations_keep_every_rule_across_seeds() {
    for seed in 1..=64 {
        chaos(seed, 400);
    }
}
