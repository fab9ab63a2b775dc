//! The one shape of keeper work: a [`Duty`] runs until shutdown, with one
//! [`Context`] shared by all.

use std::error::Error as StdError;
use std::time::Duration;

use super::{Context, Shutdown};

/// A long-running piece of keeper work (mining, watching, settling, alerting).
///
/// `run` returns `Ok(())` when shutdown was requested and the duty reached a
/// safe point, or when its work is done. An error stops it; the supervisor
/// then restarts it by its [`RestartPolicy`], calling `run` again on the same
/// value, so state kept in `self` survives a restart.
#[async_trait::async_trait]
pub trait Duty: Send + 'static {
    /// Short stable name, for logs, metrics and `/status` (`watcher`, `miner`).
    fn name(&self) -> &'static str;

    /// What to do when `run` fails.
    fn policy(&self) -> RestartPolicy {
        RestartPolicy::default()
    }

    /// Does the work until `shutdown` fires.
    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError>;
}

/// What the supervisor does when a duty fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    /// Run it again after `backoff` (doubling each time, up to a minute), at
    /// most `max` times in a row; then stop the keeper.
    Restart {
        /// Restarts allowed before giving up.
        max: u32,
        /// Pause before the first restart.
        backoff: Duration,
    },
    /// Stop the whole keeper: this duty is essential.
    StopAll,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        RestartPolicy::Restart { max: 10, backoff: Duration::from_secs(1) }
    }
}

impl RestartPolicy {
    /// The pause before restart number `attempt` (1-based), or `None` when the
    /// policy gives up.
    pub fn delay(&self, attempt: u32) -> Option<Duration> {
        match *self {
            RestartPolicy::Restart { max, backoff } if attempt <= max => {
                let factor = 1u32.checked_shl(attempt.saturating_sub(1)).unwrap_or(u32::MAX);
                Some(backoff.saturating_mul(factor).min(Duration::from_secs(60)))
            }
            _ => None,
        }
    }
}

/// Why a duty stopped.
#[derive(Debug, thiserror::Error)]
#[error("{source}")]
pub struct DutyError {
    source: Box<dyn StdError + Send + Sync>,
    fatal: bool,
}

impl DutyError {
    /// A failure a restart may cure (a dropped connection, a busy node).
    pub fn transient(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        DutyError { source: source.into(), fatal: false }
    }

    /// A failure no restart can cure (bad configuration, a missing device):
    /// the supervisor stops the keeper whatever the policy.
    pub fn fatal(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        DutyError { source: source.into(), fatal: true }
    }

    /// Whether restarting cannot help.
    pub fn is_fatal(&self) -> bool {
        self.fatal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn restart_delays_double_up_to_a_minute_and_stop_at_the_limit() {
        let p = RestartPolicy::Restart { max: 8, backoff: Duration::from_secs(1) };
        assert_eq!(p.delay(1), Some(Duration::from_secs(1)));
        assert_eq!(p.delay(2), Some(Duration::from_secs(2)));
        assert_eq!(p.delay(4), Some(Duration::from_secs(8)));
        assert_eq!(p.delay(8), Some(Duration::from_secs(60)), "capped");
        assert_eq!(p.delay(9), None, "gave up");
        assert_eq!(RestartPolicy::StopAll.delay(1), None);
        let huge = RestartPolicy::Restart { max: u32::MAX, backoff: Duration::from_secs(1) };
        assert_eq!(huge.delay(200), Some(Duration::from_secs(60)), "no overflow");
    }
}
