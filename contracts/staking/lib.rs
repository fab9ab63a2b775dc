//! # LODE staking
//!
//! ## Overview
//! Accounts bond LODE (`stake`, pulled with `PSP22::transfer_from`, so approve
//! this contract first). Bonded stake is *active*: it earns rewards and counts as
//! voting power. `unbond` moves stake into a chunk that unlocks after
//! `unbonding_period` blocks (at most [`MAX_UNBONDING_CHUNKS`] queued); unlocked
//! chunks are taken out with `withdraw_unbonded`, and `rebond` moves unbonding
//! stake back to active. Unbonding stake earns nothing and has no vote, but can
//! still be slashed.
//!
//! ## Rewards
//! The governor funds rewards with `notify_reward(amount, duration)` after sending
//! the tokens here; they are released evenly per block and shared by active stake
//! through a reward-per-token accumulator (Synthetix StakingRewards). Rewards
//! released while nothing is staked are carried over, never lost (see `rewards`).
//! Stakers `claim()` or `compound()`.
//!
//! ## Keepers
//! `is_keeper(account)`: active stake ≥ `min_keeper_bond`, held continuously for
//! `activation_delay` blocks (Keep3r's bond time), and not jailed.
//!
//! ## Voting power
//! An account's active stake counts for its delegate: itself unless it called
//! `delegate(to)`. (Unlike OpenZeppelin Votes, stakers need not self-delegate to
//! have a vote.) Power per account and the total are checkpointed per block and
//! read at past blocks by binary search: `voting_power_at`, `total_power_at`.
//!
//! ## Invariants
//! - LODE held by this contract = `total_active + total_unbonding + reward pool`
//!   (plus anything sent here without `notify_reward`).
//! - `total_active = Σ active` and `total_unbonding = Σ unbonding chunks`.
//! - Σ voting power over all accounts = total power = `total_active`.
//!
//! ## Roles and upgrades
//! The `admin` holds the governor's role: it alone sets parameters, funds
//! rewards, slashes, jails, and may `upgrade(code_hash)` (`set_code_hash`) or hand
//! the role over with `set_admin`.
//!
//! `unbonding_period` must outlast the governor's latency (voting delay +
//! voting period + timelock), or a keeper could unbond and withdraw before a
//! slash executes. The governor enforces that rule at construction and after
//! every executed proposal; see `docs/contracts/governor.md`.
//!
//! ## Storage
//! The root holds only the token, fixed at deployment. Every mutable part has
//! its own `Lazy` or `Mapping` cell under a `ManualKey`, and per-account state
//! is stored as a versioned [`StoredStaker`] (`docs/contracts/upgrades.md`).
//!
//! ## Errors
//! Every message returns a typed [`Error`]; user input never panics, all
//! arithmetic is checked, and a failed message changes nothing.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod checkpoints;
mod ledger;
mod rewards;

pub use checkpoints::Checkpoint;
pub use ledger::{Chunk, Ledger, MAX_UNBONDING_CHUNKS};
pub use rewards::{RewardStream, PRECISION};
pub use series::Series;
pub use staking::{Error, Staker, Staking, StoredStaker};

use ink::primitives::AccountId;

/// Staking parameters. Only the admin (the governor's role) changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct StakingParams {
    /// Blocks between `unbond` and the chunk becoming withdrawable. At least 1,
    /// so stake can never leave before a slash can be voted on.
    pub unbonding_period: u32,
    /// Active stake a keeper needs. At least 1.
    pub min_keeper_bond: u128,
    /// Blocks a keeper's bond must be held before `is_keeper` is true.
    pub activation_delay: u32,
}

impl StakingParams {
    /// Whether the parameters are in range (see the field docs).
    pub fn is_valid(&self) -> bool {
        self.unbonding_period > 0 && self.min_keeper_bond > 0
    }
}

/// An account's whole position, as returned by `account(who)`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub struct AccountInfo {
    /// Active stake and unbonding chunks (oldest first).
    pub ledger: Ledger,
    /// Unbonding stake withdrawable now.
    pub withdrawable: u128,
    /// Rewards claimable now.
    pub earned: u128,
    /// Who this account's active stake votes for.
    pub delegate: AccountId,
    /// Voting power held (own stake if self-delegated, plus delegations received).
    pub voting_power: u128,
    /// Block since which active stake has been at least `min_keeper_bond`.
    pub keeper_since: Option<u32>,
    /// Jailed by the governor: not a keeper until unjailed.
    pub jailed: bool,
    /// `is_keeper(who)`.
    pub is_keeper: bool,
}

/// Kept apart so one lint allowance covers only derive output: for enum variants
/// that carry data, parity-scale-codec's derive emits `index as u8`, which
/// `contract-build`'s mandatory `-D clippy::cast_possible_truncation` reports as
/// our code. Indices here are 0..=1.
#[allow(clippy::cast_possible_truncation)]
mod series {
    use ink::primitives::AccountId;

    /// A checkpointed voting-power series.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum Series {
        /// The total: all active stake.
        Total,
        /// Power delegated to one account.
        Account(AccountId),
    }
}

#[ink::contract]
mod staking {
    use ink::prelude::string::String;
    use ink::storage::{traits::ManualKey, Lazy, Mapping};
    use lode_calls::CallError;
    use lode_primitives::psp22::PSP22Error;

