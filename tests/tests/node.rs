//! The keeper against a real `substrate-contracts-node`: the suite deployed
//! from the keeper's ECDSA account, read back, mined on, and followed by the
//! watcher; concurrent submissions from one key; failover between endpoints;
//! and a node outage the watcher backfills.
//!
//! One node serves the scenarios that do not disturb it, run in sequence in
//! one test: a node answers 5–10 s after start on 2 cores.

use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_deploy::{Suite, SuiteConfig};
use lode_keeper::chain::node::{NodeChain, NodeMetrics};
use lode_keeper::chain::{BlockSource, Chain};
use lode_keeper::contracts::{deploy_suite, Contracts, Wiring};
use lode_keeper::duties::mining::{self, Submitted};
use lode_keeper::keys::Signer;
use lode_keeper::runtime::shutdown;
use lode_keeper::watcher::{ChainNotification, Confirmation, Notifications, Watcher, WatcherMetrics};
use lode_miner::Work;
use lode_primitives::LODE;
use lode_tests::node::DevNode;
use lode_tests::{artifacts, FAST_GOVERNANCE};
use lode_token::MiningState;
use prometheus_client::registry::Registry;

/// Native currency the keeper's ECDSA account gets from //Alice.
const KEEPER_FUNDS: u128 = 1_000_000_000_000_000;

async fn deploy(chain: &Arc<NodeChain>, keeper: &Signer) -> (lode_deploy::Deployed, Contracts, SuiteConfig) {
    let suite = Suite::new(artifacts().to_vec()).expect("suite");
    let ids = |names: &[&str]| names.iter().map(|n| Signer::dev(n).account_id()).collect::<Vec<_>>();
    let mut config = SuiteConfig::dev(keeper.account_id(), ids(&["alice", "bob", "charlie"]), ids(&["dave", "eve"]));
    config.governor.params = FAST_GOVERNANCE;
    let (deployed, contracts) = deploy_suite(chain.clone(), keeper, &suite, &config).await.expect("the suite deploys on the node");
    (deployed, contracts, config)
}

