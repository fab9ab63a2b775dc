//! `lode verify --proposal`: a proposal's upgrade actions, named by the
//! deployment, on the real governor WASM (the rebuild and compare are the
//! same as for `--manifest`, proven against a node in `node_keeper.rs`).

use lode_governor::{Action, Error};
use lode_keeper::cmd::verify::proposal_upgrades;
use lode_primitives::LODE;
use lode_tests::Harness;

async fn propose(h: &Harness, actions: Vec<Action>) -> u64 {
    let r: Result<u64, Error> = h.send(&h.bob, "governor", "propose", (actions, String::from("upgrade"))).await;
    r.expect("bob may propose")
}

#[tokio::test]
async fn a_proposals_upgrades_are_named_by_the_deployment() {
    let h = Harness::new().await;
    h.stake(&h.bob, 100 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    let token_code = h.suite.artifact("token").unwrap().code_hash;
    let alerts_code = h.suite.artifact("alerts").unwrap().code_hash;
    let id = propose(
        &h,
        vec![
            Action::Upgrade { target: h.address("token").0.into(), code_hash: token_code.into() },
            h.action("splitter", "set_guardian", Some(h.address("alerts").0)),
            Action::Upgrade { target: h.address("alerts").0.into(), code_hash: alerts_code.into() },
        ],
    )
    .await;
    let upgrades = proposal_upgrades(&h.contracts, id).await.unwrap();
    assert_eq!(upgrades, vec![("token".to_owned(), token_code), ("alerts".to_owned(), alerts_code)], "calls are skipped");

    let err = proposal_upgrades(&h.contracts, 999).await.unwrap_err().to_string();
    assert!(err.contains("has no proposal 999"), "{err}");

    h.chain.seal_blocks(1).await.unwrap();
    let stranger = Action::Upgrade { target: h.bob.account_id().0.into(), code_hash: token_code.into() };
    let id = propose(&h, vec![stranger]).await;
    let err = proposal_upgrades(&h.contracts, id).await.unwrap_err().to_string();
    assert!(err.contains("which the deployment does not name"), "{err}");

    h.chain.seal_blocks(1).await.unwrap();
    let id = propose(&h, vec![h.action("splitter", "set_guardian", Some(h.address("alerts").0))]).await;
    let err = proposal_upgrades(&h.contracts, id).await.unwrap_err().to_string();
    assert_eq!(err, format!("proposal {id} upgrades no contract: nothing to verify"));
}

#[tokio::test]
async fn a_changed_contract_does_not_match_and_the_current_one_does() {
    use lode_keeper::cmd::verify::{self, VerifyArgs};
    // fixture-v2 is fixture-v1 changed: v1 built from this checkout is not v2's code.
    let artifacts = lode_tests::artifacts();
    let hash_of = |name: &str| artifacts.iter().find(|a| a.name == name).map(|a| a.code_hash).expect("built");
    let args = |hash: [u8; 32]| VerifyArgs {
        contract: Some("fixture-v1".into()),
        code_hash: Some(format!("0x{}", hex::encode(hash))),
        manifest: None,
        nodes: Vec::new(),
        proposal: None,
    };
    verify::run(args(hash_of("fixture-v1")), lode_tests::repository().root).await.expect("this checkout builds v1's hash");
    let err = verify::run(args(hash_of("fixture-v2")), lode_tests::repository().root).await.expect_err("v2 is other code");
    assert_eq!(err.to_string(), "1 of 1 contracts do not match");
}
