//! The hook duties raise findings into; the alert engine takes them from
//! here through its rules' dedup and cooldown to the sinks.

use tokio::sync::broadcast;

use super::Finding;

/// The hook: cloneable, and raising with no subscriber is not an error.
#[derive(Debug, Clone)]
pub struct AlertHook {
    tx: broadcast::Sender<Finding>,
}

impl Default for AlertHook {
    fn default() -> Self {
        AlertHook { tx: broadcast::channel(256).0 }
    }
}

impl AlertHook {
    /// Findings raised from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Finding> {
        self.tx.subscribe()
    }

    /// Raises `finding` to every subscriber.
    pub fn raise(&self, finding: Finding) {
        let _ = self.tx.send(finding);
    }
}
