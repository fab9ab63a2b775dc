//! What the watcher tells duties about the canonical chain.

use std::sync::Arc;

use tokio::sync::broadcast;

use crate::chain::{Block, BlockInfo};

/// A change to the canonical chain, in the order it happened (compare reth's
/// `CanonStateNotification`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainNotification {
    /// A block extended the canonical chain.
    NewBlock(Arc<Block>),
    /// The canonical chain switched forks: `retracted` (newest first) left it,
    /// `enacted` (oldest first) joined it. Enacted blocks are not announced
    /// again as [`ChainNotification::NewBlock`].
    Reorg {
        /// Blocks no longer canonical, newest first.
        retracted: Vec<BlockInfo>,
        /// Blocks now canonical, oldest first.
        enacted: Vec<Arc<Block>>,
    },
    /// A canonical block reached the configured confirmation depth (or
    /// finality): work in it counts as done. Announced once per height, in
    /// order.
    Confirmed(Arc<Block>),
    /// The chain finalized this block.
    Finalized(BlockInfo),
}

/// The watcher's broadcast of [`ChainNotification`]s. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Notifications {
    tx: broadcast::Sender<ChainNotification>,
}

impl Default for Notifications {
    fn default() -> Self {
        Notifications { tx: broadcast::channel(4096).0 }
    }
}

impl Notifications {
    /// Notifications from now on. A receiver more than 4096 behind gets
    /// `Lagged` and must re-read what it needs from the chain.
    pub fn subscribe(&self) -> broadcast::Receiver<ChainNotification> {
        self.tx.subscribe()
    }

    pub(super) fn publish(&self, n: ChainNotification) {
        // Nobody subscribed yet is not an error.
        let _ = self.tx.send(n);
    }
}
