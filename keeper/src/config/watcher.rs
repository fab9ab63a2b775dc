//! `[watcher]`: when a block's events count as done.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::watcher::Confirmation;

/// The deepest confirmation depth accepted: beyond it, finality is the better rule.
pub const MAX_DEPTH: u32 = 1000;

/// The watcher's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatcherConfig {
    /// When a block counts as confirmed: at finality, or under a number of blocks.
    pub confirmations: Confirmation,
}

/// `[watcher]` as written.
#[derive(Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct RawWatcher {
    confirmations: RawConfirmation,
}

impl Default for RawWatcher {
    fn default() -> Self {
        RawWatcher { confirmations: RawConfirmation(Confirmation::Finality) }
    }
}

impl RawWatcher {
    pub(crate) fn validate(self) -> WatcherConfig {
        WatcherConfig { confirmations: self.confirmations.0 }
    }
}

/// `"finality"` or a depth.
#[derive(Debug)]
struct RawConfirmation(Confirmation);

impl<'de> Deserialize<'de> for RawConfirmation {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ConfirmationVisitor)
    }
}

struct ConfirmationVisitor;

fn accepted() -> String {
    format!("use \"finality\" or a block depth from 0 to {MAX_DEPTH}")
}

impl Visitor<'_> for ConfirmationVisitor {
    type Value = RawConfirmation;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"finality\" or a block depth from 0 to {MAX_DEPTH}")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<RawConfirmation, E> {
        match text {
            "finality" => Ok(RawConfirmation(Confirmation::Finality)),
            _ => Err(E::custom(format!("\"{}\" is not a confirmation rule; {}", text.escape_debug(), accepted()))),
        }
    }

    fn visit_u64<E: de::Error>(self, depth: u64) -> Result<RawConfirmation, E> {
        match u32::try_from(depth) {
            Ok(depth) if depth <= MAX_DEPTH => Ok(RawConfirmation(Confirmation::Depth(depth))),
            _ => Err(E::custom(format!("{depth} is out of range; {}", accepted()))),
        }
    }

    fn visit_i64<E: de::Error>(self, depth: i64) -> Result<RawConfirmation, E> {
        match u64::try_from(depth) {
            Ok(depth) => self.visit_u64(depth),
            Err(_) => Err(E::custom(format!("{depth} is out of range; {}", accepted()))),
        }
    }
}
