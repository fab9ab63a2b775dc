//! The watcher's view of the canonical chain, as pure logic: given the blocks
//! from the last known canonical block up to a new head, it works out what was
//! retracted, what was enacted, and what became confirmed or final.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::chain::{Block, BlockHash, BlockInfo, BlockRef};

/// When work in a block counts as done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// When this many blocks are on top of it (0: at once).
    Depth(u32),
    /// When the chain finalizes it.
    Finality,
}

/// The canonical blocks not yet confirmed, plus the last confirmed and
/// finalized positions.
#[derive(Debug)]
pub struct Canon {
    /// Canonical blocks above `confirmed`, oldest first, contiguous.
    pending: VecDeque<Arc<Block>>,
    /// The last block announced as confirmed: the resume point.
    confirmed: Option<BlockRef>,
    finalized: Option<BlockRef>,
    rule: Confirmation,
}

/// What one new head changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Update {
    /// Blocks that left the canonical chain, newest first.
    pub retracted: Vec<BlockInfo>,
    /// Blocks that joined it, oldest first.
    pub enacted: Vec<Arc<Block>>,
    /// Blocks that became confirmed, oldest first.
    pub confirmed: Vec<Arc<Block>>,
}

/// The chain contradicted itself: a fork below finality, or a path that does
/// not connect.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonError {
    /// A path to a new head does not start on a known canonical block.
    #[error("blocks from {from} do not connect to the canonical chain")]
    Disconnected {
        /// The first block of the path.
        from: BlockRef,
    },
    /// A new head would retract a confirmed or finalized block.
    #[error("a new head forks below {below}, which was already confirmed or final")]
    ForkBelowConfirmed {
        /// The confirmed or final block it would retract.
        below: BlockRef,
    },
}

impl Canon {
    /// Starts from `resume` (the last confirmed block of an earlier run), or
    /// from nothing: then the first head is taken as is.
    pub fn new(rule: Confirmation, resume: Option<BlockRef>, finalized: Option<BlockRef>) -> Self {
        Canon { pending: VecDeque::new(), confirmed: resume, finalized, rule }
    }

    /// The canonical tip, if any block is known.
    pub fn tip(&self) -> Option<BlockRef> {
        self.pending.back().map(|b| b.info.at()).or(self.confirmed)
    }

    /// The last confirmed block: where a restart resumes.
    pub fn confirmed(&self) -> Option<BlockRef> {
        self.confirmed
    }

    /// When blocks count as confirmed.
    pub fn rule(&self) -> Confirmation {
        self.rule
    }

    /// The last finalized block seen.
    pub fn finalized(&self) -> Option<BlockRef> {
        self.finalized
    }

    /// Whether `hash` is a known canonical block (confirmed, or above it).
    pub fn contains(&self, hash: &BlockHash) -> bool {
        self.confirmed.is_some_and(|c| c.hash == *hash) || self.pending.iter().any(|b| b.info.hash == *hash)
    }

    /// Whether a path to a new head is complete when it reaches a block whose
    /// parent is `parent`: the parent is known, or nothing is known yet.
    pub fn connects(&self, parent: &BlockHash) -> bool {
        self.tip().is_none() || self.contains(parent)
    }

    /// Checks a block met while walking back from a new head: reaching the
    /// confirmed height without meeting a known block means the chain forked
    /// below what was already confirmed.
    pub fn check_walk(&self, block: &BlockInfo) -> Result<(), CanonError> {
        match self.confirmed {
            Some(below) if self.tip().is_some() && block.number <= below.number => Err(CanonError::ForkBelowConfirmed { below }),
            _ => Ok(()),
        }
    }

