//! The alert engine's memory: when each incident last fired, and the JSON
//! behind each on-chain alert's details hash.

use super::convert::to_sql_u64;
use super::{Store, StoreError};

impl Store {
    /// Lets incident `key` fire now if it has not within `cooldown_ms`;
    /// records that it did. Atomic: of keepers sharing the store, one wins.
    pub async fn alert_gate(&self, key: &str, now_ms: u64, cooldown_ms: u64) -> Result<bool, StoreError> {
        let now = to_sql_u64(now_ms, || "the time".into())?;
        let since = to_sql_u64(now_ms.saturating_sub(cooldown_ms), || "the time".into())?;
        let fired = sqlx::query(
            "INSERT INTO alert_gate (key, last_ms, fired) VALUES ($1, $2, 1) \
             ON CONFLICT (key) DO UPDATE SET last_ms = excluded.last_ms, fired = alert_gate.fired + 1 \
             WHERE alert_gate.last_ms <= $3 RETURNING key",
        )
        .bind(key)
        .bind(now)
        .bind(since)
        .fetch_optional(&self.pool)
        .await
        .map_err(|source| StoreError::Query { what: format!("gating alert {key:?}"), source })?;
        Ok(fired.is_some())
    }

    /// Keeps `json` under `hash` (BLAKE2b-256 of it), for an on-chain alert.
    pub async fn save_alert_details(&self, hash: &[u8; 32], json: &str) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO alert_details (hash, json) VALUES ($1, $2) ON CONFLICT (hash) DO NOTHING")
            .bind(&hash[..])
            .bind(json)
            .execute(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: "saving an alert's details".into(), source })?;
        Ok(())
    }

    /// The JSON an on-chain alert's details hash points to.
    pub async fn alert_details(&self, hash: &[u8; 32]) -> Result<Option<String>, StoreError> {
        sqlx::query_scalar("SELECT json FROM alert_details WHERE hash = $1")
            .bind(&hash[..])
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: "reading an alert's details".into(), source })
    }
}
