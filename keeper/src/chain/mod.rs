//! The chain boundary. Every keeper duty talks to the chain through [`Chain`] and
//! never learns which backend serves it.
//!
//! * [`embedded`]: a real `pallet-contracts` runtime in-process (ink_sandbox),
//!   executing the real contract WASM and sealing blocks on a timer. The default:
//!   `lode dev` needs no node.
//! * node: subxt over WebSocket (a later issue) implements the same trait.

pub mod embedded;
mod types;

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::keys::Signer;
pub use lode_primitives::AccountId;
pub use types::{
    decode_output, Balance, Block, BlockInfo, CallOutcome, ChainError, CodeHash, ContractEvent, Instantiated, StorageDeposit, Uploaded,
    Weight,
};

/// A chain with `pallet-contracts`, seen from the keeper.
///
/// State-changing calls are signed by a [`Signer`] and included in the block being
/// built; [`Chain::dry_run`] executes against the current state and changes nothing.
#[async_trait::async_trait]
pub trait Chain: Send + Sync {
    /// Which backend this is (`embedded`, `node`), for status output only.
    fn backend(&self) -> &'static str;

    /// The latest sealed block.
    async fn head(&self) -> Result<BlockInfo, ChainError>;

    /// The hash of block 0, which tells one chain from another: deployments
    /// put it in their salt, so the same deployer, salt and code give
    /// different addresses (and EIP-712 domains) on different chains.
    async fn genesis_hash(&self) -> Result<[u8; 32], ChainError>;

    /// New blocks in order, each with the contract events it holds. A receiver that
    /// falls more than the channel's capacity behind gets `Lagged` and must resync
    /// from [`Chain::head`].
    fn subscribe(&self) -> broadcast::Receiver<Arc<Block>>;

    /// Free native balance of `who`.
    async fn balance(&self, who: AccountId) -> Result<Balance, ChainError>;

    /// Transfers native currency.
    async fn transfer(&self, signer: &Signer, to: AccountId, amount: Balance) -> Result<(), ChainError>;

    /// Uploads contract code; uploading code that is already there is not an error.
    async fn upload_code(&self, signer: &Signer, wasm: Vec<u8>) -> Result<Uploaded, ChainError>;

    /// Instantiates uploaded code with SCALE-encoded constructor `input`.
    async fn instantiate(
        &self,
        signer: &Signer,
        code_hash: CodeHash,
        value: Balance,
        input: Vec<u8>,
        salt: Vec<u8>,
    ) -> Result<Instantiated, ChainError>;

    /// Calls a contract message. A contract that returns an error is *not* a
    /// [`ChainError`]: the outcome says `reverted` and carries the error's encoding.
    async fn call(&self, signer: &Signer, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError>;

    /// Executes a message as `origin` without changing state: for reads and for
    /// measuring weight and storage deposit.
    async fn dry_run(&self, origin: AccountId, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError>;
}
