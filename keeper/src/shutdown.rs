//! Graceful shutdown, passed to every long-running task.

use tokio::sync::watch;

/// Fires once; every clone sees it. Tasks `select!` on [`Shutdown::wait`] next to
/// their work and return when it completes.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
}

/// The side that triggers shutdown.
#[derive(Debug)]
pub struct ShutdownTrigger {
    tx: watch::Sender<bool>,
}

/// A trigger and the first listener.
pub fn channel() -> (ShutdownTrigger, Shutdown) {
    let (tx, rx) = watch::channel(false);
    (ShutdownTrigger { tx }, Shutdown { rx })
}

impl ShutdownTrigger {
    /// Tells every listener to stop.
    pub fn fire(&self) {
        // Cannot fail while we hold a receiver-independent sender: send_replace never errors.
        self.tx.send_replace(true);
    }
}

impl Shutdown {
    /// Completes once shutdown was triggered (or the trigger was dropped, which
    /// means the owner is gone and nobody could ever trigger it).
    pub async fn wait(&mut self) {
        let _ = self.rx.wait_for(|stop| *stop).await;
    }

    /// Whether shutdown was triggered.
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_trigger() {
        let (trigger, a) = channel();
        let mut b = a.clone();
        assert!(!a.is_triggered());
        trigger.fire();
        b.wait().await;
        assert!(a.is_triggered());
    }
}
