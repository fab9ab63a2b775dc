//! The extrinsics the keeper sends, as dynamic payloads checked against the
//! node's metadata when they are encoded.

use subxt::dynamic::Value;
use subxt::tx::DynamicPayload;

use crate::chain::{AccountId, Balance, CodeHash, Limits, TxCall, Weight};

fn weight(w: Weight) -> Value {
    Value::named_composite([("ref_time", Value::u128(u128::from(w.ref_time))), ("proof_size", Value::u128(u128::from(w.proof_size)))])
}

fn deposit_limit(limit: Option<Balance>) -> Value {
    match limit {
        Some(v) => Value::unnamed_variant("Some", [Value::u128(v)]),
        None => Value::unnamed_variant("None", []),
    }
}

fn address(who: AccountId) -> Value {
    Value::unnamed_variant("Id", [Value::from_bytes(who.0)])
}

/// `Contracts::call`.
pub fn contract_call(dest: AccountId, value: Balance, limits: Limits, input: Vec<u8>) -> DynamicPayload {
    subxt::dynamic::tx(
        "Contracts",
        "call",
        vec![address(dest), Value::u128(value), weight(limits.weight), deposit_limit(limits.storage_deposit), Value::from_bytes(input)],
    )
}

/// `Contracts::instantiate` of uploaded code.
pub fn instantiate(code_hash: CodeHash, value: Balance, limits: Limits, input: Vec<u8>, salt: Vec<u8>) -> DynamicPayload {
    subxt::dynamic::tx(
        "Contracts",
        "instantiate",
        vec![
            Value::u128(value),
            weight(limits.weight),
            deposit_limit(limits.storage_deposit),
            Value::from_bytes(code_hash),
            Value::from_bytes(input),
            Value::from_bytes(salt),
        ],
    )
}

/// `Contracts::upload_code`, determinism enforced.
pub fn upload_code(wasm: Vec<u8>, deposit: Option<Balance>) -> DynamicPayload {
    subxt::dynamic::tx(
        "Contracts",
        "upload_code",
        vec![Value::from_bytes(wasm), deposit_limit(deposit), Value::unnamed_variant("Enforced", [])],
    )
}

/// `Balances::transfer_allow_death`.
pub fn transfer(to: AccountId, amount: Balance) -> DynamicPayload {
    subxt::dynamic::tx("Balances", "transfer_allow_death", vec![address(to), Value::u128(amount)])
}

/// `Utility::force_batch` of `Balances::transfer_keep_alive`s: each applied or
/// refused on its own, with one `ItemCompleted` or `ItemFailed` event each.
pub fn transfers(payments: Vec<(AccountId, Balance)>) -> DynamicPayload {
    let calls = payments.into_iter().map(|(to, amount)| {
        Value::unnamed_variant(
            "Balances",
            [Value::named_variant("transfer_keep_alive", [("dest", address(to)), ("value", Value::u128(amount))])],
        )
    });
    subxt::dynamic::tx("Utility", "force_batch", vec![Value::unnamed_composite(calls)])
}

/// The payload of a [`TxCall`].
pub fn payload(call: TxCall) -> DynamicPayload {
    match call {
        TxCall::Transfer { to, amount } => transfer(to, amount),
        TxCall::Transfers { payments } => transfers(payments),
        TxCall::Contract { contract, value, input, limits } => contract_call(contract, value, limits, input),
    }
}
