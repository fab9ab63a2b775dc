//! The crash test: `lode run` settling 200 payees on a real node is killed
//! with SIGKILL at random points, again and again, while funds keep
//! arriving (its own mints and deposits in LODE and the native currency).
//! At the end every payee holds exactly what the splitter credited it,
//! replayed from the chain's `Distributed` events, and the ledger agrees
//! with the chain. Once with one keeper on SQLite, once with two keepers on
//! one PostgreSQL, one of them killed over and over. After the SQLite run a
//! keeper watches the node: its webhook says, signed, that the idle chain's
//! head is old, that two blocks came four seconds apart, and that the node
//! went down.

mod support;
// One home for starting a dev node: the end-to-end crate's, used as is.
#[path = "../../tests/src/node.rs"]
#[allow(dead_code)]
mod dev_node;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use dev_node::DevNode;
use lode_keeper::chain::node::NodeChain;
use lode_keeper::chain::{AccountId, BlockSource, Chain};
use lode_keeper::cmd::run::Setup;
use lode_keeper::contracts::{bond_keeper, Contracts, SplitterEvent};
use lode_keeper::duties::settle::reconcile::reconcile;
use lode_keeper::keys::{secret_bytes, Keystore, Password, Signer};
use lode_keeper::store::{asset_name, BatchState, Store};
use lode_splitter::{Asset, Split};
use rand::{Rng, SeedableRng};
use support::deployed::{deploy_dev, tail, WorkDir, PASSWORD};
use support::pg_server::PgServer;

const PAYEES: usize = 200;
const KILLS: usize = 20;
/// Native currency per deposit: every payee's part stays far above the existential deposit.
const NATIVE_DEPOSIT: u128 = 10_000_000_000_000_000;
const LODE_DEPOSIT: u128 = 2_000 * lode_primitives::LODE;

fn payee(i: usize) -> AccountId {
    let mut a = [0u8; 32];
    a[..8].copy_from_slice(&(i as u64 + 1).to_be_bytes());
    a[31] = 0x5a;
    AccountId(a)
}

fn config(store: &str, endpoint: &str, key: &str, mining: bool) -> String {
    format!(
        r#"
[chain]
endpoints = ["{endpoint}"]
request_timeout_secs = 20
[deployment]
manifest = "deployment.json"
[keeper]
keystore = "keys/{key}.json"
password = {{ file = "password" }}
[store]
url = "{store}"
[watcher]
confirmations = "finality"
[mining]
enabled = {mining}
[settle]
interval_secs = 10
lease_secs = 3
stuck_blocks = 5
"#
    )
}

/// A `lode run` process, its output in a file.
struct Keeper {
    child: Child,
    log: PathBuf,
}

impl Keeper {
    fn start(dir: &Path, config: &str, n: usize, env: &[(&str, &str)]) -> Keeper {
        let log = dir.join(format!("{config}.{n}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_lode"))
            .args(["run", "--config"])
            .arg(dir.join(config))
            .env("RUST_LOG", "lode_keeper=info")
            .envs(env.iter().copied())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("lode run starts");
        Keeper { child, log }
    }

    /// SIGKILL: no drain, no goodbye.
    fn kill(mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the keeper had already exited ({status}); its log:\n{}", tail(&self.log));
        }
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, and wait for a clean exit.
    fn stop(mut self) {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let status = self.child.wait().unwrap();
        assert!(status.success(), "a clean stop on SIGTERM ({status}); log:\n{}", tail(&self.log));
    }
}

