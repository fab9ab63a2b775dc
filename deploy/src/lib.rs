//! # lode-deploy
//!
//! Builds the Lode contract suite into deployable artifacts and describes how the
//! suite is deployed and wired.
//!
//! * [`workspace`] finds the contract crates under `contracts/`.
//! * [`fingerprint`] decides whether a contract's sources changed since its last build.
//! * [`inputs`] records what each build was made from: toolchain, builder,
//!   lockfile and commit.
//! * [`builder`] turns each crate into `.wasm`, `.json` metadata and a `.contract`
//!   bundle through the `contract-build` library (no `cargo contract` install needed).
//! * [`staging`] gives each build a locked one-crate workspace, so builds use
//!   exactly the versions in `Cargo.lock` and share one target directory.
//! * [`artifact`] loads built artifacts and reads selectors and event topics from
//!   their metadata.
//! * [`suite`] is the deployment plan: which contracts, with which constructor
//!   arguments, in which order. It runs against any chain through the small
//!   [`suite::Deployer`] port, which the keeper implements for its chain backends.
//! * [`toolchain`] keeps nested cargo invocations on the pinned toolchain.

pub mod artifact;
pub mod builder;
pub mod error;
pub mod fingerprint;
pub mod inputs;
pub mod staging;
pub mod suite;
pub mod toolchain;
pub mod workspace;

pub use artifact::{Artifact, ContractMetadata, EventSpec, Selector};
pub use builder::{BuildEvent, BuildOptions, Builder};
pub use error::DeployError;
pub use inputs::BuildInputs;
pub use suite::{
    deploy_salt, AccountId, Deployed, Deployer, GovernorConfig, SplitterConfig, Suite, SuiteConfig, DEPLOY_ORDER, DEV_CHAIN_ID,
};
pub use workspace::{ContractCrate, Workspace};
