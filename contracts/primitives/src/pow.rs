//! The LODE proof-of-work puzzle, defined once for the token contract (which
//! verifies) and the keeper's miner (which searches).
//!
//! * A solution is a `nonce` such that `keccak256(challenge ‖ beneficiary ‖ nonce)`,
//!   read as a big-endian 256-bit number, is `≤ target`. See [`preimage`] and
//!   [`meets_target`]. Binding the beneficiary into the hash means a nonce seen in
//!   the pool is worthless to anyone else.
//! * After each mint the challenge rotates to `keccak256(challenge ‖ digest)`
//!   ([`rotation_preimage`]), so anyone holding the previous challenge and the
//!   `Mined` event's digest can reproduce it. The first challenge is
//!   `keccak256("LODE/genesis" ‖ token account)` ([`genesis_preimage`]).
//! * Every epoch the target is rescaled by `actual / expected` epoch time, clamped
//!   to ×4 / ÷4 and to `[1, max_target]` ([`retarget`]).
//! * The reward halves every `halving_interval` mints ([`reward_at`]).
//!
//! Hashing is left to the caller (ink!'s `hash_bytes` on-chain, `sha3` or an
//! OpenCL kernel off-chain); this module only fixes the bytes and the maths.

/// A 256-bit number as 32 big-endian bytes (targets, digests).
pub type U256Be = [u8; 32];

/// Length of the mining preimage: challenge, beneficiary, nonce.
pub const PREIMAGE_LEN: usize = 96;

/// Domain tag of the genesis challenge.
pub const GENESIS_TAG: &[u8; 12] = b"LODE/genesis";

/// `2^bits − 1`: a target that accepts about one digest in `2^(256 − bits)`.
/// `bits` above 256 is treated as 256.
pub fn mask(bits: u32) -> U256Be {
    let mut out = [0u8; 32];
    for i in 0..bits.min(256) {
        let byte = 31usize.saturating_sub((i / 8) as usize);
        out[byte] |= 1u8 << (i % 8);
    }
    out
}

/// Length of the nonce's salt: the 24 bytes after the counter.
pub const SALT_LEN: usize = 24;

/// The nonce for search position `n` under `salt`: `n` little-endian in the
/// first 8 bytes, then the salt. Miners split the nonce space by ranges of `n`;
/// keepers mining for the same beneficiary pick different salts so that their
/// searches never overlap.
pub fn salted_nonce(n: u64, salt: &[u8; SALT_LEN]) -> [u8; 32] {
    let mut nonce = [0u8; 32];
    nonce[..8].copy_from_slice(&n.to_le_bytes());
    nonce[8..].copy_from_slice(salt);
    nonce
}

/// [`salted_nonce`] with an all-zero salt.
pub fn counter_nonce(n: u64) -> [u8; 32] {
    salted_nonce(n, &[0u8; SALT_LEN])
}

/// `challenge ‖ beneficiary ‖ nonce`, the 96 bytes that are hashed.
pub fn preimage(challenge: &[u8; 32], beneficiary: &[u8; 32], nonce: &[u8; 32]) -> [u8; PREIMAGE_LEN] {
    let mut out = [0u8; PREIMAGE_LEN];
    out[..32].copy_from_slice(challenge);
    out[32..64].copy_from_slice(beneficiary);
    out[64..].copy_from_slice(nonce);
    out
}

/// Whether `digest ≤ target`, both big-endian. Lexicographic order of big-endian
/// byte strings of equal length is numeric order.
pub fn meets_target(digest: &U256Be, target: &U256Be) -> bool {
    digest <= target
}

/// `previous_challenge ‖ digest`: its keccak256 is the next challenge.
pub fn rotation_preimage(previous_challenge: &[u8; 32], digest: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(previous_challenge);
    out[32..].copy_from_slice(digest);
    out
}

/// `"LODE/genesis" ‖ token`: its keccak256 is the first challenge.
pub fn genesis_preimage(token: &[u8; 32]) -> [u8; 44] {
    let mut out = [0u8; 44];
    out[..12].copy_from_slice(GENESIS_TAG);
    out[12..].copy_from_slice(token);
    out
}

/// The reward of the next mint after `mint_count` mints: `initial` halved once per
/// completed `halving_interval`. Zero once every bit has been halved away, or when
/// `halving_interval` is zero (no valid schedule).
pub fn reward_at(initial: u128, halving_interval: u64, mint_count: u64) -> u128 {
    let Some(halvings) = mint_count.checked_div(halving_interval) else { return 0 };
    u32::try_from(halvings).ok().and_then(|h| initial.checked_shr(h)).unwrap_or(0)
}

