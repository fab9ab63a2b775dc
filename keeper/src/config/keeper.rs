//! `[keeper]`: the keeper's own key.

use std::path::PathBuf;

use serde::Deserialize;

use super::password::RawPassword;
use super::path::RawPath;
use super::resolve::Resolver;
use crate::keys::PasswordSource;

/// The key the keeper signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeeperConfig {
    /// The V3 keystore file (`lode keys new` writes one).
    pub keystore: PathBuf,
    /// Where its password comes from.
    pub password: PasswordSource,
}

/// `[keeper]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawKeeper {
    keystore: RawPath,
    password: RawPassword,
}

impl Default for RawKeeper {
    fn default() -> Self {
        RawKeeper { keystore: RawPath::from("keys/keeper.json"), password: RawPassword::default() }
    }
}

impl RawKeeper {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> KeeperConfig {
        KeeperConfig { keystore: r.path(self.keystore.as_path()), password: self.password.validate(r) }
    }
}
