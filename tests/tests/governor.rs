//! The governor against the real WASM on the embedded chain, with the suite
//! handed over to it: every proposal state, snapshot weights, EIP-712 ballots
//! signed with alloy, and execution of real calls on the other contracts.

use alloy_primitives::U256;
use alloy_sol_types::SolStruct;
use lode_deploy::DEV_CHAIN_ID;
use lode_governor::{Action, BallotError, Error, GovernorParams, ProposalState, Receipt, SignedBallot, Support, VoteError};
use lode_keeper::chain::BlockSource;
use lode_keeper::chain::{AccountId, Chain};
use lode_keeper::keys::Signer;
use lode_staking::StakingParams;
use lode_tests::eip712::{ballot, governor_domain, Ballot};
use lode_tests::Harness;

use lode_primitives::LODE;
const PARAMS: GovernorParams = lode_tests::TEST_GOVERNANCE;

/// The suite owned by the governor; alice (the first owner) is its guardian.
/// Bob stakes 300 LODE,
/// carol 200 (quorum: 20% of 500 = 100).
async fn harness() -> Harness {
    let h = Harness::with(|c| {
        c.hand_over_to_governor = true;
        // Unbonding must outlast the governor's latency, 1 + 5 + 2 blocks.
        c.staking = StakingParams { unbonding_period: 10, min_keeper_bond: 100 * LODE, activation_delay: 1 };
        c.governor.params = PARAMS;
    })
    .await;
    h.stake(&h.bob, 300 * LODE).await;
    h.stake(&h.carol, 200 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    h
}

fn guardian(h: &Harness) -> &Signer {
    &h.alice
}

/// A harmless action: staking's parameters with a longer unbonding period.
fn set_unbonding(h: &Harness, period: u32) -> Action {
    h.action("staking", "set_params", StakingParams { unbonding_period: period, min_keeper_bond: 100 * LODE, activation_delay: 1 })
}

async fn propose(h: &Harness, who: &Signer, actions: Vec<Action>) -> u64 {
    let r: Result<u64, Error> = h.send(who, "governor", "propose", (actions, String::from("test proposal"))).await;
    r.unwrap()
}

async fn state(h: &Harness, id: u64) -> ProposalState {
    h.read::<Option<ProposalState>>("governor", "state", id).await.unwrap().unwrap()
}

async fn vote(h: &Harness, who: &Signer, id: u64, support: Support) -> Result<u128, Error> {
    h.send(who, "governor", "cast_vote", (id, support)).await
}

async fn gov(h: &Harness, who: &Signer, label: &str, id: u64) -> Result<(), Error> {
    h.send(who, "governor", label, id).await
}

/// Seals blocks until `id`'s voting has ended.
async fn end_voting(h: &Harness, id: u64) {
    let p: Option<lode_governor::Proposal> = h.read("governor", "proposal", id).await.unwrap();
    h.advance_to(p.unwrap().vote_end).await;
}

#[tokio::test]
async fn the_suite_is_handed_to_the_governor() {
    let h = harness().await;
    let governor = h.address("governor");
    for contract in ["token", "staking", "splitter"] {
        assert_eq!(h.read::<[u8; 32]>(contract, "admin", ()).await.unwrap(), governor.0, "{contract}");
    }
    assert_eq!(h.read::<[u8; 32]>("governor", "admin", ()).await.unwrap(), governor.0);
    assert!(h.read::<bool>("governor", "is_guarded", h.address("splitter").0).await.unwrap());
    // The deployer lost its powers.
    let r: Result<(), lode_staking::Error> = h.send(&h.alice, "staking", "set_admin", h.alice.account_id().0).await;
    assert_eq!(r, Err(lode_staking::Error::NotAdmin));
}

#[tokio::test]
async fn a_proposal_goes_pending_active_succeeded_queued_executed() {
    let h = harness().await;
    let id = propose(&h, &h.bob, vec![set_unbonding(&h, 9)]).await;
    assert_eq!(state(&h, id).await, ProposalState::Pending);
    assert_eq!(vote(&h, &h.bob, id, Support::For).await, Err(Error::Vote(VoteError::NotActive)));
    assert_eq!(gov(&h, &h.carol, "cancel", id).await, Err(Error::NotProposer));
    h.chain.seal_blocks(1).await.unwrap();
    assert_eq!(state(&h, id).await, ProposalState::Active);
    assert_eq!(gov(&h, &h.bob, "cancel", id).await, Err(Error::WrongState(ProposalState::Active)));
    assert_eq!(vote(&h, &h.bob, id, Support::For).await, Ok(300 * LODE));
    assert_eq!(vote(&h, &h.carol, id, Support::Against).await, Ok(200 * LODE));
    assert_eq!(vote(&h, &h.carol, id, Support::For).await, Err(Error::Vote(VoteError::AlreadyVoted)));
    assert_eq!(vote(&h, &h.dave, id, Support::For).await, Err(Error::Vote(VoteError::NoVotingPower)));
    assert_eq!(gov(&h, &h.dave, "queue", id).await, Err(Error::WrongState(ProposalState::Active)));
    end_voting(&h, id).await;
    assert_eq!(state(&h, id).await, ProposalState::Succeeded);
    assert_eq!(gov(&h, &h.dave, "queue", id).await, Ok(()));
    assert_eq!(state(&h, id).await, ProposalState::Queued);
    assert_eq!(gov(&h, &h.dave, "execute", id).await, Err(Error::TooEarly));
    h.chain.seal_blocks(2).await.unwrap();
    assert_eq!(gov(&h, &h.dave, "execute", id).await, Ok(()));
    assert_eq!(state(&h, id).await, ProposalState::Executed);
    let params: StakingParams = h.read("staking", "params", ()).await.unwrap();
    assert_eq!(params.unbonding_period, 9, "the action ran on staking");
    assert_eq!(gov(&h, &h.dave, "execute", id).await, Err(Error::WrongState(ProposalState::Executed)));
}

#[tokio::test]
async fn cancelled_defeated_expired_and_vetoed_proposals_never_execute() {
    let h = harness().await;
    // Dave stakes 50: enough to vote, not enough to propose or reach quorum alone.
    h.stake(&h.dave, 50 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    let r: Result<u64, Error> = h.send(&h.dave, "governor", "propose", (vec![set_unbonding(&h, 7)], String::new())).await;
    assert_eq!(r, Err(Error::BelowProposalThreshold));
    let r: Result<u64, Error> = h.send(&h.bob, "governor", "propose", (Vec::<Action>::new(), String::new())).await;
    assert_eq!(r, Err(Error::InvalidActions));

    let cancelled = propose(&h, &h.bob, vec![set_unbonding(&h, 7)]).await;
    assert_eq!(gov(&h, &h.bob, "cancel", cancelled).await, Ok(()));
    assert_eq!(state(&h, cancelled).await, ProposalState::Canceled);

    let defeated = propose(&h, &h.bob, vec![set_unbonding(&h, 7)]).await;
    let expired = propose(&h, &h.bob, vec![set_unbonding(&h, 7)]).await;
    let vetoed = propose(&h, &h.carol, vec![set_unbonding(&h, 7)]).await;
    h.chain.seal_blocks(1).await.unwrap();
    // 50 For and nothing else: a majority, but below the quorum of 110 (20% of 550).
    vote(&h, &h.dave, defeated, Support::For).await.unwrap();
    vote(&h, &h.carol, expired, Support::For).await.unwrap();
    vote(&h, &h.bob, vetoed, Support::For).await.unwrap();
    end_voting(&h, vetoed).await;
    assert_eq!(state(&h, defeated).await, ProposalState::Defeated);
    assert_eq!(gov(&h, &h.dave, "queue", defeated).await, Err(Error::WrongState(ProposalState::Defeated)));

    gov(&h, &h.dave, "queue", expired).await.unwrap();
    gov(&h, &h.dave, "queue", vetoed).await.unwrap();
    assert_eq!(gov(&h, &h.bob, "veto", vetoed).await, Err(Error::NotGuardian));
    assert_eq!(gov(&h, guardian(&h), "veto", vetoed).await, Ok(()));
    assert_eq!(state(&h, vetoed).await, ProposalState::Canceled);

    // eta = queue + 2; executable through eta + 3.
    h.chain.seal_blocks(2 + 3 + 1).await.unwrap();
    assert_eq!(state(&h, expired).await, ProposalState::Expired);
    for id in [cancelled, defeated, expired, vetoed] {
        assert!(gov(&h, &h.dave, "execute", id).await.is_err(), "proposal {id} must not execute");
    }
    let params: StakingParams = h.read("staking", "params", ()).await.unwrap();
    assert_eq!(params.unbonding_period, 10, "nothing ran");
}

#[tokio::test]
async fn stake_added_after_the_snapshot_does_not_count() {
    let h = harness().await;
    let id = propose(&h, &h.bob, vec![set_unbonding(&h, 9)]).await;
    // Carol doubles her stake and dave stakes for the first time, both after the snapshot.
    h.stake(&h.carol, 200 * LODE).await;
    h.stake(&h.dave, 500 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    assert_eq!(vote(&h, &h.carol, id, Support::For).await, Ok(200 * LODE));
    assert_eq!(vote(&h, &h.dave, id, Support::Against).await, Err(Error::Vote(VoteError::NoVotingPower)));
    let p: lode_governor::Proposal = h.read::<Option<_>>("governor", "proposal", id).await.unwrap().unwrap();
    assert_eq!(p.quorum, 100 * LODE, "quorum from the total at the snapshot");
}

#[tokio::test]
async fn signed_ballots_count_once_and_every_replay_is_refused() {
    let h = harness().await;
    let governor = h.address("governor");
    let d = governor_domain(DEV_CHAIN_ID, governor);
    let id = propose(&h, &h.bob, vec![set_unbonding(&h, 9)]).await;
    h.chain.seal_blocks(1).await.unwrap();
    let deadline = h.deadline().await;

    let ours: [u8; 32] = h.read("governor", "ballot_digest", (id, Support::Abstain, 3u64, deadline)).await.unwrap();
    let alloys = Ballot { proposalId: U256::from(id), support: 2, nonce: U256::from(3), deadline: U256::from(deadline) };
    assert_eq!(ours, alloys.eip712_signing_hash(&d).0, "the contract's digest is alloy's");

    let relay = |ballots: Vec<SignedBallot>| h.send::<Result<u32, Error>>(&h.dave, "governor", "cast_votes_by_sig", ballots);
    let refused = |index, reason| Err(Error::Ballot { index, reason });
    let cases = [
        ("another chain id", ballot("bob", &governor_domain(DEV_CHAIN_ID + 1, governor), id, Support::For, 0, deadline)),
        ("another contract", ballot("bob", &governor_domain(DEV_CHAIN_ID, h.address("splitter")), id, Support::For, 0, deadline)),
    ];
    for (what, b) in cases {
        // The signature recovers to some other account, which has no stake.
        assert_eq!(relay(vec![b]).await, refused(0, BallotError::Vote(VoteError::NoVotingPower)), "{what}");
    }
    let expired = ballot("bob", &d, id, Support::For, 0, h.chain.head().await.unwrap().timestamp_ms);
    assert_eq!(relay(vec![expired]).await, refused(0, BallotError::Expired));
    let future = ballot("bob", &d, id, Support::For, 1, deadline);
    assert_eq!(relay(vec![future]).await, refused(0, BallotError::BadNonce));
    let mut garbage = ballot("bob", &d, id, Support::For, 0, deadline);
    garbage.signature = [0xff; 65];
    assert_eq!(relay(vec![garbage]).await, refused(0, BallotError::InvalidSignature));

    // All or nothing: carol's good ballot does not count when bob's after it is refused.
    let carol = ballot("carol", &d, id, Support::Against, 0, deadline);
    let bad = ballot("bob", &d, id, Support::For, 5, deadline);
    assert_eq!(relay(vec![carol.clone(), bad]).await, refused(1, BallotError::BadNonce));
    assert_eq!(h.read::<Option<Receipt>>("governor", "receipt", (id, h.carol.account_id().0)).await.unwrap(), None);

    let bob = ballot("bob", &d, id, Support::For, 0, deadline);
    assert_eq!(relay(vec![bob.clone(), carol.clone()]).await, Ok(2));
    assert_eq!(
        h.read::<Option<Receipt>>("governor", "receipt", (id, h.bob.account_id().0)).await.unwrap(),
        Some(Receipt { support: Support::For, weight: 300 * LODE })
    );
    assert_eq!(h.read::<u64>("governor", "ballot_nonce", h.bob.account_id().0).await.unwrap(), 1);
    // A replayed ballot, or a second one by a voter who already voted, is
    // skipped: it counts nothing and refuses nothing else in its batch.
    assert_eq!(relay(vec![bob]).await, Ok(0), "a replayed ballot");
    let again = ballot("carol", &d, id, Support::For, 1, deadline);
    assert_eq!(relay(vec![again]).await, Ok(0), "a second vote");
    assert_eq!(
        h.read::<Option<Receipt>>("governor", "receipt", (id, h.carol.account_id().0)).await.unwrap(),
        Some(Receipt { support: Support::Against, weight: 200 * LODE }),
        "carol's first vote stands"
    );
    assert_eq!(h.read::<u64>("governor", "ballot_nonce", h.carol.account_id().0).await.unwrap(), 1, "a skipped ballot uses no nonce");
    // Bob's used nonce is refused on another proposal.
    let other = propose(&h, &h.bob, vec![set_unbonding(&h, 12)]).await;
    h.chain.seal_blocks(1).await.unwrap();
    let replayed = ballot("bob", &d, other, Support::For, 0, deadline);
    assert_eq!(relay(vec![replayed]).await, refused(0, BallotError::BadNonce), "an old nonce");
}

#[tokio::test]
async fn cast_votes_by_sig_weight_is_measured_for_1_and_10_ballots() {
    let h = harness().await;
    let voters: Vec<Signer> = (0..10).map(|i| Signer::dev(&format!("voter{i}"))).collect();
    for v in &voters {
        h.chain.transfer(&h.alice, v.account_id(), 1_000 * LODE).await.unwrap();
        h.stake(v, 10 * LODE).await;
    }
    h.chain.seal_blocks(1).await.unwrap();
    let id = propose(&h, &h.bob, vec![set_unbonding(&h, 9)]).await;
    h.chain.seal_blocks(1).await.unwrap();
    let d = governor_domain(DEV_CHAIN_ID, h.address("governor"));
    let deadline = h.deadline().await;
    let ballots: Vec<SignedBallot> = (0..10).map(|i| ballot(&format!("voter{i}"), &d, id, Support::For, 0, deadline)).collect();
    let limit = lode_keeper::chain::embedded::call_gas_limit();
    for n in [1usize, 10] {
        let input = h.input("governor", "cast_votes_by_sig", ballots[..n].to_vec());
        let dry = h.chain.dry_run(h.dave.account_id(), h.address("governor"), 0, input).await.unwrap();
        assert_eq!(dry.decode::<Result<u32, Error>>().unwrap(), Ok(n as u32));
        eprintln!("cast_votes_by_sig × {n}: {} (required {})", dry.weight_consumed, dry.weight_required);
        assert!(dry.weight_required.ref_time < limit.ref_time);
    }
    let max = lode_governor::MAX_BALLOTS;
    let over = vec![ballots[0].clone(); max + 1];
    let r: Result<u32, Error> = h.send(&h.dave, "governor", "cast_votes_by_sig", over).await;
    assert_eq!(r, Err(Error::TooManyBallots));
}

/// Uploads `fixture`'s code; returns its hash.
async fn upload(h: &Harness, fixture: &str) -> [u8; 32] {
    let wasm = h.suite.artifact(fixture).expect("fixture built").wasm.clone();
    h.chain.upload_code(&h.alice, wasm).await.unwrap().code_hash
}

async fn pass(h: &Harness, actions: Vec<Action>) -> Result<(), Error> {
    h.pass_proposal(actions).await.1
}

#[tokio::test]
async fn a_real_upgrade_through_governance_keeps_state_runs_v2_and_rolls_back() {
    let h = harness().await;
    let governor = h.address("governor");
    let v1 = upload(&h, "fixture-v1").await;
    let v2 = upload(&h, "fixture-v2").await;
    let input = h.suite.constructor_input("fixture-v1", "new", governor.0).unwrap();
    let fixture = h.chain.instantiate(&h.alice, v1, 0, input, b"fixture".to_vec()).await.unwrap().address;
    let bump = || h.chain.call(&h.dave, fixture, 0, h.input("fixture-v1", "bump", ()));
    let read = |label: &'static str| h.chain.dry_run(h.dave.account_id(), fixture, 0, h.input("fixture-v1", label, ()));
    for _ in 0..2 {
        bump().await.unwrap();
    }
    assert_eq!(read("counter").await.unwrap().decode::<u32>().unwrap(), 2);
    // Only the governor may upgrade it.
    let direct = h.chain.call(&h.alice, fixture, 0, h.input("fixture-v1", "upgrade", v2)).await.unwrap();
    assert!(direct.reverted);

    assert_eq!(pass(&h, vec![Action::Upgrade { target: fixture.0.into(), code_hash: v2.into() }]).await, Ok(()));
    assert_eq!(read("code_version").await.unwrap().decode::<u32>().unwrap(), 2);
    assert_eq!(read("counter").await.unwrap().decode::<u32>().unwrap(), 2, "state survived the upgrade");
    assert_eq!(bump().await.unwrap().decode::<Result<u32, u8>>().unwrap(), Ok(12), "v2 adds 10");

    // Roll back to the hash the history recorded as the previous one.
    let history: Vec<lode_governor::UpgradeRecord> = h.read("governor", "upgrade_history", fixture.0).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].old, history[0].new), (v1.into(), v2.into()));
    let rollback = Action::Upgrade { target: fixture.0.into(), code_hash: history[0].old };
    assert_eq!(pass(&h, vec![rollback]).await, Ok(()));
    assert_eq!(read("code_version").await.unwrap().decode::<u32>().unwrap(), 1);
    assert_eq!(bump().await.unwrap().decode::<Result<u32, u8>>().unwrap(), Ok(13), "v1 adds 1 again, on the same state");
    let history: Vec<lode_governor::UpgradeRecord> = h.read("governor", "upgrade_history", fixture.0).await.unwrap();
    assert_eq!(history.iter().map(|r| (r.old, r.new)).collect::<Vec<_>>(), vec![(v1.into(), v2.into()), (v2.into(), v1.into())]);

    // An upgrade to code nobody uploaded fails the whole proposal, and nothing changes.
    let bogus = Action::Upgrade { target: fixture.0.into(), code_hash: [0xee; 32].into() };
    assert_eq!(pass(&h, vec![bogus]).await, Err(Error::ActionFailed { index: 0 }));
    assert_eq!(read("code_version").await.unwrap().decode::<u32>().unwrap(), 1);

    // The governor upgrades itself the same way (here to the code it runs, which
    // proves the path without changing behaviour).
    let own = h.deployed.contracts.iter().find(|c| c.name == "governor").unwrap().code_hash;
    assert_eq!(pass(&h, vec![Action::Upgrade { target: governor.0.into(), code_hash: own.into() }]).await, Ok(()));
    let history: Vec<lode_governor::UpgradeRecord> = h.read("governor", "upgrade_history", governor.0).await.unwrap();
    assert_eq!(history.len(), 1);
}

