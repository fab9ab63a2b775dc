//! What one Lode contract asks of another or of the host, written once: PSP22
//! transfers and balances on the token; `is_keeper` and voting power on
//! staking; `pause`, `upgrade` and raw governance calls on any Lode contract;
//! the admin role's checks and the `set_code_hash` swap behind every
//! `upgrade`; a batch transfer on the token; and recovering the account behind
//! an EIP-712 signature. Calls use the standard selectors, so a
//! contract never links another contract's crate (whose events would collide
//! in ink!'s metadata).
#![cfg_attr(not(feature = "std"), no_std)]

use ink::env::call::{build_call, ExecutionInput, Selector};
use ink::env::hash::{Blake2x256, Keccak256};
use ink::env::{CallFlags, DefaultEnvironment};
use ink::prelude::vec::Vec;
use ink::primitives::{AccountId, Hash};
use lode_primitives::psp22::PSP22Error;

/// Why a call to another contract did not succeed. Either way the callee's
/// changes are reverted and the caller may carry on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The token answered with a PSP22 error.
    Refused(PSP22Error),
    /// The callee answered with an error of its own (an `Err`, which reverted it).
    Rejected,
    /// The callee could not be called or its answer not decoded.
    Unreachable,
}

/// Why an admin action was refused. Each contract turns it into its own
/// `Error` variant of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminError {
    /// The caller does not hold the admin role.
    NotAdmin,
    /// The zero account cannot be named here.
    ZeroAccount,
    /// No code with that hash has been uploaded.
    UnknownCodeHash,
}

/// Implements `From<AdminError>` for a contract's `Error`, which must have
/// the variants `NotAdmin`, `ZeroAccount` and `UnknownCodeHash`, so every
/// contract reports an admin refusal under the same names.
#[macro_export]
macro_rules! admin_errors {
    ($error:ty) => {
        impl From<$crate::AdminError> for $error {
            fn from(e: $crate::AdminError) -> Self {
                match e {
                    $crate::AdminError::NotAdmin => Self::NotAdmin,
                    $crate::AdminError::ZeroAccount => Self::ZeroAccount,
                    $crate::AdminError::UnknownCodeHash => Self::UnknownCodeHash,
                }
            }
        }
    };
}

/// Whether `account` is the zero account: no key controls it, so anything
/// handed to it is lost.
pub fn is_zero(account: &AccountId) -> bool {
    *account == AccountId::from([0u8; 32])
}

/// Refuses the zero account.
pub fn ensure_nonzero(account: &AccountId) -> Result<(), AdminError> {
    if is_zero(account) {
        return Err(AdminError::ZeroAccount);
    }
    Ok(())
}

/// Checks that `caller` holds the admin role `admin`.
pub fn ensure_admin(admin: &AccountId, caller: &AccountId) -> Result<(), AdminError> {
    if admin != caller {
        return Err(AdminError::NotAdmin);
    }
    Ok(())
}

/// Checks a hand-over of the admin role from `admin` to `new_admin`, asked by
/// `caller`: only the admin may, and never to the zero account.
pub fn check_hand_over(admin: &AccountId, caller: &AccountId, new_admin: &AccountId) -> Result<(), AdminError> {
    ensure_admin(admin, caller)?;
    ensure_nonzero(new_admin)
}

/// The body of every contract's `upgrade`: checks that `caller` is `admin`,
/// then swaps the calling contract's code for `code_hash`, keeping its
/// storage. Returns the code hash it ran before.
pub fn upgrade_as_admin(admin: &AccountId, caller: &AccountId, code_hash: &Hash) -> Result<Hash, AdminError> {
    ensure_admin(admin, caller)?;
    replace_code(code_hash).ok_or(AdminError::UnknownCodeHash)
}

/// `PSP22::transfer(to, amount)` on `token`, from the calling contract.
pub fn psp22_transfer(token: AccountId, to: AccountId, amount: u128) -> Result<(), CallError> {
    let input = ExecutionInput::new(Selector::new(ink::selector_bytes!("PSP22::transfer")))
        .push_arg(to)
        .push_arg(amount)
        .push_arg(Vec::<u8>::new());
    psp22_result(call(token, input))
}

/// `PSP22::transfer_from(from, to, amount)` on `token`, spending the calling
/// contract's allowance.
pub fn psp22_transfer_from(token: AccountId, from: AccountId, to: AccountId, amount: u128) -> Result<(), CallError> {
    let input = ExecutionInput::new(Selector::new(ink::selector_bytes!("PSP22::transfer_from")))
        .push_arg(from)
        .push_arg(to)
        .push_arg(amount)
        .push_arg(Vec::<u8>::new());
    psp22_result(call(token, input))
}

/// The token's `transfer_batch(payments)`: pays each `(to, amount)` from the
/// calling contract in one call, so the token's code is loaded once. Answers
/// the indices of the payments the token refused; the others are paid.
pub fn transfer_batch(token: AccountId, payments: &[(AccountId, u128)]) -> Result<Vec<u32>, CallError> {
    let input = ExecutionInput::new(Selector::new(ink::selector_bytes!("transfer_batch"))).push_arg(payments);
    let answer: Result<Result<Vec<u32>, PSP22Error>, CallError> = call(token, input);
    answer?.map_err(CallError::Refused)
}

/// `PSP22::balance_of(owner)` on `token`.
pub fn psp22_balance_of(token: AccountId, owner: AccountId) -> Result<u128, CallError> {
    call(token, ExecutionInput::new(Selector::new(ink::selector_bytes!("PSP22::balance_of"))).push_arg(owner))
}

