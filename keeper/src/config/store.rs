//! `[store]`: where the keeper keeps its state.

use serde::Deserialize;

use super::resolve::Resolver;
use super::text::{self, TextValue};
use crate::store::StoreLocation;

/// The keeper's SQL store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// The SQLite file (resolved against the config's directory) or PostgreSQL
    /// URL. Its `Display` never shows a password.
    pub location: StoreLocation,
}

impl TextValue for StoreLocation {
    const EXPECTING: &'static str = "a SQLite file path, a sqlite:// URL or a postgres:// URL";
}

/// `[store]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawStore {
    #[serde(deserialize_with = "text::deserialize")]
    url: StoreLocation,
}

impl Default for RawStore {
    fn default() -> Self {
        RawStore { url: StoreLocation::SqliteFile("lode.db".into()) }
    }
}

impl RawStore {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> StoreConfig {
        let location = match self.url {
            StoreLocation::SqliteFile(path) => StoreLocation::SqliteFile(r.path(&path)),
            postgres @ StoreLocation::Postgres(_) => postgres,
        };
        StoreConfig { location }
    }
}
