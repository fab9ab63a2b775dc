//! Drives one backend on its own thread: takes the latest work, launches
//! batches over fresh counter ranges, tunes the batch size, re-checks answers.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::backend::{Backend, DeviceInfo, Job};
use crate::work::{Solution, Work};

/// How long one launch should take: long enough that launch overhead is noise,
/// short enough that a new challenge abandons stale work quickly.
pub const LAUNCH_TARGET: Duration = Duration::from_millis(75);

/// The largest batch the tuner will choose.
const MAX_BATCH: u64 = 1 << 36;

/// What the miner reports, on its own thread.
#[derive(Debug, Clone)]
pub enum MinerEvent {
    /// A solution, already checked with the reference Keccak-256. The miner
    /// then idles until it is given new work.
    Found(Solution),
    /// The device answered a counter that does not meet the target. It was not
    /// submitted; this means a broken driver or kernel.
    Rejected {
        /// The counter the device claimed.
        counter: u64,
    },
    /// A launch failed; the miner retries after a second.
    Failed(String),
}

/// Counters the miner keeps, readable at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MinerStats {
    /// Tries completed since start.
    pub hashes: u64,
    /// The current batch size.
    pub batch: u64,
    /// Launches completed.
    pub launches: u64,
    /// Nanoseconds since start at which the last launch ended.
    pub last_launch_end_ns: u64,
    /// Answers the host check refused.
    pub rejected: u64,
}

#[derive(Default)]
struct Slot {
    job: Option<Arc<Job>>,
    next_id: u64,
}

struct Shared {
    slot: Mutex<Slot>,
    wake: Condvar,
    stop: AtomicBool,
    hashes: AtomicU64,
    batch: AtomicU64,
    launches: AtomicU64,
    last_end_ns: AtomicU64,
    rejected: AtomicU64,
}