    use super::checkpoints::{self, Checkpoint};
    use super::ledger::{Ledger, LedgerError};
    use super::rewards::{self, RewardError, RewardStream};
    use super::{AccountInfo, Series, StakingParams};

    /// Version of this contract's code, bumped on every behavioural change.
    pub const CODE_VERSION: u32 = 2;

    /// Longest slash reason accepted, in bytes: enough for a sentence or a link.
    pub const MAX_REASON_LEN: usize = 256;

    /// Errors of the staking contract.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum Error {
        /// The caller is not the admin (the governor's role).
        NotAdmin,
        /// The zero account is not allowed here (admin, treasury or delegate).
        ZeroAccount,
        /// `set_code_hash` failed: no code with that hash has been uploaded.
        UnknownCodeHash,
        /// Parameters out of range (see `StakingParams`).
        InvalidParams,
        /// The amount is zero.
        ZeroAmount,
        /// The amount exceeds the caller's active stake.
        InsufficientActive,
        /// The amount exceeds the caller's unbonding stake.
        InsufficientUnbonding,
        /// `MAX_UNBONDING_CHUNKS` chunks are queued: withdraw or rebond first.
        TooManyChunks,
        /// No unbonding chunk has unlocked yet.
        NothingToWithdraw,
        /// The token refused: approve this contract for at least the amount first.
        InsufficientAllowance,
        /// The token refused: the caller does not hold that much LODE.
        InsufficientBalance,
        /// The token call failed for another reason.
        TokenCallFailed,
        /// `notify_reward` for more than this contract holds beyond stake and
        /// earlier rewards: transfer the tokens here first.
        RewardNotFunded,
        /// The reward is below one token unit per block over the duration.
        RewardTooSmall,
        /// Voting power can only be read at past blocks (it may still change in this one).
        FutureLookup,
        /// The slash reason is longer than `MAX_REASON_LEN` bytes.
        ReasonTooLong,
        /// The account has no stake to slash.
        NothingToSlash,
        /// A sum would overflow.
        Overflow,
    }

    impl From<LedgerError> for Error {
        fn from(e: LedgerError) -> Self {
            match e {
                LedgerError::InsufficientActive => Error::InsufficientActive,
                LedgerError::InsufficientUnbonding => Error::InsufficientUnbonding,
                LedgerError::TooManyChunks => Error::TooManyChunks,
                LedgerError::Overflow => Error::Overflow,
            }
        }
    }

    impl From<RewardError> for Error {
        fn from(e: RewardError) -> Self {
            match e {
                RewardError::ZeroDuration => Error::InvalidParams,
                RewardError::TooSmall => Error::RewardTooSmall,
                RewardError::Overflow => Error::Overflow,
            }
        }
    }

    /// Stake bonded.
    #[ink(event)]
    pub struct Staked {
        /// Staker.
        #[ink(topic)]
        pub account: AccountId,
        /// Amount added to active stake.
        pub amount: u128,
    }

    /// Stake started unbonding.
    #[ink(event)]
    pub struct Unbonded {
        /// Staker.
        #[ink(topic)]
        pub account: AccountId,
        /// Amount moved to the unbonding queue.
        pub amount: u128,
        /// Block at which it can be withdrawn.
        pub unlock_at: u32,
    }

    /// Unlocked stake left the contract.
    #[ink(event)]
    pub struct Withdrawn {
        /// Staker (and receiver).
        #[ink(topic)]
        pub account: AccountId,
        /// Amount paid out.
        pub amount: u128,
    }

    /// Unbonding stake went back to active.
    #[ink(event)]
    pub struct Rebonded {
        /// Staker.
        #[ink(topic)]
        pub account: AccountId,
        /// Amount moved back.
        pub amount: u128,
    }

    /// Rewards were funded.
    #[ink(event)]
    pub struct RewardAdded {
        /// New tokens added.
        pub amount: u128,
        /// Blocks over which everything still to stream is now released.
        pub duration: u32,
        /// Tokens released per block from now on.
        pub rate: u128,
        /// Block at which the stream runs dry.
        pub period_finish: u32,
    }

    /// Rewards paid to a staker.
    #[ink(event)]
    pub struct RewardPaid {
        /// Staker (and receiver).
        #[ink(topic)]
        pub account: AccountId,
        /// Amount paid.
        pub amount: u128,
    }

    /// Rewards added to a staker's active stake.
    #[ink(event)]
    pub struct Compounded {
        /// Staker.
        #[ink(topic)]
        pub account: AccountId,
        /// Amount bonded.
        pub amount: u128,
    }

    /// An account chose a new delegate.
    #[ink(event)]
    pub struct DelegateChanged {
        /// Whose stake.
        #[ink(topic)]
        pub delegator: AccountId,
        /// Previous delegate.
        pub from: AccountId,
        /// New delegate.
        #[ink(topic)]
        pub to: AccountId,
    }

    /// An account's voting power changed.
    #[ink(event)]
    pub struct DelegateVotesChanged {
        /// The account whose power changed.
        #[ink(topic)]
        pub delegate: AccountId,
        /// Power before.
        pub previous: u128,
        /// Power now.
        pub current: u128,
    }

    /// The governor slashed a staker; the funds went to the treasury.
    #[ink(event)]
    pub struct Slashed {
        /// Staker.
        #[ink(topic)]
        pub account: AccountId,
        /// Taken from active stake.
        pub from_active: u128,
        /// Taken from unbonding chunks.
        pub from_unbonding: u128,
        /// Why, as given by the governor.
        pub reason: String,
    }

    /// An account was jailed: it is not a keeper until unjailed.
    #[ink(event)]
    pub struct Jailed {
        /// The account.
        #[ink(topic)]
        pub account: AccountId,
    }

    /// An account was released from jail.
    #[ink(event)]
    pub struct Unjailed {
        /// The account.
        #[ink(topic)]
        pub account: AccountId,
    }

    /// The governor changed the parameters.
    #[ink(event)]
    pub struct ParamsChanged {
        /// The parameters now in force.
        pub params: StakingParams,
    }

    /// The treasury (receiver of slashed funds) moved.
    #[ink(event)]
    pub struct TreasuryChanged {
        /// New treasury.
        #[ink(topic)]
        pub treasury: AccountId,
    }

    /// The admin (governor) role moved.
    #[ink(event)]
    pub struct AdminChanged {
        /// Previous admin.
        pub old: AccountId,
        /// New admin.
        #[ink(topic)]
        pub new: AccountId,
    }

    /// The contract's code was replaced through `upgrade`.
    #[ink(event)]
    pub struct Upgraded {
        /// Code hash before the upgrade.
        pub old: Hash,
        /// Code hash after the upgrade.
        pub new: Hash,
    }

    /// Per-account state.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
    pub struct Staker {
        /// Active stake and unbonding chunks.
        pub ledger: Ledger,
        /// The accumulator's value when `rewards` was last brought up to date.
        pub paid_per_token: u128,
        /// Rewards earned up to then and not yet claimed.
        pub rewards: u128,
        /// Block since which active stake has been at least `min_keeper_bond`.
        pub keeper_since: Option<u32>,
        /// Jailed by the governor.
        pub jailed: bool,
    }

    pub use stored::StoredStaker;

    /// Kept apart so one lint allowance covers only derive output: for enum
    /// variants that carry data, parity-scale-codec's derive emits
    /// `index as u8`, which `contract-build`'s mandatory
    /// `-D clippy::cast_possible_truncation` reports as our code.
    #[allow(clippy::cast_possible_truncation)]
    mod stored {
        use super::Staker;

        /// Per-account state as stored: versioned, so a later code version can
        /// add fields in a new variant and still read every account.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[ink::scale_derive(Encode, Decode, TypeInfo)]
        #[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
        pub enum StoredStaker {
            /// Code version 1's layout.
            V1(Staker),
        }

        impl StoredStaker {
            /// The account's state in this code's layout.
            pub fn into_current(self) -> Staker {
                match self {
                    StoredStaker::V1(s) => s,
                }
            }
        }
    }

    lode_calls::admin_errors!(Error);

    impl Staker {
        /// Whether nothing is worth keeping: the entry can be deleted.
        fn is_vacant(&self) -> bool {
            self.ledger.is_empty() && self.rewards == 0 && !self.jailed
        }
    }

    /// Staking state: the root holds what is fixed at deployment; each
    /// mutable part has its own cell (see the crate docs, "Storage").
    #[ink(storage)]
    pub struct Staking {
        /// The LODE token.
        token: AccountId,
        /// Per-account state; absent means nothing staked, nothing owed, not jailed.
        stakers: Mapping<AccountId, StoredStaker, ManualKey<0x4c4f_0101>>,
        /// Chosen delegate; absent means the account itself.
        delegates: Mapping<AccountId, AccountId, ManualKey<0x4c4f_0102>>,
        /// Checkpoints of each series, by index.
        checkpoints: Mapping<(Series, u32), Checkpoint, ManualKey<0x4c4f_0103>>,
        /// Number of checkpoints per series.
        checkpoint_counts: Mapping<Series, u32, ManualKey<0x4c4f_0104>>,
        /// Holder of the governor role.
        admin: Lazy<AccountId, ManualKey<0x4c4f_0105>>,
        /// Receives slashed stake.
        treasury: Lazy<AccountId, ManualKey<0x4c4f_0106>>,
        /// Governor-set parameters.
        params: Lazy<StakingParams, ManualKey<0x4c4f_0107>>,
        /// Σ active stake.
        total_active: Lazy<u128, ManualKey<0x4c4f_0108>>,
        /// Σ unbonding chunks.
        total_unbonding: Lazy<u128, ManualKey<0x4c4f_0109>>,
        /// The reward stream.
        rewards: Lazy<RewardStream, ManualKey<0x4c4f_010a>>,
    }

    /// Which way active stake moved.
    #[derive(Clone, Copy)]
    enum Change {
        Up(u128),
        Down(u128),
    }

    impl Staking {
        /// Creates staking for the LODE `token`; slashed funds go to `treasury`.
        /// The caller becomes admin until it hands the role over.
        #[ink(constructor)]
        pub fn new(token: AccountId, treasury: AccountId, params: StakingParams) -> Result<Self, Error> {
            lode_calls::ensure_nonzero(&token)?;
            lode_calls::ensure_nonzero(&treasury)?;
            if !params.is_valid() {
                return Err(Error::InvalidParams);
            }
            let mut me = Self {
                token,
                stakers: Mapping::default(),
                delegates: Mapping::default(),
                checkpoints: Mapping::default(),
                checkpoint_counts: Mapping::default(),
                admin: Lazy::new(),
                treasury: Lazy::new(),
                params: Lazy::new(),
                total_active: Lazy::new(),
                total_unbonding: Lazy::new(),
                rewards: Lazy::new(),
            };
            me.admin.set(&Self::env().caller());
            me.treasury.set(&treasury);
            me.params.set(&params);
            me.total_active.set(&0);
            me.total_unbonding.set(&0);
            me.rewards.set(&RewardStream::default());
            Ok(me)
        }

        // ---- Bonding ----

        /// Bonds `amount` LODE from the caller, pulled with `PSP22::transfer_from`
        /// (approve this contract first). It earns rewards and votes from now on.
        #[ink(message)]
        pub fn stake(&mut self, amount: u128) -> Result<(), Error> {
            let who = self.env().caller();
            nonzero(amount)?;
            let mut staker = self.settled(who)?;
            self.pull(who, amount)?;
            staker.ledger.bond(amount)?;
            self.change_active(who, &mut staker, Change::Up(amount))?;
            self.env().emit_event(Staked { account: who, amount });
            Ok(())
        }

        /// Starts unbonding `amount` of the caller's active stake; it can be
        /// withdrawn `unbonding_period` blocks from now. Returns the unlock block.
        #[ink(message)]
        pub fn unbond(&mut self, amount: u128) -> Result<u32, Error> {
            let who = self.env().caller();
            nonzero(amount)?;
            let mut staker = self.settled(who)?;
            let unlock_at = self.now().checked_add(self.params().unbonding_period).ok_or(Error::Overflow)?;
            staker.ledger.unbond(amount, unlock_at)?;
            self.total_unbonding.set(&self.total_unbonding().checked_add(amount).ok_or(Error::Overflow)?);
            self.change_active(who, &mut staker, Change::Down(amount))?;
            self.env().emit_event(Unbonded { account: who, amount, unlock_at });
            Ok(unlock_at)
        }

        /// Pays the caller every unbonding chunk that has unlocked. Returns the amount.
        #[ink(message)]
        pub fn withdraw_unbonded(&mut self) -> Result<u128, Error> {
            let who = self.env().caller();
            let mut staker = self.staker(who);
            let amount = staker.ledger.withdraw_unlocked(self.now());
            if amount == 0 {
                return Err(Error::NothingToWithdraw);
            }
            self.total_unbonding.set(&self.total_unbonding().checked_sub(amount).ok_or(Error::Overflow)?);
            self.store(who, &staker);
            self.push(who, amount)?;
            self.env().emit_event(Withdrawn { account: who, amount });
            Ok(amount)
        }

        /// Moves `amount` of the caller's unbonding stake back to active, taking
        /// from the chunks that unlock last first.
        #[ink(message)]
        pub fn rebond(&mut self, amount: u128) -> Result<(), Error> {
            let who = self.env().caller();
            nonzero(amount)?;
            let mut staker = self.settled(who)?;
            staker.ledger.rebond(amount)?;
            self.total_unbonding.set(&self.total_unbonding().checked_sub(amount).ok_or(Error::Overflow)?);
            self.change_active(who, &mut staker, Change::Up(amount))?;
            self.env().emit_event(Rebonded { account: who, amount });
            Ok(())
        }

        // ---- Rewards ----

        /// Funds rewards: `amount` more LODE, which must already have been sent
        /// here, released evenly over the next `duration_blocks` blocks together
        /// with whatever is still streaming or carried. Admin only.
        #[ink(message)]
        pub fn notify_reward(&mut self, amount: u128, duration_blocks: u32) -> Result<(), Error> {
            self.ensure_admin()?;
            nonzero(amount)?;
            let mut stream = self.stream();
            let committed = self
                .total_active()
                .checked_add(self.total_unbonding())
                .and_then(|c| c.checked_add(stream.pool))
                .and_then(|c| c.checked_add(amount))
                .ok_or(Error::Overflow)?;
            if self.held()? < committed {
                return Err(Error::RewardNotFunded);
            }
            let now = self.now();
            stream.accrue(now, self.total_active());
            stream.fund(now, amount, duration_blocks)?;
            self.rewards.set(&stream);
            let RewardStream { rate, period_finish, .. } = stream;
            self.env().emit_event(RewardAdded { amount, duration: duration_blocks, rate, period_finish });
            Ok(())
        }

        /// Pays the caller its earned rewards. Returns the amount (0 pays nothing).
        #[ink(message)]
        pub fn claim(&mut self) -> Result<u128, Error> {
            let who = self.env().caller();
            let (staker, amount) = self.take_rewards(who)?;
            self.store(who, &staker);
            if amount > 0 {
                self.push(who, amount)?;
                self.env().emit_event(RewardPaid { account: who, amount });
            }
            Ok(amount)
        }

        /// Bonds the caller's earned rewards as active stake. Returns the amount.
        #[ink(message)]
        pub fn compound(&mut self) -> Result<u128, Error> {
            let who = self.env().caller();
            let (mut staker, amount) = self.take_rewards(who)?;
            if amount > 0 {
                staker.ledger.bond(amount)?;
                self.change_active(who, &mut staker, Change::Up(amount))?;
                self.env().emit_event(Compounded { account: who, amount });
            } else {
                self.store(who, &staker);
            }
            Ok(amount)
        }

        // ---- Voting power ----

        /// Gives the caller's voting power (its active stake, now and later) to
        /// `to`. Delegating to oneself takes it back.
        #[ink(message)]
        pub fn delegate(&mut self, to: AccountId) -> Result<(), Error> {
            lode_calls::ensure_nonzero(&to)?;
            let who = self.env().caller();
            let from = self.delegate_of(who);
            if from == to {
                return Ok(());
            }
            if to == who {
                self.delegates.remove(who);
            } else {
                self.delegates.insert(who, &to);
            }
            let power = self.staker(who).ledger.active;
            self.move_power(Some(from), Some(to), power)?;
            self.env().emit_event(DelegateChanged { delegator: who, from, to });
            Ok(())
        }

        /// Current voting power of `account`.
        #[ink(message)]
        pub fn voting_power(&self, account: AccountId) -> u128 {
            self.latest(Series::Account(account))
        }

        /// Voting power of `account` at the end of past block `block`.
        #[ink(message)]
        pub fn voting_power_at(&self, account: AccountId, block: u32) -> Result<u128, Error> {
            self.value_at(Series::Account(account), block)
        }

        /// Total voting power (all active stake) at the end of past block `block`.
        #[ink(message)]
        pub fn total_power_at(&self, block: u32) -> Result<u128, Error> {
            self.value_at(Series::Total, block)
        }

        /// Who `account`'s stake votes for (itself unless it delegated).
        #[ink(message)]
        pub fn delegates(&self, account: AccountId) -> AccountId {
            self.delegate_of(account)
        }

        /// Number of voting-power checkpoints of `account`.
        #[ink(message)]
        pub fn checkpoint_count(&self, account: AccountId) -> u32 {
            self.checkpoint_counts.get(Series::Account(account)).unwrap_or(0)
        }

        // ---- Keepers and slashing ----

        /// Whether `account` may act as a keeper: active stake ≥ `min_keeper_bond`
        /// for at least `activation_delay` blocks, and not jailed.
        #[ink(message)]
        pub fn is_keeper(&self, account: AccountId) -> bool {
            self.keeper_check(&self.staker(account))
        }

        /// Takes up to `amount` of `account`'s stake, active first, then unbonding
        /// chunks (newest first), and sends it to the treasury. Admin only.
        /// Returns the amount taken.
        #[ink(message)]
        pub fn slash(&mut self, account: AccountId, amount: u128, reason: String) -> Result<u128, Error> {
            self.ensure_admin()?;
            if reason.len() > MAX_REASON_LEN {
                return Err(Error::ReasonTooLong);
            }
            nonzero(amount)?;
            let mut staker = self.settled(account)?;
            let taken = staker.ledger.slash(amount);
            if taken.total() == 0 {
                return Err(Error::NothingToSlash);
            }
            self.total_unbonding.set(&self.total_unbonding().checked_sub(taken.from_unbonding).ok_or(Error::Overflow)?);
            self.change_active(account, &mut staker, Change::Down(taken.from_active))?;
            self.push(self.treasury(), taken.total())?;
            self.env().emit_event(Slashed { account, from_active: taken.from_active, from_unbonding: taken.from_unbonding, reason });
            Ok(taken.total())
        }

        /// Jails `account`: it stops being a keeper, keeping its stake. Admin only.
        #[ink(message)]
        pub fn jail(&mut self, account: AccountId) -> Result<(), Error> {
            self.set_jailed(account, true)
        }

        /// Releases `account` from jail. Admin only.
        #[ink(message)]
        pub fn unjail(&mut self, account: AccountId) -> Result<(), Error> {
            self.set_jailed(account, false)
        }

        // ---- Reads ----

        /// `account`'s whole position.
        #[ink(message)]
        pub fn account(&self, account: AccountId) -> AccountInfo {
            let staker = self.staker(account);
            AccountInfo {
                withdrawable: staker.ledger.withdrawable(self.now()),
                earned: self.earned(account),
                delegate: self.delegate_of(account),
                voting_power: self.voting_power(account),
                keeper_since: staker.keeper_since,
                jailed: staker.jailed,
                is_keeper: self.keeper_check(&staker),
                ledger: staker.ledger,
            }
        }

        /// Rewards `account` could claim now.
        #[ink(message)]
        pub fn earned(&self, account: AccountId) -> u128 {
            let staker = self.staker(account);
            let per_token = self.stream().at(self.now(), self.total_active()).per_token;
            rewards::earned_since(staker.ledger.active, staker.paid_per_token, per_token)
                .and_then(|e| e.checked_add(staker.rewards))
                .unwrap_or(staker.rewards)
        }

        /// The reward stream brought up to the current block.
        #[ink(message)]
        pub fn reward_state(&self) -> RewardStream {
            self.stream().at(self.now(), self.total_active())
        }

        /// Σ active stake.
        #[ink(message)]
        pub fn total_active(&self) -> u128 {
            self.total_active.get().unwrap_or(0)
        }

        /// Σ unbonding stake.
        #[ink(message)]
        pub fn total_unbonding(&self) -> u128 {
            self.total_unbonding.get().unwrap_or(0)
        }

        /// The parameters in force.
        #[ink(message)]
        pub fn params(&self) -> StakingParams {
            // Never absent (set at construction); the fallback makes nobody a keeper.
            self.params.get().unwrap_or(StakingParams {
                unbonding_period: u32::MAX,
                min_keeper_bond: u128::MAX,
                activation_delay: u32::MAX,
            })
        }

        /// Blocks between `unbond` and the stake's unlock. The governor reads it
        /// to keep slashing inescapable.
        #[ink(message)]
        pub fn unbonding_period(&self) -> u32 {
            self.params().unbonding_period
        }

        /// The LODE token this contract stakes.
        #[ink(message)]
        pub fn token(&self) -> AccountId {
            self.token
        }

        /// Receiver of slashed stake.
        #[ink(message)]
        pub fn treasury(&self) -> AccountId {
            self.treasury.get().unwrap_or(AccountId::from([0u8; 32]))
        }

        // ---- Governance ----

        /// Replaces the parameters. Admin only. A new `min_keeper_bond` applies to
        /// each account's activation clock from its next stake change.
        #[ink(message)]
        pub fn set_params(&mut self, params: StakingParams) -> Result<(), Error> {
            self.ensure_admin()?;
            if !params.is_valid() {
                return Err(Error::InvalidParams);
            }
            self.params.set(&params);
            self.env().emit_event(ParamsChanged { params });
            Ok(())
        }

        /// Changes where slashed stake goes. Admin only.
        #[ink(message)]
        pub fn set_treasury(&mut self, treasury: AccountId) -> Result<(), Error> {
            self.ensure_admin()?;
            lode_calls::ensure_nonzero(&treasury)?;
            self.treasury.set(&treasury);
            self.env().emit_event(TreasuryChanged { treasury });
            Ok(())
        }

        /// The account holding the governor role.
        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.admin.get().unwrap_or(AccountId::from([0u8; 32]))
        }

        /// Version of the code this contract runs (see [`CODE_VERSION`]).
        #[ink(message)]
        pub fn code_version(&self) -> u32 {
            CODE_VERSION
        }

        /// Hands the admin role to `new_admin`. Admin only.
        #[ink(message)]
        pub fn set_admin(&mut self, new_admin: AccountId) -> Result<(), Error> {
            let old = self.admin();
            lode_calls::check_hand_over(&old, &self.env().caller(), &new_admin)?;
            self.admin.set(&new_admin);
            self.env().emit_event(AdminChanged { old, new: new_admin });
            Ok(())
        }

        /// Replaces this contract's code, keeping its storage. Admin only.
        #[ink(message)]
        pub fn upgrade(&mut self, code_hash: Hash) -> Result<(), Error> {
            let old = lode_calls::upgrade_as_admin(&self.admin(), &self.env().caller(), &code_hash)?;
            self.env().emit_event(Upgraded { old, new: code_hash });
            Ok(())
        }

        // ---- Internals ----

        fn now(&self) -> u32 {
            self.env().block_number()
        }

        fn ensure_admin(&self) -> Result<(), Error> {
            Ok(lode_calls::ensure_admin(&self.admin(), &self.env().caller())?)
        }

        /// The reward stream as stored (not brought up to now).
        fn stream(&self) -> RewardStream {
            self.rewards.get().unwrap_or_default()
        }

        fn staker(&self, who: AccountId) -> Staker {
            self.stakers.get(who).map(StoredStaker::into_current).unwrap_or_default()
        }

        fn store(&mut self, who: AccountId, staker: &Staker) {
            // Vacant entries are removed so their storage deposit is refunded.
            if staker.is_vacant() {
                self.stakers.remove(who);
            } else {
                self.stakers.insert(who, &StoredStaker::V1(staker.clone()));
            }
        }

        /// Brings the stream up to now and `who`'s rewards up to date: the start of
        /// every operation that changes stake or pays rewards.
        fn settled(&mut self, who: AccountId) -> Result<Staker, Error> {
            let mut stream = self.stream();
            stream.accrue(self.now(), self.total_active());
            self.rewards.set(&stream);
            let mut staker = self.staker(who);
            let per_token = stream.per_token;
            let new = rewards::earned_since(staker.ledger.active, staker.paid_per_token, per_token).ok_or(Error::Overflow)?;
            staker.rewards = staker.rewards.checked_add(new).ok_or(Error::Overflow)?;
            staker.paid_per_token = per_token;
            Ok(staker)
        }

        /// Settles `who` and removes its rewards from the pool: `(staker, amount)`.
        fn take_rewards(&mut self, who: AccountId) -> Result<(Staker, u128), Error> {
            let mut staker = self.settled(who)?;
            let amount = core::mem::take(&mut staker.rewards);
            let mut stream = self.stream();
            stream.pay(amount).ok_or(Error::Overflow)?;
            self.rewards.set(&stream);
            Ok((staker, amount))
        }

        /// Applies a change of `who`'s active stake (already made in `staker`) to
        /// the totals, voting power, checkpoints and keeper clock, then stores it.
        fn change_active(&mut self, who: AccountId, staker: &mut Staker, change: Change) -> Result<(), Error> {
            let now = self.now();
            let before = self.total_active();
            let delegate = self.delegate_of(who);
            let total = match change {
                Change::Up(amount) => {
                    self.move_power(None, Some(delegate), amount)?;
                    before.checked_add(amount).ok_or(Error::Overflow)?
                }
                Change::Down(amount) => {
                    self.move_power(Some(delegate), None, amount)?;
                    before.checked_sub(amount).ok_or(Error::Overflow)?
                }
            };
            self.total_active.set(&total);
            self.checkpoint(Series::Total, total);
            staker.keeper_since = match staker.keeper_since {
                _ if staker.ledger.active < self.params().min_keeper_bond => None,
                None => Some(now),
                since => since,
            };
            self.store(who, staker);
            if before == 0 && total > 0 {
                let mut stream = self.stream();
                stream.restream_carry(now);
                self.rewards.set(&stream);
            }
            Ok(())
        }

        /// Moves `amount` of voting power between delegates (`None`: from or to nowhere).
        fn move_power(&mut self, from: Option<AccountId>, to: Option<AccountId>, amount: u128) -> Result<(), Error> {
            if amount == 0 || from == to {
                return Ok(());
            }
            if let Some(from) = from {
                let previous = self.latest(Series::Account(from));
                let current = previous.checked_sub(amount).ok_or(Error::Overflow)?;
                self.checkpoint(Series::Account(from), current);
                self.env().emit_event(DelegateVotesChanged { delegate: from, previous, current });
            }
            if let Some(to) = to {
                let previous = self.latest(Series::Account(to));
                let current = previous.checked_add(amount).ok_or(Error::Overflow)?;
                self.checkpoint(Series::Account(to), current);
                self.env().emit_event(DelegateVotesChanged { delegate: to, previous, current });
            }
            Ok(())
        }

        /// Records `value` for `series` from the current block on (overwriting
        /// this block's checkpoint if there is one).
        fn checkpoint(&mut self, series: Series, value: u128) {
            let now = self.now();
            let count = self.checkpoint_counts.get(series).unwrap_or(0);
            let last = count.checked_sub(1);
            match last.and_then(|i| self.checkpoints.get((series, i)).map(|c| (i, c))) {
                Some((i, c)) if c.block == now => {
                    self.checkpoints.insert((series, i), &Checkpoint { block: now, value });
                }
                _ => {
                    self.checkpoints.insert((series, count), &Checkpoint { block: now, value });
                    // 2^32 checkpoints would take 2^32 blocks; saturate rather than fail.
                    self.checkpoint_counts.insert(series, &count.saturating_add(1));
                }
            }
        }

        fn latest(&self, series: Series) -> u128 {
            let count = self.checkpoint_counts.get(series).unwrap_or(0);
            count.checked_sub(1).and_then(|i| self.checkpoints.get((series, i))).map_or(0, |c| c.value)
        }

        fn value_at(&self, series: Series, block: u32) -> Result<u128, Error> {
            if block >= self.now() {
                return Err(Error::FutureLookup);
            }
            let count = self.checkpoint_counts.get(series).unwrap_or(0);
            Ok(checkpoints::value_at(count, block, |i| self.checkpoints.get((series, i))))
        }

        fn delegate_of(&self, who: AccountId) -> AccountId {
            self.delegates.get(who).unwrap_or(who)
        }

        fn keeper_check(&self, staker: &Staker) -> bool {
            let params = self.params();
            let ready = staker.keeper_since.and_then(|since| since.checked_add(params.activation_delay)).is_some_and(|at| self.now() >= at);
            !staker.jailed && staker.ledger.active >= params.min_keeper_bond && ready
        }

        fn set_jailed(&mut self, account: AccountId, jailed: bool) -> Result<(), Error> {
            self.ensure_admin()?;
            let mut staker = self.staker(account);
            if staker.jailed == jailed {
                return Ok(());
            }
            staker.jailed = jailed;
            self.store(account, &staker);
            if jailed {
                self.env().emit_event(Jailed { account });
            } else {
                self.env().emit_event(Unjailed { account });
            }
            Ok(())
        }

        // ---- The token ----

        /// `PSP22::transfer_from(from, self, amount)`.
        fn pull(&self, from: AccountId, amount: u128) -> Result<(), Error> {
            lode_calls::psp22_transfer_from(self.token, from, self.env().account_id(), amount).map_err(token_error)
        }

        /// `PSP22::transfer(to, amount)` from this contract.
        fn push(&self, to: AccountId, amount: u128) -> Result<(), Error> {
            lode_calls::psp22_transfer(self.token, to, amount).map_err(token_error)
        }

        /// LODE held by this contract.
        fn held(&self) -> Result<u128, Error> {
            lode_calls::psp22_balance_of(self.token, self.env().account_id()).map_err(|_| Error::TokenCallFailed)
        }
    }

    /// The token's refusals that a staker can act on keep their meaning.
    fn token_error(e: CallError) -> Error {
        match e {
            CallError::Refused(PSP22Error::InsufficientAllowance) => Error::InsufficientAllowance,
            CallError::Refused(PSP22Error::InsufficientBalance) => Error::InsufficientBalance,
            _ => Error::TokenCallFailed,
        }
    }

    /// Zero amounts are refused rather than treated as no-ops, so a caller's bug
    /// (an amount that rounded to nothing) is visible.
    fn nonzero(amount: u128) -> Result<(), Error> {
        if amount == 0 {
            return Err(Error::ZeroAmount);
        }
        Ok(())
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn accounts() -> ink::env::test::DefaultAccounts<ink::env::DefaultEnvironment> {
            ink::env::test::default_accounts::<ink::env::DefaultEnvironment>()
        }

        fn set_caller(who: AccountId) {
            ink::env::test::set_caller::<ink::env::DefaultEnvironment>(who);
        }

        fn params() -> StakingParams {
            StakingParams { unbonding_period: 10, min_keeper_bond: 100, activation_delay: 5 }
        }

        fn staking() -> Staking {
            let a = accounts();
            set_caller(a.alice);
            Staking::new(a.frank, a.eve, params()).expect("valid")
        }

        // Messages that move tokens need a second contract and run end to end
        // (tests/tests/staking.rs); these cover what needs none.

        #[ink::test]
        fn constructor_rejects_zero_accounts_and_bad_params() {
            let a = accounts();
            let zero = AccountId::from([0u8; 32]);
            assert_eq!(Staking::new(zero, a.eve, params()).err(), Some(Error::ZeroAccount));
            assert_eq!(Staking::new(a.frank, zero, params()).err(), Some(Error::ZeroAccount));
            for bad in [StakingParams { unbonding_period: 0, ..params() }, StakingParams { min_keeper_bond: 0, ..params() }] {
                assert_eq!(Staking::new(a.frank, a.eve, bad).err(), Some(Error::InvalidParams));
            }
        }

        #[ink::test]
        fn governance_messages_are_admin_only() {
            let mut s = staking();
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(s.set_params(params()), Err(Error::NotAdmin));
            assert_eq!(s.slash(a.charlie, 1, String::new()), Err(Error::NotAdmin));
            assert_eq!(s.jail(a.charlie), Err(Error::NotAdmin));
            assert_eq!(s.unjail(a.charlie), Err(Error::NotAdmin));
            assert_eq!(s.notify_reward(1, 1), Err(Error::NotAdmin));
            assert_eq!(s.set_treasury(a.bob), Err(Error::NotAdmin));
            assert_eq!(s.set_admin(a.bob), Err(Error::NotAdmin));
            assert_eq!(s.upgrade(Hash::from([1u8; 32])), Err(Error::NotAdmin));
            set_caller(a.alice);
            assert_eq!(s.set_params(StakingParams { unbonding_period: 0, ..params() }), Err(Error::InvalidParams));
            assert_eq!(s.params(), params(), "rejected params change nothing");
            assert_eq!(s.set_admin(AccountId::from([0u8; 32])), Err(Error::ZeroAccount));
            assert_eq!(s.set_admin(a.bob), Ok(()));
            assert_eq!(s.admin(), a.bob);
        }

        #[ink::test]
        fn bad_amounts_and_empty_ledgers_are_refused() {
            let mut s = staking();
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(s.stake(0), Err(Error::ZeroAmount));
            assert_eq!(s.unbond(0), Err(Error::ZeroAmount));
            assert_eq!(s.unbond(1), Err(Error::InsufficientActive));
            assert_eq!(s.rebond(1), Err(Error::InsufficientUnbonding));
            assert_eq!(s.withdraw_unbonded(), Err(Error::NothingToWithdraw));
            assert_eq!(s.claim(), Ok(0));
            assert_eq!(s.compound(), Ok(0));
            set_caller(a.alice);
            assert_eq!(s.slash(a.bob, 5, String::new()), Err(Error::NothingToSlash));
            assert_eq!(s.slash(a.bob, 5, "x".repeat(MAX_REASON_LEN + 1)), Err(Error::ReasonTooLong));
        }

        #[ink::test]
        fn jail_blocks_keeping_and_is_idempotent() {
            let mut s = staking();
            let a = accounts();
            set_caller(a.alice);
            assert_eq!(s.jail(a.bob), Ok(()));
            assert_eq!(s.jail(a.bob), Ok(()));
            assert!(s.account(a.bob).jailed);
            assert!(!s.is_keeper(a.bob));
            assert_eq!(s.unjail(a.bob), Ok(()));
            assert!(!s.account(a.bob).jailed);
            assert_eq!(s.stakers.get(a.bob), None, "an unjailed empty account leaves no storage");
        }

        #[ink::test]
        fn delegation_without_stake_moves_no_power_and_past_lookups_only() {
            let mut s = staking();
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(s.delegate(AccountId::from([0u8; 32])), Err(Error::ZeroAccount));
            assert_eq!(s.delegate(a.charlie), Ok(()));
            assert_eq!(s.delegates(a.bob), a.charlie);
            assert_eq!(s.delegate(a.bob), Ok(()));
            assert_eq!(s.delegates(a.bob), a.bob);
            assert_eq!(s.voting_power(a.charlie), 0);
            let now = ink::env::block_number::<ink::env::DefaultEnvironment>();
            assert_eq!(s.voting_power_at(a.bob, now), Err(Error::FutureLookup));
            assert_eq!(s.total_power_at(now), Err(Error::FutureLookup));
        }
    }
}
