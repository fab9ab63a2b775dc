//! `[alerts]`: the alert rules' thresholds, the cooldown, and the sinks.

use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use super::bounded::Bounded;
use super::password::RawPassword;
use super::resolve::Resolver;
use super::text::{deserialize_as_text, TextValue};
use crate::keys::PasswordSource;

/// The alert engine's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertsConfig {
    /// One alert per incident per this long.
    pub cooldown: Duration,
    /// How often the node, the balance and the splitter are probed.
    pub probe_every: Duration,
    /// A LODE transfer above this is an alert (smallest units).
    pub large_transfer: Option<u128>,
    /// A settlement above this is an alert (smallest units).
    pub large_settlement: Option<u128>,
    /// The keeper's native balance below this is an alert.
    pub min_balance: Option<u128>,
    /// The best block this many blocks ahead of the finalized one is an alert.
    pub max_finality_lag: u64,
    /// The best block older than this (wall clock) is an alert.
    pub max_head_age: Option<Duration>,
    /// Two blocks further apart than this is an alert.
    pub max_block_gap: Option<Duration>,
    /// A reorg deeper than this many blocks is an alert.
    pub max_reorg_depth: usize,
    /// This many bad signatures at the relayer...
    pub bad_signatures: u32,
    /// ...within this window is an alert.
    pub bad_signature_window: Duration,
    /// Raise Warning and Critical alerts in the alerts contract.
    pub on_chain: bool,
    /// A webhook to post every alert to.
    pub webhook: Option<WebhookConfig>,
}

/// Where alerts are posted, and the secret they are signed with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookConfig {
    /// An http or https URL (a Slack-style incoming webhook works).
    pub url: String,
    /// Where the HMAC secret comes from (never the secret itself).
    pub secret: PasswordSource,
    /// Attempts after the first.
    pub retries: u32,
}

/// An amount in the smallest unit, written as a string of digits: most
/// amounts do not fit TOML's 64-bit integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Amount(u128);

impl FromStr for Amount {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        text.trim().replace('_', "").parse().map(Amount).map_err(|_| format!("{text:?} is not a whole amount in the smallest unit"))
    }
}

impl TextValue for Amount {
    const EXPECTING: &'static str = "an amount in the smallest unit, as a string of digits (\"1000000000000\")";
}

deserialize_as_text!(Amount);

/// `[alerts]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawAlerts {
    cooldown_secs: Bounded<1, 604_800>,
    probe_secs: Bounded<1, 3_600>,
    large_transfer: Option<Amount>,
    large_settlement: Option<Amount>,
    min_balance: Option<Amount>,
    max_finality_lag: Bounded<1, 100_000>,
    max_head_age_secs: Option<Bounded<1, 604_800>>,
    max_block_gap_secs: Option<Bounded<1, 604_800>>,
    max_reorg_depth: Bounded<1, 10_000>,
    bad_signatures: Bounded<1, 1_000_000>,
    bad_signature_window_secs: Bounded<1, 86_400>,
    on_chain: bool,
    webhook: Option<RawWebhook>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: String,
    secret: RawPassword,
    #[serde(default = "default_retries")]
    retries: Bounded<0, 20>,
}

fn default_retries() -> Bounded<0, 20> {
    Bounded(3)
}

impl Default for RawAlerts {
    fn default() -> Self {
        RawAlerts {
            cooldown_secs: Bounded(300),
            probe_secs: Bounded(15),
            large_transfer: None,
            large_settlement: None,
            min_balance: None,
            max_finality_lag: Bounded(20),
            max_head_age_secs: None,
            max_block_gap_secs: None,
            max_reorg_depth: Bounded(3),
            bad_signatures: Bounded(5),
            bad_signature_window_secs: Bounded(60),
            on_chain: true,
            webhook: None,
        }
    }
}

impl RawAlerts {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> AlertsConfig {
        let secs = |b: Option<Bounded<1, 604_800>>| b.map(|b| Duration::from_secs(b.0));
        AlertsConfig {
            cooldown: Duration::from_secs(self.cooldown_secs.0),
            probe_every: Duration::from_secs(self.probe_secs.0),
            large_transfer: self.large_transfer.map(|a| a.0),
            large_settlement: self.large_settlement.map(|a| a.0),
            min_balance: self.min_balance.map(|a| a.0),
            max_finality_lag: self.max_finality_lag.0,
            max_head_age: secs(self.max_head_age_secs),
            max_block_gap: secs(self.max_block_gap_secs),
            max_reorg_depth: usize::try_from(self.max_reorg_depth.0).unwrap_or(usize::MAX),
            bad_signatures: u32::try_from(self.bad_signatures.0).unwrap_or(u32::MAX),
            bad_signature_window: Duration::from_secs(self.bad_signature_window_secs.0),
            on_chain: self.on_chain,
            webhook: self.webhook.map(|w| WebhookConfig {
                url: w.url,
                secret: w.secret.validate(r),
                retries: u32::try_from(w.retries.0).unwrap_or(3),
            }),
        }
    }
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            cooldown: Duration::from_secs(300),
            probe_every: Duration::from_secs(15),
            large_transfer: None,
            large_settlement: None,
            min_balance: None,
            max_finality_lag: 20,
            max_head_age: None,
            max_block_gap: None,
            max_reorg_depth: 3,
            bad_signatures: 5,
            bad_signature_window: Duration::from_secs(60),
            on_chain: true,
            webhook: None,
        }
    }
}
