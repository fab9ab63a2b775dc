//! `[chain]`: the nodes to talk to, in failover order.

use std::time::Duration;

use serde::Deserialize;

use super::bounded::Bounded;
use super::endpoint::{Endpoint, Endpoints, EndpointsError};
use super::error::ConfigError;
use super::resolve::Resolver;

/// The default endpoint: a local node's RPC port.
pub(crate) const DEFAULT_ENDPOINT: &str = "ws://127.0.0.1:9944";
const DEFAULT_TIMEOUT_SECS: u64 = 30;

/// How to reach the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainConfig {
    /// Nodes, tried in order: on failure the keeper fails over to the next.
    pub endpoints: Endpoints,
    /// How long one request may take before it counts as failed.
    pub request_timeout: Duration,
}

/// `[chain]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawChain {
    endpoints: Vec<Endpoint>,
    request_timeout_secs: Bounded<1, 3600>,
}

impl Default for RawChain {
    fn default() -> Self {
        // The constant is a valid endpoint; the unit test below keeps it so.
        let local = DEFAULT_ENDPOINT.parse().map(|e| vec![e]).unwrap_or_default();
        RawChain { endpoints: local, request_timeout_secs: Bounded(DEFAULT_TIMEOUT_SECS) }
    }
}

impl RawChain {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> Result<ChainConfig, ConfigError> {
        let key = "chain.endpoints";
        let endpoints = Endpoints::new(self.endpoints).map_err(|e| match e {
            EndpointsError::Empty => {
                r.error(key, key, "the list is empty; give at least one WebSocket URL, e.g. [\"ws://127.0.0.1:9944\"]")
            }
            EndpointsError::Duplicate { index, first, shown } => r.error(
                key,
                format!("{key}[{index}]"),
                format!("\"{shown}\" names the same node as {key}[{first}]; list each node once (failover tries them in order)"),
            ),
        })?;
        Ok(ChainConfig { endpoints, request_timeout: Duration::from_secs(self.request_timeout_secs.0) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_endpoint_is_valid() {
        assert_eq!(RawChain::default().endpoints.len(), 1);
    }
}
