//! Keccak-f[1600] specialised for the LODE puzzle, on the CPU.
//!
//! The preimage is 96 bytes, so the padded block has 17 lanes of which only lane
//! 8 (the nonce counter) changes between tries. Theta, rho and pi are linear, so
//! round 1 of every try is a constant ([`Prepared::r0`], computed once per work)
//! XOR the counter's contribution: 11 rotations instead of a whole round. The last
//! round computes only the output lanes that are compared.
//!
//! The code is generic over `N` independent tries so that `N = 4` fills one AVX2
//! register per lane when compiled with that feature (see `cpu.rs`).

use lode_primitives::pow::{self, U256Be, PREIMAGE_LEN, SALT_LEN};

/// Round constants (iota).
pub const RC: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];

/// Rho rotation of lane `x + 5y`.
pub const RHO: [u32; 25] = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14];

/// Pi: lane `x + 5y` moves to `y + 5((2x + 3y) mod 5)`.
pub const PI: [usize; 25] = pi_table();

const fn pi_table() -> [usize; 25] {
    let mut out = [0usize; 25];
    let mut i = 0;
    while i < 25 {
        let (x, y) = (i % 5, i / 5);
        out[i] = y + 5 * ((2 * x + 3 * y) % 5);
        i += 1;
    }
    out
}

/// The lane holding the nonce counter.
pub const COUNTER_LANE: usize = 8;

/// Keccak-256's rate in lanes (1088 bits).
const RATE_LANES: usize = 17;

/// What every try of one piece of work shares, computed once on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prepared {
    /// Round 1's theta, rho and pi applied to the padded block with counter 0,
    /// indexed by destination (after pi).
    pub r0: [u64; 25],
    /// The target as four big-endian 64-bit words, most significant first.
    pub target: [u64; 4],
}

impl Prepared {
    /// Precomputes the constant part of round 1 for this challenge, beneficiary
    /// and salt.
    pub fn new(challenge: &[u8; 32], beneficiary: &[u8; 32], salt: &[u8; SALT_LEN], target: &U256Be) -> Self {
        let block = padded_block(&pow::preimage(challenge, beneficiary, &pow::salted_nonce(0, salt)));
        let mut r0 = [0u64; 25];
        let after_theta = theta(block);
        for (i, lane) in after_theta.iter().enumerate() {
            r0[PI[i]] = lane.rotate_left(RHO[i]);
        }
        let mut words = [0u64; 4];
        for (w, chunk) in words.iter_mut().zip(target.chunks_exact(8)) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            *w = u64::from_be_bytes(b);
        }
        Prepared { r0, target: words }
    }
}

/// The 96-byte preimage as one padded Keccak-256 block (pad10*1, domain 0x01).
pub fn padded_block(preimage: &[u8; PREIMAGE_LEN]) -> [u64; 25] {
    let mut lanes = [0u64; 25];
    for (lane, chunk) in lanes.iter_mut().zip(preimage.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *lane = u64::from_le_bytes(b);
    }
    lanes[PREIMAGE_LEN / 8] ^= 0x01;
    lanes[RATE_LANES - 1] ^= 0x80 << 56;
    lanes
}

fn theta(mut a: [u64; 25]) -> [u64; 25] {
    let mut c = [0u64; 5];
    for (x, cx) in c.iter_mut().enumerate() {
        *cx = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    }
    for x in 0..5 {
        let d = c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1);
        for y in 0..5 {
            a[x + 5 * y] ^= d;
        }
    }
    a
}

/// `N` lanes of `N` independent tries, side by side.
#[derive(Clone, Copy)]
struct V<const N: usize>([u64; N]);

impl<const N: usize> V<N> {
    #[inline(always)]
    fn splat(x: u64) -> Self {
        V([x; N])
    }
    #[inline(always)]
    fn xor(self, o: Self) -> Self {
        let mut out = self.0;
        for (a, b) in out.iter_mut().zip(o.0) {
            *a ^= b;
        }
        V(out)
    }
    #[inline(always)]
    fn rotl(self, r: u32) -> Self {
        let mut out = self.0;
        for a in out.iter_mut() {
            *a = a.rotate_left(r);
        }
        V(out)
    }
    /// Chi's `a ^ (!b & c)`.
    #[inline(always)]
    fn chi(a: Self, b: Self, c: Self) -> Self {
        let mut out = a.0;
        for ((o, b), c) in out.iter_mut().zip(b.0).zip(c.0) {
            *o ^= !b & c;
        }
        V(out)
    }
}

/// The output lanes 0..4 (little-endian words of the digest) for counters `n`.
/// `FULL = false` computes only lane 0 and leaves the rest zero.
#[inline(always)]
fn hash<const N: usize, const FULL: bool>(p: &Prepared, n: [u64; N]) -> [[u64; N]; 4] {
    let u = V(n);
    let v = u.rotl(1);
    // Round 1: the constant part plus the counter's contribution. Theta spreads
    // lane 8 (column 3) as `n` into column 4 and `rotl(n, 1)` into column 2.
    let mut b = [V::<N>::splat(0); 25];
    for i in 0..25 {
        let add = match (i, i % 5) {
            (COUNTER_LANE, _) | (_, 4) => Some(u),
            (_, 2) => Some(v),
            _ => None,
        };
        b[PI[i]] = match add {
            Some(x) => V::splat(p.r0[PI[i]]).xor(x.rotl(RHO[i])),
            None => V::splat(p.r0[PI[i]]),
        };
    }
    let mut a = [V::<N>::splat(0); 25];
    chi_iota(&b, &mut a, RC[0]);
    for &rc in &RC[1..23] {
        theta_rho_pi(&a, &mut b);
        chi_iota(&b, &mut a, rc);
    }
    // Round 24 needs only row 0 of B, which comes from the diagonal lanes 0, 6,
    // 12, 18 and 24.
    let mut c = [V::<N>::splat(0); 5];
    for (x, cx) in c.iter_mut().enumerate() {
        *cx = a[x].xor(a[x + 5]).xor(a[x + 10]).xor(a[x + 15]).xor(a[x + 20]);
    }
    let mut row = [V::<N>::splat(0); 5];
    for (x, r) in row.iter_mut().enumerate() {
        let d = c[(x + 4) % 5].xor(c[(x + 1) % 5].rotl(1));
        *r = a[6 * x].xor(d).rotl(RHO[6 * x]);
    }
    let mut out = [[0u64; N]; 4];
    out[0] = V::chi(row[0], row[1], row[2]).xor(V::splat(RC[23])).0;
    if FULL {
        for x in 1..4 {
            out[x] = V::chi(row[x], row[(x + 1) % 5], row[(x + 2) % 5]).0;
        }
    }
    out
}

