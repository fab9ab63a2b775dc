//! Building the contracts a command deploys or runs: the one home for it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use lode_deploy::{builder, BuildOptions, Builder, Suite, SuiteConfig, Workspace, DEPLOY_ORDER};

use crate::keys::Signer;

/// Builds (or reuses) the suite's contracts in `workspace`; test fixtures
/// under `contracts/` are left out.
pub async fn build(workspace: PathBuf, rebuild: bool) -> Result<Suite> {
    let builder = Builder::new(Workspace::at(workspace)?)?;
    let opts = BuildOptions { force: rebuild, quiet: false };
    let names: Vec<String> = DEPLOY_ORDER.iter().map(|n| (*n).to_owned()).collect();
    let artifacts = tokio::task::spawn_blocking(move || builder.build_many(&names, opts, &mut |e| eprintln!("{}", builder::describe(&e))))
        .await
        .context("contract build task panicked")??;
    Ok(Suite::new(artifacts)?)
}

/// What the last build of `name` in `workspace` was made from, if recorded.
pub fn recorded_inputs(workspace: &std::path::Path, name: &str) -> Option<lode_deploy::BuildInputs> {
    Builder::new(Workspace::at(workspace.to_path_buf()).ok()?).ok()?.inputs(name)
}

/// The demo deployment `lode dev` and `lode deploy` make: three owners (alice,
/// bob, charlie) run the splitter and three others (dave, eve, ferdie) are
/// paid from it; `treasury` holds the genesis LODE.
pub fn dev_roles() -> SuiteConfig {
    let ids = |names: &[&str]| names.iter().map(|n| Signer::dev(n).account_id()).collect::<Vec<_>>();
    SuiteConfig::dev(Signer::dev("treasury").account_id(), ids(&["alice", "bob", "charlie"]), ids(&["dave", "eve", "ferdie"]))
}
