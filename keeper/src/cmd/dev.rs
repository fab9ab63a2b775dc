//! `lode dev`: the whole suite on the embedded chain, no node needed.
//!
//! Builds (or reuses) the contracts, starts the embedded chain with funded dev
//! accounts, deploys the suite, prints the addresses and who controls what, then
//! one status line per block. The miner runs by default, paying the splitter,
//! and its hashrate and mints are in the status line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use lode_deploy::{builder, BuildOptions, Builder, Suite, SuiteConfig, Workspace, DEPLOY_ORDER};
use tokio::sync::broadcast::error::RecvError;

use crate::chain::embedded::{EmbeddedChain, EmbeddedConfig};
use crate::chain::{AccountId, Block, Chain};
use crate::events::EventRegistry;
use crate::health::AlertHook;
use crate::keys::{Signer, DEV_ACCOUNTS};
use crate::metrics::{self, Metrics};
use crate::mining::{MiningConfig, MiningDuty};
use crate::shutdown::Shutdown;
use crate::wiring::Wiring;
use lode_miner::devices::Inventory;
use lode_miner::DeviceId;
use lode_primitives::LODE;

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
    /// Serve Prometheus metrics at http://<addr>/metrics (for example 127.0.0.1:9615).
    #[arg(long)]
    pub metrics: Option<SocketAddr>,
}

/// Dev accounts get this much native currency at start.
const DEV_ENDOWMENT: u128 = 1_000_000_000_000_000_000;

