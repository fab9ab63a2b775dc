//! The reward stream: Synthetix StakingRewards' reward-per-token accumulator,
//! counted in blocks, with one fix. In Synthetix, rewards released while nothing
//! is staked are stuck in the contract forever; here they go to `carry` and are
//! streamed again as soon as someone stakes (or folded into the next funding).
//!
//! Accounting, kept exact by every operation:
//! `pool = Σ unclaimed rewards + rate × (period_finish − last_update) + carry + dust`,
//! where `dust ≥ 0` is what flooring per-account shares leaves behind. `pool` is
//! every reward token held and not yet paid out.

use lode_primitives::math::mul_div;

/// Fixed-point scale of `per_token`.
pub const PRECISION: u128 = 1_000_000_000_000_000_000;

/// Why a funding was refused. The stream is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewardError {
    /// The duration is zero.
    ZeroDuration,
    /// The amount (with what is still streaming) is below one token unit per block.
    TooSmall,
    /// A sum or the end block would overflow.
    Overflow,
}

/// The stream's state, as stored and as returned by `reward_state()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct RewardStream {
    /// Tokens released per block until `period_finish`.
    pub rate: u128,
    /// Block at which the current funding runs out.
    pub period_finish: u32,
    /// Block up to which releases have been accounted.
    pub last_update: u32,
    /// Length of the last funding, reused to re-stream carried rewards.
    pub duration: u32,
    /// Rewards per staked token since deployment, scaled by [`PRECISION`].
    pub per_token: u128,
    /// Funded tokens no staker has been credited: released while nothing was
    /// staked, and the remainder of dividing a funding by its duration.
    pub carry: u128,
    /// Reward tokens held and not yet paid out (claimed or compounded).
    pub pool: u128,
}

impl RewardStream {
    /// Accounts releases up to block `now`, shared among `total_active` staked
    /// tokens (which must be the stake over the whole elapsed span: call this
    /// before every change of stake).
    pub fn accrue(&mut self, now: u32, total_active: u128) {
        let until = now.min(self.period_finish);
        if until <= self.last_update {
            return;
        }
        // rate × blocks ≤ what the funding put in, so it fits; saturating all the same.
        let released = self.rate.saturating_mul(u128::from(until.saturating_sub(self.last_update)));
        let per_token = if total_active == 0 { None } else { mul_div(released, PRECISION, total_active) };
        match per_token.and_then(|delta| self.per_token.checked_add(delta)) {
            Some(per_token) => self.per_token = per_token,
            // Nobody to credit (or an accumulator at its limit): keep it for later stakers.
            None => self.carry = self.carry.saturating_add(released),
        }
        self.last_update = until;
    }

    /// The stream as of block `now`, without storing anything.
    pub fn at(&self, now: u32, total_active: u128) -> Self {
        let mut view = *self;
        view.accrue(now, total_active);
        view
    }

    /// Tokens still to be released by the current funding (after `accrue`).
    pub fn streaming(&self) -> u128 {
        self.rate.saturating_mul(u128::from(self.period_finish.saturating_sub(self.last_update)))
    }

    /// Adds `amount` new reward tokens, released evenly over `duration` blocks
    /// from `now` together with what is still streaming and what was carried.
    /// Call `accrue(now, ..)` first.
    pub fn fund(&mut self, now: u32, amount: u128, duration: u32) -> Result<(), RewardError> {
        if duration == 0 {
            return Err(RewardError::ZeroDuration);
        }
        let total = amount.checked_add(self.streaming()).and_then(|t| t.checked_add(self.carry)).ok_or(RewardError::Overflow)?;
        let pool = self.pool.checked_add(amount).ok_or(RewardError::Overflow)?;
        let period_finish = now.checked_add(duration).ok_or(RewardError::Overflow)?;
        let (rate, carry) = split_over(total, duration);
        if rate == 0 {
            return Err(RewardError::TooSmall);
        }
        *self = Self { rate, period_finish, last_update: now, duration, per_token: self.per_token, carry, pool };
        Ok(())
    }

    /// Streams the carry again; call when stake appears after a span with none
    /// (after `accrue(now, ..)`). Within a running funding the carry joins what is
    /// left of it; after one ended, it is streamed over the last funding's duration.
    pub fn restream_carry(&mut self, now: u32) {
        if self.carry == 0 || self.duration == 0 {
            return;
        }
        let (remaining, streaming) =
            if now < self.period_finish { (self.period_finish.saturating_sub(now), self.streaming()) } else { (self.duration, 0) };
        let Some(finish) = now.checked_add(remaining) else { return };
        let Some(total) = streaming.checked_add(self.carry) else { return };
        let (rate, carry) = split_over(total, remaining);
        if rate == 0 {
            // Less than a unit per block: stays carried until the next funding.
            return;
        }
        self.rate = rate;
        self.carry = carry;
        self.period_finish = finish;
        self.last_update = now;
    }

    /// Reward tokens paid out (claimed or compounded) leave the pool.
    pub fn pay(&mut self, amount: u128) -> Option<()> {
        self.pool = self.pool.checked_sub(amount)?;
        Some(())
    }
}

/// What `stake` earned since the accumulator stood at `paid`, when it stands at `per_token`.
pub fn earned_since(stake: u128, paid: u128, per_token: u128) -> Option<u128> {
    mul_div(stake, per_token.checked_sub(paid)?, PRECISION)
}

