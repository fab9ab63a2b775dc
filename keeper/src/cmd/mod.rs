//! The `lode` binary's subcommands, one file each.

pub mod audit;
pub mod config;
pub mod deploy;
pub mod dev;
pub mod keys;
pub mod launch;
pub mod ledger;
pub mod mine;
pub mod payees;
pub mod payout;
pub mod run;
pub mod status;
pub mod suite;
pub mod verify;