/// The target after an epoch that took `actual_ms` where `expected_ms` was wanted:
/// `old × actual / expected`, moved by at most ×4 or ÷4, and kept in
/// `[1, max_target]`. A slow epoch (actual > expected) raises the target, making
/// mining easier. `expected_ms == 0` leaves the target unchanged.
pub fn retarget(old: &U256Be, actual_ms: u64, expected_ms: u64, max_target: &U256Be) -> U256Be {
    if expected_ms == 0 {
        return *old;
    }
    let old = Wide::from_be(old);
    let scaled = old.mul_small(actual_ms).div_small(expected_ms);
    let upper = old.shl2();
    let lower = old.shr2();
    let mut new = if scaled > upper {
        upper
    } else if scaled < lower {
        lower
    } else {
        scaled
    };
    let max = Wide::from_be(max_target);
    if new > max {
        new = max;
    }
    if new == Wide::ZERO {
        new = Wide::ONE;
    }
    new.to_be()
}

/// A 320-bit unsigned integer, little-endian `u64` limbs: wide enough for a
/// 256-bit target times a 64-bit duration without overflow.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Wide([u64; 5]);

impl Wide {
    const ZERO: Wide = Wide([0; 5]);
    const ONE: Wide = Wide([1, 0, 0, 0, 0]);

    fn from_be(bytes: &U256Be) -> Self {
        let mut limbs = [0u64; 5];
        for (i, limb) in limbs.iter_mut().take(4).enumerate() {
            let start = 24usize.wrapping_sub(i.wrapping_mul(8));
            let mut chunk = [0u8; 8];
            chunk.copy_from_slice(&bytes[start..start.wrapping_add(8)]);
            *limb = u64::from_be_bytes(chunk);
        }
        Wide(limbs)
    }

    /// The low 256 bits, big-endian. Callers only convert values already ≤ a 256-bit max.
    fn to_be(self) -> U256Be {
        let mut out = [0u8; 32];
        for (i, limb) in self.0.iter().take(4).enumerate() {
            let start = 24usize.wrapping_sub(i.wrapping_mul(8));
            out[start..start.wrapping_add(8)].copy_from_slice(&limb.to_be_bytes());
        }
        out
    }

    /// `self × m`. Cannot overflow for inputs below 2^256 (result < 2^320).
    fn mul_small(self, m: u64) -> Self {
        let mut out = [0u64; 5];
        let mut carry: u128 = 0;
        for (o, &limb) in out.iter_mut().zip(self.0.iter()) {
            // limb × m + carry < 2^128: (2^64-1)^2 + (2^64-1) < 2^128.
            let wide = u128::from(limb).wrapping_mul(u128::from(m)).wrapping_add(carry);
            let (high, low) = halves(wide);
            *o = low;
            carry = u128::from(high);
        }
        Wide(out)
    }

    /// `self / d` for `d > 0`, schoolbook division by one limb.
    fn div_small(self, d: u64) -> Self {
        let mut out = [0u64; 5];
        let mut rem: u128 = 0;
        for (o, &limb) in out.iter_mut().zip(self.0.iter()).rev() {
            // rem < d, so (rem << 64 | limb) / d < 2^64.
            let cur = (rem << 64) | u128::from(limb);
            *o = halves(cur.checked_div(u128::from(d)).unwrap_or(0)).1;
            rem = cur.checked_rem(u128::from(d)).unwrap_or(0);
        }
        Wide(out)
    }

    /// `self × 4`, for inputs below 2^256 (no overflow out of 320 bits).
    fn shl2(self) -> Self {
        let mut out = [0u64; 5];
        let mut carry = 0u64;
        for (o, &limb) in out.iter_mut().zip(self.0.iter()) {
            *o = (limb << 2) | carry;
            carry = limb >> 62;
        }
        Wide(out)
    }

    /// `self / 4`.
    fn shr2(self) -> Self {
        let mut out = [0u64; 5];
        let mut carry = 0u64;
        for (o, &limb) in out.iter_mut().zip(self.0.iter()).rev() {
            *o = (limb >> 2) | carry;
            carry = limb << 62;
        }
        Wide(out)
    }
}

/// `(high, low)` 64-bit halves of `x`.
fn halves(x: u128) -> (u64, u64) {
    let bytes = x.to_be_bytes();
    let mut high = [0u8; 8];
    let mut low = [0u8; 8];
    high.copy_from_slice(&bytes[..8]);
    low.copy_from_slice(&bytes[8..]);
    (u64::from_be_bytes(high), u64::from_be_bytes(low))
}

