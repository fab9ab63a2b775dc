//! Who controls what in a deployed suite, read back from the chain rather than
//! from the deployment plan, so what `lode dev` prints is what the contracts say.

use lode_deploy::{Deployed, Suite};
use scale::{Decode, Encode};

use crate::chain::{AccountId, Chain, ChainError};

/// The suite's control wiring as the contracts report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wiring {
    /// `(contract, its admin)`, for every contract with an `admin()` message.
    pub admins: Vec<(String, AccountId)>,
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
    /// Reads the wiring of `deployed` through dry runs as `reader`.
    pub async fn read(chain: &dyn Chain, suite: &Suite, deployed: &Deployed, reader: AccountId) -> Result<Self, ChainError> {
        let get = Reader { chain, suite, deployed, reader };
        let mut admins = Vec::new();
        for c in &deployed.contracts {
            admins.push((c.name.clone(), get.value::<[u8; 32]>(&c.name, "admin", ()).await?.into()));
        }
        Ok(Self {
            admins,
            veto_guardian: get.value::<Option<[u8; 32]>>("governor", "guardian", ()).await?.map(AccountId::from),
            splitter_guardian: get.value::<Option<[u8; 32]>>("splitter", "guardian", ()).await?.map(AccountId::from),
            guarded: get.value::<Vec<[u8; 32]>>("governor", "guarded", ()).await?.into_iter().map(AccountId::from).collect(),
            alerts_staking: get.value::<[u8; 32]>("alerts", "staking", ()).await?.into(),
        })
    }

    /// Lines for a terminal, naming suite contracts by name and other accounts by `name_of`.
    pub fn describe(&self, deployed: &Deployed, name_of: impl Fn(&AccountId) -> Option<String>) -> Vec<String> {
        let name = |a: &AccountId| {
            deployed
                .contracts
                .iter()
                .find(|c| c.address == *a)
                .map(|c| c.name.clone())
                .or_else(|| name_of(a))
                .unwrap_or_else(|| a.to_string())
        };
        let opt = |a: &Option<AccountId>| a.as_ref().map_or_else(|| "none".to_owned(), name);
        let mut lines: Vec<String> = self.admins.iter().map(|(c, a)| format!("admin of {c:<9} {}", name(a))).collect();
        lines.push(format!("governor veto guardian: {}", opt(&self.veto_guardian)));
        lines.push(format!("splitter guardian (may pause it): {}", opt(&self.splitter_guardian)));
        lines.push(format!("guarded by the circuit breaker: {}", self.guarded.iter().map(name).collect::<Vec<_>>().join(", ")));
        lines.push(format!("keepers (splitter.settle, alerts.raise) gated by: {}", name(&self.alerts_staking)));
        lines
    }
}

struct Reader<'a> {
    chain: &'a dyn Chain,
    suite: &'a Suite,
    deployed: &'a Deployed,
    reader: AccountId,
}

impl Reader<'_> {
    async fn value<T: Decode>(&self, contract: &str, label: &str, args: impl Encode) -> Result<T, ChainError> {
        let missing = |what: &str| ChainError::Dispatch { what: format!("reading {contract}.{label}"), detail: what.to_owned() };
        let address = self.deployed.address(contract).ok_or_else(|| missing("the contract is not deployed"))?;
        let input = self.suite.message_input(contract, label, args).map_err(|e| missing(&e.to_string()))?;
        self.chain.dry_run(self.reader, address, 0, input).await?.decode()
    }
}
