//! Exact integer arithmetic the contracts share.
//!
//! Reward accumulators and pro-rata splits compute `a × b / c` where the product
//! routinely exceeds `u128` (an amount times a 10^18 precision factor). Doing it
//! through a 256-bit intermediate keeps the result exact instead of failing or
//! losing precision by dividing first.

/// `⌊a × b / c⌋` with a 256-bit intermediate product. `None` when `c == 0` or the
/// quotient does not fit in a `u128`.
pub fn mul_div(a: u128, b: u128, c: u128) -> Option<u128> {
    if c == 0 {
        return None;
    }
    if let Some(product) = a.checked_mul(b) {
        return product.checked_div(c);
    }
    let (high, low) = widening_mul(a, b);
    if high >= c {
        // The quotient would need more than 128 bits.
        return None;
    }
    Some(div_wide(high, low, c))
}

/// The full 256-bit product of `a × b` as `(high, low)` 128-bit halves.
fn widening_mul(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = split(a);
    let (b1, b0) = split(b);
    // Each partial product of 64-bit halves fits in a u128.
    let p00 = a0.wrapping_mul(b0);
    let p01 = a0.wrapping_mul(b1);
    let p10 = a1.wrapping_mul(b0);
    let p11 = a1.wrapping_mul(b1);
    // Middle column: carries into the high half are tracked explicitly.
    let (mid, mid_carry) = p01.overflowing_add(p10);
    let (low, low_carry) = p00.overflowing_add(mid << 64);
    let high = p11.wrapping_add(mid >> 64).wrapping_add(u128::from(mid_carry) << 64).wrapping_add(u128::from(low_carry));
    (high, low)
}

/// `⌊(high·2^128 + low) / c⌋` for `high < c`, by binary long division; the
/// precondition keeps the quotient within 128 bits.
fn div_wide(high: u128, low: u128, c: u128) -> u128 {
    let mut rem = high;
    let mut quotient = 0u128;
    for bit in (0..128u32).rev() {
        // rem < c, so 2·rem + 1 < 2^129: track the bit shifted out of rem.
        let overflow = rem >> 127 == 1;
        rem = (rem << 1) | (low.checked_shr(bit).unwrap_or(0) & 1);
        quotient <<= 1;
        if overflow || rem >= c {
            // With overflow, the true value is rem + 2^128 ≥ c and the difference
            // is below c, so wrapping subtraction yields it exactly.
            rem = rem.wrapping_sub(c);
            quotient |= 1;
        }
    }
    quotient
}

/// `(high, low)` 64-bit halves of `x`, each widened to u128.
fn split(x: u128) -> (u128, u128) {
    (x >> 64, x & u128::from(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn small_values_divide_exactly() {
        assert_eq!(mul_div(6, 7, 4), Some(10));
        assert_eq!(mul_div(0, u128::MAX, 1), Some(0));
        assert_eq!(mul_div(1, 1, 0), None);
    }

    #[test]
    fn products_beyond_u128_are_exact() {
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
        assert_eq!(mul_div(u128::MAX, 2, 4), Some(u128::MAX / 2));
        let precision = 1_000_000_000_000_000_000u128;
        let amount = 21_000_000_000_000_000_000u128;
        assert_eq!(mul_div(amount, precision, precision), Some(amount));
        assert_eq!(mul_div(u128::MAX, u128::MAX, u128::MAX - 1), None, "quotient above u128");
    }

    /// Reference via 64-bit pieces: a × b / c with b < 2^64 computed in two steps.
    fn reference(a: u128, b: u64, c: u64) -> Option<u128> {
        let (b, c) = (u128::from(b), u128::from(c));
        // a·b/c = (a/c)·b + (a%c)·b/c; (a%c)·b < 2^128 since both < 2^64.
        let whole = (a / c).checked_mul(b)?;
        whole.checked_add((a % c) * b / c)
    }

    proptest! {
        #[test]
        fn matches_a_two_step_reference(a: u128, b: u64, c in 1u64..) {
            prop_assert_eq!(mul_div(a, u128::from(b), u128::from(c)), reference(a, b, c));
        }

        #[test]
        fn inverts_multiplication(a: u128, b in 1u128..) {
            prop_assert_eq!(mul_div(a, b, b), Some(a));
        }

        #[test]
        fn quotient_is_the_floor(a: u128, b: u128, c in 1u128..) {
            if let Some(q) = mul_div(a, b, c) {
                // q·c ≤ a·b < (q+1)·c, compared as 256-bit numbers.
                let product = widening_mul(a, b);
                prop_assert!(widening_mul(q, c) <= product);
                let (h, l) = widening_mul(q, c);
                let (l2, carry) = l.overflowing_add(c);
                prop_assert!((h + u128::from(carry), l2) > product);
            } else {
                prop_assert!(widening_mul(a, b).0 >= c, "None only when the quotient needs more than 128 bits");
            }
        }
    }
}
