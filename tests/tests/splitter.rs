//! The splitter against the real WASM on the embedded chain: EIP-712 approvals
//! signed with alloy, the timelock, cancelling, pausing, distribution and
//! batched settlement by bonded keepers.

use alloy_primitives::{B256, U256};
use alloy_sol_types::SolStruct;
use lode_deploy::DEV_CHAIN_ID;
use lode_keeper::chain::BlockSource;
use lode_keeper::chain::{AccountId, Chain};
use lode_keeper::keys::Signer;
use lode_splitter::{Asset, Error, OpState, Operation, Proposal, SignedVote};
use lode_staking::StakingParams;
use lode_tests::eip712::{sign_approval, sign_cancellation, splitter_domain, Approval, Cancellation};
use lode_tests::Harness;

use lode_primitives::LODE;
/// Timelock of these tests: 2 blocks (6 s each) of delay, 5 blocks to execute.
const MIN_DELAY_MS: u64 = 12_000;
const GRACE_MS: u64 = 30_000;

async fn harness() -> Harness {
    Harness::with(|c| {
        c.splitter.min_delay_ms = MIN_DELAY_MS;
        c.splitter.grace_period_ms = GRACE_MS;
        c.staking = StakingParams { unbonding_period: 5, min_keeper_bond: 100 * LODE, activation_delay: 1 };
    })
    .await
}

async fn now_ms(h: &Harness) -> u64 {
    // Calls execute in the open block, stamped one block time after the head.
    h.chain.head().await.unwrap().timestamp_ms + 6_000
}

async fn propose(h: &Harness, op: Operation) -> [u8; 32] {
    let r: Result<[u8; 32], Error> = h.send(&h.alice, "splitter", "propose", op).await;
    r.unwrap()
}

async fn state(h: &Harness, op_id: [u8; 32]) -> (Proposal, OpState) {
    let r: Option<(Proposal, OpState)> = h.read("splitter", "operation", op_id).await.unwrap();
    r.unwrap()
}

/// On-chain approvals of `op_id` by `owners`.
async fn approve_by(h: &Harness, op_id: [u8; 32], owners: &[&Signer]) {
    for owner in owners {
        h.send::<Result<(), Error>>(owner, "splitter", "approve", op_id).await.unwrap();
    }
}

fn timelock_op() -> Operation {
    Operation::SetTimelock { min_delay: MIN_DELAY_MS, grace_period: GRACE_MS + 1 }
}

#[tokio::test]
async fn the_contract_digest_equals_alloys_eip712_signing_hash() {
    let h = harness().await;
    let splitter = h.address("splitter");
    let d = splitter_domain(DEV_CHAIN_ID, splitter);
    let op_id = [0x5a; 32];
    let (nonce, deadline) = (7u64, 1_900_000_000_000u64);
    let ours: [u8; 32] = h.read("splitter", "vote_digest", (op_id, true, nonce, deadline)).await.unwrap();
    let alloys = Approval { opId: B256::from(op_id), nonce: U256::from(nonce), deadline: U256::from(deadline) }.eip712_signing_hash(&d);
    assert_eq!(ours, alloys.0);
    let ours: [u8; 32] = h.read("splitter", "vote_digest", (op_id, false, nonce, deadline)).await.unwrap();
    let alloys = Cancellation { opId: B256::from(op_id), nonce: U256::from(nonce), deadline: U256::from(deadline) }.eip712_signing_hash(&d);
    assert_eq!(ours, alloys.0);
}

/// Approvals as raw account bytes, for comparison.
fn approvals(p: &Proposal) -> Vec<[u8; 32]> {
    p.approvals.iter().map(|a| *a.as_ref()).collect()
}

