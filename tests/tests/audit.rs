//! The audit's attacks, replayed against the real WASM on the embedded chain.
//! Each test fails without its fix (run against the contracts before it, or
//! with the fix reverted; see `docs/contracts/`):
//! a stale `Unpause`, an expired operation revived by a longer grace period,
//! griefed signature batches, a departed keeper counted by the circuit
//! breaker, slashing escaped by unbonding, a guardian vetoing its own removal,
//! a stolen batch id, LODE minted to the token itself, and one deployment
//! reused across chains.

use lode_deploy::DEV_CHAIN_ID;
use lode_governor::{Action, GovernorParams, ProposalState, Receipt, SignedBallot, Support};
use lode_keeper::chain::Chain;
use lode_keeper::keys::Signer;
use lode_primitives::LODE;
use lode_splitter::{Asset, OpState, Operation, Proposal};
use lode_staking::StakingParams;
use lode_tests::eip712::{ballot, governor_domain, sign_approval, splitter_domain};
use lode_tests::Harness;

/// Splitter timelock of these tests: 2 blocks (6 s each) of delay, 5 blocks to execute.
const MIN_DELAY_MS: u64 = 12_000;
const GRACE_MS: u64 = 30_000;
/// Governor latency 1 + 5 + 2 = 8 blocks; staking unbonds in 9.
const GOVERNOR: GovernorParams = lode_tests::TEST_GOVERNANCE;
const STAKING: StakingParams = StakingParams { unbonding_period: 9, min_keeper_bond: 100 * LODE, activation_delay: 1 };

type SplitterResult = Result<(), lode_splitter::Error>;

/// Alice stays admin (the governor's role), so she can lift a pause directly.
async fn splitter_harness() -> Harness {
    Harness::with(|c| {
        c.splitter.min_delay_ms = MIN_DELAY_MS;
        c.splitter.grace_period_ms = GRACE_MS;
        c.staking = STAKING;
        c.governor.params = GOVERNOR;
    })
    .await
}

