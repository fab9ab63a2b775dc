//! Staking against the real staking and token WASM on the embedded chain.

use lode_keeper::chain::Chain;
use lode_keeper::keys::Signer;
use lode_staking::{AccountInfo, Chunk, Error, RewardStream, StakingParams, MAX_UNBONDING_CHUNKS};
use lode_tests::Harness;

use lode_primitives::LODE;

/// Short periods so tests seal few blocks: unbonding 5 blocks, keepers bond
/// 100 LODE for 3 blocks.
async fn harness() -> Harness {
    Harness::with(|c| c.staking = StakingParams { unbonding_period: 5, min_keeper_bond: 100 * LODE, activation_delay: 3 }).await
}

async fn account(h: &Harness, who: &Signer) -> AccountInfo {
    h.read("staking", "account", who.account_id().0).await.unwrap()
}

async fn stake(h: &Harness, who: &Signer, amount: u128) -> Result<(), Error> {
    h.send(who, "staking", "stake", amount).await
}

async fn unbond(h: &Harness, who: &Signer, amount: u128) -> Result<u32, Error> {
    h.send(who, "staking", "unbond", amount).await
}

async fn power_at(h: &Harness, who: &Signer, block: u32) -> u128 {
    let r: Result<u128, Error> = h.read("staking", "voting_power_at", (who.account_id().0, block)).await.unwrap();
    r.unwrap()
}

async fn total_at(h: &Harness, block: u32) -> u128 {
    let r: Result<u128, Error> = h.read("staking", "total_power_at", block).await.unwrap();
    r.unwrap()
}

async fn is_keeper(h: &Harness, who: &Signer) -> bool {
    h.read("staking", "is_keeper", who.account_id().0).await.unwrap()
}

fn chunks(list: &[(u128, u32)]) -> Vec<Chunk> {
    list.iter().map(|&(value, unlock_at)| Chunk { value, unlock_at }).collect()
}

#[tokio::test]
async fn stake_pulls_lode_and_unbonding_releases_it_after_the_period() {
    let h = harness().await;
    let staking = h.address("staking");
    let bob = &h.bob;

    // Without an allowance the token refuses, and nothing changes.
    let r: Result<(), lode_token::PSP22Error> =
        h.send(&h.treasury, "token", "PSP22::transfer", (bob.account_id().0, 1_000 * LODE, Vec::<u8>::new())).await;
    r.unwrap();
    assert_eq!(stake(&h, bob, 10 * LODE).await, Err(Error::InsufficientAllowance));
    assert_eq!(h.lode(bob.account_id()).await, 1_000 * LODE);
    assert_eq!(account(&h, bob).await.ledger.active, 0);

    h.fund_staker(bob, 0).await; // approval only
    assert_eq!(stake(&h, bob, 1_001 * LODE).await, Err(Error::InsufficientBalance));
    assert_eq!(stake(&h, bob, 0).await, Err(Error::ZeroAmount));
    assert_eq!(stake(&h, bob, 600 * LODE).await, Ok(()));
    assert_eq!(h.lode(bob.account_id()).await, 400 * LODE);
    assert_eq!(h.lode(staking).await, 600 * LODE);

    let b = h.block().await;
    assert_eq!(unbond(&h, bob, 601 * LODE).await, Err(Error::InsufficientActive));
    assert_eq!(unbond(&h, bob, 200 * LODE).await, Ok(b + 5));
    let info = account(&h, bob).await;
    assert_eq!((info.ledger.active, info.ledger.unbonding.clone()), (400 * LODE, chunks(&[(200 * LODE, b + 5)])));
    assert_eq!(info.voting_power, 400 * LODE, "unbonding stake does not vote");

    h.advance_to(b + 4).await;
    assert_eq!(h.send::<Result<u128, Error>>(bob, "staking", "withdraw_unbonded", ()).await, Err(Error::NothingToWithdraw));
    h.advance_to(b + 5).await;
    assert_eq!(account(&h, bob).await.withdrawable, 200 * LODE);
    assert_eq!(h.send::<Result<u128, Error>>(bob, "staking", "withdraw_unbonded", ()).await, Ok(200 * LODE));
    assert_eq!(h.lode(bob.account_id()).await, 600 * LODE);
    assert_eq!(h.read::<u128>("staking", "total_unbonding", ()).await.unwrap(), 0);
}