#[tokio::test]
async fn a_proposal_can_change_the_governor_itself_and_the_change_sticks() {
    let h = harness().await;
    let token = h.address("token");
    // Only through a proposal.
    let r: Result<(), Error> = h.send(&h.alice, "governor", "set_guarded", (token.0, true)).await;
    assert_eq!(r, Err(Error::NotGovernance));
    // Latency 1 + 6 + 2 = 9 blocks, still under the 10 blocks of unbonding.
    let longer = GovernorParams { voting_period: 6, ..PARAMS };
    let actions = vec![h.action("governor", "set_guarded", (token.0, true)), h.action("governor", "set_params", longer)];
    assert_eq!(pass(&h, actions).await, Ok(()));
    // The inner calls wrote Lazy cells; the outer execute must not have put the old values back.
    assert!(h.read::<bool>("governor", "is_guarded", token.0).await.unwrap());
    assert_eq!(h.read::<GovernorParams>("governor", "params", ()).await.unwrap(), longer);
}

/// Deploys fixture v1 under the governor and bumps it once.
async fn fixture_v1(h: &Harness, salt: &[u8]) -> (AccountId, [u8; 32]) {
    let v1 = upload(h, "fixture-v1").await;
    let input = h.suite.constructor_input("fixture-v1", "new", h.address("governor").0).unwrap();
    let fixture = h.chain.instantiate(&h.alice, v1, 0, input, salt.to_vec()).await.unwrap().address;
    let bumped = h.chain.call(&h.dave, fixture, 0, h.input("fixture-v1", "bump", ())).await.unwrap();
    assert_eq!(bumped.decode::<Result<u32, u8>>().unwrap(), Ok(1));
    (fixture, v1)
}

