// The LODE proof-of-work search: keccak256(challenge ‖ beneficiary ‖ nonce) ≤ target.
//
// One padded Keccak-256 block, one keccak-f[1600] permutation per try. Only lane
// 8 (the nonce counter) differs between tries, and round 1's theta, rho and pi
// are linear, so the host passes `r0`: round 1 of the block with counter 0, after
// pi. A try adds its counter's contribution (`u` into the counter lane and column
// 4, `rotl(u, 1)` into column 2) and runs chi. miner/src/keccak.rs derives the
// same thing on the CPU and the tests hold the two to a reference Keccak-256.
//
// WIDTH tries run side by side in one work item as ulongN vectors: CPU devices
// (PoCL) get SIMD lanes that way; GPUs use WIDTH 1. The host defines WIDTH.
//
// The macros below are generated from the rho and pi tables, fully unrolled:
// every lane is a register and every rotation a constant.

#ifndef WIDTH
#define WIDTH 1
#endif

#if WIDTH == 1
typedef ulong lane_t;
#define OFFSETS ((lane_t)(0))
#elif WIDTH == 2
typedef ulong2 lane_t;
#define OFFSETS ((lane_t)(0, 1))
#elif WIDTH == 4
typedef ulong4 lane_t;
#define OFFSETS ((lane_t)(0, 1, 2, 3))
#elif WIDTH == 8
typedef ulong8 lane_t;
#define OFFSETS ((lane_t)(0, 1, 2, 3, 4, 5, 6, 7))
#else
#error "WIDTH must be 1, 2, 4 or 8"
#endif

#define ROL(x, r) rotate((x), (lane_t)(r))
// Chi's a ^ (~b & c). GPUs have a three-input logic op that bitselect maps to
// (LOP3, BFI): where b is set keep a, elsewhere a ^ c. CPUs have and-not, which
// makes the plain form two instructions; the host defines ANDNOT_CHI there.
#ifdef ANDNOT_CHI
#define CHI(a, b, c) ((a) ^ (~(b) & (c)))
#else
#define CHI(a, b, c) bitselect((a) ^ (c), (a), (b))
#endif
#define RC_LAST 0x8000000080008008UL

#define THETA_RHO_PI(a, b) do { \
    const lane_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]; \
    const lane_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]; \
    const lane_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]; \
    const lane_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]; \
    const lane_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]; \
    const lane_t d0 = c4 ^ ROL(c1, 1); \
    const lane_t d1 = c0 ^ ROL(c2, 1); \
    const lane_t d2 = c1 ^ ROL(c3, 1); \
    const lane_t d3 = c2 ^ ROL(c4, 1); \
    const lane_t d4 = c3 ^ ROL(c0, 1); \
    b[0] = a[0] ^ d0; \
    b[10] = ROL(a[1] ^ d1, 1); \
    b[20] = ROL(a[2] ^ d2, 62); \
    b[5] = ROL(a[3] ^ d3, 28); \
    b[15] = ROL(a[4] ^ d4, 27); \
    b[16] = ROL(a[5] ^ d0, 36); \
    b[1] = ROL(a[6] ^ d1, 44); \
    b[11] = ROL(a[7] ^ d2, 6); \
    b[21] = ROL(a[8] ^ d3, 55); \
    b[6] = ROL(a[9] ^ d4, 20); \
    b[7] = ROL(a[10] ^ d0, 3); \
    b[17] = ROL(a[11] ^ d1, 10); \
    b[2] = ROL(a[12] ^ d2, 43); \
    b[12] = ROL(a[13] ^ d3, 25); \
    b[22] = ROL(a[14] ^ d4, 39); \
    b[23] = ROL(a[15] ^ d0, 41); \
    b[8] = ROL(a[16] ^ d1, 45); \
    b[18] = ROL(a[17] ^ d2, 15); \
    b[3] = ROL(a[18] ^ d3, 21); \
    b[13] = ROL(a[19] ^ d4, 8); \
    b[14] = ROL(a[20] ^ d0, 18); \
    b[24] = ROL(a[21] ^ d1, 2); \
    b[9] = ROL(a[22] ^ d2, 61); \
    b[19] = ROL(a[23] ^ d3, 56); \
    b[4] = ROL(a[24] ^ d4, 14); \
} while (0)

