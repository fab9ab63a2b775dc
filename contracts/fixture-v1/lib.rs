//! Test fixture, version 1: a counter whose `bump` adds 1. Versions 1 and 2
//! share one storage layout, so the end-to-end tests can upgrade one into the
//! other through governance and back, and see both the kept state and the
//! changed behaviour. Not part of the deployed suite.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
mod fixture {
    /// The code version this build answers.
    const VERSION: u32 = 1;
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

    /// Same fields, same order, in every version.
    #[ink(storage)]
    pub struct Fixture {
        admin: AccountId,
        counter: u32,
    }

    impl Fixture {
        #[ink(constructor)]
        pub fn new(admin: AccountId) -> Self {
            Self { admin, counter: 0 }
        }

        /// Adds this version's step to the counter; returns the new value.
        #[ink(message)]
        pub fn bump(&mut self) -> Result<u32, Error> {
            self.counter = self.counter.checked_add(STEP).ok_or(Error::Overflow)?;
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
