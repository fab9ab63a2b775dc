//! The relayer over real HTTP on the embedded chain. A splitter approval
//! signed by PyPI eth-account (an independent EIP-712 implementation, as an
//! ordinary wallet signs) is posted, checked, batched, sent, and counted on
//! chain. Bad requests get a clear JSON error and cost nothing; repeated bad
//! signatures raise an alert; one signer is rate-limited.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lode_keeper::alerting::Rule;
use lode_keeper::chain::BlockSource;
use lode_keeper::http::HttpServer;
use lode_keeper::relayer::{Relay, RelayConfig, RelayMetrics, RelayerDuty};
use lode_keeper::runtime::{Context, Drain, DutyBoard, Shutdown, Supervisor};
use lode_primitives::LODE;
use lode_splitter::{Error, OpState, Operation, Proposal};
use lode_tests::{alloy_key, Harness};
use serde_json::{json, Value};

fn python() -> String {
    std::env::var("LODE_PYTHON").unwrap_or_else(|_| {
        let cached = std::env::var("HOME").map(|h| format!("{h}/.cache/lode/venv/bin/python")).unwrap_or_default();
        if Path::new(&cached).exists() {
            cached
        } else {
            "python3".into()
        }
    })
}

/// `name`'s signature over `typed`, made by eth-account.
fn eth_account_sign(name: &str, typed: Value) -> String {
    let key = hex::encode(alloy_key(name).to_bytes());
    let mut child = Command::new(python())
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/relay_sign.py"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs (scripts/setup makes a venv with eth-account; set LODE_PYTHON to it)");
    serde_json::to_writer(child.stdin.take().unwrap(), &json!({ "key": key, "typed": typed })).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "eth-account failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn approval_typed(chain_id: u64, splitter: [u8; 32], op_id: [u8; 32], nonce: u64, deadline: u64) -> Value {
    json!({
        "types": {
            "EIP712Domain": [
                { "name": "name", "type": "string" }, { "name": "version", "type": "string" },
                { "name": "chainId", "type": "uint256" }, { "name": "salt", "type": "bytes32" }
            ],
            "Approval": [
                { "name": "opId", "type": "bytes32" }, { "name": "nonce", "type": "uint256" }, { "name": "deadline", "type": "uint256" }
            ]
        },
        "primaryType": "Approval",
        "domain": { "name": "Lode Splitter", "version": "1", "chainId": chain_id, "salt": format!("0x{}", hex::encode(splitter)) },
        "message": { "opId": format!("0x{}", hex::encode(op_id)), "nonce": nonce, "deadline": deadline }
    })
}

type Running = tokio::task::JoinHandle<Result<(), lode_keeper::runtime::DutyFailed>>;

/// Runs the HTTP server with `relay`'s routes and the relayer duty; returns
/// the server's base URL.
async fn serve(relay: Relay, ctx: Context, shutdown: Shutdown, drain: Drain) -> (String, Running) {
    let mut server = HttpServer::bind("127.0.0.1:0".parse().unwrap(), Default::default(), DutyBoard::default()).await.unwrap();
    let base = format!("http://{}", server.address());
    server.mount({
        let relay = relay.clone();
        move |ctx| relay.routes(ctx)
    });
    let mut supervisor = Supervisor::new(DutyBoard::default(), Duration::from_secs(5));
    supervisor.add(server);
    supervisor.add(RelayerDuty::new(relay));
    let running = tokio::spawn(supervisor.run(ctx, shutdown, drain));
    tokio::time::sleep(Duration::from_millis(100)).await;
    (base, running)
}