#[tokio::test]
async fn the_unbonding_queue_holds_32_chunks_and_rebond_takes_the_newest() {
    let h = harness().await;
    let bob = &h.bob;
    h.fund_staker(bob, 100).await;
    stake(&h, bob, 100).await.unwrap();
    let first = h.block().await;
    for i in 0..MAX_UNBONDING_CHUNKS as u32 {
        h.advance_to(first + i).await;
        // Two unbonds in one block share a chunk.
        unbond(&h, bob, 1).await.unwrap();
        unbond(&h, bob, 1).await.unwrap();
    }
    h.advance_to(first + MAX_UNBONDING_CHUNKS as u32).await;
    assert_eq!(unbond(&h, bob, 1).await, Err(Error::TooManyChunks));
    let info = account(&h, bob).await;
    assert_eq!(info.ledger.unbonding.len(), MAX_UNBONDING_CHUNKS);
    assert_eq!(info.ledger.active, 100 - 2 * MAX_UNBONDING_CHUNKS as u128);

    assert_eq!(h.send::<Result<(), Error>>(bob, "staking", "rebond", 65u128).await, Err(Error::InsufficientUnbonding));
    assert_eq!(h.send::<Result<(), Error>>(bob, "staking", "rebond", 3u128).await, Ok(()));
    let info = account(&h, bob).await;
    let last = first + MAX_UNBONDING_CHUNKS as u32 - 1;
    assert_eq!(info.ledger.unbonding.len(), MAX_UNBONDING_CHUNKS - 1, "the newest chunk went, then one from the next");
    assert_eq!(info.ledger.unbonding.last(), Some(&Chunk { value: 1, unlock_at: last - 1 + 5 }));
    assert_eq!(info.ledger.active, 100 - 2 * MAX_UNBONDING_CHUNKS as u128 + 3);
    assert_eq!(unbond(&h, bob, 1).await.map(|_| ()), Ok(()), "a freed slot can be used again");
}

#[tokio::test]
async fn slash_takes_active_stake_then_the_newest_chunks_and_pays_the_treasury() {
    let h = harness().await;
    let bob = &h.bob;
    h.fund_staker(bob, 100 * LODE).await;
    stake(&h, bob, 100 * LODE).await.unwrap();
    let b = h.block().await;
    unbond(&h, bob, 30 * LODE).await.unwrap();
    h.advance_to(b + 1).await;
    unbond(&h, bob, 20 * LODE).await.unwrap();
    let treasury_before = h.lode(h.treasury.account_id()).await;

    let reason = "double-signed settlement batch 7".to_string();
    let r: Result<u128, Error> = h.send(&h.bob, "staking", "slash", (bob.account_id().0, 70 * LODE, reason.clone())).await;
    assert_eq!(r, Err(Error::NotAdmin));
    let out = h
        .chain
        .call(&h.alice, h.address("staking"), 0, h.input("staking", "slash", (bob.account_id().0, 70 * LODE, reason)))
        .await
        .unwrap();
    assert_eq!(out.decode::<Result<u128, Error>>().unwrap(), Ok(70 * LODE));
    assert!(out.events.iter().any(|e| h.registry.is(e, "staking", "Slashed")));

    let info = account(&h, bob).await;
    assert_eq!(info.ledger.active, 0);
    assert_eq!(info.ledger.unbonding, chunks(&[(30 * LODE, b + 5)]), "the newer 20 went first");
    assert_eq!(info.voting_power, 0);
    assert_eq!(h.lode(h.treasury.account_id()).await, treasury_before + 70 * LODE);
    assert_eq!(h.read::<u128>("staking", "total_active", ()).await.unwrap(), 0);
    assert_eq!(h.read::<u128>("staking", "total_unbonding", ()).await.unwrap(), 30 * LODE);

    // Asking for more than is left takes what is left.
    let r: Result<u128, Error> = h.send(&h.alice, "staking", "slash", (bob.account_id().0, 1_000 * LODE, String::new())).await;
    assert_eq!(r, Ok(30 * LODE));
    let r: Result<u128, Error> = h.send(&h.alice, "staking", "slash", (bob.account_id().0, 1u128, String::new())).await;
    assert_eq!(r, Err(Error::NothingToSlash));
    assert_eq!(h.lode(h.address("staking")).await, 0);
}

