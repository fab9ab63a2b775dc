//! Graceful shutdown that waits (mini-redis's pattern): a [`Stopper`] fires,
//! every [`Shutdown`] listener sees it, and [`Drain`] completes only when the
//! last listener is dropped, that is when every task holding one has reached a
//! safe point and returned.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

/// Fires shutdown. Cloneable: the signal handler, the supervisor and a duty
/// that decides the run is over (`lode dev --blocks`) each hold one.
#[derive(Debug, Clone)]
pub struct Stopper {
    tx: std::sync::Arc<watch::Sender<bool>>,
}

/// A listener, passed to every long-running task. Holding one keeps
/// [`Drain::wait`] waiting, so a task must drop it only once it has stopped.
#[derive(Debug, Clone)]
pub struct Shutdown {
    rx: watch::Receiver<bool>,
    _running: mpsc::Sender<()>,
}

/// Waits for every [`Shutdown`] to be dropped.
#[derive(Debug)]
pub struct Drain {
    rx: mpsc::Receiver<()>,
}

/// A stopper, the first listener, and the drain that waits for all listeners.
pub fn channel() -> (Stopper, Shutdown, Drain) {
    let (tx, rx) = watch::channel(false);
    let (running, done) = mpsc::channel(1);
    (Stopper { tx: std::sync::Arc::new(tx) }, Shutdown { rx, _running: running }, Drain { rx: done })
}

impl Stopper {
    /// Tells every listener to stop. Firing twice is harmless.
    pub fn fire(&self) {
        self.tx.send_replace(true);
    }

    /// Whether shutdown was fired.
    pub fn is_fired(&self) -> bool {
        *self.tx.borrow()
    }
}

impl Shutdown {
    /// Completes once shutdown was fired (or every stopper was dropped, which
    /// means nobody could ever fire it).
    pub async fn wait(&mut self) {
        let _ = self.rx.wait_for(|stop| *stop).await;
    }

    /// Whether shutdown was fired.
    pub fn is_triggered(&self) -> bool {
        *self.rx.borrow()
    }
}

impl Drain {
    /// Waits until every listener is dropped, at most `limit`. Returns whether
    /// everything stopped in time. The caller must have dropped its own
    /// listeners first.
    pub async fn wait(mut self, limit: Duration) -> bool {
        // No one ever sends: `recv` returns `None` once every sender (one per
        // listener) is gone.
        tokio::time::timeout(limit, self.rx.recv()).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn every_clone_sees_the_stop() {
        let (stopper, a, _drain) = channel();
        let mut b = a.clone();
        assert!(!a.is_triggered());
        stopper.clone().fire();
        b.wait().await;
        assert!(a.is_triggered() && stopper.is_fired());
    }

    #[tokio::test]
    async fn the_drain_waits_for_the_last_listener() {
        let (stopper, shutdown, drain) = channel();
        let mut held = shutdown.clone();
        drop(shutdown);
        let task = tokio::spawn(async move {
            held.wait().await;
            // A safe point takes a while to reach.
            tokio::time::sleep(Duration::from_millis(200)).await;
            drop(held);
        });
        stopper.fire();
        let started = std::time::Instant::now();
        assert!(drain.wait(Duration::from_secs(5)).await, "drained");
        assert!(started.elapsed() >= Duration::from_millis(150), "it waited for the task: {:?}", started.elapsed());
        task.await.unwrap();
    }

    #[tokio::test]
    async fn a_stuck_task_makes_the_drain_time_out() {
        let (stopper, shutdown, drain) = channel();
        stopper.fire();
        assert!(!drain.wait(Duration::from_millis(50)).await, "a listener is still held");
        drop(shutdown);
    }
}