#[tokio::test]
async fn signed_approvals_queue_an_operation_that_executes_in_its_window_then_expires() {
    let h = harness().await;
    let d = splitter_domain(DEV_CHAIN_ID, h.address("splitter"));
    let op_id = propose(&h, timelock_op()).await;
    let deadline = now_ms(&h).await + 60_000;
    let votes = vec![sign_approval("bob", &d, op_id, 0, deadline), sign_approval("carol", &d, op_id, 0, deadline)];
    // Anyone relays: dave is not an owner.
    let out = h.chain.call(&h.dave, h.address("splitter"), 0, h.input("splitter", "approve_by_signatures", (op_id, votes))).await.unwrap();
    assert_eq!(out.decode::<Result<(), Error>>().unwrap(), Ok(()));
    assert!(out.events.iter().any(|e| h.registry.is(e, "splitter", "Queued")));
    let (proposal, s) = state(&h, op_id).await;
    assert_eq!(s, OpState::Queued);
    assert_eq!(approvals(&proposal), vec![h.bob.account_id().0, h.carol.account_id().0], "signers recovered to the owners' accounts");
    assert_eq!(h.read::<u64>("splitter", "vote_nonce", h.bob.account_id().0).await.unwrap(), 1);

    let r: Result<(), Error> = h.send(&h.dave, "splitter", "execute", op_id).await;
    assert_eq!(r, Err(Error::TooEarly));
    h.chain.seal_blocks(2).await.unwrap();
    let r: Result<(), Error> = h.send(&h.dave, "splitter", "execute", op_id).await;
    assert_eq!(r, Ok(()));
    assert_eq!(h.read::<(u64, u64)>("splitter", "timelock", ()).await.unwrap(), (MIN_DELAY_MS, GRACE_MS + 1));

    // A second operation, approved on-chain, left to expire.
    let late = propose(&h, Operation::SetGuardian { guardian: Some(h.dave.account_id().0.into()) }).await;
    approve_by(&h, late, &[&h.alice, &h.bob]).await;
    h.chain.seal_blocks(2 + 6).await.unwrap();
    assert_eq!(state(&h, late).await.1, OpState::Expired);
    let r: Result<(), Error> = h.send(&h.dave, "splitter", "execute", late).await;
    assert_eq!(r, Err(Error::Expired));
}

#[tokio::test]
async fn every_replay_and_forgery_is_rejected_and_changes_nothing() {
    let h = harness().await;
    let splitter = h.address("splitter");
    let d = splitter_domain(DEV_CHAIN_ID, splitter);
    let op_id = propose(&h, timelock_op()).await;
    let deadline = now_ms(&h).await + 60_000;
    let relay = |votes: Vec<SignedVote>| h.send::<Result<(), Error>>(&h.dave, "splitter", "approve_by_signatures", (op_id, votes));

    let cases = [
        (
            "another chain id",
            sign_approval("bob", &splitter_domain(DEV_CHAIN_ID + 1, splitter), op_id, 0, deadline),
            Error::SignerNotOwner { index: 0 },
        ),
        (
            "another contract",
            sign_approval("bob", &splitter_domain(DEV_CHAIN_ID, h.address("token")), op_id, 0, deadline),
            Error::SignerNotOwner { index: 0 },
        ),
        ("another operation", sign_approval("bob", &d, [1; 32], 0, deadline), Error::SignerNotOwner { index: 0 }),
        ("a cancellation used as an approval", sign_cancellation("bob", &d, op_id, 0, deadline), Error::SignerNotOwner { index: 0 }),
        ("a future nonce", sign_approval("bob", &d, op_id, 1, deadline), Error::BadNonce { index: 0 }),
        ("a passed deadline", sign_approval("bob", &d, op_id, 0, now_ms(&h).await - 1), Error::SignatureExpired { index: 0 }),
        ("a non-owner", sign_approval("dave", &d, op_id, 0, deadline), Error::SignerNotOwner { index: 0 }),
        ("garbage", SignedVote { nonce: 0, deadline, signature: [0xff; 65] }, Error::InvalidSignature { index: 0 }),
    ];
    for (what, vote, expected) in cases {
        assert_eq!(relay(vec![vote]).await, Err(expected), "{what}");
    }
    assert!(approvals(&state(&h, op_id).await.0).is_empty(), "refused batches changed nothing");
    assert_eq!(h.read::<u64>("splitter", "vote_nonce", h.bob.account_id().0).await.unwrap(), 0);

    // A signature twice in one batch, or replayed later, counts once: the
    // copies are skipped, not errors (see the audit tests for griefing).
    let bob = sign_approval("bob", &d, op_id, 0, deadline);
    assert_eq!(relay(vec![bob.clone(), bob.clone()]).await, Ok(()));
    assert_eq!(approvals(&state(&h, op_id).await.0), vec![h.bob.account_id().0]);
    assert_eq!(relay(vec![bob]).await, Ok(()), "the same signature replayed is skipped");
    assert_eq!(approvals(&state(&h, op_id).await.0), vec![h.bob.account_id().0]);
    assert_eq!(h.read::<u64>("splitter", "vote_nonce", h.bob.account_id().0).await.unwrap(), 1, "one nonce used");

    // Bob's nonce 0 is used up: a signature with it, even for another operation, is refused.
    let other = propose(&h, timelock_op()).await;
    let relay_other = |vote| h.send::<Result<(), Error>>(&h.dave, "splitter", "approve_by_signatures", (other, vec![vote]));
    assert_eq!(relay_other(sign_approval("bob", &d, other, 0, deadline)).await, Err(Error::BadNonce { index: 0 }), "an old nonce");
    assert_eq!(relay_other(sign_approval("bob", &d, other, 1, deadline)).await, Ok(()));
}

