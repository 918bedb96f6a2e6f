//! Seeded randomized simulation: many seeds, each a few hundred random operations on a small
//! network — traffic of every shape and size, pause/restart, reset, link flaps, OID storms,
//! allocation faults armed at any fallible site, hub faults and garbage from the bus, inline and
//! deferred completions from the lower edge, receive NBLs held by NDIS, cancels, surprise removal in
//! every adapter state (and halt after it with I/O in flight), orderly removal and new adapters.
//! Whatever the interleaving, every NBL is completed exactly once, nothing is leaked and no rule is
//! broken (kernel-sim fails the run otherwise).
//!
//! A run is a `Vec<Op>` generated from its seed alone, executed one op by one; an op whose target
//! is gone or in the wrong state does nothing, so any sub-list of a run is a run too. A failing seed
//! is shrunk (delta debugging over the op list, each attempt in a child process, since a violation
//! inside a driver callback aborts the process) to a list from which no single op can be removed,
//! and printed as one command: `CHAOS_REPLAY='seed=…;ops=…' cargo test … --test chaos -- --exact
//! replay`.
//!
//! Scale: `CHAOS_SEEDS` seeds (64 by default; `.ci/run` plays 10 000 in the release profile), run
//! by one child process per available core when there are more than a few hundred (kernel-sim runs
//! one driver per process).
//!
//! Several processors: an `Op::Concurrently` runs its parts (sends, returns of held NBLs, and one of
//! OID requests, pause, reset or the surprise-removal notification: entry points NDIS may call at
//! once) each on its own virtual processor in a `--cfg shuttle`
//! or `--cfg kernel_sim_threads` build, and one after another otherwise. Under shuttle,
//! `random_operations_on_several_processors` plays whole chaos runs under random schedules
//! (`SCHEDULES` of them, default 500), the run's seed drawn from the schedule,
//! so a failing schedule replays with `SCHEDULE_REPLAY` as the schedule explorer's do.

mod common;

use common::mac;
use kernel_sim::{
    AdapterId, AdapterState, FaultPlan, Faults, InlineService, NblShape, SendId, Sim, WriteCompletion,
};
use ndis_types::miniport::{NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED, NDIS_HALT_DEVICE_SURPRISE_REMOVED};
use ndis_types::oid::*;
use ndis_types::*;
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
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
const STEPS: usize = 400;
/// Adapters a run starts with (the first ops of every run).
const INITIAL_ADAPTERS: usize = 3;
/// Adapters a run may ever add (the initial ones included), and have present at once.
const MAX_ADAPTERS: usize = 24;
const MAX_PRESENT: usize = 4;

/// Every fallible API the model counts (RULES.md, "Fault injection"); those the driver reaches only
/// in DriverEntry are there too, harmlessly: the plan then never fires.
const FALLIBLE_APIS: [&str; 12] = [
    "WdfDriverCreate",
    "NdisMRegisterMiniportDriver",
    "WdfDeviceMiniportCreate",
    "WdfRequestCreate",
    "WdfMemoryCreate",
    "NdisAllocateMemoryWithTagPriority",
    "NdisAllocateNetBufferListPool",
    "NdisAllocateNetBufferAndNetBufferList",
    "NdisAllocateMdl",
    "NdisAllocateIoWorkItem",
    "NdisMSetMiniportAttributes",
    "WdfIoTargetStart",
];

/// One operation. Adapters are named by their index in the list of adapters still present (modulo
/// its length), so an op means something in any sub-list of its run.
#[derive(Clone, Debug)]
enum Op {
    /// PnP start of a new device, its port below completing as the two modes say; then restart and
    /// the packet filter.
    AddAdapter {
        inline: InlineService,
        writes: WriteCompletion,
    },
    /// One `MiniportSendNetBufferLists` call: frames of `(length, destination index)`, laid out as
    /// `shape`; with `cancel`, every NBL carries a cancel id and `MiniportCancelSend` follows.
    Send {
        adapter: u8,
        frames: Vec<(u16, u8)>,
        shape: NblShape,
        cancel: bool,
    },
    RunUntilIdle,
    AdvanceTime {
        ms: u16,
    },
    /// Pause a Running adapter; `restart` restarts it at once.
    Pause {
        adapter: u8,
        restart: bool,
    },
    /// Restart a Paused adapter.
    Restart {
        adapter: u8,
    },
    /// A system sleep and wake: pause if Running, D3, D0, restart (`Sim::suspend`/`resume`).
    Sleep {
        adapter: u8,
    },
    Reset {
        adapter: u8,
    },
    Link {
        adapter: u8,
        up: bool,
    },
    /// The port flips its link at each of the adapter's next `n` link indications.
    FlapOnIndication {
        adapter: u8,
        n: u8,
    },
    HubFaults {
        adapter: u8,
        faults: Faults,
    },
    Filter {
        adapter: u8,
        filter: u32,
    },
    /// `count` OID requests: queries of supported and unknown OIDs with buffers of every length,
    /// sets of every settable OID with good, short, ragged and invalid data.
    OidStorm {
        adapter: u8,
        seed: u64,
        count: u8,
    },
    HoldReturns {
        adapter: u8,
        hold: bool,
    },
    /// The device below completes its next `n` reads with an error.
    FailReads {
        adapter: u8,
        n: u8,
        status: NtStatus,
    },
    /// A read completes with bytes that are no valid batch.
    Garbage {
        adapter: u8,
        bytes: Vec<u8>,
    },
    InlineMode {
        adapter: u8,
        mode: InlineService,
    },
    WriteMode {
        adapter: u8,
        mode: WriteCompletion,
    },
    /// Arm a fault plan: the fallible call `skip + 1` from now fails, of one API or of any.
    AllocFault {
        api: Option<&'static str>,
        skip: u8,
    },
    /// `MiniportDevicePnPEventNotify(SURPRISE_REMOVED)` alone: NDIS goes on sending and querying
    /// until the halt.
    SurpriseNotify {
        adapter: u8,
    },
    /// Surprise removal completed: pause if Running, halt with SURPRISE_REMOVED, with whatever I/O
    /// is in flight (the notification first if it was not sent yet).
    SurpriseHalt {
        adapter: u8,
    },
    /// An orderly PnP remove, with whatever I/O is in flight.
    Remove {
        adapter: u8,
    },
    /// Entry points NDIS may run at once, each part on its own virtual processor (in sequence
    /// in a build without several processors).
    Concurrently {
        parts: Vec<Part>,
    },
    /// Only in runs with `plant`: records `Kmdf.MiniportNoWdfDeviceCreate` if the adapter is
    /// Paused (the shrinker's test: the minimal failing list is an adapter, a pause and this op).
    Plant {
        adapter: u8,
    },
}

