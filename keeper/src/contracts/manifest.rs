//! The deployment manifest `lode deploy` writes and `lode run` reads: which
//! chain, which contracts where, built from which code.

use std::path::{Path, PathBuf};

use lode_deploy::{BuildInputs, ContractMetadata, Deployed, Suite};
use serde::{Deserialize, Serialize};

use super::SuiteContract;
use crate::chain::AccountId;
use crate::keys::{parse_account, ss58};

/// A deployed suite.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// `0x`-hex genesis hash of the chain it lives on.
    pub genesis_hash: String,
    /// The best block when the deployment finished.
    pub block: u64,
    /// Who deployed it (SS58).
    pub deployer: String,
    /// The contracts, in deployment order.
    pub contracts: Vec<ManifestContract>,
}

/// One deployed contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ManifestContract {
    /// `token`, `staking`, …
    pub name: String,
    /// Its account (SS58).
    pub address: String,
    /// `0x`-hex `blake2_256` of its code.
    pub code_hash: String,
    /// Its ink! metadata (`.json`), for clients, events and verification.
    pub metadata: PathBuf,
    /// What its code was built from (toolchain, builder, lockfile, commit),
    /// when the build recorded it: `lode verify` shows it next to its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<BuildInputs>,
}

/// A manifest that cannot be read or does not fit.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    /// Reading or writing failed.
    #[error("deployment manifest {path}: {source}")]
    Io {
        /// Which file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a manifest.
    #[error("deployment manifest {path} is malformed: {why}; write a new one with `lode deploy`")]
    Malformed {
        /// Which file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Written for another chain.
    #[error("deployment manifest {path} is for chain 0x{manifest}…, but the node runs chain 0x{node}…; point at the right node, or deploy anew with another --out")]
    OtherChain {
        /// Which file.
        path: PathBuf,
        /// The manifest's genesis, abbreviated.
        manifest: String,
        /// The node's genesis, abbreviated.
        node: String,
    },
}

impl Manifest {
    /// The record of `deployed` on the chain with `genesis_hash`, with each
    /// contract's build inputs from `inputs`.
    pub fn new(
        genesis_hash: [u8; 32],
        block: u64,
        deployer: AccountId,
        suite: &Suite,
        deployed: &Deployed,
        inputs: impl Fn(&str) -> Option<BuildInputs>,
    ) -> Self {
        let contracts = deployed
            .contracts
            .iter()
            .map(|c| ManifestContract {
                name: c.name.clone(),
                address: ss58(&c.address),
                code_hash: format!("0x{}", hex::encode(c.code_hash)),
                metadata: suite.artifact(&c.name).map(|a| a.metadata_path.clone()).unwrap_or_default(),
                inputs: inputs(&c.name),
            })
            .collect();
        Manifest { genesis_hash: format!("0x{}", hex::encode(genesis_hash)), block, deployer: ss58(&deployer), contracts }
    }

    /// Reads `path`.
    pub fn load(path: &Path) -> Result<Self, ManifestError> {
        let text = std::fs::read_to_string(path).map_err(|source| ManifestError::Io { path: path.to_owned(), source })?;
        let manifest: Manifest =
            serde_json::from_str(&text).map_err(|e| ManifestError::Malformed { path: path.to_owned(), why: e.to_string() })?;
        manifest.deployed().map_err(|why| ManifestError::Malformed { path: path.to_owned(), why })?;
        Ok(manifest)
    }

    /// Writes `path` whole or not at all.
    pub fn save(&self, path: &Path) -> Result<(), ManifestError> {
        let io = |source| ManifestError::Io { path: path.to_owned(), source };
        let json = serde_json::to_string_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, json + "\n").map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }

    /// Fails unless the manifest is for the chain with `genesis`.
    pub fn check_chain(&self, path: &Path, genesis: [u8; 32]) -> Result<(), ManifestError> {
        let node = format!("0x{}", hex::encode(genesis));
        if self.genesis_hash.eq_ignore_ascii_case(&node) {
            return Ok(());
        }
        Err(ManifestError::OtherChain {
            path: path.to_owned(),
            manifest: self.genesis_hash.trim_start_matches("0x").chars().take(8).collect(),
            node: node[2..10].to_owned(),
        })
    }

    /// The addresses and code hashes, as the deploy library records them.
    pub fn deployed(&self) -> Result<Deployed, String> {
        let mut out = Deployed::default();
        for c in &self.contracts {
            let address = parse_account(&c.address).map_err(|e| format!("{}: {e}", c.name))?;
            let hash: [u8; 32] = hex::decode(c.code_hash.trim_start_matches("0x"))
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| format!("{}: code_hash is not 32 bytes of hex", c.name))?;
            out.contracts.push(lode_deploy::suite::DeployedContract { name: c.name.clone(), address, code_hash: hash });
        }
        for c in SuiteContract::ALL {
            if out.address(c.name()).is_none() {
                return Err(format!("it lists no {c} contract"));
            }
        }
        Ok(out)
    }

    /// Each contract's metadata, read from the paths the manifest names.
    pub fn metadata(&self, path: &Path) -> Result<Vec<(String, ContractMetadata)>, ManifestError> {
        self.contracts
            .iter()
            .map(|c| {
                let bytes = std::fs::read(&c.metadata).map_err(|source| ManifestError::Io { path: c.metadata.clone(), source })?;
                let meta = ContractMetadata::from_json(&c.name, &bytes)
                    .map_err(|e| ManifestError::Malformed { path: path.to_owned(), why: format!("{}'s metadata: {e}", c.name) })?;
                Ok((c.name.clone(), meta))
            })
            .collect()
    }
}
