//! Clients of the staking, splitter, governor and alerts contracts: the reads
//! the keeper makes today. Later duties add their messages here.

use super::{ContractClient, ContractError};
use crate::chain::AccountId;
use crate::keys::Signer;

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
    /// Raises an alert as `keeper` (bonded keepers only; rate-limited).
    /// Returns its id.
    pub async fn raise(
        &self,
        keeper: &Signer,
        kind: lode_alerts::AlertKind,
        severity: lode_alerts::Severity,
        subject: Option<AccountId>,
        details_hash: [u8; 32],
    ) -> Result<Result<u64, lode_alerts::Error>, ContractError> {
        self.0.send(keeper, "raise", (kind, severity, subject.map(|s| s.0), details_hash)).await
    }

    /// `keeper`'s last audit-log anchor.
    pub async fn anchor_of(&self, keeper: AccountId) -> Result<Option<lode_alerts::Anchor>, ContractError> {
        self.0.read("anchor_of", keeper.0).await
    }

    /// Anchors `keeper`'s audit log rows `from..=to`, whose last hashes to `head_hash`.
    pub async fn anchor(
        &self,
        keeper: &Signer,
        from: u64,
        to: u64,
        head_hash: [u8; 32],
    ) -> Result<Result<(), lode_alerts::Error>, ContractError> {
        self.0.send(keeper, "anchor", (from, to, head_hash)).await
    }

    /// The staking contract it asks `is_keeper`.
    pub async fn staking(&self) -> Result<AccountId, ContractError> {
        self.0.read::<[u8; 32]>("staking", ()).await.map(AccountId::from)
    }
}
