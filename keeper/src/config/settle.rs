//! `[settle]`: batched settlement of what the splitter owes its payees.

use std::time::Duration;

use serde::Deserialize;

use super::bounded::Bounded;
use super::error::ConfigError;
use super::resolve::Resolver;

/// Settlement settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettleConfig {
    /// Whether this keeper settles at all.
    pub enabled: bool,
    /// A settlement round runs at least this often, even with no new funds.
    pub interval: Duration,
    /// How long a keeper's claim on a batch lasts without renewal; after it,
    /// another keeper sharing the store takes the batch over.
    pub lease: Duration,
    /// Failed transfers in a row before a payee is left out and an alert raised.
    pub max_failures: u32,
    /// Blocks an extrinsic may wait for inclusion before it is sent again
    /// with a higher tip.
    pub stuck_blocks: u64,
    /// How much each resend adds to the tip, in the chain's smallest unit.
    pub tip_step: u128,
    /// The highest tip offered.
    pub tip_ceiling: u128,
}

/// `[settle]` as written.
#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawSettle {
    enabled: bool,
    interval_secs: Bounded<1, 86_400>,
    lease_secs: Bounded<2, 3_600>,
    max_failures: Bounded<1, 1_000>,
    stuck_blocks: Bounded<1, 10_000>,
    tip_step: u64,
    tip_ceiling: u64,
}

impl Default for RawSettle {
    fn default() -> Self {
        RawSettle {
            enabled: true,
            interval_secs: Bounded(30),
            lease_secs: Bounded(60),
            max_failures: Bounded(3),
            stuck_blocks: Bounded(5),
            tip_step: 1_000_000_000,
            tip_ceiling: 100_000_000_000,
        }
    }
}

impl RawSettle {
    pub(crate) fn validate(self, r: &Resolver<'_>) -> Result<SettleConfig, ConfigError> {
        if self.tip_step > self.tip_ceiling {
            return Err(r.error(
                "settle.tip_step",
                "settle.tip_step".to_owned(),
                format!("{} is above settle.tip_ceiling ({}); make the step at most the ceiling", self.tip_step, self.tip_ceiling),
            ));
        }
        Ok(SettleConfig {
            enabled: self.enabled,
            interval: Duration::from_secs(self.interval_secs.0),
            lease: Duration::from_secs(self.lease_secs.0),
            max_failures: u32::try_from(self.max_failures.0).unwrap_or(u32::MAX),
            stuck_blocks: self.stuck_blocks.0,
            tip_step: u128::from(self.tip_step),
            tip_ceiling: u128::from(self.tip_ceiling),
        })
    }
}

impl Default for SettleConfig {
    fn default() -> Self {
        SettleConfig {
            enabled: true,
            interval: Duration::from_secs(30),
            lease: Duration::from_secs(60),
            max_failures: 3,
            stuck_blocks: 5,
            tip_step: 1_000_000_000,
            tip_ceiling: 100_000_000_000,
        }
    }
}
