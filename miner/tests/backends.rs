//! Both backends against a reference Keccak-256: the OpenCL kernel on a real
//! OpenCL device (PoCL here; the README's commands install it) and the CPU
//! backend. Nothing is skipped: no OpenCL device is a failure.

use std::sync::mpsc;
use std::time::Duration;

use lode_miner::opencl::OpenClBackend;
use lode_miner::{cpu::CpuBackend, devices::Inventory, Backend, DeviceKind, Job, Miner, MinerEvent, Work};
use lode_primitives::pow::{self, U256Be};

/// SplitMix64: reproducible inputs without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        out
    }
    fn work(&mut self, target: U256Be) -> Work {
        Work { challenge: self.bytes(), beneficiary: self.bytes(), target, salt: self.bytes() }
    }
}

fn opencl() -> OpenClBackend {
    let inventory = Inventory::scan();
    if let Some(why) = &inventory.opencl_missing {
        panic!("these tests need a real OpenCL device: {why}");
    }
    let device = inventory.devices.iter().find(|d| d.kind != DeviceKind::Cpu).expect("an OpenCL device is listed");
    OpenClBackend::new(device.id).unwrap_or_else(|e| panic!("opening {}: {e}", device.id))
}

fn backends() -> Vec<Box<dyn Backend>> {
    vec![Box::new(opencl()), Box::new(CpuBackend::all_cores())]
}

#[test]
fn kernel_digests_match_reference_keccak_for_4096_random_inputs() {
    let mut cl = opencl();
    let mut rng = Rng(1);
    let mut compared = 0;
    for i in 0..64u64 {
        let job = Job::new(i, rng.work([0xff; 32]));
        // Random bases, and bases where the counter wraps past u64::MAX.
        let start = if i % 8 == 7 { u64::MAX - 31 } else { rng.next() };
        let digests = cl.digests(&job, start, 64).unwrap();
        assert_eq!(digests.len(), 64);
        for (k, lanes) in digests.iter().enumerate() {
            let n = start.wrapping_add(k as u64);
            let mut got = [0u8; 32];
            for (chunk, lane) in got.chunks_exact_mut(8).zip(lanes) {
                chunk.copy_from_slice(&lane.to_le_bytes());
            }
            assert_eq!(got, job.work.digest(n), "work {i}, counter {n}");
            assert_eq!(got, lode_miner::keccak::digest(&job.prepared, n), "the CPU path agrees too");
            compared += 1;
        }
    }
    assert_eq!(compared, 4096);
}

/// The number one below `d`, big-endian.
fn minus_one(mut d: U256Be) -> U256Be {
    for b in d.iter_mut().rev() {
        let (v, borrow) = b.overflowing_sub(1);
        *b = v;
        if !borrow {
            break;
        }
    }
    d
}

fn with_words(words: [u64; 4]) -> U256Be {
    let mut out = [0u8; 32];
    for (chunk, w) in out.chunks_exact_mut(8).zip(words) {
        chunk.copy_from_slice(&w.to_be_bytes());
    }
    out
}

fn top_word(d: &U256Be) -> u64 {
    u64::from_be_bytes(d[..8].try_into().expect("8 bytes"))
}

/// What a scan over a range must return.
enum Expect {
    /// Exactly this counter.
    At(u64),
    /// Some counter in the range: every one meets the target.
    AnyInRange,
    /// Nothing.
    Nothing,
}