/// `(total / blocks, total % blocks)` for `blocks > 0`.
fn split_over(total: u128, blocks: u32) -> (u128, u128) {
    let blocks = u128::from(blocks);
    (total.checked_div(blocks).unwrap_or(0), total.checked_rem(blocks).unwrap_or(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_lone_staker_receives_the_whole_funding() {
        let mut s = RewardStream::default();
        s.fund(10, 1_000, 10).unwrap();
        assert_eq!((s.rate, s.period_finish, s.carry, s.pool), (100, 20, 0, 1_000));
        s.accrue(15, 50);
        assert_eq!(earned_since(50, 0, s.per_token), Some(500));
        s.accrue(99, 50);
        assert_eq!(earned_since(50, 0, s.per_token), Some(1_000));
        assert_eq!(s.streaming(), 0);
    }

    #[test]
    fn division_remainder_is_carried_not_lost() {
        let mut s = RewardStream::default();
        s.fund(0, 1_003, 10).unwrap();
        assert_eq!((s.rate, s.carry), (100, 3));
        assert_eq!(s.fund(0, 0, 0), Err(RewardError::ZeroDuration));
        let mut tiny = RewardStream::default();
        assert_eq!(tiny.fund(0, 9, 10), Err(RewardError::TooSmall));
        assert_eq!(tiny, RewardStream::default(), "a refused funding changes nothing");
    }

    #[test]
    fn releases_with_nothing_staked_are_carried_then_restreamed() {
        let mut s = RewardStream::default();
        s.fund(0, 1_000, 10).unwrap();
        s.accrue(4, 0);
        assert_eq!((s.carry, s.per_token), (400, 0), "Synthetix would lose these 400");
        // Someone stakes at block 4: 600 left over 6 blocks plus 400 carried.
        s.restream_carry(4);
        assert_eq!((s.rate, s.carry, s.period_finish), (1_000 / 6, 1_000 % 6, 10));
        s.accrue(10, 7);
        // The 996 streamed reach the staker, less one unit of rounding; 4 stay carried.
        assert_eq!(earned_since(7, 0, s.per_token), Some(995));
        assert_eq!(s.carry, 4);
    }

    #[test]
    fn a_carry_after_the_funding_ended_restarts_the_stream() {
        let mut s = RewardStream::default();
        s.fund(0, 1_000, 10).unwrap();
        s.accrue(50, 0);
        assert_eq!(s.carry, 1_000);
        s.restream_carry(50);
        assert_eq!((s.rate, s.last_update, s.period_finish, s.carry), (100, 50, 60, 0));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Advance(u32),
        Stake(usize, u128),
        Unstake(usize, u128),
        Fund(u128, u32),
        Claim(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0u32..20).prop_map(Op::Advance),
            (0usize..3, 0u128..1_000_000).prop_map(|(a, v)| Op::Stake(a, v)),
            (0usize..3, 0u128..1_000_000).prop_map(|(a, v)| Op::Unstake(a, v)),
            (0u128..10_000_000, 0u32..30).prop_map(|(v, d)| Op::Fund(v, d)),
            (0usize..3).prop_map(Op::Claim),
        ]
    }

    #[derive(Default, Clone, Copy)]
    struct Account {
        stake: u128,
        paid: u128,
        rewards: u128,
    }

    fn settle(s: &RewardStream, a: &mut Account) {
        a.rewards += earned_since(a.stake, a.paid, s.per_token).unwrap();
        a.paid = s.per_token;
    }

    proptest! {
        /// Funded = paid + pool; the pool covers every unclaimed reward, what is still
        /// streaming and the carry; and once the stream has run dry with stake present,
        /// almost everything funded has reached stakers (only rounding dust remains).
        #[test]
        fn rewards_are_conserved_and_solvent(ops in proptest::collection::vec(op(), 0..60)) {
            let mut s = RewardStream::default();
            let mut accounts = [Account::default(); 3];
            let (mut now, mut funded, mut paid) = (0u32, 0u128, 0u128);
            for op in ops {
                let total: u128 = accounts.iter().map(|a| a.stake).sum();
                s.accrue(now, total);
                match op {
                    Op::Advance(n) => now += n,
                    Op::Stake(i, v) => {
                        settle(&s, &mut accounts[i]);
                        accounts[i].stake += v;
                        if total == 0 && v > 0 { s.restream_carry(now); }
                    }
                    Op::Unstake(i, v) => {
                        settle(&s, &mut accounts[i]);
                        accounts[i].stake -= v.min(accounts[i].stake);
                    }
                    Op::Fund(v, d) => {
                        let before = s;
                        match s.fund(now, v, d) {
                            Ok(()) => funded += v,
                            Err(_) => prop_assert_eq!(s, before),
                        }
                    }
                    Op::Claim(i) => {
                        settle(&s, &mut accounts[i]);
                        let r = std::mem::take(&mut accounts[i].rewards);
                        s.pay(r).expect("the pool covers every claim");
                        paid += r;
                    }
                }
                prop_assert_eq!(funded, paid + s.pool);
                let view = s.at(now, accounts.iter().map(|a| a.stake).sum());
                let unclaimed: u128 = accounts.iter().map(|a| a.rewards + earned_since(a.stake, a.paid, view.per_token).unwrap()).sum();
                prop_assert!(view.pool >= unclaimed + view.streaming() + view.carry, "pool {} < owed", view.pool);
            }
        }
    }
}
