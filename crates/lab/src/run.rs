//! `miniport-lab run`: the driver in the model, adapters on one hub, a TCP/IP stack above each, and
//! ARP, ping and verified TCP bulk transfers between them (optionally with the Linux kernel's stack
//! on a TAP port, see [`crate::tap`]).

use crate::capture::PcapCapture;
use crate::faults::FaultSpec;
use crate::stack::Node;
use crate::tap::Tap;
use kernel_sim::{AdapterId, InlineService, NblShape, RegValue, Sim, SimConfig};
use ndis_types::oid::*;
use ndis_types::*;
use serde::Serialize;
use std::cell::RefCell;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use vwire_proto::{JUMBO_MTU, STANDARD_MTU};

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub adapters: usize,
    /// Wall-clock seconds of traffic; None: until Ctrl-C (TAP mode) or 5 s.
    pub seconds: Option<f64>,
    /// Seconds of traffic in the model's virtual time instead (not with `tap`): nothing in the
    /// run then depends on the wall clock, so the same seed and options replay it exactly.
    pub virtual_seconds: Option<f64>,
    /// Virtual time the drain may take (default [`DRAIN_VIRTUAL`]).
    pub drain_virtual_limit: Option<Duration>,
    pub seed: u64,
    pub faults: FaultSpec,
    pub pcap: Option<PathBuf>,
    /// Progress lines on stderr.
    pub progress: bool,
    /// Bridge a hub port to a TAP device in a fresh network namespace.
    pub tap: bool,
    /// Set by Ctrl-C: stop early (the run still drains, verifies and cleans up).
    pub stop: Arc<AtomicBool>,
    /// Whether the ports below serve reads inside the sends that make them possible (the
    /// receive path of one adapter then runs inside another's send); seeded: per send.
    pub inline: InlineService,
    /// The IP MTU of every adapter (`*JumboPacket` = MTU + 14) and of the stacks above them.
    pub mtu: u16,
    /// Every adapter on this VLAN (`VlanID`): the driver tags what goes on the wire.
    pub vlan: Option<u16>,
    /// A system sleep and resume of every adapter this often (on the run's clock).
    pub sleep_every: Option<f64>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            adapters: 2,
            seconds: None,
            virtual_seconds: None,
            drain_virtual_limit: None,
            seed: 1,
            faults: FaultSpec::default(),
            pcap: None,
            progress: false,
            tap: false,
            stop: Arc::new(AtomicBool::new(false)),
            inline: InlineService::Seeded,
            mtu: STANDARD_MTU,
            vlan: None,
            sleep_every: None,
        }
    }
}

/// Per-adapter driver counters (OIDs) at the end of the run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AdapterReport {
    pub adapter: usize,
    pub mac: String,
    pub ip: String,
    pub xmit_ok: u64,
    pub rcv_ok: u64,
    pub xmit_error: u64,
    pub rcv_error: u64,
    pub rcv_no_buffer: u64,
    pub rcv_discards: u64,
    pub xmit_discards: u64,
    pub tcp_bytes_sent: u64,
    pub tcp_bytes_verified: u64,
    pub ping_sent: u64,
    pub ping_replies: u64,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct TapReport {
    pub namespace: String,
    pub device: String,
    pub frames_from_linux: u64,
    pub frames_to_linux: u64,
    pub echo_bytes: u64,
    pub http_requests: u64,
    pub http_bytes: u64,
}

/// The run's result: what `--json` prints.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Report {
    pub adapters: usize,
    pub seed: u64,
    /// The adapters' MTU (`--mtu`) and VLAN (`--vlan`).
    pub mtu: u16,
    pub vlan: Option<u16>,
    /// System sleep and resume cycles the adapters went through (`--sleep-every`).
    pub sleep_cycles: u64,
    /// What the adapters put on the wire (every frame their ports wrote to the hub): how many,
    /// how many carried the run's VLAN tag, and the longest.
    pub wire: WireStats,
    /// What bounded the traffic: "virtual" (`--virtual-seconds`: the run replays from its seed)
    /// or "wall" (`--seconds`).
    pub clock: String,
    /// Seconds of traffic on that clock.
    pub duration_s: f64,
    pub virtual_time_s: f64,
    /// Wall-clock seconds the whole run took (the summary shows it; not in the JSON, which a
    /// virtual run must reproduce exactly).
    #[serde(skip)]
    pub wall_s: f64,
    /// Virtual seconds the drain (closing the streams after the traffic) took.
    pub drain_virtual_s: f64,
    /// The streams were still open when the drain's bound ran out.
    pub drain_timed_out: bool,
    pub faults: String,
    pub frames_sent: u64,
    pub frames_received: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub arp_frames: u64,
    pub ping_sent: u64,
    pub ping_replies: u64,
    pub ping_lost: u64,
    pub ping_rtt_avg_us: f64,
    pub tcp_bytes_sent: u64,
    pub tcp_bytes_verified: u64,
    pub tcp_corrupt_bytes: u64,
    pub tcp_goodput_bps: f64,
    pub send_completions_ok: u64,
    pub send_completions_failed: u64,
    pub sends_outstanding: u64,
    pub hub_dropped_fault: u64,
    pub hub_corrupted_fault: u64,
    pub hub_dropped_queue_full: u64,
    /// Frames the adapters' ports lost while their devices slept (`--sleep-every`): dropped on
    /// arrival at a powered-down port, or discarded from its queue when it powered down.
    pub hub_lost_powered_down: u64,
    pub adapter_init_failures: u64,
    pub pcap_file: Option<String>,
    pub pcap_frames: u64,
    pub verifier_violations: usize,
    pub violations: Vec<String>,
    pub leaks: usize,
    pub leak_report: Vec<String>,
    /// The most driver callbacks ever nested on the model's stack (kernel-sim's bound is
    /// `MAX_NESTED_CALLBACKS`).
    pub deepest_nesting: usize,
    /// Data segments of the bulk streams the stacks sent, and how many of them carried bytes the
    /// same stream had carried before (retransmissions, counted by the lab on the wire).
    pub tcp_data_segments: u64,
    pub tcp_retransmissions: u64,
    /// Where every frame went: the evidence behind the verdict.
    pub accounting: Accounting,
    pub per_adapter: Vec<AdapterReport>,
    pub tap: Option<TapReport>,
    /// "ok": nothing lost, corrupted, leaked or violated, every stream drained. "slow": the streams
    /// did not drain in time (or, under lossy faults, no ping or no handshake got through), but
    /// every frame is accounted for and every byte that arrived was right: the stack is only slow
    /// (see `tcp_retransmissions`). "failed": data was lost or corrupted, or a rule was broken
    /// (`problems` says what).
    pub verdict: String,
    pub problems: Vec<String>,
    pub ok: bool,
}