/// One processor's share of an [`Op::Concurrently`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// A `MiniportSendNetBufferLists` call, as [`Op::Send`] without the cancel.
    Send { adapter: u8, frames: Vec<(u16, u8)>, shape: NblShape },
    /// A few OID requests (as [`Op::OidStorm`]). This and the three below are NDIS's own
    /// operations on the adapter, which it does not overlap with each other: an op has at most one.
    Oids { adapter: u8, seed: u64, count: u8 },
    /// `MiniportPause` of a Running adapter while the other parts run (restarted by a later op).
    Pause { adapter: u8 },
    /// `MiniportResetEx` while the other parts run.
    Reset { adapter: u8 },
    /// `MiniportDevicePnPEventNotify(SURPRISE_REMOVED)` while the other parts run.
    SurpriseNotify { adapter: u8 },
    /// `MiniportReturnNetBufferLists` of what NDIS held, the holding left on.
    Returns { adapter: u8 },
}

/// A part, ready to run on a processor (shareable across processors only where there are several).
#[cfg(any(shuttle, kernel_sim_threads))]
type PartWork<'a> = Box<dyn Fn() + Sync + 'a>;
#[cfg(not(any(shuttle, kernel_sim_threads)))]
type PartWork<'a> = Box<dyn Fn() + 'a>;

/// What one run is: its seed, and the ops of the generated list it plays (None: all).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Spec {
    seed: u64,
    steps: usize,
    plant: bool,
    ops: Option<Vec<usize>>,
}

impl Spec {
    fn seed(seed: u64) -> Spec {
        Spec { seed, steps: STEPS, plant: false, ops: None }
    }

    fn with_ops(&self, ops: Vec<usize>) -> Spec {
        Spec { ops: Some(ops), ..self.clone() }
    }

    /// The op indices the run plays.
    fn indices(&self) -> Vec<usize> {
        match &self.ops {
            Some(ops) => ops.clone(),
            None => (0..INITIAL_ADAPTERS + self.steps).collect(),
        }
    }

    /// `seed=7;steps=400;plant=1;ops=0-2,17,40-41` (ranges compressed; `ops` absent: all).
    fn encode(&self) -> String {
        let mut s = format!("seed={};steps={}", self.seed, self.steps);
        if self.plant {
            s.push_str(";plant=1");
        }
        if let Some(ops) = &self.ops {
            let mut parts = Vec::new();
            let mut i = 0;
            while i < ops.len() {
                let mut j = i;
                while j + 1 < ops.len() && ops[j + 1] == ops[j] + 1 {
                    j += 1;
                }
                parts.push(if j > i { format!("{}-{}", ops[i], ops[j]) } else { ops[i].to_string() });
                i = j + 1;
            }
            s.push_str(&format!(";ops={}", parts.join(",")));
        }
        s
    }

    fn decode(text: &str) -> Spec {
        let mut spec = Spec::seed(0);
        for field in text.trim().split(';').filter(|f| !f.is_empty()) {
            let (key, value) =
                field.split_once('=').unwrap_or_else(|| panic!("CHAOS_REPLAY: no '=' in {field:?}"));
            let number =
                |v: &str| v.parse::<usize>().unwrap_or_else(|_| panic!("CHAOS_REPLAY: bad number {v:?}"));
            match key {
                "seed" => spec.seed = number(value) as u64,
                "steps" => spec.steps = number(value),
                "plant" => spec.plant = number(value) != 0,
                "ops" => {
                    let mut ops = Vec::new();
                    for part in value.split(',').filter(|p| !p.is_empty()) {
                        match part.split_once('-') {
                            Some((a, b)) => ops.extend(number(a)..=number(b)),
                            None => ops.push(number(part)),
                        }
                    }
                    spec.ops = Some(ops);
                }
                _ => panic!("CHAOS_REPLAY: unknown field {key:?}"),
            }
        }
        spec
    }

    /// The one-line command that replays this run.
    fn command(&self) -> String {
        format!(
            "CHAOS_REPLAY='{}' cargo test --profile stack-check -p kmdf-miniport --test chaos -- --exact replay --nocapture",
            self.encode()
        )
    }
}

fn frames_spec(dice: &mut Dice) -> Vec<(u16, u8)> {
    let count = 1 + dice.below(24) as usize;
    (0..count)
        .map(|_| {
            let length = match dice.below(4) {
                0 => 60,
                1 => 1514,
                2 => 14 + dice.below(46), // short: padded by the driver
                _ => 60 + dice.below(1455),
            };
            (length as u16, dice.below(256) as u8)
        })
        .collect()
}

