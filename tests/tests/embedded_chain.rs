//! The embedded chain running the real token WASM: deployment, calls, dry runs,
//! blocks, timestamps and events.

use futures::StreamExt;
use lode_keeper::chain::{BlockSource, Chain, ChainError, Head, StorageDeposit};
use lode_primitives::AccountId;
use lode_tests::{Harness, ENDOWMENT};
use lode_token::PSP22Error;
use scale::Decode;

/// PSP22's `Transfer` event as ink! 5 encodes it (all fields, topics included).
#[derive(Debug, Decode, PartialEq)]
struct Transfer {
    from: Option<[u8; 32]>,
    to: Option<[u8; 32]>,
    value: u128,
}

#[tokio::test]
async fn suite_deploys_and_genesis_allocation_is_readable() {
    let h = Harness::new().await;
    let token = h.address("token");
    assert_ne!(token, AccountId::default());
    let treasury_balance: u128 = h.read("token", "PSP22::balance_of", h.treasury.account_id().0).await.unwrap();
    assert_eq!(treasury_balance, h.config.genesis_supply);
    let supply: u128 = h.read("token", "PSP22::total_supply", ()).await.unwrap();
    assert_eq!(supply, h.config.genesis_supply);
    let symbol: Option<String> = h.read("token", "PSP22Metadata::token_symbol", ()).await.unwrap();
    assert_eq!(symbol.as_deref(), Some("LODE"));
}

#[tokio::test]
async fn transfer_lands_in_the_next_block_with_its_event_and_a_millisecond_timestamp() {
    let h = Harness::new().await;
    let mut heads = h.chain.follow().await.unwrap();
    let input = h.input("token", "PSP22::transfer", (h.bob.account_id().0, 250u128, Vec::<u8>::new()));
    let out = h.chain.call(&h.treasury, h.address("token"), 0, input).await.unwrap();
    assert!(!out.reverted);
    out.decode::<Result<(), PSP22Error>>().unwrap().unwrap();
    assert!(out.weight_consumed.ref_time > 0, "a real WASM call costs weight");
    assert!(matches!(out.storage_deposit, StorageDeposit::Charge(d) if d > 0), "bob's new balance entry costs a deposit");
    assert_eq!(out.events.len(), 1);

    let head = h.chain.seal_blocks(1).await.unwrap();
    assert_eq!(heads.next().await.unwrap().unwrap(), Head::Best(head));
    assert_eq!(heads.next().await.unwrap().unwrap(), Head::Finalized(head), "embedded blocks are final at once");
    let block = h.chain.block(head.hash).await.unwrap().expect("the sealed block is kept");
    assert_eq!(block.info, head);
    assert_eq!(block.events.len(), 1, "exactly the transfer's event");
    let ev = &block.events[0];
    assert_eq!(ev, &out.events[0], "the call's event is in the sealed block");
    assert!(h.registry.is(ev, "token", "Transfer"), "{}", h.registry.name(ev));
    let decoded = Transfer::decode(&mut &ev.data[..]).unwrap();
    assert_eq!(decoded, Transfer { from: Some(h.treasury.account_id().0), to: Some(h.bob.account_id().0), value: 250 });

    // Deterministic clock: block n is stamped genesis + n * 6 s, in milliseconds.
    let genesis_ms = 1_700_000_000_000u64;
    assert_eq!(block.info.timestamp_ms, genesis_ms + block.info.number * 6_000);
    let bob_balance: u128 = h.read("token", "PSP22::balance_of", h.bob.account_id().0).await.unwrap();
    assert_eq!(bob_balance, 250);
}

#[tokio::test]
async fn blocks_chain_by_parent_hash_and_advance_time() {
    let h = Harness::new().await;
    let head = h.chain.seal_blocks(3).await.unwrap();
    let chain = &h.chain;
    let block = |hash| async move { chain.block(hash).await.unwrap().expect("kept") };
    let c = block(head.hash).await;
    let b = block(c.info.parent_hash).await;
    let a = block(b.info.parent_hash).await;
    assert_eq!(h.chain.block_hash(a.info.number).await.unwrap(), Some(a.info.hash), "canonical by number");
    assert_eq!(h.chain.finalized().await.unwrap(), head);
    assert_eq!(h.chain.block([0xee; 32]).await.unwrap(), None, "an unknown hash is no block");
    assert_eq!(b.info.number, a.info.number + 1);
    assert_eq!(b.info.parent_hash, a.info.hash);
    assert_eq!(c.info.parent_hash, b.info.hash);
    assert_ne!(a.info.hash, b.info.hash);
    assert_eq!(c.info.timestamp_ms - b.info.timestamp_ms, 6_000);
    assert!(c.events.is_empty(), "an empty block has no events");
}

#[tokio::test]
async fn dry_run_reports_weight_and_deposit_but_changes_nothing() {
    let h = Harness::new().await;
    let input = h.input("token", "PSP22::transfer", (h.bob.account_id().0, 1_000u128, Vec::<u8>::new()));
    let dry = h.chain.dry_run(h.treasury.account_id(), h.address("token"), 0, input).await.unwrap();
    assert!(!dry.reverted);
    assert!(dry.weight_required.ref_time >= dry.weight_consumed.ref_time);
    assert!(matches!(dry.storage_deposit, StorageDeposit::Charge(d) if d > 0));
    assert_eq!(dry.events.len(), 1, "a dry run still reports the events it would emit");
    let bob_balance: u128 = h.read("token", "PSP22::balance_of", h.bob.account_id().0).await.unwrap();
    assert_eq!(bob_balance, 0, "dry run must not change state");
    let head = h.chain.seal_blocks(1).await.unwrap();
    assert!(h.chain.block(head.hash).await.unwrap().unwrap().events.is_empty(), "dry-run events never reach a block");
}

