//! The settlement ledger on SQLite and on a real PostgreSQL: written before
//! sending, leases that keep two keepers off each other's batches and hand a
//! dead keeper's batches over, and outcomes applied once from confirmed blocks.

#[macro_use]
mod support;

use lode_keeper::chain::{AccountId, BlockRef, SignedTx};
use lode_keeper::store::{BatchState, LedgerBatch, PayeeOutcome, PlannedBatch, Receipt, SettledInBlock, StoreError};
use lode_keeper::watcher::Cursor;
use lode_splitter::Asset;
use support::Fixture;

const T0: u64 = 1_700_000_000_000;
const LEASE: u64 = 30_000;

fn account(i: u8) -> AccountId {
    AccountId([i; 32])
}

fn batch(id: u8, payees: &[u8]) -> PlannedBatch {
    PlannedBatch { id: [id; 32], asset: Asset::Lode, payees: payees.iter().map(|p| (account(*p), 100 * u128::from(*p))).collect() }
}

fn tx(fill: u8, signer: u8, nonce: u64) -> SignedTx {
    SignedTx { hash: [fill; 32], signer: account(signer), nonce }
}

fn block(number: u64) -> BlockRef {
    BlockRef { number, hash: [number as u8; 32] }
}

fn cursor(number: u64) -> Cursor {
    Cursor { confirmed: block(number), finalized: None }
}

async fn a_batch_goes_from_planned_to_settled_and_a_replayed_block_changes_nothing(fx: Fixture) {
    let store = fx.open().await;
    store.plan_batches(&[batch(1, &[10, 11, 12])], "keeper-a", T0, T0 + LEASE).await.unwrap();
    let open = store.ledger_batches(true).await.unwrap();
    assert_eq!(
        open,
        vec![LedgerBatch::planned(&batch(1, &[10, 11, 12]), "keeper-a", T0, T0 + LEASE)],
        "the settler's copy is what it wrote"
    );
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].state, BatchState::Planned);
    assert_eq!(open[0].payees.len(), 3);
    assert_eq!(store.in_flight_payees(Asset::Lode).await.unwrap().len(), 3);
    assert!(store.in_flight_payees(Asset::Native).await.unwrap().is_empty());

    store.record_submission(&[1; 32], "keeper-a", T0 + 1, &tx(7, 1, 5), 0, 40).await.expect("the lease holder records");
    store.record_inclusion(&[1; 32], &[7; 32], block(41)).await.unwrap();
    assert_eq!(store.ledger_batches(true).await.unwrap()[0].state, BatchState::Included);
    assert_eq!(store.record_retraction(&block(41).hash).await.unwrap(), 1, "a retracted block puts it back in flight");
    let b = &store.ledger_batches(true).await.unwrap()[0];
    assert_eq!((b.state, b.block, b.attempts), (BatchState::Submitted, None, 1));
    assert_eq!(b.submission.unwrap().tx, tx(7, 1, 5));

    let found = SettledInBlock {
        receipts: vec![Receipt { batch_id: [1; 32], keeper: account(1), block: block(42), paid: 2, failed: 1, amount: 2100 }],
        failed: vec![([1; 32], account(11))],
    };
    let recorded = store.apply_settled(block(42), &found, "settler", &cursor(42)).await.unwrap();
    assert_eq!(recorded, found.receipts, "the new receipts, for the audit log and metrics");
    let replayed = store.apply_settled(block(42), &found, "settler", &cursor(42)).await.expect("a replay is harmless");
    assert!(replayed.is_empty(), "a replayed block records nothing new, so nothing is logged twice");
    let all = store.ledger_batches(false).await.unwrap();
    assert_eq!(all[0].state, BatchState::Settled);
    assert_eq!(all[0].receipts.len(), 1, "applied once");
    assert_eq!(all[0].paid(), 2100);
    let outcomes: Vec<_> = all[0].payees.iter().map(|p| (p.0, p.2)).collect();
    assert_eq!(outcomes, vec![(account(10), PayeeOutcome::Paid), (account(11), PayeeOutcome::Failed), (account(12), PayeeOutcome::Paid)]);
    assert!(store.ledger_batches(true).await.unwrap().is_empty());
    assert_eq!(store.cursor("settler").await.unwrap().unwrap().confirmed, block(42), "the cursor moved with the ledger");
    assert_eq!(store.failure_streaks(Asset::Lode).await.unwrap().get(&account(11)), Some(&1));
    // Events of batches the ledger never held are not receipts.
    let stranger = SettledInBlock {
        receipts: vec![Receipt { batch_id: [9; 32], keeper: account(2), block: block(43), paid: 1, failed: 0, amount: 5 }],
        failed: vec![],
    };
    assert!(store.apply_settled(block(43), &stranger, "settler", &cursor(43)).await.unwrap().is_empty());
    assert_eq!(store.ledger_batches(false).await.unwrap().len(), 1);

    // The settler's copy of what it planned has the payees in the ledger's order.
    let unsorted = batch(5, &[30, 20]);
    store.plan_batches(std::slice::from_ref(&unsorted), "keeper-a", T0, T0 + LEASE).await.unwrap();
    let read = store.ledger_batches(true).await.unwrap();
    assert_eq!(read, vec![LedgerBatch::planned(&unsorted, "keeper-a", T0, T0 + LEASE)]);
}

