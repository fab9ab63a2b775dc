//! The alert engine on the embedded chain with real causes: a large
//! transfer, a keeper balance below its floor, a ledger that disagrees with
//! the chain, the splitter paused by the circuit breaker that two keepers'
//! Critical alerts trip, the key unlocked, a settlement above its limit, a
//! miner starved by a device that stops answering, and a device that answers
//! wrong. A real HTTP receiver checks
//! each webhook's HMAC signature; the alerts contract holds the on-chain
//! ones, with details kept in the store; one incident is one alert.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use lode_keeper::alerting::sinks::Sinks;
use lode_keeper::alerting::webhook::{verify, WebhookSink};
use lode_keeper::alerting::{AlertEngine, AlertMetrics, Finding, Level, Rule};
use lode_keeper::chain::Chain;
use lode_keeper::config::AlertsConfig;
use lode_keeper::contracts::bond_keeper;
use lode_keeper::duties::settle::reconcile::ReconcileJob;
use lode_keeper::runtime::Job;
use lode_keeper::store::{PlannedBatch, Receipt, SettledInBlock, Store, StoreLocation};
use lode_keeper::watcher::{Confirmation, Cursor};
use lode_primitives::LODE;
use lode_tests::Harness;

const SECRET: &[u8] = b"shared webhook secret";

type Received = Arc<Mutex<Vec<serde_json::Value>>>;

/// Accepts only correctly signed, fresh posts.
async fn receive(State(got): State<Received>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
    if verify(SECRET, &header("x-lode-timestamp"), &header("x-lode-signature"), &body, now, 300).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    got.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
    StatusCode::OK
}

