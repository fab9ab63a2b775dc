//! # LODE token
//!
//! ## Overview
//! LODE is a PSP22 token. It speaks the standard `PSP22` and `PSP22Metadata`
//! traits with their standard selectors (`blake2b("PSP22::transfer")[..4]` and so
//! on), so wallets and dapps that know PSP22 work with it unchanged.
//!
//! ## Invariant
//! `total_supply == Σ balances`. Every path that moves tokens goes through
//! [`Token::move_tokens`] or [`Token::mint_to`], which keep it.
//!
//! ## Roles and upgrades
//! The `admin` holds the governor's role: it alone may `upgrade(code_hash)` (which
//! calls `set_code_hash`) and hand the role over with `set_admin`. Until the
//! governor contract exists, the admin is the deployer; deployment then hands the
//! role to the governor. Storage uses `ManualKey` for every `Mapping`, and fields
//! are only ever appended, so an upgrade keeps all state.
//!
//! ## Errors
//! Every message returns a typed [`PSP22Error`] or [`Error`]; user input never
//! panics, and all arithmetic is checked.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

pub use self::psp22_error::PSP22Error;
pub use self::token::{Error, Token};

/// Kept apart so one lint allowance covers only derive output: for enum variants
/// that carry data, parity-scale-codec's derive emits `index as u8` with the
/// variant's span, which `contract-build`'s mandatory
/// `-D clippy::cast_possible_truncation` reports as our code. Indices here are 0..=5.
#[allow(clippy::cast_possible_truncation)]
mod psp22_error {
    use ink::prelude::string::String;

    /// The standard PSP22 error type (same variants and order as the PSP22 standard,
    /// so encodings match other PSP22 tokens).
    #[derive(Debug, PartialEq, Eq, Clone)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum PSP22Error {
        /// Custom error type for implementation-based errors.
        Custom(String),
        /// Returned when an account does not have enough tokens to complete the operation.
        InsufficientBalance,
        /// Returned if there is not enough allowance to complete the operation.
        InsufficientAllowance,
        /// Returned if recipient's address is zero.
        ZeroRecipientAddress,
        /// Returned if sender's address is zero.
        ZeroSenderAddress,
        /// Returned if a safe transfer check failed.
        SafeTransferCheckFailed(String),
    }
}

#[ink::contract]
mod token {
    use ink::prelude::{string::String, vec::Vec};
    use ink::storage::{traits::ManualKey, Mapping};

    use super::PSP22Error;

    /// Version of this contract's code, bumped on every behavioural change so that
    /// dapps and the governor can tell which code a contract runs after an upgrade.
    pub const CODE_VERSION: u32 = 1;

    /// Errors of the token's own (non-PSP22) messages.
    #[derive(Debug, PartialEq, Eq, Clone, Copy)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum Error {
        /// The caller is not the admin (the governor's role).
        NotAdmin,
        /// The zero account cannot hold the admin role.
        ZeroAdmin,
        /// `set_code_hash` failed: no code with that hash has been uploaded.
        UnknownCodeHash,
        /// The genesis allocation exceeds the supply cap.
        GenesisExceedsCap,
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

    /// The contract's code was replaced through `upgrade`.
    #[ink(event)]
    pub struct Upgraded {
        /// Code hash before the upgrade.
        pub old: Hash,
        /// Code hash after the upgrade.
        pub new: Hash,
    }

    /// Token state. Fields are append-only across upgrades.
    #[ink(storage)]
    pub struct Token {
        /// Holder of the governor role (see crate docs).
        admin: AccountId,
        /// Sum of all balances.
        total_supply: u128,
        /// Balance per account; absent means zero.
        balances: Mapping<AccountId, u128, ManualKey<0x4c4f_0001>>,
        /// Allowance per (owner, spender); absent means zero.
        allowances: Mapping<(AccountId, AccountId), u128, ManualKey<0x4c4f_0002>>,
        /// Hard cap on `total_supply`.
        supply_cap: u128,
    }

    /// Token name reported by `PSP22Metadata`.
    const NAME: &str = "Lode";
    /// Token symbol reported by `PSP22Metadata`.
    const SYMBOL: &str = "LODE";
    /// Display decimals, as on most Substrate chains.
    const DECIMALS: u8 = 12;

    impl Token {
        /// Creates the token with `genesis_supply` minted to `treasury` (the DAO
        /// treasury). The caller becomes admin until it hands the role over.
        #[ink(constructor)]
        pub fn new(treasury: AccountId, genesis_supply: u128, supply_cap: u128) -> Result<Self, Error> {
            if genesis_supply > supply_cap {
                return Err(Error::GenesisExceedsCap);
            }
            let mut token = Self {
                admin: Self::env().caller(),
                total_supply: 0,
                balances: Mapping::default(),
                allowances: Mapping::default(),
                supply_cap,
            };
            token.mint_to(treasury, genesis_supply).map_err(|_| Error::GenesisExceedsCap)?;
            Ok(token)
        }

        /// The account holding the governor role.
        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.admin
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
            self.ensure_admin()?;
            if new_admin == AccountId::from([0u8; 32]) {
                return Err(Error::ZeroAdmin);
            }
            let old = core::mem::replace(&mut self.admin, new_admin);
            self.env().emit_event(AdminChanged { old, new: new_admin });
            Ok(())
        }

        /// Replaces this contract's code, keeping its storage. Admin only.
        #[ink(message)]
        pub fn upgrade(&mut self, code_hash: Hash) -> Result<(), Error> {
            self.ensure_admin()?;
            let old = self.env().own_code_hash().map_err(|_| Error::UnknownCodeHash)?;
            self.env().set_code_hash(&code_hash).map_err(|_| Error::UnknownCodeHash)?;
            self.env().emit_event(Upgraded { old, new: code_hash });
            Ok(())
        }

        fn ensure_admin(&self) -> Result<(), Error> {
            if self.env().caller() != self.admin {
                return Err(Error::NotAdmin);
            }
            Ok(())
        }

        /// The one place that debits and credits balances.
        fn move_tokens(&mut self, from: AccountId, to: AccountId, value: u128) -> Result<(), PSP22Error> {
            if from == to || value == 0 {
                // A no-op, as in the PSP22 reference implementation: no event.
                return Ok(());
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
                .total_supply
                .checked_add(value)
                .filter(|s| *s <= self.supply_cap)
                .ok_or(PSP22Error::Custom(String::from("supply cap reached")))?;
            let balance = self.balance_of_inner(to).checked_add(value).ok_or(PSP22Error::Custom(String::from("balance overflow")))?;
            self.total_supply = supply;
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
            self.total_supply
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

        fn token_with_treasury(supply: u128) -> Token {
            let a = accounts();
            set_caller(a.alice);
            Token::new(a.bob, supply, 1_000_000).expect("valid genesis")
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
            assert_eq!(Token::new(a.bob, 2, 1).err(), Some(Error::GenesisExceedsCap));
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
            assert_eq!(t.set_admin(AccountId::from([0u8; 32])), Err(Error::ZeroAdmin));
            assert_eq!(t.set_admin(a.bob), Ok(()));
            assert_eq!(t.admin(), a.bob);
        }

        #[ink::test]
        fn metadata_is_standard() {
            let t = token_with_treasury(0);
            assert_eq!(t.token_symbol().as_deref(), Some("LODE"));
            assert_eq!(t.token_decimals(), 12);
        }
    }
}
