//! The watcher: the keeper's only subscriber to blocks.
//!
//! It follows best and finalized heads, walks back from each new head by
//! parent hash until it meets a block it knows (so gaps from a dropped
//! connection and fork switches are handled by one rule), and publishes typed
//! [`ChainNotification`]s. Its resume point is the last confirmed block, kept
//! in a [`CursorStore`]; after a restart every canonical block after it is
//! announced again, and confirmed ones are never announced twice.

mod canon;
mod cursor;
mod metrics;
mod notification;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;

pub use canon::{Canon, CanonError, Confirmation, Update};
pub use cursor::{Cursor, CursorStore};
pub use metrics::WatcherMetrics;
pub use notification::{ChainNotification, Notifications};

use crate::chain::{BlockInfo, BlockSource, ChainError, Head};
use crate::runtime::{Context, Duty, DutyError, RestartPolicy, Shutdown};

/// How far back the watcher walks to connect a new head before it gives up
/// (about 28 hours of 6-second blocks, or a long outage on a dev node).
const MAX_WALK: usize = 100_000;

/// Follows the chain and publishes what changed.
pub struct Watcher {
    source: Arc<dyn BlockSource>,
    out: Notifications,
    canon: Canon,
    cursor: Option<Arc<dyn CursorStore>>,
    resumed: bool,
    metrics: WatcherMetrics,
}

/// Why the watcher stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// The chain cannot be read, and retrying will not help.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The chain contradicted what the watcher had confirmed.
    #[error(transparent)]
    Canon(#[from] CanonError),
    /// The cursor could not be read or saved.
    #[error("the watcher's cursor: {0}")]
    Cursor(String),
}

impl Watcher {
    /// A watcher reading `source`, publishing to `out`, confirming by `rule`,
    /// and keeping its cursor in `cursor` (none: every run starts at the
    /// finalized block).
    pub fn new(
        source: Arc<dyn BlockSource>,
        out: Notifications,
        rule: Confirmation,
        cursor: Option<Arc<dyn CursorStore>>,
        metrics: WatcherMetrics,
    ) -> Self {
        Watcher { source, out, canon: Canon::new(rule, None, None), cursor, resumed: false, metrics }
    }