#define CHI_IOTA(b, a, rc) do { \
    a[0] = CHI(b[0], b[1], b[2]); \
    a[1] = CHI(b[1], b[2], b[3]); \
    a[2] = CHI(b[2], b[3], b[4]); \
    a[3] = CHI(b[3], b[4], b[0]); \
    a[4] = CHI(b[4], b[0], b[1]); \
    a[5] = CHI(b[5], b[6], b[7]); \
    a[6] = CHI(b[6], b[7], b[8]); \
    a[7] = CHI(b[7], b[8], b[9]); \
    a[8] = CHI(b[8], b[9], b[5]); \
    a[9] = CHI(b[9], b[5], b[6]); \
    a[10] = CHI(b[10], b[11], b[12]); \
    a[11] = CHI(b[11], b[12], b[13]); \
    a[12] = CHI(b[12], b[13], b[14]); \
    a[13] = CHI(b[13], b[14], b[10]); \
    a[14] = CHI(b[14], b[10], b[11]); \
    a[15] = CHI(b[15], b[16], b[17]); \
    a[16] = CHI(b[16], b[17], b[18]); \
    a[17] = CHI(b[17], b[18], b[19]); \
    a[18] = CHI(b[18], b[19], b[15]); \
    a[19] = CHI(b[19], b[15], b[16]); \
    a[20] = CHI(b[20], b[21], b[22]); \
    a[21] = CHI(b[21], b[22], b[23]); \
    a[22] = CHI(b[22], b[23], b[24]); \
    a[23] = CHI(b[23], b[24], b[20]); \
    a[24] = CHI(b[24], b[20], b[21]); \
    a[0] ^= (lane_t)(rc); \
} while (0)

#define ROUND_ONE(r0, u, v, b) do { \
    b[0] = (lane_t)(r0[0]); \
    b[10] = (lane_t)(r0[10]); \
    b[20] = (lane_t)(r0[20]) ^ ROL(v, 62); \
    b[5] = (lane_t)(r0[5]); \
    b[15] = (lane_t)(r0[15]) ^ ROL(u, 27); \
    b[16] = (lane_t)(r0[16]); \
    b[1] = (lane_t)(r0[1]); \
    b[11] = (lane_t)(r0[11]) ^ ROL(v, 6); \
    b[21] = (lane_t)(r0[21]) ^ ROL(u, 55); \
    b[6] = (lane_t)(r0[6]) ^ ROL(u, 20); \
    b[7] = (lane_t)(r0[7]); \
    b[17] = (lane_t)(r0[17]); \
    b[2] = (lane_t)(r0[2]) ^ ROL(v, 43); \
    b[12] = (lane_t)(r0[12]); \
    b[22] = (lane_t)(r0[22]) ^ ROL(u, 39); \
    b[23] = (lane_t)(r0[23]); \
    b[8] = (lane_t)(r0[8]); \
    b[18] = (lane_t)(r0[18]) ^ ROL(v, 15); \
    b[3] = (lane_t)(r0[3]); \
    b[13] = (lane_t)(r0[13]) ^ ROL(u, 8); \
    b[14] = (lane_t)(r0[14]); \
    b[24] = (lane_t)(r0[24]); \
    b[9] = (lane_t)(r0[9]) ^ ROL(v, 61); \
    b[19] = (lane_t)(r0[19]); \
    b[4] = (lane_t)(r0[4]) ^ ROL(u, 14); \
} while (0)

#define LAST_ROW(a, row) do { \
    const lane_t c0 = a[0] ^ a[5] ^ a[10] ^ a[15] ^ a[20]; \
    const lane_t c1 = a[1] ^ a[6] ^ a[11] ^ a[16] ^ a[21]; \
    const lane_t c2 = a[2] ^ a[7] ^ a[12] ^ a[17] ^ a[22]; \
    const lane_t c3 = a[3] ^ a[8] ^ a[13] ^ a[18] ^ a[23]; \
    const lane_t c4 = a[4] ^ a[9] ^ a[14] ^ a[19] ^ a[24]; \
    row[0] = a[0] ^ c4 ^ ROL(c1, 1); \
    row[1] = ROL((a[6] ^ c0 ^ ROL(c2, 1)), 44); \
    row[2] = ROL((a[12] ^ c1 ^ ROL(c3, 1)), 43); \
    row[3] = ROL((a[18] ^ c2 ^ ROL(c4, 1)), 21); \
    row[4] = ROL((a[24] ^ c3 ^ ROL(c0, 1)), 14); \
} while (0)

#define ROUNDS_2_TO_23(a, b) do { \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x0000000000008082UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x800000000000808aUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000080008000UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x000000000000808bUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x0000000080000001UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000080008081UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000000008009UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x000000000000008aUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x0000000000000088UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x0000000080008009UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x000000008000000aUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x000000008000808bUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x800000000000008bUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000000008089UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000000008003UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000000008002UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000000000080UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x000000000000800aUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x800000008000000aUL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000080008081UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x8000000000008080UL); \
    THETA_RHO_PI(a, b); CHI_IOTA(b, a, 0x0000000080000001UL); \
} while (0)