/// The frames the adapters wrote to the hub, as the capture sees them.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct WireStats {
    pub frames: u64,
    /// Frames with an 802.1Q tag of the run's VLAN.
    pub tagged_with_vlan: u64,
    pub longest_frame: u64,
}

impl WireStats {
    fn count(&mut self, frame: &[u8], vlan: Option<u16>) {
        self.frames += 1;
        self.longest_frame = self.longest_frame.max(frame.len() as u64);
        let tag = frame.get(12..16).filter(|t| t[..2] == [0x81, 0x00]);
        if let (Some(tag), Some(vlan)) = (tag, vlan)
            && u16::from_be_bytes([tag[2], tag[3]]) & 0x0FFF == vlan
        {
            self.tagged_with_vlan += 1;
        }
    }
}

/// Every frame of a run from the stacks through the driver and the hub back to the stacks. When
/// `balanced`, each frame a stack handed down was delivered to a stack or counted as dropped by a
/// fault (or a full queue) in the hub: nothing vanished in the driver or the hub.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Accounting {
    /// Frames the stacks handed to their adapters.
    pub stack_frames_down: u64,
    /// Frames the driver reported sent (OID_GEN_XMIT_OK), and failed or discarded.
    pub driver_xmit_ok: u64,
    pub driver_xmit_failed: u64,
    /// Frames the hub accepted from the adapters' writes (its ports' `tx_frames`).
    pub hub_frames_in: u64,
    /// Frames written to the hub from the tap port (Linux, with --tap).
    pub hub_frames_from_tap: u64,
    /// What the hub made of every frame written to it: copies delivered to a port (queued, or
    /// written straight into a parked read), dropped (fault, link down, full queue), unrouted.
    pub hub_copies_delivered: u64,
    /// Of those delivered, the copies written straight into a parked read (cut-through).
    pub hub_copies_cut_through: u64,
    pub hub_dropped: u64,
    pub hub_unrouted: u64,
    /// Copies the adapters' ports read, the tap port read, still queued at the end, and lost from
    /// a port's queue when its device powered down for a sleep (a powered-off NIC's FIFO).
    pub hub_copies_read: u64,
    pub hub_copies_to_tap: u64,
    pub hub_copies_pending: u64,
    pub hub_copies_lost_at_power_down: u64,
    /// Copies the hub corrupted on purpose (`corrupt=`).
    pub hub_corrupted: u64,
    /// Frames the driver indicated up (OID_GEN_RCV_OK) and dropped (no buffer, discards).
    pub driver_rcv_ok: u64,
    pub driver_rcv_dropped: u64,
    /// Copies of frames from the tap addressed to neither the adapter nor broadcast (the packet
    /// filter may drop them).
    pub tap_filterable: u64,
    /// Copies read that the driver neither indicated nor counted: at most the corrupted ones (a
    /// flipped destination address fails the packet filter, which drops the frame silently) and
    /// the tap's filterable ones.
    pub driver_filtered: u64,
    /// Frames the stacks were given.
    pub stack_frames_up: u64,
    pub balanced: bool,
    /// Each equation that did not hold.
    pub unbalanced: Vec<String>,
}

impl Accounting {
    fn check(&mut self) {
        let mut eq = |what: &str, left: u64, right: u64| {
            if left != right {
                self.unbalanced.push(format!("{what}: {left} != {right}"));
            }
        };
        eq(
            "frames the stacks handed down != frames the driver sent + failed",
            self.stack_frames_down,
            self.driver_xmit_ok + self.driver_xmit_failed,
        );
        eq("frames the driver sent != frames the hub took in", self.driver_xmit_ok, self.hub_frames_in);
        eq(
            "copies the hub delivered != copies read + still queued + lost at power-down",
            self.hub_copies_delivered,
            self.hub_copies_read
                + self.hub_copies_to_tap
                + self.hub_copies_pending
                + self.hub_copies_lost_at_power_down,
        );
        self.driver_filtered =
            self.hub_copies_read.saturating_sub(self.driver_rcv_ok + self.driver_rcv_dropped);
        if self.driver_filtered > self.hub_corrupted + self.tap_filterable {
            eq(
                "copies the adapters read != frames the driver indicated + dropped + corrupted + filterable",
                self.hub_copies_read,
                self.driver_rcv_ok + self.driver_rcv_dropped + self.hub_corrupted + self.tap_filterable,
            );
        }
        eq(
            "copies the adapters read < frames the driver indicated + dropped",
            self.hub_copies_read.max(self.driver_rcv_ok + self.driver_rcv_dropped),
            self.hub_copies_read,
        );
        eq(
            "frames the driver indicated != frames the stacks were given",
            self.driver_rcv_ok,
            self.stack_frames_up,
        );
        self.balanced = self.unbalanced.is_empty();
    }
}

/// Retransmissions on the bulk streams, seen on the wire: per stream, the highest sequence number
/// sent so far; a data segment that does not go past it carries bytes sent before.
#[derive(Default)]
struct RetransmitCounter {
    high: std::collections::BTreeMap<([u8; 4], u16, [u8; 4], u16), u32>,
    segments: u64,
    retransmissions: u64,
}

impl RetransmitCounter {
    fn frame(&mut self, f: &[u8]) {
        // Ethernet, IPv4, TCP to the bulk port.
        if f.len() < 14 + 20 || f[12..14] != [0x08, 0x00] || f[14 + 9] != 6 {
            return;
        }
        let ihl = usize::from(f[14] & 0x0f) * 4;
        let total = usize::from(u16::from_be_bytes([f[16], f[17]]));
        let Some(tcp) = f.get(14 + ihl..(14 + total).min(f.len())) else { return };
        if tcp.len() < 20 {
            return;
        }
        let (sport, dport) = (u16::from_be_bytes([tcp[0], tcp[1]]), u16::from_be_bytes([tcp[2], tcp[3]]));
        if dport != crate::stack::BULK_PORT {
            return;
        }
        let key = (
            f[26..30].try_into().unwrap_or_default(),
            sport,
            f[30..34].try_into().unwrap_or_default(),
            dport,
        );
        let seq = u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]]);
        let flags = tcp[13];
        let payload = tcp.len().saturating_sub(usize::from(tcp[12] >> 4) * 4) as u32;
        if flags & 0x02 != 0 {
            // SYN: a new stream on this tuple.
            self.high.insert(key, seq.wrapping_add(1));
            return;
        }
        if payload == 0 {
            return;
        }
        self.segments += 1;
        let end = seq.wrapping_add(payload);
        let high = self.high.entry(key).or_insert(seq);
        if (end.wrapping_sub(*high) as i32) <= 0 || (seq.wrapping_sub(*high) as i32) < 0 {
            self.retransmissions += 1;
        }
        if (end.wrapping_sub(*high) as i32) > 0 {
            *high = end;
        }
    }
}