    /// Follows the chain until `shutdown`. Transient read errors and dropped
    /// subscriptions are retried with backoff; the gap is filled on the next
    /// head.
    pub async fn watch(&mut self, shutdown: &mut Shutdown) -> Result<(), WatchError> {
        if !self.resumed {
            self.resume().await?;
        }
        let mut backoff = Backoff::default();
        loop {
            let followed = std::time::Instant::now();
            let result = tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                r = self.follow_once() => r,
            };
            if followed.elapsed() > Duration::from_secs(30) {
                // It worked for a while: this is a new outage, not the same one.
                backoff = Backoff::default();
            }
            match result {
                Ok(()) => tracing::info!("the head subscription ended; following again"),
                Err(WatchError::Chain(e)) if e.retryable() => {
                    self.metrics.rpc_errors.inc();
                    tracing::warn!("reading the chain failed: {e}; retrying");
                }
                Err(e) => return Err(e),
            }
            self.metrics.resubscribes.inc();
            tokio::select! {
                _ = shutdown.wait() => return Ok(()),
                _ = tokio::time::sleep(backoff.next()) => {}
            }
        }
    }

    /// The canonical view, for status output.
    pub fn canon(&self) -> &Canon {
        &self.canon
    }

    async fn resume(&mut self) -> Result<(), WatchError> {
        if let Some(store) = &self.cursor {
            if let Some(c) = store.load().await.map_err(|e| WatchError::Cursor(e.to_string()))? {
                tracing::info!("resuming after {}", c.confirmed);
                self.canon = Canon::new(self.canon.rule(), Some(c.confirmed), c.finalized);
            }
        }
        self.resumed = true;
        Ok(())
    }

    /// One subscription's life: catch up to the current heads, then follow.
    async fn follow_once(&mut self) -> Result<(), WatchError> {
        if self.canon.tip().is_none() {
            // A first run starts from the finalized block: nothing below it
            // can be retracted, so every fork from here on connects.
            let finalized = self.source.finalized().await?.at();
            tracing::info!("starting from the finalized block {finalized}");
            self.canon = Canon::new(self.canon.rule(), Some(finalized), Some(finalized));
            self.save_cursor().await?;
        }
        let mut heads = self.source.follow().await?;
        let head = self.source.head().await?;
        self.on_best(head).await?;
        let finalized = self.source.finalized().await?;
        self.on_finalized(finalized).await?;
        while let Some(next) = heads.next().await {
            match next? {
                Head::Best(h) => self.on_best(h).await?,
                Head::Finalized(f) => self.on_finalized(f).await?,
            }
        }
        Ok(())
    }

    async fn on_best(&mut self, head: BlockInfo) -> Result<(), WatchError> {
        if self.canon.contains(&head.hash) {
            // The tip again, or an ancestor announced late (a subscription's
            // first message after a reconnect): the canonical chain only
            // moves back when a longer fork arrives, and that has a new head.
            return Ok(());
        }
        let mut path = Vec::new();
        let mut next = head.hash;
        while !(self.canon.contains(&next) || (self.canon.tip().is_none() && !path.is_empty())) {
            if path.len() >= MAX_WALK {
                return Err(ChainError::BadInput(format!("head {} is over {MAX_WALK} blocks from the last known block", head.at())).into());
            }
            let block = self
                .source
                .block(next)
                .await?
                .ok_or_else(|| ChainError::BadInput(format!("the node does not know block 0x{}", hex::encode(next))))?;
            self.canon.check_walk(&block.info)?;
            next = block.info.parent_hash;
            path.push(Arc::new(block));
        }
        path.reverse();
        let before = self.canon.confirmed();
        let update = self.canon.set_head(head.at(), path)?;
        self.publish(update);
        self.metrics.head.set(i64::try_from(head.number).unwrap_or(i64::MAX));
        let now_ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());
        let age = now_ms.saturating_sub(u128::from(head.timestamp_ms)) / 1000;
        self.metrics.head_age_seconds.set(i64::try_from(age).unwrap_or(i64::MAX));
        self.update_lag();
        if self.canon.confirmed() != before {
            self.save_cursor().await?;
        }
        Ok(())
    }

    async fn on_finalized(&mut self, finalized: BlockInfo) -> Result<(), WatchError> {
        if self.canon.finalized().is_some_and(|f| f.number >= finalized.number) {
            return Ok(());
        }
        if !self.canon.contains(&finalized.hash) {
            // The best head that led there was missed (a lost notification),
            // or the watcher is on a fork finality just rejected: catch up first.
            let head = self.source.head().await?;
            self.on_best(head).await?;
        }
        let confirmed = self.canon.finalize(finalized.at());
        for block in confirmed {
            self.out.publish(ChainNotification::Confirmed(block));
        }
        self.out.publish(ChainNotification::Finalized(finalized));
        self.metrics.finalized.set(i64::try_from(finalized.number).unwrap_or(i64::MAX));
        self.update_lag();
        self.save_cursor().await
    }

    fn publish(&self, update: Update) {
        let Update { retracted, enacted, confirmed } = update;
        self.metrics.blocks.inc_by(enacted.len() as u64);
        if retracted.is_empty() {
            for block in enacted {
                self.out.publish(ChainNotification::NewBlock(block));
            }
        } else {
            tracing::info!(retracted = retracted.len(), enacted = enacted.len(), "the chain switched forks");
            self.metrics.reorgs.inc();
            self.metrics.retracted.inc_by(retracted.len() as u64);
            self.out.publish(ChainNotification::Reorg { retracted, enacted });
        }
        for block in confirmed {
            self.out.publish(ChainNotification::Confirmed(block));
        }
    }

    fn update_lag(&self) {
        if let (Some(tip), Some(f)) = (self.canon.tip(), self.canon.finalized()) {
            self.metrics.finality_lag.set(i64::try_from(tip.number.saturating_sub(f.number)).unwrap_or(i64::MAX));
        }
    }

    async fn save_cursor(&self) -> Result<(), WatchError> {
        let (Some(store), Some(confirmed)) = (&self.cursor, self.canon.confirmed()) else { return Ok(()) };
        let cursor = Cursor { confirmed, finalized: self.canon.finalized() };
        store.save(&cursor).await.map_err(|e| WatchError::Cursor(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Duty for Watcher {
    fn name(&self) -> &'static str {
        "watcher"
    }

    fn policy(&self) -> RestartPolicy {
        // Every other duty depends on it.
        RestartPolicy::StopAll
    }

    async fn run(&mut self, _ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        self.watch(shutdown).await.map_err(DutyError::fatal)
    }
}

/// 250 ms doubling to 10 s.
#[derive(Debug, Default)]
struct Backoff {
    attempt: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let d = Duration::from_millis(250).saturating_mul(1u32.checked_shl(self.attempt).unwrap_or(u32::MAX));
        self.attempt = self.attempt.saturating_add(1).min(16);
        d.min(Duration::from_secs(10))
    }
}
