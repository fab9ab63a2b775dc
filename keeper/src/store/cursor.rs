//! Named cursors: the last block the watcher confirmed, and the last finalized block it saw.

use super::convert::{column, from_sql_u64, hash_from_sql, to_sql_u64};
use super::{Store, StoreError};
use crate::chain::BlockRef;
use crate::watcher::{Cursor, CursorStore};

const TABLE: &str = "cursors";

impl Store {
    /// The cursor saved under `name`, or `None` if there is none.
    pub async fn cursor(&self, name: &str) -> Result<Option<Cursor>, StoreError> {
        let row = sqlx::query("SELECT number, hash, finalized_number, finalized_hash FROM cursors WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await
            .map_err(|source| StoreError::Query { what: format!("reading cursor {name:?}"), source })?;
        let Some(row) = row else { return Ok(None) };
        let confirmed = BlockRef {
            number: from_sql_u64(column(&row, TABLE, "number")?, TABLE, "number")?,
            hash: hash_from_sql(column(&row, TABLE, "hash")?, TABLE, "hash")?,
        };
        let finalized_number: Option<i64> = column(&row, TABLE, "finalized_number")?;
        let finalized_hash: Option<Vec<u8>> = column(&row, TABLE, "finalized_hash")?;
        let finalized = match (finalized_number, finalized_hash) {
            (None, None) => None,
            (Some(number), Some(hash)) => Some(BlockRef {
                number: from_sql_u64(number, TABLE, "finalized_number")?,
                hash: hash_from_sql(hash, TABLE, "finalized_hash")?,
            }),
            (number, _) => {
                let (column, why) = match number {
                    Some(_) => ("finalized_hash", "missing while finalized_number is set"),
                    None => ("finalized_number", "missing while finalized_hash is set"),
                };
                return Err(StoreError::Corrupt { table: TABLE, column, why: why.into() });
            }
        };
        Ok(Some(Cursor { confirmed, finalized }))
    }

    /// Saves `cursor` under `name`, replacing any cursor saved there before.
    ///
    /// A block number above `i64::MAX` is refused with [`StoreError::TooLarge`] before anything
    /// is written.
    pub async fn save_cursor(&self, name: &str, cursor: &Cursor) -> Result<(), StoreError> {
        save_cursor_in(&self.pool, name, cursor).await
    }
}

/// Saves `cursor` under `name` through `executor`: the pool, or a transaction
/// that must move the cursor together with other writes.
pub(super) async fn save_cursor_in<'e, E>(executor: E, name: &str, cursor: &Cursor) -> Result<(), StoreError>
where
    E: sqlx::Executor<'e, Database = sqlx::Any>,
{
    let number = to_sql_u64(cursor.confirmed.number, || format!("the confirmed block number of cursor {name:?}"))?;
    let finalized_number =
        cursor.finalized.map(|f| to_sql_u64(f.number, || format!("the finalized block number of cursor {name:?}"))).transpose()?;
    let finalized_hash = cursor.finalized.as_ref().map(|f| &f.hash[..]);
    sqlx::query(
        "INSERT INTO cursors (name, number, hash, finalized_number, finalized_hash) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (name) DO UPDATE SET number = excluded.number, hash = excluded.hash, \
         finalized_number = excluded.finalized_number, finalized_hash = excluded.finalized_hash",
    )
    .bind(name)
    .bind(number)
    .bind(&cursor.confirmed.hash[..])
    .bind(finalized_number)
    .bind(finalized_hash)
    .execute(executor)
    .await
    .map_err(|source| StoreError::Query { what: format!("saving cursor {name:?}"), source })?;
    Ok(())
}

/// The watcher's cursor, kept under one name in a store.
#[derive(Debug, Clone)]
pub struct NamedCursor {
    store: Store,
    name: &'static str,
}

impl NamedCursor {
    /// The cursor saved as `name` in `store`.
    pub fn new(store: Store, name: &'static str) -> Self {
        NamedCursor { store, name }
    }
}

#[async_trait::async_trait]
impl CursorStore for NamedCursor {
    async fn load(&self) -> Result<Option<Cursor>, Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.store.cursor(self.name).await?)
    }

    async fn save(&self, cursor: &Cursor) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Ok(self.store.save_cursor(self.name, cursor).await?)
    }
}
