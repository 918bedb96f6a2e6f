//! Criterion benches of the data path (for developers; `miniport-lab bench` prints the numbers
//! `docs/performance.md` reports). `cargo bench -p miniport-lab`. Not run by `cargo test`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use miniport_lab::bench::{DataPath, FRAMES_PER_ROUND};
use std::hint::black_box;

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

criterion_group!(benches, datapath);
criterion_main!(benches);
