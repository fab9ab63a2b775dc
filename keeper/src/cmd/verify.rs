//! `lode verify`: rebuild contracts from this checkout and compare their code
//! hashes with a given one, a deployment manifest's, and (with `--node`) the
//! code the live contracts run. A DAO member runs it before voting on an
//! upgrade to a code hash (docs/contracts/upgrades.md).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context as _, Result};
use lode_deploy::{builder, BuildOptions, Builder, Workspace};

use crate::chain::node::{NodeChain, NodeConfig, NodeMetrics};
use crate::chain::{AccountId, Chain};
use crate::contracts::{Contracts, Manifest};
use crate::keys::ss58;
use lode_governor::Action;

/// Options of `lode verify`.
#[derive(Debug, Clone, clap::Args)]
#[command(group(clap::ArgGroup::new("expected").required(true).args(["code_hash", "manifest"])))]
#[command(after_help = "Before voting on an upgrade: lode verify --proposal ID --manifest deployment.json --node ws://…")]
pub struct VerifyArgs {
    /// The contract to rebuild (`token`, `staking`, …), with `--code-hash`.
    #[arg(requires = "code_hash")]
    pub contract: Option<String>,
    /// The code hash it should have: `0x` and 64 hex digits.
    #[arg(long, requires = "contract")]
    pub code_hash: Option<String>,
    /// Check every contract of this deployment manifest.
    #[arg(long, conflicts_with = "contract")]
    pub manifest: Option<PathBuf>,
    /// With `--manifest`: also read the code each live contract runs from
    /// this node (repeat for fallbacks).
    #[arg(long = "node", requires = "manifest")]
    pub nodes: Vec<String>,
    /// Check the upgrades in this governor proposal instead (needs
    /// `--manifest`, to name the contracts, and `--node`).
    #[arg(long, requires_all = ["manifest", "nodes"])]
    pub proposal: Option<u64>,
}

/// One contract to check.
struct Check {
    contract: String,
    expected: [u8; 32],
    /// What the expected code was built from, when the manifest recorded it.
    expected_inputs: Option<lode_deploy::BuildInputs>,
    live: Option<Option<[u8; 32]>>,
}