impl PartialOrd for Wide {
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Wide {
    fn cmp(&self, other: &Self) -> core::cmp::Ordering {
        self.0.iter().rev().cmp(other.0.iter().rev())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ones(bits: u32) -> U256Be {
        mask(bits)
    }

    #[test]
    fn mask_is_two_to_the_bits_minus_one() {
        assert_eq!(mask(0), [0u8; 32]);
        assert_eq!(mask(8), num(255));
        assert_eq!(mask(100), num((1u128 << 100) - 1));
        assert_eq!(mask(256), [0xff; 32]);
        assert_eq!(mask(999), [0xff; 32]);
    }

    fn num(v: u128) -> U256Be {
        let mut out = [0u8; 32];
        out[16..].copy_from_slice(&v.to_be_bytes());
        out
    }

    #[test]
    fn preimage_is_challenge_then_beneficiary_then_nonce() {
        let p = preimage(&[1; 32], &[2; 32], &[3; 32]);
        assert_eq!(&p[..32], &[1; 32]);
        assert_eq!(&p[32..64], &[2; 32]);
        assert_eq!(&p[64..], &[3; 32]);
    }

    #[test]
    fn counter_nonces_are_distinct_and_little_endian() {
        assert_eq!(counter_nonce(0), [0u8; 32]);
        assert_eq!(&counter_nonce(0x0102)[..3], &[0x02, 0x01, 0x00]);
        assert_ne!(counter_nonce(1), counter_nonce(1 << 32));
        let salted = salted_nonce(7, &[0xaa; SALT_LEN]);
        assert_eq!(&salted[..8], &7u64.to_le_bytes());
        assert_eq!(&salted[8..], &[0xaa; SALT_LEN]);
    }

    #[test]
    fn target_comparison_is_numeric_and_inclusive() {
        assert!(meets_target(&num(5), &num(5)));
        assert!(meets_target(&num(4), &num(5)));
        assert!(!meets_target(&num(6), &num(5)));
        assert!(!meets_target(&num(1 << 100), &num(u64::MAX as u128)));
    }

    #[test]
    fn retarget_scales_by_the_time_ratio() {
        assert_eq!(retarget(&num(1000), 150, 100, &ones(256)), num(1500));
        assert_eq!(retarget(&num(1000), 50, 100, &ones(256)), num(500));
        assert_eq!(retarget(&num(1000), 100, 100, &ones(256)), num(1000));
    }

    #[test]
    fn retarget_clamps_to_four_times_either_way() {
        assert_eq!(retarget(&num(1000), 1_000_000, 100, &ones(256)), num(4000));
        assert_eq!(retarget(&num(1000), 0, 100, &ones(256)), num(250));
        assert_eq!(retarget(&num(1000), 1, 100, &ones(256)), num(250));
    }

    #[test]
    fn retarget_never_exceeds_max_or_reaches_zero() {
        let max = ones(255);
        assert_eq!(retarget(&max, u64::MAX, 1, &max), max, "at max it stays at max");
        assert_eq!(retarget(&ones(254), u64::MAX, 1, &max), max, "×4 of 2^254-1 exceeds max");
        assert_eq!(retarget(&num(1), 0, 100, &max), num(1), "1/4 rounds to 0, which becomes 1");
        assert_eq!(retarget(&num(3), 1, 100, &max), num(1));
    }

    #[test]
    fn retarget_with_full_width_values_does_not_overflow() {
        let max = ones(256);
        let got = retarget(&max, u64::MAX, u64::MAX, &max);
        assert_eq!(got, max);
        // 2^256-1 = (2^64-1)(2^192+2^128+2^64+1), so the division is exact and
        // every 64-bit limb of the result is 2^63-1.
        let half = retarget(&max, u64::MAX / 2, u64::MAX, &max);
        let mut want = [0u8; 32];
        for limb in want.chunks_exact_mut(8) {
            limb.copy_from_slice(&(u64::MAX / 2).to_be_bytes());
        }
        assert_eq!(half, want);
    }

    #[test]
    fn reward_halves_on_schedule_and_ends() {
        assert_eq!(reward_at(1000, 10, 0), 1000);
        assert_eq!(reward_at(1000, 10, 9), 1000);
        assert_eq!(reward_at(1000, 10, 10), 500);
        assert_eq!(reward_at(1000, 10, 25), 250);
        assert_eq!(reward_at(u128::MAX, 1, 127), 1);
        assert_eq!(reward_at(u128::MAX, 1, 128), 0);
        assert_eq!(reward_at(1000, 1, u64::MAX), 0);
        assert_eq!(reward_at(1000, 0, 5), 0, "no schedule, no reward");
    }

    proptest! {
        /// Against u128 arithmetic where it cannot overflow: same result.
        #[test]
        fn retarget_matches_u128_reference(old in 1u128..(1u128 << 100), actual in 0u64..1_000_000, expected in 1u64..1_000_000) {
            let want = {
                let scaled = old * u128::from(actual) / u128::from(expected);
                scaled.clamp(old / 4, old * 4).max(1)
            };
            prop_assert_eq!(retarget(&num(old), actual, expected, &ones(256)), num(want));
        }

        #[test]
        fn retarget_stays_within_bounds(old in proptest::array::uniform32(any::<u8>()), actual: u64, expected in 1u64.., max_bits in 1u32..=256) {
            let max = ones(max_bits);
            let new = retarget(&old, actual, expected, &max);
            prop_assert!(new <= max);
            prop_assert!(new != [0u8; 32]);
        }

        #[test]
        fn wide_round_trips(bytes in proptest::array::uniform32(any::<u8>())) {
            prop_assert_eq!(Wide::from_be(&bytes).to_be(), bytes);
        }
    }
}
