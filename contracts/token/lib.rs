//! # LODE token
//!
//! ## Overview
//! LODE is a PSP22 token. It speaks the standard `PSP22` and `PSP22Metadata`
//! traits with their standard selectors (`blake2b("PSP22::transfer")[..4]` and so
//! on), so wallets and dapps that know PSP22 work with it unchanged.
//!
//! ## Proof-of-work minting (ERC-918 style)
//! Supply is created only by [`Token::mine`]: a nonce such that
//! `keccak256(challenge ‖ beneficiary ‖ nonce) ≤ target` mints the current reward
//! to `beneficiary`. The rules (preimage layout, challenge rotation, retargeting,
//! halving) live in `lode_primitives::pow`, shared with the keeper's miner, and
//! are specified in `docs/contracts/token.md`.
//!
//! ## Invariant
//! `total_supply == Σ balances ≤ supply_cap`. Every path that moves tokens goes through
//! [`Token::move_tokens`], [`Token::transfer_batch`] (one debit of the payer for the
//! sum it credits) or [`Token::mint_to`], which keep it.
//!
//! ## Roles and upgrades
//! The `admin` holds the governor's role: it alone may `upgrade(code_hash)` (which
//! calls `set_code_hash`) and hand the role over with `set_admin`. Until the
//! governor contract exists, the admin is the deployer; deployment then hands the
//! role to the governor.
//!
//! ## Storage
//! The root holds only `supply_cap`, fixed at deployment. Everything that
//! changes lives in its own `Lazy` or `Mapping` cell under a `ManualKey`, so a
//! later version adds state in new cells and never changes the root's
//! encoding (`docs/contracts/upgrades.md`).
//!
//! ## Batch payments
//! `transfer_batch` pays many accounts from the caller in one call: the
//! splitter settles a whole batch with the token's code loaded once.
//!
//! ## Errors
//! Every message returns a typed [`PSP22Error`] or [`Error`]; user input never
//! panics, and all arithmetic is checked.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

pub use self::token::{Error, Token};
pub use lode_primitives::psp22::PSP22Error;

/// Mining parameters. Only the admin (the governor's role) changes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct MiningParams {
    /// Mints per epoch; the target is retargeted after each epoch. At least 1.
    pub epoch_length: u32,
    /// Wanted time between mints, in milliseconds. At least 1, and
    /// `target_interval_ms × epoch_length` must fit in a `u64`.
    pub target_interval_ms: u64,
    /// Mints between reward halvings. At least 1.
    pub halving_interval: u64,
    /// Reward of the first mint, in the token's smallest units.
    pub initial_reward: u128,
    /// The easiest target ever allowed (big-endian). Not zero.
    pub max_target: [u8; 32],
}

impl MiningParams {
    /// Expected duration of one epoch, if the parameters are valid.
    pub fn expected_epoch_ms(&self) -> Option<u64> {
        if self.epoch_length == 0 || self.target_interval_ms == 0 || self.halving_interval == 0 || self.max_target == [0u8; 32] {
            return None;
        }
        self.target_interval_ms.checked_mul(u64::from(self.epoch_length))
    }
}

/// Everything a miner needs, as returned by `mining_state()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct MiningState {
    /// The challenge a solution must be for.
    pub challenge: [u8; 32],
    /// A digest must be `≤ target` (big-endian).
    pub target: [u8; 32],
    /// Reward of the next mint: the halving schedule, capped by what the supply cap leaves.
    pub reward: u128,
    /// Current epoch, counted from 0.
    pub epoch: u32,
    /// Mints so far.
    pub mint_count: u64,
    /// Block timestamp (ms) at which the current epoch began.
    pub epoch_started_ms: u64,
    /// Block timestamp (ms) of the last retarget (deployment time before the first).
    pub last_retarget_ms: u64,
}

#[ink::contract]
mod token {
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::{traits::ManualKey, Lazy, Mapping};

    use super::{MiningParams, MiningState, PSP22Error};
    use ink::env::hash::Keccak256;
    use lode_primitives::pow;

    /// Version of this contract's code, bumped on every behavioural change so that
    /// dapps and the governor can tell which code a contract runs after an upgrade.
    pub const CODE_VERSION: u32 = 3;

