//! # Alerts
//!
//! ## Overview
//! Bonded keepers raise alerts on-chain, where dapps and other keepers see them,
//! with Forta's vocabulary: a kind (Exploit, Suspicious, Degraded, Info, Scam)
//! and a severity (Info to Critical). Each keeper may raise `max_per_window`
//! alerts per window of `window_blocks`.
//!
//! ## Circuit breaker
//! When `pause_quorum` distinct keepers raise Critical alerts on the same
//! subject within one window, and the governor lists that subject as guarded,
//! this contract calls the subject's `pause()` (it is the subject's guardian)
//! and emits `Tripped`. A keeper counts once per trip, and only while it is
//! still a bonded keeper: every counted keeper's bond is checked again when
//! deciding to trip, so a bond that was unbonded and moved on cannot be
//! counted twice. Only governance, or the subject's own unpause path, lifts
//! the pause.
//!
//! ## Audit anchors
//! `anchor(from_seq, to_seq, head_hash)` records the head of a stretch of a
//! keeper's hash-chained audit log; each anchor continues the last.
//!
//! ## Storage
//! The root holds only the staking address, fixed at deployment; every
//! mutable part has its own `Lazy` or `Mapping` cell under a `ManualKey`, and
//! alerts and anchors are stored versioned (`docs/contracts/upgrades.md`).
#![cfg_attr(not(feature = "std"), no_std, no_main)]

mod types;

pub use types::{Alert, AlertKind, AlertsParams, Anchor, Error, Severity, StoredAlert, StoredAnchor};

/// Highest `pause_quorum`: bounds the per-subject list the breaker keeps.
pub const MAX_PAUSE_QUORUM: u32 = 16;
/// Most alerts one page returns.
pub const MAX_PAGE: u32 = 50;

#[ink::contract]
mod alerts {
    use ink::prelude::vec::Vec;
    use ink::storage::{traits::ManualKey, Lazy, Mapping};

    use super::*;

    /// Keepers with a Critical alert on a subject, each with the block of its latest.
    type Watchers = Vec<(AccountId, u32)>;

    /// Version of this contract's code, bumped on every behavioural change.
    pub const CODE_VERSION: u32 = 2;

    #[ink(event)]
    pub struct AlertRaised {
        #[ink(topic)]
        pub id: u64,
        #[ink(topic)]
        pub keeper: AccountId,
        #[ink(topic)]
        pub subject: Option<AccountId>,
        pub kind: AlertKind,
        pub severity: Severity,
        pub details_hash: [u8; 32],
    }

    #[ink(event)]
    pub struct Tripped {
        #[ink(topic)]
        pub subject: AccountId,
        /// The keepers whose Critical alerts tripped it.
        pub keepers: Vec<AccountId>,
        /// The alert that completed the quorum.
        pub alert_id: u64,
    }

    /// The quorum was reached but the subject's `pause()` failed (this
    /// contract is not its guardian?); the count is kept and the next
    /// Critical alert tries again.
    #[ink(event)]
    pub struct TripFailed {
        #[ink(topic)]
        pub subject: AccountId,
        pub alert_id: u64,
    }

    #[ink(event)]
    pub struct AlertResolved {
        #[ink(topic)]
        pub id: u64,
    }

    #[ink(event)]
    pub struct Anchored {
        #[ink(topic)]
        pub keeper: AccountId,
        pub from_seq: u64,
        pub to_seq: u64,
        pub head_hash: [u8; 32],
    }

    #[ink(event)]
    pub struct ParamsChanged {
        pub params: AlertsParams,
    }

    #[ink(event)]
    pub struct AdminChanged {
        pub old: AccountId,
        pub new: AccountId,
    }

    #[ink(event)]
    pub struct Upgraded {
        pub old: Hash,
        pub new: Hash,
    }

    /// Alerts state: the root holds what is fixed at deployment; each mutable
    /// part has its own cell (see the crate docs, "Storage").
    #[ink(storage)]
    pub struct Alerts {
        staking: AccountId,
        alerts: Mapping<u64, StoredAlert, ManualKey<0x4c4f_0401>>,
        /// Per keeper: `(window index, alerts raised in it)`.
        rate: Mapping<AccountId, (u32, u32), ManualKey<0x4c4f_0402>>,
        /// Per guarded subject: keepers with a Critical alert on it, and when.
        watch: Mapping<AccountId, Watchers, ManualKey<0x4c4f_0403>>,
        anchors: Mapping<AccountId, StoredAnchor, ManualKey<0x4c4f_0404>>,
        /// The governor: resolves alerts, sets parameters, upgrades; and keeps
        /// the registry of guarded contracts.
        admin: Lazy<AccountId, ManualKey<0x4c4f_0405>>,
        params: Lazy<AlertsParams, ManualKey<0x4c4f_0406>>,
        alert_count: Lazy<u64, ManualKey<0x4c4f_0407>>,
    }

