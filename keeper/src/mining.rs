//! The mining duty: keeps every miner on the token's current challenge, submits
//! what they find, and watches the hashrate.
//!
//! The token rotates its challenge on every mint, so the duty re-reads
//! `mining_state` on each block and after each submission; a miner given new
//! work abandons the old within one launch (about 75 ms).

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_alerts::{AlertKind, Severity};
use lode_deploy::Suite;
use lode_miner::{devices, DeviceId, Miner, MinerEvent, Solution, Work};
use lode_primitives::pow::SALT_LEN;
use lode_token::{Error as TokenError, MiningState};
use tokio::sync::{broadcast::error::RecvError, mpsc};

use crate::chain::{AccountId, Chain, ChainError};
use crate::health::AlertHook;
use crate::keys::Signer;
use crate::metrics::Metrics;
use crate::shutdown::Shutdown;

/// How the duty mines.
#[derive(Debug, Clone)]
pub struct MiningConfig {
    /// The devices to run, one miner each.
    pub devices: Vec<DeviceId>,
    /// Who the token pays (normally the splitter).
    pub beneficiary: AccountId,
    /// Raise a keeper alert when no hash was computed for this long while
    /// there was work.
    pub stall_after: Duration,
}

/// What happened to one submitted solution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// The token minted `reward` to the beneficiary.
    Minted {
        /// In the token's smallest units.
        reward: u128,
    },
    /// The token refused it; `reason` says why (another miner was first, most often).
    Refused {
        /// The token's error.
        reason: TokenError,
    },
}

/// The running duty.
pub struct MiningDuty {
    miners: Vec<Miner>,
    events: mpsc::UnboundedReceiver<MinerEvent>,
    token: AccountId,
    state_input: Vec<u8>,
    suite: Suite,
    signer: Signer,
    beneficiary: AccountId,
    salt_prefix: [u8; 16],
    stall_after: Duration,
    metrics: Arc<Metrics>,
    alerts: AlertHook,
    current: Option<MiningState>,
    rate: RateWindow,
}

impl MiningDuty {
    /// Opens every device in `config` and starts its miner, idle until [`MiningDuty::run`].
    pub fn start(
        config: &MiningConfig,
        suite: &Suite,
        token: AccountId,
        signer: Signer,
        metrics: Arc<Metrics>,
        alerts: AlertHook,
    ) -> Result<Self, DutyError> {
        let (tx, events) = mpsc::unbounded_channel();
        let mut miners = Vec::new();
        for id in &config.devices {
            let backend = devices::open(*id).map_err(|e| DutyError::Device(e.to_string()))?;
            let tx = tx.clone();
            miners.push(Miner::start(backend, move |e| {
                let _ = tx.send(e);
            }));
        }
        if miners.is_empty() {
            return Err(DutyError::Device("no device to mine on".into()));
        }
        let state_input = suite.message_input("token", "mining_state", ())?;
        // The signer's account, so two keepers mining for the same beneficiary
        // never search the same nonces; the device index separates devices.
        let mut salt_prefix = [0u8; 16];
        salt_prefix.copy_from_slice(&signer.account_id().0[..16]);
        Ok(MiningDuty {
            miners,
            events,
            token,
            state_input,
            suite: suite.clone(),
            signer,
            beneficiary: config.beneficiary,
            salt_prefix,
            stall_after: config.stall_after,
            metrics,
            alerts,
            current: None,
            rate: RateWindow::default(),
        })
    }

    /// The devices being mined on.
    pub fn devices(&self) -> impl Iterator<Item = &lode_miner::DeviceInfo> {
        self.miners.iter().map(Miner::info)
    }

    /// Mines until `shutdown`. Chain errors are logged and retried on the next
    /// block; only a closed chain ends the duty early.
    pub async fn run(mut self, chain: &dyn Chain, mut shutdown: Shutdown) -> Result<(), DutyError> {
        let mut blocks = chain.subscribe();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut stall = StallWatch::new(self.stall_after);
        self.refresh(chain, false).await;
        loop {
            tokio::select! {
                _ = shutdown.wait() => {
                    // Leave the metrics current for whoever reads them last.
                    self.sample_rate();
                    return Ok(());
                }
                block = blocks.recv() => match block {
                    Ok(_) | Err(RecvError::Lagged(_)) => self.refresh(chain, false).await,
                    Err(RecvError::Closed) => return Err(DutyError::ChainClosed),
                },
                Some(event) = self.events.recv() => self.on_event(chain, event).await,
                _ = tick.tick() => {
                    let rate = self.sample_rate();
                    let working = self.miners.iter().any(|m| m.work().is_some());
                    match stall.observe(Instant::now(), rate, working) {
                        Some(Stall::Began(for_how_long)) => self.alerts.raise("miner", AlertKind::Degraded, Severity::High,
                            format!("hashrate has been zero for {} s with work assigned", for_how_long.as_secs())),
                        Some(Stall::Ended) => self.alerts.raise("miner", AlertKind::Info, Severity::Info, format!("hashrate recovered: {rate} H/s")),
                        None => {}
                    }
                }
            }
        }
    }

