//! The LODE unit: one home for its decimals, used by the token's metadata, the
//! deployer's defaults, the keeper's displays and the tests.

/// Display decimals of LODE, as on most Substrate chains.
pub const DECIMALS: u8 = 12;

/// One LODE in its smallest units (10^[`DECIMALS`]).
pub const LODE: u128 = 1_000_000_000_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lode_is_ten_to_the_decimals() {
        assert_eq!(LODE, 10u128.pow(u32::from(DECIMALS)));
    }
}
