//! `POST /payouts` over real HTTP on the embedded chain: a list of LODE and
//! native payments is checked whole, paid in block-sized extrinsics, and
//! receipted row by row; posting it again pays nothing twice; bad lists and
//! bad tokens are refused before anything is written or sent.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_keeper::chain::{AccountId, Chain};
use lode_keeper::http::HttpServer;
use lode_keeper::keys::{ss58, Password};
use lode_keeper::payout::api::PayoutApi;
use lode_keeper::payout::TOKEN_REFUSED;
use lode_keeper::runtime::{DutyBoard, Supervisor};
use lode_keeper::store::{Store, StoreLocation};
use lode_primitives::LODE;
use lode_tests::Harness;
use serde_json::{json, Value};

const TOKEN: &str = "payout-test-token";

fn payee(n: u32) -> AccountId {
    let mut a = [0x70u8; 32];
    a[..4].copy_from_slice(&n.to_be_bytes());
    AccountId(a)
}

async fn call(method: reqwest::Method, url: &str, token: &str, body: Option<&Value>) -> (u16, Value) {
    let mut r = reqwest::Client::new().request(method, url).bearer_auth(token);
    if let Some(b) = body {
        r = r.json(b);
    }
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Polls the payout until it is no longer running.
async fn finished(base: &str, id: &str) -> Value {
    let start = Instant::now();
    loop {
        let (code, body) = call(reqwest::Method::GET, &format!("{base}/payouts/{id}"), TOKEN, None).await;
        assert_eq!(code, 200, "{body}");
        if body["status"] != "running" {
            return body;
        }
        assert!(start.elapsed() < Duration::from_secs(120), "the payout did not finish: {body}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_list_is_paid_in_batches_with_a_receipt_and_posting_it_again_pays_nothing_twice() {
    let h = Harness::new().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreLocation::SqliteFile(dir.path().join("keeper.db"))).await.unwrap();
    // The treasury holds the genesis LODE: it is the paying keeper here.
    let (ctx, shutdown, drain) = h.context(&h.treasury);
    let stopper = ctx.stopper.clone();
    let mut server = HttpServer::bind("127.0.0.1:0".parse().unwrap(), Default::default(), DutyBoard::default()).await.unwrap();
    let base = format!("http://{}", server.address());
    let api = PayoutApi::new(&Password::new(TOKEN), store.clone());
    server.mount(move |ctx| api.routes(ctx));
    let mut supervisor = Supervisor::new(DutyBoard::default(), Duration::from_secs(5));
    supervisor.add(server);
    let running = tokio::spawn(supervisor.run(ctx, shutdown, drain));
    // Blocks every 20 ms, as a dev node seals them.
    let sealer = {
        let chain = Arc::clone(&h.chain);
        tokio::spawn(async move {
            loop {
                chain.seal_blocks(1).await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    tokio::time::sleep(Duration::from_millis(100)).await;

    // 201 LODE rows (the last pays the token itself, which the token refuses) and 30 native.
    let token = h.address("token");
    let mut rows: Vec<Value> = (0..200u32)
        .map(|i| json!({ "account": ss58(&payee(i)), "amount": format!("{}.5", i + 1), "asset": "LODE", "reference": format!("inv-{i}") }))
        .collect();
    rows.push(json!({ "account": ss58(&token), "amount": "1", "asset": "LODE", "reference": "to-the-token" }));
    rows.extend((200..230u32).map(|i| json!({ "account": ss58(&payee(i)), "amount": "0.25", "asset": "native" })));
    let body = json!({ "id": "march", "rows": rows });
    let url = format!("{base}/payouts");

    // Refused before anything is written or sent.
    let (code, refused) = call(reqwest::Method::POST, &url, "wrong-token", Some(&body)).await;
    assert_eq!((code, refused["error"]["code"].as_str()), (401, Some("unauthorized")), "{refused}");
    let bad = json!({ "id": "bad", "rows": [
        { "account": ss58(&payee(1)), "amount": "1", "asset": "LODE" },
        { "account": ss58(&payee(2)), "amount": "1.0000000000001", "asset": "LODE" },
        { "account": ss58(&h.treasury.account_id()), "amount": "1", "asset": "native" },
        { "account": ss58(&payee(3)), "amount": "1", "asset": "gold" },
    ] });
    let (code, refused) = call(reqwest::Method::POST, &url, TOKEN, Some(&bad)).await;
    assert_eq!((code, refused["error"]["code"].as_str()), (400, Some("bad_rows")), "{refused}");
    let message = refused["error"]["message"].as_str().unwrap();
    for expected in ["3 bad rows", "line 2: amount", "13 decimal places", "line 3: row pays the payer itself", "line 4: "] {
        assert!(message.contains(expected), "{expected:?} missing from: {message}");
    }
    let (code, _) = call(reqwest::Method::GET, &format!("{base}/payouts/bad"), TOKEN, None).await;
    assert_eq!(code, 404, "a refused list is not written");
    let numbers = json!({ "rows": [{ "account": ss58(&payee(1)), "amount": 1.5, "asset": "LODE" }] });
    let (code, refused) = call(reqwest::Method::POST, &url, TOKEN, Some(&numbers)).await;
    assert_eq!((code, refused["error"]["code"].as_str()), (400, Some("bad_request")), "amounts are strings: {refused}");

    let lode_before = h.lode(h.treasury.account_id()).await;
    let (code, accepted) = call(reqwest::Method::POST, &url, TOKEN, Some(&body)).await;
    assert_eq!((code, accepted["id"].as_str()), (202, Some("march")), "{accepted}");
    let done = finished(&base, "march").await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["check"]["mismatches"], json!([]), "{done}");
    assert_eq!(done["totals"]["rows"], 231);
    assert_eq!(done["totals"]["paid"], 230);
    assert_eq!(done["totals"]["failed"], 1);
    assert_eq!(done["totals"]["paid_native"], "7.5");

    // Every payee holds exactly its amount; the token row failed and cost nothing.
    let mut paid_lode = 0u128;
    for i in 0..200u32 {
        let amount = u128::from(i + 1) * LODE + LODE / 2;
        assert_eq!(h.lode(payee(i)).await, amount, "payee {i}");
        paid_lode += amount;
    }
    for i in 200..230u32 {
        assert_eq!(h.chain.balance(payee(i)).await.unwrap(), LODE / 4, "payee {i}");
    }
    assert_eq!(h.lode(h.treasury.account_id()).await, lode_before - paid_lode);

    // Block-sized extrinsics: 201 LODE rows in three (100, 100, 1), 30 native in one.
    let receipt = done["rows"].as_array().unwrap();
    let extrinsics = |asset: &str| {
        receipt.iter().filter(|r| r["asset"] == asset).map(|r| r["extrinsic"].as_str().unwrap().to_owned()).collect::<HashSet<_>>()
    };
    assert_eq!(extrinsics("LODE").len(), 3, "{done}");
    assert_eq!(extrinsics("native").len(), 1, "{done}");
    for r in receipt {
        assert!(r["block"].as_u64().is_some() && r["extrinsic"].as_str().unwrap().len() == 66, "{r}");
    }
    let refused = receipt.iter().find(|r| r["reference"] == "to-the-token").unwrap();
    assert_eq!((refused["status"].as_str(), refused["error"].as_str()), (Some("failed"), Some(TOKEN_REFUSED)), "{refused}");
    assert_eq!(receipt.iter().find(|r| r["reference"] == "inv-7").unwrap()["amount"], "8.5");

    // Posted again: nothing is paid twice. The refused row is tried once more and refused again.
    let (code, _) = call(reqwest::Method::POST, &url, TOKEN, Some(&body)).await;
    assert_eq!(code, 202);
    let again = finished(&base, "march").await;
    assert_eq!((again["status"].as_str(), again["totals"]["paid"].as_u64()), (Some("done"), Some(230)), "{again}");
    assert_eq!(h.lode(h.treasury.account_id()).await, lode_before - paid_lode, "no LODE paid twice");
    assert_eq!(h.lode(payee(7)).await, 8 * LODE + LODE / 2);
    assert_eq!(h.chain.balance(payee(200)).await.unwrap(), LODE / 4, "no native paid twice");

    // The same id with other rows is refused, and changes nothing.
    let other = json!({ "id": "march", "rows": [{ "account": ss58(&payee(1)), "amount": "5", "asset": "LODE" }] });
    let (code, refused) = call(reqwest::Method::POST, &url, TOKEN, Some(&other)).await;
    assert_eq!((code, refused["error"]["code"].as_str()), (409, Some("other_rows")), "{refused}");
    assert!(refused["error"]["message"].as_str().unwrap().contains("started with other rows"), "{refused}");
    assert_eq!(finished(&base, "march").await["totals"]["rows"], 231);
    assert_eq!(h.lode(payee(1)).await, 2 * LODE + LODE / 2);

    sealer.abort();
    stopper.fire();
    running.await.unwrap().unwrap();
}
