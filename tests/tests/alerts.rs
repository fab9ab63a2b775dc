//! Alerts and the circuit breaker against the real WASM, across contracts:
//! keepers' Critical alerts pause the splitter, and governance lifts the pause.

use lode_alerts::{Alert, AlertKind, AlertsParams, Anchor, Error, Severity};
use lode_governor::{Action, GovernorParams, ProposalState};
use lode_keeper::chain::{AccountId, Chain};
use lode_keeper::keys::Signer;
use lode_splitter::Asset;
use lode_staking::StakingParams;
use lode_tests::Harness;

use lode_primitives::LODE;
const WINDOW: u32 = 10;

/// The wired suite; bob, carol and dave are bonded keepers (and voters).
async fn harness() -> Harness {
    let h = Harness::with(|c| {
        c.hand_over_to_governor = true;
        // Unbonding must outlast the governor's latency, 1 + 3 + 1 blocks.
        c.staking = StakingParams { unbonding_period: 6, min_keeper_bond: 100 * LODE, activation_delay: 1 };
        c.alerts = AlertsParams { max_per_window: 3, window_blocks: WINDOW, pause_quorum: 2 };
        c.governor.params = GovernorParams {
            voting_delay: 1,
            voting_period: 3,
            proposal_threshold: 100 * LODE,
            quorum_bps: 2_000,
            timelock_delay: 1,
            grace_period: 5,
        };
    })
    .await;
    for keeper in [&h.bob, &h.carol, &h.dave] {
        h.stake(keeper, 100 * LODE).await;
    }
    h.chain.seal_blocks(2).await.unwrap();
    for keeper in [&h.bob, &h.carol, &h.dave] {
        assert!(h.read::<bool>("staking", "is_keeper", keeper.account_id().0).await.unwrap());
    }
    h
}

async fn raise(h: &Harness, keeper: &Signer, severity: Severity, subject: Option<AccountId>) -> Result<u64, Error> {
    h.send(keeper, "alerts", "raise", (AlertKind::Exploit, severity, subject.map(|s| s.0), [7u8; 32])).await
}

async fn paused(h: &Harness) -> bool {
    h.read("splitter", "paused", ()).await.unwrap()
}

/// Takes `actions` through governance and checks they executed.
async fn govern(h: &Harness, actions: Vec<Action>) {
    let (id, executed) = h.pass_proposal(actions).await;
    assert_eq!(executed, Ok(()));
    assert_eq!(h.read::<Option<ProposalState>>("governor", "state", id).await.unwrap(), Some(ProposalState::Executed));
}

#[tokio::test]
async fn two_keepers_critical_alerts_pause_the_splitter_and_governance_lifts_it() {
    let h = harness().await;
    let splitter = h.address("splitter");
    assert_eq!(h.read::<Option<[u8; 32]>>("splitter", "guardian", ()).await.unwrap(), Some(h.address("alerts").0));

    // Only bonded keepers raise.
    assert_eq!(raise(&h, &h.treasury, Severity::Critical, Some(splitter)).await, Err(Error::NotKeeper));
    // One keeper, twice: still one keeper.
    let first = raise(&h, &h.bob, Severity::Critical, Some(splitter)).await.unwrap();
    raise(&h, &h.bob, Severity::Critical, Some(splitter)).await.unwrap();
    assert!(!paused(&h).await, "a duplicate raise does not count twice");
    assert_eq!(h.read::<Vec<([u8; 32], u32)>>("alerts", "watch", splitter.0).await.unwrap().len(), 1);
    // Critical alerts on a contract that is not guarded never pause anything.
    raise(&h, &h.carol, Severity::Critical, Some(h.address("token"))).await.unwrap();
    raise(&h, &h.dave, Severity::Critical, Some(h.address("token"))).await.unwrap();
    // High is not Critical.
    raise(&h, &h.dave, Severity::High, Some(splitter)).await.unwrap();
    assert!(!paused(&h).await);

    let out = h
        .chain
        .call(
            &h.carol,
            h.address("alerts"),
            0,
            h.input("alerts", "raise", (AlertKind::Exploit, Severity::Critical, Some(splitter.0), [9u8; 32])),
        )
        .await
        .unwrap();
    let tripping: Result<u64, Error> = out.decode().unwrap();
    assert!(tripping.is_ok());
    assert!(out.events.iter().any(|e| h.registry.is(e, "alerts", "Tripped")));
    assert!(out.events.iter().any(|e| h.registry.is(e, "splitter", "PauseChanged")));
    assert!(paused(&h).await, "the quorum paused the splitter");

    // Money stops: a keeper's settle fails with Paused.
    let settle: Result<u128, lode_splitter::Error> =
        h.send(&h.bob, "splitter", "settle", ([1u8; 32], Asset::Lode, Vec::<[u8; 32]>::new())).await;
    assert_eq!(settle, Err(lode_splitter::Error::Paused));
    // Nobody but governance (or the owners' operation path) lifts it.
    let r: Result<(), lode_splitter::Error> = h.send(&h.alice, "splitter", "unpause", ()).await;
    assert_eq!(r, Err(lode_splitter::Error::NotAdmin));

    govern(&h, vec![h.action("splitter", "unpause", ()), h.action("alerts", "resolve", first)]).await;
    assert!(!paused(&h).await, "governance lifted the pause");
    let alert: Alert = h.read::<Option<Alert>>("alerts", "alert", first).await.unwrap().unwrap();
    assert!(alert.resolved);
    let r: Result<(), Error> = h.send(&h.alice, "alerts", "resolve", first).await;
    assert_eq!(r, Err(Error::NotAdmin));
}