async fn two_keepers_never_hold_the_same_batch_and_a_dead_keepers_batches_are_taken_over(fx: Fixture) {
    let store = fx.open().await;
    store.plan_batches(&[batch(1, &[10]), batch(2, &[11])], "keeper-a", T0, T0 + LEASE).await.unwrap();
    store.plan_batches(&[batch(3, &[12])], "keeper-b", T0, T0 + LEASE).await.unwrap();
    let (a, b) = tokio::join!(store.claim_batches("keeper-a", T0 + 1, T0 + LEASE), store.claim_batches("keeper-b", T0 + 1, T0 + LEASE));
    let (mut a, b) = (a.unwrap(), b.unwrap());
    a.sort();
    assert_eq!(a, vec![[1; 32], [2; 32]], "each keeper renews its own");
    assert_eq!(b, vec![[3; 32]]);

    let err = store.record_submission(&[1; 32], "keeper-b", T0 + 2, &tx(7, 2, 0), 0, 1).await.expect_err("not b's batch");
    assert!(matches!(err, StoreError::LeaseLost { .. }), "{err}");
    assert!(err.to_string().contains("batch 0x01010101"), "{err}");
    assert_eq!(store.ledger_batches(true).await.unwrap()[0].state, BatchState::Planned, "nothing was written");

    // Keeper a dies: its leases run out and b takes its batches over.
    let later = T0 + LEASE + 1;
    let mut taken = store.claim_batches("keeper-b", later, later + LEASE).await.unwrap();
    taken.sort();
    assert_eq!(taken, vec![[1; 32], [2; 32], [3; 32]]);
    assert!(store.claim_batches("keeper-a", later + 1, later + LEASE).await.unwrap().is_empty(), "a, back, finds them held");
    let err = store.record_submission(&[1; 32], "keeper-a", later + 2, &tx(7, 1, 0), 0, 1).await.expect_err("a lost its lease");
    assert!(matches!(err, StoreError::LeaseLost { .. }));
    store.record_submission(&[1; 32], "keeper-b", later + 2, &tx(8, 2, 0), 0, 1).await.expect("b sends it");
}

async fn a_named_lease_has_one_holder_until_it_runs_out_or_is_released(fx: Fixture) {
    let store = fx.open().await;
    assert!(store.acquire_lease("plan:lode", "a", T0, T0 + LEASE).await.unwrap());
    assert!(!store.acquire_lease("plan:lode", "b", T0 + 1, T0 + LEASE).await.unwrap(), "held by a");
    assert!(store.acquire_lease("plan:lode", "a", T0 + 2, T0 + LEASE + 2).await.unwrap(), "a renews");
    assert!(store.acquire_lease("plan:native", "b", T0, T0 + LEASE).await.unwrap(), "another name is free");
    store.release_lease("plan:lode", "b").await.unwrap();
    assert!(!store.acquire_lease("plan:lode", "b", T0 + 3, T0 + LEASE).await.unwrap(), "only the holder releases");
    store.release_lease("plan:lode", "a").await.unwrap();
    assert!(store.acquire_lease("plan:lode", "b", T0 + 4, T0 + LEASE).await.unwrap());
    assert!(store.acquire_lease("plan:lode", "a", T0 + LEASE + 5, T0 + 2 * LEASE).await.unwrap(), "after it runs out");
}

async fn concurrent_claims_by_many_keepers_split_expired_batches_without_overlap(fx: Fixture) {
    let store = fx.open().await;
    let planned: Vec<PlannedBatch> = (1..=40u8).map(|i| batch(i, &[i])).collect();
    store.plan_batches(&planned, "dead", T0, T0 + LEASE).await.unwrap();
    let later = T0 + LEASE + 1;
    let claims = futures::future::join_all((0..4).map(|k| {
        let store = store.clone();
        async move { store.claim_batches(&format!("keeper-{k}"), later, later + LEASE).await.unwrap() }
    }))
    .await;
    let mut all: Vec<[u8; 32]> = claims.iter().flatten().copied().collect();
    let total = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), total, "no batch claimed twice: {claims:?}");
    assert_eq!(total, 40, "every expired batch has a new holder");
}

on_both_backends!(
    a_batch_goes_from_planned_to_settled_and_a_replayed_block_changes_nothing,
    two_keepers_never_hold_the_same_batch_and_a_dead_keepers_batches_are_taken_over,
    a_named_lease_has_one_holder_until_it_runs_out_or_is_released,
    concurrent_claims_by_many_keepers_split_expired_batches_without_overlap,
);
