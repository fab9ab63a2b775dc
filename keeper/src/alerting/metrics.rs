//! The alert engine's metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The `rule` and `level` labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct AlertLabels {
    /// The rule's name.
    pub rule: String,
    /// The level's name.
    pub level: String,
}

/// What the engine counts, registered under `lode_alerts_*`.
#[derive(Debug, Clone, Default)]
pub struct AlertMetrics {
    /// Alerts let through, by rule and level.
    pub fired: Family<AlertLabels, Counter>,
    /// Findings held back: the same incident within its cooldown.
    pub suppressed: Counter,
    /// Webhook posts delivered.
    pub webhook_delivered: Counter,
    /// Webhook posts that failed for good.
    pub webhook_failed: Counter,
    /// Alerts raised in the alerts contract.
    pub on_chain: Counter,
    /// On-chain raises refused or failed.
    pub on_chain_failed: Counter,
}

impl AlertMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("alerts");
        r.register("fired", "Alerts let through, by rule and level", m.fired.clone());
        r.register("suppressed", "Findings held back within their incident's cooldown", m.suppressed.clone());
        r.register("webhook_delivered", "Webhook posts delivered", m.webhook_delivered.clone());
        r.register("webhook_failed", "Webhook posts that failed for good", m.webhook_failed.clone());
        r.register("on_chain", "Alerts raised in the alerts contract", m.on_chain.clone());
        r.register("on_chain_failed", "On-chain raises refused or failed", m.on_chain_failed.clone());
        m
    }
}
