//! Random traffic on 3–4 ports, checked against a plain reference model of a learning bridge: the hub
//! never panics, delivers exactly the frames the model says, in order, and its counters account for
//! every frame written. Reads are both taken at once (`read_batch`) and parked for cut-through
//! (`write_batch_into`): each port's adapter sees the frames the model says, in order, whichever way
//! they came.

mod parked_reads;

use std::collections::{HashMap, VecDeque};

use parked_reads::TestReads;
use proptest::prelude::*;
use vwire_bus::{Faults, Hub, HubConfig, PortId};
use vwire_proto::{BATCH_HEADER_LEN, Batch, BatchWriter, MAX_BATCH_FRAMES, record_len};

const QUEUE_FRAMES: usize = 6;

#[derive(Clone, Debug)]
enum Op {
    /// Port `from` writes frames, each `(destination choice, source choice, length)`.
    Write {
        from: usize,
        frames: Vec<(u8, u8, usize)>,
    },
    /// Port `port` reads with a buffer of `buf_len` bytes.
    Read {
        port: usize,
        buf_len: usize,
    },
    /// Port `port` parks a read of `buf_len` bytes, for cut-through.
    Park {
        port: usize,
        buf_len: usize,
    },
    SetLink {
        port: usize,
        up: bool,
    },
    /// One of three speeds: a speed is reported, never a reason to lose or hold a frame.
    SetSpeed {
        port: usize,
        speed: u8,
    },
    /// Drop everything the port writes, or nothing (the model has no RNG).
    SetDropAll {
        port: usize,
        on: bool,
    },
    /// Raw bytes written as a batch: almost always malformed.
    Garbage {
        from: usize,
        bytes: Vec<u8>,
    },
}

fn op(ports: usize) -> impl Strategy<Value = Op> {
    let frame = (any::<u8>(), any::<u8>(), 14usize..=200);
    prop_oneof![
        4 => (0..ports, prop::collection::vec(frame, 1..12)).prop_map(|(from, frames)| Op::Write { from, frames }),
        4 => (0..ports, prop_oneof![Just(16384usize), 0usize..600]).prop_map(|(port, buf_len)| Op::Read { port, buf_len }),
        3 => (0..ports, prop_oneof![2 => Just(16384usize), 1 => 0usize..600]).prop_map(|(port, buf_len)| Op::Park { port, buf_len }),
        1 => (0..ports, any::<bool>()).prop_map(|(port, up)| Op::SetLink { port, up }),
        1 => (0..ports, any::<u8>()).prop_map(|(port, speed)| Op::SetSpeed { port, speed }),
        1 => (0..ports, prop::bool::weighted(0.3)).prop_map(|(port, on)| Op::SetDropAll { port, on }),
        1 => (0..ports, prop::collection::vec(any::<u8>(), 0..80)).prop_map(|(from, bytes)| Op::Garbage { from, bytes }),
    ]
}

/// Station addresses: two per port, plus one nobody owns.
fn station(choice: u8) -> [u8; 6] {
    [0x02, 0, 0, 0, 0, choice % 9]
}

fn destination(choice: u8) -> [u8; 6] {
    match choice % 12 {
        0 => [0xff; 6],
        1 => [0x01, 0x00, 0x5e, 0, 0, 7],
        2 => [0x33, 0x33, 0, 0, 0, 1],
        n => station(n),
    }
}

fn frame(dst: [u8; 6], src: [u8; 6], len: usize, serial: u32) -> Vec<u8> {
    let mut f = Vec::with_capacity(len);
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&[0x88, 0xb5]);
    f.extend(serial.to_be_bytes().iter().copied().cycle().take(len - 14));
    f
}

struct ModelPort {
    up: bool,
    drop_all: bool,
    queue: VecDeque<Vec<u8>>,
    /// Buffer lengths of the reads parked, oldest first.
    parked: VecDeque<usize>,
    /// The read being filled in the current write: (usable bytes, bytes used, frames).
    open: Option<(usize, usize, usize)>,
    /// Whether the current write asked for a read already.
    asked: bool,
    /// Every frame the port's adapter has received, by either way, in order.
    received: Vec<Vec<u8>>,
}

