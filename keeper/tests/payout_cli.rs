//! `lode payout` against a real node. A list with bad rows is refused whole,
//! naming each, and nothing is written or sent. A list of 600 rows is paid
//! from a treasury keystore in six extrinsics, with a receipt that has one
//! paid row per input row, its block and extrinsic; run again, it sends
//! nothing at all. Then eight lists are each SIGKILLed at a random point of
//! their run and run again: every payee holds exactly its amount.

mod support;
// One home for starting a dev node: the end-to-end crate's, used as is.
#[path = "../../tests/src/node.rs"]
#[allow(dead_code)]
mod dev_node;

use std::collections::HashSet;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use dev_node::DevNode;
use lode_keeper::chain::{AccountId, BlockSource, Chain, SignedTx};
use lode_keeper::cmd::run::Setup;
use lode_keeper::contracts::TokenClient;
use lode_keeper::keys::{ss58, Signer};
use lode_keeper::payout::PayoutRequest;
use lode_keeper::store::PayoutState;
use lode_primitives::LODE;
use rand::{Rng, SeedableRng};
use support::deployed::{deploy_dev, import_dev_treasury, tail, WorkDir};

const LODE_ROWS: u32 = 500;
const NATIVE_ROWS: u32 = 100;
const KILLS: usize = 8;

fn payee(i: u32) -> AccountId {
    let mut a = [0x3cu8; 32];
    a[..4].copy_from_slice(&i.to_be_bytes());
    AccountId(a)
}

fn lode_amount(i: u32) -> u128 {
    u128::from(i % 7 + 1) * LODE + u128::from(i)
}

/// Whole units (12 decimals, as LODE): far above the existential deposit.
fn native_amount(i: u32) -> u128 {
    (u128::from(i % 3) + 1) * LODE
}

/// `lode` rows for payees `first..first + lode`, then native ones.
fn list_text(first: u32, lode: u32, native: u32) -> String {
    let mut list = String::from("account,amount,asset,reference\n");
    for i in first..first + lode {
        let a = lode_amount(i);
        list.push_str(&format!("{},{}.{:012},LODE,lode-{}\n", ss58(&payee(i)), a / LODE, a % LODE, i - first));
    }
    for i in first + lode..first + lode + native {
        list.push_str(&format!("0x{},{},native,native-{}\n", hex::encode(payee(i).0), native_amount(i) / LODE, i - first));
    }
    list
}

/// Asserts that every payee of [`list_text`]`(first, lode, native)` holds
/// exactly its amount; returns the LODE paid.
async fn check_paid(chain: &dyn Chain, token: &TokenClient, first: u32, lode: u32, native: u32) -> u128 {
    use futures::{StreamExt, TryStreamExt};
    // Reads in flight together: hundreds of dry runs one by one would be most of the test's time.
    let lode_held: Vec<(u32, u128)> = futures::stream::iter(first..first + lode)
        .map(|i| async move { token.balance_of(payee(i)).await.map(|b| (i, b)) })
        .buffered(16)
        .try_collect()
        .await
        .unwrap();
    for (i, held) in &lode_held {
        assert_eq!(*held, lode_amount(*i), "LODE payee {i}");
    }
    for i in first + lode..first + lode + native {
        assert_eq!(chain.balance(payee(i)).await.unwrap(), native_amount(i), "native payee {i}");
    }
    lode_held.iter().map(|(i, _)| lode_amount(*i)).sum()
}

fn config(node: &str) -> String {
    format!(
        "[chain]\nendpoints = [\"{node}\"]\n[deployment]\nmanifest = \"deployment.json\"\n[keeper]\nkeystore = \"keys/keeper.json\"\n\
         password = {{ file = \"password\" }}\n[store]\nurl = \"sqlite://keeper.db\"\n"
    )
}

fn payout(dir: &Path, list: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lode"));
    cmd.current_dir(dir)
        .args(["payout", list, "--config", "lode.toml", "--from", "keys/treasury.json", "--password-file", "password"])
        .args(extra)
        .env("RUST_LOG", "lode_keeper=info");
    cmd
}