async fn receiver() -> (String, Received) {
    let got: Received = Arc::default();
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

fn rules_received(got: &Received) -> Vec<String> {
    got.lock().unwrap().iter().map(|a| a["rule"].as_str().unwrap().to_owned()).collect()
}

async fn until(h: &Harness, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        h.chain.seal_blocks(1).await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn each_rule_reaches_its_sinks_once_and_two_keepers_criticals_pause_the_splitter() {
    let h = Harness::new().await;
    for keeper in [&h.alice, &h.bob] {
        bond_keeper(&h.contracts, &h.treasury, keeper, h.config.staking.min_keeper_bond).await.unwrap();
    }
    h.chain.seal_blocks(h.config.staking.activation_delay + 1).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreLocation::SqliteFile(dir.path().join("keeper.db"))).await.unwrap();
    let (url, got) = receiver().await;

    let alice_balance = h.chain.balance(h.alice.account_id()).await.unwrap();
    let config = AlertsConfig {
        probe_every: Duration::from_millis(100),
        large_transfer: Some(1_000 * LODE),
        large_settlement: Some(100 * LODE),
        min_balance: Some(alice_balance * 2),
        ..AlertsConfig::default()
    };
    let metrics = AlertMetrics::default();
    let webhook = WebhookSink::new(&url, SECRET.to_vec(), 2, Duration::from_millis(50), Duration::from_secs(5)).unwrap();
    let sinks = Sinks::new(store.clone(), h.alice.account_id(), config.cooldown, Some(webhook), true, metrics.clone());
    let mut keeper = h.keeper(&h.alice, Confirmation::Finality);
    keeper.add(AlertEngine::new(config.clone(), sinks));
    let ctx = keeper.ctx.clone();
    let running = keeper.start();

    // The key unlocked, and a balance below its floor (probed every 100 ms, alerted once).
    until(&h, "key-used and low-balance", || {
        let r = rules_received(&got);
        r.contains(&"key-used".into()) && r.contains(&"low-balance".into())
    })
    .await;

    // A large transfer.
    let sent: Result<(), lode_token::PSP22Error> =
        h.send(&h.treasury, "token", "PSP22::transfer", (h.carol.account_id().0, 5_000 * LODE, Vec::<u8>::new())).await;
    sent.unwrap();
    until(&h, "large-transfer", || rules_received(&got).contains(&"large-transfer".into())).await;
    let large = got.lock().unwrap().iter().find(|a| a["rule"] == "large-transfer").cloned().unwrap();
    assert_eq!(large["details"]["value"], (5_000 * LODE).to_string());
    assert!(large["text"].as_str().unwrap().contains("large-transfer"), "Slack-style text: {large}");
    assert_eq!(large["severity"], "warning");

    // A large settlement: a keeper pays the payees more than the limit in one batch.
    let sent: Result<(), lode_token::PSP22Error> =
        h.send(&h.treasury, "token", "PSP22::transfer", (h.address("splitter").0, 900 * LODE, Vec::<u8>::new())).await;
    sent.unwrap();
    let distributed: Result<u128, lode_splitter::Error> = h.send(&h.alice, "splitter", "distribute", lode_splitter::Asset::Lode).await;
    distributed.unwrap();
    let payees = vec![h.dave.account_id().0, h.treasury.account_id().0];
    let settled: Result<u128, lode_splitter::Error> =
        h.send(&h.alice, "splitter", "settle", ([7u8; 32], lode_splitter::Asset::Lode, payees)).await;
    assert!(settled.unwrap() > 100 * LODE);
    until(&h, "large-settlement", || rules_received(&got).contains(&"large-settlement".into())).await;

    // The ledger claims a settlement the splitter never saw: reconciliation
    // raises a Critical alert about the splitter, on chain too.
    let fake = PlannedBatch { id: [0xee; 32], asset: lode_splitter::Asset::Lode, payees: vec![(h.dave.account_id(), 1)] };
    store.plan_batches(&[fake], "nobody", 0, u64::MAX / 2).await.unwrap();
    let tx = lode_keeper::chain::SignedTx { hash: [0xef; 32], signer: h.alice.account_id(), nonce: 0 };
    store.record_submission(&[0xee; 32], "nobody", 1, &tx, 0, 1).await.unwrap();
    let at = lode_keeper::chain::BlockRef { number: 1, hash: [1; 32] };
    let receipt = Receipt { batch_id: [0xee; 32], keeper: h.alice.account_id(), block: at, paid: 1, failed: 0, amount: 1 };
    store
        .apply_settled(at, &SettledInBlock { receipts: vec![receipt], failed: vec![] }, "t", &Cursor { confirmed: at, finalized: None })
        .await
        .unwrap();
    let raised_before = metrics.on_chain.get();
    ReconcileJob::new(store.clone()).run(&ctx).await.unwrap();
    until(&h, "reconcile-mismatch", || rules_received(&got).contains(&"reconcile-mismatch".into())).await;
    // The webhook goes out first: wait for alice's alert to be on chain too.
    until(&h, "alice's on-chain alert", || metrics.on_chain.get() > raised_before).await;
    h.chain.seal_blocks(1).await.unwrap();
    assert!(!h.contracts.splitter.paused().await.unwrap(), "one keeper's Critical alert does not pause");

    // A second keeper sharing the store reports the same incident: the
    // webhook hears it once, the chain counts both, and the breaker trips.
    let bob_sinks = Sinks::new(store.clone(), h.bob.account_id(), config.cooldown, None, true, AlertMetrics::default());
    let (bob_ctx, _s, _d) = h.context(&h.bob);
    let critical = Finding::new(Rule::ReconcileMismatch, Level::Critical, "ledger and chain disagree").about(h.address("splitter"));
    let delivered = bob_sinks.deliver(&bob_ctx, &critical).await.unwrap();
    assert!(!delivered.notified, "the shared notification gate holds: one webhook per incident");
    assert!(delivered.on_chain.is_some(), "but bob's own vote goes on chain");
    h.chain.seal_blocks(1).await.unwrap();
    assert!(h.contracts.splitter.paused().await.unwrap(), "two keepers' Critical alerts paused the splitter");
    until(&h, "splitter-paused", || rules_received(&got).contains(&"splitter-paused".into())).await;

    running.stop().await;

    // One alert per incident, however often its rule fired.
    let rules = rules_received(&got);
    for rule in ["key-used", "low-balance", "large-transfer", "large-settlement", "reconcile-mismatch", "splitter-paused"] {
        assert_eq!(rules.iter().filter(|r| *r == rule).count(), 1, "{rule} once: {rules:?}");
    }
    assert!(metrics.suppressed.get() > 0, "repeats were held back");

    // On chain: Warning and above, with details kept in the store; Info stays off chain.
    let count: u64 = h.read("alerts", "alert_count", ()).await.unwrap();
    let mut on_chain = Vec::new();
    for id in 0..count {
        let alert: Option<lode_alerts::Alert> = h.read("alerts", "alert", id).await.unwrap();
        let alert = alert.unwrap();
        let json = store.alert_details(&alert.details_hash).await.unwrap().expect("the details are in the store");
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        on_chain.push((doc["rule"].as_str().unwrap().to_owned(), alert.severity));
    }
    assert!(on_chain.iter().any(|(r, s)| r == "large-transfer" && *s == lode_alerts::Severity::Medium), "{on_chain:?}");
    assert!(on_chain.iter().any(|(r, _)| r == "low-balance"), "{on_chain:?}");
    assert!(on_chain.iter().any(|(r, _)| r == "large-settlement"), "{on_chain:?}");
    assert_eq!(on_chain.iter().filter(|(r, s)| r == "reconcile-mismatch" && *s == lode_alerts::Severity::Critical).count(), 2);
    assert!(!on_chain.iter().any(|(r, _)| r == "key-used"), "Info alerts stay off chain: {on_chain:?}");
}

/// The real CPU backend, behind switches that make it fail as devices do:
/// hang like one whose driver stopped answering (a launch does not come back
/// until fed), or answer a counter that does not meet the target.
struct Starvable {
    inner: Box<dyn lode_miner::Backend>,
    fed: Arc<std::sync::atomic::AtomicBool>,
    lying: Arc<std::sync::atomic::AtomicBool>,
}

impl lode_miner::Backend for Starvable {
    fn info(&self) -> &lode_miner::DeviceInfo {
        self.inner.info()
    }

    fn scan(&mut self, job: &lode_miner::Job, start: u64, count: u64) -> Result<Option<u64>, lode_miner::MinerError> {
        while !self.fed.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        if self.lying.load(std::sync::atomic::Ordering::SeqCst) {
            // The first counter of the range, whatever its digest: the miner re-checks it.
            return Ok(Some(start));
        }
        self.inner.scan(job, start, count)
    }

    fn granularity(&self) -> u64 {
        self.inner.granularity()
    }

    fn initial_batch(&self) -> u64 {
        self.inner.initial_batch()
    }
}

#[tokio::test]
async fn a_starved_miner_raises_a_hashrate_warning_on_chain_its_recovery_off_chain_and_a_lying_device_its_own() {
    use lode_keeper::duties::mining::{MiningConfig, MiningDuty, MiningMetrics};
    let h = Harness::new().await;
    bond_keeper(&h.contracts, &h.treasury, &h.alice, h.config.staking.min_keeper_bond).await.unwrap();
    h.chain.seal_blocks(h.config.staking.activation_delay + 1).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreLocation::SqliteFile(dir.path().join("keeper.db"))).await.unwrap();
    let (url, got) = receiver().await;
    let config = AlertsConfig { probe_every: Duration::from_millis(100), ..AlertsConfig::default() };
    let webhook = WebhookSink::new(&url, SECRET.to_vec(), 2, Duration::from_millis(50), Duration::from_secs(5)).unwrap();
    let sinks = Sinks::new(store.clone(), h.alice.account_id(), config.cooldown, Some(webhook), true, AlertMetrics::default());

    let fed = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let lying = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let cpu = lode_miner::devices::open(lode_miner::DeviceId::Cpu).unwrap();
    let device = Box::new(Starvable { inner: cpu, fed: fed.clone(), lying: lying.clone() });
    let mining = MiningConfig { devices: Vec::new(), beneficiary: h.address("splitter"), stall_after: Duration::from_secs(1) };
    let metrics = MiningMetrics::default();
    let miner = MiningDuty::with_backends(vec![device], &mining, h.alice.account_id(), metrics.clone()).unwrap();

    let mut keeper = h.keeper(&h.alice, Confirmation::Finality);
    keeper.add(AlertEngine::new(config.clone(), sinks)).add(miner);
    let mut raised = keeper.ctx.alerts.subscribe();
    let running = keeper.start();

    until(&h, "the miner hashing", || metrics.hashrate.get() > 0).await;
    fed.store(false, std::sync::atomic::Ordering::SeqCst);
    until(&h, "the hashrate warning", || rules_received(&got).contains(&"hashrate".into())).await;
    let warning = got.lock().unwrap().iter().find(|a| a["rule"] == "hashrate").cloned().unwrap();
    assert_eq!(warning["severity"], "warning", "{warning}");
    assert!(warning["summary"].as_str().unwrap().contains("hashrate has been zero"), "{warning}");
    fed.store(true, std::sync::atomic::Ordering::SeqCst);
    until(&h, "the recovery", || rules_received(&got).iter().filter(|r| *r == "hashrate").count() == 2).await;
    let recovered = got.lock().unwrap().iter().filter(|a| a["rule"] == "hashrate").nth(1).cloned().unwrap();
    assert_eq!(recovered["severity"], "info", "{recovered}");
    assert!(recovered["summary"].as_str().unwrap().contains("hashrate recovered"), "{recovered}");

    // A device that answers wrong: the miner's own check catches it, and says so
    // once, however many wrong answers it gives (well past the hook's 256 slots).
    while raised.try_recv().is_ok() {}
    lying.store(true, std::sync::atomic::Ordering::SeqCst);
    until(&h, "the wrong-answer warning", || rules_received(&got).contains(&"duty".into())).await;
    until(&h, "512 wrong answers", || metrics.rejected.get() >= 512).await;
    lying.store(false, std::sync::atomic::Ordering::SeqCst);
    let mut wrong_findings = 0;
    loop {
        match raised.try_recv() {
            Ok(f) if f.rule == Rule::Duty => {
                assert!(f.summary.contains("does not meet the target"), "{f:?}");
                wrong_findings += 1;
            }
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::TryRecvError::Empty) => break,
            Err(e) => panic!("the alert hook overflowed: {e}"),
        }
    }
    assert_eq!(wrong_findings, 1, "one finding for {} wrong answers", metrics.rejected.get());
    let wrong = got.lock().unwrap().iter().find(|a| a["rule"] == "duty").cloned().unwrap();
    assert!(wrong["summary"].as_str().unwrap().contains("does not meet the target"), "{wrong}");
    assert_eq!(wrong["severity"], "warning");
    let duties: Vec<_> = got.lock().unwrap().iter().filter(|a| a["rule"] == "duty").cloned().collect();
    assert_eq!(duties.len(), 1, "one incident, one alert: {duties:?}");
    running.stop().await;

    // The warning is on chain, with its details in the store; the recovery (Info) is not.
    let count: u64 = h.read("alerts", "alert_count", ()).await.unwrap();
    let mut on_chain = Vec::new();
    for id in 0..count {
        let alert: lode_alerts::Alert = h.read::<Option<lode_alerts::Alert>>("alerts", "alert", id).await.unwrap().unwrap();
        let json = store.alert_details(&alert.details_hash).await.unwrap().expect("the details are in the store");
        let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
        on_chain.push(doc["summary"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(on_chain.iter().filter(|s| s.contains("hashrate has been zero")).count(), 1, "{on_chain:?}");
    assert!(!on_chain.iter().any(|s| s.contains("recovered")), "{on_chain:?}");
}