#[test]
fn both_backends_find_exactly_what_meets_edge_targets() {
    const COUNT: u64 = 4096;
    let mut rng = Rng(2);
    for mut backend in backends() {
        let name = backend.info().id;
        assert_eq!(COUNT % backend.granularity(), 0);
        for round in 0..4u64 {
            let base = rng.work([0; 32]);
            let start = rng.next() >> 1;
            // The smallest digest in the range: only its counter meets a target equal to it.
            let (best, d) = (start..start + COUNT).map(|n| (n, base.digest(n))).min_by_key(|(_, d)| *d).expect("a range");
            let top = top_word(&d);
            let cases: [(&str, U256Be, Expect); 7] = [
                ("target = the smallest digest", d, Expect::At(best)),
                ("target = the smallest digest − 1", minus_one(d), Expect::Nothing),
                ("same top 64 bits, all ones below", with_words([top, u64::MAX, u64::MAX, u64::MAX]), Expect::At(best)),
                ("same top 64 bits, zeros below", with_words([top, 0, 0, 0]), Expect::Nothing),
                ("top 64 bits one less, all ones below", with_words([top - 1, u64::MAX, u64::MAX, u64::MAX]), Expect::Nothing),
                ("target 0", [0; 32], Expect::Nothing),
                ("target 2^256 − 1", [0xff; 32], Expect::AnyInRange),
            ];
            for (i, (what, target, want)) in cases.into_iter().enumerate() {
                let job = Job::new(round * 10 + i as u64, Work { target, ..base });
                let got = backend.scan(&job, start, COUNT).unwrap();
                match want {
                    Expect::AnyInRange => {
                        let n = got.unwrap_or_else(|| panic!("{name}: {what}: every counter meets it"));
                        assert!((start..start + COUNT).contains(&n), "{name}: {what}: {n} is in the range");
                    }
                    Expect::At(n) => assert_eq!(got, Some(n), "{name}: {what}"),
                    Expect::Nothing => assert_eq!(got, None, "{name}: {what}"),
                }
            }
        }
    }
}

#[test]
fn a_new_challenge_abandons_stale_work_and_the_solution_is_for_it() {
    for backend in backends() {
        let name = backend.info().id;
        let (tx, rx) = mpsc::channel();
        let miner = Miner::start(backend, move |e| {
            let _ = tx.send(e);
        });
        let mut rng = Rng(3);
        // An impossible target keeps the miner busy on stale work...
        miner.set_work(rng.work([0; 32]));
        while miner.stats().launches < 2 {
            std::thread::sleep(Duration::from_millis(5));
        }
        // ...until a new challenge with an easy target (one in 2^12).
        let fresh = rng.work(pow::mask(244));
        miner.set_work(fresh);
        let event = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| panic!("{name}: no solution in 30 s"));
        let MinerEvent::Found(solution) = event else { panic!("{name}: {event:?}") };
        assert_eq!(solution.work, fresh, "{name}: the solution is for the new work");
        assert!(pow::meets_target(&solution.digest, &fresh.target));
        assert_eq!(solution.digest, fresh.digest(solution.counter));
        let stats = miner.stats();
        assert!(stats.hashes > 0 && stats.batch > 0, "{name}: {stats:?}");
        assert_eq!(stats.rejected, 0);
        // Found work is not searched again: the miner idles until the next challenge.
        assert_eq!(miner.work(), None, "{name}");
    }
}

/// A device that lies: it claims every launch found the first counter. It
/// stands in for a broken driver, which no real device here can be made into.
struct LyingDevice(lode_miner::DeviceInfo);

impl Backend for LyingDevice {
    fn info(&self) -> &lode_miner::DeviceInfo {
        &self.0
    }
    fn scan(&mut self, _: &Job, start: u64, _: u64) -> Result<Option<u64>, lode_miner::MinerError> {
        Ok(Some(start))
    }
    fn granularity(&self) -> u64 {
        64
    }
    fn initial_batch(&self) -> u64 {
        64
    }
}

#[test]
fn the_host_rejects_a_wrong_answer_from_a_device() {
    let info = CpuBackend::all_cores().info().clone();
    let (tx, rx) = mpsc::channel();
    let miner = Miner::start(Box::new(LyingDevice(info)), move |e| {
        let _ = tx.send(e);
    });
    miner.set_work(Rng(4).work([0; 32]));
    match rx.recv_timeout(Duration::from_secs(10)).expect("an event") {
        MinerEvent::Rejected { counter } => assert_eq!(counter, 0),
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert!(miner.stats().rejected >= 1);
}
