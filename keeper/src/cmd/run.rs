//! `lode run --config FILE`: the keeper's duties against a node, for the
//! deployment in the config's manifest.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context as _, Result};
use prometheus_client::registry::Registry;

use super::launch::{self, Launch};
use crate::chain::node::{NodeChain, NodeConfig, NodeMetrics};
use crate::chain::{BlockSource, Chain};
use crate::config::Config;
use crate::contracts::{Contracts, Manifest};
use crate::keys::{secret_bytes, ss58, Keystore, Signer};
use crate::store::{NamedCursor, Store};

/// Options of `lode run`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// The config file (see docs/config.md).
    #[arg(long, env = "LODE_CONFIG")]
    pub config: PathBuf,
    /// Stop after this many blocks (default: run until SIGINT or SIGTERM).
    #[arg(long)]
    pub blocks: Option<u64>,
}

/// Runs `lode run`.
pub async fn run(args: RunArgs) -> Result<()> {
    let setup = Setup::open(&args.config).await?;
    let head = setup.chain.head().await?;
    println!(
        "keeper {} on chain 0x{}… via {}, head #{}",
        ss58(&setup.signer.account_id()),
        hex::encode(&setup.genesis[..4]),
        setup.chain.endpoint().await.unwrap_or_default(),
        head.number
    );
    let cursor = Arc::new(NamedCursor::new(setup.store.clone(), "watcher"));
    let payout_token = match &setup.config.http.payout_token {
        Some(source) => Some(source.resolve().context("reading [http] payout_token")?),
        None => None,
    };
    let launch = Launch {
        chain: setup.chain.clone(),
        contracts: setup.contracts,
        signer: setup.signer,
        confirmations: setup.config.watcher.confirmations,
        cursor: Some(cursor),
        mining: setup.config.mining.enabled.then(|| (setup.config.mining.devices.clone(), setup.config.mining.stall_after)),
        http: setup.config.http.listen,
        stop_after: args.blocks,
        schedule: setup.config.schedule.clone(),
        store: setup.store,
        settle: setup.config.settle,
        alerts: setup.config.alerts.clone(),
        demo: None,
        payout_token,
    };
    launch::run(launch, setup.registry).await
}

/// A config opened: its node connected, key decrypted, manifest checked
/// against the chain and store bound to it. `lode run` and `lode status`
/// both start here.
pub struct Setup {
    /// The validated config.
    pub config: Config,
    /// The node.
    pub chain: Arc<NodeChain>,
    /// Its genesis hash.
    pub genesis: [u8; 32],
    /// The keeper's key.
    pub signer: Signer,
    /// The suite.
    pub contracts: Contracts,
    /// The store.
    pub store: Store,
    /// Metrics registered so far (the node backend's).
    pub registry: Registry,
}

impl Setup {
    /// Opens everything `path` names, failing with one line on the first problem.
    pub async fn open(path: &std::path::Path) -> Result<Self> {
        let config = Config::load(path)?;
        config.check_files()?;
        let password = config.keeper.password.resolve()?;
        let key = Keystore::open(&config.keeper.keystore, &password)?;
        let signer = Signer::from_secret(config.keeper.keystore.display().to_string(), &secret_bytes(&key))?;

        let mut registry = Registry::with_prefix("lode");
        let node = NodeConfig {
            endpoints: config.chain.endpoints.iter().map(|e| e.as_str().to_owned()).collect(),
            request_timeout: config.chain.request_timeout,
        };
        let chain = Arc::new(NodeChain::connect(node, NodeMetrics::register(&mut registry)).await.context("connecting to the node")?);
        let genesis = chain.genesis_hash().await?;

        let manifest_path = &config.deployment.manifest;
        let manifest = Manifest::load(manifest_path)?;
        manifest.check_chain(manifest_path, genesis)?;
        let deployed = manifest.deployed().map_err(anyhow::Error::msg)?;
        let metadata = manifest.metadata(manifest_path)?;
        let lookup = |name: &str| metadata.iter().find(|(n, _)| n == name).map(|(_, m)| m.clone());
        let contracts = Contracts::new(chain.clone(), &deployed, lookup, signer.account_id())?;

        let store = Store::open(&config.store.location).await?;
        store.bind_chain(genesis).await?;
        Ok(Setup { config, chain, genesis, signer, contracts, store, registry })
    }
}