/// The suite handed to the governor; bob stakes 300 LODE and carol 200.
async fn governed_harness() -> Harness {
    let h = Harness::with(|c| {
        c.hand_over_to_governor = true;
        c.staking = STAKING;
        c.governor.params = GOVERNOR;
    })
    .await;
    h.stake(&h.bob, 300 * LODE).await;
    h.stake(&h.carol, 200 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    h
}

async fn propose(h: &Harness, op: Operation) -> [u8; 32] {
    let r: Result<[u8; 32], lode_splitter::Error> = h.send(&h.alice, "splitter", "propose", op).await;
    r.unwrap()
}

async fn op_state(h: &Harness, op_id: [u8; 32]) -> OpState {
    h.read::<Option<(Proposal, OpState)>>("splitter", "operation", op_id).await.unwrap().unwrap().1
}

async fn approve_by(h: &Harness, op_id: [u8; 32], owners: &[&Signer]) {
    for owner in owners {
        h.send::<SplitterResult>(owner, "splitter", "approve", op_id).await.unwrap();
    }
}

async fn paused(h: &Harness) -> bool {
    h.read("splitter", "paused", ()).await.unwrap()
}

#[tokio::test]
async fn an_unpause_approved_for_an_earlier_pause_cannot_lift_a_later_one() {
    let h = splitter_harness().await;
    // Pause 1; the owners approve an Unpause for it.
    assert_eq!(h.send::<SplitterResult>(&h.carol, "splitter", "pause", ()).await, Ok(()));
    let unpause = propose(&h, Operation::Unpause).await;
    approve_by(&h, unpause, &[&h.alice, &h.bob]).await;
    h.chain.seal_blocks(2).await.unwrap();
    assert_eq!(op_state(&h, unpause).await, OpState::Ready);
    // The governor lifts pause 1 directly; the Unpause stays Ready.
    assert_eq!(h.send::<SplitterResult>(&h.alice, "splitter", "unpause", ()).await, Ok(()));
    // Pause 2: an owner pulls it over, say, a malicious SetSplit.
    assert_eq!(h.send::<SplitterResult>(&h.carol, "splitter", "pause", ()).await, Ok(()));
    // Anyone executing the old Unpause must not lift pause 2.
    let r: SplitterResult = h.send(&h.dave, "splitter", "execute", unpause).await;
    assert_eq!(r, Err(lode_splitter::Error::StaleUnpause));
    assert!(paused(&h).await, "pause 2 still holds");
    // An Unpause proposed now answers pause 2, and lifts it.
    let fresh = propose(&h, Operation::Unpause).await;
    approve_by(&h, fresh, &[&h.alice, &h.bob]).await;
    h.chain.seal_blocks(2).await.unwrap();
    assert_eq!(h.send::<SplitterResult>(&h.dave, "splitter", "execute", fresh).await, Ok(()));
    assert!(!paused(&h).await);
    // Unpausing what is not paused is refused at once, not left to wait for a pause.
    let r: Result<[u8; 32], lode_splitter::Error> = h.send(&h.alice, "splitter", "propose", Operation::Unpause).await;
    assert_eq!(r, Err(lode_splitter::Error::NotPaused));
}

#[tokio::test]
async fn raising_the_grace_period_does_not_revive_an_expired_operation() {
    let h = splitter_harness().await;
    let guardian = Operation::SetGuardian { guardian: Some(h.dave.account_id().0.into()) };
    let old = propose(&h, guardian).await;
    approve_by(&h, old, &[&h.alice, &h.bob]).await; // ready at T+12 s, expires at T+42 s
    h.chain.seal_blocks(3).await.unwrap();
    let longer = propose(&h, Operation::SetTimelock { min_delay: MIN_DELAY_MS, grace_period: 600_000 }).await;
    approve_by(&h, longer, &[&h.alice, &h.bob]).await; // ready at T+30 s, expires at T+60 s
    h.chain.seal_blocks(5).await.unwrap(); // T+48 s
    assert_eq!(op_state(&h, old).await, OpState::Expired);
    assert_eq!(h.send::<SplitterResult>(&h.dave, "splitter", "execute", longer).await, Ok(()));
    assert_eq!(op_state(&h, old).await, OpState::Expired, "its window was fixed when it was queued");
    assert_eq!(h.send::<SplitterResult>(&h.dave, "splitter", "execute", old).await, Err(lode_splitter::Error::Expired));
}

#[tokio::test]
async fn a_front_run_or_surplus_signature_is_skipped_and_the_rest_still_count() {
    let h = splitter_harness().await;
    let splitter = h.address("splitter");
    let d = splitter_domain(DEV_CHAIN_ID, splitter);
    let op_id = propose(&h, Operation::SetGuardian { guardian: None }).await;
    let deadline = h.deadline().await;
    let [alice, bob, carol] = ["alice", "bob", "carol"].map(|n| sign_approval(n, &d, op_id, 0, deadline));
    // A griefer copies bob's signature out of the pending batch and relays it first.
    assert_eq!(h.send::<SplitterResult>(&h.dave, "splitter", "approve_by_signatures", (op_id, vec![bob.clone()])).await, Ok(()));
    // A forged signature still refuses the whole batch, and nothing counts.
    let mut forged = carol.clone();
    forged.signature = [0xff; 65];
    let r: SplitterResult = h.send(&h.dave, "splitter", "approve_by_signatures", (op_id, vec![alice.clone(), forged])).await;
    assert_eq!(r, Err(lode_splitter::Error::InvalidSignature { index: 1 }));
    assert_eq!(op_state(&h, op_id).await, OpState::Pending);

    // The relayer's batch: alice counts and reaches the threshold; bob (already
    // counted) and carol (past the threshold) are skipped and reported.
    let out =
        h.chain.call(&h.dave, splitter, 0, h.input("splitter", "approve_by_signatures", (op_id, vec![alice, bob, carol]))).await.unwrap();
    assert_eq!(out.decode::<SplitterResult>().unwrap(), Ok(()));
    assert_eq!(op_state(&h, op_id).await, OpState::Queued);
    let skipped: Vec<_> = out.events.iter().filter(|e| h.registry.is(e, "splitter", "VoteSkipped")).collect();
    assert_eq!(skipped.len(), 2, "one event per skipped signature");
    assert_eq!(h.read::<u64>("splitter", "vote_nonce", h.carol.account_id().0).await.unwrap(), 0, "a skipped vote uses no nonce");
}

fn set_unbonding(h: &Harness, period: u32) -> Action {
    h.action("staking", "set_params", StakingParams { unbonding_period: period, ..STAKING })
}

async fn propose_gov(h: &Harness, actions: Vec<Action>) -> u64 {
    let r: Result<u64, lode_governor::Error> = h.send(&h.bob, "governor", "propose", (actions, String::from("audit"))).await;
    r.unwrap()
}

#[tokio::test]
async fn a_ballot_copied_out_of_a_batch_and_relayed_first_does_not_sink_the_batch() {
    let h = governed_harness().await;
    let governor = h.address("governor");
    let d = governor_domain(DEV_CHAIN_ID, governor);
    let id = propose_gov(&h, vec![set_unbonding(&h, 12)]).await;
    h.chain.seal_blocks(1).await.unwrap();
    let deadline = h.deadline().await;
    let bob = ballot("bob", &d, id, Support::For, 0, deadline);
    let carol = ballot("carol", &d, id, Support::Against, 0, deadline);
    let relay = |ballots: Vec<SignedBallot>| h.chain.call(&h.dave, governor, 0, h.input("governor", "cast_votes_by_sig", ballots));
    // The griefer relays carol's ballot first.
    assert_eq!(relay(vec![carol.clone()]).await.unwrap().decode::<Result<u32, lode_governor::Error>>().unwrap(), Ok(1));
    let out = relay(vec![bob, carol]).await.unwrap();
    assert_eq!(out.decode::<Result<u32, lode_governor::Error>>().unwrap(), Ok(1), "bob's ballot counts");
    assert_eq!(out.events.iter().filter(|e| h.registry.is(e, "governor", "BallotSkipped")).count(), 1);
    let receipt: Option<Receipt> = h.read("governor", "receipt", (id, h.bob.account_id().0)).await.unwrap();
    assert_eq!(receipt, Some(Receipt { support: Support::For, weight: 300 * LODE }));
}

#[tokio::test]
async fn a_keeper_that_left_does_not_count_toward_the_circuit_breaker() {
    let h = Harness::with(|c| {
        c.hand_over_to_governor = true;
        c.staking = STAKING;
        c.governor.params = GOVERNOR;
        c.alerts = lode_alerts::AlertsParams { max_per_window: 3, window_blocks: 20, pause_quorum: 2 };
    })
    .await;
    for keeper in [&h.bob, &h.carol] {
        h.stake(keeper, 100 * LODE).await;
    }
    h.chain.seal_blocks(2).await.unwrap();
    let splitter = h.address("splitter");
    let raise = |keeper| {
        h.send::<Result<u64, lode_alerts::Error>>(
            keeper,
            "alerts",
            "raise",
            (lode_alerts::AlertKind::Exploit, lode_alerts::Severity::Critical, Some(splitter.0), [7u8; 32]),
        )
    };
    raise(&h.bob).await.unwrap();
    // Bob unbonds his whole bond: he is no keeper any more (his LODE could now
    // move to another account and bond again).
    h.send::<Result<u32, lode_staking::Error>>(&h.bob, "staking", "unbond", 100 * LODE).await.unwrap();
    assert!(!h.read::<bool>("staking", "is_keeper", h.bob.account_id().0).await.unwrap());
    raise(&h.carol).await.unwrap();
    assert!(!paused(&h).await, "one bonded keeper is below the quorum of two");
}

#[tokio::test]
async fn governance_slower_than_unbonding_is_refused_by_the_governor_and_the_deployer() {
    let h = Harness::with(|c| {
        c.staking = STAKING;
        c.governor.params = GOVERNOR;
    })
    .await;
    // Staking unbonds in 9 blocks; a governor with latency 1 + 6 + 2 = 9 would
    // let a keeper unbond and withdraw the block a slash could execute.
    let slow = GovernorParams { voting_period: 6, ..GOVERNOR };
    let code_hash = h.deployed.contracts.iter().find(|c| c.name == "governor").unwrap().code_hash;
    let input = h
        .suite
        .constructor_input("governor", "new", (h.address("staking").0, DEV_CHAIN_ID, slow, None::<[u8; 32]>, Vec::<[u8; 32]>::new()))
        .unwrap();
    let refused = h.chain.instantiate(&h.alice, code_hash, 0, input, b"slow".to_vec()).await;
    let err = refused.expect_err("the governor refuses it").to_string();
    assert!(err.contains("reverted"), "{err}");

    // The deployer says so before deploying anything.
    let mut config = h.config.clone();
    config.staking.unbonding_period = 8;
    config.salt = b"second".to_vec();
    let r = lode_keeper::contracts::deploy_suite(h.chain.clone(), &h.alice, &h.suite, &config).await;
    let err = r.expect_err("the deployer refuses it").to_string();
    assert!(err.contains("staking.unbonding_period (8) must exceed the governor's latency"), "{err}");
}

#[tokio::test]
async fn a_keeper_that_unbonds_cannot_escape_a_slash_and_governance_cannot_shorten_unbonding() {
    let h = governed_harness().await;
    h.stake(&h.dave, 100 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    // Dave misbehaves and unbonds at once; a slash is proposed in the same block.
    let unlock: Result<u32, lode_staking::Error> = h.send(&h.dave, "staking", "unbond", 100 * LODE).await;
    let unlock = unlock.unwrap();
    let slash = h.action("staking", "slash", (h.dave.account_id().0, 100 * LODE, String::from("misbehaved")));
    let treasury_before = h.lode(h.treasury.account_id()).await;
    let (_, executed) = h.pass_proposal(vec![slash]).await;
    assert_eq!(executed, Ok(()));
    assert!(h.block().await < unlock, "the slash executed before the stake unlocked");
    assert_eq!(h.lode(h.treasury.account_id()).await, treasury_before + 100 * LODE);
    h.advance_to(unlock).await;
    let r: Result<u128, lode_staking::Error> = h.send(&h.dave, "staking", "withdraw_unbonded", ()).await;
    assert!(r.is_err(), "nothing is left to withdraw: {r:?}");

    // Governance cannot open the escape again: neither a shorter unbonding
    // period nor a longer governor latency.
    let (_, r) = h.pass_proposal(vec![set_unbonding(&h, 8)]).await;
    assert_eq!(r, Err(lode_governor::Error::SlashingEscapable { unbonding_period: 8, latency: 8 }));
    let slower = h.action("governor", "set_params", GovernorParams { voting_period: 6, ..GOVERNOR });
    let (_, r) = h.pass_proposal(vec![slower]).await;
    assert_eq!(r, Err(lode_governor::Error::ActionFailed { index: 0 }));
    assert_eq!(h.read::<StakingParams>("staking", "params", ()).await.unwrap(), STAKING);
}

#[tokio::test]
async fn the_guardian_cannot_veto_its_own_removal_but_vetoes_anything_more() {
    let h = governed_harness().await;
    let remove = h.action("governor", "set_guardian", None::<[u8; 32]>);
    let only_removal = propose_gov(&h, vec![remove.clone()]).await;
    let mixed = propose_gov(&h, vec![remove, set_unbonding(&h, 12)]).await;
    let veto = |id| h.send::<Result<(), lode_governor::Error>>(&h.alice, "governor", "veto", id);
    assert_eq!(veto(only_removal).await, Err(lode_governor::Error::GuardianChangeNotVetoable));
    assert_eq!(veto(mixed).await, Ok(()), "a removal bundled with anything else stays vetoable");
    let state: Option<ProposalState> = h.read("governor", "state", only_removal).await.unwrap();
    assert_eq!(state, Some(ProposalState::Pending));
    let (_, r) = h.pass_proposal(vec![h.action("governor", "set_guardian", None::<[u8; 32]>)]).await;
    assert_eq!(r, Ok(()));
    assert_eq!(h.read::<Option<[u8; 32]>>("governor", "guardian", ()).await.unwrap(), None);
}

#[tokio::test]
async fn another_keeper_cannot_take_a_keepers_batch_id() {
    let h = splitter_harness().await;
    for keeper in [&h.bob, &h.carol] {
        h.stake(keeper, 100 * LODE).await;
    }
    h.chain.seal_blocks(1).await.unwrap();
    let batch = [0xb0u8; 32];
    let settle =
        |keeper| h.send::<Result<u128, lode_splitter::Error>>(keeper, "splitter", "settle", (batch, Asset::Lode, Vec::<[u8; 32]>::new()));
    // Carol front-runs bob's batch id with an empty settle.
    assert_eq!(settle(&h.carol).await, Ok(0));
    assert_eq!(settle(&h.bob).await, Ok(0), "bob's batch ids are his own");
    assert_eq!(settle(&h.bob).await, Err(lode_splitter::Error::BatchAlreadySettled));
    assert!(h.read::<bool>("splitter", "batch_settled", (h.bob.account_id().0, batch)).await.unwrap());
}

#[tokio::test]
async fn lode_cannot_be_mined_to_the_token_itself() {
    use lode_primitives::pow;
    use sha3::{Digest, Keccak256};
    let h = Harness::new().await;
    let token = h.address("token");
    let state: lode_token::MiningState = h.read("token", "mining_state", ()).await.unwrap();
    let nonce = (0u64..)
        .map(pow::counter_nonce)
        .find(|n| pow::meets_target(&Keccak256::digest(pow::preimage(&state.challenge, &token.0, n)).into(), &state.target))
        .unwrap();
    let r: Result<u128, lode_token::Error> = h.send(&h.alice, "token", "mine", (state.challenge, nonce, token.0)).await;
    assert_eq!(r, Err(lode_token::Error::InvalidBeneficiary));
    assert_eq!(h.lode(token).await, 0);
}

#[tokio::test]
async fn the_deployment_salt_carries_the_chains_genesis_hash() {
    let h = Harness::new().await;
    let genesis = h.chain.genesis_hash().await.unwrap();
    let token = h.deployed.contracts.iter().find(|c| c.name == "token").unwrap().clone();
    let c = &h.config;
    let input =
        h.suite.constructor_input("token", "new", (c.treasury.0, c.genesis_supply, c.supply_cap, c.mining, c.initial_target)).unwrap();
    // The suite's token took salt ‖ genesis: the same deployer, code, input and salt collide with it...
    let again = h.chain.instantiate(&h.alice, token.code_hash, 0, input.clone(), lode_deploy::deploy_salt(&c.salt, &genesis)).await;
    let err = again.expect_err("the same address twice").to_string();
    assert!(err.contains("DuplicateContract"), "{err}");
    // ...while on a chain with another genesis the same deployment lands elsewhere.
    let other = h.chain.instantiate(&h.alice, token.code_hash, 0, input, lode_deploy::deploy_salt(&c.salt, &[0x42; 32])).await.unwrap();
    assert_ne!(other.address, token.address);
}
