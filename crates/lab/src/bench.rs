//! `miniport-lab bench`: the data path alone. Frames go from adapter A's upper edge through the real
//! driver (send path, batching into write requests), the hub, adapter B's driver (read completion,
//! receive NBLs) up to B's upper edge, and back to free (send completions to A's protocol, NBL
//! returns to B's miniport). The model runs with its per-frame verification off
//! ([`kernel_sim::Sim::set_checks`]) and no trace; the driver code path is the one the tests run.
//! The protocol side reuses its NBLs ([`kernel_sim::Sim::resend`]), as a real protocol does, so the
//! only per-frame work is the driver's, the hub's and the model's bookkeeping.
//!
//! In the same run, a baseline copies each frame once (`copy_from_slice` of the same sizes):
//! `ratio` = path time per frame / copy time per frame.

use crate::alloc_count;
use kernel_sim::{AdapterId, NblShape, SendId, Sim, SimConfig};
use ndis_types::*;
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Frames per `MiniportSendNetBufferLists` call: below B's 64 receive NBLs less the 8 it keeps back
/// (`LOW_RESOURCES_THRESHOLD`), so a round never runs B out of receive buffers.
pub const FRAMES_PER_ROUND: usize = 48;

/// Two running adapters and a chain of NBLs the protocol above A resends.
pub struct DataPath {
    pub sim: Sim,
    pub a: AdapterId,
    pub b: AdapterId,
    ids: Vec<SendId>,
    pub frame_len: usize,
}

impl DataPath {
    /// Load the driver, start A and B, and build `FRAMES_PER_ROUND` NBLs of `frame_len`-byte frames
    /// from A to B (sent once, so the hub has learned both stations).
    pub fn new(frame_len: usize) -> DataPath {
        let sim = Sim::new(SimConfig { seed: 7, ..SimConfig::default() });
        sim.set_call_log_limit(Some(0));
        sim.set_record_writes(false);
        sim.set_checks(false);
        assert_eq!(sim.load(kmdf_miniport::driver_entry), STATUS_SUCCESS, "DriverEntry");
        let a = sim.add_adapter().expect("adapter A");
        let b = sim.add_adapter().expect("adapter B");
        let mut macs = Vec::new();
        for x in [a, b] {
            assert_eq!(sim.restart(x), NDIS_STATUS_SUCCESS);
            let set = sim.oid_set(x, oid::OID_GEN_CURRENT_PACKET_FILTER, &crate::PACKET_FILTER.to_ne_bytes());
            assert_eq!(set.status, NDIS_STATUS_SUCCESS);
            let mac: [u8; 6] = sim.general_attributes(x).expect("attributes").current_mac_address[..6]
                .try_into()
                .expect("6 bytes");
            macs.push(mac);
        }
        // B says something first so the hub learns it and A's frames are switched, not flooded.
        let hello = frame(macs[0], macs[1], 60, 0);
        sim.send_frames(b, &[hello], NblShape::default());
        sim.run_until_idle();
        let frames: Vec<Vec<u8>> =
            (0..FRAMES_PER_ROUND).map(|i| frame(macs[1], macs[0], frame_len, i as u32)).collect();
        let ids = sim.send_frames(a, &frames, NblShape::default());
        sim.run_until_idle();
        for &id in &ids {
            assert_eq!(sim.send_completion(id), Some(NDIS_STATUS_SUCCESS));
        }
        DataPath { sim, a, b, ids, frame_len }
    }

    /// One round: resend the chain, run until everything is delivered, completed and returned.
    /// Frames that reached B's upper edge.
    pub fn round(&self) -> u64 {
        let before = self.sim.receive_counts(self.b).frames;
        self.sim.resend(self.a, &self.ids);
        self.sim.run_until_idle();
        self.sim.receive_counts(self.b).frames - before
    }

    pub fn frames_per_round(&self) -> usize {
        self.ids.len()
    }

    /// Remove both adapters and unload; violations and leaks, if any.
    pub fn finish(self) -> Vec<String> {
        for x in [self.a, self.b] {
            self.sim.remove_adapter(x);
        }
        self.sim.unload();
        let mut out: Vec<String> = self.sim.take_violations().iter().map(|v| v.to_string()).collect();
        out.extend(self.sim.leak_report());
        out
    }
}