/// Runs `lode verify`; an error when anything does not match.
pub async fn run(args: VerifyArgs, workspace: PathBuf) -> Result<()> {
    check_toolchain(&workspace)?;
    let mut checks = Vec::new();
    match (&args.contract, &args.code_hash, &args.manifest) {
        (Some(contract), Some(hash), None) => {
            checks.push(Check { contract: contract.clone(), expected: parse_hash(hash)?, expected_inputs: None, live: None });
        }
        (None, None, Some(path)) if args.proposal.is_some() => {
            let manifest = Manifest::load(path)?;
            let chain = Arc::new(connect(&args.nodes, &manifest, path).await?);
            let deployed = manifest.deployed().map_err(anyhow::Error::msg)?;
            let metadata = manifest.metadata(path)?;
            let lookup = |name: &str| metadata.iter().find(|(n, _)| n == name).map(|(_, m)| m.clone());
            let contracts = Contracts::new(chain, &deployed, lookup, AccountId([0; 32]))?;
            let id = args.proposal.unwrap_or_default();
            for (contract, code_hash) in proposal_upgrades(&contracts, id).await? {
                checks.push(Check { contract, expected: code_hash, expected_inputs: None, live: None });
            }
        }
        (None, None, Some(path)) => {
            let manifest = Manifest::load(path)?;
            let deployed = manifest.deployed().map_err(anyhow::Error::msg)?;
            let chain = match args.nodes.is_empty() {
                true => None,
                false => Some(connect(&args.nodes, &manifest, path).await?),
            };
            for c in &deployed.contracts {
                let live = match &chain {
                    Some(chain) => Some(chain.code_hash_of(c.address).await?),
                    None => None,
                };
                let expected_inputs = manifest.contracts.iter().find(|m| m.name == c.name).and_then(|m| m.inputs.clone());
                checks.push(Check { contract: c.name.clone(), expected: c.code_hash, expected_inputs, live });
            }
        }
        _ => bail!("give a contract and --code-hash, or --manifest FILE"),
    }

    let builder = Builder::new(Workspace::at(workspace)?)?;
    for c in &checks {
        builder.workspace().contract(&c.contract).map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    let names: Vec<String> = checks.iter().map(|c| c.contract.clone()).collect();
    let built = tokio::task::spawn_blocking(move || {
        // Rebuilt from source even when an artifact looks current: the point
        // is to see this checkout produce the hash.
        let artifacts =
            builder.build_many(&names, BuildOptions { force: true, quiet: true }, &mut |e| eprintln!("{}", builder::describe(&e)))?;
        let inputs = names.first().and_then(|n| builder.inputs(n));
        Ok::<_, lode_deploy::DeployError>((artifacts, inputs))
    })
    .await
    .context("the build task panicked")??;
    let (artifacts, inputs) = built;
    if let Some(inputs) = &inputs {
        println!("built from {}", inputs.describe());
        if !inputs.dirty.is_empty() {
            eprintln!(
                "warning: the checkout differs from its commit in {}; a match proves only that this working tree builds the hash",
                inputs.dirty.join(", ")
            );
        }
    }

    let mut failures = 0usize;
    for (check, artifact) in checks.iter().zip(&artifacts) {
        let built = artifact.code_hash;
        // The live contract, when a node was asked, must run the built code too.
        let (live_ok, live_line) = match check.live {
            Some(Some(live)) => (live == built, format!("\n          live     0x{}", hex::encode(live))),
            Some(None) => (false, "\n          live     no contract at the manifest's address".to_owned()),
            None => (true, String::new()),
        };
        let verdict = if built == check.expected && live_ok { "match" } else { "MISMATCH" };
        if verdict != "match" {
            failures += 1;
        }
        let from = check.expected_inputs.as_ref().map_or_else(String::new, |i| format!(" (built from {})", i.describe()));
        println!(
            "{:<9} {verdict}\n          expected 0x{}{from}\n          built    0x{}{live_line}",
            check.contract,
            hex::encode(check.expected),
            hex::encode(built)
        );
    }
    if failures > 0 {
        bail!("{failures} of {} contracts do not match", checks.len());
    }
    println!("all {} match", checks.len());
    Ok(())
}

/// The `(contract, code hash)` of every upgrade action in proposal `id`,
/// naming each target by the deployment. A proposal without upgrades, or an
/// upgrade of a contract outside the deployment, is an error that says so.
pub async fn proposal_upgrades(contracts: &Contracts, id: u64) -> Result<Vec<(String, [u8; 32])>> {
    let proposal = contracts
        .governor
        .proposal(id)
        .await?
        .with_context(|| format!("the governor at {} has no proposal {id}", ss58(&contracts.governor.0.address())))?;
    let mut upgrades = Vec::new();
    for (i, action) in proposal.actions.iter().enumerate() {
        let Action::Upgrade { target, code_hash } = action else {
            println!("action {i}: a call, not an upgrade: nothing to build");
            continue;
        };
        let target = AccountId(*AsRef::<[u8; 32]>::as_ref(target));
        let name = contracts.all().iter().find(|c| c.address() == target).map(|c| c.contract().name().to_owned()).with_context(|| {
            format!(
                "action {i} upgrades {}, which the deployment does not name: check it with `lode verify <contract> --code-hash`",
                ss58(&target)
            )
        })?;
        upgrades.push((name, <[u8; 32]>::from(*code_hash)));
    }
    if upgrades.is_empty() {
        bail!("proposal {id} upgrades no contract: nothing to verify");
    }
    Ok(upgrades)
}

/// A build with another toolchain than the pin gives other code: refuse it.
fn check_toolchain(workspace: &Path) -> Result<()> {
    let pinned = lode_deploy::toolchain::pinned_channel(workspace)?;
    match std::env::var("RUSTUP_TOOLCHAIN") {
        Ok(t) if !t.starts_with(&pinned) => {
            bail!("RUSTUP_TOOLCHAIN is {t}, but the repository pins {pinned}: a build with another toolchain gives other code; unset it")
        }
        _ => Ok(()),
    }
}

/// `0x` and 64 hex digits.
fn parse_hash(text: &str) -> Result<[u8; 32]> {
    text.strip_prefix("0x")
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .with_context(|| format!("`{text}` is not a code hash: give 0x and 64 hex digits"))
}

async fn connect(nodes: &[String], manifest: &Manifest, path: &Path) -> Result<NodeChain> {
    let config = NodeConfig { endpoints: nodes.to_vec(), request_timeout: Duration::from_secs(30) };
    let chain = NodeChain::connect(config, NodeMetrics::default()).await.context("connecting to the node")?;
    manifest.check_chain(path, chain.genesis_hash().await?)?;
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_code_hashes_are_refused_with_the_accepted_form() {
        for bad in ["", "0x", "0x12", "12ab", &format!("0x{}", "zz".repeat(32)), &format!("0x{}", "ab".repeat(33))] {
            let e = parse_hash(bad).unwrap_err().to_string();
            assert!(e.contains("0x and 64 hex digits"), "{e}");
        }
        assert_eq!(parse_hash(&format!("0x{}", "ab".repeat(32))).unwrap(), [0xab; 32]);
    }
}
