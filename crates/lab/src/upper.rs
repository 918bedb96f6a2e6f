//! `--tap-upper`: each adapter's upper edge bound to a Linux TAP device in a network namespace of
//! its own, so that Linux's kernel stacks talk to each other through the real driver code, one
//! instance per adapter, and the vwire hub between them.
//!
//! What Linux sends on a namespace's TAP becomes NBLs through `MiniportSendNetBufferLists` of that
//! namespace's adapter; what the adapter indicates goes out of the TAP, and its NBLs return. Each
//! TAP carries its adapter's MAC address, as a protocol bound to the adapter would, so the driver's
//! packet filter passes what is addressed to it. The namespaces are `mplab-PID-N`, with
//! 198.51.100.N+1/24 (TEST-NET-2) on their device `mplab0`; the machine's own interfaces are never
//! touched. The TAPs offload nothing (see [`Tap::create_in`]): LSO and checksum NBL info wait for the
//! offload issue.

use crate::capture::PcapCapture;
use crate::run::{RunOptions, XorShift, end_run, send_in_bursts, shapes, start_adapters};
use crate::tap::Tap;
use kernel_sim::{AdapterId, NblShape, Sim};
use ndis_types::NDIS_STATUS_SUCCESS;
use serde::Serialize;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

/// Namespaces the lab's `--tap-upper` mode creates, at most (one per adapter).
pub const MAX_NAMESPACES: usize = 16;

/// The address of namespace `index` (adapter `index`).
pub fn address(index: usize) -> String {
    format!("198.51.100.{}", index + 1)
}