/// The hazard `docs/contracts/upgrades.md` forbids, kept as a test: a version
/// that appends a plain field to the root traps on every message, `upgrade`
/// included, so not even a rollback proposal can save it.
#[tokio::test]
async fn appending_a_plain_root_field_bricks_the_contract_and_no_rollback_can_save_it() {
    let h = harness().await;
    let (fixture, v1) = fixture_v1(&h, b"fixture-v3").await;
    let v3 = upload(&h, "fixture-v3").await;
    assert_eq!(
        pass(&h, vec![Action::Upgrade { target: fixture.0.into(), code_hash: v3.into() }]).await,
        Ok(()),
        "the swap itself runs v1's code"
    );
    for label in ["bump", "counter", "code_version", "admin"] {
        assert_traps(&h, fixture, label).await;
    }
    let rollback = Action::Upgrade { target: fixture.0.into(), code_hash: v1.into() };
    assert_eq!(pass(&h, vec![rollback]).await, Err(Error::ActionFailed { index: 0 }), "upgrade traps too: no way back");
    assert_traps(&h, fixture, "counter").await;
}

/// Both a dry run and a real call of `label` trap in the runtime.
async fn assert_traps(h: &Harness, fixture: AccountId, label: &str) {
    let read = h.chain.dry_run(h.dave.account_id(), fixture, 0, h.input("fixture-v3", label, ())).await;
    let call = h.chain.call(&h.dave, fixture, 0, h.input("fixture-v3", label, ())).await;
    for r in [read, call] {
        let err = r.expect_err(label).to_string();
        assert!(err.contains("ContractTrapped"), "{label}: {err}");
    }
}

