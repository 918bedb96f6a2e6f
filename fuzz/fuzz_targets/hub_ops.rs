//! The hub, driven by a sequence of writes (well-formed batches of chosen frames, or raw bytes), reads,
//! internal IOCTLs and the administrator's operations (ports added and removed, link, speed, faults,
//! inject, capture), with time passing, and reads parked for cut-through (`Hub::write_batch_into`).
//! Properties: no panic, and frames are conserved: every copy the hub delivered to a port (a write's
//! `delivered`, an inject that was `Queued`) is, at every step, either read by that port (by a read,
//! or written into one of its parked reads), still pending there, or gone with its removed port;
//! each port's `rx_frames` counts exactly the frames it got; a write's report counts the batch's
//! frames and bytes, and its `cut_through` the frames in the reads it filled; every read is a valid
//! batch; every parked read taken is handed back before the write returns, at most one per port.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::collections::{BTreeMap, VecDeque};

use vwire_bus::{Faults, HandedBack, Hub, HubConfig, InjectOutcome, IoctlOutcome, ParkedReads, PortId};
use vwire_proto::{Batch, BatchWriter, DEFAULT_MAX_BATCH_BYTES, IOCTL_VWIRE_QUERY_DEVICE};

#[derive(Arbitrary, Debug)]
struct Frame {
    /// Index of the destination: a port's MAC, broadcast, multicast or an unknown station.
    to: u8,
    len: u16,
    fill: u8,
}

#[derive(Arbitrary, Debug)]
enum Op {
    AddPort {
        serial: u8,
    },
    RemovePort {
        port: u8,
    },
    Write {
        port: u8,
        frames: Vec<Frame>,
    },
    WriteRaw {
        port: u8,
        bytes: Vec<u8>,
    },
    Read {
        port: u8,
        buf_len: u16,
    },
    SetLink {
        port: u8,
        up: bool,
    },
    SetFaults {
        port: u8,
        drop_ppm: u32,
        corrupt_ppm: u32,
        delay: u16,
        stall: bool,
        fail_writes: bool,
        fail_reads: bool,
    },
    Inject {
        port: u8,
        frame: Frame,
    },
    Capture {
        port: u8,
        on: bool,
    },
    CaptureRead {
        port: u8,
        buf_len: u16,
    },
    Ioctl {
        port: u8,
        code: u32,
        input: Vec<u8>,
        output_len: u8,
    },
    Elapse {
        ticks: u16,
    },
    SetSpeed {
        port: u8,
        speed_bps: u64,
    },
    /// A read parked on the port, lent to the writes that follow.
    Park {
        port: u8,
        buf_len: u16,
    },
    /// The parked reads' buffers cannot be had from the next `after` calls on (the OS failing to
    /// map them), or again always (`after` 255).
    FailBuffers {
        after: u8,
    },
}

/// The reads parked on each port.
#[derive(Default)]
struct Parked {
    reads: BTreeMap<u32, VecDeque<Vec<u8>>>,
    taken: BTreeMap<u32, Vec<u8>>,
    /// Frames in the reads filled during the current write, by port.
    filled: BTreeMap<u32, u64>,
    /// Buffer calls left before they fail (`None`: never fail).
    buffers_left: Option<u8>,
}

impl ParkedReads for Parked {
    fn take(&mut self, port: PortId) -> bool {
        assert!(!self.taken.contains_key(&port.0), "two reads taken for one port in one write");
        match self.reads.get_mut(&port.0).and_then(VecDeque::pop_front) {
            Some(read) => {
                self.taken.insert(port.0, read);
                true
            }
            None => false,
        }
    }

    fn buffer(&mut self, port: PortId) -> Option<&mut [u8]> {
        if let Some(left) = &mut self.buffers_left {
            *left = left.checked_sub(1)?;
        }
        self.taken.get_mut(&port.0).map(Vec::as_mut_slice)
    }

    fn finish(&mut self, port: PortId, handed_back: HandedBack) {
        let read = self.taken.remove(&port.0).expect("a read handed back was taken");
        match handed_back {
            HandedBack::Filled(n) => {
                let batch = Batch::parse(&read[..n]).expect("a filled read is a valid batch");
                assert!(batch.frame_count() > 0 && n <= DEFAULT_MAX_BATCH_BYTES);
                *self.filled.entry(port.0).or_default() += batch.frame_count() as u64;
            }
            HandedBack::NoBuffer | HandedBack::TooSmall => {
                self.reads.entry(port.0).or_default().push_front(read)
            }
        }
    }
}