/// One adapter and the Linux namespace above it.
#[derive(Clone, Debug, Default, Serialize)]
pub struct UpperPort {
    pub adapter: usize,
    pub namespace: String,
    pub device: String,
    pub address: String,
    pub mac: String,
    /// Frames Linux sent on the TAP, handed to the adapter's send path.
    pub frames_from_linux: u64,
    pub bytes_from_linux: u64,
    /// Frames the adapter indicated, written to the TAP.
    pub frames_to_linux: u64,
    pub bytes_to_linux: u64,
    /// NBLs the adapter completed (one per send call's chunk of frames, not per frame).
    pub send_completions_ok: u64,
    pub send_completions_failed: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct UpperReport {
    pub mode: String,
    pub seed: u64,
    pub faults: String,
    pub adapters: usize,
    /// Wall-clock seconds the run carried traffic.
    pub duration_s: f64,
    pub ports: Vec<UpperPort>,
    /// MiniportInitializeEx calls an injected allocation failure failed.
    pub adapter_init_failures: u64,
    /// NBLs never completed when the run ended.
    pub sends_outstanding: u64,
    /// Frames written to the pcap file (`--pcap`).
    pub pcap_frames: Option<u64>,
    /// Model violations and leaks at the end, and anything else that went wrong.
    pub problems: Vec<String>,
    /// "ok" or "fail".
    pub verdict: String,
}

fn mac_string(mac: &[u8; 6]) -> String {
    mac.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Reject what `--tap-upper` cannot do before anything is created.
fn check(opts: &RunOptions) -> Result<(), String> {
    if !(2..=MAX_NAMESPACES).contains(&opts.adapters) {
        return Err(format!("--tap-upper needs between 2 and {MAX_NAMESPACES} adapters, one namespace each"));
    }
    if opts.tap || opts.virtual_seconds.is_some() || opts.sleep_every.is_some() {
        return Err("--tap-upper runs on the wall clock with Linux above every adapter: not with --tap, \
                    --virtual-seconds or --sleep-every"
            .into());
    }
    if opts.mtu != vwire_proto::STANDARD_MTU || opts.vlan.is_some() {
        return Err(
            "--tap-upper uses the standard MTU and no VLAN (the TAPs are set up for 1500 bytes)".into()
        );
    }
    if opts.seconds.is_some_and(|s| s.is_nan() || s < 0.0) {
        return Err("--seconds must be a non-negative number of seconds".into());
    }
    if let Some(why) = crate::tap::unavailable() {
        return Err(format!("--tap-upper is not available here: {why}"));
    }
    Ok(())
}

/// Run until `--seconds` pass (default: until Ctrl-C). Errors are setup failures.
pub fn run(opts: &RunOptions) -> Result<UpperReport, String> {
    check(opts)?;
    let mut bridge = Bridge::start(opts, &format!("mplab-{}", std::process::id()))?;
    if opts.progress {
        eprintln!("{}", usage(&bridge.report));
    }
    // An error drops the bridge, and with its TAPs the namespaces.
    bridge.carry(opts)?;
    Ok(bridge.finish())
}

/// What the console shows before the traffic: the namespaces and how to use them.
pub fn usage(r: &UpperReport) -> String {
    let mut s = String::from("tap-upper: Linux above every adapter, the vwire hub between them\n");
    for p in &r.ports {
        s.push_str(&format!(
            "  namespace {}: {} {}/24 (MAC {}) <-> adapter {}\n",
            p.namespace, p.device, p.address, p.mac, p.adapter
        ));
    }
    if let [a, b, ..] = r.ports.as_slice() {
        s.push_str(&format!(
            "Try, from another shell (Ctrl-C here ends the run and removes the namespaces):\n\
             \x20 ip netns exec {} ping -c 3 {}\n\
             \x20 ip netns exec {} iperf3 -s -1 -D; ip netns exec {} iperf3 -c {} -t 5\n\
             \x20 ip netns exec {} tcpdump -ni {}\n",
            a.namespace, b.address, b.namespace, a.namespace, b.address, a.namespace, a.device
        ));
    }
    s
}

/// What sits above an adapter in a [`Bridge`]: the protocol side, as Linux's TAP device is, or
/// frames in memory (the tests).
pub trait FramePort: Sized {
    /// Every frame sent since the last call.
    fn read_frames(&mut self) -> io::Result<Vec<Vec<u8>>>;
    /// Hand over frames the adapter indicated.
    fn write_frames(&mut self, frames: &[Vec<u8>]) -> io::Result<()>;
    /// Sleep until any of `ports` has a frame or `timeout` passes.
    fn wait_any(ports: &[Self], timeout: Duration);
}

impl FramePort for Tap {
    fn read_frames(&mut self) -> io::Result<Vec<Vec<u8>>> {
        Tap::read_frames(self)
    }

    fn write_frames(&mut self, frames: &[Vec<u8>]) -> io::Result<()> {
        Tap::write_frames(self, frames)
    }

    fn wait_any(ports: &[Self], timeout: Duration) {
        crate::tap::wait_any(ports, timeout);
    }
}

/// A running `--tap-upper` setup: the model with the driver and its adapters, a port (a TAP in a
/// namespace) above each, and what has crossed so far.
pub struct Bridge<P: FramePort = Tap> {
    // Dropped first: the namespaces go even if dropping the model panics on a violation.
    upper: Vec<P>,
    sim: Sim,
    ids: Vec<AdapterId>,
    rng: XorShift,
    /// The NBL layouts sends take, picked per call by the seed (as in a smoltcp run).
    shapes: [NblShape; 4],
    pub report: UpperReport,
    /// When the bridge started, on the wall clock and on the model's: virtual time follows.
    wall_start: Instant,
    virtual_start: Duration,
    /// Written by the model's capture while frames cross; finished at the end.
    capture: Option<PcapCapture>,
}

impl Bridge<Tap> {
    /// The driver loaded, `opts.adapters` adapters running, and namespace `{prefix}-N` with its TAP
    /// above adapter N. Dropping the bridge deletes the namespaces.
    pub fn start(opts: &RunOptions, prefix: &str) -> Result<Bridge, String> {
        Self::start_with(opts, |i, mac| {
            let namespace = format!("{prefix}-{i}");
            let tap = Tap::create_in(&namespace, &address(i), &mac_string(&mac))?;
            Ok((tap, namespace, crate::tap::DEVICE.into()))
        })
    }
}

impl<P: FramePort> Bridge<P> {
    /// The driver loaded, `opts.adapters` adapters running, and above adapter N the port
    /// `port_for(N, its MAC)` makes, with the namespace and device names the report shows.
    pub fn start_with(
        opts: &RunOptions,
        mut port_for: impl FnMut(usize, [u8; 6]) -> Result<(P, String, String), String>,
    ) -> Result<Self, String> {
        let capture = match &opts.pcap {
            Some(path) => Some(PcapCapture::create(path)?),
            None => None,
        };
        let (sim, adapters) = start_adapters(opts, capture.as_ref(), |_| ())?;
        let mut upper = Vec::new();
        let mut ports = Vec::new();
        for (i, &(adapter, mac)) in adapters.running.iter().enumerate() {
            // A failure drops the ports made so far (for TAPs, deleting their namespaces).
            let (port, namespace, device) = port_for(i, mac)?;
            upper.push(port);
            ports.push(UpperPort {
                adapter: adapter.0,
                namespace,
                device,
                address: address(i),
                mac: mac_string(&mac),
                ..UpperPort::default()
            });
        }
        let report = UpperReport {
            mode: "tap-upper".into(),
            seed: opts.seed,
            faults: opts.faults.to_string(),
            adapters: opts.adapters,
            adapter_init_failures: adapters.init_failures,
            ports,
            ..UpperReport::default()
        };
        let virtual_start = sim.now();
        Ok(Bridge {
            wall_start: Instant::now(),
            virtual_start,
            sim,
            ids: adapters.running.iter().map(|&(a, _)| a).collect(),
            upper,
            rng: XorShift(opts.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1),
            shapes: shapes(),
            report,
            capture,
        })
    }

    /// The port above adapter `index`.
    #[cfg(test)]
    pub(crate) fn port(&mut self, index: usize) -> &mut P {
        &mut self.upper[index]
    }

    #[cfg(test)]
    pub(crate) fn sim(&self) -> &Sim {
        &self.sim
    }

    /// For a throughput figure: no call trace (formatting it costs as much as the driver's work).
    /// The model's per-frame checks stay: they are what hands the indicated frames up.
    pub fn measure_only(&self) {
        self.sim.set_call_log_limit(Some(0));
    }

    /// Move frames until the bound or Ctrl-C.
    fn carry(&mut self, opts: &RunOptions) -> Result<(), String> {
        let bound =
            opts.seconds.map_or(Duration::MAX, |s| Duration::try_from_secs_f64(s).unwrap_or(Duration::MAX));
        let start = Instant::now();
        let mut shown = Instant::now();
        while !opts.stop.load(Ordering::Relaxed) && start.elapsed() < bound {
            self.pump()?;
            if opts.progress && shown.elapsed() >= Duration::from_millis(500) {
                shown = Instant::now();
                progress(&self.report, start);
            }
        }
        if opts.progress && std::io::stderr().is_terminal() {
            eprintln!();
        }
        self.report.duration_s = start.elapsed().as_secs_f64();
        Ok(())
    }

    /// Virtual time caught up with the wall clock (Linux runs on it), one round of frames, and a
    /// short wait for Linux if nothing moved.
    pub fn pump(&mut self) -> Result<(), String> {
        let target = self.virtual_start + self.wall_start.elapsed();
        let now = self.sim.now();
        if target > now {
            self.sim.advance_time(target - now);
        }
        if !self.step()? {
            P::wait_any(&self.upper, Duration::from_millis(1));
        }
        Ok(())
    }

    /// Every adapter halted and the driver unloaded; the model's violations and leaks are the
    /// run's problems. The namespaces go first.
    pub fn finish(mut self) -> UpperReport {
        // What is still in flight settles: sends complete, indications go up.
        for _ in 0..20 {
            match self.step() {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    self.report.problems.push(e);
                    break;
                }
            }
        }
        self.upper.clear();
        let r = &mut self.report;
        match end_run(&self.sim, &self.ids, self.capture.take()) {
            Ok(ending) => {
                r.sends_outstanding = ending.sends_outstanding;
                if ending.sends_outstanding > 0 {
                    r.problems.push(format!("{} send(s) never completed", ending.sends_outstanding));
                }
                r.pcap_frames = ending.pcap_frames;
                r.problems.extend(ending.reads_missing);
                r.problems.extend(ending.violations.into_iter().map(|v| format!("violation {v}")));
                r.problems.extend(ending.leaks.into_iter().map(|l| format!("leak: {l}")));
            }
            Err(e) => r.problems.push(e),
        }
        r.verdict = if r.problems.is_empty() { "ok" } else { "fail" }.into();
        std::mem::take(r)
    }

    /// One round: what Linux sent goes down through each adapter, the model runs until idle, and
    /// what each adapter indicated goes up to its TAP. True if frames moved.
    fn step(&mut self) -> Result<bool, String> {
        let r = &mut self.report;
        let mut moved = false;
        for (i, tap) in self.upper.iter_mut().enumerate() {
            let frames = tap.read_frames().map_err(|e| format!("TAP {i} read: {e}"))?;
            if frames.is_empty() {
                continue;
            }
            moved = true;
            if let Some(port) = r.ports.get_mut(i) {
                port.frames_from_linux += frames.len() as u64;
                port.bytes_from_linux += total_bytes(&frames);
            }
            send_in_bursts(&self.sim, self.ids[i], &frames, &self.shapes, &mut self.rng);
        }
        self.sim.run_until_idle();
        for (i, tap) in self.upper.iter_mut().enumerate() {
            let frames = self.sim.take_received_frames(self.ids[i]);
            if frames.is_empty() {
                continue;
            }
            moved = true;
            if let Some(port) = r.ports.get_mut(i) {
                port.frames_to_linux += frames.len() as u64;
                port.bytes_to_linux += total_bytes(&frames);
            }
            tap.write_frames(&frames).map_err(|e| format!("TAP {i} write: {e}"))?;
        }
        for (_, adapter, status) in self.sim.retire_completed_sends() {
            let Some(port) = r.ports.iter_mut().find(|p| p.adapter == adapter.0) else { continue };
            if status == NDIS_STATUS_SUCCESS {
                port.send_completions_ok += 1;
            } else {
                port.send_completions_failed += 1;
            }
        }
        Ok(moved)
    }
}

fn total_bytes(frames: &[Vec<u8>]) -> u64 {
    frames.iter().map(|f| f.len() as u64).sum()
}

fn progress(r: &UpperReport, start: Instant) {
    let ports: Vec<String> = r
        .ports
        .iter()
        .map(|p| format!("{} down {} up {}", p.address, p.frames_from_linux, p.frames_to_linux))
        .collect();
    let line = format!("[{:5.1}s tap-upper] frames {}", start.elapsed().as_secs_f64(), ports.join(" | "));
    let mut err = std::io::stderr().lock();
    if err.is_terminal() {
        let _ = write!(err, "\r{line:<100}");
    } else {
        let _ = writeln!(err, "{line}");
    }
    let _ = err.flush();
}

/// The console summary.
pub fn summary(r: &UpperReport) -> String {
    let mut s = format!(
        "tap-upper: {} adapters, seed {}, faults {}, {:.1} s\n",
        r.adapters, r.seed, r.faults, r.duration_s
    );
    for p in &r.ports {
        s.push_str(&format!(
            "  adapter {} ({} in {}): from Linux {} frames / {} bytes (NBLs completed ok {}, failed {}), to Linux {} frames / {} bytes\n",
            p.adapter,
            p.address,
            p.namespace,
            p.frames_from_linux,
            p.bytes_from_linux,
            p.send_completions_ok,
            p.send_completions_failed,
            p.frames_to_linux,
            p.bytes_to_linux
        ));
    }
    if let Some(frames) = r.pcap_frames {
        s.push_str(&format!("  pcap: {frames} frames\n"));
    }
    for p in &r.problems {
        s.push_str(&format!("  problem: {p}\n"));
    }
    s.push_str(&format!("verdict: {}\n", r.verdict));
    s
}

#[cfg(test)]
mod tests {
    use super::{Bridge, FramePort};
    use crate::run::RunOptions;
    use std::collections::VecDeque;
    use std::io;
    use std::time::Duration;