fn shape(dice: &mut Dice) -> NblShape {
    match dice.below(6) {
        0 => NblShape::default(),
        1 => NblShape { nbs_per_nbl: 1 + dice.below(6) as usize, ..NblShape::default() },
        2 => NblShape {
            nbs_per_nbl: 1,
            mdl_split: vec![14, 1 + dice.below(40) as usize],
            data_offset: 0,
            ..NblShape::default()
        },
        3 => NblShape {
            nbs_per_nbl: 2,
            mdl_split: vec![7, 7],
            data_offset: dice.below(9) as u32,
            ..NblShape::default()
        },
        // Long MDL chains of tiny pieces, the first one offset.
        4 => NblShape {
            nbs_per_nbl: 1 + dice.below(3) as usize,
            mdl_split: (0..2 + dice.below(12)).map(|_| 1 + dice.below(5) as usize).collect(),
            data_offset: dice.below(64) as u32,
            ..NblShape::default()
        },
        _ => NblShape {
            nbs_per_nbl: 1,
            mdl_split: vec![6, 6, 2, 1 + dice.below(100) as usize],
            data_offset: dice.below(3) as u32,
            ..NblShape::default()
        },
    }
}

/// Two or three parts: sends, returns, and at most one of NDIS's own operations.
fn parts(dice: &mut Dice) -> Vec<Part> {
    let mut control = false;
    (0..2 + dice.below(2))
        .map(|_| {
            let adapter = dice.below(8) as u8;
            match dice.below(5) {
                0 | 1 if !control => {
                    control = true;
                    match dice.below(6) {
                        0..=2 => Part::Oids { adapter, seed: dice.next(), count: 1 + dice.below(4) as u8 },
                        3 => Part::Pause { adapter },
                        4 => Part::Reset { adapter },
                        _ => Part::SurpriseNotify { adapter },
                    }
                }
                2 => Part::Returns { adapter },
                _ => Part::Send { adapter, frames: frames_spec(dice), shape: shape(dice) },
            }
        })
        .collect()
}

fn inline_mode(dice: &mut Dice) -> InlineService {
    dice.pick(&[InlineService::Seeded, InlineService::Always, InlineService::OwnReads, InlineService::Never])
}

fn write_mode(dice: &mut Dice) -> WriteCompletion {
    dice.pick(&[WriteCompletion::Seeded, WriteCompletion::Immediate, WriteCompletion::Deferred])
}

/// The run of `seed`: the initial adapters, then `steps` ops, from the seed alone.
fn generate(seed: u64, steps: usize, plant: bool) -> Vec<Op> {
    let mut dice = Dice(seed);
    let mut ops: Vec<Op> = (0..INITIAL_ADAPTERS)
        .map(|_| Op::AddAdapter { inline: inline_mode(&mut dice), writes: write_mode(&mut dice) })
        .collect();
    for step in 0..steps {
        let adapter = dice.below(8) as u8;
        if plant && step % 50 == 49 {
            ops.push(Op::Plant { adapter });
            continue;
        }
        let op = match dice.below(43) {
            0..=14 => Op::Send {
                adapter,
                frames: frames_spec(&mut dice),
                shape: shape(&mut dice),
                cancel: dice.below(8) == 0,
            },
            15..=18 => Op::RunUntilIdle,
            19 => Op::AdvanceTime { ms: dice.below(200) as u16 },
            20 => Op::Pause { adapter, restart: dice.below(2) == 0 },
            21 => Op::Restart { adapter },
            22 => Op::Reset { adapter },
            23 => Op::Link { adapter, up: dice.below(3) != 0 },
            24 => Op::FlapOnIndication { adapter, n: 1 + dice.below(4) as u8 },
            25 => Op::HubFaults {
                adapter,
                faults: match dice.below(4) {
                    0 => Faults::default(),
                    1 => Faults { drop_ppm: 100_000, ..Faults::default() },
                    2 => Faults { corrupt_ppm: 100_000, ..Faults::default() },
                    _ => Faults { delay_ticks: 1_000_000 * (1 + dice.below(5)), ..Faults::default() },
                },
            },
            26 => Op::Filter {
                adapter,
                filter: dice.pick(&[FILTER, NDIS_PACKET_TYPE_PROMISCUOUS, 0, NDIS_PACKET_TYPE_BROADCAST]),
            },
            27 | 28 => Op::OidStorm { adapter, seed: dice.next(), count: 1 + dice.below(24) as u8 },
            29 => Op::HoldReturns { adapter, hold: dice.below(2) == 0 },
            30 => Op::FailReads {
                adapter,
                n: 1 + dice.below(4) as u8,
                status: dice.pick(&[
                    STATUS_UNSUCCESSFUL,
                    STATUS_DEVICE_REMOVED,
                    STATUS_INSUFFICIENT_RESOURCES,
                ]),
            },
            31 => Op::Garbage { adapter, bytes: (0..dice.below(80)).map(|_| dice.next() as u8).collect() },
            32 => Op::InlineMode { adapter, mode: inline_mode(&mut dice) },
            33 => Op::WriteMode { adapter, mode: write_mode(&mut dice) },
            34 | 35 => Op::AllocFault {
                api: if dice.below(3) == 0 { None } else { Some(dice.pick(&FALLIBLE_APIS)) },
                skip: dice.below(6) as u8,
            },
            36 => Op::SurpriseNotify { adapter },
            37 => Op::SurpriseHalt { adapter },
            38 => Op::Remove { adapter },
            39 => Op::Sleep { adapter },
            41 | 42 => Op::Concurrently { parts: parts(&mut dice) },
            _ => Op::AddAdapter { inline: inline_mode(&mut dice), writes: write_mode(&mut dice) },
        };
        ops.push(op);
    }
    ops
}

/// A run in progress: the model and what the test tracks of it.
struct Run {
    sim: Sim,
    /// Adapters initialized and not halted, in order of arrival.
    present: Vec<AdapterId>,
    /// Present adapters that got the surprise-removal notification.
    notified: HashSet<AdapterId>,
    sends: Vec<SendId>,
    added: usize,
    cancel_ids: usize,
}

impl Run {
    fn new(seed: u64) -> Run {
        let sim = common::loaded(seed);
        // The trace is for failing scenarios; keep its tail only (a long run formats a lot).
        sim.set_call_log_limit(Some(200));
        Run { sim, present: Vec::new(), notified: HashSet::new(), sends: Vec::new(), added: 0, cancel_ids: 0 }
    }