#[tokio::test]
async fn a_failing_message_reverts_with_its_typed_error_and_changes_nothing() {
    let h = Harness::new().await;
    let input = h.input("token", "PSP22::transfer", (h.treasury.account_id().0, 1u128, Vec::<u8>::new()));
    let out = h.chain.call(&h.bob, h.address("token"), 0, input).await.unwrap();
    assert!(out.reverted);
    assert!(out.events.is_empty());
    assert_eq!(out.decode::<Result<(), PSP22Error>>().unwrap(), Err(PSP22Error::InsufficientBalance));
    let supply: u128 = h.read("token", "PSP22::total_supply", ()).await.unwrap();
    assert_eq!(supply, h.config.genesis_supply);
}

#[tokio::test]
async fn malformed_call_input_is_a_clear_error() {
    let h = Harness::new().await;
    // An unknown selector: ink! answers with LangError::CouldNotReadInput.
    let out = h.chain.dry_run(h.bob.account_id(), h.address("token"), 0, vec![0xde, 0xad, 0xbe, 0xef]).await.unwrap();
    let err = out.decode::<u128>().unwrap_err();
    assert!(err.to_string().contains("wrong selector or malformed arguments"), "{err}");
    // Calling an account that is not a contract is rejected by the runtime.
    let err = h.chain.dry_run(h.bob.account_id(), h.bob.account_id(), 0, vec![0; 4]).await.unwrap_err();
    assert!(matches!(&err, ChainError::Rejected { detail, .. } if detail.contains("ContractNotFound")), "{err}");
}

#[tokio::test]
async fn dev_accounts_are_funded_and_native_transfers_work() {
    let h = Harness::new().await;
    assert_eq!(h.chain.balance(h.bob.account_id()).await.unwrap(), ENDOWMENT);
    // An account the harness did not endow.
    let erin = lode_keeper::keys::Signer::dev("erin").account_id();
    h.chain.transfer(&h.bob, erin, 5_000).await.unwrap();
    assert_eq!(h.chain.balance(erin).await.unwrap(), 5_000);
    let err = h.chain.transfer(&lode_keeper::keys::Signer::dev("nobody"), erin, 1).await.unwrap_err();
    assert!(matches!(err, ChainError::Rejected { .. }), "an unfunded account cannot pay: {err}");
    h.chain.fund(erin, 1).await.unwrap();
    assert_eq!(h.chain.balance(erin).await.unwrap(), 5_001);
}

#[tokio::test]
async fn re_uploading_the_same_code_is_not_an_error() {
    let h = Harness::new().await;
    let wasm = h.suite.artifact("token").unwrap().wasm.clone();
    let up = h.chain.upload_code(&h.alice, wasm).await.unwrap();
    assert_eq!(up.code_hash, h.suite.artifact("token").unwrap().code_hash);
    assert_eq!(up.deposit, 0);
}

#[tokio::test]
async fn only_the_admin_can_upgrade() {
    let h = Harness::new().await;
    let code_hash = h.suite.artifact("token").unwrap().code_hash;
    let input = h.input("token", "upgrade", code_hash);
    let out = h.chain.call(&h.bob, h.address("token"), 0, input.clone()).await.unwrap();
    assert!(out.reverted, "bob is not the admin");
    let out = h.chain.call(&h.alice, h.address("token"), 0, input).await.unwrap();
    assert!(!out.reverted, "alice deployed the token and holds the admin role");
    let version: u32 = h.read("token", "code_version", ()).await.unwrap();
    assert_eq!(version, 3, "the token code version");
}

#[tokio::test]
async fn a_submission_is_reported_in_its_block_when_the_block_is_sealed() {
    use lode_keeper::chain::{Limits, TxCall, TxResult, TxStatus};
    let h = Harness::new().await;
    let token = h.address("token");
    let input = h.input("token", "PSP22::transfer", (h.bob.account_id().0, 250u128, Vec::<u8>::new()));
    let dry = h.chain.dry_run(h.treasury.account_id(), token, 0, input.clone()).await.unwrap();
    let call = TxCall::Contract { contract: token, value: 0, input, limits: Limits::from_dry_run(&dry, 10) };
    let mut statuses = h.chain.submit(&h.treasury, call.into(), &mut ()).await.unwrap();
    let head = h.chain.seal_blocks(1).await.unwrap();
    match statuses.next().await {
        Some(TxStatus::InBlock { block, result: TxResult::Success { events, .. } }) => {
            assert_eq!(block, head.at());
            assert!(h.registry.is(&events[0], "token", "Transfer"));
        }
        other => panic!("in the sealed block: {other:?}"),
    }
    assert_eq!(statuses.next().await, Some(TxStatus::Finalized { block: head.at() }));
    assert_eq!(statuses.next().await, None);

    // A message that returns an error fails in its block, as on a node:
    // bob holds 250 and sends more.
    let input = h.input("token", "PSP22::transfer", (h.treasury.account_id().0, 251u128, Vec::<u8>::new()));
    let call = TxCall::Contract { contract: token, value: 0, input, limits: Limits::from_dry_run(&dry, 10) };
    let mut statuses = h.chain.submit(&h.bob, call.into(), &mut ()).await.unwrap();
    h.chain.seal_blocks(1).await.unwrap();
    assert!(matches!(statuses.next().await, Some(TxStatus::InBlock { result: TxResult::Failed { .. }, .. })));
}
