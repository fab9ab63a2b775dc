//! Plain data crossing the [`super::Chain`] boundary, independent of any backend.

use std::fmt;

use lode_primitives::AccountId;
use scale::Decode;

use super::ChainError;

/// Native currency amount (smallest units).
pub type Balance = u128;
/// `blake2_256` of contract code.
pub type CodeHash = [u8; 32];
/// A block's hash.
pub type BlockHash = [u8; 32];

/// Execution cost in the two dimensions Substrate meters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Weight {
    /// Computation, in picoseconds of reference hardware.
    pub ref_time: u64,
    /// Bytes of state proof.
    pub proof_size: u64,
}

impl fmt::Display for Weight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ref_time {} / proof {} B", self.ref_time, self.proof_size)
    }
}

/// Storage deposit effect of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageDeposit {
    /// The caller paid this much for new storage.
    Charge(Balance),
    /// The caller got this much back for freed storage.
    Refund(Balance),
}

/// Identity of a sealed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockInfo {
    /// Height.
    pub number: u64,
    /// Hash of this block.
    pub hash: [u8; 32],
    /// Hash of its parent: a child whose parent hash differs from the hash we saw
    /// at that height reveals a reorg.
    pub parent_hash: [u8; 32],
    /// Timestamp in milliseconds since the Unix epoch (as `pallet-timestamp` keeps it).
    pub timestamp_ms: u64,
}

impl BlockInfo {
    /// Its number and hash.
    pub fn at(&self) -> BlockRef {
        BlockRef { number: self.number, hash: self.hash }
    }
}

/// A block named by number and hash: a position on one fork.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockRef {
    /// Height.
    pub number: u64,
    /// Hash.
    pub hash: BlockHash,
}

impl fmt::Display for BlockRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} (0x{}…)", self.number, hex::encode(&self.hash[..4]))
    }
}

/// A new head the chain announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Head {
    /// The best block changed: a new block on top, or a switch to another fork.
    Best(BlockInfo),
    /// A block became final: it and its ancestors can no longer be retracted.
    Finalized(BlockInfo),
}

/// An event a contract emitted (`Contracts::ContractEmitted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractEvent {
    /// The emitting contract.
    pub contract: AccountId,
    /// Topics; for ink! 5 events the first is the event's signature topic.
    pub topics: Vec<[u8; 32]>,
    /// SCALE-encoded event fields.
    pub data: Vec<u8>,
}

/// A sealed block and the contract events in it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// Which block.
    pub info: BlockInfo,
    /// Contract events emitted in it.
    pub events: Vec<ContractEvent>,
}

/// Result of executing (or dry-running) a contract message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Raw SCALE output: `Result<T, LangError>` for ink! messages.
    pub data: Vec<u8>,
    /// The contract reverted (ink! does so when a message returns `Err`); state is unchanged.
    pub reverted: bool,
    /// Weight actually consumed.
    pub weight_consumed: Weight,
    /// Weight the call needs as a limit (can exceed consumed because of refunds).
    pub weight_required: Weight,
    /// Storage deposit charged or refunded.
    pub storage_deposit: StorageDeposit,
    /// Contract events this call emitted.
    pub events: Vec<ContractEvent>,
}

impl CallOutcome {
    /// Decodes the message's return value, mapping ink!'s `LangError` to an error.
    pub fn decode<T: Decode>(&self) -> Result<T, ChainError> {
        decode_output(&self.data)
    }
}

/// Decodes an ink! message output, `Result<T, LangError>`.
pub fn decode_output<T: Decode>(mut data: &[u8]) -> Result<T, ChainError> {
    match <Result<T, u8>>::decode(&mut data) {
        Ok(Ok(value)) if data.is_empty() => Ok(value),
        Ok(Ok(_)) => Err(ChainError::Decode("trailing bytes after the return value; wrong type for this message?".into())),
        Ok(Err(code)) => Err(ChainError::Decode(format!(
            "ink! could not dispatch the message (LangError {code}): wrong selector or malformed arguments"
        ))),
        Err(e) => Err(ChainError::Decode(format!("return value does not decode: {e}"))),
    }
}

/// Code uploaded to the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uploaded {
    /// Its hash.
    pub code_hash: CodeHash,
    /// Deposit held for storing it (zero when it was already there).
    pub deposit: Balance,
}

/// A contract instantiated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instantiated {
    /// The new contract's account.
    pub address: AccountId,
    /// The constructor's execution.
    pub outcome: CallOutcome,
}