/// Staking's `is_keeper(who)`.
pub fn is_keeper(staking: AccountId, who: AccountId) -> Result<bool, CallError> {
    call(staking, ExecutionInput::new(Selector::new(ink::selector_bytes!("is_keeper"))).push_arg(who))
}

/// Staking's `unbonding_period()`, in blocks.
pub fn unbonding_period(staking: AccountId) -> Result<u32, CallError> {
    call(staking, ExecutionInput::new(Selector::new(ink::selector_bytes!("unbonding_period"))))
}

/// Staking's `voting_power_at(who, block)`.
pub fn voting_power_at(staking: AccountId, who: AccountId, block: u32) -> Result<u128, CallError> {
    let input = ExecutionInput::new(Selector::new(ink::selector_bytes!("voting_power_at"))).push_arg(who).push_arg(block);
    lode_result(call(staking, input))
}

/// Staking's `total_power_at(block)`.
pub fn total_power_at(staking: AccountId, block: u32) -> Result<u128, CallError> {
    lode_result(call(staking, ExecutionInput::new(Selector::new(ink::selector_bytes!("total_power_at"))).push_arg(block)))
}

/// The governor's `is_guarded(contract)`: may alerts pause it?
pub fn is_guarded(governor: AccountId, contract: AccountId) -> Result<bool, CallError> {
    call(governor, ExecutionInput::new(Selector::new(ink::selector_bytes!("is_guarded"))).push_arg(contract))
}

/// `pause()` on a Lode contract that can be paused.
pub fn pause(target: AccountId) -> Result<(), CallError> {
    lode_result(call(target, ExecutionInput::new(Selector::new(ink::selector_bytes!("pause")))))
}

/// `upgrade(code_hash)` on a Lode contract.
pub fn upgrade(target: AccountId, code_hash: Hash) -> Result<(), CallError> {
    lode_result(call(target, ExecutionInput::new(Selector::new(ink::selector_bytes!("upgrade"))).push_arg(code_hash)))
}

/// Calls message `selector` of `target` with SCALE-encoded `args`, sending
/// `value`. The message must return a `Result`: an `Err` answer fails, and
/// so does an answer that is not a `Result`. The calling contract may be `target` itself (the governor
/// setting its own parameters), so re-entry is allowed for that call.
pub fn call_raw(target: AccountId, selector: [u8; 4], args: Vec<u8>, value: u128) -> Result<(), CallError> {
    let myself = ink::env::account_id::<DefaultEnvironment>();
    let flags = if target == myself { CallFlags::ALLOW_REENTRY } else { CallFlags::empty() };
    let answer = build_call::<DefaultEnvironment>()
        .call(target)
        .transferred_value(value)
        .call_flags(flags)
        .exec_input(ExecutionInput::new(Selector::new(selector)).push_arg(Raw(args)))
        .returns::<Result<Opaque, Opaque>>()
        .try_invoke()
        .map_err(|_| CallError::Unreachable)?
        .map_err(|_| CallError::Unreachable)?;
    answer.map(|_| ()).map_err(|_| CallError::Rejected)
}

/// The account behind an EIP-712 `signature` of `digest`: `blake2_256` of the
/// recovered compressed secp256k1 key, as the chain derives ECDSA accounts.
/// `None` when no key can be recovered.
pub fn recover_signer(signature: &[u8; 65], digest: &[u8; 32]) -> Option<AccountId> {
    let mut key = [0u8; 33];
    ink::env::ecdsa_recover(signature, digest, &mut key).ok()?;
    let mut account = [0u8; 32];
    ink::env::hash_bytes::<Blake2x256>(&key, &mut account);
    Some(AccountId::from(account))
}

/// keccak-256 through the host, for [`lode_primitives::eip712`].
pub fn keccak256(input: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    ink::env::hash_bytes::<Keccak256>(input, &mut out);
    out
}

/// Swaps the calling contract's code for `code_hash`, keeping its storage.
/// Returns the code hash it ran before; `None` when no such code was uploaded.
pub fn replace_code(code_hash: &Hash) -> Option<Hash> {
    let old = ink::env::own_code_hash::<DefaultEnvironment>().ok()?;
    ink::env::set_code_hash::<DefaultEnvironment>(code_hash).ok()?;
    Some(old)
}

/// Calls `callee` with `input` and decodes its `R` answer.
fn call<Args: ink::scale::Encode, R: ink::scale::Decode>(callee: AccountId, input: ExecutionInput<Args>) -> Result<R, CallError> {
    build_call::<DefaultEnvironment>()
        .call(callee)
        .exec_input(input)
        .returns::<R>()
        .try_invoke()
        .map_err(|_| CallError::Unreachable)?
        .map_err(|_| CallError::Unreachable)
}

/// Arguments already SCALE-encoded: written as they are, with no length prefix.
struct Raw(Vec<u8>);

impl ink::scale::Encode for Raw {
    fn size_hint(&self) -> usize {
        self.0.len()
    }

    fn encode_to<T: ink::scale::Output + ?Sized>(&self, dest: &mut T) {
        dest.write(&self.0);
    }
}

/// Any answer, left undecoded: takes every remaining byte.
struct Opaque;

impl ink::scale::Decode for Opaque {
    fn decode<I: ink::scale::Input>(input: &mut I) -> Result<Self, ink::scale::Error> {
        while input.read_byte().is_ok() {}
        Ok(Opaque)
    }
}

/// A Lode message's `Result<T, Error>`, whatever its error type.
fn lode_result<T>(answer: Result<Result<T, Opaque>, CallError>) -> Result<T, CallError> {
    answer?.map_err(|_| CallError::Rejected)
}

fn psp22_result(answer: Result<Result<(), PSP22Error>, CallError>) -> Result<(), CallError> {
    answer?.map_err(CallError::Refused)
}
