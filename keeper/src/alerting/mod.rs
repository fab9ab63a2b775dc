//! Keeper alerts: the hook duties raise into. The alert engine (rules, dedup,
//! on-chain `alerts.raise`, webhooks) subscribes to it.

mod hook;

pub use hook::{AlertHook, KeeperAlert};