/// The safe way: version 4 adds state in a new `Lazy` cell, keeps working on
/// version 1's state, and rolls back to version 1 with nothing lost.
#[tokio::test]
async fn state_added_in_a_new_lazy_cell_upgrades_and_rolls_back_safely() {
    let h = harness().await;
    let (fixture, v1) = fixture_v1(&h, b"fixture-v4").await;
    let v4 = upload(&h, "fixture-v4").await;
    let call = |label: &'static str| h.chain.call(&h.dave, fixture, 0, h.input("fixture-v4", label, ()));
    let read = |label: &'static str| h.chain.dry_run(h.dave.account_id(), fixture, 0, h.input("fixture-v4", label, ()));
    assert_eq!(pass(&h, vec![Action::Upgrade { target: fixture.0.into(), code_hash: v4.into() }]).await, Ok(()));
    assert_eq!(read("code_version").await.unwrap().decode::<u32>().unwrap(), 4);
    assert_eq!(read("counter").await.unwrap().decode::<u32>().unwrap(), 1, "v1's state reads under v4");
    assert_eq!(read("bumps_since_v4").await.unwrap().decode::<u32>().unwrap(), 0, "the new cell starts absent");
    assert_eq!(call("bump").await.unwrap().decode::<Result<u32, u8>>().unwrap(), Ok(2));
    assert_eq!(read("bumps_since_v4").await.unwrap().decode::<u32>().unwrap(), 1);

    let rollback = Action::Upgrade { target: fixture.0.into(), code_hash: v1.into() };
    assert_eq!(pass(&h, vec![rollback]).await, Ok(()));
    let v1_read = |label: &'static str| h.chain.dry_run(h.dave.account_id(), fixture, 0, h.input("fixture-v1", label, ()));
    assert_eq!(v1_read("code_version").await.unwrap().decode::<u32>().unwrap(), 1);
    assert_eq!(v1_read("counter").await.unwrap().decode::<u32>().unwrap(), 2, "nothing lost on the way back");
    let bumped = h.chain.call(&h.dave, fixture, 0, h.input("fixture-v1", "bump", ())).await.unwrap();
    assert_eq!(bumped.decode::<Result<u32, u8>>().unwrap(), Ok(3));
}