    impl Alerts {
        /// Alerts gated by `staking`'s keepers and administered by `governor`.
        #[ink(constructor)]
        pub fn new(staking: AccountId, governor: AccountId, params: AlertsParams) -> Result<Self, Error> {
            lode_calls::ensure_nonzero(&staking)?;
            lode_calls::ensure_nonzero(&governor)?;
            if !params.is_valid() {
                return Err(Error::InvalidParams);
            }
            let mut me = Self {
                staking,
                alerts: Mapping::new(),
                rate: Mapping::new(),
                watch: Mapping::new(),
                anchors: Mapping::new(),
                admin: Lazy::new(),
                params: Lazy::new(),
                alert_count: Lazy::new(),
            };
            me.admin.set(&governor);
            me.params.set(&params);
            me.alert_count.set(&0);
            Ok(me)
        }

        /// Raises an alert; returns its id. Bonded keepers only, rate-limited.
        /// A Critical alert on a guarded subject counts toward its circuit breaker.
        #[ink(message)]
        pub fn raise(
            &mut self,
            kind: AlertKind,
            severity: Severity,
            subject: Option<AccountId>,
            details_hash: [u8; 32],
        ) -> Result<u64, Error> {
            let keeper = self.env().caller();
            self.ensure_keeper(keeper)?;
            let now = self.env().block_number();
            let params = self.params();
            let window = now.checked_div(params.window_blocks).ok_or(Error::InvalidParams)?;
            let raised = match self.rate.get(keeper) {
                Some((w, n)) if w == window => n,
                _ => 0,
            };
            if raised >= params.max_per_window {
                return Err(Error::RateLimited);
            }
            self.rate.insert(keeper, &(window, raised.checked_add(1).ok_or(Error::Overflow)?));
            let id = self.alert_count();
            self.alert_count.set(&id.checked_add(1).ok_or(Error::Overflow)?);
            let alert = Alert { id, keeper, kind, severity, subject, details_hash, block: now, resolved: false };
            self.alerts.insert(id, &StoredAlert::V1(alert));
            self.env().emit_event(AlertRaised { id, keeper, subject, kind, severity, details_hash });
            if let (Severity::Critical, Some(subject)) = (severity, subject) {
                // An unreachable registry reads as not guarded: the alert stands, nothing is paused.
                if lode_calls::is_guarded(self.admin(), subject).unwrap_or(false) {
                    self.count_critical(subject, keeper, id, now, &params);
                }
            }
            Ok(id)
        }

        /// Marks an alert resolved. Governor only.
        #[ink(message)]
        pub fn resolve(&mut self, id: u64) -> Result<(), Error> {
            self.ensure_admin()?;
            let mut alert = self.alert(id).ok_or(Error::UnknownAlert)?;
            if alert.resolved {
                return Err(Error::AlreadyResolved);
            }
            alert.resolved = true;
            self.alerts.insert(id, &StoredAlert::V1(alert));
            self.env().emit_event(AlertResolved { id });
            Ok(())
        }

        /// Anchors entries `from_seq..=to_seq` of the caller's audit log, whose
        /// last entry hashes to `head_hash`. Each anchor must start right after
        /// the previous one. Bonded keepers only.
        #[ink(message)]
        pub fn anchor(&mut self, from_seq: u64, to_seq: u64, head_hash: [u8; 32]) -> Result<(), Error> {
            let keeper = self.env().caller();
            self.ensure_keeper(keeper)?;
            if from_seq > to_seq {
                return Err(Error::InvalidRange);
            }
            if let Some(last) = self.anchor_of(keeper) {
                let expected = last.to_seq.checked_add(1).ok_or(Error::Overflow)?;
                if from_seq != expected {
                    return Err(Error::AnchorGap { expected });
                }
            }
            self.anchors.insert(keeper, &StoredAnchor::V1(Anchor { from_seq, to_seq, head_hash, block: self.env().block_number() }));
            self.env().emit_event(Anchored { keeper, from_seq, to_seq, head_hash });
            Ok(())
        }

        // ---- Reads ----

        #[ink(message)]
        pub fn alert(&self, id: u64) -> Option<Alert> {
            self.alerts.get(id).map(StoredAlert::into_current)
        }

        /// Up to `limit` (at most `MAX_PAGE`) alerts with ids below `before`
        /// (all, when `None`), newest first. Page on with the last id returned.
        #[ink(message)]
        pub fn recent(&self, before: Option<u64>, limit: u32) -> Vec<Alert> {
            let count = self.alert_count();
            let end = before.unwrap_or(count).min(count);
            let limit = u64::from(limit.min(MAX_PAGE));
            (end.saturating_sub(limit)..end).rev().filter_map(|id| self.alert(id)).collect()
        }

