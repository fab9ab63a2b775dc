//! The mining duty's metrics.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// What the miner counts, registered under `lode_miner_*`.
#[derive(Debug, Clone, Default)]
pub struct MiningMetrics {
    /// Hashes per second over the last few seconds, all devices.
    pub hashrate: Gauge,
    /// Tries since start, all devices.
    pub hashes: Counter,
    /// Solutions found and confirmed by the host check.
    pub solutions: Counter,
    /// Answers from a device that the host check refused.
    pub rejected: Counter,
    /// Solutions the token accepted.
    pub mints: Counter,
    /// Solutions the token refused (most often: another miner was first).
    pub stale: Counter,
    /// LODE minted, as a float for Prometheus (exact total in `minted`).
    minted_float: Counter<f64, AtomicU64>,
    minted: Arc<Mutex<u128>>,
}

impl MiningMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("miner");
        r.register("hashrate_hashes_per_second", "Hashes per second over the last seconds, all devices", m.hashrate.clone());
        r.register("hashes", "Proof-of-work tries since start", m.hashes.clone());
        r.register("solutions", "Solutions found and confirmed by the host", m.solutions.clone());
        r.register("rejected", "Device answers the host check refused", m.rejected.clone());
        r.register("mints", "Solutions the token accepted", m.mints.clone());
        r.register("stale", "Solutions the token refused", m.stale.clone());
        r.register("minted", "LODE minted, in the token's smallest units", m.minted_float.clone());
        m
    }

    /// Adds a mint's reward.
    pub fn add_minted(&self, reward: u128) {
        let mut m = self.minted.lock().unwrap_or_else(PoisonError::into_inner);
        *m = m.saturating_add(reward);
        // Prometheus values are floats; the exact total stays in `minted`.
        self.minted_float.inc_by(reward as f64);
    }

    /// LODE minted so far, exactly.
    pub fn minted(&self) -> u128 {
        *self.minted.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
