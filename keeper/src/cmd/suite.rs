//! Building the contracts a command deploys or runs: the one home for it.

use std::path::PathBuf;

use anyhow::{Context, Result};
use lode_deploy::{builder, BuildOptions, Builder, Suite, Workspace, DEPLOY_ORDER};

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