/// Runs `lode dev` until `--blocks` is reached or `shutdown` fires.
pub async fn run(args: DevArgs, workspace: PathBuf, mut shutdown: Shutdown) -> Result<()> {
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

    let alice = Signer::dev("alice");
    let endowed = DEV_ACCOUNTS.iter().map(|n| (Signer::dev(n).account_id(), DEV_ENDOWMENT)).collect();
    let genesis_ms = u64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis())?;
    let chain = EmbeddedChain::start(EmbeddedConfig {
        block_time: Duration::from_millis(args.block_time_ms),
        auto_seal: true,
        genesis_ms,
        endowed,
    })?;
    let mut blocks = chain.subscribe();
    println!("embedded chain started: block time {} ms, dev accounts funded: {}", args.block_time_ms, DEV_ACCOUNTS.join(", "));

    let ids = |names: &[&str]| names.iter().map(|n| Signer::dev(n).account_id()).collect::<Vec<_>>();
    // Demo roles: three owners run the splitter; three others are paid from it.
    let config = SuiteConfig::dev(Signer::dev("treasury").account_id(), ids(&["alice", "bob", "charlie"]), ids(&["dave", "eve", "ferdie"]));
    let (deployed, registry) = crate::deployer::deploy_suite(&chain, &alice, &suite, &config).await?;
    for c in &deployed.contracts {
        let size = suite.artifact(&c.name).map(|a| a.wasm.len()).unwrap_or_default();
        println!("deployed {:<10} at {}  (code 0x{}, {} bytes)", c.name, c.address, hex::encode(c.code_hash), size);
    }
    let wiring = Wiring::read(&chain, &suite, &deployed, alice.account_id()).await.context("reading the suite's wiring back")?;
    println!("wiring, as the contracts report it:");
    let dev_name = |a: &AccountId| DEV_ACCOUNTS.iter().find(|n| Signer::dev(n).account_id() == *a).map(|n| (*n).to_owned());
    for line in wiring.describe(&deployed, dev_name) {
        println!("  {line}");
    }

    let metrics = Arc::new(Metrics::default());
    if let Some(addr) = args.metrics {
        let bound =
            metrics::serve(addr, Arc::clone(&metrics), shutdown.clone()).await.with_context(|| format!("serving metrics on {addr}"))?;
        println!("metrics at http://{bound}/metrics");
    }
    let alerts = AlertHook::default();
    let mut raised = alerts.subscribe();
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
        let splitter = deployed.address("splitter").context("the suite has no splitter to pay")?;
        let config = MiningConfig { devices, beneficiary: splitter, stall_after: Duration::from_secs(args.stall_secs) };
        let duty = MiningDuty::start(
            &config,
            &suite,
            deployed.address("token").context("the suite has no token")?,
            alice.clone(),
            Arc::clone(&metrics),
            alerts.clone(),
        )?;
        for d in duty.devices() {
            println!("mining on {d}, paying the splitter");
        }
        Some(duty)
    };
    let mining_shutdown = shutdown.clone();
    let mining_task = async {
        match mining {
            Some(duty) => duty.run(&chain, mining_shutdown).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(mining_task);
    let show_mining = !args.no_mine;

    let mut seen = 0u64;
    loop {
        tokio::select! {
            _ = shutdown.wait() => {
                println!("shutting down after {seen} blocks");
                break;
            }
            stopped = &mut mining_task => {
                // The duty returns Ok only on shutdown; either way it is done
                // and must not be polled again.
                stopped.context("the miner stopped")?;
                println!("shutting down after {seen} blocks");
                break;
            }
            Ok(alert) = raised.recv() => {
                println!("keeper alert [{:?}/{:?}] {}: {}", alert.severity, alert.kind, alert.source, alert.message);
            }
            next = blocks.recv() => match next {
                Ok(block) => {
                    let mining = show_mining.then_some(&*metrics);
                    println!("{}", status_line(&block, &registry, mining));
                    seen += 1;
                    if args.blocks.is_some_and(|n| seen >= n) {
                        println!("reached {seen} blocks, stopping");
                        break;
                    }
                }
                Err(RecvError::Lagged(n)) => eprintln!("status output fell {n} blocks behind; skipping them"),
                Err(RecvError::Closed) => anyhow::bail!("the embedded chain stopped unexpectedly"),
            }
        }
    }
    Ok(())
}

/// `#12 0x1a2b3c4d… 14:03:07.000 UTC  8.12 MH/s mined 3 (150.00 LODE)  events: token.Mined×2`
pub fn status_line(block: &Block, registry: &EventRegistry, mining: Option<&Metrics>) -> String {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for ev in &block.events {
        let name = registry.name(ev).to_string();
        match counts.iter_mut().find(|(n, _)| *n == name) {
            Some((_, c)) => *c += 1,
            None => counts.push((name, 1)),
        }
    }
    let events = if counts.is_empty() {
        "none".to_owned()
    } else {
        counts.iter().map(|(n, c)| if *c == 1 { n.clone() } else { format!("{n}×{c}") }).collect::<Vec<_>>().join(", ")
    };
    let mining = mining.map_or_else(String::new, |m| {
        let minted = m.minted();
        format!(
            "  {} mined {} ({}.{:02} LODE)",
            super::mine::rate(m.hashrate.load(Ordering::Relaxed) as f64),
            m.mints.load(Ordering::Relaxed),
            minted / LODE,
            minted % LODE / (LODE / 100)
        )
    });
    format!(
        "#{:<6} 0x{}…  {}{mining}  events: {events}",
        block.info.number,
        hex::encode(&block.info.hash[..4]),
        clock(block.info.timestamp_ms)
    )
}

/// `HH:MM:SS.mmm UTC` of a millisecond timestamp.
fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!("{:02}:{:02}:{:02}.{:03} UTC", (secs / 3600) % 24, (secs / 60) % 60, secs % 60, ms % 1000)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chain::{BlockInfo, ContractEvent};

    #[test]
    fn status_line_counts_events_by_name() {
        let info = BlockInfo { number: 7, hash: [0xab; 32], parent_hash: [0; 32], timestamp_ms: 3_723_004 };
        let ev = ContractEvent { contract: [1; 32].into(), topics: vec![], data: vec![] };
        let block = Block { info, events: vec![ev.clone(), ev] };
        let line = status_line(&block, &EventRegistry::default(), None);
        assert!(line.starts_with("#7 "), "{line}");
        assert!(!line.contains("H/s"), "no miner, no hashrate: {line}");
        let metrics = Metrics::default();
        metrics.hashrate.store(8_120_000, Ordering::Relaxed);
        metrics.mints.store(3, Ordering::Relaxed);
        metrics.add_minted(150 * LODE + LODE / 4);
        let line = status_line(&block, &EventRegistry::default(), Some(&metrics));
        assert!(line.contains("8.12 MH/s mined 3 (150.25 LODE)"), "{line}");
        assert!(line.contains("0xabababab…"), "{line}");
        assert!(line.contains("01:02:03.004 UTC"), "{line}");
        assert!(line.contains(".unknown×2"), "{line}");
    }
}
