//! `[deployment]`: which contracts the keeper works with.

use std::path::PathBuf;

use serde::Deserialize;

use super::path::RawPath;
use super::resolve::Resolver;

/// Where the deployed suite is described.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeploymentConfig {
    /// The manifest `lode deploy` writes: contract names, addresses and code hashes.
    pub manifest: PathBuf,
}

/// `[deployment]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawDeployment {
    manifest: RawPath,
}

impl Default for RawDeployment {
    fn default() -> Self {
        RawDeployment { manifest: RawPath::from("deployment.json") }
    }
}

impl RawDeployment {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> DeploymentConfig {
        DeploymentConfig { manifest: r.path(self.manifest.as_path()) }
    }
}