    /// A protocol above an adapter in memory: what it will send, and what it was handed.
    #[derive(Default)]
    struct MemoryPort {
        to_send: VecDeque<Vec<u8>>,
        received: Vec<Vec<u8>>,
    }

    impl FramePort for MemoryPort {
        fn read_frames(&mut self) -> io::Result<Vec<Vec<u8>>> {
            Ok(self.to_send.drain(..).collect())
        }

        fn write_frames(&mut self, frames: &[Vec<u8>]) -> io::Result<()> {
            self.received.extend_from_slice(frames);
            Ok(())
        }

        fn wait_any(_: &[Self], _: Duration) {}
    }

    fn bridge(seed: u64) -> (Bridge<MemoryPort>, Vec<[u8; 6]>) {
        let opts = RunOptions { seed, progress: false, ..RunOptions::default() };
        let mut macs = Vec::new();
        let bridge = Bridge::start_with(&opts, |i, mac| {
            macs.push(mac);
            Ok((MemoryPort::default(), format!("memory-{i}"), "memory".into()))
        })
        .expect("start");
        (bridge, macs)
    }

    fn frame(to: [u8; 6], fill: u8, length: usize) -> Vec<u8> {
        let mut f = vec![fill; length];
        f[..6].copy_from_slice(&to);
        f[6..12].copy_from_slice(&[0x02, 0, 0, 0, 0xAA, fill]);
        f[12..14].copy_from_slice(&[0x88, 0xB5]);
        f
    }

