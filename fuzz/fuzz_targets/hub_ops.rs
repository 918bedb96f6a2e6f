//! The hub, driven by a sequence of writes (well-formed batches of chosen frames, or raw bytes), reads,
//! internal IOCTLs and the administrator's operations (ports added and removed, link, speed, faults,
//! inject, capture), with time passing.
//! Properties: no panic, and frames are conserved: every copy the hub queued for a port (a write's
//! `delivered`, an inject that was `Queued`) is, at every step, either read by that port, still
//! pending there, or gone with its removed port; each port's `rx_frames` counts exactly the frames its
//! reads returned; a write's report counts the batch's frames and bytes; every read is a valid batch.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use vwire_bus::{Faults, Hub, HubConfig, InjectOutcome, IoctlOutcome, PortId};
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
    read_by_port: std::collections::BTreeMap<u32, u64>,
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
                if let Ok(report) = m.hub.write_batch(port, &buf[..n], m.now) {
                    assert_eq!((report.frames, report.bytes), (count, bytes));
                    assert!(report.unrouted <= report.frames);
                    m.queued += u64::from(report.delivered);
                }
            }
            Op::WriteRaw { port, bytes } => {
                let port = m.port(*port);
                if let Ok(report) = m.hub.write_batch(port, bytes, m.now) {
                    let batch = Batch::parse(bytes).expect("the hub accepted only a valid batch");
                    assert_eq!(report.frames as usize, batch.frame_count());
                    m.queued += u64::from(report.delivered);
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
