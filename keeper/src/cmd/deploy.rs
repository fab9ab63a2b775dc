//! `lode deploy`: the whole suite to a node, and a manifest `lode run` reads.
//!
//! Uploads, instantiates in dependency order, wires, hands ownership to the
//! governor, and writes the manifest. A re-run against the same chain finds
//! the manifest's contracts in place and changes nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use lode_deploy::{Deployer, SuiteConfig};

use crate::chain::node::{NodeChain, NodeConfig, NodeMetrics};
use crate::chain::{AccountId, BlockSource, Chain};
use crate::contracts::{ChainDeployer, Contracts, Manifest, Wiring};
use crate::keys::{secret_bytes, ss58, Keystore, PasswordSource, Signer, DEV_ACCOUNTS};

/// Options of `lode deploy`.
#[derive(Debug, Clone, clap::Args)]
pub struct DeployArgs {
    /// Node WebSocket endpoints (ws:// or wss://), tried in order.
    #[arg(long = "node", required = true)]
    pub nodes: Vec<String>,
    /// A dev chain: fund the deployer from //Alice first, and without
    /// --keystore deploy as the well-known dev key `alice`.
    #[arg(long)]
    pub dev: bool,
    /// Deploy as the key in this keystore.
    #[arg(long, required_unless_present = "dev")]
    pub keystore: Option<PathBuf>,
    /// Read the keystore's password from this file.
    #[arg(long, conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Read the keystore's password from this environment variable.
    #[arg(long)]
    pub password_env: Option<String>,
    /// Where to write the manifest.
    #[arg(long, default_value = "deployment.json")]
    pub out: PathBuf,
    /// Rebuild contracts even if their sources are unchanged.
    #[arg(long)]
    pub rebuild: bool,
}

/// Native currency `--dev` gives the deployer: enough for every deposit.
const DEV_FUNDING: u128 = 1_000_000_000_000_000_000;

/// Runs `lode deploy`.
pub async fn run(args: DeployArgs, workspace: PathBuf) -> Result<()> {
    let signer = match &args.keystore {
        Some(path) => {
            let source = match (&args.password_file, &args.password_env) {
                (Some(f), _) => PasswordSource::File(f.clone()),
                (None, Some(v)) => PasswordSource::Env(v.clone()),
                (None, None) => PasswordSource::Prompt,
            };
            let password = source.resolve()?;
            let key = Keystore::open(path, &password)?;
            Signer::from_secret(path.display().to_string(), &secret_bytes(&key))?
        }
        None => Signer::dev("alice"),
    };
    let chain = Arc::new(
        NodeChain::connect(NodeConfig { endpoints: args.nodes.clone(), request_timeout: Duration::from_secs(30) }, NodeMetrics::default())
            .await
            .context("connecting to the node")?,
    );
    let genesis = chain.genesis_hash().await?;
    println!("node {} (chain 0x{}…), deploying as {}", args.nodes[0], hex::encode(&genesis[..4]), ss58(&signer.account_id()));

    let suite = super::suite::build(workspace, args.rebuild).await?;
    if args.out.exists() {
        let manifest = Manifest::load(&args.out)?;
        manifest.check_chain(&args.out, genesis)?;
        let deployed = manifest.deployed().map_err(anyhow::Error::msg)?;
        let contracts = Contracts::from_suite(chain.clone(), &suite, &deployed, signer.account_id())?;
        Wiring::read(&contracts).await.with_context(|| format!("{} lists contracts the chain does not answer for", args.out.display()))?;
        println!("the suite in {} is deployed on this chain; nothing to do", args.out.display());
        return Ok(());
    }

    if args.dev {
        let have = chain.balance(signer.account_id()).await?;
        if have < DEV_FUNDING / 2 {
            chain.fund_from_alice(signer.account_id(), DEV_FUNDING).await.context("funding the deployer from //Alice")?;
            println!("funded {} from //Alice", ss58(&signer.account_id()));
        }
    } else if chain.balance(signer.account_id()).await? == 0 {
        bail!("the deployer {} holds no funds on this chain; fund it first (or use --dev on a dev chain)", ss58(&signer.account_id()));
    }

    let ids = |names: &[&str]| names.iter().map(|n| Signer::dev(n).account_id()).collect::<Vec<AccountId>>();
    // The same roles as `lode dev`: three owners run the splitter, three others are paid.
    let config = SuiteConfig::dev(Signer::dev("treasury").account_id(), ids(&["alice", "bob", "charlie"]), ids(&["dave", "eve", "ferdie"]));
    let deployer = Progress { inner: ChainDeployer::new(&*chain, &signer), bar: progress() };
    let deployed = suite.deploy(&deployer, &config).await?;
    deployer.bar.finish_with_message("deployed");

    let head = chain.head().await?;
    let manifest = Manifest::new(genesis, head.number, signer.account_id(), &suite, &deployed);
    manifest.save(&args.out)?;
    let contracts = Contracts::from_suite(chain.clone(), &suite, &deployed, signer.account_id())?;
    for c in contracts.all() {
        println!("deployed {:<10} at {}", c.contract().name(), ss58(&c.address()));
    }
    let wiring = Wiring::read(&contracts).await.context("reading the suite's wiring back")?;
    let dev_name = |a: &AccountId| DEV_ACCOUNTS.iter().find(|n| Signer::dev(n).account_id() == *a).map(|n| (*n).to_owned());
    for line in wiring.describe(&contracts, dev_name) {
        println!("  {line}");
    }
    println!("manifest written to {}", args.out.display());
    Ok(())
}

/// A spinner counting the plan's steps (uploads, instantiations, wiring
/// calls) as they complete.
fn progress() -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {pos} steps done, {msg}").unwrap_or_else(|_| ProgressStyle::default_spinner()));
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

/// The chain deployer, ticking a progress bar.
struct Progress<'a> {
    inner: ChainDeployer<'a>,
    bar: ProgressBar,
}

#[async_trait::async_trait]
impl Deployer for Progress<'_> {
    async fn genesis_hash(&self) -> Result<[u8; 32], String> {
        self.inner.genesis_hash().await
    }

    async fn upload(&self, contract: &str, wasm: &[u8]) -> Result<[u8; 32], String> {
        self.bar.set_message(format!("uploading {contract}"));
        let r = self.inner.upload(contract, wasm).await;
        self.bar.inc(1);
        r
    }

    async fn instantiate(&self, contract: &str, code_hash: [u8; 32], input: Vec<u8>, salt: Vec<u8>) -> Result<AccountId, String> {
        self.bar.set_message(format!("instantiating {contract}"));
        let r = self.inner.instantiate(contract, code_hash, input, salt).await;
        self.bar.inc(1);
        r
    }

    async fn call(&self, contract: &str, address: AccountId, input: Vec<u8>) -> Result<Vec<u8>, String> {
        self.bar.set_message(format!("wiring {contract}"));
        let r = self.inner.call(contract, address, input).await;
        self.bar.inc(1);
        r
    }
}
