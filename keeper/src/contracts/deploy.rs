//! Runs lode-deploy's suite plan against any [`Chain`].

use lode_deploy::{Deployed, Deployer, Suite, SuiteConfig};

use std::sync::Arc;

use super::{Contracts, MissingContract};
use crate::chain::{AccountId, Chain};
use crate::keys::Signer;

/// The deploy library's port, served by a chain backend and a signer.
pub struct ChainDeployer<'a> {
    chain: &'a dyn Chain,
    signer: &'a Signer,
}

impl<'a> ChainDeployer<'a> {
    /// Deploys as `signer` on `chain`.
    pub fn new(chain: &'a dyn Chain, signer: &'a Signer) -> Self {
        Self { chain, signer }
    }
}

#[async_trait::async_trait]
impl Deployer for ChainDeployer<'_> {
    async fn genesis_hash(&self) -> Result<[u8; 32], String> {
        self.chain.genesis_hash().await.map_err(|e| e.to_string())
    }

    async fn upload(&self, _contract: &str, wasm: &[u8]) -> Result<[u8; 32], String> {
        self.chain.upload_code(self.signer, wasm.to_vec()).await.map(|u| u.code_hash).map_err(|e| e.to_string())
    }

    async fn instantiate(&self, _contract: &str, code_hash: [u8; 32], input: Vec<u8>, salt: Vec<u8>) -> Result<AccountId, String> {
        self.chain.instantiate(self.signer, code_hash, 0, input, salt).await.map(|i| i.address).map_err(|e| e.to_string())
    }

    async fn call(&self, _contract: &str, address: AccountId, input: Vec<u8>) -> Result<Vec<u8>, String> {
        let outcome = self.chain.call(self.signer, address, 0, input).await.map_err(|e| e.to_string())?;
        if outcome.reverted {
            return Err(format!("call reverted with 0x{}", hex::encode(&outcome.data)));
        }
        Ok(outcome.data)
    }
}

/// Why the suite could not be deployed and wired.
#[derive(Debug, thiserror::Error)]
pub enum SuiteDeployError {
    /// A step of the plan failed.
    #[error(transparent)]
    Deploy(#[from] lode_deploy::DeployError),
    /// The record lacks a contract the clients need.
    #[error(transparent)]
    Missing(#[from] MissingContract),
}

/// Deploys the suite as `signer` and returns the record plus clients of it,
/// reading as `signer`.
pub async fn deploy_suite(
    chain: Arc<dyn Chain>,
    signer: &Signer,
    suite: &Suite,
    config: &SuiteConfig,
) -> Result<(Deployed, Contracts), SuiteDeployError> {
    let deployed = suite.deploy(&ChainDeployer::new(&*chain, signer), config).await?;
    let contracts = Contracts::from_suite(chain, suite, &deployed, signer.account_id())?;
    Ok((deployed, contracts))
}