fn run(dir: &Path, list: &str, extra: &[&str]) -> Output {
    payout(dir, list, extra).output().expect("lode payout runs")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[tokio::test]
async fn a_list_is_paid_exactly_once_through_kills_and_reruns_with_a_receipt() {
    let Some(node) = DevNode::start() else { return };
    let seed: u64 = rand::random();
    println!("payout test seed {seed}");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dir = WorkDir::new();
    let d = dir.path();
    let _probe = node.connect(vec![node.url()], Default::default()).await;
    deploy_dev(d, &node.url(), &["keeper"], None).await;
    std::fs::write(d.join("lode.toml"), config(&node.url())).unwrap();
    // The dev treasury, which holds the genesis LODE, as a keystore: a treasury paying.
    import_dev_treasury(d);
    let treasury = Signer::dev("treasury");
    let setup = Setup::open(&d.join("lode.toml")).await.expect("the config opens");
    let (chain, token) = (setup.chain.clone(), setup.contracts.token.clone());
    chain.fund_from_alice(treasury.account_id(), 10_000 * LODE).await.unwrap();

    // A bad list: every bad row named, nothing written, nothing sent.
    let bad = format!(
        "account,amount,asset,reference\n{},1,LODE,a\n{},1.5.0,LODE,b\n{},2,gold,c\n{},3,native,a\n",
        ss58(&payee(0)),
        ss58(&payee(1)),
        ss58(&payee(2)),
        ss58(&payee(3))
    );
    std::fs::write(d.join("bad.csv"), bad).unwrap();
    let before = token.balance_of(treasury.account_id()).await.unwrap();
    let out = run(d, "bad.csv", &[]);
    let said = text(&out);
    assert!(!out.status.success(), "{said}");
    for expected in
        ["3 bad rows; nothing was paid", "line 3: amount", "line 4: ", "gold", "line 5: reference `a` is already used on line 2"]
    {
        assert!(said.contains(expected), "{expected:?} missing from:\n{said}");
    }
    assert_eq!(token.balance_of(treasury.account_id()).await.unwrap(), before);

    // The list, and its check: nothing sent.
    std::fs::write(d.join("list.csv"), list_text(0, LODE_ROWS, NATIVE_ROWS)).unwrap();
    let out = run(d, "list.csv", &["--id", "april", "--check"]);
    assert!(out.status.success() && text(&out).contains("600 rows"), "{}", text(&out));
    assert!(setup.store.payout_rows("april").await.unwrap().is_empty(), "--check writes nothing");

    // Paid whole, once.
    let started = Instant::now();
    let out = run(d, "list.csv", &["--id", "april"]);
    let whole_run = started.elapsed();
    let said = text(&out);
    assert!(out.status.success(), "{said}");
    assert!(said.contains("paid 600 of 600 rows") && said.contains("0 mismatch(es)"), "{said}");
    let lode_total = check_paid(&*chain, &token, 0, LODE_ROWS, NATIVE_ROWS).await;
    assert_eq!(token.balance_of(treasury.account_id()).await.unwrap(), before - lode_total);

    // The receipt: one paid row per input row, each with its block and extrinsic.
    let receipt = std::fs::read_to_string(d.join("list.receipt.csv")).unwrap();
    let mut lines = receipt.lines();
    assert_eq!(lines.next(), Some("line,account,amount,asset,reference,status,block,extrinsic,error"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 600);
    for (n, r) in rows.iter().enumerate() {
        assert_eq!(r[0], (n + 2).to_string(), "one receipt row per input row, in order");
        assert_eq!(r[5], "paid", "{r:?}");
        assert!(r[6].parse::<u64>().is_ok() && r[7].len() == 66, "{r:?}");
    }
    assert_eq!(rows[7][4], "lode-7");
    let extrinsics: HashSet<&str> = rows.iter().map(|r| r[7]).collect();
    assert_eq!(extrinsics.len(), 6, "600 rows in extrinsics of 100");

    // Run again: nothing is sent, not even a fee.
    let native_before = chain.balance(treasury.account_id()).await.unwrap();
    let out = run(d, "list.csv", &["--id", "april"]);
    assert!(out.status.success() && text(&out).contains("paid 600 of 600 rows"), "{}", text(&out));
    assert_eq!(chain.balance(treasury.account_id()).await.unwrap(), native_before, "a finished payout sends nothing");
    assert_eq!(token.balance_of(treasury.account_id()).await.unwrap(), before - lode_total);

    // A native transfer the runtime refuses (below the existential deposit, to
    // an empty account) fails alone: the node's batch reports it by index.
    let fresh = payee(30_000);
    std::fs::write(d.join("dust.csv"), format!("{},0.000000000001,native,dust\n{},2,native,fine\n", ss58(&fresh), ss58(&payee(30_001))))
        .unwrap();
    let out = run(d, "dust.csv", &["--id", "dust"]);
    let said = text(&out);
    assert!(!out.status.success() && said.contains("paid 1 of 2 rows") && said.contains("failed 1"), "{said}");
    let receipt = std::fs::read_to_string(d.join("dust.receipt.csv")).unwrap();
    let dust = receipt.lines().find(|l| l.contains(",dust,")).unwrap();
    assert!(dust.contains(",failed,") && dust.contains("Token::BelowMinimum"), "the runtime's reason: {dust}");
    assert_eq!(chain.balance(fresh).await.unwrap(), 0);
    assert_eq!(chain.balance(payee(30_001)).await.unwrap(), 2 * LODE);
    // Run again: the refused row is tried once more; the paid one is not paid twice.
    let out = run(d, "dust.csv", &["--id", "dust"]);
    assert!(!out.status.success() && text(&out).contains("paid 1 of 2 rows"), "{}", text(&out));
    assert_eq!(chain.balance(payee(30_001)).await.unwrap(), 2 * LODE);

    // Lists of their own, each SIGKILLed at a random point of its run, then run again.
    let mut interrupted = 0;
    for kill in 1..=KILLS as u32 {
        let name = format!("kill-{kill}.csv");
        std::fs::write(d.join(&name), list_text(kill * 1_000, LODE_ROWS / 2, NATIVE_ROWS / 2)).unwrap();
        let log = d.join(format!("kill-{kill}.log"));
        let file = std::fs::File::create(&log).unwrap();
        let id = format!("kill-{kill}");
        let mut child =
            payout(d, &name, &["--id", &id]).stdout(file.try_clone().unwrap()).stderr(file).stdin(Stdio::null()).spawn().unwrap();
        let at = whole_run.mul_f64(rng.gen_range(0.1..0.7));
        tokio::time::sleep(at).await;
        match child.try_wait().unwrap() {
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
            }
            Some(status) => println!("kill {kill}: the run had finished ({status}):\n{}", tail(&log)),
        }
        let rows = setup.store.payout_rows(&id).await.unwrap();
        let count = |s: PayoutState| rows.iter().filter(|r| r.state == s).count();
        let (sent, paid) = (count(PayoutState::Sent), count(PayoutState::Paid));
        println!("kill {kill} at {at:?}: {} rows written, {sent} in flight, {paid} paid", rows.len());
        interrupted += usize::from((sent > 0 || paid > 0) && paid < rows.len());
        let rerun = Instant::now();
        let out = run(d, &name, &["--id", &id]);
        let said = text(&out);
        println!("kill {kill}: the run after it took {:?}", rerun.elapsed());
        for l in said.lines().filter(|l| l.contains("payout kill")) {
            println!("  {l}");
        }
        assert!(out.status.success() && said.contains("paid 300 of 300 rows"), "the run after kill {kill} pays the rest:\n{said}");
        check_paid(&*chain, &token, kill * 1_000, LODE_ROWS / 2, NATIVE_ROWS / 2).await;
    }
    println!("{interrupted} of {KILLS} kills landed after a send and before the end");
    assert!(interrupted > 0, "no kill landed between a run's first send and its end");

    // A run that died between recording an extrinsic and sending it: the
    // next run cannot find it, waits, cancels its nonce with an empty batch,
    // and only then pays the rows, once.
    std::fs::write(d.join("late.csv"), list_text(20_000, 10, 5)).unwrap();
    let rows = lode_keeper::payout::file::parse(&std::fs::read(d.join("late.csv")).unwrap(), treasury.account_id()).unwrap();
    let request = PayoutRequest::new(Some("late".into()), rows).unwrap();
    lode_keeper::payout::register(&setup.store, &request, treasury.account_id()).await.unwrap();
    let finalized = chain.finalized().await.unwrap();
    let nonce = chain.nonce_at(treasury.account_id(), finalized.hash).await.unwrap();
    let never_sent = SignedTx { hash: [0xee; 32], signer: treasury.account_id(), nonce };
    let lode_lines: Vec<u64> = request.rows.iter().filter(|r| r.asset == lode_splitter::Asset::Lode).map(|r| r.line).collect();
    setup.store.record_payout_sent("late", &lode_lines, &never_sent, finalized.number).await.unwrap();
    let out = run(d, "late.csv", &["--id", "late"]);
    let said = text(&out);
    assert!(out.status.success() && said.contains("paid 15 of 15 rows"), "{said}");
    assert!(said.contains("sent a cancellation with its nonce"), "{said}");
    check_paid(&*chain, &token, 20_000, 10, 5).await;
    let late = setup.store.payout_rows("late").await.unwrap();
    assert!(
        late.iter().filter(|r| r.row.asset == lode_splitter::Asset::Lode).all(|r| r.attempts == 2),
        "sent once for real, after the lost one"
    );

    // The same id for another list is refused.
    std::fs::write(d.join("other.csv"), format!("{},1,LODE\n", ss58(&payee(0)))).unwrap();
    let out = run(d, "other.csv", &["--id", "april"]);
    assert!(!out.status.success() && text(&out).contains("started with other rows"), "{}", text(&out));
    assert_eq!(token.balance_of(payee(0)).await.unwrap(), lode_amount(0));
}
