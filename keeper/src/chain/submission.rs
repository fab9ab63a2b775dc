//! The submission lifecycle, for callers that must survive a crash: the
//! extrinsic's hash is handed to the caller after signing and before sending,
//! so it can be recorded first; then the caller follows its statuses.

use futures::stream::BoxStream;

use super::{AccountId, Balance, BlockRef, CallOutcome, ContractEvent, StorageDeposit, Weight};

/// An extrinsic's hash.
pub type TxHash = [u8; 32];

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxCall {
    /// Native currency to `to`.
    Transfer {
        /// The payee.
        to: AccountId,
        /// How much.
        amount: Balance,
    },
    /// Native currency to each payee in one extrinsic, each transfer applied
    /// or refused on its own (the node's `Utility::force_batch` of
    /// `Balances::transfer_keep_alive`): one refused payee does not undo the
    /// others, and the payer is never reaped.
    Transfers {
        /// Payees and amounts, in order.
        payments: Vec<(AccountId, Balance)>,
    },
    /// A contract message.
    Contract {
        /// The contract.
        contract: AccountId,
        /// Native currency sent with it.
        value: Balance,
        /// Selector and SCALE arguments.
        input: Vec<u8>,
        /// Its gas and deposit limits.
        limits: Limits,
    },
}

/// An extrinsic to send: the call and the tip offered on top of the fee.
/// A higher tip buys priority in the pool: raised when an extrinsic waits
/// too long for inclusion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tx {
    /// What to send.
    pub call: TxCall,
    /// Paid to the block author on top of the fee.
    pub tip: Balance,
    /// Send with this nonce, replacing the signer's extrinsic in the pool
    /// that holds it (the pool takes the one with the higher tip); `None`:
    /// the next nonce.
    pub replaces: Option<u64>,
}

impl From<TxCall> for Tx {
    fn from(call: TxCall) -> Self {
        Tx { call, tip: 0, replaces: None }
    }
}

/// Extra weight and deposit, in percent, over what a dry run needed: state
/// may change a little between the dry run and inclusion.
pub const DRY_RUN_MARGIN_PERCENT: u64 = 10;

/// Gas and storage-deposit limits for a contract extrinsic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The weight limit.
    pub weight: Weight,
    /// The most storage deposit the signer agrees to pay; `None`: no limit.
    pub storage_deposit: Option<Balance>,
}

impl Limits {
    /// What a dry run needed, plus `percent`: state may change a little
    /// between the dry run and inclusion.
    pub fn from_dry_run(dry: &CallOutcome, percent: u64) -> Self {
        let add = |v: u64| v.saturating_add(v / 100 * percent);
        let weight = Weight { ref_time: add(dry.weight_required.ref_time), proof_size: add(dry.weight_required.proof_size) };
        let storage_deposit = match dry.storage_deposit {
            StorageDeposit::Charge(c) => c.saturating_add(c / 100 * u128::from(percent)),
            StorageDeposit::Refund(_) => 0,
        };
        Limits { weight, storage_deposit: Some(storage_deposit) }
    }
}

/// A signed extrinsic about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignedTx {
    /// Its hash, as the chain will know it.
    pub hash: TxHash,
    /// Who signed it.
    pub signer: AccountId,
    /// Its nonce.
    pub nonce: u64,
}

/// How an extrinsic in a block went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxResult {
    /// It was applied; these are its contract events.
    Success {
        /// Contract events it emitted.
        events: Vec<ContractEvent>,
        /// For [`TxCall::Transfers`]: each refused item's index and the
        /// runtime's error name; the others were applied. Empty otherwise.
        failed_items: Vec<(u32, String)>,
    },
    /// It is in the block but failed (fees paid, no effect).
    Failed {
        /// The runtime's error name (`Contracts::ContractReverted`).
        error: String,
    },
}

/// Where a submitted extrinsic stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxStatus {
    /// In a best block.
    InBlock {
        /// Which block.
        block: BlockRef,
        /// How it went.
        result: TxResult,
    },
    /// The block it was in left the best chain; it may come back in another.
    Retracted {
        /// The block it left.
        block: BlockRef,
    },
    /// In a finalized block: final. The stream ends.
    Finalized {
        /// Which block.
        block: BlockRef,
    },
    /// The pool dropped it (replaced, or the pool was full). The stream ends.
    Dropped {
        /// Why.
        reason: String,
    },
    /// It can no longer be included (stale nonce, expired). The stream ends.
    Invalid {
        /// Why.
        reason: String,
    },
}

/// Where an extrinsic that was sent stands, judged from finalized blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Located {
    /// In this finalized block, and how it went.
    Included {
        /// The block.
        block: BlockRef,
        /// How it went.
        result: TxResult,
    },
    /// Not in any finalized block since it was sent, and its signer's nonce
    /// is used there by another extrinsic: it can never be included.
    Superseded,
    /// Not finalized yet: it may be in a pool or a best block still.
    Pending,
}

/// A submitted extrinsic's statuses, in order.
pub type TxWatch = BoxStream<'static, TxStatus>;

/// Told about each extrinsic after it is signed and before it is sent. A
/// crash-safe caller writes the hash to its ledger here; an error stops the
/// submission and nothing is sent.
#[async_trait::async_trait]
pub trait RecordTx: Send {
    /// Records `tx`.
    async fn record(&mut self, tx: &SignedTx) -> Result<(), String>;
}

/// Records nothing.
#[async_trait::async_trait]
impl RecordTx for () {
    async fn record(&mut self, _tx: &SignedTx) -> Result<(), String> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_add_a_margin_to_what_the_dry_run_needed_without_overflow() {
        let dry = CallOutcome {
            data: Vec::new(),
            reverted: false,
            weight_consumed: Weight::default(),
            weight_required: Weight { ref_time: 1_000, proof_size: u64::MAX },
            storage_deposit: StorageDeposit::Charge(200),
            events: Vec::new(),
        };
        let l = Limits::from_dry_run(&dry, 10);
        assert_eq!(l.weight, Weight { ref_time: 1_100, proof_size: u64::MAX });
        assert_eq!(l.storage_deposit, Some(220));
        let refund = CallOutcome { storage_deposit: StorageDeposit::Refund(5), ..dry };
        assert_eq!(Limits::from_dry_run(&refund, 10).storage_deposit, Some(0), "a refund needs no deposit");
    }
}
