//! The deployed suite, seen through typed clients: duties call
//! `contracts.token.mining_state()`, never a message label.

mod bond;
mod client;
mod deploy;
mod events;
mod manifest;
mod roles;
mod splitter;
mod token;
mod wiring;

use std::sync::Arc;

use lode_deploy::{ContractMetadata, Deployed, Suite};

pub use bond::{bond_keeper, BondError};
pub use client::{ContractClient, ContractError, SuiteContract};
pub use deploy::{deploy_suite, ChainDeployer};
pub use events::{EventRegistry, NamedEvent};
pub use manifest::{Manifest, ManifestContract, ManifestError};
pub use roles::{AlertsClient, GovernorClient, StakingClient};
pub use splitter::{Book, SplitterClient, SplitterEvent};
pub use token::TokenClient;
pub use wiring::Wiring;

use crate::chain::{AccountId, Chain};

/// Clients of every contract in a deployment, and the registry that names
/// their events.
#[derive(Debug, Clone)]
pub struct Contracts {
    /// LODE.
    pub token: TokenClient,
    /// Staking.
    pub staking: StakingClient,
    /// The splitter.
    pub splitter: SplitterClient,
    /// Governance.
    pub governor: GovernorClient,
    /// Alerts.
    pub alerts: AlertsClient,
    /// Names events by contract and signature topic.
    pub events: EventRegistry,
}

/// A deployment record that lacks a contract of the suite.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("the deployment has no {0} contract (or its artifact is missing); deploy the whole suite with `lode deploy`")]
pub struct MissingContract(pub SuiteContract);

impl Contracts {
    /// Clients of `deployed` on `chain`, reading as `reader`, with each
    /// contract's metadata from `metadata`.
    pub fn new(
        chain: Arc<dyn Chain>,
        deployed: &Deployed,
        metadata: impl Fn(&str) -> Option<ContractMetadata>,
        reader: AccountId,
    ) -> Result<Self, MissingContract> {
        let mut events = EventRegistry::default();
        let mut client = |c: SuiteContract| {
            let address = deployed.address(c.name()).ok_or(MissingContract(c))?;
            let meta = metadata(c.name()).ok_or(MissingContract(c))?;
            events.register(c.name(), address, meta.clone());
            Ok::<_, MissingContract>(ContractClient::new(c, address, Arc::new(meta), Arc::clone(&chain), reader))
        };
        Ok(Contracts {
            token: TokenClient(client(SuiteContract::Token)?),
            staking: StakingClient(client(SuiteContract::Staking)?),
            splitter: SplitterClient(client(SuiteContract::Splitter)?),
            governor: GovernorClient(client(SuiteContract::Governor)?),
            alerts: AlertsClient(client(SuiteContract::Alerts)?),
            events,
        })
    }

    /// Clients of `deployed`, with metadata from the built `suite`.
    pub fn from_suite(chain: Arc<dyn Chain>, suite: &Suite, deployed: &Deployed, reader: AccountId) -> Result<Self, MissingContract> {
        Self::new(chain, deployed, |name| suite.artifact(name).map(|a| a.metadata.clone()), reader)
    }

    /// Every client, in deployment order.
    pub fn all(&self) -> [&ContractClient; 5] {
        [&self.token.0, &self.staking.0, &self.splitter.0, &self.governor.0, &self.alerts.0]
    }
}
