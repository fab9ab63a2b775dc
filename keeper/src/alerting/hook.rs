//! Keeper health alerts: a hook that duties raise into and the alert engine
//! (logging now; on-chain `alerts.raise` and webhooks later) subscribes to.

use std::time::SystemTime;

use lode_alerts::{AlertKind, Severity};
use tokio::sync::broadcast;

/// Something wrong (or right again) with this keeper, in the alerts
/// contract's own kinds and severities so the engine can raise it as is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeeperAlert {
    /// Which duty noticed.
    pub source: &'static str,
    /// Forta finding type.
    pub kind: AlertKind,
    /// How bad.
    pub severity: Severity,
    /// For people.
    pub message: String,
    /// When it was noticed.
    pub at: SystemTime,
}

/// The hook: cloneable, and raising with no subscriber is not an error.
#[derive(Debug, Clone)]
pub struct AlertHook {
    tx: broadcast::Sender<KeeperAlert>,
}

impl Default for AlertHook {
    fn default() -> Self {
        AlertHook { tx: broadcast::channel(64).0 }
    }
}

impl AlertHook {
    /// Alerts raised from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<KeeperAlert> {
        self.tx.subscribe()
    }

    /// Raises an alert to every subscriber.
    pub fn raise(&self, source: &'static str, kind: AlertKind, severity: Severity, message: impl Into<String>) {
        let _ = self.tx.send(KeeperAlert { source, kind, severity, message: message.into(), at: SystemTime::now() });
    }
}