struct Model {
    hub: Hub,
    ports: Vec<PortId>,
    /// Ids of removed ports, kept to try them again (a stale id must be refused).
    stale: Vec<PortId>,
    now: u64,
    queued: u64,
    read: u64,
    removed_pending: u64,
    read_by_port: BTreeMap<u32, u64>,
    parked: Parked,
}

impl Model {
    fn port(&self, i: u8) -> PortId {
        let live = self.ports.len();
        let all = live + self.stale.len();
        if all == 0 {
            return PortId(u32::from(i));
        }
        let k = usize::from(i) % (all + 1);
        if k < live {
            self.ports[k]
        } else if k < all {
            self.stale[k - live]
        } else {
            PortId(u32::from(i) << 8)
        }
    }

    fn frame(&self, f: &Frame, source: PortId) -> Vec<u8> {
        let len = 14 + usize::from(f.len) % (1514 - 14 + 1);
        let mut frame = vec![f.fill; len];
        let dest = match usize::from(f.to) % (self.ports.len() + 3) {
            k if k < self.ports.len() => self.hub.mac(self.ports[k]).unwrap_or([0x02, 0, 0, 0, 0, 9]),
            k if k == self.ports.len() => [0xFF; 6],
            k if k == self.ports.len() + 1 => [0x01, 0x00, 0x5E, 0, 0, 1],
            _ => [0x02, 0, 0, 0, 0, f.fill],
        };
        frame[..6].copy_from_slice(&dest);
        frame[6..12].copy_from_slice(&self.hub.mac(source).unwrap_or([0x02, 0, 0, 0, 1, 1]));
        frame[12..14].copy_from_slice(&[0x88, 0xB5]);
        frame
    }

    fn check(&self) {
        let pending: u64 = self.ports.iter().map(|&p| self.hub.pending_frames(p) as u64).sum();
        assert_eq!(
            self.queued,
            self.read + pending + self.removed_pending,
            "frames queued = read + pending + gone with removed ports"
        );
        for &p in &self.ports {
            let counters = self.hub.counters(p).expect("a live port has counters");
            assert_eq!(counters.rx_frames, self.read_by_port.get(&p.0).copied().unwrap_or(0));
        }
    }

    /// A write of `batch` from `port` with the parked reads lent: the copies it delivered, counted
    /// queued, and those in filled reads counted read too.
    fn write(&mut self, port: PortId, batch: &[u8]) -> Option<vwire_bus::WriteReport> {
        let report = self.hub.write_batch_into(port, batch, self.now, &mut self.parked).ok();
        assert!(self.parked.taken.is_empty(), "every read taken is handed back");
        let filled = std::mem::take(&mut self.parked.filled);
        let cut: u64 = filled.values().sum();
        assert_eq!(report.map_or(0, |r| u64::from(r.cut_through)), cut);
        for (port, frames) in filled {
            self.read += frames;
            *self.read_by_port.entry(port).or_default() += frames;
        }
        if let Some(report) = report {
            self.queued += u64::from(report.delivered);
        }
        report
    }

    fn read(&mut self, port: PortId, buf_len: usize) {
        let mut buf = vec![0u8; buf_len];
        if let Ok(Some(n)) = self.hub.read_batch(port, &mut buf, self.now) {
            assert!(n <= buf_len);
            let batch = Batch::parse(&buf[..n]).expect("a read is a valid batch");
            assert!(batch.frame_count() > 0);
            self.read += batch.frame_count() as u64;
            *self.read_by_port.entry(port.0).or_default() += batch.frame_count() as u64;
        }
    }
}