/// Frames per `MiniportSendNetBufferLists` call: a stack's whole burst (the driver queues at most
/// 1024 NBLs before it refuses more with NDIS_STATUS_RESOURCES).
pub const SEND_BURST: usize = 512;

/// NBL layouts the protocol side uses for its sends, picked per send by the seed: several
/// NET_BUFFERs per NBL (so NBLs straddle write requests), MDL chains split at header boundaries, and
/// a data offset.
pub(crate) fn shapes() -> [NblShape; 4] {
    [
        NblShape::default(),
        NblShape { nbs_per_nbl: 3, mdl_split: vec![], data_offset: 0, ..NblShape::default() },
        NblShape { nbs_per_nbl: 1, mdl_split: vec![14, 20], data_offset: 0, ..NblShape::default() },
        NblShape { nbs_per_nbl: 2, mdl_split: vec![54], data_offset: 10, ..NblShape::default() },
    ]
}

pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

fn mac_string(m: &[u8]) -> String {
    m.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A 32-bit OID's value, if the query succeeds.
fn counter32(sim: &Sim, a: AdapterId, oid: u32) -> Option<u32> {
    let r = sim.oid_query(a, oid, 4);
    (r.status == NDIS_STATUS_SUCCESS && r.data.len() >= 4)
        .then(|| u32::from_ne_bytes(r.data[..4].try_into().unwrap_or_default()))
}

fn counter(sim: &Sim, a: AdapterId, oid: u32) -> u64 {
    let r = sim.oid_query(a, oid, 8);
    if r.status != NDIS_STATUS_SUCCESS || r.data.len() < 8 {
        return 0;
    }
    u64::from_ne_bytes(r.data[..8].try_into().unwrap_or_default())
}

/// The model with the driver, the stacks and the counters.
struct Lab {
    sim: Sim,
    nodes: Vec<Node>,
    rng: XorShift,
    shapes: [NblShape; 4],
    r: Report,
    tap: Option<Tap>,
    retransmits: RetransmitCounter,
    wire: Rc<RefCell<WireStats>>,
}

impl Lab {
    /// One round: every stack runs, what it sends goes down through its adapter, the model runs
    /// until idle, and what the adapters indicated goes up to the stacks. True if frames moved.
    fn step(&mut self) -> Result<bool, String> {
        let now = self.sim.now();
        let mut moved = false;
        if let Some(tap) = self.tap.as_mut() {
            let frames = tap.read_frames().map_err(|e| format!("TAP read: {e}"))?;
            if !frames.is_empty() {
                moved = true;
                // Frames the driver's packet filter may drop in silence: multicast (IPv6 neighbour
                // discovery, MLD) or unicast to another station, flooded to every adapter port.
                let mac = self.nodes[0].mac;
                let filterable =
                    frames.iter().filter(|f| f.len() >= 6 && f[..6] != [0xff; 6] && f[..6] != mac).count();
                self.r.accounting.tap_filterable += (filterable * self.nodes.len()) as u64;
                let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
                self.sim.inject_frames(self.nodes[0].adapter, &refs);
                if let Some(t) = self.r.tap.as_mut() {
                    t.frames_from_linux += frames.len() as u64;
                }
            }
        }
        for node in &mut self.nodes {
            node.poll(now);
            let frames = std::mem::take(&mut node.dev.tx);
            if frames.is_empty() {
                continue;
            }
            moved = true;
            for f in &frames {
                self.retransmits.frame(f);
                self.r.frames_sent += 1;
                self.r.bytes_sent += f.len() as u64;
                if f.len() >= 14 && f[12..14] == [0x08, 0x06] {
                    self.r.arp_frames += 1;
                }
            }
            send_in_bursts(&self.sim, node.adapter, &frames, &self.shapes, &mut self.rng);
        }
        self.sim.run_until_idle();
        for node in &mut self.nodes {
            let frames = self.sim.take_received_frames(node.adapter);
            if !frames.is_empty() {
                moved = true;
            }
            for f in frames {
                self.r.frames_received += 1;
                self.r.bytes_received += f.len() as u64;
                node.dev.rx.push_back(f);
            }
        }
        if let Some(tap) = self.tap.as_mut() {
            let frames = self.sim.take_tap_frames();
            if !frames.is_empty() {
                moved = true;
                if let Some(t) = self.r.tap.as_mut() {
                    t.frames_to_linux += frames.len() as u64;
                }
                tap.write_frames(&frames).map_err(|e| format!("TAP write: {e}"))?;
            }
        }
        for (_, _, status) in self.sim.retire_completed_sends() {
            if status == NDIS_STATUS_SUCCESS {
                self.r.send_completions_ok += 1;
            } else {
                self.r.send_completions_failed += 1;
            }
        }
        Ok(moved)
    }

    /// Let virtual time pass when nothing moved: to the next stack timer, within [20 us, 5 ms].
    fn idle(&mut self) {
        let now = self.sim.now();
        let mut delay = Duration::from_millis(5);
        for node in &mut self.nodes {
            if let Some(d) = node.poll_delay(now) {
                delay = delay.min(d);
            }
        }
        self.sim.advance_time(delay.max(Duration::from_micros(20)));
    }

    /// A system sleep and resume of every adapter, as NDIS plays it (pause, D3, then D0, restart),
    /// with `SLEEP` of virtual time asleep. The stacks do not run meanwhile, as on a machine asleep;
    /// their timers catch up after. A step that fails is a problem of the run.
    fn sleep_and_resume(&mut self) {
        let adapters: Vec<AdapterId> = self.nodes.iter().map(|n| n.adapter).collect();
        for &a in &adapters {
            let status = self.sim.suspend(a);
            if status != NDIS_STATUS_SUCCESS {
                self.r.problems.push(format!("adapter {}: sleep (D3) failed with {status:#x}", a.0));
            }
        }
        self.sim.advance_time(SLEEP);
        for &a in &adapters {
            let status = self.sim.resume(a);
            if status != NDIS_STATUS_SUCCESS {
                self.r
                    .problems
                    .push(format!("adapter {}: resume (D0, restart) failed with {status:#x}", a.0));
            }
        }
        self.r.sleep_cycles += 1;
    }

    fn tcp_verified(&self) -> u64 {
        self.nodes.iter().map(|n| n.bulk().verified).sum()
    }
}

/// Bring up the model, the adapters and the stacks.
fn boot(opts: &RunOptions, capture: Option<&PcapCapture>) -> Result<Lab, String> {
    if opts.adapters == 0 || opts.adapters > 60 {
        return Err("--adapters must be between 1 and 60".into());
    }
    if opts.adapters < 2 && !opts.tap {
        return Err("--adapters must be at least 2 (traffic flows between adapters), or use --tap".into());
    }
    if !(STANDARD_MTU..=JUMBO_MTU).contains(&opts.mtu) {
        return Err(format!("--mtu must be between {STANDARD_MTU} and {JUMBO_MTU} (the hub's jumbo MTU)"));
    }
    if opts.vlan.is_some_and(|v| !(1..=4094).contains(&v)) {
        return Err("--vlan must be a VLAN ID between 1 and 4094".into());
    }
    if opts.tap && (opts.mtu != STANDARD_MTU || opts.vlan.is_some() || opts.sleep_every.is_some()) {
        return Err("--mtu, --vlan and --sleep-every are for runs between adapters, not with --tap".into());
    }
    if opts.sleep_every.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
        return Err("--sleep-every must be a positive number of seconds".into());
    }
    // Every frame an adapter writes is counted for the verdict (tags, lengths), and goes to the
    // pcap file if there is one.
    let wire = Rc::new(RefCell::new(WireStats::default()));
    let counted = wire.clone();
    let vlan = opts.vlan;
    let (sim, adapters) = start_adapters(opts, capture, move |f| {
        if f.adapter.is_some() {
            counted.borrow_mut().count(f.frame, vlan);
        }
    })?;
    let r = Report {
        adapters: opts.adapters,
        seed: opts.seed,
        mtu: opts.mtu,
        vlan: opts.vlan,
        faults: opts.faults.to_string(),
        adapter_init_failures: adapters.init_failures,
        ..Report::default()
    };
    let mut nodes = Vec::new();
    for (i, &(a, mac)) in adapters.running.iter().enumerate() {
        nodes.push(Node::with_mtu(i, a, mac, opts.seed, sim.now(), opts.mtu));
    }
    let n = nodes.len();
    if n >= 2 {
        for (i, node) in nodes.iter_mut().enumerate() {
            node.join_ring((i + 1) % n, (i + n - 1) % n, true);
        }
    }
    Ok(Lab {
        sim,
        nodes,
        rng: XorShift(opts.seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1),
        shapes: shapes(),
        r,
        tap: None,
        retransmits: RetransmitCounter::default(),
        wire,
    })
}