    /// Reads the token's challenge and target and moves the miners onto them
    /// when they changed, or when `retry` (a solution could not be submitted).
    /// A miner idle after a solution stays idle until then: restarting it on the
    /// same challenge would only find the same solution again.
    async fn refresh(&mut self, chain: &dyn Chain, retry: bool) {
        let state = match self.read_state(chain).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("miner: reading the token's mining state failed: {e}; retrying on the next block");
                return;
            }
        };
        let changed = self.current.is_none_or(|c| c.challenge != state.challenge || c.target != state.target);
        if changed || retry {
            for (i, miner) in self.miners.iter().enumerate() {
                miner.set_work(Work {
                    challenge: state.challenge,
                    beneficiary: self.beneficiary.0,
                    target: state.target,
                    salt: self.salt(i),
                });
            }
        }
        self.current = Some(state);
    }

    async fn read_state(&self, chain: &dyn Chain) -> Result<MiningState, ChainError> {
        chain.dry_run(self.signer.account_id(), self.token, 0, self.state_input.clone()).await?.decode()
    }

    fn salt(&self, device: usize) -> [u8; SALT_LEN] {
        let mut salt = [0u8; SALT_LEN];
        salt[..16].copy_from_slice(&self.salt_prefix);
        salt[16..].copy_from_slice(&(device as u64).to_le_bytes());
        salt
    }

    async fn on_event(&mut self, chain: &dyn Chain, event: MinerEvent) {
        match event {
            MinerEvent::Found(solution) => {
                self.metrics.solutions.fetch_add(1, Ordering::Relaxed);
                let retry = match self.submit(chain, &solution).await {
                    Ok(Submitted::Minted { reward }) => {
                        self.metrics.mints.fetch_add(1, Ordering::Relaxed);
                        self.metrics.add_minted(reward);
                        false
                    }
                    Ok(Submitted::Refused { reason }) => {
                        self.metrics.stale.fetch_add(1, Ordering::Relaxed);
                        if reason != TokenError::StaleChallenge {
                            eprintln!("miner: the token refused a solution: {reason:?}; waiting for the next challenge");
                        }
                        false
                    }
                    Err(e) => {
                        eprintln!("miner: submitting a solution failed: {e}; mining on");
                        true
                    }
                };
                self.refresh(chain, retry).await;
            }
            MinerEvent::Rejected { counter } => {
                self.metrics.rejected.fetch_add(1, Ordering::Relaxed);
                self.alerts.raise(
                    "miner",
                    AlertKind::Degraded,
                    Severity::Medium,
                    format!("a device answered counter {counter}, which does not meet the target; check its driver"),
                );
            }
            MinerEvent::Failed(e) => eprintln!("miner: a launch failed: {e}"),
        }
    }

    /// Submits `solution` to the token as this keeper.
    pub async fn submit(&self, chain: &dyn Chain, solution: &Solution) -> Result<Submitted, DutyError> {
        let w = &solution.work;
        let input = self.suite.message_input("token", "mine", (w.challenge, solution.nonce, w.beneficiary))?;
        let outcome = chain.call(&self.signer, self.token, 0, input).await?;
        Ok(match outcome.decode::<Result<u128, TokenError>>()? {
            Ok(reward) => Submitted::Minted { reward },
            Err(reason) => Submitted::Refused { reason },
        })
    }

    /// Updates the hashrate metric from the miners' counters; returns it.
    fn sample_rate(&mut self) -> u64 {
        let hashes = self.miners.iter().map(|m| m.stats().hashes).fold(0u64, u64::saturating_add);
        self.metrics.hashes.store(hashes, Ordering::Relaxed);
        let rate = self.rate.push(Instant::now(), hashes);
        self.metrics.hashrate.store(rate, Ordering::Relaxed);
        rate
    }
}

