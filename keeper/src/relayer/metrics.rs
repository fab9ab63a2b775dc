//! The relayer's metrics.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

/// The `code` label of a refusal.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CodeLabel {
    /// `bad_signature`, `expired`, `bad_nonce`, `rate_limited`, ...
    pub code: String,
}

/// What the relayer counts, registered under `lode_relayer_*`.
#[derive(Debug, Clone, Default)]
pub struct RelayMetrics {
    /// Requests accepted and queued.
    pub accepted: Counter,
    /// Requests refused before any fee, by reason.
    pub refused: Family<CodeLabel, Counter>,
    /// Batch extrinsics sent.
    pub batches: Counter,
    /// Requests included in a block.
    pub included: Counter,
}

impl RelayMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("relayer");
        r.register("accepted", "Requests accepted and queued", m.accepted.clone());
        r.register("refused", "Requests refused before any fee, by reason", m.refused.clone());
        r.register("batches", "Batch extrinsics sent", m.batches.clone());
        r.register("included", "Requests included in a block", m.included.clone());
        m
    }
}
