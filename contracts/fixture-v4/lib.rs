//! Test fixture, version 4: version 1 plus new state added the safe way, in
//! a `Lazy` cell under a fresh `ManualKey` (`docs/contracts/upgrades.md`). A
//! `Lazy` field encodes nothing in the root, so the root version 1 stored
//! still decodes; the new cell is absent until first written and reads as
//! its default. Rolling back to version 1 leaves the cell behind unread.
#![cfg_attr(not(feature = "std"), no_std, no_main)]

#[ink::contract]
mod fixture {
    use ink::storage::{traits::ManualKey, Lazy};

    /// The code version this build answers.
    const VERSION: u32 = 4;
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

    /// Version 1's fields unchanged, then a new cell with its own key.
    #[ink(storage)]
    pub struct Fixture {
        admin: AccountId,
        counter: u32,
        /// New in version 4: how many times `bump` ran under this version.
        bumps_since_v4: Lazy<u32, ManualKey<0x4c4f_f004>>,
    }

    impl Fixture {
        #[ink(constructor)]
        pub fn new(admin: AccountId) -> Self {
            Self { admin, counter: 0, bumps_since_v4: Lazy::new() }
        }

        /// Adds this version's step to the counter and counts the bump in the
        /// new cell; returns the new counter.
        #[ink(message)]
        pub fn bump(&mut self) -> Result<u32, Error> {
            self.counter = self.counter.checked_add(STEP).ok_or(Error::Overflow)?;
            let bumps = self.bumps_since_v4().checked_add(1).ok_or(Error::Overflow)?;
            self.bumps_since_v4.set(&bumps);
            Ok(self.counter)
        }

        /// Version 4's new state: absent (0) until the first bump under it.
        #[ink(message)]
        pub fn bumps_since_v4(&self) -> u32 {
            self.bumps_since_v4.get().unwrap_or(0)
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