#[tokio::test]
async fn the_suite_runs_on_a_real_node() {
    let Some(node) = DevNode::start() else { return };
    let mut registry = Registry::default();
    let metrics = NodeMetrics::register(&mut registry);
    let chain = Arc::new(node.connect(vec![node.url()], metrics.clone()).await);
    let keeper = Signer::dev("keeper");

    // Only sr25519 dev accounts are funded at genesis.
    assert_eq!(chain.balance(keeper.account_id()).await.unwrap(), 0);
    chain.fund_from_alice(keeper.account_id(), KEEPER_FUNDS).await.expect("//Alice pays");
    assert_eq!(chain.balance(keeper.account_id()).await.unwrap(), KEEPER_FUNDS);

    // Deploy from the ECDSA account, and read the wiring back.
    let started = Instant::now();
    let (deployed, contracts, config) = deploy(&chain, &keeper).await;
    eprintln!("deployed the suite on the node in {:.1} s", started.elapsed().as_secs_f64());
    let wiring = Wiring::read(&contracts).await.expect("wiring reads");
    let governor = deployed.address("governor").unwrap();
    assert!(wiring.admins.iter().all(|(_, a)| *a == governor), "every contract handed to the governor: {wiring:?}");
    assert_eq!(wiring.splitter_guardian, deployed.address("alerts"));
    assert_eq!(contracts.token.balance_of(keeper.account_id()).await.unwrap(), config.genesis_supply);

    // The watcher follows the node; a mint's event reaches a subscriber.
    let notifications = Notifications::default();
    let mut seen = notifications.subscribe();
    let mut watcher =
        Watcher::new(chain.clone(), notifications.clone(), Confirmation::Finality, None, WatcherMetrics::register(&mut registry));
    let (stopper, mut stop, _drain) = shutdown::channel();
    let watching = tokio::spawn(async move { watcher.watch(&mut stop).await });

    let state: MiningState = contracts.token.mining_state().await.unwrap();
    let splitter = contracts.splitter.0.address();
    let work = Work { challenge: state.challenge, beneficiary: splitter.0, target: state.target, salt: [7; 24] };
    let solution = (0u64..).find_map(|n| work.check(n)).expect("the dev target is easy");
    let before = contracts.token.balance_of(splitter).await.unwrap();
    let sent = Instant::now();
    assert_eq!(mining::submit(&contracts.token, &keeper, &solution).await.unwrap(), Submitted::Minted { reward: state.reward });
    let in_block = sent.elapsed();
    assert_eq!(contracts.token.balance_of(splitter).await.unwrap() - before, state.reward, "LODE minted to the splitter");

    let (mut new_block, mut confirmed) = (None, None);
    tokio::time::timeout(Duration::from_secs(30), async {
        while confirmed.is_none() {
            match seen.recv().await.expect("the watcher publishes") {
                ChainNotification::NewBlock(b) if b.events.iter().any(|e| contracts.events.is(e, "token", "Mined")) => {
                    new_block = Some(sent.elapsed());
                }
                ChainNotification::Confirmed(b) if b.events.iter().any(|e| contracts.events.is(e, "token", "Mined")) => {
                    confirmed = Some(sent.elapsed());
                }
                _ => {}
            }
        }
    })
    .await
    .expect("the Mined event reached a subscriber, new and then final");
    eprintln!(
        "mint: in a block after {:.0} ms; its event at a duty {:.0} ms after submission, confirmed (final) after {:.0} ms",
        in_block.as_secs_f64() * 1e3,
        new_block.unwrap_or_default().as_secs_f64() * 1e3,
        confirmed.unwrap_or_default().as_secs_f64() * 1e3
    );
    assert!(new_block.is_some(), "announced as a new block before it was confirmed");

    // A dry run that reverts is reported with the contract's error, and nothing is sent.
    let submitted = metrics.submitted.get();
    let refused = mining::submit(&contracts.token, &keeper, &solution).await.unwrap();
    assert!(matches!(refused, Submitted::Refused { .. }), "{refused:?}");
    assert_eq!(metrics.submitted.get(), submitted, "a refused dry run costs no extrinsic");

    stopper.fire();
    watching.await.unwrap().expect("the watcher stops cleanly");
    let _ = LODE;
}

