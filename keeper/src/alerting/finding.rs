//! What an alert says: which rule fired, how bad it is, what it is about,
//! and the key that makes one incident one alert.

use std::fmt;

use lode_alerts::{AlertKind, Severity};

use crate::chain::AccountId;

/// How bad. Warning and above also go on chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// For the record.
    Info,
    /// Someone should look.
    Warning,
    /// Act now; on a guarded contract it counts toward the circuit breaker.
    Critical,
}

impl Level {
    /// Its name in messages and webhooks.
    pub fn name(self) -> &'static str {
        match self {
            Level::Info => "info",
            Level::Warning => "warning",
            Level::Critical => "critical",
        }
    }

    /// The alerts contract's severity for it.
    pub fn severity(self) -> Severity {
        match self {
            Level::Info => Severity::Info,
            Level::Warning => Severity::Medium,
            Level::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rules an alert can come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A LODE transfer above the configured limit.
    LargeTransfer,
    /// A settlement above the configured limit.
    LargeSettlement,
    /// Too many bad signatures at the relayer within a window.
    BadSignatures,
    /// No endpoint of the node answers.
    NodeDown,
    /// The node's best block is far ahead of its finalized one, or old.
    NodeLagging,
    /// Blocks came further apart than allowed.
    BlockTime,
    /// A reorg deeper than allowed.
    DeepReorg,
    /// The miner's hashrate fell to zero (or came back).
    Hashrate,
    /// The keeper's balance is below what fees need.
    LowBalance,
    /// The splitter is paused.
    SplitterPaused,
    /// The ledger and the chain disagree.
    ReconcileMismatch,
    /// The keeper's key was used (unlocked) or exported.
    KeyUsed,
    /// A duty could not do its work (a payee given up, a device misbehaving).
    Duty,
}

impl Rule {
    /// Its name in messages, webhooks and dedup keys.
    pub fn name(self) -> &'static str {
        match self {
            Rule::LargeTransfer => "large-transfer",
            Rule::LargeSettlement => "large-settlement",
            Rule::BadSignatures => "bad-signatures",
            Rule::NodeDown => "node-down",
            Rule::NodeLagging => "node-lagging",
            Rule::BlockTime => "block-time",
            Rule::DeepReorg => "deep-reorg",
            Rule::Hashrate => "hashrate",
            Rule::LowBalance => "low-balance",
            Rule::SplitterPaused => "splitter-paused",
            Rule::ReconcileMismatch => "reconcile-mismatch",
            Rule::KeyUsed => "key-used",
            Rule::Duty => "duty",
        }
    }

    /// The Forta-style kind the alerts contract records.
    pub fn kind(self) -> AlertKind {
        match self {
            Rule::LargeTransfer | Rule::LargeSettlement | Rule::BadSignatures => AlertKind::Suspicious,
            Rule::ReconcileMismatch => AlertKind::Exploit,
            Rule::KeyUsed => AlertKind::Info,
            Rule::NodeDown
            | Rule::NodeLagging
            | Rule::BlockTime
            | Rule::DeepReorg
            | Rule::Hashrate
            | Rule::LowBalance
            | Rule::SplitterPaused
            | Rule::Duty => AlertKind::Degraded,
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One alert, before dedup and sinks.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Which rule.
    pub rule: Rule,
    /// How bad.
    pub level: Level,
    /// What it is about, for the alerts contract (a guarded subject's
    /// Critical alerts count toward its circuit breaker).
    pub subject: Option<AccountId>,
    /// What makes two findings the same incident, within the rule
    /// (`ws://node:9944`, a payee's address); empty: the rule itself.
    pub key: String,
    /// One line for people.
    pub summary: String,
    /// Structured details (amounts as strings).
    pub details: serde_json::Value,
}

impl Finding {
    /// A finding with no subject, key or details.
    pub fn new(rule: Rule, level: Level, summary: impl Into<String>) -> Self {
        Finding { rule, level, subject: None, key: String::new(), summary: summary.into(), details: serde_json::Value::Null }
    }

    /// The same, about `subject`.
    pub fn about(mut self, subject: AccountId) -> Self {
        self.subject = Some(subject);
        self
    }

    /// The same, keyed by `key` within its rule.
    pub fn keyed(mut self, key: impl Into<String>) -> Self {
        self.key = key.into();
        self
    }

    /// The same, with `details`.
    pub fn with(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }

    /// The incident it belongs to: rule and key.
    pub fn incident(&self) -> String {
        if self.key.is_empty() {
            self.rule.name().to_owned()
        } else {
            format!("{}:{}", self.rule.name(), self.key)
        }
    }
}
