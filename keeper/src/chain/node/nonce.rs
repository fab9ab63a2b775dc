//! One nonce allocator per key.
//!
//! Submissions from one key are serialised: the allocator's lock is held from
//! choosing the nonce until the pool has accepted the transaction. The nonce is
//! the pool-aware `system_accountNextIndex` (the chain's nonce plus this key's
//! ready transactions in the pool), read under the lock, so concurrent duties
//! never race for a nonce. The local counter is only a cross-check: when it
//! disagrees with the chain (another process used the key, a transaction was
//! dropped, or the counter was corrupted) the chain wins and the re-sync is
//! counted. Nothing is carried across restarts, so a restart cannot inherit a
//! bad counter.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

use crate::chain::AccountId;

/// Nonce locks and counters, by account.
#[derive(Debug, Default)]
pub struct NonceAllocator {
    keys: Mutex<HashMap<AccountId, Arc<AsyncMutex<Option<u64>>>>>,
}

/// The right to submit as one account until dropped.
pub struct NonceLease {
    guard: OwnedMutexGuard<Option<u64>>,
}

impl NonceAllocator {
    /// Waits for `account`'s turn to submit.
    pub async fn lease(&self, account: AccountId) -> NonceLease {
        let slot = {
            let mut keys = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(keys.entry(account).or_default())
        };
        NonceLease { guard: slot.lock_owned().await }
    }

    /// Sets `account`'s counter, as a test would corrupt it.
    pub async fn force(&self, account: AccountId, next: u64) {
        *self.lease(account).await.guard = Some(next);
    }
}

impl NonceLease {
    /// The nonce to use, given the chain's pool-aware next index. Returns it and
    /// whether the local counter had drifted from the chain.
    pub fn choose(&self, chain_next: u64) -> (u64, bool) {
        let drifted = self.guard.is_some_and(|local| local != chain_next);
        (chain_next, drifted)
    }

    /// Records that the pool accepted `nonce`.
    pub fn accepted(&mut self, nonce: u64) {
        *self.guard = Some(nonce.saturating_add(1));
    }

    /// Forgets the counter: the chain's view is taken next time.
    pub fn reset(&mut self) {
        *self.guard = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_chain_wins_over_a_drifted_counter() {
        let nonces = NonceAllocator::default();
        let who = AccountId([1; 32]);
        let mut lease = nonces.lease(who).await;
        assert_eq!(lease.choose(4), (4, false), "no counter yet: no drift");
        lease.accepted(4);
        assert_eq!(lease.choose(5), (5, false));
        drop(lease);
        nonces.force(who, 105).await;
        let lease = nonces.lease(who).await;
        assert_eq!(lease.choose(5), (5, true), "a corrupted counter is noticed and ignored");
    }

    #[tokio::test]
    async fn one_key_submits_one_at_a_time_others_in_parallel() {
        let nonces = Arc::new(NonceAllocator::default());
        let a = nonces.lease(AccountId([1; 32])).await;
        let other = tokio::time::timeout(std::time::Duration::from_millis(50), nonces.lease(AccountId([2; 32]))).await;
        assert!(other.is_ok(), "another key is not blocked");
        let same = tokio::time::timeout(std::time::Duration::from_millis(50), nonces.lease(AccountId([1; 32]))).await;
        assert!(same.is_err(), "the same key waits");
        drop(a);
    }
}