    fn adapter(&self, index: u8) -> Option<AdapterId> {
        (!self.present.is_empty()).then(|| self.present[index as usize % self.present.len()])
    }

    fn state(&self, adapter: AdapterId) -> AdapterState {
        self.sim.adapter_state(adapter)
    }

    /// Whether NDIS may still restart or reset it (not after the surprise-removal notification).
    fn serviceable(&self, adapter: AdapterId) -> bool {
        !self.notified.contains(&adapter)
    }

    fn halted(&mut self, adapter: AdapterId) {
        self.present.retain(|&a| a != adapter);
        self.notified.remove(&adapter);
    }

    fn execute(&mut self, op: &Op) {
        let sim = &self.sim;
        match op {
            Op::AddAdapter { inline, writes } => {
                if self.added >= MAX_ADAPTERS || self.present.len() >= MAX_PRESENT {
                    return;
                }
                self.added += 1;
                let injected = sim.faults_injected();
                let adapter = match sim.add_adapter() {
                    Ok(adapter) => adapter,
                    Err(status) => {
                        assert!(
                            sim.faults_injected() > injected,
                            "initialize failed {status:#x} with no fault"
                        );
                        assert_eq!(status, NDIS_STATUS_RESOURCES, "a failed allocation's status");
                        return;
                    }
                };
                self.present.push(adapter);
                let lower = sim.lower(adapter);
                lower.set_inline_service(*inline);
                lower.set_write_completion(*writes);
                let status = sim.restart(adapter);
                if sim.faults_injected() == injected {
                    assert_eq!(status, NDIS_STATUS_SUCCESS, "restart");
                    let filter = sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &FILTER.to_ne_bytes());
                    assert_eq!(filter.status, NDIS_STATUS_SUCCESS, "packet filter");
                } else {
                    assert_ne!(status, NDIS_STATUS_PENDING, "restart completes before returning here");
                }
            }
            Op::Send { adapter, frames, shape, cancel } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if !matches!(self.state(adapter), AdapterState::Running | AdapterState::Paused) {
                    return;
                }
                let batch = self.batch(adapter, frames);
                if *cancel {
                    self.cancel_ids += 1;
                    let cancel_id = self.cancel_ids;
                    self.sends.extend(sim.send_frames_cancelable(adapter, &batch, shape.clone(), cancel_id));
                    sim.cancel_send(adapter, cancel_id);
                } else {
                    self.sends.extend(sim.send_frames(adapter, &batch, shape.clone()));
                }
            }
            Op::RunUntilIdle => sim.run_until_idle(),
            Op::AdvanceTime { ms } => sim.advance_time(Duration::from_millis(u64::from(*ms))),
            Op::Pause { adapter, restart } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if self.state(adapter) != AdapterState::Running {
                    return;
                }
                let status = sim.pause(adapter);
                assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING, "pause {status:#x}");
                if *restart && self.serviceable(adapter) {
                    let injected = sim.faults_injected();
                    let status = sim.restart(adapter);
                    if sim.faults_injected() == injected {
                        assert_eq!(status, NDIS_STATUS_SUCCESS, "restart");
                    }
                }
            }
            Op::Restart { adapter } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if self.state(adapter) != AdapterState::Paused || !self.serviceable(adapter) {
                    return;
                }
                let injected = sim.faults_injected();
                let status = sim.restart(adapter);
                if sim.faults_injected() == injected {
                    assert_eq!(status, NDIS_STATUS_SUCCESS, "restart");
                }
            }
            Op::Sleep { adapter } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if !matches!(self.state(adapter), AdapterState::Running | AdapterState::Paused)
                    || !self.serviceable(adapter)
                {
                    return;
                }
                assert_eq!(sim.suspend(adapter), NDIS_STATUS_SUCCESS, "set D3");
                let injected = sim.faults_injected();
                let status = sim.resume(adapter);
                if sim.faults_injected() == injected {
                    assert_eq!(status, NDIS_STATUS_SUCCESS, "D0 and restart");
                } else if status == NDIS_STATUS_NOT_ACCEPTED {
                    // The target did not start: the device cannot come back, and PnP removes it.
                    sim.remove_adapter(adapter);
                    self.halted(adapter);
                }
            }
            Op::Reset { adapter } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if !matches!(self.state(adapter), AdapterState::Running | AdapterState::Paused)
                    || !self.serviceable(adapter)
                {
                    return;
                }
                let (status, _) = sim.reset(adapter);
                assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING, "reset {status:#x}");
            }
            Op::Link { adapter, up } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.lower(adapter).set_link(*up);
            }
            Op::FlapOnIndication { adapter, n } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.lower(adapter).flap_link_on_indication(usize::from(*n));
            }
            Op::HubFaults { adapter, faults } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.set_faults(adapter, *faults);
            }
            Op::Filter { adapter, filter } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                let injected = sim.faults_injected();
                let status =
                    sim.oid_set(adapter, OID_GEN_CURRENT_PACKET_FILTER, &filter.to_ne_bytes()).status;
                // After the surprise-removal notification the device is gone: NOT_ACCEPTED is fair.
                if sim.faults_injected() == injected && self.serviceable(adapter) {
                    assert_eq!(status, NDIS_STATUS_SUCCESS, "packet filter {filter:#x}");
                }
            }
            Op::OidStorm { adapter, seed, count } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                oid_storm(sim, adapter, *seed, *count);
            }
            Op::HoldReturns { adapter, hold } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.hold_returns(adapter, *hold);
                if !hold {
                    sim.return_now(adapter);
                }
            }
            Op::FailReads { adapter, n, status } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.fail_next_reads(adapter, usize::from(*n), *status);
            }
            Op::Garbage { adapter, bytes } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                // False when no read is pending below: nothing to complete.
                sim.inject_raw_read_completion(adapter, bytes, STATUS_SUCCESS);
            }
            Op::InlineMode { adapter, mode } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.lower(adapter).set_inline_service(*mode);
            }
            Op::WriteMode { adapter, mode } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                sim.lower(adapter).set_write_completion(*mode);
            }
            Op::AllocFault { api, skip } => {
                let plan = match api {
                    None => FaultPlan::FailCall { ordinal: sim.fallible_count(None) + 1 + u64::from(*skip) },
                    Some(api) => FaultPlan::FailNthOf {
                        api,
                        nth: sim.fallible_count(Some(api)) + 1 + u64::from(*skip),
                    },
                };
                sim.set_fault_plan(plan);
            }
            Op::SurpriseNotify { adapter } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if self.notified.insert(adapter) {
                    sim.pnp_event(adapter, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED);
                }
            }
            Op::SurpriseHalt { adapter } => {
                // The last adapter stays (the end of the run halts it), so traffic goes on.
                let Some(adapter) = self.adapter(*adapter).filter(|_| self.present.len() > 1) else { return };
                if self.notified.contains(&adapter) {
                    if self.state(adapter) == AdapterState::Running {
                        let status = sim.pause(adapter);
                        assert!(status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING);
                    }
                    sim.halt(adapter, NDIS_HALT_DEVICE_SURPRISE_REMOVED);
                } else {
                    sim.surprise_remove(adapter);
                }
                self.halted(adapter);
            }
            Op::Remove { adapter } => {
                let Some(adapter) = self.adapter(*adapter).filter(|_| self.present.len() > 1) else { return };
                if !self.serviceable(adapter) {
                    return;
                }
                sim.remove_adapter(adapter);
                self.halted(adapter);
            }
            Op::Concurrently { parts } => self.concurrently(parts),
            Op::Plant { adapter } => {
                let Some(adapter) = self.adapter(*adapter) else { return };
                if self.state(adapter) == AdapterState::Paused {
                    sim.check_device_create_api("WdfDeviceCreate");
                }
            }
        }
    }

    /// The frames of a send of `frames` from `adapter`, addressed among the present adapters,
    /// broadcast and a multicast group.
    fn batch(&self, adapter: AdapterId, frames: &[(u16, u8)]) -> Vec<Vec<u8>> {
        let sim = &self.sim;
        let source = mac(sim, adapter);
        let mut destinations: Vec<[u8; 6]> = self.present.iter().map(|&a| mac(sim, a)).collect();
        destinations.push([0xFF; 6]);
        destinations.push([0x01, 0x00, 0x5E, 0, 0, 1]);
        frames
            .iter()
            .enumerate()
            .map(|(i, &(length, destination))| {
                let mut frame = vec![(i as u8) ^ 0x5A; length as usize];
                frame[..6].copy_from_slice(&destinations[destination as usize % destinations.len()]);
                frame[6..12].copy_from_slice(&source);
                frame[12..14].copy_from_slice(&[0x88, 0xB5]);
                frame
            })
            .collect()
    }

    /// Each part on its own processor: decided here (which adapter, whether NDIS may make the
    /// call), then run at once. A send goes to a Running or Paused adapter, a pause to a Running
    /// one, a reset to one NDIS still services; OID requests and returns go to any present one.
    fn concurrently(&mut self, parts: &[Part]) {
        // Decided before anything runs: the states the parts find are those of this moment.
        let mut notify = Vec::new();
        for part in parts {
            if let Part::SurpriseNotify { adapter } = part
                && let Some(adapter) = self.adapter(*adapter)
                && self.notified.insert(adapter)
            {
                notify.push(adapter);
            }
        }
        let sim = &self.sim;
        // A std Mutex is safe under shuttle here: it is held only around `extend`, where no call
        // into the model (and so no scheduling point) happens.
        let sends = std::sync::Mutex::new(Vec::new());
        let work: Vec<PartWork<'_>> = parts
            .iter()
            .filter_map(|part| -> Option<PartWork<'_>> {
                match part {
                    Part::Send { adapter, frames, shape } => {
                        let adapter = self.adapter(*adapter)?;
                        if !matches!(self.state(adapter), AdapterState::Running | AdapterState::Paused) {
                            return None;
                        }
                        let batch = self.batch(adapter, frames);
                        let sends = &sends;
                        Some(Box::new(move || {
                            let ids = sim.send_frames(adapter, &batch, shape.clone());
                            sends.lock().unwrap().extend(ids);
                        }))
                    }
                    Part::Oids { adapter, seed, count } => {
                        let adapter = self.adapter(*adapter)?;
                        Some(Box::new(move || oid_storm(sim, adapter, *seed, *count)))
                    }
                    Part::Pause { adapter } => {
                        let adapter = self.adapter(*adapter)?;
                        if self.state(adapter) != AdapterState::Running {
                            return None;
                        }
                        Some(Box::new(move || {
                            let status = sim.pause(adapter);
                            assert!(
                                status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING,
                                "pause {status:#x}"
                            );
                        }))
                    }
                    Part::Reset { adapter } => {
                        let adapter = self.adapter(*adapter)?;
                        if !matches!(self.state(adapter), AdapterState::Running | AdapterState::Paused)
                            || !self.serviceable(adapter)
                        {
                            return None;
                        }
                        Some(Box::new(move || {
                            let (status, _) = sim.reset(adapter);
                            assert!(
                                status == NDIS_STATUS_SUCCESS || status == NDIS_STATUS_PENDING,
                                "reset {status:#x}"
                            );
                        }))
                    }
                    Part::SurpriseNotify { adapter } => {
                        let adapter = self.adapter(*adapter).filter(|a| notify.contains(a))?;
                        Some(Box::new(move || sim.pnp_event(adapter, NDIS_DEVICE_PNP_EVENT_SURPRISE_REMOVED)))
                    }
                    Part::Returns { adapter } => {
                        let adapter = self.adapter(*adapter)?;
                        Some(Box::new(move || {
                            sim.return_now(adapter);
                        }))
                    }
                }
            })
            .collect();
        #[cfg(any(shuttle, kernel_sim_threads))]
        {
            let work: Vec<&(dyn Fn() + Sync)> = work.iter().map(|w| &**w).collect();
            sim.concurrently(&work);
        }
        #[cfg(not(any(shuttle, kernel_sim_threads)))]
        for part in &work {
            part();
        }
        drop(work);
        self.sends.extend(sends.into_inner().unwrap());
    }

    /// The end of every run: faults off, links up, returns flowing; every NBL completed; every
    /// adapter removed, the driver unloaded, nothing left and no rule broken.
    fn finish(self) {
        let Run { sim, present, notified, sends, .. } = self;
        sim.set_fault_plan(FaultPlan::None);
        for &adapter in &present {
            sim.hold_returns(adapter, false);
            sim.lower(adapter).set_link(true);
            sim.set_faults(adapter, Faults::default());
        }
        sim.run_until_idle();
        for id in &sends {
            assert!(sim.send_completion(*id).is_some(), "an NBL was never completed");
        }
        for &adapter in &present {
            if notified.contains(&adapter) {
                if sim.adapter_state(adapter) == AdapterState::Running {
                    sim.pause(adapter);
                }
                sim.halt(adapter, NDIS_HALT_DEVICE_SURPRISE_REMOVED);
            } else {
                sim.remove_adapter(adapter);
            }
        }
        sim.unload();
        sim.assert_clean();
    }
}

