//! Who gets paid, by how many shares, and how a sum is divided among them.
//! Plain logic, tested natively; the contract stores the result.

use ink::prelude::vec::Vec;
use ink::primitives::AccountId;
use lode_primitives::math::mul_div;

/// Most payees a split may have: `distribute` credits each of them, so this
/// bounds its weight. A test keeps `distribute` over this many payees under
/// 80% of the per-call limit (`docs/contracts/splitter.md`).
pub const MAX_PAYEES: usize = 200;

/// Highest keeper fee: 10% of each distribution.
pub const MAX_KEEPER_FEE_BPS: u16 = 1_000;

/// Basis points in a whole.
const BPS: u128 = 10_000;

/// The split in force.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Split {
    /// Who is paid; distinct, none zero.
    pub payees: Vec<AccountId>,
    /// Shares, one per payee, each at least 1.
    pub shares: Vec<u32>,
    /// Fee for the bonded keeper that calls `distribute`, in basis points of the
    /// newly received amount; at most [`MAX_KEEPER_FEE_BPS`].
    pub keeper_fee_bps: u16,
}

/// Why a split is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SplitError {
    /// No payees, more than [`MAX_PAYEES`], or a different number of shares.
    BadLength,
    /// A payee appears twice or is the zero account.
    BadPayee,
    /// A share is zero.
    ZeroShare,
    /// The keeper fee is above [`MAX_KEEPER_FEE_BPS`].
    FeeTooHigh,
}

/// The outcome of dividing a sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    /// Credited to each payee, in `payees` order.
    pub parts: Vec<u128>,
    /// Credited to the keeper.
    pub fee: u128,
    /// Left undivided; carried into the next division.
    pub remainder: u128,
}

impl Split {
    /// Checks the split's rules (see the field docs).
    pub fn validate(&self) -> Result<(), SplitError> {
        if self.payees.is_empty() || self.payees.len() > MAX_PAYEES || self.payees.len() != self.shares.len() {
            return Err(SplitError::BadLength);
        }
        let zero = AccountId::from([0u8; 32]);
        for (i, payee) in self.payees.iter().enumerate() {
            if *payee == zero || self.payees[..i].contains(payee) {
                return Err(SplitError::BadPayee);
            }
        }
        if self.shares.contains(&0) {
            return Err(SplitError::ZeroShare);
        }
        if self.keeper_fee_bps > MAX_KEEPER_FEE_BPS {
            return Err(SplitError::FeeTooHigh);
        }
        Ok(())
    }

    /// Σ shares (at most `MAX_PAYEES` × u32::MAX, so it fits in u128).
    pub fn total_shares(&self) -> u128 {
        self.shares.iter().fold(0u128, |sum, s| sum.saturating_add(u128::from(*s)))
    }

    /// Divides `received` (new funds) plus `carried` (the last remainder). A keeper
    /// fee, when `pay_fee`, comes out of `received` only. Nothing is lost:
    /// `Σ parts + fee + remainder = received + carried`.
    pub fn divide(&self, received: u128, carried: u128, pay_fee: bool) -> Option<Division> {
        let fee = if pay_fee { mul_div(received, u128::from(self.keeper_fee_bps), BPS)? } else { 0 };
        let pot = received.checked_add(carried)?.checked_sub(fee)?;
        let total = self.total_shares();
        let mut parts = Vec::with_capacity(self.shares.len());
        let mut divided = 0u128;
        for share in &self.shares {
            let part = mul_div(pot, u128::from(*share), total)?;
            divided = divided.checked_add(part)?;
            parts.push(part);
        }
        Some(Division { parts, fee, remainder: pot.checked_sub(divided)? })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn account(n: u8) -> AccountId {
        AccountId::from([n; 32])
    }

    fn split(shares: &[u32], fee: u16) -> Split {
        Split { payees: (1..=shares.len() as u8).map(account).collect(), shares: shares.to_vec(), keeper_fee_bps: fee }
    }

    #[test]
    fn divides_by_shares_and_carries_the_remainder() {
        let s = split(&[1, 2], 0);
        assert_eq!(s.divide(10, 0, false), Some(Division { parts: vec![3, 6], fee: 0, remainder: 1 }));
        assert_eq!(s.divide(10, 2, false), Some(Division { parts: vec![4, 8], fee: 0, remainder: 0 }), "the carry joins the pot");
    }

    #[test]
    fn the_keeper_fee_comes_from_new_funds_only() {
        let s = split(&[1], 500);
        assert_eq!(s.divide(1_000, 7, true), Some(Division { parts: vec![957], fee: 50, remainder: 0 }));
        assert_eq!(s.divide(1_000, 7, false).unwrap().fee, 0);
    }

    #[test]
    fn invalid_splits_are_named() {
        assert_eq!(split(&[], 0).validate(), Err(SplitError::BadLength));
        assert_eq!(split(&[1; MAX_PAYEES + 1], 0).validate(), Err(SplitError::BadLength));
        assert_eq!(Split { shares: vec![1], ..split(&[1, 1], 0) }.validate(), Err(SplitError::BadLength));
        assert_eq!(Split { payees: vec![account(1), account(1)], ..split(&[1, 1], 0) }.validate(), Err(SplitError::BadPayee));
        assert_eq!(Split { payees: vec![account(0)], ..split(&[1], 0) }.validate(), Err(SplitError::BadPayee));
        assert_eq!(split(&[1, 0], 0).validate(), Err(SplitError::ZeroShare));
        assert_eq!(split(&[1], MAX_KEEPER_FEE_BPS + 1).validate(), Err(SplitError::FeeTooHigh));
        assert_eq!(split(&[u32::MAX; MAX_PAYEES], MAX_KEEPER_FEE_BPS).validate(), Ok(()));
    }

    proptest! {
        #[test]
        fn nothing_is_lost_and_parts_follow_shares(
            shares in proptest::collection::vec(1u32.., 1..MAX_PAYEES),
            received in 0u128..=u128::MAX / 2,
            carried in 0u128..=u128::MAX / 4,
            fee in 0u16..=MAX_KEEPER_FEE_BPS,
            pay_fee: bool,
        ) {
            let s = split(&shares, fee);
            prop_assert_eq!(s.validate(), Ok(()));
            let d = s.divide(received, carried, pay_fee).expect("no overflow below u128::MAX");
            let sum: u128 = d.parts.iter().sum::<u128>() + d.fee + d.remainder;
            prop_assert_eq!(sum, received + carried);
            prop_assert!(d.remainder < shares.len() as u128, "remainder {} is below one unit per payee", d.remainder);
        }
    }
}