/// `frames` down through `adapter`: at most SEND_BURST frames per send call, each call's NBLs laid
/// out in one of `shapes` by the seed; the model runs (deliveries, completions, NBL returns) between
/// calls.
pub(crate) fn send_in_bursts(
    sim: &Sim,
    adapter: AdapterId,
    frames: &[Vec<u8>],
    shapes: &[NblShape],
    rng: &mut XorShift,
) {
    for chunk in frames.chunks(SEND_BURST) {
        let shape = shapes[(rng.next() % shapes.len() as u64) as usize].clone();
        sim.send_frames(adapter, chunk, shape);
        sim.run_until_idle();
    }
}

/// How a run ended, for its verdict.
pub(crate) struct Ending {
    /// NBLs the driver never completed.
    pub(crate) sends_outstanding: u64,
    /// Frames written to the pcap file, if there is one.
    pub(crate) pcap_frames: Option<u64>,
    pub(crate) violations: Vec<String>,
    pub(crate) leaks: Vec<String>,
    /// Running adapters whose reads were not all below once every frame NDIS held came back: a
    /// receive path that stalled, whatever the faults made of the traffic.
    pub(crate) reads_missing: Vec<String>,
}

/// The end every run shares: what was never completed counted, every adapter removed (orderly:
/// pause, halt), the capture closed and the pcap file flushed, the driver unloaded, and the
/// model's violations taken (so that dropping the model does not report them again) with its
/// leaks.
pub(crate) fn end_run(
    sim: &Sim,
    adapters: &[AdapterId],
    capture: Option<PcapCapture>,
) -> Result<Ending, String> {
    let sends_outstanding = adapters.iter().map(|&a| sim.outstanding_sends(a) as u64).sum();
    let reads_missing =
        adapters.iter().enumerate().filter_map(|(index, &a)| reads_missing(sim, index, a)).collect();
    for &a in adapters {
        sim.remove_adapter(a);
    }
    sim.set_capture(None);
    let pcap_frames = match capture {
        Some(c) => Some(c.finish()?),
        None => None,
    };
    sim.unload();
    Ok(Ending {
        sends_outstanding,
        pcap_frames,
        violations: sim.take_violations().iter().map(|v| v.to_string()).collect(),
        leaks: sim.leak_report(),
        reads_missing,
    })
}

/// For a Running adapter: every frame NDIS holds given back (a read completing meanwhile may lend
/// more, so a few rounds), then its reads counted below. A read lost on the way (never sent again)
/// shows here even when lossy faults hide it in the traffic.
fn reads_missing(sim: &Sim, index: usize, a: AdapterId) -> Option<String> {
    if sim.adapter_state(a) != kernel_sim::AdapterState::Running || sim.surprise_removed(a) {
        return None;
    }
    for _ in 0..8 {
        if sim.receive_counts(a).outstanding_nbls == 0 {
            break;
        }
        sim.return_now(a);
        sim.run_until_idle();
    }
    let outstanding = sim.receive_counts(a).outstanding_nbls;
    if outstanding > 0 {
        return Some(format!(
            "adapter {index}: {outstanding} indicated NBL(s) still with NDIS after every return was made: its reads cannot be counted"
        ));
    }
    let below = sim.lower(a).pending_reads();
    (below != kmdf_miniport::READ_REQUESTS).then(|| {
        format!(
            "adapter {index}: {below} of its {} reads below once every frame came back: the receive path lost {}",
            kmdf_miniport::READ_REQUESTS,
            kmdf_miniport::READ_REQUESTS.saturating_sub(below)
        )
    })
}

/// The adapters a run brought up: each running, with its packet filter set, and its MAC address.
pub(crate) struct Adapters {
    pub(crate) running: Vec<(AdapterId, [u8; 6])>,
    /// `MiniportInitializeEx` calls an injected allocation failure failed (PnP started again).
    pub(crate) init_failures: u64,
}

