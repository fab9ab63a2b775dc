//! Choosing who a round pays and cutting them into batches: pure, so the
//! rules are proven without a chain.

use std::collections::{HashMap, HashSet};

use lode_splitter::Asset;

use crate::chain::AccountId;
use crate::store::{BatchId, PlannedBatch};

/// Who to pay now, and who is left out for failing too often.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    /// Payees owed something, not in an open batch, under the failure limit;
    /// in split order.
    pub pay: Vec<(AccountId, u128)>,
    /// Payees owed something whose transfers failed `max_failures` times in a row.
    pub given_up: Vec<(AccountId, u128, u32)>,
}

/// Picks the payees of a round from what each is `owed` (in split order).
pub fn select(
    owed: &[(AccountId, u128)],
    in_flight: &HashSet<AccountId>,
    failures: &HashMap<AccountId, u32>,
    max_failures: u32,
) -> Selection {
    let mut s = Selection::default();
    for &(payee, amount) in owed {
        if amount == 0 || in_flight.contains(&payee) {
            continue;
        }
        match failures.get(&payee) {
            Some(&n) if n >= max_failures => s.given_up.push((payee, amount, n)),
            _ => s.pay.push((payee, amount)),
        }
    }
    s
}

/// Cuts `pay` into batches of at most `max_len` payees (at least one), in
/// order, each with an id from `new_id`.
pub fn cut(asset: Asset, pay: &[(AccountId, u128)], max_len: usize, mut new_id: impl FnMut() -> BatchId) -> Vec<PlannedBatch> {
    pay.chunks(max_len.max(1)).map(|chunk| PlannedBatch { id: new_id(), asset, payees: chunk.to_vec() }).collect()
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn account(i: u8) -> AccountId {
        AccountId([i; 32])
    }

    proptest! {
        /// Every payee owed something, not in flight and under the limit is
        /// in exactly one batch; no batch is empty or longer than allowed;
        /// order is kept.
        #[test]
        fn each_eligible_payee_lands_in_exactly_one_batch(
            owed in proptest::collection::vec(0u128..5, 0..250),
            flying in proptest::collection::hash_set(0u8..250, 0..40),
            failing in proptest::collection::hash_map(0u8..250, 0u32..6, 0..40),
            max_len in 1usize..120,
        ) {
            let owed: Vec<(AccountId, u128)> = owed.iter().enumerate().map(|(i, a)| (account(i as u8), *a)).collect();
            let in_flight: HashSet<AccountId> = flying.iter().map(|i| account(*i)).collect();
            let failures: HashMap<AccountId, u32> = failing.iter().map(|(i, n)| (account(*i), *n)).collect();
            let s = select(&owed, &in_flight, &failures, 3);
            let mut next = 0u8;
            let batches = cut(Asset::Lode, &s.pay, max_len, || { next = next.wrapping_add(1); [next; 32] });
            let flat: Vec<(AccountId, u128)> = batches.iter().flat_map(|b| b.payees.clone()).collect();
            prop_assert_eq!(&flat, &s.pay);
            prop_assert!(batches.iter().all(|b| !b.payees.is_empty() && b.payees.len() <= max_len));
            for (payee, amount) in &owed {
                let eligible = *amount > 0 && !in_flight.contains(payee) && failures.get(payee).is_none_or(|n| *n < 3);
                prop_assert_eq!(flat.iter().filter(|(p, _)| p == payee).count(), usize::from(eligible));
                let gave_up = *amount > 0 && !in_flight.contains(payee) && failures.get(payee).is_some_and(|n| *n >= 3);
                prop_assert_eq!(s.given_up.iter().any(|(p, _, _)| p == payee), gave_up);
            }
        }
    }

    #[test]
    fn two_hundred_payees_make_two_full_batches() {
        let owed: Vec<(AccountId, u128)> = (0..200u8).map(|i| (account(i), 1)).collect();
        let s = select(&owed, &HashSet::new(), &HashMap::new(), 3);
        let batches = cut(Asset::Native, &s.pay, 100, || [0; 32]);
        assert_eq!(batches.iter().map(|b| b.payees.len()).collect::<Vec<_>>(), [100, 100]);
    }
}
