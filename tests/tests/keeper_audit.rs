//! The audit log end to end on the embedded chain: duties' records are
//! appended by the audit duty, the `anchor` job anchors the head in the
//! alerts contract, and `audit::verify` catches rows cut from the end (which
//! the hash chain alone cannot) and a rewritten log, by the anchor.

use std::time::{Duration, Instant};

use lode_keeper::alerting::sinks::Sinks;
use lode_keeper::alerting::{AlertMetrics, Finding, Level, Rule};
use lode_keeper::audit::hashchain::{self, AnchorMismatch, Head};
use lode_keeper::audit::{self, Action, AnchorJob, AuditDuty, AuditError, AuditHook};
use lode_keeper::contracts::bond_keeper;
use lode_keeper::keys::ss58;
use lode_keeper::runtime::{Duty, Job};
use lode_keeper::store::{Store, StoreLocation};
use lode_tests::Harness;
use sqlx::Connection;

async fn wait_for_head(store: &Store, keeper: &str, seq: u64) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while store.audit_head(keeper).await.unwrap().seq < seq {
        assert!(Instant::now() < deadline, "the audit duty did not write {seq} entries");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_anchor_catches_rows_cut_from_the_end_and_a_rewritten_log() {
    let h = Harness::new().await;
    bond_keeper(&h.contracts, &h.treasury, &h.alice, h.config.staking.min_keeper_bond).await.unwrap();
    h.chain.seal_blocks(h.config.staking.activation_delay + 1).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keeper.db");
    let store = Store::open(&StoreLocation::SqliteFile(path.clone())).await.unwrap();
    let me = h.alice.account_id();
    let keeper = ss58(&me);

    let (hook, queue) = AuditHook::channel();
    let (mut ctx, mut shutdown, _drain) = h.context(&h.alice);
    ctx.audit = hook;
    let mut duty = AuditDuty::new(store.clone(), me, queue);
    let stopper = ctx.stopper.clone();
    let writer = {
        let ctx = ctx.clone();
        tokio::spawn(async move { duty.run(&ctx, &mut shutdown).await })
    };
    for i in 0..5u32 {
        ctx.audit.record(Action::Payout, serde_json::json!({ "row": i, "amount": "10" }));
    }
    wait_for_head(&store, &keeper, 5).await;
    // An alert that passes its cooldown is recorded by the sinks.
    let sinks = Sinks::new(store.clone(), me, Duration::from_secs(60), None, false, AlertMetrics::default());
    let finding = Finding::new(Rule::KeyUsed, Level::Info, "alerts are logged too");
    assert!(sinks.deliver(&ctx, &finding).await.unwrap().notified);
    assert!(!sinks.deliver(&ctx, &finding).await.unwrap().notified, "once per incident");
    wait_for_head(&store, &keeper, 6).await;

    AnchorJob::new(store.clone()).run(&ctx).await.expect("anchors");
    h.chain.seal_blocks(1).await.unwrap();
    let verified = audit::verify(&store, &h.contracts, me).await.expect("intact and anchored");
    assert_eq!(verified.anchor.map(|a| (a.from_seq, a.to_seq)), Some((1, 6)));
    wait_for_head(&store, &keeper, 7).await; // the anchor itself is recorded
    ctx.audit.record(Action::KeyUse, serde_json::json!({ "key": "test" }));
    wait_for_head(&store, &keeper, 8).await;
    stopper.fire();
    writer.await.unwrap().unwrap();
    AnchorJob::new(store.clone()).run(&ctx).await.expect("anchors the rest");
    h.chain.seal_blocks(1).await.unwrap();
    assert_eq!(audit::verify(&store, &h.contracts, me).await.unwrap().anchor.map(|a| a.to_seq), Some(8));

    let mut raw = sqlx::AnyConnection::connect(&format!("sqlite://{}", path.display())).await.unwrap();
    // Cut the last three rows: the chain that is left is consistent, the anchor is not.
    sqlx::query("DELETE FROM audit_log WHERE seq >= 6").execute(&mut raw).await.unwrap();
    let err = audit::verify(&store, &h.contracts, me).await.expect_err("rows cut from the end");
    assert!(matches!(err, AuditError::Anchor(AnchorMismatch::Missing { seq: 8 })), "{err:?}");
    assert!(err.to_string().contains("8"), "{err}");

    // Rewrite the tail with other entries and fresh hashes: consistent again, but not what was anchored.
    let mut head = store.audit_head(&keeper).await.unwrap();
    for i in 0..3 {
        let entry =
            hashchain::Entry { action: Action::Payout, at_ms: i, keeper: keeper.clone(), detail: serde_json::json!({ "forged": i }) };
        let row = hashchain::append(&head, &entry).unwrap();
        store.audit_insert(&keeper, &row).await.unwrap();
        head = Head { seq: row.seq, hash: row.hash };
    }
    assert_eq!(hashchain::verify(store.audit_rows(&keeper).await.unwrap()).unwrap(), head, "the forged chain is self-consistent");
    let err = audit::verify(&store, &h.contracts, me).await.expect_err("a rewritten log");
    assert!(matches!(err, AuditError::Anchor(AnchorMismatch::Differs { seq: 8 })), "{err:?}");
}
