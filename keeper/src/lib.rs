//! # lode-keeper
//!
//! The off-chain half of Lode. The layout is the architecture:
//!
//! * [`runtime`]: the [`runtime::Duty`] trait, the [`runtime::Context`] every
//!   duty gets, the supervisor, signals and shutdown;
//! * [`chain`]: the chain boundary and its backends;
//! * [`watcher`]: the only subscriber to blocks, publishing typed notifications;
//! * [`contracts`]: typed clients of the deployed suite;
//! * [`duties`]: the work (mining, console output; settlement and alerting come next);
//! * [`store`]: the SQL store (SQLite or PostgreSQL): cursor, and later the ledger;
//! * [`config`]: the TOML config with `LODE_` environment overrides, validated once at start;
//! * [`alerting`], [`http`], [`keys`]: alerts, the HTTP server, keys and addresses;
//! * [`cmd`]: one file per `lode` subcommand, which assembles the above.
//!
//! `docs/keeper.md` tells the whole story.

pub mod alerting;
pub mod audit;
pub mod chain;
pub mod cmd;
pub mod config;
pub mod contracts;
pub mod duties;
pub mod http;
pub mod keys;
pub mod payout;
pub mod relayer;
pub mod runtime;
pub mod store;
pub mod watcher;