#[tokio::test]
async fn keepers_activate_after_the_bond_delay_and_jail_stops_them() {
    let h = harness().await;
    let bob = &h.bob;
    h.fund_staker(bob, 200 * LODE).await;
    stake(&h, bob, 99 * LODE).await.unwrap();
    h.advance_to(h.block().await + 10).await;
    assert!(!is_keeper(&h, bob).await, "below the minimum bond, however long");

    stake(&h, bob, LODE).await.unwrap();
    let b = h.block().await;
    assert_eq!(account(&h, bob).await.keeper_since, Some(b));
    h.advance_to(b + 2).await;
    assert!(!is_keeper(&h, bob).await, "activation delay not over");
    h.advance_to(b + 3).await;
    assert!(is_keeper(&h, bob).await);
    // Topping up does not restart the clock.
    stake(&h, bob, 50 * LODE).await.unwrap();
    assert!(is_keeper(&h, bob).await);

    assert_eq!(h.send::<Result<(), Error>>(&h.alice, "staking", "jail", bob.account_id().0).await, Ok(()));
    assert!(!is_keeper(&h, bob).await);
    assert!(account(&h, bob).await.jailed);
    assert_eq!(h.send::<Result<(), Error>>(&h.alice, "staking", "unjail", bob.account_id().0).await, Ok(()));
    assert!(is_keeper(&h, bob).await);

    // Dropping below the bond resets the clock; bonding again starts it over.
    unbond(&h, bob, 51 * LODE).await.unwrap();
    assert!(!is_keeper(&h, bob).await);
    h.advance_to(h.block().await + 1).await;
    stake(&h, bob, 49 * LODE).await.unwrap();
    let again = h.block().await;
    assert!(!is_keeper(&h, bob).await);
    h.advance_to(again + 3).await;
    assert!(is_keeper(&h, bob).await);
}

#[tokio::test]
async fn delegation_moves_voting_power_and_checkpoints_answer_past_blocks() {
    let h = harness().await;
    let (bob, carol) = (&h.bob, &h.carol);
    h.fund_staker(bob, 100).await;
    h.fund_staker(carol, 50).await;

    let b1 = h.block().await;
    stake(&h, bob, 100).await.unwrap();
    h.advance_to(b1 + 1).await;
    stake(&h, carol, 50).await.unwrap();
    h.advance_to(b1 + 2).await;
    assert_eq!(h.send::<Result<(), Error>>(bob, "staking", "delegate", carol.account_id().0).await, Ok(()));
    assert_eq!(h.read::<[u8; 32]>("staking", "delegates", bob.account_id().0).await.unwrap(), carol.account_id().0);
    h.advance_to(b1 + 3).await;
    // Bob's stake still moves carol's power after delegating; two changes in
    // one block leave one checkpoint holding the final value.
    unbond(&h, bob, 20).await.unwrap();
    unbond(&h, bob, 20).await.unwrap();
    assert_eq!(h.read::<u32>("staking", "checkpoint_count", carol.account_id().0).await.unwrap(), 3);
    h.advance_to(b1 + 5).await;

    let past = |who: &'static str, block| {
        let s = if who == "bob" { &h.bob } else { &h.carol };
        power_at(&h, s, block)
    };
    assert_eq!(past("bob", b1 - 1).await, 0, "before the first change");
    assert_eq!(past("bob", b1).await, 100, "at a change");
    assert_eq!(past("bob", b1 + 1).await, 100);
    assert_eq!(past("bob", b1 + 2).await, 0, "delegated away");
    assert_eq!(past("carol", b1 + 1).await, 50);
    assert_eq!(past("carol", b1 + 2).await, 150);
    assert_eq!(past("carol", b1 + 3).await, 110);
    assert_eq!(past("carol", b1 + 4).await, 110, "after the last change");
    for (block, total) in [(b1 - 1, 0), (b1, 100), (b1 + 1, 150), (b1 + 2, 150), (b1 + 3, 110), (b1 + 4, 110)] {
        assert_eq!(total_at(&h, block).await, total, "total at block {block}");
        assert_eq!(past("bob", block).await + past("carol", block).await, total, "Σ power = total at block {block}");
    }

    let now = h.block().await;
    let r: Result<u128, Error> = h.read("staking", "total_power_at", now).await.unwrap();
    assert_eq!(r, Err(Error::FutureLookup), "the open block may still change");

    // Taking the vote back.
    assert_eq!(h.send::<Result<(), Error>>(bob, "staking", "delegate", bob.account_id().0).await, Ok(()));
    assert_eq!(account(&h, bob).await.voting_power, 60);
    assert_eq!(account(&h, carol).await.voting_power, 50);
}

