//! Test fixture, version 3: version 1 with one plain field appended to its
//! root storage struct. This is the upgrade hazard that
//! `docs/contracts/upgrades.md` forbids: ink! decodes the whole root before
//! every message, the stored root lacks the new field's bytes, so every
//! message traps, `upgrade` included, and no rollback is possible. The
//! end-to-end tests keep this fixture to show exactly that. Never deploy it.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
mod fixture {
    /// The code version this build answers.
    const VERSION: u32 = 3;
    /// What `bump` adds.
    const STEP: u32 = 1;

    /// Why a call was refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    #[ink::scale_derive(Encode, Decode, TypeInfo)]
    pub enum Error {
        /// Only the admin (the governor) may upgrade.
        NotAdmin,
        /// No code with that hash has been uploaded.
        UnknownCodeHash,
        /// The counter would overflow.
        Overflow,
    }

    /// Version 1's fields, then one more: the mistake.
    #[ink(storage)]
    pub struct Fixture {
        admin: AccountId,
        counter: u32,
        appended: u32,
    }

    impl Fixture {
        #[ink(constructor)]
        pub fn new(admin: AccountId) -> Self {
            Self { admin, counter: 0, appended: 0 }
        }

        /// Adds this version's step to the counter; returns the new value.
        #[ink(message)]
        pub fn bump(&mut self) -> Result<u32, Error> {
            self.counter = self.counter.checked_add(STEP).ok_or(Error::Overflow)?;
            self.appended = self.counter;
            Ok(self.counter)
        }

        #[ink(message)]
        pub fn counter(&self) -> u32 {
            self.counter
        }

        #[ink(message)]
        pub fn code_version(&self) -> u32 {
            VERSION
        }

        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.admin
        }

        #[ink(message)]
        pub fn upgrade(&mut self, code_hash: Hash) -> Result<(), Error> {
            lode_calls::upgrade_as_admin(&self.admin, &self.env().caller(), &code_hash).map(|_| ()).map_err(|e| match e {
                lode_calls::AdminError::UnknownCodeHash => Error::UnknownCodeHash,
                _ => Error::NotAdmin,
            })
        }
    }
}