/// `count` OID requests on `adapter`, from `seed`: every OID the driver lists and some it does not,
/// queried with buffers of every length; every settable one set with good, short, ragged and
/// invalid data. What the driver answers is the model's to check (lengths, statuses, pending).
fn oid_storm(sim: &Sim, adapter: AdapterId, seed: u64, count: u8) {
    let mut dice = Dice(seed);
    let supported = sim.oid_query(adapter, OID_GEN_SUPPORTED_LIST, 1024);
    let mut oids: Vec<u32> =
        supported.data.chunks_exact(4).map(|c| u32::from_ne_bytes(c.try_into().unwrap())).collect();
    oids.truncate(supported.bytes_written_or_read as usize / 4);
    // Not the power OIDs: NDIS sends them only around a pause, with a valid power state.
    oids.retain(|&oid| oid != OID_PNP_SET_POWER && oid != OID_PNP_QUERY_POWER);
    // And what it does not list: a bogus OID, two it refuses, and its vendor counters.
    oids.extend([0xDEAD_BEEF, OID_PNP_CAPABILITIES, OID_GEN_VLAN_ID, 0xFF76_0001]);
    for _ in 0..count {
        if dice.below(3) != 0 {
            let oid = dice.pick(&oids);
            let length = dice.pick(&[0usize, 1, 3, 4, 5, 6, 8, 12, 64, 200, 1024]);
            sim.oid_query(adapter, oid, length);
            continue;
        }
        let (oid, data): (u32, Vec<u8>) = match dice.below(6) {
            0 => {
                let filter = dice.pick(&[FILTER, 0, NDIS_PACKET_TYPE_PROMISCUOUS, 0x10, 0xFFFF_FFFF]);
                let length = dice.pick(&[4usize, 4, 2, 8]);
                let mut data = filter.to_ne_bytes().to_vec();
                data.resize(length, 0);
                (OID_GEN_CURRENT_PACKET_FILTER, data)
            }
            1 => {
                let lookahead = dice.pick(&[0u32, 1, 128, 1500, 9000]);
                (OID_GEN_CURRENT_LOOKAHEAD, lookahead.to_ne_bytes()[..dice.pick(&[4usize, 4, 3])].to_vec())
            }
            2 => {
                let entries = dice.below(40) as usize;
                let mut list: Vec<u8> = (0..entries)
                    .flat_map(|i| {
                        let first = if dice.below(8) == 0 { 0x02 } else { 0x01 };
                        [first, 0x00, 0x5E, 0, 0, i as u8]
                    })
                    .collect();
                if dice.below(6) == 0 {
                    list.truncate(list.len().saturating_sub(1 + dice.below(5) as usize));
                }
                (OID_802_3_MULTICAST_LIST, list)
            }
            3 => (
                OID_GEN_INTERRUPT_MODERATION,
                (0..dice.pick(&[0u64, 4, 12, 16])).map(|_| dice.next() as u8).collect(),
            ),
            4 => (
                OID_GEN_LINK_PARAMETERS,
                (0..dice.pick(&[0u64, 8, 20, 32])).map(|_| dice.next() as u8).collect(),
            ),
            // Any other listed OID with random bytes.
            _ => (dice.pick(&oids), (0..dice.pick(&[0u64, 4, 6, 16])).map(|_| dice.next() as u8).collect()),
        };
        sim.oid_set(adapter, oid, &data);
    }
}

