//! The mining duty: keeps every miner on the token's current challenge, submits
//! what they find, and watches the hashrate.
//!
//! The token rotates its challenge on every mint, so the duty re-reads
//! `mining_state` on each new canonical block and after each submission; a
//! miner given new work abandons the old within one launch (about 75 ms).

mod metrics;
mod rate;
mod stall;

use std::time::{Duration, Instant};

use lode_miner::{devices, Backend, DeviceId, Miner, MinerEvent, Solution, Work};
use lode_primitives::pow::SALT_LEN;
use lode_token::{Error as TokenError, MiningState};
use tokio::sync::{broadcast::error::RecvError, mpsc};

pub use metrics::MiningMetrics;
pub use rate::RateWindow;
pub use stall::{Stall, StallWatch};

use crate::alerting::{Finding, Level, Rule};
use crate::chain::AccountId;
use crate::contracts::{ContractError, TokenClient};
use crate::keys::Signer;
use crate::runtime::{Context, Duty, DutyError, Shutdown};

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

/// The mining duty.
pub struct MiningDuty {
    miners: Vec<Miner>,
    events: mpsc::UnboundedReceiver<MinerEvent>,
    beneficiary: AccountId,
    salt_prefix: [u8; 16],
    stall_after: Duration,
    metrics: MiningMetrics,
    current: Option<MiningState>,
    rate: RateWindow,
    hashes_seen: u64,
    /// When a wrong answer was last raised.
    wrong_answer_raised: Option<Instant>,
}

/// At most one wrong-answer finding this often.
const WRONG_ANSWER_EVERY: Duration = Duration::from_secs(60);

/// Why the mining duty could not start.
#[derive(Debug, thiserror::Error)]
#[error("mining device: {0}")]
pub struct DeviceError(String);

impl MiningDuty {
    /// Opens every device in `config` and starts its miner, idle until the
    /// duty runs. `keeper` (the signing account) seeds the search, so two
    /// keepers mining for the same beneficiary never try the same nonces.
    pub fn start(config: &MiningConfig, keeper: AccountId, metrics: MiningMetrics) -> Result<Self, DeviceError> {
        let backends =
            config.devices.iter().map(|id| devices::open(*id).map_err(|e| DeviceError(e.to_string()))).collect::<Result<_, _>>()?;
        Self::with_backends(backends, config, keeper, metrics)
    }

    /// Like [`MiningDuty::start`], on devices already opened (`config.devices`
    /// is not read): for a caller that wraps a device, as the tests do to
    /// starve one.
    pub fn with_backends(
        backends: Vec<Box<dyn Backend>>,
        config: &MiningConfig,
        keeper: AccountId,
        metrics: MiningMetrics,
    ) -> Result<Self, DeviceError> {
        let (tx, events) = mpsc::unbounded_channel();
        let mut miners = Vec::new();
        for backend in backends {
            let tx = tx.clone();
            miners.push(Miner::start(backend, move |e| {
                let _ = tx.send(e);
            }));
        }
        if miners.is_empty() {
            return Err(DeviceError("no device to mine on".into()));
        }
        let mut salt_prefix = [0u8; 16];
        salt_prefix.copy_from_slice(&keeper.0[..16]);
        Ok(MiningDuty {
            miners,
            events,
            beneficiary: config.beneficiary,
            salt_prefix,
            stall_after: config.stall_after,
            metrics,
            current: None,
            rate: RateWindow::default(),
            hashes_seen: 0,
            wrong_answer_raised: None,
        })
    }

    /// The devices being mined on.
    pub fn devices(&self) -> impl Iterator<Item = &lode_miner::DeviceInfo> {
        self.miners.iter().map(Miner::info)
    }