    /// Errors of the token's own (non-PSP22) messages.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum Error {
        /// The caller is not the admin (the governor's role).
        NotAdmin,
        /// The zero account cannot be named here (as admin).
        ZeroAccount,
        /// The beneficiary is the token itself (whose LODE nothing can ever
        /// move) or the zero account: the reward would be lost.
        InvalidBeneficiary,
        /// `set_code_hash` failed: no code with that hash has been uploaded.
        UnknownCodeHash,
        /// The genesis allocation exceeds the supply cap.
        GenesisExceedsCap,
        /// The solution is for a challenge that is no longer current (someone mined
        /// first, or this exact solution was already used). Fetch `mining_state()`
        /// and mine the new challenge.
        StaleChallenge,
        /// `keccak256(challenge ‖ beneficiary ‖ nonce)` is above the target.
        InvalidSolution,
        /// The supply cap is reached; nothing more can be mined.
        SupplyCapReached,
        /// The reward has halved to zero; nothing more can be mined.
        MiningEnded,
        /// Mining parameters or the initial target are out of range (see `MiningParams`).
        InvalidParams,
        /// A counter would overflow.
        Overflow,
    }

    /// The standard PSP22 trait. Selectors are `blake2b("PSP22::<message>")[..4]`.
    #[ink::trait_definition]
    pub trait PSP22 {
        /// Total amount of tokens in existence.
        #[ink(message)]
        fn total_supply(&self) -> u128;

        /// Balance of `owner`; zero for accounts that never held tokens.
        #[ink(message)]
        fn balance_of(&self, owner: AccountId) -> u128;

        /// How much `spender` may still take from `owner` with `transfer_from`.
        #[ink(message)]
        fn allowance(&self, owner: AccountId, spender: AccountId) -> u128;

        /// Moves `value` tokens from the caller to `to`. `data` is unused here and
        /// kept for standard compatibility.
        #[ink(message)]
        fn transfer(&mut self, to: AccountId, value: u128, data: Vec<u8>) -> Result<(), PSP22Error>;

        /// Moves `value` tokens from `from` to `to` using the caller's allowance.
        #[ink(message)]
        fn transfer_from(&mut self, from: AccountId, to: AccountId, value: u128, data: Vec<u8>) -> Result<(), PSP22Error>;

        /// Sets the caller's allowance for `spender` to `value`.
        #[ink(message)]
        fn approve(&mut self, spender: AccountId, value: u128) -> Result<(), PSP22Error>;

        /// Raises the caller's allowance for `spender` by `delta_value`.
        #[ink(message)]
        fn increase_allowance(&mut self, spender: AccountId, delta_value: u128) -> Result<(), PSP22Error>;

        /// Lowers the caller's allowance for `spender` by `delta_value`; fails with
        /// `InsufficientAllowance` rather than saturating, so mistakes are visible.
        #[ink(message)]
        fn decrease_allowance(&mut self, spender: AccountId, delta_value: u128) -> Result<(), PSP22Error>;
    }

    /// The standard PSP22 metadata trait.
    #[ink::trait_definition]
    pub trait PSP22Metadata {
        /// The token's name.
        #[ink(message)]
        fn token_name(&self) -> Option<String>;
        /// The token's ticker symbol.
        #[ink(message)]
        fn token_symbol(&self) -> Option<String>;
        /// Number of decimals used to display amounts.
        #[ink(message)]
        fn token_decimals(&self) -> u8;
    }

    /// Tokens moved. `from` is `None` for a mint.
    #[ink(event)]
    pub struct Transfer {
        /// Sender; `None` when tokens are minted.
        #[ink(topic)]
        pub from: Option<AccountId>,
        /// Receiver; `None` when tokens are burned.
        #[ink(topic)]
        pub to: Option<AccountId>,
        /// Amount moved.
        pub value: u128,
    }

    /// Many transfers from one account in one `transfer_batch` call, listed in
    /// one event (as ERC-1155's `TransferBatch`): a PSP22 `Transfer` per
    /// payment would cost more than the payment itself, for its three topics.
    /// Indexers that follow LODE balances read these as well as `Transfer`.
    #[ink(event)]
    pub struct TransferBatch {
        /// The payer.
        #[ink(topic)]
        pub from: AccountId,
        /// `(to, value)` of every payment made, in the order given.
        pub transfers: Vec<(AccountId, u128)>,
    }

    /// An allowance was set to a new absolute `amount`.
    #[ink(event)]
    pub struct Approval {
        /// Token owner.
        #[ink(topic)]
        pub owner: AccountId,
        /// Account allowed to spend.
        #[ink(topic)]
        pub spender: AccountId,
        /// The allowance now in force.
        pub amount: u128,
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

    /// A proof-of-work solution minted `reward` to `beneficiary`.
    #[ink(event)]
    pub struct Mined {
        /// Who received the reward.
        #[ink(topic)]
        pub beneficiary: AccountId,
        /// Amount minted.
        pub reward: u128,
        /// The solution's digest; the next challenge is `keccak256(previous ‖ digest)`.
        pub digest: [u8; 32],
        /// Epoch the mint happened in.
        pub epoch: u32,
    }

    /// The target moved at the end of an epoch.
    #[ink(event)]
    pub struct Retargeted {
        /// Target before.
        pub old: [u8; 32],
        /// Target after.
        pub new: [u8; 32],
    }

    /// The admin changed the mining parameters.
    #[ink(event)]
    pub struct MiningParamsChanged {
        /// The parameters now in force.
        pub params: MiningParams,
    }

    /// The contract's code was replaced through `upgrade`.
    #[ink(event)]
    pub struct Upgraded {
        /// Code hash before the upgrade.
        pub old: Hash,
        /// Code hash after the upgrade.
        pub new: Hash,
    }

    /// Token state: the root holds what never changes; each mutable part has
    /// its own cell (see the crate docs, "Storage").
    #[ink(storage)]
    pub struct Token {
        /// Hard cap on `total_supply`, fixed at deployment.
        supply_cap: u128,
        /// Balance per account; absent means zero.
        balances: Mapping<AccountId, u128, ManualKey<0x4c4f_0001>>,
        /// Allowance per (owner, spender); absent means zero.
        allowances: Mapping<(AccountId, AccountId), u128, ManualKey<0x4c4f_0002>>,
        /// Holder of the governor role (see crate docs).
        admin: Lazy<AccountId, ManualKey<0x4c4f_0003>>,
        /// Sum of all balances.
        total_supply: Lazy<u128, ManualKey<0x4c4f_0004>>,
        /// Mining parameters (admin-set).
        params: Lazy<MiningParams, ManualKey<0x4c4f_0005>>,
        /// Current puzzle and schedule position.
        mining: Lazy<MiningState, ManualKey<0x4c4f_0006>>,
    }

    /// Token name reported by `PSP22Metadata`.
    const NAME: &str = "Lode";
    /// Token symbol reported by `PSP22Metadata`.
    const SYMBOL: &str = "LODE";
    use lode_primitives::DECIMALS;

    lode_calls::admin_errors!(Error);

    impl Token {
        /// Creates the token with `genesis_supply` minted to `treasury` (the DAO
        /// treasury) and mining open at `initial_target`. The caller becomes admin
        /// until it hands the role over.
        #[ink(constructor)]
        pub fn new(
            treasury: AccountId,
            genesis_supply: u128,
            supply_cap: u128,
            params: MiningParams,
            initial_target: [u8; 32],
        ) -> Result<Self, Error> {
            if genesis_supply > supply_cap {
                return Err(Error::GenesisExceedsCap);
            }
            if params.expected_epoch_ms().is_none() || initial_target == [0u8; 32] || initial_target > params.max_target {
                return Err(Error::InvalidParams);
            }
            let now = Self::env().block_timestamp();
            let genesis = pow::genesis_preimage(Self::env().account_id().as_ref());
            let mut token = Self {
                supply_cap,
                balances: Mapping::default(),
                allowances: Mapping::default(),
                admin: Lazy::new(),
                total_supply: Lazy::new(),
                params: Lazy::new(),
                mining: Lazy::new(),
            };
            token.admin.set(&Self::env().caller());
            token.total_supply.set(&0);
            token.params.set(&params);
            let mut mining = MiningState {
                challenge: Self::env().hash_bytes::<Keccak256>(&genesis),
                target: initial_target,
                reward: 0,
                epoch: 0,
                mint_count: 0,
                epoch_started_ms: now,
                last_retarget_ms: now,
            };
            token.mint_to(treasury, genesis_supply).map_err(|_| Error::GenesisExceedsCap)?;
            token.refresh_reward(&params, &mut mining);
            token.mining.set(&mining);
            Ok(token)
        }

        /// Submits a proof-of-work solution: if `keccak256(challenge ‖ beneficiary ‖
        /// nonce) ≤ target`, mints the current reward to `beneficiary` (which may be
        /// a contract, such as the splitter), rotates the challenge and, at the end
        /// of an epoch, retargets. Returns the amount minted.
        ///
        /// Anyone may submit; the beneficiary is bound into the hash, so copying
        /// someone else's nonce gains nothing.
        #[ink(message)]
        pub fn mine(&mut self, challenge: [u8; 32], nonce: [u8; 32], beneficiary: AccountId) -> Result<u128, Error> {
            let state = self.mining_state();
            if challenge != state.challenge {
                return Err(Error::StaleChallenge);
            }
            if beneficiary == self.env().account_id() || lode_calls::is_zero(&beneficiary) {
                return Err(Error::InvalidBeneficiary);
            }
            if state.reward == 0 {
                return Err(if self.total_supply_inner() >= self.supply_cap { Error::SupplyCapReached } else { Error::MiningEnded });
            }
            let digest = self.env().hash_bytes::<Keccak256>(&pow::preimage(&challenge, beneficiary.as_ref(), &nonce));
            if !pow::meets_target(&digest, &state.target) {
                return Err(Error::InvalidSolution);
            }
            self.mint_to(beneficiary, state.reward).map_err(|_| Error::SupplyCapReached)?;
            let params = self.mining_params();
            let mut next = state;
            next.challenge = self.env().hash_bytes::<Keccak256>(&pow::rotation_preimage(&challenge, &digest));
            next.mint_count = state.mint_count.checked_add(1).ok_or(Error::Overflow)?;
            self.env().emit_event(Mined { beneficiary, reward: state.reward, digest, epoch: state.epoch });
            if next.mint_count.checked_rem(u64::from(params.epoch_length)) == Some(0) {
                self.retarget(&params, &mut next)?;
            }
            self.refresh_reward(&params, &mut next);
            self.mining.set(&next);
            Ok(state.reward)
        }

        /// Pays each `(to, amount)` from the caller in one call, so a payer
        /// with many payees (the splitter settling a batch) loads the token's
        /// code once. Returns the indices of the payments refused (to the token
        /// itself, or a balance overflow); the rest are paid and listed in one
        /// `TransferBatch` event. A payment to the caller itself or of zero is
        /// a no-op. If the caller's balance cannot cover every payment, nothing
        /// is paid.
        #[ink(message)]
        pub fn transfer_batch(&mut self, payments: Vec<(AccountId, u128)>) -> Result<Vec<u32>, PSP22Error> {
            let from = self.env().caller();
            let me = self.env().account_id();
            let mut balance = self.balance_of_inner(from);
            let mut refused = Vec::new();
            let mut paid = Vec::with_capacity(payments.len());
            for (i, (to, value)) in payments.into_iter().enumerate() {
                if to == from || value == 0 {
                    continue;
                }
                let credited = if to == me { None } else { self.balance_of_inner(to).checked_add(value) };
                let Some(new_to) = credited else {
                    refused.push(u32::try_from(i).map_err(|_| PSP22Error::Custom(String::from("batch too long")))?);
                    continue;
                };
                balance = balance.checked_sub(value).ok_or(PSP22Error::InsufficientBalance)?;
                self.set_balance(to, new_to);
                paid.push((to, value));
            }
            self.set_balance(from, balance);
            if !paid.is_empty() {
                self.env().emit_event(TransferBatch { from, transfers: paid });
            }
            Ok(refused)
        }

        /// The puzzle and schedule position: what a miner needs.
        #[ink(message)]
        pub fn mining_state(&self) -> MiningState {
            self.mining.get().unwrap_or_default()
        }

        /// The mining parameters in force.
        #[ink(message)]
        pub fn mining_params(&self) -> MiningParams {
            self.params.get().unwrap_or_default()
        }

        /// Replaces the mining parameters. Admin only. The current target is pulled
        /// down to the new `max_target` if it exceeds it; the reward follows the new
        /// schedule from the current mint count.
        #[ink(message)]
        pub fn set_mining_params(&mut self, params: MiningParams) -> Result<(), Error> {
            self.ensure_admin()?;
            if params.expected_epoch_ms().is_none() {
                return Err(Error::InvalidParams);
            }
            self.params.set(&params);
            let mut mining = self.mining_state();
            if mining.target > params.max_target {
                let old = mining.target;
                mining.target = params.max_target;
                self.env().emit_event(Retargeted { old, new: params.max_target });
            }
            self.refresh_reward(&params, &mut mining);
            self.mining.set(&mining);
            self.env().emit_event(MiningParamsChanged { params });
            Ok(())
        }

        /// The account holding the governor role.
        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.admin.get().unwrap_or(AccountId::from([0u8; 32]))
        }

        /// The maximum supply that can ever exist.
        #[ink(message)]
        pub fn supply_cap(&self) -> u128 {
            self.supply_cap
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

        /// Ends the epoch: rescales the target by how long the epoch took.
        fn retarget(&self, params: &MiningParams, mining: &mut MiningState) -> Result<(), Error> {
            let now = self.env().block_timestamp();
            let expected = params.expected_epoch_ms().ok_or(Error::InvalidParams)?;
            let actual = now.saturating_sub(mining.epoch_started_ms);
            let old = mining.target;
            let new = pow::retarget(&old, actual, expected, &params.max_target);
            mining.target = new;
            mining.epoch = mining.epoch.checked_add(1).ok_or(Error::Overflow)?;
            mining.epoch_started_ms = now;
            mining.last_retarget_ms = now;
            self.env().emit_event(Retargeted { old, new });
            Ok(())
        }

        /// The next reward: the halving schedule, capped by what the supply cap leaves.
        fn refresh_reward(&self, params: &MiningParams, mining: &mut MiningState) {
            let scheduled = pow::reward_at(params.initial_reward, params.halving_interval, mining.mint_count);
            let room = self.supply_cap.saturating_sub(self.total_supply_inner());
            mining.reward = scheduled.min(room);
        }

        fn ensure_admin(&self) -> Result<(), Error> {
            Ok(lode_calls::ensure_admin(&self.admin(), &self.env().caller())?)
        }

        fn total_supply_inner(&self) -> u128 {
            self.total_supply.get().unwrap_or_default()
        }

        /// Debits and credits one transfer; `transfer_batch` does the same for
        /// many payments with one debit of the payer.
        fn move_tokens(&mut self, from: AccountId, to: AccountId, value: u128) -> Result<(), PSP22Error> {
            if from == to || value == 0 {
                // A no-op, as in the PSP22 reference implementation: no event.
                return Ok(());
            }
            if to == self.env().account_id() {
                // Nothing can ever move LODE out of the token's own account.
                return Err(PSP22Error::Custom(String::from("LODE sent to the token contract itself would be lost")));
            }
            let from_balance = self.balance_of_inner(from);
            let new_from = from_balance.checked_sub(value).ok_or(PSP22Error::InsufficientBalance)?;
            // Cannot overflow while total_supply (≥ to's balance + value) fits in u128,
            // but checked all the same.
            let new_to = self.balance_of_inner(to).checked_add(value).ok_or(PSP22Error::Custom(String::from("balance overflow")))?;
            self.set_balance(from, new_from);
            self.set_balance(to, new_to);
            self.env().emit_event(Transfer { from: Some(from), to: Some(to), value });
            Ok(())
        }

        /// The one place that creates tokens; enforces the supply cap.
        fn mint_to(&mut self, to: AccountId, value: u128) -> Result<(), PSP22Error> {
            let supply = self
                .total_supply_inner()
                .checked_add(value)
                .filter(|s| *s <= self.supply_cap)
                .ok_or(PSP22Error::Custom(String::from("supply cap reached")))?;
            let balance = self.balance_of_inner(to).checked_add(value).ok_or(PSP22Error::Custom(String::from("balance overflow")))?;
            self.total_supply.set(&supply);
            self.set_balance(to, balance);
            self.env().emit_event(Transfer { from: None, to: Some(to), value });
            Ok(())
        }

        fn set_balance(&mut self, owner: AccountId, value: u128) {
            // Zero balances are removed so storage deposits are refunded.
            if value == 0 {
                self.balances.remove(owner);
            } else {
                self.balances.insert(owner, &value);
            }
        }

        fn set_allowance(&mut self, owner: AccountId, spender: AccountId, amount: u128) {
            if amount == 0 {
                self.allowances.remove((owner, spender));
            } else {
                self.allowances.insert((owner, spender), &amount);
            }
            self.env().emit_event(Approval { owner, spender, amount });
        }

        /// Applies `apply(current, delta)` to the caller's allowance for `spender`;
        /// `on_fail()` when it over- or underflows. Self-allowances and zero deltas are no-ops.
        fn change_allowance(
            &mut self,
            spender: AccountId,
            delta: u128,
            apply: fn(u128, u128) -> Option<u128>,
            on_fail: fn() -> PSP22Error,
        ) -> Result<(), PSP22Error> {
            let owner = self.env().caller();
            if owner == spender || delta == 0 {
                return Ok(());
            }
            let amount = apply(self.allowance_inner(owner, spender), delta).ok_or_else(on_fail)?;
            self.set_allowance(owner, spender, amount);
            Ok(())
        }

        fn balance_of_inner(&self, owner: AccountId) -> u128 {
            self.balances.get(owner).unwrap_or_default()
        }

        fn allowance_inner(&self, owner: AccountId, spender: AccountId) -> u128 {
            self.allowances.get((owner, spender)).unwrap_or_default()
        }
    }

    impl PSP22 for Token {
        #[ink(message)]
        fn total_supply(&self) -> u128 {
            self.total_supply_inner()
        }

        #[ink(message)]
        fn balance_of(&self, owner: AccountId) -> u128 {
            self.balance_of_inner(owner)
        }

        #[ink(message)]
        fn allowance(&self, owner: AccountId, spender: AccountId) -> u128 {
            self.allowance_inner(owner, spender)
        }

        #[ink(message)]
        fn transfer(&mut self, to: AccountId, value: u128, _data: Vec<u8>) -> Result<(), PSP22Error> {
            let from = self.env().caller();
            self.move_tokens(from, to, value)
        }

        #[ink(message)]
        fn transfer_from(&mut self, from: AccountId, to: AccountId, value: u128, _data: Vec<u8>) -> Result<(), PSP22Error> {
            let spender = self.env().caller();
            let allowance = self.allowance_inner(from, spender);
            let remaining = allowance.checked_sub(value).ok_or(PSP22Error::InsufficientAllowance)?;
            self.move_tokens(from, to, value)?;
            if value != 0 {
                self.set_allowance(from, spender, remaining);
            }
            Ok(())
        }

        #[ink(message)]
        fn approve(&mut self, spender: AccountId, value: u128) -> Result<(), PSP22Error> {
            let owner = self.env().caller();
            if owner != spender {
                self.set_allowance(owner, spender, value);
            }
            Ok(())
        }

        #[ink(message)]
        fn increase_allowance(&mut self, spender: AccountId, delta_value: u128) -> Result<(), PSP22Error> {
            self.change_allowance(spender, delta_value, u128::checked_add, || PSP22Error::Custom(String::from("allowance overflow")))
        }

        #[ink(message)]
        fn decrease_allowance(&mut self, spender: AccountId, delta_value: u128) -> Result<(), PSP22Error> {
            self.change_allowance(spender, delta_value, u128::checked_sub, || PSP22Error::InsufficientAllowance)
        }
    }

    impl PSP22Metadata for Token {
        #[ink(message)]
        fn token_name(&self) -> Option<String> {
            Some(String::from(NAME))
        }

        #[ink(message)]
        fn token_symbol(&self) -> Option<String> {
            Some(String::from(SYMBOL))
        }

        #[ink(message)]
        fn token_decimals(&self) -> u8 {
            DECIMALS
        }
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

        use pow::mask as ones;

        fn params() -> MiningParams {
            MiningParams {
                epoch_length: 1000,
                target_interval_ms: 1000,
                halving_interval: 1000,
                initial_reward: 1000,
                max_target: ones(256),
            }
        }

        fn token_with(params: MiningParams, target: [u8; 32], genesis: u128, cap: u128) -> Token {
            let a = accounts();
            set_caller(a.alice);
            Token::new(a.bob, genesis, cap, params, target).expect("valid genesis")
        }

        fn token_with_treasury(supply: u128) -> Token {
            token_with(params(), ones(248), supply, 1_000_000)
        }

        fn keccak(input: &[u8]) -> [u8; 32] {
            let mut out = [0u8; 32];
            ink::env::hash_bytes::<Keccak256>(input, &mut out);
            out
        }

        fn digest(t: &Token, who: AccountId, nonce: &[u8; 32]) -> [u8; 32] {
            keccak(&pow::preimage(&t.mining_state().challenge, who.as_ref(), nonce))
        }

        /// A real search: the first nonce (counting from `from`) whose digest meets the target.
        fn solve_from(t: &Token, who: AccountId, from: u64) -> [u8; 32] {
            let target = t.mining_state().target;
            (from..)
                .map(pow::counter_nonce)
                .find(|nonce| pow::meets_target(&digest(t, who, nonce), &target))
                .expect("a solution exists at this difficulty")
        }

        fn solve(t: &Token, who: AccountId) -> [u8; 32] {
            solve_from(t, who, 0)
        }

        fn mine_at(t: &mut Token, now_ms: u64) -> Result<u128, Error> {
            ink::env::test::set_block_timestamp::<ink::env::DefaultEnvironment>(now_ms);
            let who = accounts().charlie;
            let nonce = solve(t, who);
            t.mine(t.mining_state().challenge, nonce, who)
        }

        #[ink::test]
        fn genesis_allocation_goes_to_treasury() {
            let t = token_with_treasury(500);
            let a = accounts();
            assert_eq!(t.balance_of(a.bob), 500);
            assert_eq!(t.total_supply(), 500);
            assert_eq!(t.admin(), a.alice);
        }

        #[ink::test]
        fn genesis_above_cap_is_rejected() {
            let a = accounts();
            assert_eq!(Token::new(a.bob, 2, 1, params(), ones(8)).err(), Some(Error::GenesisExceedsCap));
        }

        #[ink::test]
        fn transfer_moves_balance_and_rejects_overdraft() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(t.transfer(a.charlie, 40, Vec::new()), Ok(()));
            assert_eq!(t.balance_of(a.bob), 60);
            assert_eq!(t.balance_of(a.charlie), 40);
            assert_eq!(t.transfer(a.charlie, 61, Vec::new()), Err(PSP22Error::InsufficientBalance));
            assert_eq!(t.balance_of(a.bob), 60, "failed transfer changes nothing");
        }

        #[ink::test]
        fn zero_and_self_transfers_change_nothing() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(t.transfer(a.bob, 100, Vec::new()), Ok(()));
            assert_eq!(t.transfer(a.charlie, 0, Vec::new()), Ok(()));
            assert_eq!(t.balance_of(a.bob), 100);
            assert_eq!(t.total_supply(), 100);
        }

        #[ink::test]
        fn transfers_to_the_token_itself_are_refused() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            let me = ink::env::account_id::<ink::env::DefaultEnvironment>();
            set_caller(a.bob);
            assert!(matches!(t.transfer(me, 1, Vec::new()), Err(PSP22Error::Custom(_))));
            assert_eq!(t.balance_of(a.bob), 100);
        }

        #[ink::test]
        fn transfer_from_spends_allowance_exactly() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            set_caller(a.bob);
            t.approve(a.charlie, 30).unwrap();
            set_caller(a.charlie);
            assert_eq!(t.transfer_from(a.bob, a.django, 31, Vec::new()), Err(PSP22Error::InsufficientAllowance));
            assert_eq!(t.transfer_from(a.bob, a.django, 30, Vec::new()), Ok(()));
            assert_eq!(t.allowance(a.bob, a.charlie), 0);
            assert_eq!(t.balance_of(a.django), 30);
        }

        #[ink::test]
        fn decrease_allowance_below_zero_fails_without_change() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            set_caller(a.bob);
            t.increase_allowance(a.charlie, 5).unwrap();
            assert_eq!(t.decrease_allowance(a.charlie, 6), Err(PSP22Error::InsufficientAllowance));
            assert_eq!(t.allowance(a.bob, a.charlie), 5);
            assert_eq!(t.decrease_allowance(a.charlie, 5), Ok(()));
            assert_eq!(t.allowance(a.bob, a.charlie), 0);
        }

        #[ink::test]
        fn only_admin_can_hand_over_or_upgrade() {
            let mut t = token_with_treasury(1);
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(t.set_admin(a.bob), Err(Error::NotAdmin));
            assert_eq!(t.upgrade(Hash::from([7u8; 32])), Err(Error::NotAdmin));
            set_caller(a.alice);
            assert_eq!(t.set_admin(AccountId::from([0u8; 32])), Err(Error::ZeroAccount));
            assert_eq!(t.set_admin(a.bob), Ok(()));
            assert_eq!(t.admin(), a.bob);
        }

        #[ink::test]
        fn a_real_search_mints_the_reward_and_rotates_the_challenge() {
            let mut t = token_with_treasury(100);
            let who = accounts().charlie;
            let before = t.mining_state();
            let nonce = solve(&t, who);
            let d = digest(&t, who, &nonce);
            assert_eq!(t.mine(before.challenge, nonce, who), Ok(1000));
            assert_eq!(t.balance_of(who), 1000);
            assert_eq!(t.total_supply(), 1100);
            let after = t.mining_state();
            assert_eq!(after.challenge, keccak(&pow::rotation_preimage(&before.challenge, &d)), "rotation rule as documented");
            assert_eq!(after.mint_count, 1);
        }

        #[ink::test]
        fn genesis_challenge_is_bound_to_the_token_account() {
            let t = token_with_treasury(0);
            let me = ink::env::account_id::<ink::env::DefaultEnvironment>();
            assert_eq!(t.mining_state().challenge, keccak(&pow::genesis_preimage(me.as_ref())));
        }

        #[ink::test]
        fn a_replayed_solution_is_stale_not_invalid() {
            let mut t = token_with_treasury(0);
            let who = accounts().charlie;
            let challenge = t.mining_state().challenge;
            let nonce = solve(&t, who);
            t.mine(challenge, nonce, who).unwrap();
            assert_eq!(t.mine(challenge, nonce, who), Err(Error::StaleChallenge));
            assert_eq!(t.balance_of(who), 1000, "paid once");
        }

        #[ink::test]
        fn a_copied_nonce_is_worthless_to_another_beneficiary() {
            let mut t = token_with_treasury(0);
            let a = accounts();
            let target = t.mining_state().target;
            // A nonce valid for charlie but not for django (deterministic: skip coincidences).
            let mut from = 0;
            let nonce = loop {
                let n = solve_from(&t, a.charlie, from);
                if !pow::meets_target(&digest(&t, a.django, &n), &target) {
                    break n;
                }
                from = u64::from_le_bytes(n[..8].try_into().unwrap()) + 1;
            };
            let challenge = t.mining_state().challenge;
            assert_eq!(t.mine(challenge, nonce, a.django), Err(Error::InvalidSolution));
            assert_eq!(t.total_supply(), 0, "nothing minted");
            assert_eq!(t.mining_state().challenge, challenge, "nothing rotated");
        }

        #[ink::test]
        fn retarget_moves_toward_the_interval_within_four_times() {
            let p = MiningParams { epoch_length: 1, target_interval_ms: 1000, max_target: ones(252), ..params() };
            let mut t = token_with(p, ones(250), 0, u128::MAX);
            // 100 ms instead of 1000: 10x too fast, clamped to ÷4.
            mine_at(&mut t, 100).unwrap();
            assert_eq!(t.mining_state().target, ones(248));
            assert_eq!(t.mining_state().epoch, 1);
            assert_eq!(t.mining_state().last_retarget_ms, 100);
            // 10 s instead of 1 s: 10x too slow, clamped to ×4: 4(2^248 - 1) = 2^250 - 4.
            mine_at(&mut t, 10_100).unwrap();
            let mut x4 = ones(250);
            x4[31] = 0xfc;
            assert_eq!(t.mining_state().target, x4);
            // Exactly on time: unchanged.
            mine_at(&mut t, 11_100).unwrap();
            assert_eq!(t.mining_state().target, x4);
            // Slow again: 4(2^250 - 4) = 2^252 - 16, still under max.
            mine_at(&mut t, 100_000).unwrap();
            let mut x16 = ones(252);
            x16[31] = 0xf0;
            assert_eq!(t.mining_state().target, x16);
            // Slow again, but never above max_target.
            mine_at(&mut t, 200_000).unwrap();
            assert_eq!(t.mining_state().target, ones(252), "capped at max");
        }

        #[ink::test]
        fn reward_halves_and_the_cap_ends_mining() {
            let p = MiningParams { halving_interval: 2, initial_reward: 1000, ..params() };
            let mut t = token_with(p, ones(248), 0, 2250);
            assert_eq!(mine_at(&mut t, 1), Ok(1000));
            assert_eq!(mine_at(&mut t, 2), Ok(1000));
            assert_eq!(t.mining_state().reward, 250, "halved to 500, capped by the 250 left");
            assert_eq!(mine_at(&mut t, 3), Ok(250));
            assert_eq!(t.total_supply(), 2250);
            assert_eq!(mine_at(&mut t, 4), Err(Error::SupplyCapReached));
        }

        #[ink::test]
        fn mining_ends_when_the_reward_halves_to_zero() {
            let p = MiningParams { halving_interval: 1, initial_reward: 1, ..params() };
            let mut t = token_with(p, ones(248), 0, u128::MAX);
            assert_eq!(mine_at(&mut t, 1), Ok(1));
            assert_eq!(mine_at(&mut t, 2), Err(Error::MiningEnded));
        }

        #[ink::test]
        fn invalid_mining_params_are_rejected() {
            let a = accounts();
            set_caller(a.alice);
            for bad in [
                MiningParams { epoch_length: 0, ..params() },
                MiningParams { target_interval_ms: 0, ..params() },
                MiningParams { halving_interval: 0, ..params() },
                MiningParams { max_target: [0; 32], ..params() },
                MiningParams { epoch_length: u32::MAX, target_interval_ms: u64::MAX, ..params() },
            ] {
                assert_eq!(Token::new(a.bob, 0, 10, bad, ones(8)).err(), Some(Error::InvalidParams), "{bad:?}");
            }
            let low_max = MiningParams { max_target: ones(8), ..params() };
            assert_eq!(Token::new(a.bob, 0, 10, low_max, ones(9)).err(), Some(Error::InvalidParams), "target above max");
            assert_eq!(Token::new(a.bob, 0, 10, params(), [0; 32]).err(), Some(Error::InvalidParams), "zero target");
        }

        #[ink::test]
        fn only_admin_sets_mining_params_and_target_follows_a_lower_max() {
            let mut t = token_with_treasury(0);
            let a = accounts();
            let lower = MiningParams { max_target: ones(200), ..params() };
            set_caller(a.bob);
            assert_eq!(t.set_mining_params(lower), Err(Error::NotAdmin));
            set_caller(a.alice);
            assert_eq!(t.set_mining_params(MiningParams { epoch_length: 0, ..params() }), Err(Error::InvalidParams));
            assert_eq!(t.mining_params(), params(), "rejected params change nothing");
            assert_eq!(t.set_mining_params(lower), Ok(()));
            assert_eq!(t.mining_state().target, ones(200));
        }

        #[ink::test]
        fn a_batch_pays_everyone_it_can_and_names_the_refused() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            let me = ink::env::account_id::<ink::env::DefaultEnvironment>();
            set_caller(a.bob);
            let payments = vec![(a.charlie, 10), (me, 5), (a.django, 20), (a.bob, 7), (a.charlie, 1), (a.eve, 0)];
            assert_eq!(t.transfer_batch(payments), Ok(vec![1]), "the token itself is refused");
            assert_eq!((t.balance_of(a.bob), t.balance_of(a.charlie), t.balance_of(a.django)), (69, 11, 20));
            assert_eq!(t.balance_of(me), 0);
            assert_eq!(t.total_supply(), 100);
        }

        #[ink::test]
        fn a_batch_the_payer_cannot_cover_pays_nobody() {
            let mut t = token_with_treasury(100);
            let a = accounts();
            set_caller(a.bob);
            assert_eq!(t.transfer_batch(vec![(a.charlie, 60), (a.django, 41)]), Err(PSP22Error::InsufficientBalance));
        }

        #[ink::test]
        fn metadata_is_standard() {
            let t = token_with_treasury(0);
            assert_eq!(t.token_symbol().as_deref(), Some("LODE"));
            assert_eq!(t.token_decimals(), 12);
        }
    }
}