    /// What the protocol above adapter 0 sends comes out above adapter 1 (unicast to adapter 1's
    /// address, and broadcast) byte for byte, never back to the sender; each side's counts and the
    /// NBL completions add up, and the run ends clean.
    #[test]
    fn frames_cross_from_one_protocol_to_the_other_through_two_adapters() {
        let (mut bridge, macs) = bridge(3);
        let unicast = frame(macs[1], 0x31, 1514);
        let broadcast = frame([0xFF; 6], 0x32, 60);
        let short = frame(macs[1], 0x33, 42);
        bridge.port(0).to_send.extend([unicast.clone(), broadcast.clone(), short.clone()]);
        for _ in 0..5 {
            bridge.pump().expect("pump");
        }
        let mut padded = short.clone();
        padded.resize(60, 0);
        assert_eq!(
            bridge.port(1).received,
            vec![unicast, broadcast, padded],
            "in order, a runt padded to 60"
        );
        assert!(bridge.port(0).received.is_empty(), "nothing back to the sender");
        let report = bridge.finish();
        assert_eq!(report.verdict, "ok", "{:?}", report.problems);
        let (a, b) = (&report.ports[0], &report.ports[1]);
        assert_eq!((a.frames_from_linux, a.bytes_from_linux), (3, 1514 + 60 + 42));
        assert_eq!((b.frames_to_linux, b.bytes_to_linux), (3, 1514 + 60 + 60));
        assert!(a.send_completions_ok >= 1 && a.send_completions_failed == 0, "{a:?}");
        assert_eq!(report.sends_outstanding, 0);
    }

    /// A rule the model sees broken during the run makes the verdict "fail" with the violation
    /// among the problems: the report is still made (the violation is taken, so dropping the model
    /// does not abort the process).
    #[test]
    fn a_violation_fails_the_verdict_and_the_report_is_still_made() {
        let (mut bridge, _) = bridge(4);
        bridge.sim().check_device_create_api("WdfDeviceCreate");
        bridge.pump().expect("pump");
        let report = bridge.finish();
        assert_eq!(report.verdict, "fail");
        assert!(
            report.problems.iter().any(|p| p.contains("Kmdf.MiniportNoWdfDeviceCreate")),
            "{:?}",
            report.problems
        );
    }
}
