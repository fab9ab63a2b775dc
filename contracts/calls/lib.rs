//! What one Lode contract asks of another, written once: PSP22 transfers and
//! balances on the token, `is_keeper` on staking, and the `set_code_hash` swap
//! behind every contract's `upgrade`. Calls use the standard selectors, so a
//! contract never links another contract's crate (whose events would collide
//! in ink!'s metadata).
#![cfg_attr(not(feature = "std"), no_std)]

use ink::env::call::{build_call, ExecutionInput, Selector};
use ink::env::DefaultEnvironment;
use ink::prelude::vec::Vec;
use ink::primitives::{AccountId, Hash};
use lode_primitives::psp22::PSP22Error;

/// Why a call to another contract did not succeed. Either way the callee's
/// changes are reverted and the caller may carry on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The token answered with a PSP22 error.
    Refused(PSP22Error),
    /// The callee could not be called or its answer not decoded.
    Unreachable,
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

/// `PSP22::balance_of(owner)` on `token`.
pub fn psp22_balance_of(token: AccountId, owner: AccountId) -> Result<u128, CallError> {
    call(token, ExecutionInput::new(Selector::new(ink::selector_bytes!("PSP22::balance_of"))).push_arg(owner))
}

/// Staking's `is_keeper(who)`.
pub fn is_keeper(staking: AccountId, who: AccountId) -> Result<bool, CallError> {
    call(staking, ExecutionInput::new(Selector::new(ink::selector_bytes!("is_keeper"))).push_arg(who))
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

fn psp22_result(answer: Result<Result<(), PSP22Error>, CallError>) -> Result<(), CallError> {
    answer?.map_err(CallError::Refused)
}
