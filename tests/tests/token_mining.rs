//! Proof-of-work minting against the real token WASM on the embedded chain.

use lode_keeper::chain::Chain;
use lode_primitives::pow;
use lode_tests::Harness;
use lode_token::{Error as TokenError, MiningState};
use scale::Decode;
use sha3::{Digest, Keccak256};

fn keccak(input: &[u8]) -> [u8; 32] {
    Keccak256::digest(input).into()
}

/// A real search from nonce 0: the first nonce whose digest does (`wanted`) or
/// does not meet the target, with that digest.
fn search(state: &MiningState, beneficiary: &[u8; 32], wanted: bool) -> ([u8; 32], [u8; 32]) {
    (0u64..)
        .map(|n| {
            let nonce = pow::counter_nonce(n);
            (nonce, keccak(&pow::preimage(&state.challenge, beneficiary, &nonce)))
        })
        .find(|(_, digest)| pow::meets_target(digest, &state.target) == wanted)
        .expect("the search space is large enough")
}

#[derive(Debug, Decode)]
struct Mined {
    beneficiary: [u8; 32],
    reward: u128,
    digest: [u8; 32],
    epoch: u32,
}

#[tokio::test]
async fn a_real_search_mints_lode_to_the_beneficiary() {
    let h = Harness::new().await;
    let state: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    assert_eq!(state.target, h.config.initial_target);
    let beneficiary = h.bob.account_id();
    let (nonce, digest) = search(&state, &beneficiary.0, true);

    // Anyone may submit; alice relays bob's solution and bob gets paid.
    let input = h.input("token", "mine", (state.challenge, nonce, beneficiary.0));
    let dry = h.chain.dry_run(h.alice.account_id(), h.address("token"), 0, input.clone()).await.unwrap();
    eprintln!("weight of mine: {} (required {})", dry.weight_consumed, dry.weight_required);
    let out = h.chain.call(&h.alice, h.address("token"), 0, input.clone()).await.unwrap();
    assert!(!out.reverted);
    assert_eq!(out.decode::<Result<u128, TokenError>>().unwrap(), Ok(state.reward));
    let balance: u128 = h.read("token", "PSP22::balance_of", beneficiary.0).await.unwrap();
    assert_eq!(balance, h.config.mining.initial_reward);

    let mined = out.events.iter().find(|e| h.registry.is(e, "token", "Mined")).expect("Mined event");
    let mined = Mined::decode(&mut &mined.data[..]).unwrap();
    assert_eq!((mined.beneficiary, mined.reward, mined.digest, mined.epoch), (beneficiary.0, state.reward, digest, 0));

    let next: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    assert_eq!(next.challenge, keccak(&pow::rotation_preimage(&state.challenge, &digest)), "reproducible from the event");
    assert_eq!(next.mint_count, 1);

    let replay = h.chain.call(&h.alice, h.address("token"), 0, input).await.unwrap();
    assert!(replay.reverted);
    assert_eq!(replay.decode::<Result<u128, TokenError>>().unwrap(), Err(TokenError::StaleChallenge));
}

#[tokio::test]
async fn an_invalid_solution_is_rejected_and_changes_nothing() {
    let h = Harness::new().await;
    let state: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    let beneficiary = h.bob.account_id().0;
    let (nonce, _) = search(&state, &beneficiary, false);
    let out = h.chain.call(&h.alice, h.address("token"), 0, h.input("token", "mine", (state.challenge, nonce, beneficiary))).await.unwrap();
    assert_eq!(out.decode::<Result<u128, TokenError>>().unwrap(), Err(TokenError::InvalidSolution));
    let after: MiningState = h.read("token", "mining_state", ()).await.unwrap();
    assert_eq!(after, state);
}

#[tokio::test]
async fn transfer_weight_is_measured_by_dry_run() {
    let h = Harness::new().await;
    let input = h.input("token", "PSP22::transfer", (h.bob.account_id().0, 1u128, Vec::<u8>::new()));
    let dry = h.chain.dry_run(h.treasury.account_id(), h.address("token"), 0, input).await.unwrap();
    eprintln!("weight of PSP22::transfer: {} (required {})", dry.weight_consumed, dry.weight_required);
    assert!(dry.weight_consumed.ref_time > 0 && dry.weight_consumed.proof_size > 0);
}