/// Hashes per second over the last few seconds. Miners count a launch when it
/// ends, so a window several launches long smooths the steps.
#[derive(Debug, Default)]
pub struct RateWindow {
    samples: VecDeque<(Instant, u64)>,
}

impl RateWindow {
    const SPAN: Duration = Duration::from_secs(3);

    /// Records `hashes` (a running total) at `now` and returns the rate.
    pub fn push(&mut self, now: Instant, hashes: u64) -> u64 {
        self.samples.push_back((now, hashes));
        while self.samples.len() > 2 && self.samples.front().is_some_and(|(t, _)| now.duration_since(*t) > Self::SPAN) {
            self.samples.pop_front();
        }
        let Some(&(t0, h0)) = self.samples.front() else { return 0 };
        let secs = now.duration_since(t0).as_secs_f64();
        if secs <= 0.0 {
            return 0;
        }
        // Hashes per second fit in u64 with room to spare; the cast saturates.
        (hashes.saturating_sub(h0) as f64 / secs) as u64
    }
}

/// Watches for a zero hashrate while there is work: reports once when it has
/// lasted `after`, and once when hashing resumes.
#[derive(Debug)]
pub struct StallWatch {
    after: Duration,
    since: Option<Instant>,
    alerted: bool,
}

/// A change worth an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// No hashes for this long, with work assigned.
    Began(Duration),
    /// Hashing resumed after a reported stall.
    Ended,
}

impl StallWatch {
    /// Reports stalls that last `after`.
    pub fn new(after: Duration) -> Self {
        StallWatch { after, since: None, alerted: false }
    }

    /// One observation: the current `rate`, and whether any miner has work (an
    /// idle miner waiting for the next challenge is not stalled).
    pub fn observe(&mut self, now: Instant, rate: u64, working: bool) -> Option<Stall> {
        if rate == 0 && working {
            let since = *self.since.get_or_insert(now);
            let lasted = now.saturating_duration_since(since);
            if !self.alerted && lasted >= self.after {
                self.alerted = true;
                return Some(Stall::Began(lasted));
            }
            return None;
        }
        self.since = None;
        if self.alerted && rate > 0 {
            self.alerted = false;
            return Some(Stall::Ended);
        }
        None
    }
}

/// Why the mining duty could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum DutyError {
    /// A device could not be opened.
    #[error("mining device: {0}")]
    Device(String),
    /// The suite's metadata lacks a token message the duty calls.
    #[error(transparent)]
    Suite(#[from] lode_deploy::DeployError),
    /// A chain call failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The chain's block stream ended.
    #[error("the chain stopped; the miner has nothing to follow")]
    ChainClosed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stall_is_reported_once_after_the_delay_and_its_end_once() {
        let t = Instant::now();
        let s = Duration::from_secs;
        let mut w = StallWatch::new(s(10));
        assert_eq!(w.observe(t, 5_000, true), None);
        assert_eq!(w.observe(t + s(1), 0, true), None, "stall starts");
        assert_eq!(w.observe(t + s(10), 0, true), None, "9 s is not yet 10");
        assert_eq!(w.observe(t + s(11), 0, true), Some(Stall::Began(s(10))));
        assert_eq!(w.observe(t + s(30), 0, true), None, "reported once");
        assert_eq!(w.observe(t + s(31), 0, false), None, "idle waiting for work is not a stall or a recovery");
        assert_eq!(w.observe(t + s(32), 7_000, true), Some(Stall::Ended));
        assert_eq!(w.observe(t + s(33), 7_000, true), None);
        // Idle time does not count toward a stall.
        assert_eq!(w.observe(t + s(40), 0, false), None);
        assert_eq!(w.observe(t + s(60), 0, true), None, "the clock starts when work is assigned");
        assert_eq!(w.observe(t + s(70), 0, true), Some(Stall::Began(s(10))));
    }

    #[test]
    fn rate_is_hashes_over_the_window() {
        let t = Instant::now();
        let mut w = RateWindow::default();
        assert_eq!(w.push(t, 0), 0);
        assert_eq!(w.push(t + Duration::from_secs(1), 1_000), 1_000);
        assert_eq!(w.push(t + Duration::from_secs(2), 3_000), 1_500);
        // Samples older than the span drop out.
        assert_eq!(w.push(t + Duration::from_secs(6), 3_000), 0, "no hashes in the last span");
        assert_eq!(w.push(t + Duration::from_secs(7), 5_000), 2_000, "2,000 hashes in the last second");
    }
}