#[tokio::test]
async fn owners_cancel_by_signatures_and_pause_needs_the_full_path_to_lift() {
    let h = harness().await;
    let d = splitter_domain(DEV_CHAIN_ID, h.address("splitter"));
    let op_id = propose(&h, timelock_op()).await;
    let deadline = now_ms(&h).await + 60_000;
    let votes = vec![sign_cancellation("alice", &d, op_id, 0, deadline), sign_cancellation("carol", &d, op_id, 0, deadline)];
    let r: Result<(), Error> = h.send(&h.dave, "splitter", "cancel_by_signatures", (op_id, votes)).await;
    assert_eq!(r, Ok(()));
    assert_eq!(state(&h, op_id).await.1, OpState::Cancelled);

    // One owner pauses; money stops moving.
    assert_eq!(h.send::<Result<(), Error>>(&h.dave, "splitter", "pause", ()).await, Err(Error::NotPauser));
    assert_eq!(h.send::<Result<(), Error>>(&h.carol, "splitter", "pause", ()).await, Ok(()));
    assert_eq!(h.send::<Result<u128, Error>>(&h.dave, "splitter", "distribute", Asset::Native).await, Err(Error::Paused));
    assert_eq!(h.send::<Result<(), Error>>(&h.carol, "splitter", "unpause", ()).await, Err(Error::NotAdmin));
    let unpause = propose(&h, Operation::Unpause).await;
    approve_by(&h, unpause, &[&h.alice, &h.carol]).await;
    h.chain.seal_blocks(2).await.unwrap();
    assert_eq!(h.send::<Result<(), Error>>(&h.dave, "splitter", "execute", unpause).await, Ok(()));
    assert!(!h.read::<bool>("splitter", "paused", ()).await.unwrap());
}

#[tokio::test]
async fn rotating_owners_drops_the_old_owners_votes_and_the_new_set_governs_pending_operations() {
    let h = harness().await;
    let d = splitter_domain(DEV_CHAIN_ID, h.address("splitter"));
    let execute = |op_id| h.send::<Result<(), Error>>(&h.dave, "splitter", "execute", op_id);
    // Before the rotation: one operation with bob's approval only, one queued by bob and carol.
    let pending = propose(&h, timelock_op()).await;
    approve_by(&h, pending, &[&h.bob]).await;
    let queued = propose(&h, Operation::SetGuardian { guardian: Some(h.bob.account_id().0.into()) }).await;
    approve_by(&h, queued, &[&h.bob, &h.carol]).await;
    assert_eq!(state(&h, queued).await.1, OpState::Queued);

    // Bob's key is suspect: alice and carol swap him for dave.
    let owners = [&h.alice, &h.carol, &h.dave].map(|s| s.account_id().0);
    let rotate = propose(&h, Operation::SetOwners { owners: owners.iter().map(|o| (*o).into()).collect(), threshold: 2 }).await;
    approve_by(&h, rotate, &[&h.alice, &h.carol]).await;
    h.chain.seal_blocks(2).await.unwrap();
    assert_eq!(execute(rotate).await, Ok(()));
    let (now, threshold) = h.read::<(Vec<[u8; 32]>, u8)>("splitter", "owners", ()).await.unwrap();
    assert_eq!((now, threshold), (owners.to_vec(), 2));

    // Bob has no say any more, on-chain or by signature.
    assert_eq!(h.send::<Result<(), Error>>(&h.bob, "splitter", "approve", pending).await, Err(Error::NotOwner));
    assert_eq!(h.send::<Result<(), Error>>(&h.bob, "splitter", "pause", ()).await, Err(Error::NotPauser));
    let deadline = now_ms(&h).await + 60_000;
    let signed = sign_approval("bob", &d, pending, 0, deadline);
    let r: Result<(), Error> = h.send(&h.dave, "splitter", "approve_by_signatures", (pending, vec![signed])).await;
    assert_eq!(r, Err(Error::SignerNotOwner { index: 0 }));

    // His earlier approval no longer counts toward the threshold: one new owner's
    // approval leaves the operation pending, a second queues it.
    approve_by(&h, pending, &[&h.carol]).await;
    assert_eq!(state(&h, pending).await.1, OpState::Pending);
    approve_by(&h, pending, &[&h.dave]).await;
    assert_eq!(state(&h, pending).await.1, OpState::Queued);

    // What the old set queued stays independent of the rest, and the new set can cancel it.
    for owner in [&h.carol, &h.dave] {
        assert_eq!(h.send::<Result<(), Error>>(owner, "splitter", "cancel", queued).await, Ok(()));
    }
    assert_eq!(state(&h, queued).await.1, OpState::Cancelled);
    assert_eq!(execute(queued).await, Err(Error::Finished));
    h.chain.seal_blocks(2).await.unwrap();
    assert_eq!(execute(pending).await, Ok(()), "the other pending operation is not blocked");
    let guardian = h.read::<Option<[u8; 32]>>("splitter", "guardian", ()).await.unwrap();
    assert_eq!(guardian, Some(h.address("alerts").0), "the cancelled SetGuardian never ran");
}

