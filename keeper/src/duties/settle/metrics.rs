//! The settler's metrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// What the settler counts, registered under `lode_settle_*`.
#[derive(Debug, Clone)]
pub struct SettleMetrics {
    /// Settlement rounds run.
    pub rounds: Counter,
    /// Rounds that failed (and are retried).
    pub round_errors: Counter,
    /// `distribute` calls sent.
    pub distributions: Counter,
    /// Batches written to the ledger.
    pub batches_planned: Counter,
    /// Batch extrinsics sent, resends included.
    pub batches_sent: Counter,
    /// Resends of a batch (dropped, stuck, after a restart or a takeover).
    pub batches_resent: Counter,
    /// Resends that raised the tip.
    pub tip_raises: Counter,
    /// Batches whose `Settled` event reached a confirmed block.
    pub batches_settled: Counter,
    /// Payees paid in settled batches.
    pub payees_paid: Counter,
    /// Payees whose transfer failed (they stay owed).
    pub payees_failed: Counter,
    /// Batches taken over from another keeper whose lease ran out.
    pub takeovers: Counter,
    /// Open batches in the ledger.
    pub open_batches: Gauge,
    /// Seconds from a block with new funds to the settlement sent.
    pub funds_to_settle_seconds: Histogram,
}

impl Default for SettleMetrics {
    fn default() -> Self {
        SettleMetrics {
            rounds: Counter::default(),
            round_errors: Counter::default(),
            distributions: Counter::default(),
            batches_planned: Counter::default(),
            batches_sent: Counter::default(),
            batches_resent: Counter::default(),
            tip_raises: Counter::default(),
            batches_settled: Counter::default(),
            payees_paid: Counter::default(),
            payees_failed: Counter::default(),
            takeovers: Counter::default(),
            open_batches: Gauge::default(),
            funds_to_settle_seconds: Histogram::new([0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0]),
        }
    }
}

impl SettleMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("settle");
        r.register("rounds", "Settlement rounds run", m.rounds.clone());
        r.register("round_errors", "Settlement rounds that failed and are retried", m.round_errors.clone());
        r.register("distributions", "distribute calls sent", m.distributions.clone());
        r.register("batches_planned", "Batches written to the ledger", m.batches_planned.clone());
        r.register("batches_sent", "Batch extrinsics sent, resends included", m.batches_sent.clone());
        r.register("batches_resent", "Batches sent again", m.batches_resent.clone());
        r.register("tip_raises", "Resends that raised the tip", m.tip_raises.clone());
        r.register("batches_settled", "Batches settled in confirmed blocks", m.batches_settled.clone());
        r.register("payees_paid", "Payees paid in settled batches", m.payees_paid.clone());
        r.register("payees_failed", "Payees whose transfer failed", m.payees_failed.clone());
        r.register("takeovers", "Batches taken over from another keeper", m.takeovers.clone());
        r.register("open_batches", "Open batches in the ledger", m.open_batches.clone());
        r.register("funds_to_settle_seconds", "From a block with new funds to the settlement sent", m.funds_to_settle_seconds.clone());
        m
    }
}