/// The model with the driver loaded and `opts.adapters` adapters on one hub, each restarted with
/// the lab's packet filter, the administrator's settings (`--mtu`, `--vlan`) checked, and the hub
/// faults on its port. Every frame crossing the hub goes to `observe`, then to the pcap file.
pub(crate) fn start_adapters(
    opts: &RunOptions,
    capture: Option<&PcapCapture>,
    mut observe: impl FnMut(&kernel_sim::CapturedFrame<'_>) + 'static,
) -> Result<(Sim, Adapters), String> {
    let sim = Sim::new(SimConfig { seed: opts.seed, faults: opts.faults.alloc.clone() });
    // A long run keeps a bounded trace and no copy of every write.
    sim.set_call_log_limit(Some(64));
    sim.set_record_writes(false);
    let mut pcap = capture.map(PcapCapture::sink);
    sim.set_capture(Some(Box::new(move |f: kernel_sim::CapturedFrame<'_>| {
        observe(&f);
        if let Some(sink) = pcap.as_mut() {
            sink(f);
        }
    })));
    // The administrator's settings, in every adapter's registry before it starts.
    if opts.mtu != STANDARD_MTU {
        sim.set_registry("*JumboPacket", Some(RegValue::Dword(u32::from(opts.mtu) + 14)));
    }
    if let Some(vlan) = opts.vlan {
        sim.set_registry("VlanID", Some(RegValue::Dword(u32::from(vlan))));
    }
    let status = sim.load(kmdf_miniport::driver_entry);
    if status != STATUS_SUCCESS {
        return Err(format!("DriverEntry failed with {status:#x}"));
    }
    let mut adapters = Vec::new();
    let mut init_failures = 0;
    while adapters.len() < opts.adapters {
        match sim.add_adapter() {
            Ok(a) => {
                sim.lower(a).set_inline_service(opts.inline);
                adapters.push(a);
            }
            Err(status) => {
                // An injected allocation failure failed MiniportInitializeEx; PnP tries another start.
                init_failures += 1;
                if init_failures > 4 {
                    return Err(format!("MiniportInitializeEx keeps failing ({status:#x})"));
                }
            }
        }
    }
    let mut running = Vec::new();
    for &a in &adapters {
        let status = sim.restart(a);
        if status != NDIS_STATUS_SUCCESS {
            return Err(format!("MiniportRestart of adapter {} failed with {status:#x}", a.0));
        }
        let set = sim.oid_set(a, OID_GEN_CURRENT_PACKET_FILTER, &crate::PACKET_FILTER.to_ne_bytes());
        if set.status != NDIS_STATUS_SUCCESS {
            return Err(format!(
                "OID_GEN_CURRENT_PACKET_FILTER on adapter {} failed with {:#x}",
                a.0, set.status
            ));
        }
        let general = sim.general_attributes(a).ok_or("no general attributes")?;
        let mac: [u8; 6] = general.current_mac_address[..6].try_into().map_err(|_| "short MAC address")?;
        // The driver took the settings, or the run would measure something else.
        let mtu = counter32(&sim, a, OID_GEN_MAXIMUM_FRAME_SIZE);
        if mtu != Some(u32::from(opts.mtu)) {
            return Err(format!("adapter {}: MTU {mtu:?}, not the {} of *JumboPacket", a.0, opts.mtu));
        }
        if let Some(vlan) = opts.vlan {
            let configured = counter32(&sim, a, OID_GEN_VLAN_ID);
            if configured != Some(u32::from(vlan)) {
                return Err(format!("adapter {}: VLAN {configured:?}, not the {vlan} of VlanID", a.0));
            }
        }
        sim.set_faults(a, opts.faults.hub);
        running.push((a, mac));
    }
    Ok((sim, Adapters { running, init_failures }))
}

struct Progress {
    on: bool,
    tty: bool,
    last: Instant,
    last_verified: u64,
}

