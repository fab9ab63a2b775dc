//! Names contract events: which contract emitted it (by address) and which event
//! it is (by its signature topic, from the contract's metadata).

use std::collections::HashMap;
use std::fmt;

use lode_deploy::ContractMetadata;

use crate::chain::{AccountId, ContractEvent};

/// Deployed contracts the keeper knows, with their metadata.
#[derive(Debug, Clone, Default)]
pub struct EventRegistry {
    contracts: HashMap<AccountId, (String, ContractMetadata)>,
}

/// A contract event with its names resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedEvent {
    /// Contract name, or its address when unknown.
    pub contract: String,
    /// Event label, or `unknown` when no topic matches.
    pub event: String,
}

impl fmt::Display for NamedEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.contract, self.event)
    }
}

impl EventRegistry {
    /// Remembers that `address` runs contract `name` described by `metadata`.
    pub fn register(&mut self, name: &str, address: AccountId, metadata: ContractMetadata) {
        self.contracts.insert(address, (name.to_owned(), metadata));
    }

    /// Resolves an event's contract and label.
    pub fn name(&self, event: &ContractEvent) -> NamedEvent {
        match self.contracts.get(&event.contract) {
            Some((name, meta)) => NamedEvent {
                contract: name.clone(),
                event: event
                    .topics
                    .first()
                    .and_then(|t| meta.event_by_topic(t))
                    .map(|e| e.label.clone())
                    .unwrap_or_else(|| "unknown".into()),
            },
            None => NamedEvent { contract: event.contract.to_string(), event: "unknown".into() },
        }
    }

    /// Whether `event` is `label` from contract `name`.
    pub fn is(&self, event: &ContractEvent, name: &str, label: &str) -> bool {
        let n = self.name(event);
        n.contract == name && n.event == label
    }
}
