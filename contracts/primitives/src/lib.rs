//! Types shared by the Lode contracts (WASM, `no_std`), the deployer and the keeper.
//!
//! Only plain data lives here, with no chain or ink! dependency, so every side of
//! the system agrees on one definition.
#![cfg_attr(not(feature = "std"), no_std)]

pub mod account;
pub mod pow;

pub use account::{AccountId, ParseAccountError};
