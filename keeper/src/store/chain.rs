//! Binding a store to one chain, so a keeper pointed at a new chain cannot resume another's cursors.

use super::convert::{column, hash_from_sql};
use super::{Store, StoreError};

const TABLE: &str = "chain_binding";

impl Store {
    /// Records `genesis` as this store's chain on first use; afterwards, checks it.
    ///
    /// Fails with [`StoreError::OtherChain`], changing nothing, when the store already belongs
    /// to a chain with another genesis hash.
    pub async fn bind_chain(&self, genesis: [u8; 32]) -> Result<(), StoreError> {
        // DO NOTHING rather than a read-then-write, so two keepers starting at once on one
        // database cannot both bind it.
        sqlx::query("INSERT INTO chain_binding (id, genesis_hash) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(&genesis[..])
            .execute(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: "binding the store to a chain".into(), source })?;
        let stored = self.bound_chain().await?.ok_or_else(|| StoreError::Corrupt {
            table: TABLE,
            column: "genesis_hash",
            why: "no row right after binding".into(),
        })?;
        if stored != genesis {
            return Err(StoreError::OtherChain { location: self.location.clone(), stored, given: genesis });
        }
        Ok(())
    }

    /// The genesis hash this store is bound to, if it is bound yet.
    pub async fn bound_chain(&self) -> Result<Option<[u8; 32]>, StoreError> {
        let row = sqlx::query("SELECT genesis_hash FROM chain_binding WHERE id = 1")
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: "reading the store's chain binding".into(), source })?;
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> = column(&row, TABLE, "genesis_hash")?;
        hash_from_sql(bytes, TABLE, "genesis_hash").map(Some)
    }
}
