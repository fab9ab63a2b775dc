//! Voting-power history: per series (an account, or the total), a list of
//! `(block, value)` checkpoints in increasing block order, at most one per block.
//! A governor reads the value at a past snapshot block by binary search.

/// The value of a series from `block` on, until the next checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Checkpoint {
    /// First block the value holds at.
    pub block: u32,
    /// Voting power from that block on.
    pub value: u128,
}

/// The value at `block` among `len` checkpoints read by `get(index)`: that of the
/// last checkpoint at or before `block`, or 0 before the first. `O(log len)` reads.
pub fn value_at(len: u32, block: u32, get: impl Fn(u32) -> Option<Checkpoint>) -> u128 {
    // Invariant: checkpoints below `low` are at or before `block`; from `high` on, after it.
    let (mut low, mut high) = (0u32, len);
    while low < high {
        let mid = low.wrapping_add(high.wrapping_sub(low) >> 1);
        match get(mid) {
            Some(c) if c.block > block => high = mid,
            _ => low = mid.wrapping_add(1),
        }
    }
    low.checked_sub(1).and_then(get).map_or(0, |c| c.value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn series(points: &[(u32, u128)]) -> Vec<Checkpoint> {
        points.iter().map(|&(block, value)| Checkpoint { block, value }).collect()
    }

    fn lookup(s: &[Checkpoint], block: u32) -> u128 {
        value_at(s.len() as u32, block, |i| s.get(i as usize).copied())
    }

    #[test]
    fn lookups_before_at_and_after_changes() {
        let s = series(&[(5, 10), (8, 0), (9, 30)]);
        assert_eq!(lookup(&s, 0), 0, "before the first checkpoint");
        assert_eq!(lookup(&s, 4), 0);
        assert_eq!(lookup(&s, 5), 10, "at a change");
        assert_eq!(lookup(&s, 7), 10, "between changes");
        assert_eq!(lookup(&s, 8), 0);
        assert_eq!(lookup(&s, 9), 30);
        assert_eq!(lookup(&s, u32::MAX), 30, "after the last");
        assert_eq!(lookup(&[], 3), 0);
    }

    proptest! {
        #[test]
        fn binary_search_matches_a_linear_scan(
            steps in proptest::collection::vec((1u32..5, any::<u128>()), 0..64),
            block in 0u32..400,
        ) {
            let mut at = 0u32;
            let s: Vec<Checkpoint> = steps.iter().map(|&(gap, value)| { at += gap; Checkpoint { block: at, value } }).collect();
            let linear = s.iter().rev().find(|c| c.block <= block).map_or(0, |c| c.value);
            prop_assert_eq!(lookup(&s, block), linear);
        }
    }
}
