//! One account's bonded stake: the active part and the unbonding queue.
//!
//! Plain logic with no chain access, so it is tested natively (including by
//! property tests) and the contract only loads, applies and stores it.

use ink::prelude::vec::Vec;

/// Most unbonding chunks an account may have queued at once. Bounds the work
/// (and storage) of every ledger operation; a full queue must be withdrawn or
/// rebonded before unbonding again.
pub const MAX_UNBONDING_CHUNKS: usize = 32;

/// Tokens on their way out: released at block `unlock_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Chunk {
    /// Amount unbonding.
    pub value: u128,
    /// First block at which it can be withdrawn.
    pub unlock_at: u32,
}

/// Why a ledger operation was refused. The ledger is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LedgerError {
    /// More than the active stake was asked for.
    InsufficientActive,
    /// More than the unbonding total was asked for.
    InsufficientUnbonding,
    /// [`MAX_UNBONDING_CHUNKS`] chunks are already queued.
    TooManyChunks,
    /// A sum would overflow `u128`.
    Overflow,
}

/// What a slash took, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Slashed {
    /// Taken from active stake.
    pub from_active: u128,
    /// Taken from unbonding chunks.
    pub from_unbonding: u128,
}

impl Slashed {
    /// Everything taken.
    pub fn total(&self) -> u128 {
        // Both parts come out of one ledger whose total fits in u128.
        self.from_active.saturating_add(self.from_unbonding)
    }
}

/// An account's stake. Chunks are kept in strictly increasing unlock order, at
/// most one per unlock block, and never empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Ledger {
    /// Bonded, earning rewards and counting as voting power.
    pub active: u128,
    /// Unbonding, oldest first; no rewards or voting power, still slashable.
    pub unbonding: Vec<Chunk>,
}

impl Ledger {
    /// Adds `amount` to the active stake.
    pub fn bond(&mut self, amount: u128) -> Result<(), LedgerError> {
        self.active = self.active.checked_add(amount).ok_or(LedgerError::Overflow)?;
        Ok(())
    }

    /// Moves `amount` from active stake into a chunk unlocking at `unlock_at`.
    /// A chunk unlocking at the same block is merged into, so repeated unbonds
    /// within one block use one slot. Unbonding zero changes nothing.
    pub fn unbond(&mut self, amount: u128, unlock_at: u32) -> Result<(), LedgerError> {
        let active = self.active.checked_sub(amount).ok_or(LedgerError::InsufficientActive)?;
        if amount == 0 {
            return Ok(());
        }
        if let Some(same) = self.unbonding.iter_mut().find(|c| c.unlock_at == unlock_at) {
            same.value = same.value.checked_add(amount).ok_or(LedgerError::Overflow)?;
        } else {
            if self.unbonding.len() >= MAX_UNBONDING_CHUNKS {
                return Err(LedgerError::TooManyChunks);
            }
            // Normally an append; an insert only if the period was shortened since.
            let position = self.unbonding.partition_point(|c| c.unlock_at < unlock_at);
            self.unbonding.insert(position, Chunk { value: amount, unlock_at });
        }
        self.active = active;
        Ok(())
    }

    /// Removes every chunk unlocked at block `now` and returns their sum.
    pub fn withdraw_unlocked(&mut self, now: u32) -> u128 {
        let amount = self.withdrawable(now);
        self.unbonding.retain(|c| c.unlock_at > now);
        amount
    }

    /// Moves `amount` from the unbonding queue back to active stake, taking from
    /// the chunks that unlock last first (they are the furthest from being free).
    pub fn rebond(&mut self, amount: u128) -> Result<(), LedgerError> {
        if amount > self.unbonding_total() {
            return Err(LedgerError::InsufficientUnbonding);
        }
        let active = self.active.checked_add(amount).ok_or(LedgerError::Overflow)?;
        self.take_from_newest(amount);
        self.active = active;
        Ok(())
    }

    /// Takes up to `amount`: active stake first, then unbonding chunks, newest
    /// first (recent unbonds are the likeliest attempt to escape a slash).
    pub fn slash(&mut self, amount: u128) -> Slashed {
        let from_active = amount.min(self.active);
        self.active = self.active.saturating_sub(from_active);
        let rest = amount.saturating_sub(from_active);
        let from_unbonding = self.take_from_newest(rest);
        Slashed { from_active, from_unbonding }
    }

    /// Sum of the unbonding chunks.
    pub fn unbonding_total(&self) -> u128 {
        self.unbonding.iter().fold(0u128, |sum, c| sum.saturating_add(c.value))
    }

    /// Sum of chunks already unlocked at block `now`.
    pub fn withdrawable(&self, now: u32) -> u128 {
        // Chunk values sum to at most the ledger total, which fits in u128.
        self.unbonding.iter().take_while(|c| c.unlock_at <= now).fold(0u128, |sum, c| sum.saturating_add(c.value))
    }

    /// Whether nothing is left: the ledger can be deleted.
    pub fn is_empty(&self) -> bool {
        self.active == 0 && self.unbonding.is_empty()
    }

