//! The one error type of the deploy library.

use std::path::PathBuf;

/// Everything that can go wrong while finding, building or deploying contracts.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A `Cargo.toml` or `rust-toolchain.toml` is malformed.
    #[error("{path}: {reason}")]
    Manifest {
        /// The manifest involved.
        path: PathBuf,
        /// What is wrong with it and how to fix it.
        reason: String,
    },
    /// No workspace root (a `Cargo.toml` with `[workspace]` and a `contracts/` folder)
    /// was found above the starting directory.
    #[error("no Lode workspace found at or above {0}: run from the repository, or pass --workspace <dir>")]
    NoWorkspace(PathBuf),
    /// A contract name was asked for that does not exist under `contracts/`.
    #[error("unknown contract `{name}`; known contracts: {known}")]
    UnknownContract {
        /// The name asked for.
        name: String,
        /// The names that exist, comma separated.
        known: String,
    },
    /// `contract-build` failed; its own message says why (compiler errors, clippy
    /// lints such as `arithmetic_side_effects`, or a missing toolchain component).
    #[error("building contract `{name}` failed: {reason:#}")]
    Build {
        /// The contract crate.
        name: String,
        /// The underlying error chain.
        reason: anyhow::Error,
    },
    /// The contract metadata does not contain something the suite relies on.
    #[error("contract `{contract}`: {reason}")]
    Metadata {
        /// The contract.
        contract: String,
        /// What is missing or malformed.
        reason: String,
    },
    /// The deployment configuration breaks a rule the contracts would refuse
    /// it for; the message names the fields and what to change.
    #[error("invalid deployment configuration: {0}")]
    Config(String),
    /// The chain refused a deployment step.
    #[error("deploying `{contract}`: {reason}")]
    Chain {
        /// The contract being deployed or wired.
        contract: String,
        /// The chain's explanation.
        reason: String,
    },
}

impl DeployError {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| DeployError::Io { path, source }
    }
}
