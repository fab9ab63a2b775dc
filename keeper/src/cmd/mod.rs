//! The `lode` binary's subcommands, one file each.

pub mod dev;
pub mod mine;
