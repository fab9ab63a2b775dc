//! The chain boundary. Every keeper duty talks to the chain through [`Chain`] and
//! never learns which backend serves it.
//!
//! * [`embedded`]: a real `pallet-contracts` runtime in-process (ink_sandbox),
//!   executing the real contract WASM and sealing blocks on a timer. `lode dev`
//!   needs no node.
//! * `node`: subxt over WebSocket to a Substrate node.
//!
//! The read side that the watcher needs, heads and blocks, is its own trait,
//! [`BlockSource`], so the watcher's reorg logic can be proven against a
//! scripted source of block trees.

pub mod embedded;
mod error;
pub mod node;
mod submission;
mod types;

use futures::stream::BoxStream;

use crate::keys::Signer;
pub use error::ChainError;
pub use lode_primitives::AccountId;
pub use submission::{Limits, Located, RecordTx, SignedTx, Tx, TxCall, TxHash, TxResult, TxStatus, TxWatch, DRY_RUN_MARGIN_PERCENT};
pub use types::{
    decode_output, Balance, Block, BlockHash, BlockInfo, BlockRef, CallOutcome, CodeHash, ContractEvent, Head, Instantiated,
    StorageDeposit, Uploaded, Weight,
};

/// Heads as the chain announces them. The stream ends (or yields an error) when
/// the connection drops; the follower then follows again and fills the gap
/// from blocks it fetches by hash.
pub type HeadStream = BoxStream<'static, Result<Head, ChainError>>;

/// Blocks and heads: what a follower of the chain reads.
#[async_trait::async_trait]
pub trait BlockSource: Send + Sync {
    /// The best block.
    async fn head(&self) -> Result<BlockInfo, ChainError>;

    /// The latest finalized block.
    async fn finalized(&self) -> Result<BlockInfo, ChainError>;

    /// The block with this hash and the contract events in it, or `None` when
    /// the chain does not know (or no longer keeps) it.
    async fn block(&self, hash: BlockHash) -> Result<Option<Block>, ChainError>;

    /// The hash of the best chain's block at `number`, if there is one.
    async fn block_hash(&self, number: u64) -> Result<Option<BlockHash>, ChainError>;

    /// Best and finalized heads from now on.
    async fn follow(&self) -> Result<HeadStream, ChainError>;
}

/// A chain with `pallet-contracts`, seen from the keeper.
///
/// State-changing calls are signed by a [`Signer`]; each returns once its
/// extrinsic is in a block. [`Chain::dry_run`] executes against the best state
/// and changes nothing.
#[async_trait::async_trait]
pub trait Chain: BlockSource {
    /// Which backend this is (`embedded`, `node`), for status output only.
    fn backend(&self) -> &'static str;

    /// The hash of block 0, which tells one chain from another: deployments
    /// put it in their salt, so the same deployer, salt and code give
    /// different addresses (and EIP-712 domains) on different chains.
    async fn genesis_hash(&self) -> Result<[u8; 32], ChainError>;

    /// Free native balance of `who`.
    async fn balance(&self, who: AccountId) -> Result<Balance, ChainError>;

    /// Transfers native currency.
    async fn transfer(&self, signer: &Signer, to: AccountId, amount: Balance) -> Result<(), ChainError>;

    /// Uploads contract code; uploading code that is already there is not an error.
    async fn upload_code(&self, signer: &Signer, wasm: Vec<u8>) -> Result<Uploaded, ChainError>;

    /// Instantiates uploaded code with SCALE-encoded constructor `input`. A
    /// constructor that returns an error is [`ChainError::Reverted`].
    async fn instantiate(
        &self,
        signer: &Signer,
        code_hash: CodeHash,
        value: Balance,
        input: Vec<u8>,
        salt: Vec<u8>,
    ) -> Result<Instantiated, ChainError>;

    /// Calls a contract message. A message that returns an error is *not* a
    /// [`ChainError`]: the outcome says `reverted` and carries the error's
    /// encoding, so callers decode it as the message's `Result`.
    async fn call(&self, signer: &Signer, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError>;

    /// Executes a message as `origin` without changing state: for reads and for
    /// measuring weight and storage deposit.
    async fn dry_run(&self, origin: AccountId, contract: AccountId, value: Balance, input: Vec<u8>) -> Result<CallOutcome, ChainError>;

    /// Signs `call`, hands the signed extrinsic to `record`, sends it, and
    /// returns its statuses. Unlike [`Chain::call`] nothing is dry-run first
    /// and the caller gives the limits ([`Limits::from_dry_run`]).
    async fn submit(&self, signer: &Signer, tx: Tx, record: &mut dyn RecordTx) -> Result<TxWatch, ChainError>;

    /// Finds `tx`, sent when the best block was `sent_at`, in the finalized
    /// chain: what a caller that lost track of a submission (a crash, a
    /// dropped subscription) asks before sending the same thing again.
    async fn locate(&self, tx: &SignedTx, sent_at: u64) -> Result<Located, ChainError>;
}
