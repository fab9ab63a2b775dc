//! The keeper runtime: duties, the context they share, the supervisor that
//! runs them, and shutdown.
//!
//! A command assembles a [`Context`] and a [`Supervisor`] holding its duties,
//! then hands both to [`Supervisor::run`]. Nothing else holds a select loop
//! over duties.

mod board;
mod clock;
mod context;
mod duty;
mod schedule;
pub mod shutdown;
mod signals;
mod supervisor;

pub use board::{DutyBoard, DutyState};
pub use clock::now_ms;
pub use context::Context;
pub use duty::{Duty, DutyError, RestartPolicy};
pub use schedule::{Job, ScheduleDuty, ScheduleMetrics, UnknownJob};
pub use shutdown::{Drain, Shutdown, Stopper};
pub use signals::stop_on_signals;
pub use supervisor::{DutyFailed, Supervisor};