    /// Removes up to `amount` from the newest chunks; returns how much it removed.
    fn take_from_newest(&mut self, amount: u128) -> u128 {
        let mut left = amount;
        while left > 0 {
            let Some(last) = self.unbonding.last_mut() else { break };
            let take = left.min(last.value);
            last.value = last.value.saturating_sub(take);
            left = left.saturating_sub(take);
            if last.value == 0 {
                self.unbonding.pop();
            }
        }
        amount.saturating_sub(left)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ledger(active: u128, chunks: &[(u128, u32)]) -> Ledger {
        Ledger { active, unbonding: chunks.iter().map(|&(value, unlock_at)| Chunk { value, unlock_at }).collect() }
    }

    #[test]
    fn unbond_queues_a_chunk_and_merges_within_a_block() {
        let mut l = ledger(100, &[]);
        l.unbond(30, 10).unwrap();
        l.unbond(5, 10).unwrap();
        l.unbond(15, 11).unwrap();
        assert_eq!(l, ledger(50, &[(35, 10), (15, 11)]));
        assert_eq!(l.unbond(51, 12), Err(LedgerError::InsufficientActive));
        assert_eq!(l, ledger(50, &[(35, 10), (15, 11)]), "a refused unbond changes nothing");
    }

    #[test]
    fn the_chunk_queue_is_bounded() {
        let mut l = ledger(100, &[]);
        for block in 0..MAX_UNBONDING_CHUNKS as u32 {
            l.unbond(1, block).unwrap();
        }
        assert_eq!(l.unbond(1, 99), Err(LedgerError::TooManyChunks));
        assert_eq!(l.unbond(1, MAX_UNBONDING_CHUNKS as u32 - 1), Ok(()), "merging into the last chunk needs no slot");
        assert_eq!(l.active, 100 - MAX_UNBONDING_CHUNKS as u128 - 1);
    }

    #[test]
    fn a_shorter_period_keeps_chunks_in_unlock_order() {
        let mut l = ledger(10, &[(1, 20)]);
        l.unbond(2, 15).unwrap();
        assert_eq!(l.unbonding, ledger(0, &[(2, 15), (1, 20)]).unbonding);
        assert_eq!(l.withdraw_unlocked(15), 2);
    }

    #[test]
    fn withdraw_takes_exactly_the_unlocked_chunks() {
        let mut l = ledger(0, &[(1, 5), (2, 6), (4, 7)]);
        assert_eq!(l.withdrawable(4), 0);
        assert_eq!(l.withdraw_unlocked(4), 0);
        assert_eq!(l.withdrawable(6), 3);
        assert_eq!(l.withdraw_unlocked(6), 3);
        assert_eq!(l, ledger(0, &[(4, 7)]));
    }

    #[test]
    fn rebond_takes_from_the_newest_chunks() {
        let mut l = ledger(0, &[(10, 5), (10, 6)]);
        l.rebond(15).unwrap();
        assert_eq!(l, ledger(15, &[(5, 5)]));
        assert_eq!(l.rebond(6), Err(LedgerError::InsufficientUnbonding));
    }

    #[test]
    fn slash_takes_active_then_newest_chunks_and_stops_at_empty() {
        let mut l = ledger(50, &[(30, 5), (20, 6)]);
        assert_eq!(l.slash(70), Slashed { from_active: 50, from_unbonding: 20 });
        assert_eq!(l, ledger(0, &[(30, 5)]));
        assert_eq!(l.slash(1_000), Slashed { from_active: 0, from_unbonding: 30 });
        assert!(l.is_empty());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Bond(u128),
        Unbond(u128, u32),
        Rebond(u128),
        Withdraw(u32),
        Slash(u128),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u128..1_000).prop_map(Op::Bond),
            (0u128..1_000, 0u32..50).prop_map(|(a, b)| Op::Unbond(a, b)),
            (0u128..1_000).prop_map(Op::Rebond),
            (0u32..60).prop_map(Op::Withdraw),
            (0u128..1_000).prop_map(Op::Slash),
        ]
    }

    proptest! {
        /// Every token that enters the ledger leaves it exactly once, by withdrawal
        /// or slash; refused operations change nothing; chunks stay ordered and bounded.
        #[test]
        fn tokens_are_conserved(ops in proptest::collection::vec(op(), 0..80)) {
            let mut l = Ledger::default();
            let (mut bonded, mut withdrawn, mut slashed) = (0u128, 0u128, 0u128);
            for op in ops {
                let before = l.clone();
                let result = match op {
                    Op::Bond(a) => l.bond(a).map(|_| bonded += a),
                    Op::Unbond(a, at) => l.unbond(a, at),
                    Op::Rebond(a) => l.rebond(a),
                    Op::Withdraw(now) => { withdrawn += l.withdraw_unlocked(now); Ok(()) }
                    Op::Slash(a) => {
                        let s = l.slash(a);
                        prop_assert!(s.total() <= a);
                        slashed += s.total();
                        Ok(())
                    }
                };
                if result.is_err() {
                    prop_assert_eq!(&l, &before);
                }
                prop_assert_eq!(l.active + l.unbonding_total(), bonded - withdrawn - slashed);
                prop_assert!(l.unbonding.len() <= MAX_UNBONDING_CHUNKS);
                prop_assert!(l.unbonding.windows(2).all(|w| w[0].unlock_at < w[1].unlock_at));
                prop_assert!(l.unbonding.iter().all(|c| c.value > 0));
            }
        }
    }
}