/// Play `spec` in this thread: the ops it names, then the end-of-run checks. Panics on a failure.
fn play(spec: &Spec) {
    let ops = generate(spec.seed, spec.steps, spec.plant);
    let mut run = Run::new(spec.seed);
    for index in spec.indices() {
        let op = ops.get(index).unwrap_or_else(|| panic!("op {index} beyond the run's {}", ops.len()));
        run.execute(op);
    }
    if std::env::var_os("CHAOS_VERBOSE").is_some() {
        eprintln!(
            "chaos: {} NBLs sent, {} adapters added, {} still present ({} notified), {} faults injected, {} allocations",
            run.sends.len(),
            run.added,
            run.present.len(),
            run.notified.len(),
            run.sim.faults_injected(),
            run.sim.allocations()
        );
    }
    run.finish();
}

/// What a failure is, for "fails the same way": the rules a kernel-sim report names, or else the
/// panic message's first line with its numbers blanked.
fn signature(message: &str) -> String {
    let rules: Vec<&str> = message
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("violation ["))
        .filter_map(|rest| rest.split(']').next())
        .collect();
    if !rules.is_empty() {
        let mut rules = rules;
        rules.sort_unstable();
        rules.dedup();
        return rules.join(",");
    }
    let first = message.lines().next().unwrap_or("");
    first.chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "a panic without a message".into())
}

