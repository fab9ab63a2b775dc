//! The token's client.

use lode_token::{Error as TokenError, MiningState};

use super::{ContractClient, ContractError};
use crate::chain::AccountId;
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

    /// LODE held by `who`.
    pub async fn balance_of(&self, who: AccountId) -> Result<u128, ContractError> {
        self.0.read("PSP22::balance_of", who.0).await
    }
}
