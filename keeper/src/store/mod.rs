//! The keeper's SQL store: one code path over `sqlx::AnyPool`, serving SQLite (the default:
//! one file, WAL mode) and PostgreSQL (when given a `postgres://` URL).
//!
//! All SQL here is written once for both backends: `$N` placeholders (SQLite accepts them as
//! numbered parameters), `INSERT ... ON CONFLICT`, and only the types the `Any` driver maps on
//! both sides (`i64`, `String`, byte blobs). Only the DDL differs, in `migrations/<backend>/`.

mod alerts;
mod audit;
mod chain;
mod convert;
mod cursor;
mod error;
mod ledger;
mod location;
mod migrations;
mod open;
mod payouts;

use std::fmt;

use sqlx::AnyPool;

pub use cursor::NamedCursor;
pub use error::StoreError;
pub use ledger::{asset_name, BatchId, BatchState, LedgerBatch, PayeeOutcome, PlannedBatch, Receipt, SettledInBlock, Submission};
pub use location::StoreLocation;
pub use payouts::{NewPayoutRow, PayoutRow, PayoutState, RowOutcome};

/// Which database holds a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// A SQLite file.
    Sqlite,
    /// A PostgreSQL database.
    Postgres,
}

/// An open store. Cloning is cheap and shares the connection pool.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    kind: StoreKind,
    /// The redacted location, for messages.
    location: String,
}

impl Store {
    /// Opens (creating if needed) the store at `location` and applies pending migrations.
    ///
    /// For SQLite the file and its directory are created if missing. Opening a store that is
    /// already up to date changes nothing, so this is safe on every start.
    pub async fn open(location: &StoreLocation) -> Result<Store, StoreError> {
        open::open(location).await
    }

    /// Which database holds this store.
    pub fn kind(&self) -> StoreKind {
        self.kind
    }

    /// Closes every connection, waiting for queries in flight. Call on shutdown so SQLite can
    /// checkpoint its WAL into the main file.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // By hand: the pool's own Debug is not ours to vouch for where passwords are concerned.
        f.debug_struct("Store").field("kind", &self.kind).field("location", &self.location).finish_non_exhaustive()
    }
}