/// The marker a replaying child prints with its failure's signature (from the panic hook, so a
/// failure that aborts the process — a panic inside a driver callback — is reported too).
const FAILED: &str = "CHAOS-FAILED ";
/// The marker a child playing many seeds prints before each.
const PLAYING: &str = "CHAOS-PLAYING ";

fn install_signature_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        eprintln!("{FAILED}{}", signature(&panic_message(info.payload())));
    }));
}

/// Play `spec` in a child process of this test binary: None if it passed, else the signature.
fn play_in_child(spec: &Spec) -> Option<String> {
    let output = Command::new(std::env::current_exe().expect("the test binary"))
        .args(["--exact", "replay", "--nocapture", "--test-threads=1"])
        .env("CHAOS_REPLAY", spec.encode())
        .env_remove("CHAOS_SEEDS")
        .env_remove("CHAOS_SHARD")
        .output()
        .expect("run the test binary");
    if output.status.success() {
        return None;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    Some(
        stderr
            .lines()
            .find_map(|line| line.strip_prefix(FAILED).map(str::to_string))
            .unwrap_or_else(|| format!("exit {} with no signature", output.status)),
    )
}

/// Delta debugging (ddmin): the smallest sub-list of `spec`'s ops found that still fails with
/// `signature`, 1-minimal (removing any one op makes it pass or fail otherwise). `fails` plays a
/// candidate.
fn shrink(spec: &Spec, signature: &str, fails: &mut dyn FnMut(&Spec) -> Option<String>) -> Spec {
    let mut ops = spec.indices();
    let mut still_fails = |ops: &[usize]| fails(&spec.with_ops(ops.to_vec())).as_deref() == Some(signature);
    let mut chunks = 2usize;
    while ops.len() >= 2 {
        let size = ops.len().div_ceil(chunks);
        let mut reduced = false;
        let mut start = 0;
        while start < ops.len() {
            let end = (start + size).min(ops.len());
            let complement: Vec<usize> = ops[..start].iter().chain(&ops[end..]).copied().collect();
            if !complement.is_empty() && still_fails(&complement) {
                ops = complement;
                chunks = (chunks - 1).max(2);
                reduced = true;
                break;
            }
            start = end;
        }
        if !reduced {
            if chunks >= ops.len() {
                break;
            }
            chunks = (chunks * 2).min(ops.len());
        }
    }
    spec.with_ops(ops)
}

/// Shrink a failing spec with child processes and return the report: the one-line replay command.
fn shrink_and_report(spec: &Spec, signature: &str) -> String {
    let minimal = shrink(spec, signature, &mut play_in_child);
    let ops = generate(minimal.seed, minimal.steps, minimal.plant);
    let listing: Vec<String> = minimal.indices().iter().map(|&i| format!("  {i}: {:?}", ops[i])).collect();
    format!(
        "chaos seed {} fails ({signature}); shrunk to {} op(s):\n{}\nreplay: {}",
        spec.seed,
        minimal.indices().len(),
        listing.join("\n"),
        minimal.command()
    )
}

/// Play seeds in this process, announcing each (a child's parent reads which one failed).
fn play_seeds(seeds: impl Iterator<Item = u64>, announce: bool) {
    for seed in seeds {
        if announce {
            eprintln!("{PLAYING}{seed}");
        }
        let spec = Spec::seed(seed);
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| play(&spec))) {
            let signature = signature(&panic_message(&*payload));
            if announce {
                // The parent shrinks it.
                std::panic::resume_unwind(payload);
            }
            panic!("{}", shrink_and_report(&spec, &signature));
        }
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name}={v:?}")))
}

