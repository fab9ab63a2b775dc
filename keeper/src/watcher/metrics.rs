//! The watcher's metrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What the watcher counts, registered under `lode_watcher_*`.
#[derive(Debug, Clone, Default)]
pub struct WatcherMetrics {
    /// Canonical blocks announced (new or enacted).
    pub blocks: Counter,
    /// Fork switches.
    pub reorgs: Counter,
    /// Blocks retracted by fork switches.
    pub retracted: Counter,
    /// Best block number.
    pub head: Gauge,
    /// Finalized block number.
    pub finalized: Gauge,
    /// Blocks between the best and the finalized block.
    pub finality_lag: Gauge,
    /// Seconds between the best block's timestamp and the keeper's clock.
    pub head_age_seconds: Gauge,
    /// Head subscriptions re-opened after a drop.
    pub resubscribes: Counter,
    /// Failed chain reads.
    pub rpc_errors: Counter,
}

impl WatcherMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("watcher");
        r.register("blocks", "Canonical blocks announced to duties", m.blocks.clone());
        r.register("reorgs", "Fork switches seen", m.reorgs.clone());
        r.register("retracted_blocks", "Blocks retracted by fork switches", m.retracted.clone());
        r.register("head", "Best block number", m.head.clone());
        r.register("finalized", "Finalized block number", m.finalized.clone());
        r.register("finality_lag_blocks", "Blocks between the best and the finalized block", m.finality_lag.clone());
        r.register("head_age_seconds", "Age of the best block by its timestamp", m.head_age_seconds.clone());
        r.register("resubscribes", "Head subscriptions re-opened after a drop", m.resubscribes.clone());
        r.register("rpc_errors", "Failed chain reads", m.rpc_errors.clone());
        m
    }
}
