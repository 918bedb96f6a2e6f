//! A whole network driven from the fuzz bytes, tests/chaos.rs with the dice replaced by the input:
//! three adapters over the hub; traffic of random shapes and sizes, cancels, pause/restart, sleep and wake, reset,
//! link flaps, hub faults, filter changes and OID requests, receive NBLs held by NDIS, surprise
//! removal and a replacement adapter, time passing; and one fallible call of the run (chosen by the
//! input) failing the documented way.
//! Properties: no panic; kernel-sim's verifier reports no violation at any step (a model violation is
//! a crash); at the end every NBL sent was completed exactly once, and after halt and unload nothing is
//! leaked.
#![no_main]

use arbitrary::Unstructured;
use kernel_sim::{
    AdapterId, AdapterState, FaultPlan, Faults, InlineService, NblShape, SendId, Sim, SimConfig,
    WriteCompletion,
};
use libfuzzer_sys::fuzz_target;
use ndis_types::oid::*;
use ndis_types::*;
use std::time::Duration;

struct Dice<'a>(Unstructured<'a>);

impl Dice<'_> {
    fn below(&mut self, n: u64) -> u64 {
        if n <= 1 { 0 } else { self.0.int_in_range(0..=n - 1).unwrap_or(0) }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn done(&self) -> bool {
        self.0.is_empty()
    }
}

const FILTER: u32 = NDIS_PACKET_TYPE_DIRECTED | NDIS_PACKET_TYPE_MULTICAST | NDIS_PACKET_TYPE_BROADCAST;
const OIDS: [u32; 10] = [
    OID_GEN_CURRENT_PACKET_FILTER,
    OID_802_3_MULTICAST_LIST,
    OID_GEN_STATISTICS,
    OID_GEN_LINK_STATE,
    OID_GEN_MEDIA_CONNECT_STATUS,
    OID_GEN_XMIT_OK,
    OID_GEN_RCV_OK,
    OID_GEN_CURRENT_LOOKAHEAD,
    OID_802_3_CURRENT_ADDRESS,
    OID_GEN_INTERRUPT_MODERATION,
];

fn mac(sim: &Sim, adapter: AdapterId) -> [u8; 6] {
    sim.general_attributes(adapter).unwrap().current_mac_address[..6].try_into().unwrap()
}

fn bring_up(sim: &Sim, dice: &mut Dice) -> Option<AdapterId> {
    let adapter = sim.add_adapter().ok()?;
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
    let _ = sim.restart(adapter);
    let _ = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &FILTER.to_ne_bytes());
    Some(adapter)
}

fn frames(dice: &mut Dice, source: [u8; 6], destinations: &[[u8; 6]]) -> Vec<Vec<u8>> {
    let count = 1 + dice.below(24) as usize;
    (0..count)
        .map(|i| {
            let length = match dice.below(4) {
                0 => 60,
                1 => 1514,
                2 => 14 + dice.below(46) as usize,
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
    NblShape {
        nbs_per_nbl: 1 + dice.below(6) as usize,
        mdl_split: (0..dice.below(5)).map(|_| dice.below(64) as usize).collect(),
        data_offset: dice.below(16) as u32,
        empty_mdls: dice.below(2) == 0,
        tail_slack: dice.below(8) as u32,
        data_length_excess: 0,
        ieee8021q_info: 0,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut dice = Dice(Unstructured::new(data));
    let seed = dice.below(1 << 32);
    let faults = match dice.below(4) {
        0 => FaultPlan::FailCall { ordinal: 1 + dice.below(400) },
        _ => FaultPlan::None,
    };
    let sim = Sim::new(SimConfig { seed, faults });
    // No call trace: formatting it costs time an execution can spend on the driver.
    sim.set_call_log_limit(Some(0));
    if sim.load(kmdf_miniport::driver_entry) != STATUS_SUCCESS {
        return;
    }
    let mut adapters: Vec<AdapterId> = (0..3).filter_map(|_| bring_up(&sim, &mut dice)).collect();
    let mut sends: Vec<SendId> = Vec::new();
    let mut replaced = false;
    for step in 0..200 {
        if dice.done() {
            break;
        }
        let live: Vec<AdapterId> = adapters.iter().copied().filter(|&a| !sim.surprise_removed(a)).collect();
        if live.is_empty() {
            break;
        }
        let adapter = dice.pick(&live);
        let running = sim.adapter_state(adapter) == AdapterState::Running;
        match dice.below(22) {
            0..=7 => {
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
            8..=10 => sim.run_until_idle(),
            11 => sim.advance_time(Duration::from_millis(dice.below(200))),
            12 if running => {
                let _ = sim.pause(adapter);
                let _ = sim.restart(adapter);
            }
            13 => {
                let _ = sim.reset(adapter);
            }
            14 => sim.lower(adapter).set_link(dice.below(3) != 0),
            15 => {
                let faults = match dice.below(4) {
                    0 => Faults::default(),
                    1 => Faults { drop_ppm: 100_000, ..Faults::default() },
                    2 => Faults { corrupt_ppm: 100_000, ..Faults::default() },
                    _ => Faults { delay_ticks: 1_000_000 * (1 + dice.below(5)), ..Faults::default() },
                };
                sim.set_faults(adapter, faults);
            }
            16 => {
                let filter =
                    dice.pick(&[FILTER, NDIS_PACKET_TYPE_PROMISCUOUS, 0, NDIS_PACKET_TYPE_BROADCAST]);
                let _ = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes());
            }
            17 => {
                let oid = dice.pick(&OIDS);
                let len = dice.below(64) as usize;
                let input: Vec<u8> = (0..len).map(|_| dice.below(256) as u8).collect();
                let kind = dice.pick(&[NDIS_REQUEST_QUERY_INFORMATION, NDIS_REQUEST_SET_INFORMATION]);
                let _ = sim.oid_request(adapter, kind, oid, &input, len);
            }
            18 => {
                let hold = dice.below(2) == 0;
                sim.hold_returns(adapter, hold);
                if !hold {
                    sim.return_now(adapter);
                }
            }
            // A system sleep and wake; a wake the driver refuses (an injected fault) is removed.
            20 if matches!(sim.adapter_state(adapter), AdapterState::Running | AdapterState::Paused) => {
                let _ = sim.suspend(adapter);
                if sim.resume(adapter) == NDIS_STATUS_NOT_ACCEPTED {
                    sim.remove_adapter(adapter);
                    adapters.retain(|&a| a != adapter);
                }
            }
            19 if !replaced && live.len() > 1 => {
                sim.surprise_remove(adapter);
                adapters.extend(bring_up(&sim, &mut dice));
                replaced = true;
            }
            _ => {}
        }
        sim.assert_no_violations();
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
        assert!(sim.send_completion(*id).is_some(), "an NBL was never completed");
    }
    for &adapter in &adapters {
        if !sim.surprise_removed(adapter) {
            sim.remove_adapter(adapter);
        }
    }
    sim.unload();
    sim.assert_clean();
});
