//! Types shared by the Lode contracts (WASM, `no_std`), the deployer and the keeper.
//!
//! Only plain data and pure functions live here, with no chain or ink! dependency
//! (SCALE encoding only), so every side of the system agrees on one definition.
#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

pub mod account;
pub mod eip712;
pub mod math;
pub mod pow;
pub mod psp22;
pub mod units;

pub use account::{AccountId, ParseAccountError};
pub use units::{DECIMALS, LODE};
