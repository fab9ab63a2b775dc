//! The one place that turns a message label and arguments into a call: every
//! typed client wraps a [`ContractClient`].

use std::fmt;
use std::sync::Arc;

use lode_deploy::ContractMetadata;
use scale::{Decode, Encode};

use crate::chain::{AccountId, CallOutcome, Chain, ChainError, ContractEvent};
use crate::keys::Signer;

/// The suite's contracts, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SuiteContract {
    /// PSP22 LODE, minted by proof of work.
    Token,
    /// Staking, keeper bonds and voting power.
    Staking,
    /// The multisig, timelocked payout splitter.
    Splitter,
    /// DAO governance.
    Governor,
    /// On-chain alerts and the circuit breaker.
    Alerts,
}

impl SuiteContract {
    /// Every contract, in deployment order.
    pub const ALL: [SuiteContract; 5] =
        [SuiteContract::Token, SuiteContract::Staking, SuiteContract::Splitter, SuiteContract::Governor, SuiteContract::Alerts];

    /// The name its crate, artifacts and deployment record use.
    pub fn name(self) -> &'static str {
        match self {
            SuiteContract::Token => "token",
            SuiteContract::Staking => "staking",
            SuiteContract::Splitter => "splitter",
            SuiteContract::Governor => "governor",
            SuiteContract::Alerts => "alerts",
        }
    }
}

impl fmt::Display for SuiteContract {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a contract call could not be made or understood.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ContractError {
    /// The chain failed.
    #[error("{contract}.{message}: {source}")]
    Chain {
        /// Which contract.
        contract: SuiteContract,
        /// Which message.
        message: &'static str,
        /// What the chain said.
        source: ChainError,
    },
    /// The contract's metadata has no such message: the artifacts do not
    /// match this keeper. Rebuild the contracts, or run a matching keeper.
    #[error("{contract} has no message `{message}` in its metadata; the contract artifacts do not match this keeper")]
    UnknownMessage {
        /// Which contract.
        contract: SuiteContract,
        /// Which message.
        message: &'static str,
    },
}

impl ContractError {
    /// Whether trying again may help.
    pub fn retryable(&self) -> bool {
        matches!(self, ContractError::Chain { source, .. } if source.retryable())
    }
}

/// A deployed contract, its metadata and the chain it lives on.
#[derive(Clone)]
pub struct ContractClient {
    contract: SuiteContract,
    address: AccountId,
    metadata: Arc<ContractMetadata>,
    chain: Arc<dyn Chain>,
    reader: AccountId,
}

impl fmt::Debug for ContractClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ContractClient").field("contract", &self.contract).field("address", &self.address).finish_non_exhaustive()
    }
}

impl ContractClient {
    /// A client of `contract` at `address`; reads are dry runs as `reader`.
    pub fn new(
        contract: SuiteContract,
        address: AccountId,
        metadata: Arc<ContractMetadata>,
        chain: Arc<dyn Chain>,
        reader: AccountId,
    ) -> Self {
        ContractClient { contract, address, metadata, chain, reader }
    }

    /// Which contract.
    pub fn contract(&self) -> SuiteContract {
        self.contract
    }

    /// Its account.
    pub fn address(&self) -> AccountId {
        self.address
    }

    /// The selector and SCALE arguments of `message`.
    pub fn input(&self, message: &'static str, args: impl Encode) -> Result<Vec<u8>, ContractError> {
        let selector = self.metadata.message(message).map_err(|_| ContractError::UnknownMessage { contract: self.contract, message })?;
        let mut input = selector.to_vec();
        args.encode_to(&mut input);
        Ok(input)
    }

    /// Reads `message` without changing state and decodes what it returns.
    pub async fn read<T: Decode>(&self, message: &'static str, args: impl Encode) -> Result<T, ContractError> {
        let input = self.input(message, args)?;
        let fail = |source| ContractError::Chain { contract: self.contract, message, source };
        self.chain.dry_run(self.reader, self.address, 0, input).await.map_err(fail)?.decode().map_err(fail)
    }

    /// Sends `message` signed by `signer` and decodes what it returned
    /// (normally the message's own `Result`).
    pub async fn send<T: Decode>(&self, signer: &Signer, message: &'static str, args: impl Encode) -> Result<T, ContractError> {
        let input = self.input(message, args)?;
        let fail = |source| ContractError::Chain { contract: self.contract, message, source };
        self.chain.call(signer, self.address, 0, input).await.map_err(fail)?.decode().map_err(fail)
    }

    /// Dry-runs `message` as `origin`: what it would return, weigh and
    /// deposit. Returns the input too, for the extrinsic that follows.
    pub async fn measure(
        &self,
        origin: AccountId,
        message: &'static str,
        args: impl Encode,
    ) -> Result<(Vec<u8>, CallOutcome), ContractError> {
        let input = self.input(message, args)?;
        let outcome = self.chain.dry_run(origin, self.address, 0, input.clone()).await.map_err(|source| ContractError::Chain {
            contract: self.contract,
            message,
            source,
        })?;
        Ok((input, outcome))
    }

    /// The label of `event` (by its signature topic), if this contract emitted it.
    pub fn event_label(&self, event: &ContractEvent) -> Option<&str> {
        if event.contract != self.address {
            return None;
        }
        event.topics.first().and_then(|t| self.metadata.event_by_topic(t)).map(|e| e.label.as_str())
    }

    /// Who may upgrade and configure it (every suite contract has one).
    pub async fn admin(&self) -> Result<AccountId, ContractError> {
        self.read::<[u8; 32]>("admin", ()).await.map(AccountId::from)
    }
}