    /// Reads the token's challenge and target and moves the miners onto them
    /// when they changed, or when `retry` (a solution could not be submitted).
    /// A miner idle after a solution stays idle until then: restarting it on the
    /// same challenge would only find the same solution again.
    async fn refresh(&mut self, token: &TokenClient, retry: bool) {
        let state = match token.mining_state().await {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!("miner: reading the token's mining state failed: {e}; retrying on the next block");
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

    fn salt(&self, device: usize) -> [u8; SALT_LEN] {
        let mut salt = [0u8; SALT_LEN];
        salt[..16].copy_from_slice(&self.salt_prefix);
        salt[16..].copy_from_slice(&(device as u64).to_le_bytes());
        salt
    }

    async fn on_event(&mut self, ctx: &Context, event: MinerEvent) {
        match event {
            MinerEvent::Found(solution) => {
                self.metrics.solutions.inc();
                let retry = match submit(&ctx.contracts.token, &ctx.signer, &solution).await {
                    Ok(Submitted::Minted { reward }) => {
                        self.metrics.mints.inc();
                        self.metrics.add_minted(reward);
                        false
                    }
                    Ok(Submitted::Refused { reason }) => {
                        self.metrics.stale.inc();
                        if reason != TokenError::StaleChallenge {
                            tracing::warn!("miner: the token refused a solution: {reason:?}; waiting for the next challenge");
                        }
                        false
                    }
                    Err(e) => {
                        tracing::warn!("miner: submitting a solution failed: {e}; mining on");
                        true
                    }
                };
                self.refresh(&ctx.contracts.token, retry).await;
            }
            MinerEvent::Rejected { counter } => {
                self.metrics.rejected.inc();
                // A device that answers wrong does so on every launch, hundreds
                // a second: one finding a minute says it (the metric counts
                // them all), where one each would flood the alert hook.
                let now = Instant::now();
                if self.wrong_answer_raised.is_some_and(|at| now.duration_since(at) < WRONG_ANSWER_EVERY) {
                    return;
                }
                self.wrong_answer_raised = Some(now);
                ctx.alerts.raise(
                    Finding::new(
                        Rule::Duty,
                        Level::Warning,
                        format!("a device answered counter {counter}, which does not meet the target; check its driver"),
                    )
                    .keyed("miner-wrong-answer"),
                );
            }
            MinerEvent::Failed(e) => tracing::warn!("miner: a launch failed: {e}"),
        }
    }

    /// Updates the hash metrics from the miners' counters; returns the rate.
    fn sample_rate(&mut self) -> u64 {
        let hashes = self.miners.iter().map(|m| m.stats().hashes).fold(0u64, u64::saturating_add);
        self.metrics.hashes.inc_by(hashes.saturating_sub(self.hashes_seen));
        self.hashes_seen = hashes;
        let rate = self.rate.push(Instant::now(), hashes);
        self.metrics.hashrate.set(i64::try_from(rate).unwrap_or(i64::MAX));
        rate
    }
}

#[async_trait::async_trait]
impl Duty for MiningDuty {
    fn name(&self) -> &'static str {
        "miner"
    }

    /// Mines until shutdown. Chain errors are logged and retried on the next
    /// block.
    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut chain = ctx.notifications.subscribe();
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        let mut stall = StallWatch::new(self.stall_after);
        self.refresh(&ctx.contracts.token, false).await;
        loop {
            tokio::select! {
                _ = shutdown.wait() => {
                    // Leave the metrics current for whoever reads them last.
                    self.sample_rate();
                    return Ok(());
                }
                n = chain.recv() => match n {
                    Ok(_) | Err(RecvError::Lagged(_)) => self.refresh(&ctx.contracts.token, false).await,
                    Err(RecvError::Closed) => return Err(DutyError::fatal("the watcher stopped; the miner has nothing to follow")),
                },
                Some(event) = self.events.recv() => self.on_event(ctx, event).await,
                _ = tick.tick() => {
                    let rate = self.sample_rate();
                    let working = self.miners.iter().any(|m| m.work().is_some());
                    match stall.observe(Instant::now(), rate, working) {
                        Some(Stall::Began(for_how_long)) => ctx.alerts.raise(Finding::new(Rule::Hashrate, Level::Warning,
                            format!("hashrate has been zero for {} s with work assigned", for_how_long.as_secs())).keyed("zero")),
                        Some(Stall::Ended) => ctx.alerts.raise(
                            Finding::new(Rule::Hashrate, Level::Info, format!("hashrate recovered: {rate} H/s")).keyed("recovered")),
                        None => {}
                    }
                }
            }
        }
    }
}

/// Submits `solution` to the token as `signer`.
pub async fn submit(token: &TokenClient, signer: &Signer, solution: &Solution) -> Result<Submitted, ContractError> {
    let w = &solution.work;
    Ok(match token.mine(signer, w.challenge, solution.nonce, AccountId(w.beneficiary)).await? {
        Ok(reward) => Submitted::Minted { reward },
        Err(reason) => Submitted::Refused { reason },
    })
}