#[inline(always)]
fn theta_rho_pi<const N: usize>(a: &[V<N>; 25], b: &mut [V<N>; 25]) {
    let mut c = [V::<N>::splat(0); 5];
    for (x, cx) in c.iter_mut().enumerate() {
        *cx = a[x].xor(a[x + 5]).xor(a[x + 10]).xor(a[x + 15]).xor(a[x + 20]);
    }
    for x in 0..5 {
        let d = c[(x + 4) % 5].xor(c[(x + 1) % 5].rotl(1));
        for y in 0..5 {
            let i = x + 5 * y;
            b[PI[i]] = a[i].xor(d).rotl(RHO[i]);
        }
    }
}

#[inline(always)]
fn chi_iota<const N: usize>(b: &[V<N>; 25], a: &mut [V<N>; 25], rc: u64) {
    for y in 0..5 {
        for x in 0..5 {
            a[x + 5 * y] = V::chi(b[x + 5 * y], b[(x + 1) % 5 + 5 * y], b[(x + 2) % 5 + 5 * y]);
        }
    }
    a[0] = a[0].xor(V::splat(rc));
}

/// The full digest for counter `n`, through the specialised path. Tests compare
/// it with a reference Keccak-256.
pub fn digest(p: &Prepared, n: u64) -> U256Be {
    let lanes = hash::<1, true>(p, [n]);
    let mut out = [0u8; 32];
    for (chunk, lane) in out.chunks_exact_mut(8).zip(lanes) {
        chunk.copy_from_slice(&lane[0].to_le_bytes());
    }
    out
}

/// Scans counters `start, start + 1, …, start + count − 1` (`count` rounded up to
/// a multiple of `N`), `N` at a time, and returns the first counter whose digest's
/// top 64 bits are at most the target's: a candidate that the caller confirms
/// against all 256 bits. Inlined into the caller so that it is compiled with the
/// caller's target features.
#[inline(always)]
pub fn scan<const N: usize>(p: &Prepared, start: u64, count: u64, mut reject: impl FnMut(u64) -> bool) -> Option<u64> {
    let groups = count.div_ceil(N as u64);
    for g in 0..groups {
        let base = start.wrapping_add(g.wrapping_mul(N as u64));
        let mut n = [0u64; N];
        for (k, slot) in n.iter_mut().enumerate() {
            *slot = base.wrapping_add(k as u64);
        }
        let top = hash::<N, false>(p, n)[0];
        for k in 0..N {
            // The digest's first 8 bytes, read big-endian, are lane 0 byte-swapped.
            if top[k].swap_bytes() <= p.target[0] && !reject(n[k]) {
                return Some(n[k]);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use sha3::{Digest, Keccak256};

    fn reference(challenge: &[u8; 32], beneficiary: &[u8; 32], salt: &[u8; SALT_LEN], n: u64) -> [u8; 32] {
        Keccak256::digest(pow::preimage(challenge, beneficiary, &pow::salted_nonce(n, salt))).into()
    }

    #[test]
    fn pi_moves_lane_one_to_ten() {
        // (x=1, y=0) goes to (x=0, y=2): the first step of the well-known pi cycle.
        assert_eq!(PI[1], 10);
        assert_eq!(PI[0], 0);
    }

    proptest! {
        #[test]
        fn specialised_digest_matches_keccak256(
            challenge in proptest::array::uniform32(any::<u8>()),
            beneficiary in proptest::array::uniform32(any::<u8>()),
            salt in proptest::array::uniform24(any::<u8>()),
            n: u64,
        ) {
            let p = Prepared::new(&challenge, &beneficiary, &salt, &[0xff; 32]);
            prop_assert_eq!(digest(&p, n), reference(&challenge, &beneficiary, &salt, n));
        }

        #[test]
        fn every_lane_width_finds_the_same_first_candidate(
            challenge in proptest::array::uniform32(any::<u8>()),
            start in any::<u64>(),
        ) {
            // About one try in 256 is a candidate, so 2,000 tries find some.
            let mut target = [0u8; 32];
            target[1] = 0xff;
            let p = Prepared::new(&challenge, &[7; 32], &[0; SALT_LEN], &target);
            let start = start & !0xff;
            let one = scan::<1>(&p, start, 2_000, |_| false);
            prop_assert_eq!(scan::<2>(&p, start, 2_000, |_| false), one);
            prop_assert_eq!(scan::<4>(&p, start, 2_000, |_| false), one);
            prop_assert_eq!(scan::<8>(&p, start, 2_000, |_| false), one);
            if let Some(n) = one {
                prop_assert!(reference(&challenge, &[7; 32], &[0; SALT_LEN], n)[0] == 0);
            }
        }
    }
}