#[tokio::test]
async fn rewards_stream_pro_rata_and_what_accrues_with_nobody_staked_carries_over() {
    let h = harness().await;
    let (alice, bob, carol) = (&h.alice, &h.bob, &h.carol);
    let staking = h.address("staking");
    let notify = |amount: u128, duration: u32| h.send::<Result<(), Error>>(alice, "staking", "notify_reward", (amount, duration));
    let send_to_staking = |amount: u128| {
        h.send::<Result<(), lode_token::PSP22Error>>(&h.treasury, "token", "PSP22::transfer", (staking.0, amount, Vec::<u8>::new()))
    };

    // Not backed by tokens held: refused.
    assert_eq!(notify(100 * LODE, 10).await, Err(Error::RewardNotFunded));
    send_to_staking(100 * LODE).await.unwrap();
    assert_eq!(notify(101 * LODE, 10).await, Err(Error::RewardNotFunded));
    assert_eq!(h.send::<Result<(), Error>>(bob, "staking", "notify_reward", (LODE, 10u32)).await, Err(Error::NotAdmin));

    // Funded with nobody staked: 10 LODE per block for 10 blocks.
    let start = h.block().await;
    assert_eq!(notify(100 * LODE, 10).await, Ok(()));
    h.fund_staker(bob, 100 * LODE).await;
    h.advance_to(start + 4).await;
    let state: RewardStream = h.read("staking", "reward_state", ()).await.unwrap();
    assert_eq!(state.carry, 40 * LODE, "four blocks released to nobody are carried");
    stake(&h, bob, 100 * LODE).await.unwrap();
    h.advance_to(start + 20).await;
    let earned: u128 = h.read("staking", "earned", bob.account_id().0).await.unwrap();
    assert!((100 * LODE - 10..=100 * LODE).contains(&earned), "bob got the whole funding, carry included: {earned}");
    let bob_before = h.lode(bob.account_id()).await;
    assert_eq!(h.send::<Result<u128, Error>>(bob, "staking", "claim", ()).await, Ok(earned));
    assert_eq!(h.lode(bob.account_id()).await, bob_before + earned);
    assert_eq!(h.send::<Result<u128, Error>>(bob, "staking", "claim", ()).await, Ok(0));

    // Pro rata: carol stakes three times bob's stake; a 400 LODE funding over 4 blocks.
    h.fund_staker(carol, 300 * LODE).await;
    stake(&h, carol, 300 * LODE).await.unwrap();
    send_to_staking(400 * LODE).await.unwrap();
    let funded_at = h.block().await;
    assert_eq!(notify(400 * LODE, 4).await, Ok(()));
    h.advance_to(funded_at + 10).await;
    let bob_earned: u128 = h.read("staking", "earned", bob.account_id().0).await.unwrap();
    let carol_earned: u128 = h.read("staking", "earned", carol.account_id().0).await.unwrap();
    // The 4 units carried from the first funding's division ride along: 101 per block over 4.
    assert_eq!(carol_earned, 3 * bob_earned);
    assert!((100 * LODE..=100 * LODE + 1).contains(&bob_earned), "{bob_earned}");

    // Compounding bonds the reward without moving tokens.
    let held = h.lode(staking).await;
    assert_eq!(h.send::<Result<u128, Error>>(carol, "staking", "compound", ()).await, Ok(carol_earned));
    let info = account(&h, carol).await;
    assert_eq!((info.ledger.active, info.voting_power, info.earned), (300 * LODE + carol_earned, 300 * LODE + carol_earned, 0));
    assert_eq!(h.lode(staking).await, held);
}

#[tokio::test]
async fn upgrade_is_admin_only_and_keeps_state() {
    let h = harness().await;
    h.fund_staker(&h.bob, 10).await;
    stake(&h, &h.bob, 10).await.unwrap();
    let own = h.deployed.contracts.iter().find(|c| c.name == "staking").unwrap().code_hash;
    let r: Result<(), Error> = h.send(&h.bob, "staking", "upgrade", own).await;
    assert_eq!(r, Err(Error::NotAdmin));
    let r: Result<(), Error> = h.send(&h.alice, "staking", "upgrade", [9u8; 32]).await;
    assert_eq!(r, Err(Error::UnknownCodeHash));
    let r: Result<(), Error> = h.send(&h.alice, "staking", "upgrade", own).await;
    assert_eq!(r, Ok(()));
    assert_eq!(account(&h, &h.bob).await.ledger.active, 10, "state survives the code swap");
    assert_eq!(h.read::<u32>("staking", "code_version", ()).await.unwrap(), 2);
}

#[tokio::test]
async fn stake_weight_is_measured_by_dry_run() {
    let h = harness().await;
    h.fund_staker(&h.bob, 100 * LODE).await;
    let input = h.input("staking", "stake", 100 * LODE);
    let dry = h.chain.dry_run(h.bob.account_id(), h.address("staking"), 0, input).await.unwrap();
    assert!(!dry.reverted);
    eprintln!("weight of stake: {} (required {})", dry.weight_consumed, dry.weight_required);
    assert!(dry.weight_consumed.ref_time > 0 && dry.weight_consumed.proof_size > 0);
}
