//! `lode dev`: the whole suite on the embedded chain, no node needed.
//!
//! Builds (or reuses) the contracts, starts the embedded chain with funded dev
//! accounts, deploys the suite, prints the addresses and who controls what, then
//! runs the keeper's duties on it: the watcher, the miner (paying the
//! splitter) and the console's status line per block.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use prometheus_client::registry::Registry;

use crate::chain::embedded::{EmbeddedChain, EmbeddedConfig};
use crate::chain::{AccountId, Chain};
use crate::config::{AlertsConfig, SettleConfig};
use crate::contracts::{bond_keeper, deploy_suite, Wiring};
use crate::duties::demo::DEMO_LARGE_TRANSFER;
use crate::keys::Password;

/// The environment variable holding `lode dev`'s payout token.
pub const PAYOUT_TOKEN_ENV: &str = "LODE_PAYOUT_TOKEN";
use crate::keys::{ss58, Signer, DEV_ACCOUNTS};
use crate::store::{Store, StoreLocation};
use crate::watcher::Confirmation;
use lode_miner::DeviceId;

/// Options of `lode dev`.
#[derive(Debug, Clone, clap::Args)]
pub struct DevArgs {
    /// Stop after this many blocks (default: run until Ctrl-C).
    #[arg(long)]
    pub blocks: Option<u64>,
    /// Milliseconds between blocks.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub block_time_ms: u64,
    /// Rebuild contracts even if their sources are unchanged.
    #[arg(long)]
    pub rebuild: bool,
    /// Do not mine.
    #[arg(long)]
    pub no_mine: bool,
    /// Skip the tour (an anomaly raising an on-chain alert, then a DAO
    /// upgrade voted, queued and executed).
    #[arg(long)]
    pub no_tour: bool,
    /// Mine on these devices (`cpu`, `ocl:<platform>:<device>`; repeatable; see
    /// `lode mine --list`). Default: a GPU, else OpenCL on the CPU, else the CPU backend.
    #[arg(long = "device", conflicts_with = "no_mine")]
    pub devices: Vec<DeviceId>,
    /// Raise a keeper alert when the hashrate has been zero this long.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub stall_secs: u64,
    /// Serve /metrics, /health and /status on this address (for example 127.0.0.1:9615).
    #[arg(long, visible_alias = "http")]
    pub metrics: Option<SocketAddr>,
}

/// Dev accounts get this much native currency at start.
const DEV_ENDOWMENT: u128 = 1_000_000_000_000_000_000;

/// Runs `lode dev` until `--blocks` is reached or a signal stops it.
pub async fn run(args: DevArgs, workspace: PathBuf) -> Result<()> {
    let suite = super::suite::build(workspace, args.rebuild).await?;

    let alice = Signer::dev("alice");
    // The treasury pays the deposits of the LODE it hands out.
    let endowed = DEV_ACCOUNTS.iter().chain([&"treasury"]).map(|n| (Signer::dev(n).account_id(), DEV_ENDOWMENT)).collect();
    let genesis_ms = u64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis())?;
    let chain: Arc<dyn Chain> = Arc::new(EmbeddedChain::start(EmbeddedConfig {
        block_time: Duration::from_millis(args.block_time_ms),
        auto_seal: true,
        genesis_ms,
        endowed,
    })?);
    println!("embedded chain started: block time {} ms, dev accounts funded: {}", args.block_time_ms, DEV_ACCOUNTS.join(", "));

    let config = super::suite::dev_roles();
    let (_, contracts) = deploy_suite(Arc::clone(&chain), &alice, &suite, &config).await?;
    for c in contracts.all() {
        let artifact = suite.artifact(c.contract().name());
        let (hash, size) = artifact.map(|a| (hex::encode(a.code_hash), a.wasm.len())).unwrap_or_default();
        println!("deployed {:<10} at {}  (code 0x{hash}, {size} bytes)", c.contract().name(), ss58(&c.address()));
    }
    let wiring = Wiring::read(&contracts).await.context("reading the suite's wiring back")?;
    println!("wiring, as the contracts report it:");
    let dev_name = |a: &AccountId| DEV_ACCOUNTS.iter().find(|n| Signer::dev(n).account_id() == *a).map(|n| (*n).to_owned());
    for line in wiring.describe(&contracts, dev_name) {
        println!("  {line}");
    }

    // The keeper (alice) bonds from the treasury, so it may settle and raise
    // alerts once the activation delay has passed.
    let bond = config.staking.min_keeper_bond;
    bond_keeper(&contracts, &Signer::dev("treasury"), &alice, bond).await.context("bonding the keeper")?;
    println!(
        "bonded {} as a keeper ({} LODE); it may settle after {} blocks",
        ss58(&alice.account_id()),
        bond / lode_primitives::LODE,
        config.staking.activation_delay
    );
    // The ledger lives as long as this run: `lode dev` starts afresh each time.
    let dir = tempfile::tempdir().context("creating a directory for the dev store")?;
    let store = Store::open(&StoreLocation::SqliteFile(dir.path().join("dev.db"))).await?;
    store.bind_chain(chain.genesis_hash().await?).await?;

    let alerts_code = suite.artifact("alerts").map(|a| a.code_hash).context("the suite has no alerts artifact")?;
    let launch = super::launch::Launch {
        chain,
        contracts,
        signer: alice,
        // Every embedded block is final at once.
        confirmations: Confirmation::Finality,
        cursor: None,
        mining: (!args.no_mine).then(|| (args.devices.clone(), Duration::from_secs(args.stall_secs))),
        http: args.metrics,
        stop_after: args.blocks,
        schedule: Default::default(),
        store,
        settle: SettleConfig { interval: Duration::from_secs(5), ..SettleConfig::default() },
        alerts: AlertsConfig { large_transfer: Some(DEMO_LARGE_TRANSFER), ..AlertsConfig::default() },
        demo: (!args.no_tour).then_some(alerts_code),
        // Set, `lode dev --metrics ADDR` serves `POST /payouts` paid by alice.
        payout_token: std::env::var(PAYOUT_TOKEN_ENV).ok().filter(|t| !t.is_empty()).map(Password::new),
    };
    super::launch::run(launch, Registry::with_prefix("lode")).await
}