impl ModelPort {
    /// Delivers a copy: into the open read (opening one if none is and none was asked for) when
    /// nothing is queued, else into the queue; false if the queue is full.
    fn deliver(&mut self, f: &[u8]) -> (bool, bool) {
        if self.queue.is_empty() {
            if self.open.is_none() && !self.asked {
                self.asked = true;
                if let Some(len) = self.parked.pop_front() {
                    self.open = Some((len, BATCH_HEADER_LEN, 0));
                }
            }
            if let Some((len, used, frames)) = &mut self.open {
                // The hub writes no batch longer than a read may carry (`max_batch_bytes`).
                let room = (*len).min(16384);
                let record = record_len(f.len()).unwrap();
                if room >= BATCH_HEADER_LEN && *used + record <= room && *frames < MAX_BATCH_FRAMES {
                    *used += record;
                    *frames += 1;
                    self.received.push(f.to_vec());
                    return (true, true);
                }
            }
        }
        if self.queue.len() < QUEUE_FRAMES {
            self.queue.push_back(f.to_vec());
            (true, false)
        } else {
            (false, false)
        }
    }

    /// The end of a write: the read opened is completed if it got frames, else parked again first.
    fn end_write(&mut self) {
        if let Some((len, _, frames)) = self.open.take()
            && frames == 0
        {
            self.parked.push_front(len);
        }
        self.asked = false;
    }
}

/// A learning bridge as the hub documents it, with unbounded memory and no cleverness.
struct Model {
    ports: Vec<ModelPort>,
    macs: HashMap<[u8; 6], usize>,
}

impl Model {
    /// Expected (delivered, dropped, unrouted, cut_through) for one written batch.
    fn write(&mut self, from: usize, frames: &[Vec<u8>]) -> (u32, u32, u32, u32) {
        let (mut delivered, mut dropped, mut unrouted, mut cut) = (0, 0, 0, 0);
        for f in frames {
            if !self.ports[from].up || self.ports[from].drop_all {
                dropped += 1;
                continue;
            }
            let dst: [u8; 6] = f[..6].try_into().unwrap();
            let src: [u8; 6] = f[6..12].try_into().unwrap();
            if src[0] & 1 == 0 {
                self.macs.insert(src, from);
            }
            let targets: Vec<usize> = match self.macs.get(&dst).filter(|_| dst[0] & 1 == 0) {
                Some(&to) if to == from => vec![],
                Some(&to) => vec![to],
                None => (0..self.ports.len()).filter(|&i| i != from && self.ports[i].up).collect(),
            };
            if targets.is_empty() {
                unrouted += 1;
            }
            for t in targets {
                match self.ports[t].deliver(f) {
                    (true, through) => {
                        delivered += 1;
                        cut += u32::from(through);
                    }
                    (false, _) => dropped += 1,
                }
            }
        }
        for port in &mut self.ports {
            port.end_write();
        }
        (delivered, dropped, unrouted, cut)
    }

    fn set_link(&mut self, port: usize, up: bool) {
        if self.ports[port].up != up && !up {
            self.macs.retain(|_, p| *p != port);
        }
        self.ports[port].up = up;
    }
}

fn batch(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut buf = vec![0u8; 1 << 16];
    let mut w = BatchWriter::new(&mut buf).unwrap();
    for f in frames {
        w.push(f).unwrap();
    }
    let n = w.finish();
    buf.truncate(n);
    buf
}

