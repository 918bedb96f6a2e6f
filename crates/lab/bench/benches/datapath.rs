//! Criterion benches of the data path (for developers; `miniport-lab bench` prints the numbers
//! `docs/performance.md` reports). `cargo bench -p miniport-lab-bench`. Not run by `cargo test`.
//!
//! - `a_to_b`: the whole path through two drivers, the model and the hub.
//! - `hub`: the hub alone, one batch of ten 1514-byte frames from one port to another, two ways:
//!   queued, then read out by the receiver (two copies), or written straight into the receiver's
//!   parked read (cut-through, one copy).
//! - `copy_baseline`: one frame copied once.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use miniport_lab::bench::{DataPath, FRAMES_PER_ROUND};
use std::hint::black_box;
use vwire_bus::{HandedBack, Hub, HubConfig, ParkedReads, PortId};
use vwire_proto::{BatchWriter, DEFAULT_MAX_BATCH_BYTES};

/// Frames in the hub bench's batch: as many 1514-byte frames as a 16 KiB batch holds.
const HUB_FRAMES: usize = 10;

/// One read parked on the receiving port, lent to every write.
struct OneRead {
    port: PortId,
    buffer: Vec<u8>,
    filled: usize,
}

impl ParkedReads for OneRead {
    fn take(&mut self, port: PortId) -> bool {
        port == self.port
    }

    fn buffer(&mut self, port: PortId) -> Option<&mut [u8]> {
        (port == self.port).then_some(self.buffer.as_mut_slice())
    }

    fn finish(&mut self, _port: PortId, read: HandedBack) {
        self.filled = if let HandedBack::Filled(length) = read { length } else { 0 };
    }
}

fn hub(c: &mut Criterion) {
    let mut hub = Hub::new(HubConfig::default());
    let (a, b) = (hub.add_port([2, 0, 0, 0, 0, 1]).unwrap(), hub.add_port([2, 0, 0, 0, 0, 2]).unwrap());
    let mut batch = vec![0u8; DEFAULT_MAX_BATCH_BYTES];
    let length = {
        let mut writer = BatchWriter::new(&mut batch).unwrap();
        for i in 0..HUB_FRAMES {
            let mut frame = vec![i as u8; 1514];
            frame[..6].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
            frame[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 1]);
            writer.push(&frame).unwrap();
        }
        writer.finish()
    };
    let batch = &batch[..length];
    // B speaks once, so frames to it are switched, not flooded.
    let mut hello = vec![0u8; 64];
    let n = {
        let mut writer = BatchWriter::new(&mut hello).unwrap();
        let mut frame = vec![0u8; 14];
        frame[..6].copy_from_slice(&[0xff; 6]);
        frame[6..12].copy_from_slice(&[2, 0, 0, 0, 0, 2]);
        writer.push(&frame).unwrap();
        writer.finish()
    };
    hub.write_batch(b, &hello[..n], 0).unwrap();

    let mut group = c.benchmark_group("hub");
    group.throughput(Throughput::Elements(HUB_FRAMES as u64));
    let mut read = vec![0u8; DEFAULT_MAX_BATCH_BYTES];
    group.bench_function(format!("queue_then_read_1514_x{HUB_FRAMES}"), |bench| {
        bench.iter(|| {
            let report = hub.write_batch(a, black_box(batch), 0).unwrap();
            assert_eq!(report.delivered as usize, HUB_FRAMES);
            black_box(hub.read_batch(b, &mut read, 0).unwrap())
        })
    });
    let mut parked = OneRead { port: b, buffer: vec![0u8; DEFAULT_MAX_BATCH_BYTES], filled: 0 };
    group.bench_function(format!("cut_through_1514_x{HUB_FRAMES}"), |bench| {
        bench.iter(|| {
            let report = hub.write_batch_into(a, black_box(batch), 0, &mut parked).unwrap();
            assert_eq!(report.cut_through as usize, HUB_FRAMES);
            black_box(parked.filled)
        })
    });
    group.finish();
}

fn datapath(c: &mut Criterion) {
    let mut group = c.benchmark_group("a_to_b");
    for len in [64usize, 1514] {
        group.throughput(Throughput::Elements(FRAMES_PER_ROUND as u64));
        // One DataPath at a time: the model allows one loaded driver per process.
        let path = DataPath::new(len);
        group.bench_function(format!("{len}_bytes_x{FRAMES_PER_ROUND}"), |b| {
            b.iter(|| black_box(path.round()))
        });
        let problems = path.finish();
        assert!(problems.is_empty(), "{problems:?}");
    }
    group.finish();
    let mut group = c.benchmark_group("copy_baseline");
    for len in [64usize, 1514] {
        let src = vec![0x5Au8; len];
        let mut dst = vec![0u8; 1536];
        group.throughput(Throughput::Elements(1));
        group.bench_function(format!("{len}_bytes"), |b| {
            b.iter(|| {
                dst[..len].copy_from_slice(black_box(&src));
                black_box(&mut dst);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, datapath, hub);
criterion_main!(benches);