#[tokio::test]
async fn the_rate_limit_holds_and_old_alerts_leave_the_window() {
    let h = harness().await;
    let splitter = h.address("splitter");
    h.advance_to((h.block().await / WINDOW + 1) * WINDOW).await; // start of a window
    for _ in 0..3 {
        raise(&h, &h.bob, Severity::Info, None).await.unwrap();
    }
    assert_eq!(raise(&h, &h.bob, Severity::Critical, Some(splitter)).await, Err(Error::RateLimited));
    assert!(raise(&h, &h.carol, Severity::Info, None).await.is_ok(), "the limit is per keeper");

    // Next window: bob may raise again. His Critical alert then ages out
    // before carol's, so no trip.
    h.chain.seal_blocks(WINDOW).await.unwrap();
    raise(&h, &h.bob, Severity::Critical, Some(splitter)).await.unwrap();
    h.chain.seal_blocks(WINDOW).await.unwrap();
    raise(&h, &h.carol, Severity::Critical, Some(splitter)).await.unwrap();
    assert!(!paused(&h).await);
    assert_eq!(h.read::<Vec<([u8; 32], u32)>>("alerts", "watch", splitter.0).await.unwrap().len(), 1);

    // Paging: newest first.
    let count: u64 = h.read("alerts", "alert_count", ()).await.unwrap();
    let page: Vec<Alert> = h.read("alerts", "recent", (None::<u64>, 2u32)).await.unwrap();
    assert_eq!(page.iter().map(|a| a.id).collect::<Vec<_>>(), vec![count - 1, count - 2]);
    let next: Vec<Alert> = h.read("alerts", "recent", (Some(count - 2), 50u32)).await.unwrap();
    assert_eq!(next.len() as u64, count - 2);
}

#[tokio::test]
async fn audit_anchors_chain_on_from_the_last() {
    let h = harness().await;
    let anchor = |from: u64, to: u64, head: u8| h.send::<Result<(), Error>>(&h.bob, "alerts", "anchor", (from, to, [head; 32]));
    assert_eq!(anchor(0, 9, 1).await, Ok(()));
    assert_eq!(anchor(5, 12, 2).await, Err(Error::AnchorGap { expected: 10 }));
    assert_eq!(anchor(12, 10, 2).await, Err(Error::InvalidRange));
    assert_eq!(anchor(10, 20, 3).await, Ok(()));
    let stored: Option<Anchor> = h.read("alerts", "anchor_of", h.bob.account_id().0).await.unwrap();
    let stored = stored.unwrap();
    assert_eq!((stored.from_seq, stored.to_seq, stored.head_hash), (10, 20, [3; 32]));
    let r: Result<(), Error> = h.send(&h.treasury, "alerts", "anchor", (0u64, 1u64, [0u8; 32])).await;
    assert_eq!(r, Err(Error::NotKeeper));
}
