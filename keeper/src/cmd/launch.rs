//! What `lode dev` and `lode run` share: given a chain, a deployment and a
//! key, assemble the duties and hand them to the runtime. The two commands
//! differ only in the chain and deployment they build.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use lode_miner::devices::Inventory;
use prometheus_client::registry::Registry;

use crate::alerting::sinks::Sinks;
use crate::alerting::webhook::WebhookSink;
use crate::alerting::{AlertEngine, AlertHook, AlertMetrics};
use crate::audit::{Action, AnchorJob, AuditDuty, AuditHook};
use crate::chain::Chain;
use crate::config::{AlertsConfig, Schedule, SettleConfig};
use crate::contracts::Contracts;
use crate::duties::console::ConsoleDuty;
use crate::duties::demo::DemoDuty;
use crate::duties::heartbeat::Heartbeat;
use crate::duties::mining::{MiningConfig, MiningDuty, MiningMetrics};
use crate::duties::settle::reconcile::ReconcileJob;
use crate::duties::settle::{SettleDuty, SettleMetrics};
use crate::http::HttpServer;
use crate::keys::{ss58, Password, Signer};
use crate::payout::api::PayoutApi;
use crate::relayer::{Relay, RelayConfig, RelayMetrics, RelayerDuty};
use crate::runtime::{self, Context, DutyBoard, Job, ScheduleDuty, ScheduleMetrics, Supervisor};
use crate::store::Store;
use crate::watcher::{Confirmation, CursorStore, Notifications, Watcher, WatcherMetrics};

/// A keeper ready to start.
pub struct Launch {
    /// The chain backend.
    pub chain: Arc<dyn Chain>,
    /// The deployed suite.
    pub contracts: Contracts,
    /// The key it signs with.
    pub signer: Signer,
    /// When blocks count as confirmed.
    pub confirmations: Confirmation,
    /// Where the watcher keeps its cursor (none: each run starts at the finalized block).
    pub cursor: Option<Arc<dyn CursorStore>>,
    /// Mining devices, or `None` not to mine. An empty list picks the preferred device.
    pub mining: Option<(Vec<lode_miner::DeviceId>, Duration)>,
    /// Where to serve `/metrics`, `/health` and `/status`.
    pub http: Option<SocketAddr>,
    /// Stop after this many blocks.
    pub stop_after: Option<u64>,
    /// Periodic jobs.
    pub schedule: Schedule,
    /// The keeper's store: the settlement ledger.
    pub store: Store,
    /// Settlement.
    pub settle: SettleConfig,
    /// Alert rules and sinks.
    pub alerts: AlertsConfig,
    /// `lode dev`'s tour, upgrading alerts to this code: dev keys only.
    pub demo: Option<crate::chain::CodeHash>,
    /// The bearer token of `POST /payouts`; `None`: no payout routes.
    pub payout_token: Option<Password>,
}

/// Runs the keeper until a signal, `stop_after` blocks, or a duty failing for good.
/// `registry` may already hold the chain backend's metrics.
pub async fn run(launch: Launch, mut registry: Registry) -> Result<()> {
    let (stopper, shutdown, drain) = runtime::shutdown::channel();
    runtime::stop_on_signals(stopper.clone()).context("installing signal handlers")?;
    let board = DutyBoard::default();
    let notifications = Notifications::default();
    let mut supervisor = Supervisor::new(board.clone(), Duration::from_secs(10));
    let (audit, queue) = AuditHook::channel();
    supervisor.add(AuditDuty::new(launch.store.clone(), launch.signer.account_id(), queue));
    audit.record(
        Action::KeyUse,
        serde_json::json!({ "key": launch.signer.label(), "account": ss58(&launch.signer.account_id()), "for": "keeper" }),
    );
    let webhook = match &launch.alerts.webhook {
        None => None,
        Some(w) => {
            let secret = w.secret.resolve().context("reading the alert webhook's secret")?;
            let sink = WebhookSink::new(&w.url, secret.as_bytes().to_vec(), w.retries, Duration::from_millis(500), Duration::from_secs(10))
                .context("alerts.webhook")?;
            Some(sink)
        }
    };
    let sinks = Sinks::new(
        launch.store.clone(),
        launch.signer.account_id(),
        launch.alerts.cooldown,
        webhook,
        launch.alerts.on_chain,
        AlertMetrics::register(&mut registry),
    );
    supervisor.add(AlertEngine::new(launch.alerts.clone(), sinks));
    let watcher_metrics = WatcherMetrics::register(&mut registry);
    supervisor.add(Watcher::new(launch.chain.clone(), notifications.clone(), launch.confirmations, launch.cursor, watcher_metrics));

    let mining = match launch.mining {
        None => None,
        Some((devices, stall_after)) => {
            let devices = if devices.is_empty() {
                let inventory = Inventory::scan();
                if let Some(why) = &inventory.opencl_missing {
                    eprintln!("note: {why}");
                }
                vec![inventory.preferred()]
            } else {
                devices
            };
            let config = MiningConfig { devices, beneficiary: launch.contracts.splitter.0.address(), stall_after };
            let metrics = MiningMetrics::register(&mut registry);
            let duty = MiningDuty::start(&config, launch.signer.account_id(), metrics.clone())?;
            for d in duty.devices() {
                println!("mining on {d}, paying the splitter");
            }
            supervisor.add(duty);
            Some(metrics)
        }
    };
    if launch.settle.enabled {
        let metrics = SettleMetrics::register(&mut registry);
        supervisor.add(SettleDuty::new(launch.store.clone(), launch.settle, launch.signer.account_id(), metrics));
    }
    if let Some(alerts_code) = launch.demo {
        supervisor.add(DemoDuty::new(board.clone(), alerts_code));
    }
    supervisor.add(ConsoleDuty::new(mining, launch.stop_after));
    if !launch.schedule.is_empty() {
        let jobs: Vec<Arc<dyn Job>> =
            vec![Arc::new(Heartbeat), Arc::new(ReconcileJob::new(launch.store.clone())), Arc::new(AnchorJob::new(launch.store.clone()))];
        supervisor.add(ScheduleDuty::new(&launch.schedule, jobs, ScheduleMetrics::register(&mut registry))?);
    }
    if let Some(addr) = launch.http {
        let config = RelayConfig {
            bad_signatures: launch.alerts.bad_signatures,
            bad_window: launch.alerts.bad_signature_window,
            ..RelayConfig::default()
        };
        let relay = Relay::new(config, RelayMetrics::register(&mut registry));
        supervisor.add(RelayerDuty::new(relay.clone()));
        let mut server = HttpServer::bind(addr, registry, board.clone()).await.with_context(|| format!("serving HTTP on {addr}"))?;
        server.mount(move |ctx| relay.routes(ctx));
        println!("metrics at http://{}/metrics, status at /status, the relayer at /relay", server.address());
        if let Some(token) = &launch.payout_token {
            let api = PayoutApi::new(token, launch.store.clone());
            server.mount(move |ctx| api.routes(ctx));
            println!("payouts at http://{}/payouts (bearer token)", server.address());
        }
        supervisor.add(server);
    }

    let ctx = Context {
        chain: launch.chain,
        contracts: launch.contracts,
        signer: launch.signer,
        alerts: AlertHook::default(),
        audit,
        notifications,
        stopper: stopper.clone(),
    };
    supervisor.run(ctx, shutdown, drain).await?;
    Ok(())
}
