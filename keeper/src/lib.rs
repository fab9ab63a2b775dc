//! # lode-keeper
//!
//! The off-chain half of Lode: chain backends behind one [`chain::Chain`] trait,
//! the keeper's duties, and the `lode` binary's commands.
//!
//! Start at [`cmd::dev`], which builds the contracts, starts the embedded chain,
//! deploys the suite and follows the blocks.

pub mod chain;
pub mod cmd;
pub mod deployer;
pub mod events;
pub mod health;
pub mod keys;
pub mod metrics;
pub mod mining;
pub mod shutdown;
pub mod wiring;
