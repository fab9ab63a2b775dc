//! The alerts contract's public types. Kept apart so one lint allowance covers
//! only derive output: for enum variants that carry data, parity-scale-codec's
//! derive emits `index as u8`, which `contract-build`'s mandatory
//! `-D clippy::cast_possible_truncation` reports as our code. Every index here
//! is below 32.
#![allow(clippy::cast_possible_truncation)]

use ink::primitives::AccountId;

/// How bad it is: Forta's severities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    /// Counts toward the circuit breaker when the subject is guarded.
    Critical,
}

/// What kind of finding: Forta's finding types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum AlertKind {
    Exploit,
    Suspicious,
    Degraded,
    Info,
    Scam,
}

/// Rate limit and circuit breaker settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct AlertsParams {
    /// Alerts one keeper may raise per window; at least 1.
    pub max_per_window: u32,
    /// Window length in blocks, for the rate limit and the breaker; at least 1.
    pub window_blocks: u32,
    /// Distinct keepers whose Critical alerts on one guarded subject within a
    /// window pause it; at least 1.
    pub pause_quorum: u32,
}

impl AlertsParams {
    /// Whether every field is in range.
    pub fn is_valid(&self) -> bool {
        self.max_per_window > 0 && self.window_blocks > 0 && self.pause_quorum > 0 && self.pause_quorum <= crate::MAX_PAUSE_QUORUM
    }
}

/// One raised alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Alert {
    /// Sequential id.
    pub id: u64,
    /// The bonded keeper that raised it.
    pub keeper: AccountId,
    pub kind: AlertKind,
    pub severity: Severity,
    /// The contract or account it is about, if any.
    pub subject: Option<AccountId>,
    /// Hash of the off-chain details (the keeper's report).
    pub details_hash: [u8; 32],
    /// Block it was raised in.
    pub block: u32,
    /// Marked resolved by the governor.
    pub resolved: bool,
}

/// The latest anchored stretch of a keeper's audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub struct Anchor {
    /// First log entry covered.
    pub from_seq: u64,
    /// Last log entry covered; the next anchor starts right after it.
    pub to_seq: u64,
    /// Hash of entry `to_seq`, which chains every entry before it.
    pub head_hash: [u8; 32],
    /// Block it was anchored in.
    pub block: u32,
}

/// Errors of the alerts contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
pub enum Error {
    /// Only bonded keepers (staking's `is_keeper`) may raise alerts or anchor.
    NotKeeper,
    /// This keeper raised `max_per_window` alerts in the current window.
    RateLimited,
    /// Only the governor may do this.
    NotAdmin,
    /// No alert with that id.
    UnknownAlert,
    /// The alert was already resolved.
    AlreadyResolved,
    /// Parameters out of range (see `AlertsParams`).
    InvalidParams,
    /// `from_seq` > `to_seq`.
    InvalidRange,
    /// The anchor does not continue the previous one: it must start at `expected`.
    AnchorGap { expected: u64 },
    /// Staking could not be read.
    StakingUnreachable,
    /// `set_code_hash` failed: no code with that hash has been uploaded.
    UnknownCodeHash,
    /// The zero account is not allowed here.
    ZeroAccount,
    /// A counter would overflow.
    Overflow,
}

lode_calls::admin_errors!(Error);

/// An alert as stored: versioned, so a later code version can add fields in
/// a new variant and still read every alert raised before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum StoredAlert {
    /// Code version 1's layout.
    V1(Alert),
}

impl StoredAlert {
    /// The alert in this code's layout.
    pub fn into_current(self) -> Alert {
        match self {
            StoredAlert::V1(a) => a,
        }
    }
}

/// An audit anchor as stored: versioned like [`StoredAlert`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[ink::scale_derive(Encode, Decode, TypeInfo)]
#[cfg_attr(feature = "std", derive(ink::storage::traits::StorageLayout))]
pub enum StoredAnchor {
    /// Code version 1's layout.
    V1(Anchor),
}

impl StoredAnchor {
    /// The anchor in this code's layout.
    pub fn into_current(self) -> Anchor {
        match self {
            StoredAnchor::V1(a) => a,
        }
    }
}