fn frame(dst: [u8; 6], src: [u8; 6], len: usize, seq: u32) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x88, 0xB5]);
    f.extend_from_slice(&seq.to_be_bytes());
    while f.len() < len {
        f.push(f.len() as u8 ^ seq as u8);
    }
    f
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct PathResult {
    pub frame_len: usize,
    pub frames: u64,
    pub seconds: f64,
    pub pps: f64,
    pub ns_per_frame: f64,
    pub frames_lost: u64,
    pub heap_allocs: u64,
    pub driver_allocs: u64,
    /// Of the frames the hub delivered, the share it wrote straight into a read parked on B's port
    /// (cut-through: one copy in the hub instead of two).
    pub cut_through_share: f64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct BenchReport {
    pub pps_64: f64,
    pub pps_1514: f64,
    pub gbps_1514: f64,
    pub copy_baseline_pps_64: f64,
    pub copy_baseline_pps_1514: f64,
    pub ratio_64: f64,
    pub ratio_1514: f64,
    /// Heap allocations of the whole process (driver and model) per frame in the measured loops.
    pub allocs_per_frame: f64,
    /// Allocations the driver asked NDIS/KMDF for (pool, NBLs, MDLs, WDF objects) per frame.
    pub driver_allocs_per_frame: f64,
    pub frames_per_round: usize,
    pub path_64: PathResult,
    pub path_1514: PathResult,
    pub problems: Vec<String>,
    pub ok: bool,
}

/// Pin this thread to one CPU (best effort): the bench is single-threaded and measures one core.
fn pin_to_one_cpu() {
    #[cfg(target_os = "linux")]
    // SAFETY: a zeroed cpu_set_t with one bit set, for the calling thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        let cpu = libc::sched_getcpu().max(0) as usize;
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Measure the path for `frame_len` for about `seconds`.
pub fn measure_path(frame_len: usize, seconds: f64) -> (PathResult, Vec<String>) {
    let path = DataPath::new(frame_len);
    // Warm up: caches, the scheduler's vectors, the hub's tables.
    for _ in 0..200 {
        path.round();
    }
    let budget = Duration::from_secs_f64(seconds);
    let expected = path.frames_per_round() as u64;
    let (heap0, driver0) = (alloc_count::allocations(), path.sim.allocations());
    let switched0 = path.sim.hub_switch_totals();
    let (mut frames, mut rounds) = (0u64, 0u64);
    let start = Instant::now();
    while rounds % 64 != 0 || start.elapsed() < budget {
        frames += path.round();
        rounds += 1;
    }
    let elapsed = start.elapsed().as_secs_f64();
    let heap = alloc_count::allocations() - heap0;
    let driver = path.sim.allocations() - driver0;
    let switched = path.sim.hub_switch_totals();
    let delivered = switched.delivered - switched0.delivered;
    let cut_through = switched.cut_through - switched0.cut_through;
    let lost = rounds * expected - frames;
    let problems = path.finish();
    let r = PathResult {
        frame_len,
        frames,
        seconds: elapsed,
        pps: frames as f64 / elapsed,
        ns_per_frame: elapsed * 1e9 / frames.max(1) as f64,
        frames_lost: lost,
        heap_allocs: heap,
        driver_allocs: driver,
        cut_through_share: cut_through as f64 / delivered.max(1) as f64,
    };
    (r, problems)
}

/// Copy each frame once: `copy_from_slice` from 64 source frames into 64 slots. Frames per second.
pub fn measure_copy(frame_len: usize, seconds: f64) -> f64 {
    let src: Vec<Vec<u8>> = (0..64).map(|i| vec![i as u8; frame_len]).collect();
    let mut dst: Vec<Vec<u8>> = (0..64).map(|_| vec![0u8; 1536]).collect();
    let budget = Duration::from_secs_f64(seconds);
    let mut frames = 0u64;
    let start = Instant::now();
    loop {
        for _ in 0..1024 {
            let i = (frames % 64) as usize;
            dst[i][..frame_len].copy_from_slice(black_box(&src[i]));
            black_box(&mut dst[i]);
            frames += 1;
        }
        if start.elapsed() >= budget {
            break;
        }
    }
    frames as f64 / start.elapsed().as_secs_f64()
}

pub fn run(seconds: f64) -> BenchReport {
    pin_to_one_cpu();
    let mut problems = Vec::new();
    let (p64, v64) = measure_path(64, seconds);
    let (p1514, v1514) = measure_path(1514, seconds);
    problems.extend(v64.into_iter().chain(v1514).map(|v| format!("verifier: {v}")));
    for p in [&p64, &p1514] {
        if p.frames_lost > 0 {
            problems.push(format!("{} of the {}-byte frames did not reach B", p.frames_lost, p.frame_len));
        }
    }
    let c64 = measure_copy(64, seconds.min(0.5));
    let c1514 = measure_copy(1514, seconds.min(0.5));
    let frames = (p64.frames + p1514.frames).max(1) as f64;
    let ok = problems.is_empty();
    BenchReport {
        pps_64: p64.pps,
        pps_1514: p1514.pps,
        gbps_1514: p1514.pps * 1514.0 * 8.0 / 1e9,
        copy_baseline_pps_64: c64,
        copy_baseline_pps_1514: c1514,
        ratio_64: c64 / p64.pps,
        ratio_1514: c1514 / p1514.pps,
        allocs_per_frame: (p64.heap_allocs + p1514.heap_allocs) as f64 / frames,
        driver_allocs_per_frame: (p64.driver_allocs + p1514.driver_allocs) as f64 / frames,
        frames_per_round: FRAMES_PER_ROUND,
        path_64: p64,
        path_1514: p1514,
        problems,
        ok,
    }
}

pub fn summary(r: &BenchReport) -> String {
    let mut s = String::new();
    s += &format!(
        "data path A -> driver -> hub -> driver -> B (one core, checks off, {} frames per send call)\n",
        r.frames_per_round
    );
    for (p, c, ratio) in [
        (&r.path_64, r.copy_baseline_pps_64, r.ratio_64),
        (&r.path_1514, r.copy_baseline_pps_1514, r.ratio_1514),
    ] {
        s += &format!(
            "  {:>4} bytes: {:>10.0} frames/s ({:>6.0} ns/frame, {:.2} Gbit/s) | copy baseline {:>11.0} frames/s | ratio {:.1} | cut-through {:.0} %\n",
            p.frame_len,
            p.pps,
            p.ns_per_frame,
            p.pps * p.frame_len as f64 * 8.0 / 1e9,
            c,
            ratio,
            p.cut_through_share * 100.0
        );
    }
    s += &format!(
        "  allocations per frame: {:.4} heap (whole process), {:.4} by the driver\n",
        r.allocs_per_frame, r.driver_allocs_per_frame
    );
    for p in &r.problems {
        s += &format!("  problem: {p}\n");
    }
    s
}