impl Shared {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        // The slot holds plain data; a panic elsewhere cannot leave it torn.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A backend searching on its own thread. Dropping it stops the thread after
/// the launch in flight.
pub struct Miner {
    shared: Arc<Shared>,
    info: DeviceInfo,
    thread: Option<JoinHandle<()>>,
}

impl Miner {
    /// Starts `backend` idle; `events` is called on the miner's thread.
    pub fn start(backend: Box<dyn Backend>, events: impl FnMut(MinerEvent) + Send + 'static) -> Self {
        let info = backend.info().clone();
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            hashes: AtomicU64::new(0),
            batch: AtomicU64::new(backend.initial_batch().max(backend.granularity())),
            launches: AtomicU64::new(0),
            last_end_ns: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        });
        let thread = {
            let shared = Arc::clone(&shared);
            thread::Builder::new()
                .name(format!("lode-miner {}", info.id))
                .spawn(move || run(backend, &shared, events))
                .expect("spawning a thread only fails when the OS is out of resources")
        };
        Miner { shared, info, thread: Some(thread) }
    }

    /// The device this miner runs on.
    pub fn info(&self) -> &DeviceInfo {
        &self.info
    }

    /// Replaces the work. The launch in flight finishes (at most about
    /// [`LAUNCH_TARGET`]) and the next one searches the new work from counter 0.
    pub fn set_work(&self, work: Work) {
        let mut slot = self.shared.slot();
        slot.next_id = slot.next_id.wrapping_add(1);
        slot.job = Some(Arc::new(Job::new(slot.next_id, work)));
        self.shared.wake.notify_all();
    }

    /// The work being searched, if any.
    pub fn work(&self) -> Option<Work> {
        self.shared.slot().job.as_ref().map(|j| j.work)
    }

    /// Stops searching until the next [`Miner::set_work`].
    pub fn pause(&self) {
        self.shared.slot().job = None;
    }

    /// The counters so far.
    pub fn stats(&self) -> MinerStats {
        let s = &self.shared;
        MinerStats {
            hashes: s.hashes.load(Ordering::Relaxed),
            batch: s.batch.load(Ordering::Relaxed),
            launches: s.launches.load(Ordering::Relaxed),
            last_launch_end_ns: s.last_end_ns.load(Ordering::Relaxed),
            rejected: s.rejected.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Miner {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run(mut backend: Box<dyn Backend>, shared: &Shared, mut events: impl FnMut(MinerEvent)) {
    let started = Instant::now();
    let granularity = backend.granularity().max(1);
    let mut current: Option<Arc<Job>> = None;
    let mut next = 0u64;
    loop {
        let job = {
            let mut slot = shared.slot();
            while slot.job.is_none() && !shared.stop.load(Ordering::Relaxed) {
                slot = shared.wake.wait(slot).unwrap_or_else(PoisonError::into_inner);
            }
            if shared.stop.load(Ordering::Relaxed) {
                return;
            }
            let Some(job) = slot.job.clone() else { continue };
            job
        };
        if current.as_ref().map(|c| c.id) != Some(job.id) {
            current = Some(Arc::clone(&job));
            next = 0;
        }
        let batch = shared.batch.load(Ordering::Relaxed);
        let Some(end) = next.checked_add(batch) else {
            // 2^64 tries without a solution: nothing left to search under this salt.
            idle_if_current(shared, job.id);
            continue;
        };
        let launched = Instant::now();
        match backend.scan(&job, next, batch) {
            Ok(found) => {
                let took = launched.elapsed();
                shared.hashes.fetch_add(batch, Ordering::Relaxed);
                shared.launches.fetch_add(1, Ordering::Relaxed);
                shared.last_end_ns.store(u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
                shared.batch.store(tuned(batch, took, granularity), Ordering::Relaxed);
                next = end;
                if let Some(counter) = found {
                    match job.work.check(counter) {
                        Some(solution) => {
                            // The challenge rotates once this is minted: idle
                            // until the keeper hands over the next one.
                            idle_if_current(shared, job.id);
                            events(MinerEvent::Found(solution));
                        }
                        None => {
                            shared.rejected.fetch_add(1, Ordering::Relaxed);
                            events(MinerEvent::Rejected { counter });
                        }
                    }
                }
            }
            Err(e) => {
                events(MinerEvent::Failed(e.to_string()));
                let slot = shared.slot();
                let _ = shared.wake.wait_timeout(slot, Duration::from_secs(1));
            }
        }
    }
}

fn idle_if_current(shared: &Shared, id: u64) {
    let mut slot = shared.slot();
    if slot.job.as_ref().is_some_and(|j| j.id == id) {
        slot.job = None;
    }
}

/// The next batch size: scaled towards [`LAUNCH_TARGET`], by at most ×2 or ÷2
/// per launch (the first launch includes warm-up), in whole `granularity` steps.
pub fn tuned(batch: u64, took: Duration, granularity: u64) -> u64 {
    let granularity = granularity.max(1);
    let took_ns = took.as_nanos().max(1);
    let wanted = u128::from(batch).saturating_mul(LAUNCH_TARGET.as_nanos()) / took_ns;
    let bounded = wanted.clamp(u128::from(batch / 2), u128::from(batch).saturating_mul(2));
    let steps = (bounded / u128::from(granularity)).max(1);
    u64::try_from(steps.saturating_mul(u128::from(granularity))).unwrap_or(MAX_BATCH).min(MAX_BATCH / granularity * granularity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tuning_moves_towards_the_launch_target_in_bounded_steps() {
        let ms = Duration::from_millis;
        assert_eq!(tuned(1000, ms(75), 10), 1000, "on target: unchanged");
        assert_eq!(tuned(1000, ms(150), 10), 500, "twice too slow: halved");
        assert_eq!(tuned(1000, ms(50), 10), 1500);
        assert_eq!(tuned(1000, ms(1), 10), 2000, "at most doubled");
        assert_eq!(tuned(1000, ms(10_000), 10), 500, "at most halved");
        assert_eq!(tuned(1000, ms(75), 64), 960, "whole granules");
        assert_eq!(tuned(64, ms(10_000), 64), 64, "never below one granule");
        assert_eq!(tuned(MAX_BATCH, Duration::ZERO, 64), MAX_BATCH, "capped");
    }
}
