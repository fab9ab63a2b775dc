//! Dry runs through the `ContractsApi` runtime calls, SCALE-encoded by hand
//! (the shapes are pallet-contracts' `ContractResult` and friends).
//!
//! contracts-node 0.42 appends the events after the documented fields of
//! every result; decoding stops before them.

use scale::{Decode, Encode};

use crate::chain::{Balance, CodeHash, StorageDeposit, Weight};

/// `sp_weights::Weight` as runtime calls encode it.
#[derive(Debug, Clone, Copy, Encode, Decode)]
pub struct RawWeight {
    #[codec(compact)]
    ref_time: u64,
    #[codec(compact)]
    proof_size: u64,
}

impl From<RawWeight> for Weight {
    fn from(w: RawWeight) -> Self {
        Weight { ref_time: w.ref_time, proof_size: w.proof_size }
    }
}

impl From<Weight> for RawWeight {
    fn from(w: Weight) -> Self {
        RawWeight { ref_time: w.ref_time, proof_size: w.proof_size }
    }
}

#[derive(Decode)]
enum RawDeposit {
    Refund(Balance),
    Charge(Balance),
}

/// The head of `ContractResult`: weights, deposit, debug output.
#[derive(Decode)]
struct Head {
    gas_consumed: RawWeight,
    gas_required: RawWeight,
    storage_deposit: RawDeposit,
    debug_message: Vec<u8>,
}

/// `ExecReturnValue`.
#[derive(Decode)]
struct ExecReturn {
    flags: u32,
    data: Vec<u8>,
}

/// What a dry run reports.
#[derive(Debug, Clone)]
pub struct DryRun {
    /// Weight used.
    pub consumed: Weight,
    /// Weight to give as the limit.
    pub required: Weight,
    /// Deposit charged or refunded.
    pub deposit: StorageDeposit,
    /// The contract's debug output.
    pub debug: String,
    /// The execution: its output and whether it reverted, with the new
    /// contract's account for instantiation; or the dispatch error's bytes.
    pub result: Result<Executed, Vec<u8>>,
}

/// A completed execution.
#[derive(Debug, Clone)]
pub struct Executed {
    /// `Result<T, LangError>` for ink! messages.
    pub data: Vec<u8>,
    /// The contract reverted.
    pub reverted: bool,
    /// The instantiated contract, for `ContractsApi_instantiate`.
    pub account: Option<[u8; 32]>,
}

/// Arguments of `ContractsApi_call`.
pub fn call_args(origin: [u8; 32], dest: [u8; 32], value: Balance, input: &[u8]) -> Vec<u8> {
    (origin, dest, value, Option::<RawWeight>::None, Option::<Balance>::None, input).encode()
}

/// Arguments of `ContractsApi_instantiate` with uploaded code.
pub fn instantiate_args(origin: [u8; 32], value: Balance, code_hash: CodeHash, input: &[u8], salt: &[u8]) -> Vec<u8> {
    // Code::Existing is variant 1.
    (origin, value, Option::<RawWeight>::None, Option::<Balance>::None, 1u8, code_hash, input, salt).encode()
}

/// Arguments of `ContractsApi_instantiate` with the code in the call, for
/// measuring a deployment before the code is on chain.
pub fn instantiate_with_code_args(origin: [u8; 32], value: Balance, wasm: &[u8], input: &[u8], salt: &[u8]) -> Vec<u8> {
    // Code::Upload is variant 0.
    (origin, value, Option::<RawWeight>::None, Option::<Balance>::None, 0u8, wasm, input, salt).encode()
}

/// Arguments of `ContractsApi_upload_code` (determinism enforced).
pub fn upload_args(origin: [u8; 32], wasm: &[u8]) -> Vec<u8> {
    (origin, wasm, Option::<Balance>::None, 0u8).encode()
}

/// Decodes a `ContractsApi_call` (`instantiate`: with an account) result.
pub fn decode_exec(mut bytes: &[u8], instantiate: bool) -> Result<DryRun, scale::Error> {
    let head = Head::decode(&mut bytes)?;
    let result = match u8::decode(&mut bytes)? {
        0 => {
            let exec = ExecReturn::decode(&mut bytes)?;
            let account = if instantiate { Some(<[u8; 32]>::decode(&mut bytes)?) } else { None };
            Ok(Executed { reverted: exec.flags & 1 == 1, data: exec.data, account })
        }
        1 => Err(bytes.to_vec()),
        _ => return Err("a dry-run result is neither Ok nor Err".into()),
    };
    Ok(DryRun {
        consumed: head.gas_consumed.into(),
        required: head.gas_required.into(),
        deposit: match head.storage_deposit {
            RawDeposit::Refund(b) => StorageDeposit::Refund(b),
            RawDeposit::Charge(b) => StorageDeposit::Charge(b),
        },
        debug: String::from_utf8_lossy(&head.debug_message).into_owned(),
        result,
    })
}

/// Decodes a `ContractsApi_upload_code` result: the code hash and deposit,
/// or the dispatch error's bytes.
pub fn decode_upload(mut bytes: &[u8]) -> Result<Result<(CodeHash, Balance), Vec<u8>>, scale::Error> {
    match u8::decode(&mut bytes)? {
        0 => Ok(Ok(<(CodeHash, Balance)>::decode(&mut bytes)?)),
        1 => Ok(Err(bytes.to_vec())),
        _ => Err("an upload result is neither Ok nor Err".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_result_decodes_and_trailing_events_are_ignored() {
        let mut bytes = (RawWeight { ref_time: 10, proof_size: 2 }, RawWeight { ref_time: 12, proof_size: 3 }).encode();
        bytes.push(1); // Charge
        bytes.extend(7u128.encode());
        bytes.extend(Vec::<u8>::new().encode());
        bytes.push(0); // Ok
        bytes.extend(1u32.encode()); // REVERT
        bytes.extend(vec![0u8, 1].encode());
        bytes.extend([1, 2, 3, 4]); // events the node appends
        let d = decode_exec(&bytes, false).unwrap();
        assert_eq!(d.required, Weight { ref_time: 12, proof_size: 3 });
        assert_eq!(d.deposit, StorageDeposit::Charge(7));
        let e = d.result.unwrap();
        assert!(e.reverted);
        assert_eq!(e.data, vec![0, 1]);
    }
}