#[test]
fn random_operations_keep_every_rule_across_seeds() {
    // A child of the fan-out below: its share of the seeds.
    if let Ok(shard) = std::env::var("CHAOS_SHARD") {
        let (index, count) = shard.split_once('/').expect("CHAOS_SHARD=i/n");
        let (index, count): (u64, u64) = (index.parse().unwrap(), count.parse().unwrap());
        let seeds = env_number("CHAOS_SEEDS", 64);
        play_seeds((1..=seeds).filter(|s| s % count == index), true);
        return;
    }
    let seeds = env_number("CHAOS_SEEDS", 64);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    if seeds < 256 || cores < 2 {
        play_seeds(1..=seeds, false);
        return;
    }
    // kernel-sim runs one driver per process: one child per core, each with every n-th seed.
    let started = std::time::Instant::now();
    let children: Vec<_> = (0..cores)
        .map(|index| {
            let child = Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "random_operations_keep_every_rule_across_seeds",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env("CHAOS_SHARD", format!("{index}/{cores}"))
                .env("CHAOS_SEEDS", seeds.to_string())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn a chaos shard");
            (index, child)
        })
        .collect();
    let mut failures = Vec::new();
    for (index, child) in children {
        let output = child.wait_with_output().expect("a chaos shard");
        if output.status.success() {
            continue;
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let seed =
            stderr.lines().rev().find_map(|l| l.strip_prefix(PLAYING)).map(|s| s.parse::<u64>().unwrap());
        let Some(seed) = seed else {
            failures.push(format!("shard {index} failed before its first seed:\n{stderr}"));
            continue;
        };
        let spec = Spec::seed(seed);
        let signature =
            play_in_child(&spec).unwrap_or_else(|| panic!("seed {seed} failed in its shard, passes alone"));
        failures.push(shrink_and_report(&spec, &signature));
    }
    eprintln!(
        "chaos: {seeds} seeds x {} ops on {cores} processes in {:?}",
        INITIAL_ADAPTERS + STEPS,
        started.elapsed()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Whole chaos runs of [`STEPS`] operations under the schedule explorer (`--cfg shuttle`): every
/// call into the model is a point where another processor may run, and shuttle picks one at random
/// at each, so an `Op::Concurrently`'s parts interleave; the run's seed comes from the schedule. On
/// OS threads (`--cfg kernel_sim_threads`) the parts run on real threads.
#[cfg(any(shuttle, kernel_sim_threads))]
#[test]
fn random_operations_on_several_processors() {
    common::explorer::explore_random("random_operations_on_several_processors", |seed| {
        play(&Spec { seed, steps: STEPS, plant: false, ops: None });
    });
}

/// Replays `CHAOS_REPLAY` (the command a failing seed prints); without it, a whole default run
/// with every kind of op, so the test always plays something.

#[test]
fn replay() {
    let spec = match std::env::var("CHAOS_REPLAY") {
        Ok(text) => {
            install_signature_hook();
            Spec::decode(&text)
        }
        Err(_) => Spec::seed(0xC4A05),
    };
    eprintln!("chaos replay: {}", spec.encode());
    play(&spec);
}

#[test]
fn every_kind_of_op_is_generated() {
    let ops = generate(1, 4000, false);
    let kinds: HashSet<String> =
        ops.iter().map(|op| format!("{op:?}").split([' ', '{', '(']).next().unwrap().to_string()).collect();
    for kind in [
        "AddAdapter",
        "Send",
        "RunUntilIdle",
        "AdvanceTime",
        "Pause",
        "Restart",
        "Reset",
        "Link",
        "FlapOnIndication",
        "HubFaults",
        "Filter",
        "OidStorm",
        "HoldReturns",
        "FailReads",
        "Garbage",
        "InlineMode",
        "WriteMode",
        "AllocFault",
        "SurpriseNotify",
        "SurpriseHalt",
        "Remove",
        "Concurrently",
    ] {
        assert!(kinds.contains(kind), "{kind} never generated: {kinds:?}");
    }
    assert!(!kinds.contains("Plant"), "the planted op only in planted runs");
    let parts: HashSet<String> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Concurrently { parts } => Some(parts),
            _ => None,
        })
        .flatten()
        .map(|part| format!("{part:?}").split([' ', '{']).next().unwrap().to_string())
        .collect();
    for kind in ["Send", "Oids", "Pause", "Reset", "SurpriseNotify", "Returns"] {
        assert!(parts.contains(kind), "concurrent part {kind} never generated: {parts:?}");
    }
}

#[test]
fn a_spec_round_trips_through_its_replay_text() {
    let spec = Spec { seed: 42, steps: 400, plant: true, ops: Some(vec![0, 1, 2, 5, 9, 10, 11, 402]) };
    assert_eq!(spec.encode(), "seed=42;steps=400;plant=1;ops=0-2,5,9-11,402");
    assert_eq!(Spec::decode(&spec.encode()), spec);
    assert_eq!(Spec::decode("seed=7"), Spec::seed(7));
    assert!(
        spec.command().starts_with("CHAOS_REPLAY='seed=42;steps=400;plant=1;ops=0-2,5,9-11,402' cargo test")
    );
}

/// The shrinker on a planted failure: a run with `Plant` ops fails with a real model rule
/// (`Kmdf.MiniportNoWdfDeviceCreate`) once a plant finds its adapter Paused. The shrunk list is
/// tiny and 1-minimal, and the printed command's spec, replayed in a child, fails the same way.
#[test]
fn a_planted_failure_shrinks_to_a_minimal_replayable_list() {
    // A seed whose planted run fails (most do: some adapter gets paused somewhere).
    let spec = (1..64)
        .map(|seed| Spec { seed, steps: 200, plant: true, ops: None })
        .find(|spec| play_in_child(spec).is_some())
        .expect("a planted run that fails");
    let signature = play_in_child(&spec).unwrap();
    assert_eq!(signature, "Kmdf.MiniportNoWdfDeviceCreate");

    let report = shrink_and_report(&spec, &signature);
    let command = report.lines().find_map(|l| l.strip_prefix("replay: ")).expect("a replay line");
    let text =
        command.strip_prefix("CHAOS_REPLAY='").and_then(|r| r.split_once('\'')).expect("the env var").0;
    let minimal = Spec::decode(text);
    let ops = generate(minimal.seed, minimal.steps, minimal.plant);
    let kept: Vec<&Op> = minimal.indices().iter().map(|&i| &ops[i]).collect();

    // An adapter, something that pauses it, the plant: nothing else is needed.
    assert!(kept.len() <= 4, "not minimal: {report}");
    assert!(matches!(kept[0], Op::AddAdapter { .. }), "{report}");
    assert!(matches!(kept.last().unwrap(), Op::Plant { .. }), "{report}");
    assert_eq!(play_in_child(&minimal).as_deref(), Some(signature.as_str()), "the command replays it");
    // 1-minimal: without any one of its ops the run passes (played here, in-process: no abort
    // is possible with a planted violation).
    for skip in 0..kept.len() {
        let mut fewer = minimal.indices();
        fewer.remove(skip);
        let outcome = catch_unwind(AssertUnwindSafe(|| play(&minimal.with_ops(fewer.clone()))));
        assert!(outcome.is_ok(), "still fails without op {}: {report}", minimal.indices()[skip]);
    }
}

/// ddmin itself, on a predicate: fails iff ops 3, 17 and 250 are all in the list.
#[test]
fn the_shrinker_finds_the_one_minimal_combination() {
    let spec = Spec::seed(1);
    let mut attempts = 0;
    let minimal = shrink(&spec, "planted", &mut |candidate: &Spec| {
        attempts += 1;
        let ops = candidate.indices();
        [3, 17, 250].iter().all(|i| ops.contains(i)).then(|| "planted".to_string())
    });
    assert_eq!(minimal.ops, Some(vec![3, 17, 250]));
    assert!(attempts < 400, "{attempts} attempts");
}
