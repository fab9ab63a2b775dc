//! Each keeper's audit log rows. The hashing and checking live in
//! `crate::audit`; the store only appends and reads back.

use super::convert::{column, from_sql_u64, hash_from_sql, to_sql_u64};
use super::{Store, StoreError};
use crate::audit::{Head, Row};

const TABLE: &str = "audit_log";

impl Store {
    /// The last row of `keeper`'s log, or the genesis head of an empty one.
    pub async fn audit_head(&self, keeper: &str) -> Result<Head, StoreError> {
        let row = sqlx::query("SELECT seq, hash FROM audit_log WHERE keeper = $1 ORDER BY seq DESC LIMIT 1")
            .bind(keeper)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: "reading the audit log's head".into(), source })?;
        let Some(row) = row else { return Ok(Head::genesis()) };
        Ok(Head {
            seq: from_sql_u64(column(&row, TABLE, "seq")?, TABLE, "seq")?,
            hash: hash_from_sql(column(&row, TABLE, "hash")?, TABLE, "hash")?,
        })
    }

    /// Appends `row` to `keeper`'s log. A row whose sequence is taken fails:
    /// two writers of one log would fork it.
    pub async fn audit_insert(&self, keeper: &str, row: &Row) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO audit_log (keeper, seq, prev_hash, entry, hash) VALUES ($1, $2, $3, $4, $5)")
            .bind(keeper)
            .bind(to_sql_u64(row.seq, || "the audit sequence".into())?)
            .bind(&row.prev_hash[..])
            .bind(&row.entry[..])
            .bind(&row.hash[..])
            .execute(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: format!("appending audit entry {}", row.seq), source })?;
        Ok(())
    }

    /// `keeper`'s whole log, by sequence.
    pub async fn audit_rows(&self, keeper: &str) -> Result<Vec<Row>, StoreError> {
        let rows = sqlx::query("SELECT seq, prev_hash, entry, hash FROM audit_log WHERE keeper = $1 ORDER BY seq")
            .bind(keeper)
            .fetch_all(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: "reading the audit log".into(), source })?;
        rows.iter()
            .map(|r| {
                Ok(Row {
                    seq: from_sql_u64(column(r, TABLE, "seq")?, TABLE, "seq")?,
                    prev_hash: hash_from_sql(column(r, TABLE, "prev_hash")?, TABLE, "prev_hash")?,
                    entry: column(r, TABLE, "entry")?,
                    hash: hash_from_sql(column(r, TABLE, "hash")?, TABLE, "hash")?,
                })
            })
            .collect()
    }
}
