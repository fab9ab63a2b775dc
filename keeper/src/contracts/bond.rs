//! Bonding a keeper on a dev chain: LODE from a funder, staked by the
//! keeper. A keeper must be bonded to settle and to raise alerts.

use lode_token::PSP22Error;

use super::{ContractError, Contracts};
use crate::keys::Signer;

/// Why bonding failed.
#[derive(Debug, thiserror::Error)]
pub enum BondError {
    /// A call could not be made.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The token refused the transfer or the approval.
    #[error("the token refused to {what}: {reason:?}")]
    Token {
        /// What was refused.
        what: &'static str,
        /// Why.
        reason: PSP22Error,
    },
    /// Staking refused the stake.
    #[error("staking refused the stake: {0:?}")]
    Staking(lode_staking::Error),
}

/// Sends `amount` LODE from `funder` to `keeper`, and stakes it as `keeper`.
/// It counts as a keeper bond once `amount` is at least the staking
/// contract's `min_keeper_bond` and its activation delay has passed.
pub async fn bond_keeper(contracts: &Contracts, funder: &Signer, keeper: &Signer, amount: u128) -> Result<(), BondError> {
    let token = &contracts.token.0;
    let staking = contracts.staking.0.address();
    let sent: Result<(), PSP22Error> = token.send(funder, "PSP22::transfer", (keeper.account_id().0, amount, Vec::<u8>::new())).await?;
    sent.map_err(|reason| BondError::Token { what: "fund the keeper", reason })?;
    let approved: Result<(), PSP22Error> = token.send(keeper, "PSP22::approve", (staking.0, amount)).await?;
    approved.map_err(|reason| BondError::Token { what: "approve staking", reason })?;
    let staked: Result<(), lode_staking::Error> = contracts.staking.0.send(keeper, "stake", amount).await?;
    staked.map_err(BondError::Staking)
}
