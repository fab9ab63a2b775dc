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
use lode_deploy::{builder, BuildOptions, Builder, Suite, SuiteConfig, Workspace, DEPLOY_ORDER};
use prometheus_client::registry::Registry;

use crate::alerting::AlertHook;
use crate::chain::embedded::{EmbeddedChain, EmbeddedConfig};
use crate::chain::{AccountId, Chain};
use crate::contracts::{deploy_suite, Wiring};
use crate::duties::console::ConsoleDuty;
use crate::duties::mining::{MiningConfig, MiningDuty, MiningMetrics};
use crate::http::HttpServer;
use crate::keys::{ss58, Signer, DEV_ACCOUNTS};
use crate::runtime::{self, Context, DutyBoard, Supervisor};
use crate::watcher::{Confirmation, Notifications, Watcher, WatcherMetrics};
use lode_miner::devices::Inventory;
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
    let (stopper, shutdown, drain) = runtime::shutdown::channel();
    runtime::stop_on_signals(stopper.clone()).context("installing signal handlers")?;

    let workspace = Workspace::at(workspace)?;
    let builder = Builder::new(workspace)?;
    let opts = BuildOptions { force: args.rebuild, quiet: false };
    // Only the suite: test fixtures under contracts/ are not deployed.
    let suite_names: Vec<String> = DEPLOY_ORDER.iter().map(|n| (*n).to_owned()).collect();
    let artifacts =
        tokio::task::spawn_blocking(move || builder.build_many(&suite_names, opts, &mut |e| eprintln!("{}", builder::describe(&e))))
            .await
            .context("contract build task panicked")??;
    let suite = Suite::new(artifacts)?;
    if stopper.is_fired() {
        return Ok(());
    }

    let alice = Signer::dev("alice");
    let endowed = DEV_ACCOUNTS.iter().map(|n| (Signer::dev(n).account_id(), DEV_ENDOWMENT)).collect();
    let genesis_ms = u64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis())?;
    let chain: Arc<dyn Chain> = Arc::new(EmbeddedChain::start(EmbeddedConfig {
        block_time: Duration::from_millis(args.block_time_ms),
        auto_seal: true,
        genesis_ms,
        endowed,
    })?);
    println!("embedded chain started: block time {} ms, dev accounts funded: {}", args.block_time_ms, DEV_ACCOUNTS.join(", "));

    let ids = |names: &[&str]| names.iter().map(|n| Signer::dev(n).account_id()).collect::<Vec<_>>();
    // Demo roles: three owners run the splitter; three others are paid from it.
    let config = SuiteConfig::dev(Signer::dev("treasury").account_id(), ids(&["alice", "bob", "charlie"]), ids(&["dave", "eve", "ferdie"]));
    let (_, contracts) = deploy_suite(Arc::clone(&chain), &alice, &suite, &config).await?;
    for c in contracts.all() {
        let artifact = suite.artifact(c.contract().name());
        let (hash, size) = artifact.map(|a| (hex::encode(lode_deploy::artifact::code_hash(&a.wasm)), a.wasm.len())).unwrap_or_default();
        println!("deployed {:<10} at {}  (code 0x{hash}, {size} bytes)", c.contract().name(), ss58(&c.address()));
    }
    let wiring = Wiring::read(&contracts).await.context("reading the suite's wiring back")?;
    println!("wiring, as the contracts report it:");
    let dev_name = |a: &AccountId| DEV_ACCOUNTS.iter().find(|n| Signer::dev(n).account_id() == *a).map(|n| (*n).to_owned());
    for line in wiring.describe(&contracts, dev_name) {
        println!("  {line}");
    }

    let mut registry = Registry::with_prefix("lode");
    let board = DutyBoard::default();
    let notifications = Notifications::default();
    let mut supervisor = Supervisor::new(board.clone(), Duration::from_secs(10));
    // Every embedded block is final at once.
    let watcher_metrics = WatcherMetrics::register(&mut registry);
    supervisor.add(Watcher::new(chain.clone(), notifications.clone(), Confirmation::Finality, None, watcher_metrics));
    let mining = if args.no_mine {
        None
    } else {
        let devices = if args.devices.is_empty() {
            let inventory = Inventory::scan();
            if let Some(why) = &inventory.opencl_missing {
                eprintln!("note: {why}");
            }
            vec![inventory.preferred()]
        } else {
            args.devices.clone()
        };
        let config =
            MiningConfig { devices, beneficiary: contracts.splitter.0.address(), stall_after: Duration::from_secs(args.stall_secs) };
        let metrics = MiningMetrics::register(&mut registry);
        let duty = MiningDuty::start(&config, alice.account_id(), metrics.clone())?;
        for d in duty.devices() {
            println!("mining on {d}, paying the splitter");
        }
        supervisor.add(duty);
        Some(metrics)
    };
    supervisor.add(ConsoleDuty::new(mining, args.blocks));
    if let Some(addr) = args.metrics {
        let server = HttpServer::bind(addr, registry, board.clone()).await.with_context(|| format!("serving HTTP on {addr}"))?;
        println!("metrics at http://{}/metrics, status at /status", server.address());
        supervisor.add(server);
    }

    let ctx = Context { chain, contracts, signer: alice, alerts: AlertHook::default(), notifications, stopper };
    supervisor.run(ctx, shutdown, drain).await?;
    Ok(())
}
