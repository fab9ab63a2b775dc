//! Runs duties as tasks, restarts them by policy, and drains them on shutdown.

use std::time::Duration;

use tokio::task::JoinSet;

use super::{Context, Drain, Duty, DutyBoard, DutyError, DutyState, Shutdown};

/// Runs a set of duties until shutdown or until one fails for good.
pub struct Supervisor {
    duties: Vec<Box<dyn Duty>>,
    board: DutyBoard,
    drain_limit: Duration,
}

/// A duty that failed for good, which stopped the keeper.
#[derive(Debug, thiserror::Error)]
#[error("duty `{duty}` failed: {error}")]
pub struct DutyFailed {
    /// Which duty.
    pub duty: &'static str,
    /// Its last error.
    pub error: DutyError,
}

impl Supervisor {
    /// An empty supervisor that reports duty states on `board`. On shutdown it
    /// waits at most `drain_limit` for duties to reach a safe point.
    pub fn new(board: DutyBoard, drain_limit: Duration) -> Self {
        Supervisor { duties: Vec::new(), board, drain_limit }
    }

    /// Adds a duty.
    pub fn add(&mut self, duty: impl Duty) -> &mut Self {
        self.duties.push(Box::new(duty));
        self
    }

    /// Runs every duty until `shutdown` fires, then waits for them all (at most
    /// the drain limit). A duty that fails for good fires shutdown, and its
    /// error is returned once the others have drained.
    pub async fn run(self, ctx: Context, shutdown: Shutdown, drain: Drain) -> Result<(), DutyFailed> {
        let mut tasks = JoinSet::new();
        let mut names = std::collections::HashMap::new();
        for duty in self.duties {
            let name = duty.name();
            let handle = tasks.spawn(supervise(duty, ctx.clone(), shutdown.clone(), self.board.clone()));
            names.insert(handle.id(), name);
        }
        // The supervisor's own listener must not hold the drain open.
        drop(shutdown);
        let stopper = ctx.stopper.clone();
        drop(ctx);
        let mut failed = None;
        while let Some(done) = tasks.join_next_with_id().await {
            let outcome = match done {
                Ok((_, outcome)) => outcome,
                Err(panic) => {
                    let duty = names.get(&panic.id()).copied().unwrap_or("unknown");
                    self.board.set(duty, DutyState::Failed { error: "panicked".into() });
                    Err(DutyFailed { duty, error: DutyError::fatal(format!("it panicked: {panic}")) })
                }
            };
            if let Err(e) = outcome {
                tracing::error!("{e}; stopping the keeper");
                stopper.fire();
                failed.get_or_insert(e);
            }
        }
        if !drain.wait(self.drain_limit).await {
            tracing::warn!("some tasks did not stop within {:?}", self.drain_limit);
        }
        failed.map_or(Ok(()), Err)
    }
}

/// One duty's life: run, and on failure restart by policy until shutdown.
async fn supervise(mut duty: Box<dyn Duty>, ctx: Context, mut shutdown: Shutdown, board: DutyBoard) -> Result<(), DutyFailed> {
    let name = duty.name();
    let mut attempt = 0u32;
    loop {
        board.set(name, DutyState::Running);
        let error = match duty.run(&ctx, &mut shutdown).await {
            Ok(()) => {
                board.set(name, DutyState::Stopped);
                tracing::debug!(duty = name, "stopped");
                return Ok(());
            }
            Err(e) => e,
        };
        if shutdown.is_triggered() {
            // Failing while stopping is still stopping.
            tracing::warn!(duty = name, "failed while stopping: {error}");
            board.set(name, DutyState::Stopped);
            return Ok(());
        }
        attempt = attempt.saturating_add(1);
        let delay = if error.is_fatal() { None } else { duty.policy().delay(attempt) };
        let Some(delay) = delay else {
            board.set(name, DutyState::Failed { error: error.to_string() });
            return Err(DutyFailed { duty: name, error });
        };
        tracing::warn!(duty = name, attempt, "failed: {error}; restarting in {delay:?}");
        board.set(name, DutyState::Restarting { attempt, error: error.to_string() });
        tokio::select! {
            _ = shutdown.wait() => {
                board.set(name, DutyState::Stopped);
                return Ok(());
            }
            _ = tokio::time::sleep(delay) => {}
        }
    }
}