/// Makes `who` a bonded keeper.
async fn bond_keeper(h: &Harness, who: &Signer) {
    h.stake(who, 100 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    assert!(h.read::<bool>("staking", "is_keeper", who.account_id().0).await.unwrap());
}

async fn send_lode(h: &Harness, to: AccountId, amount: u128) {
    let r: Result<(), lode_token::PSP22Error> = h.send(&h.treasury, "token", "PSP22::transfer", (to.0, amount, Vec::<u8>::new())).await;
    r.unwrap();
}

#[tokio::test]
async fn keepers_settle_batches_once_and_a_failing_payee_blocks_nobody() {
    // Twelve payees; the last is the token contract itself, which LODE refuses to credit.
    let payees: Vec<Signer> = (0..11).map(|i| Signer::dev(&format!("payee{i}"))).collect();
    let h = Harness::with(|c| {
        c.splitter.payees = payees.iter().map(Signer::account_id).collect();
        c.splitter.shares = vec![1; 11];
        c.splitter.keeper_fee_bps = 100;
        c.staking = StakingParams { unbonding_period: 5, min_keeper_bond: 100 * LODE, activation_delay: 1 };
    })
    .await;
    let token = h.address("token");
    let splitter = h.address("splitter");
    // Swap in the failing payee through the owners (min delay 60 s = 10 blocks).
    let mut new_payees: Vec<[u8; 32]> = payees.iter().map(|p| p.account_id().0).collect();
    new_payees.push(token.0);
    let op = Operation::SetSplit { payees: new_payees.iter().map(|p| (*p).into()).collect(), shares: vec![1; 12], keeper_fee_bps: 100 };
    let op_id = propose(&h, op).await;
    approve_by(&h, op_id, &[&h.alice, &h.bob]).await;
    h.chain.seal_blocks(10).await.unwrap();
    assert_eq!(h.send::<Result<(), Error>>(&h.dave, "splitter", "execute", op_id).await, Ok(()));

    bond_keeper(&h, &h.bob).await;
    send_lode(&h, splitter, 1_200 * LODE + 5).await;
    // A plain account distributes without a fee; here bob (a keeper) earns 1%.
    let r: Result<u128, Error> = h.send(&h.bob, "splitter", "distribute", Asset::Lode).await;
    assert_eq!(r, Ok(1_200 * LODE + 5));
    let fee = (1_200 * LODE + 5) / 100;
    let per_payee = (1_200 * LODE + 5 - fee) / 12;
    assert_eq!(h.read::<(u128, u128)>("splitter", "owed", (Asset::Lode, h.bob.account_id().0)).await.unwrap(), (0, fee));

    // A non-keeper cannot settle.
    let batch = [1u8; 32];
    let all: Vec<[u8; 32]> = new_payees.clone();
    let r: Result<u128, Error> = h.send(&h.carol, "splitter", "settle", (batch, Asset::Lode, all.clone())).await;
    assert_eq!(r, Err(Error::NotKeeper));

    let out = h.chain.call(&h.bob, splitter, 0, h.input("splitter", "settle", (batch, Asset::Lode, all.clone()))).await.unwrap();
    assert_eq!(out.decode::<Result<u128, Error>>().unwrap(), Ok(11 * per_payee));
    assert_eq!(out.events.iter().filter(|e| h.registry.is(e, "splitter", "SettlementFailed")).count(), 1);
    for p in &payees {
        assert_eq!(h.lode(p.account_id()).await, per_payee);
    }
    assert_eq!(
        h.read::<(u128, u128)>("splitter", "owed", (Asset::Lode, token.0)).await.unwrap(),
        (per_payee, 0),
        "the failing payee stays owed"
    );

    // The same batch id again pays nobody twice.
    let r: Result<u128, Error> = h.send(&h.bob, "splitter", "settle", (batch, Asset::Lode, all)).await;
    assert_eq!(r, Err(Error::BatchAlreadySettled));
    assert!(h.read::<bool>("splitter", "batch_settled", (h.bob.account_id().0, batch)).await.unwrap());

    // Payees and keepers withdraw without anyone's help.
    let r: Result<u128, Error> = h.send(&h.bob, "splitter", "withdraw", Asset::Lode).await;
    assert_eq!(r, Ok(fee));
    let r: Result<u128, Error> = h.send(&payees[0], "splitter", "withdraw", Asset::Lode).await;
    assert_eq!(r, Err(Error::NothingOwed));
}

#[tokio::test]
async fn native_rewards_split_with_the_remainder_carried_and_payees_withdraw() {
    let h = harness().await;
    let splitter = h.address("splitter");
    // Dev split: dave 50, treasury 30 (of 80 shares); no keeper calls here, so no fee.
    h.chain.transfer(&h.alice, splitter, 1_001).await.unwrap();
    let r: Result<u128, Error> = h.send(&h.carol, "splitter", "distribute", Asset::Native).await;
    assert_eq!(r, Ok(1_001));
    let book: lode_splitter::Book = h.read("splitter", "book", Asset::Native).await.unwrap();
    // 1001 × 50/80 = 625 (+0.625), × 30/80 = 375 (+0.375): one unit carried.
    assert_eq!((book.owed, book.fees, book.remainder), (1_000, 0, 1));
    h.chain.transfer(&h.alice, splitter, 7).await.unwrap();
    h.send::<Result<u128, Error>>(&h.carol, "splitter", "distribute", Asset::Native).await.unwrap();
    let book: lode_splitter::Book = h.read("splitter", "book", Asset::Native).await.unwrap();
    assert_eq!((book.owed, book.remainder), (1_008, 0), "the carried unit joined the next division");

    let before = h.chain.balance(h.dave.account_id()).await.unwrap();
    let r: Result<u128, Error> = h.send(&h.dave, "splitter", "withdraw", Asset::Native).await;
    assert_eq!(r, Ok(630));
    // Dave also gets back the storage deposit of his cleared entry, so at least 630.
    assert!(h.chain.balance(h.dave.account_id()).await.unwrap() >= before + 630);
    assert_eq!(h.read::<(u128, u128)>("splitter", "owed", (Asset::Native, h.dave.account_id().0)).await.unwrap(), (0, 0));
    let book: lode_splitter::Book = h.read("splitter", "book", Asset::Native).await.unwrap();
    assert_eq!(book.owed, 1_008 - 630);
}

/// Measures `settle` for 1, 10, 30, 100 and `max_batch_len` payees against one
/// plain `PSP22::transfer`, and checks the two targets: a LODE payee costs at
/// most 0.35 of a transfer at the margin, in ref_time and in proof size, and
/// a full batch of the costliest kind (LODE to payees with no token balance
/// yet) needs at most 80% of the per-call limit. So does `distribute` over a
/// split of `MAX_PAYEES`.
#[tokio::test]
async fn settle_costs_a_fraction_of_a_transfer_per_payee_and_a_full_batch_fits_one_call() {
    let max = lode_splitter::MAX_BATCH_LEN as usize;
    let count = lode_splitter::MAX_PAYEES;
    assert!(count > max, "the split must be able to owe more payees than one batch pays");
    let payees: Vec<Signer> = (0..count).map(|i| Signer::dev(&format!("payee{i}"))).collect();
    let h = Harness::with(|c| {
        c.splitter.payees = payees.iter().map(Signer::account_id).collect();
        c.splitter.shares = vec![1; count];
        c.staking = StakingParams { unbonding_period: 5, min_keeper_bond: 100 * LODE, activation_delay: 1 };
    })
    .await;
    bond_keeper(&h, &h.bob).await;
    let splitter = h.address("splitter");
    let pot = 1_000 * LODE * count as u128;
    send_lode(&h, splitter, pot).await;
    h.chain.transfer(&h.alice, splitter, pot).await.unwrap();
    let limit = lode_keeper::chain::embedded::call_gas_limit();
    for asset in [Asset::Lode, Asset::Native] {
        let input = h.input("splitter", "distribute", asset);
        let r = h.chain.dry_run(h.carol.account_id(), splitter, 0, input).await.unwrap().weight_required;
        eprintln!("distribute {asset:?} to {count} payees: {r}");
        assert!(
            r.ref_time <= limit.ref_time / 100 * 80 && r.proof_size <= limit.proof_size / 100 * 80,
            "distribute needs {r}, over 80% of {limit}"
        );
        h.send::<Result<u128, Error>>(&h.carol, "splitter", "distribute", asset).await.unwrap();
    }
    assert_eq!(h.read::<u32>("splitter", "max_batch_len", ()).await.unwrap() as usize, max);
    let transfer = h.input("token", "PSP22::transfer", (h.carol.account_id().0, 1u128, Vec::<u8>::new()));
    let transfer = h.chain.dry_run(h.treasury.account_id(), h.address("token"), 0, transfer).await.unwrap().weight_consumed;
    eprintln!("PSP22::transfer: {transfer}");

    // Dry runs: every batch is measured against the same state.
    let settle = |asset: Asset, n: usize| {
        let batch: Vec<[u8; 32]> = payees[..n].iter().map(|p| p.account_id().0).collect();
        let input = h.input("splitter", "settle", ([1u8; 32], asset, batch));
        h.chain.dry_run(h.bob.account_id(), splitter, 0, input)
    };
    let mut lode_margin = (0.0, 0.0);
    for asset in [Asset::Lode, Asset::Native] {
        let mut measured = Vec::new();
        let sizes: std::collections::BTreeSet<usize> = [1, 10, 30, 100, max].into();
        for n in sizes {
            let dry = settle(asset, n).await.unwrap();
            assert_eq!(dry.decode::<Result<u128, Error>>().unwrap(), Ok(n as u128 * (pot / count as u128)), "{asset:?} × {n}");
            let w = dry.weight_consumed;
            eprintln!(
                "settle {asset:?} × {n}: {w} (required {}); {:.1}% / {:.1}% of the limit",
                dry.weight_required,
                dry.weight_required.ref_time as f64 * 100.0 / limit.ref_time as f64,
                dry.weight_required.proof_size as f64 * 100.0 / limit.proof_size as f64,
            );
            measured.push((n, w));
            if n == max {
                let r = dry.weight_required;
                assert!(r.ref_time <= limit.ref_time / 100 * 80, "a full batch needs {r}, over 80% of the limit {limit}");
                assert!(r.proof_size <= limit.proof_size / 100 * 80, "a full batch needs {r}, over 80% of the limit {limit}");
            }
        }
        // The margin: what each payee from the 10th to the 100th added.
        let (w10, w100) = (measured[1].1, measured[3].1);
        let ref_time = (w100.ref_time - w10.ref_time) as f64 / 90.0;
        let proof = (w100.proof_size - w10.proof_size) as f64 / 90.0;
        let (r, p) = (ref_time / transfer.ref_time as f64, proof / transfer.proof_size as f64);
        eprintln!(
            "settle {asset:?}: a payee at the margin costs {:.3} Gref ({r:.3}× a transfer) and {proof:.0} B ({p:.3}×)",
            ref_time / 1e9
        );
        if asset == Asset::Lode {
            lode_margin = (r, p);
        }
    }
    let (r, p) = lode_margin;
    assert!(r <= 0.35 && p <= 0.35, "a LODE payee costs {r:.3}× a transfer in ref_time and {p:.3}× in proof; the target is 0.35");
    let over = settle(Asset::Lode, max + 1).await.unwrap();
    assert_eq!(over.decode::<Result<u128, Error>>().unwrap(), Err(Error::BatchTooLarge));
}
