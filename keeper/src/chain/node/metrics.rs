//! The node backend's metrics.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::registry::Registry;

/// What the node backend counts, registered under `lode_node_*`.
#[derive(Debug, Clone, Default)]
pub struct NodeMetrics {
    /// Failed RPC requests.
    pub rpc_errors: Counter,
    /// Switches to another endpoint after a failure.
    pub failovers: Counter,
    /// Extrinsics handed to the pool.
    pub submitted: Counter,
    /// Extrinsics in a block, successful.
    pub included: Counter,
    /// Extrinsics refused, dropped or failed in their block.
    pub failed: Counter,
    /// Submissions retried.
    pub retried: Counter,
    /// Nonce counters re-synced from the chain.
    pub nonce_resyncs: Counter,
}

impl NodeMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("node");
        r.register("rpc_errors", "Failed RPC requests", m.rpc_errors.clone());
        r.register("failovers", "Switches to another endpoint after a failure", m.failovers.clone());
        r.register("extrinsics_submitted", "Extrinsics handed to the pool", m.submitted.clone());
        r.register("extrinsics_included", "Extrinsics in a block, successful", m.included.clone());
        r.register("extrinsics_failed", "Extrinsics refused, dropped or failed in their block", m.failed.clone());
        r.register("extrinsics_retried", "Submissions retried", m.retried.clone());
        r.register("nonce_resyncs", "Nonce counters re-synced from the chain", m.nonce_resyncs.clone());
        m
    }
}