/// Everything the splitter credited each payee, replayed from every block's
/// `Distributed` events with the split's own arithmetic.
async fn credited(chain: &NodeChain, contracts: &Contracts, split: &Split) -> HashMap<(&'static str, AccountId), u128> {
    let head = chain.head().await.unwrap().number;
    let mut carried: HashMap<&'static str, u128> = HashMap::new();
    let mut credit: HashMap<(&'static str, AccountId), u128> = HashMap::new();
    for n in 1..=head {
        let block = chain.block(chain.block_hash(n).await.unwrap().unwrap()).await.unwrap().unwrap();
        for e in &block.events {
            if let Some(SplitterEvent::Distributed { asset, received, credited, fee }) = contracts.splitter.event(e) {
                let carry = carried.entry(asset_name(asset)).or_default();
                let division = split.divide(received, *carry, fee > 0).expect("the division replays");
                assert_eq!(division.fee, fee, "block #{n}: the fee replays");
                assert_eq!(division.parts.iter().sum::<u128>(), credited, "block #{n}: the credit replays");
                *carry = division.remainder;
                for (p, part) in split.payees.iter().zip(division.parts) {
                    *credit.entry((asset_name(asset), AccountId(*AsRef::<[u8; 32]>::as_ref(p)))).or_default() += part;
                }
            }
        }
    }
    credit
}

async fn deposit(chain: &NodeChain, contracts: &Contracts, treasury: &Signer, round: usize) {
    let splitter = contracts.splitter.address();
    if round % 2 == 0 {
        chain.fund_from_alice(splitter, NATIVE_DEPOSIT).await.expect("native deposit");
    } else {
        let sent: Result<(), lode_token::PSP22Error> =
            contracts.token.0.send(treasury, "PSP22::transfer", (splitter.0, LODE_DEPOSIT, Vec::<u8>::new())).await.unwrap();
        sent.expect("LODE deposit");
    }
}

/// Whether everything that arrived has been paid out and the ledger is closed.
async fn all_settled(contracts: &Contracts, store: &Store) -> bool {
    for asset in [Asset::Lode, Asset::Native] {
        if contracts.splitter.undistributed(asset).await.unwrap() != Ok(0) {
            return false;
        }
        for i in 0..PAYEES {
            if contracts.splitter.owed(asset, payee(i)).await.unwrap() > 0 {
                return false;
            }
        }
    }
    store.ledger_batches(true).await.unwrap().is_empty()
}

async fn run_crash_test(store_url: &str, two_keepers: bool) {
    let Some(mut node) = DevNode::start() else { return };
    let seed: u64 = rand::random();
    println!("crash test seed {seed} (store {}, {} keeper(s))", store_url.split(':').next().unwrap_or(""), 1 + usize::from(two_keepers));
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = WorkDir::new();
    let keys = dir.path().join("keys");
    let password = Password::new(PASSWORD);
    let payees: String = (0..PAYEES).map(|i| format!("0x{},{}\n", hex::encode(payee(i).0), 1 + i % 5)).collect();
    std::fs::write(dir.path().join("payees.csv"), payees).unwrap();
    let _probe = node.connect(vec![node.url()], Default::default()).await;
    deploy_dev(dir.path(), &node.url(), &["keeper", "second"], Some(dir.path().join("payees.csv"))).await;
    std::fs::write(dir.path().join("a.toml"), config(store_url, &node.url(), "keeper", true)).unwrap();
    std::fs::write(dir.path().join("b.toml"), config(store_url, &node.url(), "second", false)).unwrap();

    let setup = Setup::open(&dir.path().join("a.toml")).await.expect("the config opens");
    let (chain, contracts, store) = (setup.chain.clone(), setup.contracts.clone(), setup.store.clone());
    let treasury = Signer::dev("treasury");
    let split = contracts.splitter.split().await.unwrap();
    assert_eq!(split.payees.len(), PAYEES);
    let mut second = None;
    if two_keepers {
        let key = Keystore::open(&keys.join("second.json"), &password).unwrap();
        let b = Signer::from_secret("second", &secret_bytes(&key)).unwrap();
        chain.fund_from_alice(b.account_id(), NATIVE_DEPOSIT).await.unwrap();
        bond_keeper(&contracts, &treasury, &b, 1_000 * lode_primitives::LODE).await.expect("the second keeper bonds");
        second = Some(Keeper::start(dir.path(), "b.toml", 0, &[]));
    }

    let started = Instant::now();
    for kill in 0..KILLS {
        let keeper = Keeper::start(dir.path(), "a.toml", kill, &[]);
        if kill % 3 == 0 {
            deposit(&chain, &contracts, &treasury, kill / 3).await;
        }
        tokio::time::sleep(Duration::from_millis(rng.gen_range(300..3_500))).await;
        keeper.kill();
    }
    let killed_for = started.elapsed();

    // The last run (and the second keeper) settle whatever is left; without
    // mining, so that "everything" stops growing.
    let last = Keeper::start(dir.path(), "a.toml", KILLS, &[("LODE_MINING__ENABLED", "false")]);
    let deadline = Instant::now() + Duration::from_secs(240);
    while !all_settled(&contracts, &store).await {
        assert!(Instant::now() < deadline, "not everything was settled within 240 s; log:\n{}", tail(&last.log));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    last.stop();
    if let Some(b) = second {
        b.stop();
    }

    // Every payee holds exactly what it was credited: nothing lost, nothing twice.
    let credit = credited(&chain, &contracts, &split).await;
    let mut paid: HashMap<&'static str, u128> = HashMap::new();
    for i in 0..PAYEES {
        let p = payee(i);
        let lode = contracts.token.balance_of(p).await.unwrap();
        let native = chain.balance(p).await.unwrap();
        assert_eq!(lode, credit.get(&("lode", p)).copied().unwrap_or(0), "payee {i}: LODE held = LODE credited");
        assert_eq!(native, credit.get(&("native", p)).copied().unwrap_or(0), "payee {i}: native held = native credited");
        *paid.entry("lode").or_default() += lode;
        *paid.entry("native").or_default() += native;
    }
    assert!(paid["lode"] > 0 && paid["native"] > 0, "both assets were paid: {paid:?}");

    // The ledger agrees with the chain.
    let batches = store.ledger_batches(false).await.unwrap();
    assert!(batches.iter().all(|b| b.state == BatchState::Settled));
    for asset in [Asset::Lode, Asset::Native] {
        let receipts: u128 = batches.iter().filter(|b| b.asset == asset).map(|b| b.paid()).sum();
        assert_eq!(receipts, paid[asset_name(asset)], "{asset:?}: the ledger's receipts add up to what payees hold");
    }
    let twice: Vec<_> = batches.iter().filter(|b| b.receipts.len() > 1).map(|b| hex::encode(&b.id[..4])).collect();
    assert!(twice.is_empty(), "no batch was settled by two keepers: {twice:?}");
    let settlers: std::collections::HashSet<AccountId> = batches.iter().flat_map(|b| b.receipts.iter().map(|r| r.keeper)).collect();
    assert_eq!(settlers.len(), 1 + usize::from(two_keepers), "every keeper settled some of the batches");
    let report = reconcile(&store, &contracts, &*chain).await.unwrap();
    assert!(report.mismatches.is_empty(), "{report}");
    for asset in [Asset::Lode, Asset::Native] {
        let book = contracts.splitter.book(asset).await.unwrap();
        let held = match asset {
            Asset::Lode => contracts.token.balance_of(contracts.splitter.address()).await.unwrap(),
            Asset::Native => chain.balance(contracts.splitter.address()).await.unwrap(),
        };
        assert_eq!(book.owed, 0, "{asset:?}: nothing owed to payees");
        assert!(held >= book.accounted().unwrap(), "{asset:?}: the splitter's invariant holds");
    }
    let mints = contracts.token.mining_state().await.unwrap().mint_count;
    let payees_paid: usize = batches.iter().map(|b| b.payees.len()).sum();
    println!(
        "crash test: {KILLS} kills over {:.0} s, {mints} mints, {} batches, {payees_paid} payee payments, \
         0 lost, 0 paid twice; {}",
        killed_for.as_secs_f64(),
        batches.len(),
        report.to_string().replace('\n', "; ")
    );

    if !two_keepers {
        // The node goes down under a running keeper: its webhook says so, signed.
        let (url, received) = receiver().await;
        std::fs::write(dir.path().join("webhook.secret"), WEBHOOK_SECRET).unwrap();
        let alerts = format!(
            "[alerts]\nprobe_secs = 1\nmax_head_age_secs = 3\nmax_block_gap_secs = 3\n[alerts.webhook]\nurl = \"{url}\"\nsecret = {{ file = \"webhook.secret\" }}\n"
        );
        let config = config("keeper.db", &node.url(), "keeper", false).replace("[settle]", &format!("{alerts}[settle]"));
        std::fs::write(dir.path().join("c.toml"), config).unwrap();
        let watching = Keeper::start(dir.path(), "c.toml", 0, &[]);
        let started = Instant::now();
        // (Its key-used alert went out on an earlier run of this store: within
        // the cooldown it is not repeated. The log says when it is up.)
        while !std::fs::read_to_string(&watching.log).unwrap_or_default().contains("resuming after") {
            assert!(started.elapsed() < Duration::from_secs(30), "the keeper did not start: {}", tail(&watching.log));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Nothing to mine or settle, and a dev node seals only on demand: the head grows old.
        while !rules(&received).contains(&"node-lagging".to_owned()) {
            assert!(started.elapsed() < Duration::from_secs(60), "no old-head alert: {:?}\n{}", rules(&received), tail(&watching.log));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        // Two blocks four seconds apart: an abnormal block time.
        assert!(!rules(&received).contains(&"block-time".to_owned()), "no block-time alert before its cause: {:?}", rules(&received));
        chain.fund_from_alice(payee(0), 1_000_000_000_000).await.unwrap();
        tokio::time::sleep(Duration::from_secs(4)).await;
        chain.fund_from_alice(payee(0), 1_000_000_000_000).await.unwrap();
        while !rules(&received).contains(&"block-time".to_owned()) {
            assert!(started.elapsed() < Duration::from_secs(90), "no block-time alert: {:?}\n{}", rules(&received), tail(&watching.log));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        node.kill();
        while !rules(&received).contains(&"node-down".to_owned()) {
            assert!(started.elapsed() < Duration::from_secs(150), "no node-down alert: {:?}\n{}", rules(&received), tail(&watching.log));
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        watching.stop();
        for rule in ["node-lagging", "block-time", "node-down"] {
            let n = received.lock().unwrap().iter().filter(|a| a["rule"] == rule).count();
            assert_eq!(n, 1, "{rule}: one incident, one alert");
        }
        // Checked last, long after it would have been sent.
        assert!(!rules(&received).contains(&"key-used".to_owned()), "the key-used incident is within its cooldown");
    }
}

const WEBHOOK_SECRET: &str = "crash-test webhook secret";

type Received = std::sync::Arc<std::sync::Mutex<Vec<serde_json::Value>>>;

/// A webhook receiver that accepts only correctly signed, fresh posts.
async fn receiver() -> (String, Received) {
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    async fn receive(State(got): State<Received>, headers: HeaderMap, body: axum::body::Bytes) -> StatusCode {
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let signed = lode_keeper::alerting::webhook::verify(
            WEBHOOK_SECRET.as_bytes(),
            &header("x-lode-timestamp"),
            &header("x-lode-signature"),
            &body,
            now,
            300,
        );
        if signed.is_err() {
            return StatusCode::UNAUTHORIZED;
        }
        got.lock().unwrap().push(serde_json::from_slice(&body).unwrap());
        StatusCode::OK
    }
    let got: Received = Default::default();
    let app = axum::Router::new().route("/hook", axum::routing::post(receive)).with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

fn rules(got: &Received) -> Vec<String> {
    got.lock().unwrap().iter().filter_map(|a| a["rule"].as_str().map(str::to_owned)).collect()
}

/// The two tests run one after the other: each holds a node, keepers and a
/// miner, and together they would starve each other on a small machine.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test]
async fn one_keeper_on_sqlite_killed_twenty_times_pays_every_payee_exactly_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    run_crash_test("keeper.db", false).await;
}

#[tokio::test]
async fn two_keepers_on_postgres_one_killed_twenty_times_pay_every_payee_exactly_once() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let pg = PgServer::start().expect("a PostgreSQL server for the test");
    run_crash_test(&pg.url(), true).await;
}
