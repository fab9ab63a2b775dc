//! What `/health` and `/status` report.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::chain::{BlockInfo, ChainError};
use crate::keys::ss58;
use crate::runtime::{Context, DutyBoard, DutyState};

/// `/health`: healthy when every duty is running.
#[derive(Debug, Clone, Serialize)]
pub struct DutyHealth {
    /// Every duty is running.
    pub healthy: bool,
    /// Each duty's state.
    pub duties: BTreeMap<&'static str, DutyState>,
}

impl DutyHealth {
    /// Reads the board.
    pub fn of(board: &DutyBoard) -> Self {
        let duties = board.snapshot();
        DutyHealth { healthy: !duties.is_empty() && duties.values().all(|s| *s == DutyState::Running), duties }
    }
}

/// `/status`: the chain as the keeper sees it, its account, contracts and duties.
#[derive(Debug, Clone, Serialize)]
pub struct KeeperStatus {
    /// `embedded` or `node`.
    pub backend: &'static str,
    /// The keeper's account (SS58).
    pub keeper: String,
    /// The best block.
    pub head: BlockStatus,
    /// The finalized block.
    pub finalized: BlockStatus,
    /// Contract addresses (SS58), by name.
    pub contracts: BTreeMap<&'static str, String>,
    /// Each duty's state.
    pub duties: BTreeMap<&'static str, DutyState>,
    /// What duties say they are doing (the `lode dev` tour's step).
    pub progress: BTreeMap<&'static str, String>,
}

/// A block, for people and JSON readers.
#[derive(Debug, Clone, Serialize)]
pub struct BlockStatus {
    /// Height.
    pub number: u64,
    /// `0x`-prefixed hash.
    pub hash: String,
    /// Milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

impl From<BlockInfo> for BlockStatus {
    fn from(b: BlockInfo) -> Self {
        BlockStatus { number: b.number, hash: format!("0x{}", hex::encode(b.hash)), timestamp_ms: b.timestamp_ms }
    }
}

impl KeeperStatus {
    /// Reads the chain's heads and the duty board.
    pub async fn read(ctx: &Context, board: &DutyBoard) -> Result<Self, ChainError> {
        Ok(KeeperStatus {
            backend: ctx.chain.backend(),
            keeper: ss58(&ctx.signer.account_id()),
            head: ctx.chain.head().await?.into(),
            finalized: ctx.chain.finalized().await?.into(),
            contracts: ctx.contracts.all().iter().map(|c| (c.contract().name(), ss58(&c.address()))).collect(),
            duties: board.snapshot(),
            progress: board.notes(),
        })
    }
}
