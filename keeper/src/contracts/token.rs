//! The token's client.

use lode_token::{Error as TokenError, MiningState};

use super::{ContractClient, ContractError};
use scale::Decode;

use crate::chain::{AccountId, CallOutcome, ContractEvent};
use crate::keys::Signer;

/// PSP22 LODE, minted by proof of work.
#[derive(Debug, Clone)]
pub struct TokenClient(pub ContractClient);

impl TokenClient {
    /// The current challenge, target and reward.
    pub async fn mining_state(&self) -> Result<MiningState, ContractError> {
        self.0.read("mining_state", ()).await
    }

    /// Submits a proof-of-work `nonce` for `challenge`, paying `beneficiary`.
    /// `Ok(Err(_))` is the token's refusal (most often: another miner was first).
    pub async fn mine(
        &self,
        signer: &Signer,
        challenge: [u8; 32],
        nonce: [u8; 32],
        beneficiary: AccountId,
    ) -> Result<Result<u128, TokenError>, ContractError> {
        self.0.send(signer, "mine", (challenge, nonce, beneficiary.0)).await
    }

    /// `(from, to, value)` of `event` if it is this token's `Transfer`.
    pub fn transfer_event(&self, event: &ContractEvent) -> Option<(Option<AccountId>, Option<AccountId>, u128)> {
        if self.0.event_label(event)? != "Transfer" {
            return None;
        }
        let mut data = &event.data[..];
        let (from, to, value) = <(Option<[u8; 32]>, Option<[u8; 32]>, u128)>::decode(&mut data).ok()?;
        data.is_empty().then_some((from.map(AccountId), to.map(AccountId), value))
    }

    /// Dry-runs `transfer_batch(payments)` from `origin`: its input, and what
    /// it would weigh and whether it would revert.
    pub async fn measure_transfer_batch(
        &self,
        origin: AccountId,
        payments: &[(AccountId, u128)],
    ) -> Result<(Vec<u8>, CallOutcome), ContractError> {
        let payments: Vec<([u8; 32], u128)> = payments.iter().map(|(to, v)| (to.0, *v)).collect();
        self.0.measure(origin, "transfer_batch", payments).await
    }

    /// `(from, payments made)` of `event` if it is this token's `TransferBatch`.
    pub fn transfer_batch_event(&self, event: &ContractEvent) -> Option<(AccountId, Vec<(AccountId, u128)>)> {
        if self.0.event_label(event)? != "TransferBatch" {
            return None;
        }
        let mut data = &event.data[..];
        let (from, paid) = <([u8; 32], Vec<([u8; 32], u128)>)>::decode(&mut data).ok()?;
        data.is_empty().then(|| (AccountId(from), paid.into_iter().map(|(to, v)| (AccountId(to), v)).collect()))
    }

    /// LODE held by `who`.
    pub async fn balance_of(&self, who: AccountId) -> Result<u128, ContractError> {
        self.0.read("PSP22::balance_of", who.0).await
    }
}
