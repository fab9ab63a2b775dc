//! Who controls what in a deployed suite, read back from the chain rather than
//! from the deployment plan, so what `lode dev` prints is what the contracts say.

use super::{ContractError, Contracts, SuiteContract};
use crate::chain::AccountId;

/// The suite's control wiring as the contracts report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// Every contract's admin.
    pub admins: Vec<(SuiteContract, AccountId)>,
    /// The governor's guardian, who may veto proposals.
    pub veto_guardian: Option<AccountId>,
    /// The splitter's guardian, who may pause it (the alerts contract).
    pub splitter_guardian: Option<AccountId>,
    /// Contracts the governor lets alerts pause.
    pub guarded: Vec<AccountId>,
    /// The staking contract alerts asks `is_keeper`.
    pub alerts_staking: AccountId,
}

impl Wiring {
    /// Reads the wiring through the contracts' own messages.
    pub async fn read(contracts: &Contracts) -> Result<Self, ContractError> {
        let mut admins = Vec::new();
        for c in contracts.all() {
            admins.push((c.contract(), c.admin().await?));
        }
        Ok(Self {
            admins,
            veto_guardian: contracts.governor.guardian().await?,
            splitter_guardian: contracts.splitter.guardian().await?,
            guarded: contracts.governor.guarded().await?,
            alerts_staking: contracts.alerts.staking().await?,
        })
    }

    /// Lines for a terminal, naming suite contracts by name and other accounts by `name_of`.
    pub fn describe(&self, contracts: &Contracts, name_of: impl Fn(&AccountId) -> Option<String>) -> Vec<String> {
        let name = |a: &AccountId| {
            contracts
                .all()
                .iter()
                .find(|c| c.address() == *a)
                .map(|c| c.contract().name().to_owned())
                .or_else(|| name_of(a))
                .unwrap_or_else(|| a.to_string())
        };
        let opt = |a: &Option<AccountId>| a.as_ref().map_or_else(|| "none".to_owned(), name);
        let mut lines: Vec<String> = self.admins.iter().map(|(c, a)| format!("admin of {:<9} {}", c.name(), name(a))).collect();
        lines.push(format!("governor veto guardian: {}", opt(&self.veto_guardian)));
        lines.push(format!("splitter guardian (may pause it): {}", opt(&self.splitter_guardian)));
        lines.push(format!("guarded by the circuit breaker: {}", self.guarded.iter().map(name).collect::<Vec<_>>().join(", ")));
        lines.push(format!("keepers (splitter.settle, alerts.raise) gated by: {}", name(&self.alerts_staking)));
        lines
    }
}