    /// Makes the block with `head`'s hash the tip. `path` holds the blocks
    /// from just above a known canonical block up to the head, oldest first;
    /// it is empty when the head is already known (the best block moved back
    /// to an ancestor).
    pub fn set_head(&mut self, head: BlockRef, path: Vec<Arc<Block>>) -> Result<Update, CanonError> {
        let mut update = Update::default();
        let anchor = match path.first() {
            Some(first) => first.info.parent_hash,
            None => head.hash,
        };
        if self.tip().is_some() && !self.contains(&anchor) {
            return Err(CanonError::Disconnected { from: path.first().map_or(head, |b| b.info.at()) });
        }
        // Retract everything above the anchor.
        let keep = self.pending.iter().position(|b| b.info.hash == anchor).map_or(0, |pos| pos + 1);
        update.retracted = self.pending.drain(keep..).rev().map(|b| b.info).collect();
        for block in path {
            self.pending.push_back(Arc::clone(&block));
            update.enacted.push(block);
        }
        update.confirmed = match (self.rule, self.finalized) {
            (Confirmation::Depth(depth), _) => {
                let tip = self.tip().map_or(0, |t| t.number);
                self.confirm_while(|b| tip.saturating_sub(b.number) >= u64::from(depth))
            }
            // Finality announced before the watcher reached those blocks.
            (Confirmation::Finality, Some(f)) => self.confirm_while(|b| b.number <= f.number),
            (Confirmation::Finality, None) => Vec::new(),
        };
        Ok(update)
    }

    /// Records that `block` is final. Returns the pending blocks that became
    /// confirmed by it (under [`Confirmation::Finality`]), oldest first; a
    /// finalized block the watcher has not reached yet confirms nothing until
    /// it has.
    pub fn finalize(&mut self, block: BlockRef) -> Vec<Arc<Block>> {
        if self.finalized.is_some_and(|f| f.number >= block.number) {
            // Finality never goes back; a repeat changes nothing.
            return Vec::new();
        }
        self.finalized = Some(block);
        match self.rule {
            Confirmation::Finality => self.confirm_while(|b| b.number <= block.number),
            Confirmation::Depth(_) => Vec::new(),
        }
    }

    fn confirm_while(&mut self, ready: impl Fn(&BlockInfo) -> bool) -> Vec<Arc<Block>> {
        let mut done = Vec::new();
        while let Some(b) = self.pending.front().filter(|b| ready(&b.info)).cloned() {
            self.pending.pop_front();
            self.confirmed = Some(b.info.at());
            done.push(b);
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(number: u64, fork: u8, parent: BlockHash) -> Arc<Block> {
        let mut hash = [fork; 32];
        hash[..8].copy_from_slice(&number.to_le_bytes());
        Arc::new(Block { info: BlockInfo { number, hash, parent_hash: parent, timestamp_ms: 0 }, events: Vec::new() })
    }

    #[test]
    fn a_switch_to_a_longer_fork_retracts_and_enacts() {
        let mut c = Canon::new(Confirmation::Depth(3), None, None);
        let a1 = block(1, 0, [0; 32]);
        let a2 = block(2, 0, a1.info.hash);
        let a3 = block(3, 0, a2.info.hash);
        c.set_head(a1.info.at(), vec![a1.clone()]).unwrap();
        c.set_head(a3.info.at(), vec![a2.clone(), a3.clone()]).unwrap();
        let b2 = block(2, 1, a1.info.hash);
        let b3 = block(3, 1, b2.info.hash);
        let b4 = block(4, 1, b3.info.hash);
        let u = c.set_head(b4.info.at(), vec![b2.clone(), b3.clone(), b4.clone()]).unwrap();
        assert_eq!(u.retracted, vec![a3.info, a2.info], "newest first");
        assert_eq!(u.enacted, vec![b2, b3, b4.clone()]);
        assert_eq!(u.confirmed, vec![a1.clone()], "depth 3 under #4 confirms #1");
        assert_eq!(c.tip(), Some(b4.info.at()));
        // A sibling of a confirmed block contradicts it.
        let rival = block(1, 7, [0; 32]);
        assert_eq!(c.check_walk(&rival.info), Err(CanonError::ForkBelowConfirmed { below: a1.info.at() }));
        assert!(c.check_walk(&block(2, 7, rival.info.hash).info).is_ok(), "above the confirmed height, walking on is fine");
        let stray = block(9, 8, [8; 32]);
        assert_eq!(c.set_head(stray.info.at(), vec![stray.clone()]), Err(CanonError::Disconnected { from: stray.info.at() }));
    }
}
