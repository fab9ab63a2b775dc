//! `cargo bench -p lode-miner`: one launch of each backend, in hashes per
//! second (criterion's elements/s). `lode mine --bench` measures the same
//! backends through the miner loop, next to OpenSSL.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lode_miner::devices::{self, Inventory};
use lode_miner::{Backend, Job, Work};

fn launches(c: &mut Criterion) {
    let job = Job::new(1, Work { challenge: [0x4c; 32], beneficiary: [0x44; 32], target: [0; 32], salt: [0; 24] });
    let inventory = Inventory::scan();
    if let Some(why) = &inventory.opencl_missing {
        eprintln!("{why}");
    }
    let mut group = c.benchmark_group("scan");
    group.sample_size(20);
    for info in &inventory.devices {
        let mut backend: Box<dyn Backend> = match devices::open(info.id) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("skipping {}: {e}", info.id);
                continue;
            }
        };
        // About one 75 ms launch at the rates measured here.
        let batch = (1u64 << 19).div_ceil(backend.granularity()) * backend.granularity();
        group.throughput(Throughput::Elements(batch));
        let mut start = 0u64;
        group.bench_function(info.id.to_string(), |b| {
            b.iter(|| {
                let found = backend.scan(&job, start, batch).expect("a launch");
                start = start.wrapping_add(batch);
                found
            })
        });
    }
    group.finish();
}

fn prepare(c: &mut Criterion) {
    let work = Work { challenge: [1; 32], beneficiary: [2; 32], target: [0; 32], salt: [3; 24] };
    c.bench_function("prepare (per new challenge)", |b| b.iter(|| std::hint::black_box(&work).prepare()));
}

criterion_group!(benches, launches, prepare);
criterion_main!(benches);