fuzz_target!(|ops: Vec<Op>| {
    let hub = Hub::new(HubConfig {
        queue_frames: 8,
        max_ports: 4,
        capture_frames: 4,
        mac_table_entries: 8,
        ..HubConfig::default()
    });
    let mut m = Model {
        hub,
        ports: Vec::new(),
        stale: Vec::new(),
        now: 0,
        queued: 0,
        read: 0,
        removed_pending: 0,
        read_by_port: Default::default(),
        parked: Parked::default(),
    };
    for op in ops.iter().take(128) {
        match op {
            Op::AddPort { serial } => {
                let mac = [0x02, 0x76, 0x77, 0, 0, *serial];
                if let Ok(port) = m.hub.add_port(mac) {
                    assert!(!m.ports.contains(&port) && !m.stale.contains(&port), "a port id reused");
                    m.ports.push(port);
                }
            }
            Op::RemovePort { port } => {
                let port = m.port(*port);
                let pending = m.hub.pending_frames(port) as u64;
                if m.hub.remove_port(port).is_ok() {
                    m.removed_pending += pending;
                    m.parked.reads.remove(&port.0);
                    m.ports.retain(|&p| p != port);
                    m.stale.push(port);
                }
            }
            Op::Write { port, frames } => {
                let port = m.port(*port);
                let mut buf = vec![0u8; DEFAULT_MAX_BATCH_BYTES];
                let mut writer = BatchWriter::new(&mut buf).expect("room for a header");
                let (mut count, mut bytes) = (0u32, 0u64);
                for f in frames.iter().take(64) {
                    let frame = m.frame(f, port);
                    if writer.push(&frame).is_err() {
                        break;
                    }
                    count += 1;
                    bytes += frame.len() as u64;
                }
                let n = writer.finish();
                if let Some(report) = m.write(port, &buf[..n]) {
                    assert_eq!((report.frames, report.bytes), (count, bytes));
                    assert!(report.unrouted <= report.frames && report.cut_through <= report.delivered);
                }
            }
            Op::WriteRaw { port, bytes } => {
                let port = m.port(*port);
                if let Some(report) = m.write(port, bytes) {
                    let batch = Batch::parse(bytes).expect("the hub accepted only a valid batch");
                    assert_eq!(report.frames as usize, batch.frame_count());
                }
            }
            Op::Read { port, buf_len } => {
                let port = m.port(*port);
                m.read(port, usize::from(*buf_len) * 2);
            }
            Op::SetLink { port, up } => {
                let _ = m.hub.set_link(m.port(*port), *up);
            }
            Op::SetFaults { port, drop_ppm, corrupt_ppm, delay, stall, fail_writes, fail_reads } => {
                let faults = Faults {
                    drop_ppm: drop_ppm % 1_000_001,
                    corrupt_ppm: corrupt_ppm % 1_000_001,
                    delay_ticks: u64::from(*delay),
                    stall: *stall,
                    fail_writes: *fail_writes,
                    fail_reads: *fail_reads,
                };
                let port = m.port(*port);
                if m.hub.set_faults(port, faults).is_ok() {
                    assert_eq!(m.hub.faults(port).expect("set"), faults);
                }
            }
            Op::Inject { port, frame } => {
                let port = m.port(*port);
                let frame = m.frame(frame, port);
                if let Ok(InjectOutcome::Queued) = m.hub.inject(port, &frame, m.now) {
                    m.queued += 1;
                }
            }
            Op::Capture { port, on } => {
                let port = m.port(*port);
                if m.hub.set_capture(port, *on).is_ok() {
                    assert_eq!(m.hub.is_capturing(port), Ok(*on));
                }
            }
            Op::CaptureRead { port, buf_len } => {
                let mut out = vec![0u8; usize::from(*buf_len) * 2];
                if let Ok(read) = m.hub.read_capture(m.port(*port), &mut out) {
                    assert!(read.written <= out.len());
                    if read.written > 0 {
                        Batch::parse(&out[..read.written]).expect("a capture read is a valid batch");
                    }
                }
            }
            Op::Ioctl { port, code, input, output_len } => {
                let code = if code % 2 == 0 { IOCTL_VWIRE_QUERY_DEVICE + (code % 12) * 2 } else { *code };
                let mut output = vec![0u8; usize::from(*output_len)];
                if let IoctlOutcome::Complete { information, .. } =
                    m.hub.handle_ioctl(m.port(*port), code, input, &mut output)
                {
                    assert!(information <= output.len());
                }
            }
            Op::Elapse { ticks } => m.now += u64::from(*ticks),
            Op::FailBuffers { after } => m.parked.buffers_left = (*after != 255).then_some(*after),
            Op::Park { port, buf_len } => {
                let port = m.port(*port);
                if m.hub.mac(port).is_ok() && m.parked.reads.get(&port.0).map_or(0, VecDeque::len) < 8 {
                    m.parked.reads.entry(port.0).or_default().push_back(vec![0; usize::from(*buf_len) * 2]);
                }
            }
            Op::SetSpeed { port, speed_bps } => {
                let port = m.port(*port);
                if m.hub.set_speed(port, *speed_bps).is_ok() {
                    assert_ne!(*speed_bps, 0, "0 bit/s is refused");
                    assert_eq!(m.hub.speed(port), Ok(*speed_bps));
                }
            }
        }
        m.check();
    }
    // Drain: with faults lifted, every pending frame can be read.
    m.now += 1 << 20;
    for port in m.ports.clone() {
        let _ = m.hub.set_faults(port, Faults::default());
        for _ in 0..64 {
            m.read(port, DEFAULT_MAX_BATCH_BYTES);
        }
        assert_eq!(m.hub.pending_frames(port), 0, "frames stuck in a port's queue");
    }
    m.check();
});