#[tokio::test]
async fn one_key_submits_concurrently_without_nonce_gaps_and_recovers_a_corrupted_counter() {
    let Some(node) = DevNode::start() else { return };
    let metrics = NodeMetrics::default();
    let chain = Arc::new(node.connect(vec![node.url()], metrics.clone()).await);
    let keeper = Signer::dev("keeper");
    chain.fund_from_alice(keeper.account_id(), KEEPER_FUNDS).await.unwrap();
    let start = chain.balance(keeper.account_id()).await.unwrap();

    // Three duties, 30 transfers each, one key, all at once.
    const DUTIES: u128 = 3;
    const EACH: u128 = 30;
    let began = Instant::now();
    let mut tasks = Vec::new();
    for duty in 0..DUTIES {
        let chain = Arc::clone(&chain);
        let keeper = keeper.clone();
        tasks.push(tokio::spawn(async move {
            let to = Signer::dev(&format!("payee-{duty}")).account_id();
            for _ in 0..EACH {
                chain.transfer(&keeper, to, 1_000_000_000_000).await.expect("every transfer is included");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = began.elapsed().as_secs_f64();
    eprintln!("{} transfers from one key in {secs:.1} s: {:.1} extrinsics/s", DUTIES * EACH, (DUTIES * EACH) as f64 / secs);
    for duty in 0..DUTIES {
        let to = Signer::dev(&format!("payee-{duty}")).account_id();
        assert_eq!(chain.balance(to).await.unwrap(), EACH * 1_000_000_000_000, "duty {duty}: all its transfers landed");
    }
    assert!(chain.balance(keeper.account_id()).await.unwrap() < start - DUTIES * EACH * 1_000_000_000_000);
    assert_eq!(metrics.included.get(), 1 + (DUTIES * EACH) as u64, "the funding and every transfer were included");
    assert_eq!(metrics.failed.get(), 0);

    // Corrupt the counter both ways: the next submission still lands.
    for wrong in [10_000, 0] {
        chain.nonces().force(keeper.account_id(), wrong).await;
        let resyncs = metrics.nonce_resyncs.get();
        chain.transfer(&keeper, Signer::dev("payee-0").account_id(), 1).await.expect("a corrupted counter recovers");
        assert!(metrics.nonce_resyncs.get() > resyncs, "the drift was noticed");
    }
}

/// A TCP proxy to `target` on loopback, and the handle that kills it with
/// every connection it carries: an endpoint that dies.
async fn proxy(target: u16) -> (u16, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        // Dropping the set (when this task is aborted) aborts every connection.
        let mut conns = tokio::task::JoinSet::new();
        while let Ok((mut inbound, _)) = listener.accept().await {
            conns.spawn(async move {
                if let Ok(mut outbound) = tokio::net::TcpStream::connect(("127.0.0.1", target)).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                }
            });
        }
    });
    (port, task)
}

#[tokio::test]
async fn reads_fail_over_to_the_next_endpoint_when_one_dies() {
    let Some(node) = DevNode::start() else { return };
    let (port, proxy_task) = proxy(node.rpc_port).await;
    let via_proxy = format!("ws://127.0.0.1:{port}");
    let metrics = NodeMetrics::default();
    let chain = node.connect(vec![via_proxy.clone(), node.url()], metrics.clone()).await;
    assert_eq!(chain.endpoint().await, Some(via_proxy), "the first endpoint is used while it lives");
    let before = chain.head().await.unwrap();

    proxy_task.abort();
    let _ = proxy_task.await;
    let killed = Instant::now();
    let after = chain.head().await.expect("the read fails over and succeeds");
    let took = killed.elapsed();
    eprintln!("failover to the second endpoint took {:.0} ms", took.as_secs_f64() * 1e3);
    assert_eq!(after.hash, before.hash, "the same chain, read through the other endpoint");
    assert_eq!(chain.endpoint().await, Some(node.url()));
    assert_eq!(metrics.failovers.get(), 1);

    // Writes go through the new endpoint too.
    let keeper = Signer::dev("keeper");
    chain.fund_from_alice(keeper.account_id(), KEEPER_FUNDS).await.expect("submits through the second endpoint");
}

#[tokio::test]
async fn the_watcher_delivers_every_block_once_across_a_node_restart() {
    let Some(mut node) = DevNode::start() else { return };
    let store_dir = tempfile::tempdir().unwrap();
    let store = lode_keeper::store::Store::open(&lode_keeper::store::StoreLocation::SqliteFile(store_dir.path().join("keeper.db")))
        .await
        .expect("a SQLite store");
    let cursor = Arc::new(lode_keeper::store::NamedCursor::new(store, "watcher"));
    let chain = Arc::new(node.connect(vec![node.url()], NodeMetrics::default()).await);
    let keeper = Signer::dev("keeper");
    let payee = Signer::dev("payee").account_id();

    let notifications = Notifications::default();
    let mut seen = notifications.subscribe();
    let mut watcher = Watcher::new(chain.clone(), notifications.clone(), Confirmation::Finality, Some(cursor), WatcherMetrics::default());
    let (stopper, mut stop, _drain) = shutdown::channel();
    let watching = tokio::spawn(async move { watcher.watch(&mut stop).await });

    // Each extrinsic seals a block on a dev node.
    chain.fund_from_alice(keeper.account_id(), KEEPER_FUNDS).await.unwrap();
    for _ in 0..3 {
        chain.transfer(&keeper, payee, 1_000_000_000_000).await.unwrap();
    }
    // SIGKILL can lose blocks the node had not flushed; the watcher then sees
    // them retracted. Let these become final first, so that does not happen here.
    let sealed = chain.head().await.unwrap();
    while chain.finalized().await.unwrap().number < sealed.number {
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    node.restart();
    // Blocks sealed while the watcher cannot see them: it backs off and reconnects.
    let restarted = node.connect(vec![node.url()], NodeMetrics::default()).await;
    for _ in 0..4 {
        restarted.transfer(&keeper, payee, 1_000_000_000_000).await.unwrap();
    }
    let head = restarted.head().await.unwrap();

    let mut delivered = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), async {
        while delivered.last().is_none_or(|b: &lode_keeper::chain::BlockInfo| b.number < head.number) {
            match seen.recv().await.expect("the watcher publishes") {
                ChainNotification::NewBlock(b) => delivered.push(b.info),
                ChainNotification::Reorg { retracted, .. } => panic!("final blocks were retracted: {retracted:?}"),
                _ => {}
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("the watcher did not reach #{} after the restart; it delivered {:?}", head.number, delivered.last()));
    stopper.fire();
    watching.await.unwrap().expect("the watcher stops cleanly");

    let numbers: Vec<u64> = delivered.iter().map(|b| b.number).collect();
    let first = numbers[0];
    assert_eq!(numbers, (first..=head.number).collect::<Vec<_>>(), "every block once, in order, across the restart");
    for b in &delivered {
        assert_eq!(restarted.block_hash(b.number).await.unwrap(), Some(b.hash), "block #{} is the node's own", b.number);
    }
    assert!(head.number >= first + 7, "the blocks sealed before and after the restart were all delivered");
}

/// Records each signed extrinsic, and the keeper's balance at that moment.
struct Ledger<'a> {
    chain: &'a NodeChain,
    seen: Vec<(lode_keeper::chain::SignedTx, u128)>,
}

#[async_trait::async_trait]
impl lode_keeper::chain::RecordTx for Ledger<'_> {
    async fn record(&mut self, tx: &lode_keeper::chain::SignedTx) -> Result<(), String> {
        let balance = self.chain.balance(tx.signer).await.map_err(|e| e.to_string())?;
        self.seen.push((*tx, balance));
        Ok(())
    }
}

#[tokio::test]
async fn a_submission_is_recorded_before_it_is_sent_then_followed_to_finality() {
    use futures::StreamExt;
    use lode_keeper::chain::{TxCall, TxResult, TxStatus};
    let Some(node) = DevNode::start() else { return };
    let chain = node.connect(vec![node.url()], NodeMetrics::default()).await;
    let keeper = Signer::dev("keeper");
    chain.fund_from_alice(keeper.account_id(), KEEPER_FUNDS).await.unwrap();
    let payee = Signer::dev("payee").account_id();

    let mut ledger = Ledger { chain: &chain, seen: Vec::new() };
    let call = TxCall::Transfer { to: payee, amount: 5_000_000_000_000 };
    let mut statuses = chain.submit(&keeper, call.into(), &mut ledger).await.expect("sent");
    let (recorded, balance_then) = ledger.seen[0];
    assert_eq!(balance_then, KEEPER_FUNDS, "recorded before anything was sent or paid");
    assert_eq!(recorded.signer, keeper.account_id());

    let first = statuses.next().await.expect("a status");
    let TxStatus::InBlock { block, result: TxResult::Success { .. } } = first else { panic!("in a block, successful: {first:?}") };
    let hashes = chain.extrinsics(block.hash).await.unwrap().expect("the node knows the block");
    assert!(hashes.contains(&recorded.hash), "the recorded hash is the extrinsic the block holds");
    assert_eq!(statuses.next().await, Some(TxStatus::Finalized { block }), "then final, in the same block");
    assert_eq!(statuses.next().await, None, "the stream ends at finality");
    assert_eq!(chain.balance(payee).await.unwrap(), 5_000_000_000_000);

    // A recorder that refuses stops the submission: nothing is sent.
    struct Refuse;
    #[async_trait::async_trait]
    impl lode_keeper::chain::RecordTx for Refuse {
        async fn record(&mut self, _tx: &lode_keeper::chain::SignedTx) -> Result<(), String> {
            Err("the ledger is full".into())
        }
    }
    let err = chain.submit(&keeper, TxCall::Transfer { to: payee, amount: 1 }.into(), &mut Refuse).await.err().expect("refused");
    assert!(err.to_string().contains("the ledger is full"), "{err}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(chain.balance(payee).await.unwrap(), 5_000_000_000_000, "nothing was sent");
}