impl Progress {
    fn show(&mut self, lab: &Lab, start: Instant, phase: &str) {
        if !self.on || self.last.elapsed() < Duration::from_millis(500) {
            return;
        }
        let dt = self.last.elapsed().as_secs_f64();
        self.last = Instant::now();
        let verified = lab.tcp_verified();
        let rate = (verified - self.last_verified) as f64 * 8.0 / dt / 1e6;
        self.last_verified = verified;
        let ping: u64 = lab.nodes.iter().map(|n| n.ping().replies).sum();
        let line = format!(
            "[{:5.1}s {phase}] frames tx {} rx {} | tcp {:.1} MB verified, {rate:.0} Mbit/s | ping replies {ping}",
            start.elapsed().as_secs_f64(),
            lab.r.frames_sent,
            lab.r.frames_received,
            verified as f64 / 1e6
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{line:<100}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn end(&self) {
        if self.on && self.tty {
            eprintln!();
        }
    }
}

/// Run the lab. Errors are setup failures (the report's `problems` hold what went wrong in a run).
pub fn run(opts: &RunOptions) -> Result<Report, String> {
    bound(opts)?;
    // The TAP first: where it is not available the run stops before anything else starts.
    let tap = if opts.tap { Some(Tap::create(opts.seed)?) } else { None };
    let capture = match &opts.pcap {
        Some(path) => Some(PcapCapture::create(path)?),
        None => None,
    };
    let mut lab = boot(opts, capture.as_ref())?;
    if let Some(tap) = tap {
        if opts.progress {
            eprintln!("{}", tap.usage());
        }
        lab.r.tap = Some(TapReport {
            namespace: tap.namespace.clone(),
            device: tap.device.clone(),
            ..TapReport::default()
        });
        lab.tap = Some(tap);
    }
    let result = traffic(&mut lab, opts);
    // The namespace goes whatever happened (a failed setup above dropped it already).
    drop(lab.tap.take());
    result?;
    finish(lab, opts, capture)
}

/// What bounds a run's traffic: the wall clock, or the model's virtual clock.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bound {
    Wall(Duration),
    Virtual(Duration),
}

/// Virtual time the adapters spend asleep in each `--sleep-every` cycle.
const SLEEP: Duration = Duration::from_millis(100);

/// Virtual time the drain may take before the verdict looks at why the streams are still open.
pub const DRAIN_VIRTUAL: Duration = Duration::from_secs(120);
/// Wall time the drain may take in a wall-clock run (a virtual run is bounded by virtual time only).
const DRAIN_WALL: Duration = Duration::from_secs(20);

fn bound(opts: &RunOptions) -> Result<Bound, String> {
    let secs = |s: f64, flag: &str| {
        Duration::try_from_secs_f64(s).map_err(|_| format!("{flag} must be a non-negative number of seconds"))
    };
    match (opts.seconds, opts.virtual_seconds) {
        (Some(_), Some(_)) => Err("--seconds and --virtual-seconds exclude each other".into()),
        (_, Some(_)) if opts.tap => {
            Err("--virtual-seconds cannot bound a --tap run: the Linux kernel runs on the wall clock".into())
        }
        (_, Some(v)) => Ok(Bound::Virtual(secs(v, "--virtual-seconds")?)),
        (Some(w), None) if w.is_infinite() => Ok(Bound::Wall(Duration::MAX)),
        (Some(w), None) => Ok(Bound::Wall(secs(w, "--seconds")?)),
        (None, None) if opts.tap => Ok(Bound::Wall(Duration::MAX)),
        (None, None) => Ok(Bound::Wall(Duration::from_secs(5))),
    }
}

fn traffic(lab: &mut Lab, opts: &RunOptions) -> Result<(), String> {
    let bound = bound(opts)?;
    let start = Instant::now();
    let mut progress = Progress {
        on: opts.progress,
        tty: std::io::stderr().is_terminal(),
        last: Instant::now(),
        last_verified: 0,
    };
    let wall_time = lab.tap.is_some();
    let virtual_start = lab.sim.now();
    let sleep_every = opts.sleep_every.and_then(|s| Duration::try_from_secs_f64(s).ok());
    let mut next_sleep = sleep_every;
    // Traffic until the bound (or Ctrl-C). In a virtual run the wall clock decides nothing: the loop
    // looks only at the model's clock, which moves with the model's events and the stacks' timers.
    loop {
        if opts.stop.load(Ordering::Relaxed) {
            break;
        }
        match bound {
            Bound::Wall(d) if start.elapsed() >= d => break,
            Bound::Virtual(d) if lab.sim.now() - virtual_start >= d => break,
            _ => {}
        }
        if wall_time {
            // The kernel on the TAP side runs on real time: virtual time follows the wall clock.
            let target = virtual_start + start.elapsed();
            let now = lab.sim.now();
            if target > now {
                lab.sim.advance_time(target - now);
            }
        }
        let moved = lab.step()?;
        if !moved {
            if wall_time {
                if let Some(tap) = &lab.tap {
                    tap.wait(Duration::from_millis(1));
                }
            } else {
                lab.idle();
            }
        }
        // Sleep cycles on the run's clock, between steps (nothing the model has to do is pending).
        if let (Some(every), Some(at)) = (sleep_every, next_sleep) {
            let elapsed = match bound {
                Bound::Wall(_) => start.elapsed(),
                Bound::Virtual(_) => lab.sim.now() - virtual_start,
            };
            if elapsed >= at {
                lab.sleep_and_resume();
                next_sleep = Some(at + every);
            }
        }
        progress.show(lab, start, "traffic");
    }
    let traffic_time = start.elapsed();
    let virtual_traffic = lab.sim.now() - virtual_start;
    // Drain: stop pinging, close the bulk streams, wait for every byte and FIN.
    let now = lab.sim.now();
    for node in &mut lab.nodes {
        node.finish_ring(now);
    }
    let drain_start = Instant::now();
    let virtual_drain_start = lab.sim.now();
    loop {
        if lab.nodes.iter().all(Node::ring_done) {
            break;
        }
        let wall_out = matches!(bound, Bound::Wall(_)) && drain_start.elapsed() > DRAIN_WALL;
        if wall_out || lab.sim.now() - virtual_drain_start > opts.drain_virtual_limit.unwrap_or(DRAIN_VIRTUAL)
        {
            lab.r.drain_timed_out = true;
            break;
        }
        let now = lab.sim.now();
        for node in &mut lab.nodes {
            node.finish_ring(now);
        }
        if !lab.step()? {
            lab.idle();
        }
        progress.show(lab, start, "drain");
    }
    lab.r.drain_virtual_s = (lab.sim.now() - virtual_drain_start).as_secs_f64();
    // A few more rounds so the last ACKs and FINs settle.
    for _ in 0..50 {
        if !lab.step()? {
            lab.idle();
        }
    }
    progress.end();
    lab.r.wall_s = start.elapsed().as_secs_f64();
    match bound {
        Bound::Wall(_) => {
            lab.r.clock = "wall".into();
            lab.r.duration_s = traffic_time.as_secs_f64();
        }
        Bound::Virtual(_) => {
            lab.r.clock = "virtual".into();
            lab.r.duration_s = virtual_traffic.as_secs_f64();
        }
    }
    Ok(())
}

fn finish(mut lab: Lab, opts: &RunOptions, capture: Option<PcapCapture>) -> Result<Report, String> {
    let sim = &lab.sim;
    let mut r = std::mem::take(&mut lab.r);
    r.virtual_time_s = sim.now().as_secs_f64();
    let n = lab.nodes.len();
    let mut rtt_sum = 0u64;
    // What points to a stack that is only slow; a verdict "slow" needs the accounting to balance.
    let mut slow: Vec<String> = Vec::new();
    // Under lossy faults: what the faults alone may explain, if the driver discarded nothing.
    let mut faults_may_explain: Vec<String> = Vec::new();
    let mut acc = Accounting {
        stack_frames_down: r.frames_sent,
        stack_frames_up: r.frames_received,
        tap_filterable: r.accounting.tap_filterable,
        ..Accounting::default()
    };
    // Frames lost to sleeping devices: a lost ping needs at least one lost frame, so no more pings
    // than these may go missing without a fault.
    let power_lost: u64 = sim
        .adapters()
        .into_iter()
        .filter_map(|a| sim.hub_admin_counters(a))
        .map(|c| c.rx_dropped_powered_down + c.rx_discarded_at_power_down)
        .sum();
    for (i, node) in lab.nodes.iter().enumerate() {
        let a = node.adapter;
        let bulk = node.bulk();
        let ping = node.ping();
        r.ping_sent += ping.sent;
        r.ping_replies += ping.replies;
        r.ping_lost += ping.lost + ping.bad_replies;
        rtt_sum += ping.rtt_sum_us;
        r.tcp_bytes_sent += bulk.sent;
        r.tcp_bytes_verified += bulk.verified;
        r.tcp_corrupt_bytes += bulk.corrupt;
        if n >= 2 {
            let prev = &lab.nodes[(i + n - 1) % n];
            let sent = prev.bulk_sent();
            if bulk.corrupt > 0 {
                r.problems.push(format!(
                    "adapter {i}: {} corrupt byte(s) in the stream from adapter {}, first at offset {:?}",
                    bulk.corrupt, prev.index, bulk.first_corrupt_at
                ));
            }
            if bulk.verified > sent {
                r.problems.push(format!(
                    "adapter {i}: verified {} bytes, more than the {sent} adapter {} sent",
                    bulk.verified, prev.index
                ));
            } else if bulk.peer_closed && bulk.verified != sent {
                r.problems.push(format!(
                    "adapter {i}: verified {} of the {sent} bytes adapter {} sent: the stream closed {} byte(s) short",
                    bulk.verified,
                    prev.index,
                    sent - bulk.verified
                ));
            } else if !bulk.peer_closed && r.drain_timed_out {
                // Not lost (yet): whether it is only slow is decided below, from the accounting.
                slow.push(format!(
                    "adapter {i}: the stream from adapter {} still open after {:.0} s of drain, {} of {sent} bytes verified, none wrong (sender: {}; receiver: {})",
                    prev.index,
                    r.drain_virtual_s,
                    bulk.verified,
                    prev.ring_states(),
                    node.ring_states()
                ));
            } else if !bulk.peer_closed {
                r.problems.push(format!(
                    "adapter {i}: the stream from adapter {} never closed (sender: {}; receiver: {})",
                    prev.index,
                    prev.ring_states(),
                    node.ring_states()
                ));
            }
            // Under lossy faults a handshake or every ping of a short run may meet a fault: that
            // is the stack being slow, as long as the accounting shows nothing lost below it.
            let lossy = opts.faults.lossy();
            if sent == 0 {
                let note = format!("adapter {}: sent no TCP data", prev.index);
                if lossy { faults_may_explain.push(note) } else { r.problems.push(note) }
            }
            if ping.replies == 0 {
                let note = format!("adapter {i}: no ping reply ({} sent)", ping.sent);
                if lossy { faults_may_explain.push(note) } else { r.problems.push(note) }
            } else if ping.bad_replies > 0 {
                r.problems
                    .push(format!("adapter {i}: {} ping replies with a wrong payload", ping.bad_replies));
            } else if ping.lost > power_lost && !opts.faults.lossy() {
                r.problems.push(format!("adapter {i}: {} ping(s) lost without faults", ping.lost));
            }
        }
        if let Some(c) = sim.hub_counters(a) {
            r.hub_dropped_fault += c.tx_dropped_fault;
            r.hub_corrupted_fault += c.rx_corrupted_fault;
            r.hub_dropped_queue_full += c.rx_dropped_queue_full;
        }
        r.per_adapter.push(AdapterReport {
            adapter: a.0,
            mac: mac_string(&node.mac),
            ip: std::net::Ipv4Addr::from(node.ip).to_string(),
            xmit_ok: counter(sim, a, OID_GEN_XMIT_OK),
            rcv_ok: counter(sim, a, OID_GEN_RCV_OK),
            xmit_error: counter(sim, a, OID_GEN_XMIT_ERROR),
            rcv_error: counter(sim, a, OID_GEN_RCV_ERROR),
            rcv_no_buffer: counter(sim, a, OID_GEN_RCV_NO_BUFFER),
            rcv_discards: counter(sim, a, OID_GEN_RCV_DISCARDS),
            xmit_discards: counter(sim, a, OID_GEN_XMIT_DISCARDS),
            tcp_bytes_sent: bulk.sent,
            tcp_bytes_verified: bulk.verified,
            ping_sent: ping.sent,
            ping_replies: ping.replies,
        });
    }
    // Every port the adapters had, a start that failed included (its port still took copies of
    // broadcasts).
    for a in sim.adapters() {
        if let Some(c) = sim.hub_counters(a) {
            acc.hub_frames_in += c.tx_frames;
            acc.hub_copies_read += c.rx_frames;
            acc.hub_corrupted += c.rx_corrupted_fault;
        }
        if let Some(c) = sim.hub_admin_counters(a) {
            acc.hub_copies_lost_at_power_down += c.rx_discarded_at_power_down;
            r.hub_lost_powered_down += c.rx_dropped_powered_down + c.rx_discarded_at_power_down;
        }
        acc.hub_copies_pending += sim.hub_pending_frames(a) as u64;
    }
    for a in &r.per_adapter {
        acc.driver_xmit_ok += a.xmit_ok;
        acc.driver_xmit_failed += a.xmit_error + a.xmit_discards;
        acc.driver_rcv_ok += a.rcv_ok;
        acc.driver_rcv_dropped += a.rcv_no_buffer.max(a.rcv_discards);
    }
    if let Some(c) = sim.tap_counters() {
        acc.hub_frames_from_tap = c.tx_frames;
        acc.hub_copies_to_tap = c.rx_frames;
    }
    acc.hub_copies_pending += sim.tap_pending_frames() as u64;
    let switched = sim.hub_switch_totals();
    acc.hub_copies_delivered = switched.delivered;
    acc.hub_copies_cut_through = switched.cut_through;
    acc.hub_dropped = switched.dropped;
    acc.hub_unrouted = switched.unrouted;
    acc.check();
    if !acc.balanced {
        r.problems.push(format!(
            "frames vanished between the stacks, the driver and the hub: {}",
            acc.unbalanced.join("; ")
        ));
    }
    r.tcp_data_segments = lab.retransmits.segments;
    r.tcp_retransmissions = lab.retransmits.retransmissions;
    r.accounting = acc;
    if let Some(t) = r.tap.as_mut()
        && let Some(node) = lab.nodes.first()
    {
        t.echo_bytes = node.services.echo_bytes;
        t.http_requests = node.services.http_requests;
        t.http_bytes = node.services.http_bytes;
    }
    r.ping_rtt_avg_us = if r.ping_replies > 0 { rtt_sum as f64 / r.ping_replies as f64 } else { 0.0 };
    r.tcp_goodput_bps =
        if r.duration_s > 0.0 { r.tcp_bytes_verified as f64 * 8.0 / r.duration_s } else { 0.0 };
    for (_, _, status) in sim.retire_completed_sends() {
        if status == NDIS_STATUS_SUCCESS {
            r.send_completions_ok += 1;
        } else {
            r.send_completions_failed += 1;
        }
    }
    if !opts.faults.lossy() {
        if r.send_completions_failed > 0 {
            r.problems.push(format!("{} send(s) completed with an error", r.send_completions_failed));
        }
        if r.hub_dropped_queue_full > 0 {
            r.problems
                .push(format!("{} frame(s) lost in the hub: receive queue full", r.hub_dropped_queue_full));
        }
        let no_buffer: u64 = r.per_adapter.iter().map(|a| a.rcv_no_buffer.max(a.rcv_discards)).sum();
        if no_buffer > 0 {
            r.problems.push(format!("{no_buffer} frame(s) discarded by the driver (no receive buffer)"));
        }
    }
    // The faults explain a silent ping or stream only if the driver itself discarded nothing.
    let driver_discards: u64 = r.per_adapter.iter().map(|a| a.rcv_no_buffer.max(a.rcv_discards)).sum();
    if driver_discards == 0 {
        slow.append(&mut faults_may_explain);
    } else {
        for note in faults_may_explain {
            r.problems.push(format!("{note}, and the driver discarded {driver_discards} received frame(s)"));
        }
    }
    // Orderly removal, unload, and the verifier's verdict.
    let adapters: Vec<AdapterId> = lab.nodes.iter().map(|n| n.adapter).collect();
    let ending = end_run(sim, &adapters, capture)?;
    r.sends_outstanding = ending.sends_outstanding;
    if r.sends_outstanding > 0 {
        r.problems.push(format!("{} send(s) never completed", r.sends_outstanding));
    }
    r.problems.extend(ending.reads_missing);
    if let Some(frames) = ending.pcap_frames {
        r.pcap_frames = frames;
        r.pcap_file = opts.pcap.as_ref().map(|p| p.display().to_string());
    }
    r.wire = *lab.wire.borrow();
    if let Some(vlan) = opts.vlan
        && r.wire.tagged_with_vlan != r.wire.frames
    {
        r.problems.push(format!(
            "{} of the {} frames on the wire not tagged with VLAN {vlan}",
            r.wire.frames - r.wire.tagged_with_vlan,
            r.wire.frames
        ));
    }
    // A larger MTU must be used: TCP's segments fill it (frames of the MTU and the header).
    if opts.mtu > STANDARD_MTU && r.tcp_bytes_verified > 0 && r.wire.longest_frame < u64::from(opts.mtu) + 14
    {
        r.problems.push(format!(
            "MTU {}, but no frame on the wire was longer than {} bytes: TCP did not use the larger MSS",
            opts.mtu, r.wire.longest_frame
        ));
    }
    if opts.sleep_every.is_some() && r.sleep_cycles == 0 {
        r.problems.push("--sleep-every: the run ended before the first sleep".into());
    }
    r.verifier_violations = ending.violations.len();
    r.violations = ending.violations;
    r.leak_report = ending.leaks;
    r.leaks = r.leak_report.len();
    r.deepest_nesting = sim.deepest_nesting();
    if r.verifier_violations > 0 {
        r.problems.push(format!("{} verifier violation(s)", r.verifier_violations));
    }
    if r.leaks > 0 {
        r.problems.push(format!("{} leak(s) after unload", r.leaks));
    }
    if r.drain_timed_out && slow.is_empty() && r.problems.is_empty() {
        // Timed out with every stream closed: the pings had not settled.
        slow.push("the drain timed out waiting for the last ping".into());
    }
    r.verdict = if !r.problems.is_empty() {
        "failed"
    } else if !slow.is_empty() {
        // Nothing lost in the driver or the hub (the accounting balances), nothing wrong in what
        // arrived: TCP is still recovering from the faults.
        r.problems = slow;
        "slow"
    } else {
        "ok"
    }
    .into();
    r.ok = r.verdict == "ok";
    Ok(r)
}

/// The readable summary.
pub fn summary(r: &Report) -> String {
    let mut s = String::new();
    let mbit = |bps: f64| bps / 1e6;
    s += &format!(
        "miniport-lab: {} adapters, seed {}, faults {}, {:.3} s of traffic ({} clock); virtual {:.3} s in all, wall {:.2} s\n",
        r.adapters, r.seed, r.faults, r.duration_s, r.clock, r.virtual_time_s, r.wall_s
    );
    // The administrator's settings, when a run sets them: what the wire then shows of them.
    if r.mtu != STANDARD_MTU || r.vlan.is_some() || r.sleep_cycles > 0 {
        let vlan = r.vlan.map_or_else(|| "none".to_owned(), |v| v.to_string());
        s += &format!(
            "  settings MTU {}, VLAN {vlan}, {} sleep cycles; on the wire {} frames, {} tagged with the VLAN, longest {} bytes\n",
            r.mtu, r.sleep_cycles, r.wire.frames, r.wire.tagged_with_vlan, r.wire.longest_frame
        );
    }
    s += &format!(
        "  frames   sent {} ({} bytes), received {} ({} bytes), ARP {}\n",
        r.frames_sent, r.bytes_sent, r.frames_received, r.bytes_received, r.arp_frames
    );
    s += &format!(
        "  ping     {} sent, {} replies, {} lost, avg rtt {:.0} us (virtual)\n",
        r.ping_sent, r.ping_replies, r.ping_lost, r.ping_rtt_avg_us
    );
    s += &format!(
        "  tcp      {} bytes sent, {} verified byte by byte, {} corrupt, goodput {:.1} Mbit/s\n",
        r.tcp_bytes_sent,
        r.tcp_bytes_verified,
        r.tcp_corrupt_bytes,
        mbit(r.tcp_goodput_bps)
    );
    s += &format!(
        "  sends    {} NBLs completed ok, {} with an error, {} outstanding\n",
        r.send_completions_ok, r.send_completions_failed, r.sends_outstanding
    );
    s += &format!(
        "  hub      {} dropped (fault), {} corrupted (fault), {} dropped (queue full), {} lost (device asleep); adapter starts failed: {}\n",
        r.hub_dropped_fault,
        r.hub_corrupted_fault,
        r.hub_dropped_queue_full,
        r.hub_lost_powered_down,
        r.adapter_init_failures
    );
    for a in &r.per_adapter {
        s += &format!(
            "  adapter {} {} {:<12} xmit ok {} rcv ok {} | errors xmit {} rcv {} | no buffer {} discards rcv {} xmit {}\n",
            a.adapter,
            a.mac,
            a.ip,
            a.xmit_ok,
            a.rcv_ok,
            a.xmit_error,
            a.rcv_error,
            a.rcv_no_buffer,
            a.rcv_discards,
            a.xmit_discards
        );
    }
    if let Some(t) = &r.tap {
        s += &format!(
            "  tap      namespace {} device {}: {} frames from Linux, {} to Linux; echo {} bytes, http {} requests {} bytes\n",
            t.namespace,
            t.device,
            t.frames_from_linux,
            t.frames_to_linux,
            t.echo_bytes,
            t.http_requests,
            t.http_bytes
        );
    }
    if let Some(p) = &r.pcap_file {
        s += &format!("  pcap     {} frames in {p}\n", r.pcap_frames);
    }
    s += &format!("  verifier {} violation(s), {} leak(s)\n", r.verifier_violations, r.leaks);
    for v in &r.violations {
        s += &format!("    violation: {v}\n");
    }
    for l in &r.leak_report {
        s += &format!("    leak: {l}\n");
    }
    let a = &r.accounting;
    s += &format!(
        "  frames   stacks {} down -> driver {} sent + {} failed -> hub {} in (+{} from tap) -> {} copies delivered ({} into parked reads), {} dropped, {} unrouted -> {} read (+{} by tap), {} pending -> driver {} up + {} dropped + {} filtered (of {} corrupted) -> stacks {}: {}\n",
        a.stack_frames_down,
        a.driver_xmit_ok,
        a.driver_xmit_failed,
        a.hub_frames_in,
        a.hub_frames_from_tap,
        a.hub_copies_delivered,
        a.hub_copies_cut_through,
        a.hub_dropped,
        a.hub_unrouted,
        a.hub_copies_read,
        a.hub_copies_to_tap,
        a.hub_copies_pending,
        a.driver_rcv_ok,
        a.driver_rcv_dropped,
        a.driver_filtered,
        a.hub_corrupted,
        a.stack_frames_up,
        if a.balanced { "every frame accounted for" } else { "UNBALANCED" }
    );
    s += &format!(
        "  retrans  {} of {} bulk data segments were retransmissions\n",
        r.tcp_retransmissions, r.tcp_data_segments
    );
    match r.verdict.as_str() {
        "ok" => s += "  verdict  OK: nothing lost, corrupted, leaked or violated\n",
        "slow" => {
            s += "  verdict  SLOW: nothing lost or corrupted (every frame accounted for, every byte that arrived verified), but the stack did not get everything through in time\n";
        }
        _ => s += "  verdict  FAILED\n",
    }
    for p in &r.problems {
        s += &format!("    - {p}\n");
    }
    s
}