fn check(ports: usize, ops: Vec<Op>) -> Result<(), TestCaseError> {
    let config = HubConfig { queue_frames: QUEUE_FRAMES, mac_table_entries: 4096, ..HubConfig::default() };
    let mut hub = Hub::new(config);
    let ids: Vec<PortId> =
        (0..ports).map(|i| hub.add_port([0x02, 0xaa, 0, 0, 0, i as u8]).unwrap()).collect();
    let mut model = Model {
        ports: (0..ports)
            .map(|_| ModelPort {
                up: true,
                drop_all: false,
                queue: VecDeque::new(),
                parked: VecDeque::new(),
                open: None,
                asked: false,
                received: Vec::new(),
            })
            .collect(),
        macs: HashMap::new(),
    };
    let (mut written, mut delivered, mut dropped, mut unrouted, mut read_out) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut refused_batches = 0u64;
    let mut serial = 0u32;
    let mut reads = TestReads::default();
    let mut cut_through = 0u64;
    // What each port's adapter received, from filled reads and from `read_batch`, in order.
    let mut received: Vec<Vec<Vec<u8>>> = vec![Vec::new(); ports];

    for op in ops {
        match op {
            Op::Write { from, frames } => {
                let frames: Vec<Vec<u8>> = frames
                    .into_iter()
                    .map(|(d, s, len)| {
                        serial += 1;
                        frame(destination(d), station(s), len, serial)
                    })
                    .collect();
                let filled_before = reads.filled.len();
                let r = hub.write_batch_into(ids[from], &batch(&frames), 0, &mut reads).unwrap();
                prop_assert!(reads.none_taken());
                for (port, filled) in &reads.filled[filled_before..] {
                    let i = ids.iter().position(|id| id == port).unwrap();
                    received[i].extend(Batch::parse(filled).unwrap().frames().map(<[u8]>::to_vec));
                }
                let expected = model.write(from, &frames);
                prop_assert_eq!((r.delivered, r.dropped, r.unrouted, r.cut_through), expected);
                cut_through += u64::from(r.cut_through);
                prop_assert_eq!(r.frames as usize, frames.len());
                written += u64::from(r.frames);
                delivered += u64::from(r.delivered);
                dropped += u64::from(r.dropped);
                unrouted += u64::from(r.unrouted);
            }
            Op::Read { port, buf_len } => {
                let mut buf = vec![0u8; buf_len];
                match hub.read_batch(ids[port], &mut buf, 0) {
                    Ok(Some(n)) => {
                        let batch = Batch::parse(&buf[..n]).unwrap();
                        for f in batch.frames() {
                            let want = model.ports[port].queue.pop_front();
                            prop_assert_eq!(Some(f), want.as_deref(), "FIFO, exact contents");
                            model.ports[port].received.push(f.to_vec());
                            received[port].push(f.to_vec());
                            read_out += 1;
                        }
                    }
                    Ok(None) => prop_assert!(model.ports[port].queue.is_empty()),
                    Err(e) => {
                        prop_assert_eq!(e, vwire_bus::HubError::BufferTooSmall);
                        prop_assert!(buf_len < 16384 && !model.ports[port].queue.is_empty());
                    }
                }
            }
            Op::Park { port, buf_len } => {
                reads.park(ids[port], buf_len);
                model.ports[port].parked.push_back(buf_len);
            }
            Op::SetLink { port, up } => {
                let before = hub.link_state(ids[port]).unwrap();
                hub.set_link(ids[port], up).unwrap();
                let after = hub.link_state(ids[port]).unwrap();
                let changed = model.ports[port].up != up;
                prop_assert_eq!(after.generation != before.generation, changed);
                model.set_link(port, up);
            }
            Op::SetSpeed { port, speed } => {
                let speed_bps = [100_000_000u64, 1_000_000_000, 10_000_000_000][usize::from(speed % 3)];
                let before = hub.link_state(ids[port]).unwrap();
                let changed = hub.speed(ids[port]).unwrap() != speed_bps;
                hub.set_speed(ids[port], speed_bps).unwrap();
                let after = hub.link_state(ids[port]).unwrap();
                prop_assert_eq!(after.generation != before.generation, changed);
                prop_assert_eq!(after.is_up(), before.is_up());
                prop_assert_eq!(after.speed_bps, if after.is_up() { speed_bps } else { 0 });
            }
            Op::SetDropAll { port, on } => {
                let faults = Faults { drop_ppm: if on { 1_000_000 } else { 0 }, ..Faults::default() };
                hub.set_faults(ids[port], faults).unwrap();
                model.ports[port].drop_all = on;
            }
            Op::Garbage { from, bytes } => {
                if hub.write_batch(ids[from], &bytes, 0).is_err() {
                    refused_batches += 1;
                } else {
                    // A random byte string that happens to parse: not worth modelling; stop here.
                    return Ok(());
                }
            }
        }
        for (i, &id) in ids.iter().enumerate() {
            prop_assert_eq!(hub.pending_frames(id), model.ports[i].queue.len());
            prop_assert_eq!(reads.parked(id), model.ports[i].parked.len());
            prop_assert_eq!(&received[i], &model.ports[i].received, "each adapter sees its frames in order");
        }
    }

    // Conservation, from the counters alone.
    let counters: Vec<_> = ids.iter().map(|&id| hub.counters(id).unwrap()).collect();
    let sum = |f: fn(&vwire_proto::PortCounters) -> u64| counters.iter().map(f).sum::<u64>();
    let pending: u64 = ids.iter().map(|&id| hub.pending_frames(id) as u64).sum();
    prop_assert_eq!(sum(|c| c.tx_frames), written);
    prop_assert_eq!(sum(|c| c.rx_frames), read_out + cut_through);
    prop_assert_eq!(delivered, read_out + cut_through + pending);
    // A drop is a frame lost at its sender (link down, drop fault) or a copy refused by a full queue.
    let link_down_drops = sum(|c| c.tx_errors) - refused_batches;
    prop_assert_eq!(
        dropped,
        sum(|c| c.tx_dropped_fault) + link_down_drops + sum(|c| c.rx_dropped_queue_full)
    );
    prop_assert!(unrouted <= written);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_traffic_matches_a_learning_bridge_and_conserves_frames(
        (ports, ops) in (3usize..=4).prop_flat_map(|n| (Just(n), prop::collection::vec(op(n), 1..80)))
    ) {
        check(ports, ops)?;
    }
}