async fn post(url: &str, body: &Value) -> (u16, Value) {
    let r = reqwest::Client::new().post(url).json(body).send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_wallet_signed_approval_is_relayed_and_counted_and_bad_requests_cost_nothing() {
    let h = Harness::new().await;
    let chain_id: u64 = h.read("splitter", "chain_id", ()).await.unwrap();
    // Alice proposes and approves on chain; bob's relayed signature makes two of three.
    let op = Operation::SetTimelock { min_delay: 1_000, grace_period: 60_000 };
    let op_id = h.send::<Result<[u8; 32], Error>>(&h.alice, "splitter", "propose", op).await.unwrap();
    h.send::<Result<(), Error>>(&h.alice, "splitter", "approve", op_id).await.unwrap();
    h.chain.seal_blocks(1).await.unwrap();
    let deadline = h.deadline().await;

    let (ctx, shutdown, drain) = h.context(&h.alice);
    let mut alerts = ctx.alerts.subscribe();
    let metrics = RelayMetrics::default();
    let config =
        RelayConfig { batch_every: Duration::from_millis(100), per_signer_per_minute: 3, bad_signatures: 3, ..RelayConfig::default() };
    let stopper = ctx.stopper.clone();
    let (base, running) = serve(Relay::new(config, metrics.clone()), ctx, shutdown, drain).await;

    // Refused before any fee, each with a clear JSON error.
    let vote_url = format!("{base}/relay/splitter/vote");
    let signed =
        |nonce: u64, deadline: u64| eth_account_sign("bob", approval_typed(chain_id, h.address("splitter").0, op_id, nonce, deadline));
    let request = |nonce: u64, deadline: u64, signature: String| json!({ "op_id": format!("0x{}", hex::encode(op_id)), "approve": true, "nonce": nonce, "deadline": deadline, "signature": signature });
    let (code, body) = post(&vote_url, &json!({ "op_id": "0x12" })).await;
    assert_eq!((code, body["error"]["code"].as_str()), (400, Some("bad_request")), "{body}");
    let past = h.chain.head().await.unwrap().timestamp_ms - 1;
    let (code, body) = post(&vote_url, &request(0, past, signed(0, past))).await;
    assert_eq!((code, body["error"]["code"].as_str()), (400, Some("expired")), "{body}");
    let (code, body) = post(&vote_url, &request(5, deadline, signed(5, deadline))).await;
    assert_eq!((code, body["error"]["code"].as_str()), (400, Some("bad_nonce")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("sign again with nonce 0"), "{body}");
    // Dave is no owner: the dry run refuses it.
    let dave_sig = eth_account_sign("dave", approval_typed(chain_id, h.address("splitter").0, op_id, 0, deadline));
    let (code, body) = post(&vote_url, &request(0, deadline, dave_sig)).await;
    assert_eq!((code, body["error"]["code"].as_str()), (400, Some("refused_by_contract")), "{body}");
    let (code, body) = post(&vote_url, &request(0, deadline, format!("0x{}", "00".repeat(65)))).await;
    assert_eq!((code, body["error"]["code"].as_str()), (400, Some("bad_signature")), "{body}");
    let (code, _) = post(&vote_url, &request(0, deadline, format!("0x{}", "01".repeat(65)))).await;
    assert_eq!(code, 400);
    // Three failed signature checks within the window: an alert.
    let alert = tokio::time::timeout(Duration::from_secs(5), alerts.recv()).await.expect("an alert").unwrap();
    assert_eq!(alert.rule, Rule::BadSignatures, "{alert:?}");
    assert_eq!(metrics.batches.get(), 0, "nothing was sent for any of them");

    // Bob's wallet signature: accepted, batched, included, counted.
    let (code, body) = post(&vote_url, &request(0, deadline, signed(0, deadline))).await;
    assert_eq!(code, 202, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let status_url = format!("{base}/relay/status/{id}");
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        h.chain.seal_blocks(1).await.unwrap();
        let status: Value = reqwest::get(&status_url).await.unwrap().json().await.unwrap();
        if status["status"] == "included" {
            assert!(status["block"].as_u64().is_some(), "{status}");
            break;
        }
        assert!(status["status"] != "failed" && Instant::now() < until, "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (proposal, state): (Proposal, OpState) =
        h.read::<Option<(Proposal, OpState)>>("splitter", "operation", op_id).await.unwrap().unwrap();
    assert!(proposal.approvals.contains(&h.bob.account_id().0.into()), "bob's relayed approval counted: {proposal:?}");
    assert_eq!(state, OpState::Queued, "two of three approvals queue it");

    // One signer, rate-limited to 3 a minute: the wrong nonce and the good
    // one counted (an expired signature is refused before the limiter).
    let (code, body) = post(&vote_url, &request(1, deadline, signed(1, deadline))).await;
    assert_ne!(code, 429, "the third is allowed: {body}");
    let (code, body) = post(&vote_url, &request(1, deadline, signed(1, deadline))).await;
    assert_eq!((code, body["error"]["code"].as_str()), (429, Some("rate_limited")), "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("more than 3 requests this minute"), "{body}");
    let missing = reqwest::get(format!("{base}/relay/status/ffff")).await.unwrap();
    assert_eq!(missing.status().as_u16(), 404);

    stopper.fire();
    running.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_signed_governor_ballot_is_relayed_and_counted() {
    use lode_governor::{GovernorParams, Proposal as GovProposal, Support};
    let h = Harness::with(|c| {
        c.governor.params = GovernorParams {
            voting_delay: 1,
            voting_period: 30,
            proposal_threshold: LODE,
            quorum_bps: 400,
            timelock_delay: 0,
            grace_period: 14_400,
        };
    })
    .await;
    h.stake(&h.bob, 300 * LODE).await;
    h.stake(&h.carol, 200 * LODE).await;
    h.chain.seal_blocks(1).await.unwrap();
    let action = h.action("staking", "set_params", h.config.staking);
    let id =
        h.send::<Result<u64, lode_governor::Error>>(&h.bob, "governor", "propose", (vec![action], String::from("relayed"))).await.unwrap();
    h.chain.seal_blocks(2).await.unwrap();

    let (ctx, shutdown, drain) = h.context(&h.alice);
    let relay = Relay::new(RelayConfig { batch_every: Duration::from_millis(100), ..RelayConfig::default() }, RelayMetrics::default());
    let stopper = ctx.stopper.clone();
    let (base, running) = serve(relay, ctx, shutdown, drain).await;

    // Signed with alloy's EIP-712 implementation, as a wallet would.
    let chain_id: u64 = h.read("governor", "chain_id", ()).await.unwrap();
    let deadline = h.deadline().await;
    let signed = lode_tests::eip712::ballot(
        "carol",
        &lode_tests::eip712::governor_domain(chain_id, h.address("governor")),
        id,
        Support::For,
        0,
        deadline,
    );
    let body = json!({
        "proposal_id": id, "support": "for", "nonce": 0, "deadline": deadline,
        "signature": format!("0x{}", hex::encode(signed.signature)),
    });
    let (code, accepted) = post(&format!("{base}/relay/governor/ballot"), &body).await;
    assert_eq!(code, 202, "{accepted}");
    let status_url = format!("{base}/relay/status/{}", accepted["id"].as_str().unwrap());
    let until = Instant::now() + Duration::from_secs(30);
    loop {
        h.chain.seal_blocks(1).await.unwrap();
        let status: Value = reqwest::get(&status_url).await.unwrap().json().await.unwrap();
        if status["status"] == "included" {
            break;
        }
        assert!(status["status"] != "failed" && Instant::now() < until, "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let proposal: GovProposal = h.read::<Option<GovProposal>>("governor", "proposal", id).await.unwrap().unwrap();
    assert_eq!(proposal.for_votes, 200 * LODE, "carol's relayed ballot counted with her voting power");
    stopper.fire();
    running.await.unwrap().unwrap();
}

/// A request that goes bad between its check and the batch (here: its
/// deadline passes) fails alone; the rest of the batch is still sent.
#[tokio::test]
async fn a_request_gone_bad_before_its_batch_fails_alone() {
    let h = Harness::new().await;
    let chain_id: u64 = h.read("splitter", "chain_id", ()).await.unwrap();
    let op = Operation::SetTimelock { min_delay: 2_000, grace_period: 60_000 };
    let op_id = h.send::<Result<[u8; 32], Error>>(&h.alice, "splitter", "propose", op).await.unwrap();
    h.chain.seal_blocks(1).await.unwrap();
    let now = h.chain.head().await.unwrap().timestamp_ms;
    let (ctx, shutdown, drain) = h.context(&h.alice);
    let stopper = ctx.stopper.clone();
    let config = RelayConfig { batch_every: Duration::from_secs(3), ..RelayConfig::default() };
    let (base, running) = serve(Relay::new(config, RelayMetrics::default()), ctx, shutdown, drain).await;
    let vote_url = format!("{base}/relay/splitter/vote");
    let mut ids = Vec::new();
    // Bob's signature is good for an hour; carol's only for the next block.
    for (owner, deadline) in [("bob", now + 3_600_000), ("carol", now + 7_000)] {
        let signature = eth_account_sign(owner, approval_typed(chain_id, h.address("splitter").0, op_id, 0, deadline));
        let body = json!({ "op_id": format!("0x{}", hex::encode(op_id)), "approve": true, "nonce": 0, "deadline": deadline, "signature": signature });
        let (code, accepted) = post(&vote_url, &body).await;
        assert_eq!(code, 202, "{accepted}");
        ids.push(accepted["id"].as_str().unwrap().to_owned());
    }
    let status = |id: &str| {
        let url = format!("{base}/relay/status/{id}");
        async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() }
    };
    let until = Instant::now() + Duration::from_secs(30);
    let carol = loop {
        // Each embedded block is six seconds later: carol's deadline passes before the batch.
        h.chain.seal_blocks(1).await.unwrap();
        let (bob, carol) = (status(&ids[0]).await, status(&ids[1]).await);
        if bob["status"] == "included" && carol["status"] == "failed" {
            break carol;
        }
        assert!(Instant::now() < until && bob["status"] != "failed", "bob {bob}, carol {carol}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(carol["error"].as_str().unwrap().contains("SignatureExpired"), "{carol}");
    let (proposal, _): (Proposal, OpState) = h.read::<Option<(Proposal, OpState)>>("splitter", "operation", op_id).await.unwrap().unwrap();
    assert_eq!(proposal.approvals, vec![h.bob.account_id().0.into()], "bob's approval counted; carol's expired one not");
    stopper.fire();
    running.await.unwrap().unwrap();
}
