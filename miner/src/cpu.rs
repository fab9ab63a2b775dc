//! The pure-Rust backend: every core, several tries per SIMD register.

use std::num::NonZeroUsize;
use std::thread;

use crate::backend::{Backend, DeviceId, DeviceInfo, DeviceKind, Job};
use crate::keccak::{self, Prepared};
use crate::MinerError;

/// How each thread hashes: picked once, from what the CPU supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lanes {
    /// Eight tries per step in AVX2 registers (two per lane): measured faster
    /// than four, which leaves the out-of-order core idle between dependent ops.
    Avx2x8,
    /// Two tries per step, which SSE2 (or any target) handles.
    Portable2,
}

impl Lanes {
    fn detect() -> Self {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            return Lanes::Avx2x8;
        }
        Lanes::Portable2
    }

    fn width(self) -> u64 {
        match self {
            Lanes::Avx2x8 => 8,
            Lanes::Portable2 => 2,
        }
    }

    fn scan(self, p: &Prepared, start: u64, count: u64, reject: &mut dyn FnMut(u64) -> bool) -> Option<u64> {
        match self {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: Avx2x8 is only chosen when the CPU reports AVX2.
            Lanes::Avx2x8 => unsafe { scan_avx2(p, start, count, reject) },
            #[cfg(not(target_arch = "x86_64"))]
            Lanes::Avx2x8 => keccak::scan::<8>(p, start, count, reject),
            Lanes::Portable2 => keccak::scan::<2>(p, start, count, reject),
        }
    }
}

/// [`keccak::scan`] compiled for AVX2, so its `[u64; 8]` lanes become vectors.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn scan_avx2(p: &Prepared, start: u64, count: u64, reject: &mut dyn FnMut(u64) -> bool) -> Option<u64> {
    keccak::scan::<8>(p, start, count, reject)
}

/// The CPU backend.
#[derive(Debug)]
pub struct CpuBackend {
    info: DeviceInfo,
    threads: u64,
    lanes: Lanes,
}

impl CpuBackend {
    /// A backend on every core.
    pub fn all_cores() -> Self {
        let threads = thread::available_parallelism().map_or(1, NonZeroUsize::get);
        let lanes = Lanes::detect();
        let simd = match lanes {
            Lanes::Avx2x8 => "AVX2, 8 tries per step",
            Lanes::Portable2 => "portable, 2 tries per step",
        };
        let info = DeviceInfo {
            id: DeviceId::Cpu,
            kind: DeviceKind::Cpu,
            name: "Lode CPU backend".into(),
            detail: format!("{threads} threads, {simd}"),
        };
        CpuBackend { info, threads: threads as u64, lanes }
    }
}

impl Backend for CpuBackend {
    fn info(&self) -> &DeviceInfo {
        &self.info
    }

    fn scan(&mut self, job: &Job, start: u64, count: u64) -> Result<Option<u64>, MinerError> {
        // Each thread takes one contiguous slice; the miner keeps `count` a
        // multiple of threads × width, so the slices tile the range exactly.
        let per = count / self.threads;
        let lanes = self.lanes;
        let found = thread::scope(|s| {
            let slices: Vec<_> = (0..self.threads)
                .map(|t| {
                    let from = start.wrapping_add(t.wrapping_mul(per));
                    s.spawn(move || lanes.scan(&job.prepared, from, per, &mut |n| job.work.check(n).is_none()))
                })
                .collect();
            let mut found = None;
            for slice in slices {
                let n = slice.join().map_err(|_| MinerError::Backend("a CPU backend thread panicked".into()))?;
                found = found.or(n);
            }
            Ok(found)
        });
        found
    }

    fn granularity(&self) -> u64 {
        self.threads.saturating_mul(self.lanes.width())
    }

    fn initial_batch(&self) -> u64 {
        self.granularity().saturating_mul(4096)
    }
}