        /// Alerts raised so far (ids are `0..count`).
        #[ink(message)]
        pub fn alert_count(&self) -> u64 {
            self.alert_count.get().unwrap_or(0)
        }

        /// Keepers whose Critical alerts on `subject` count now, with their blocks.
        #[ink(message)]
        pub fn watch(&self, subject: AccountId) -> Watchers {
            let now = self.env().block_number();
            let params = self.params();
            self.watch.get(subject).unwrap_or_default().into_iter().filter(|(_, at)| in_window(&params, *at, now)).collect()
        }

        /// The latest anchor of `keeper`'s audit log.
        #[ink(message)]
        pub fn anchor_of(&self, keeper: AccountId) -> Option<Anchor> {
            self.anchors.get(keeper).map(StoredAnchor::into_current)
        }

        #[ink(message)]
        pub fn params(&self) -> AlertsParams {
            // Never absent (set at construction); the fallback trips nothing and
            // refuses every raise, which is the safe failure.
            self.params.get().unwrap_or(AlertsParams { max_per_window: 0, window_blocks: 1, pause_quorum: super::MAX_PAUSE_QUORUM })
        }

        #[ink(message)]
        pub fn staking(&self) -> AccountId {
            self.staking
        }

        /// The governor.
        #[ink(message)]
        pub fn admin(&self) -> AccountId {
            self.admin.get().unwrap_or(AccountId::from([0u8; 32]))
        }

        #[ink(message)]
        pub fn code_version(&self) -> u32 {
            CODE_VERSION
        }

        // ---- Governance ----

        #[ink(message)]
        pub fn set_params(&mut self, params: AlertsParams) -> Result<(), Error> {
            self.ensure_admin()?;
            if !params.is_valid() {
                return Err(Error::InvalidParams);
            }
            self.params.set(&params);
            self.env().emit_event(ParamsChanged { params });
            Ok(())
        }

        #[ink(message)]
        pub fn set_admin(&mut self, new_admin: AccountId) -> Result<(), Error> {
            let old = self.admin();
            lode_calls::check_hand_over(&old, &self.env().caller(), &new_admin)?;
            self.admin.set(&new_admin);
            self.env().emit_event(AdminChanged { old, new: new_admin });
            Ok(())
        }

        #[ink(message)]
        pub fn upgrade(&mut self, code_hash: Hash) -> Result<(), Error> {
            let old = lode_calls::upgrade_as_admin(&self.admin(), &self.env().caller(), &code_hash)?;
            self.env().emit_event(Upgraded { old, new: code_hash });
            Ok(())
        }

        // ---- Internals ----

        /// Adds `keeper` to `subject`'s watch (once) and trips the breaker at
        /// quorum. Every other counted keeper's bond is checked again first: one
        /// that has left (unbonded, jailed) no longer counts.
        fn count_critical(&mut self, subject: AccountId, keeper: AccountId, alert_id: u64, now: u32, params: &AlertsParams) {
            let mut list: Watchers = self
                .watch
                .get(subject)
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, at)| *k != keeper && in_window(params, *at, now))
                .collect();
            let quorum = usize::try_from(params.pause_quorum).unwrap_or(usize::MAX);
            if list.len().saturating_add(1) >= quorum {
                // An unreachable staking reads as not bonded: no trip on unverified counts.
                list.retain(|(k, _)| lode_calls::is_keeper(self.staking, *k).unwrap_or(false));
            }
            list.push((keeper, now));
            if list.len() >= quorum {
                if lode_calls::pause(subject).is_ok() {
                    self.watch.remove(subject);
                    let keepers = list.into_iter().map(|(k, _)| k).collect();
                    self.env().emit_event(Tripped { subject, keepers, alert_id });
                    return;
                }
                self.env().emit_event(TripFailed { subject, alert_id });
                // Keep the newest, so the list stays bounded while pausing fails.
                let max = usize::try_from(MAX_PAUSE_QUORUM).unwrap_or(usize::MAX);
                let excess = list.len().saturating_sub(max);
                list.drain(..excess);
            }
            self.watch.insert(subject, &list);
        }

        fn ensure_keeper(&self, who: AccountId) -> Result<(), Error> {
            match lode_calls::is_keeper(self.staking, who) {
                Ok(true) => Ok(()),
                Ok(false) => Err(Error::NotKeeper),
                Err(_) => Err(Error::StakingUnreachable),
            }
        }

        fn ensure_admin(&self) -> Result<(), Error> {
            Ok(lode_calls::ensure_admin(&self.admin(), &self.env().caller())?)
        }
    }

    /// Whether something at block `at` is inside the window ending at `now`.
    fn in_window(params: &AlertsParams, at: u32, now: u32) -> bool {
        now.saturating_sub(at) < params.window_blocks
    }
}
