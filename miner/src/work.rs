//! What to search for, and the host's own check of every answer.

use lode_primitives::pow::{self, U256Be, SALT_LEN};
use sha3::{Digest, Keccak256};

use crate::keccak::Prepared;

/// One puzzle: find a counter `n` with
/// `keccak256(challenge ‖ beneficiary ‖ salted_nonce(n, salt)) ≤ target`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work {
    /// The token's current challenge.
    pub challenge: [u8; 32],
    /// Who is paid for a solution (bound into the hash).
    pub beneficiary: [u8; 32],
    /// The token's current target, big-endian.
    pub target: U256Be,
    /// The nonce's last 24 bytes: distinct per keeper and device, so that their
    /// counter ranges never overlap.
    pub salt: [u8; SALT_LEN],
}

/// A solution the host has checked with a reference Keccak-256.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Solution {
    /// The work it solves.
    pub work: Work,
    /// The counter that the device found.
    pub counter: u64,
    /// The full nonce to submit.
    pub nonce: [u8; 32],
    /// `keccak256(challenge ‖ beneficiary ‖ nonce)`, at most the target.
    pub digest: U256Be,
}

impl Work {
    /// The nonce for counter `n`.
    pub fn nonce(&self, n: u64) -> [u8; 32] {
        pow::salted_nonce(n, &self.salt)
    }

    /// The digest of counter `n`, by the reference Keccak-256 (not the miner's
    /// own code).
    pub fn digest(&self, n: u64) -> U256Be {
        Keccak256::digest(pow::preimage(&self.challenge, &self.beneficiary, &self.nonce(n))).into()
    }

    /// Counter `n` as a [`Solution`], if it really meets the target. Every
    /// answer from a device goes through here before anyone submits it.
    pub fn check(&self, n: u64) -> Option<Solution> {
        let digest = self.digest(n);
        pow::meets_target(&digest, &self.target).then(|| Solution { work: *self, counter: n, nonce: self.nonce(n), digest })
    }

    /// The constant part of every try, for the backends.
    pub fn prepare(&self) -> Prepared {
        Prepared::new(&self.challenge, &self.beneficiary, &self.salt, &self.target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(target: U256Be) -> Work {
        Work { challenge: [3; 32], beneficiary: [4; 32], target, salt: [5; SALT_LEN] }
    }

    #[test]
    fn check_accepts_exactly_the_digests_at_or_below_the_target() {
        let d = work([0; 32]).digest(42);
        assert_eq!(work(d).check(42).map(|s| s.digest), Some(d), "a digest equal to the target meets it");
        let mut below = d;
        let last = below.iter_mut().rposition(|b| *b > 0).expect("a digest is not zero");
        below[last] -= 1;
        for b in below.iter_mut().skip(last + 1) {
            *b = 0xff;
        }
        assert_eq!(work(below).check(42), None, "one less than the digest does not");
    }

    #[test]
    fn the_solution_carries_the_salted_nonce() {
        let s = work([0xff; 32]).check(7).expect("the easiest target accepts everything");
        assert_eq!(s.nonce, pow::salted_nonce(7, &[5; SALT_LEN]));
        assert_eq!(s.counter, 7);
    }
}
