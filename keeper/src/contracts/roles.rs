//! Clients of the staking, splitter, governor and alerts contracts: the reads
//! the keeper makes today. Later duties add their messages here.

use super::{ContractClient, ContractError};
use crate::chain::AccountId;

/// Staking, keeper bonds and voting power.
#[derive(Debug, Clone)]
pub struct StakingClient(pub ContractClient);

impl StakingClient {
    /// Whether `who` is bonded as a keeper.
    pub async fn is_keeper(&self, who: AccountId) -> Result<bool, ContractError> {
        self.0.read("is_keeper", who.0).await
    }
}

/// DAO governance.
#[derive(Debug, Clone)]
pub struct GovernorClient(pub ContractClient);

impl GovernorClient {
    /// Who may veto proposals.
    pub async fn guardian(&self) -> Result<Option<AccountId>, ContractError> {
        Ok(self.0.read::<Option<[u8; 32]>>("guardian", ()).await?.map(AccountId::from))
    }

    /// Proposal `id`, if there is one.
    pub async fn proposal(&self, id: u64) -> Result<Option<lode_governor::Proposal>, ContractError> {
        self.0.read("proposal", id).await
    }

    /// Contracts the circuit breaker may pause.
    pub async fn guarded(&self) -> Result<Vec<AccountId>, ContractError> {
        Ok(self.0.read::<Vec<[u8; 32]>>("guarded", ()).await?.into_iter().map(AccountId::from).collect())
    }
}

/// On-chain alerts and the circuit breaker.
#[derive(Debug, Clone)]
pub struct AlertsClient(pub ContractClient);

impl AlertsClient {
    /// The staking contract it asks `is_keeper`.
    pub async fn staking(&self) -> Result<AccountId, ContractError> {
        self.0.read::<[u8; 32]>("staking", ()).await.map(AccountId::from)
    }
}