// Byte swap: lane 0 holds the digest's first 8 bytes little-endian, and the
// target is compared big-endian.
static inline lane_t bswap(lane_t x) {
    x = ((x >> 8) & (lane_t)(0x00ff00ff00ff00ffUL)) | ((x & (lane_t)(0x00ff00ff00ff00ffUL)) << 8);
    x = ((x >> 16) & (lane_t)(0x0000ffff0000ffffUL)) | ((x & (lane_t)(0x0000ffff0000ffffUL)) << 16);
    return ROL(x, 32);
}

// Rounds 1 to 23 and round 24's theta, rho and pi for counters `u`; leaves row 0
// of B in `row`, from which chi gives output lanes 0 to 3.
static inline void permute_to_last_row(__constant const ulong *r0, const lane_t u, lane_t row[5]) {
    lane_t a[25];
    lane_t b[25];
    const lane_t v = ROL(u, 1);
    ROUND_ONE(r0, u, v, b);
    CHI_IOTA(b, a, 0x0000000000000001UL);
    ROUNDS_2_TO_23(a, b);
    LAST_ROW(a, row);
}

typedef union {
    lane_t v;
    ulong s[WIDTH];
} lanes_u;

// Whether the big-endian words w0..w3 are at most t0..t3.
static inline bool at_most(ulong w0, ulong w1, ulong w2, ulong w3, ulong t0, ulong t1, ulong t2, ulong t3) {
    if (w0 != t0) return w0 < t0;
    if (w1 != t1) return w1 < t1;
    if (w2 != t2) return w2 < t2;
    return w3 <= t3;
}

// Tries counters base + WIDTH·gid + k for k < WIDTH. The first work item whose
// digest meets the target takes the result slot: res[0] becomes 1 and res[1],
// res[2] hold the counter's low and high halves. The host clears res[0] before
// each launch and re-checks what it reads.
__kernel void lode_search(__constant const ulong *r0, const ulong base,
                          const ulong t0, const ulong t1, const ulong t2, const ulong t3,
                          __global volatile uint *res) {
    const ulong first = base + (ulong)get_global_id(0) * WIDTH;
    const lane_t u = (lane_t)(first) + OFFSETS;
    lane_t row[5];
    permute_to_last_row(r0, u, row);
    const lane_t top = bswap(CHI(row[0], row[1], row[2]) ^ (lane_t)(RC_LAST));
    // The top 64 bits reject all but about t0 / 2^64 of the tries.
#if WIDTH == 1
    if (top > t0) return;
#else
    if (!any(top <= (lane_t)(t0))) return;
#endif
    lanes_u w0, w1, w2, w3, n;
    w0.v = top;
    w1.v = bswap(CHI(row[1], row[2], row[3]));
    w2.v = bswap(CHI(row[2], row[3], row[4]));
    w3.v = bswap(CHI(row[3], row[4], row[0]));
    n.v = u;
    for (int k = 0; k < WIDTH; k++) {
        if (at_most(w0.s[k], w1.s[k], w2.s[k], w3.s[k], t0, t1, t2, t3)) {
            if (atomic_cmpxchg(&res[0], 0u, 1u) == 0u) {
                res[1] = (uint)(n.s[k]);
                res[2] = (uint)(n.s[k] >> 32);
            }
            return;
        }
    }
}

// The full digests of counters base + WIDTH·gid + k, as four little-endian
// words each, at out[4·(WIDTH·gid + k) + j]. For the tests that hold the kernel
// to a reference Keccak-256; mining uses lode_search.
__kernel void lode_digest(__constant const ulong *r0, const ulong base, __global ulong *out) {
    const ulong index = (ulong)get_global_id(0) * WIDTH;
    const lane_t u = (lane_t)(base + index) + OFFSETS;
    lane_t row[5];
    permute_to_last_row(r0, u, row);
    lanes_u l0, l1, l2, l3;
    l0.v = CHI(row[0], row[1], row[2]) ^ (lane_t)(RC_LAST);
    l1.v = CHI(row[1], row[2], row[3]);
    l2.v = CHI(row[2], row[3], row[4]);
    l3.v = CHI(row[3], row[4], row[0]);
    for (int k = 0; k < WIDTH; k++) {
        __global ulong *d = out + 4 * (index + k);
        d[0] = l0.s[k];
        d[1] = l1.s[k];
        d[2] = l2.s[k];
        d[3] = l3.s[k];
    }
}
