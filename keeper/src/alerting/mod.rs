//! Keeper alerts. Duties and the engine's own rules produce [`Finding`]s;
//! the [`engine::AlertEngine`] lets one alert through per incident and
//! cooldown, and hands it to the sinks: the log, a signed webhook, and the
//! alerts contract for Warning and above.

pub mod engine;
mod finding;
mod hook;
mod metrics;
pub mod rules;
pub mod sinks;
pub mod webhook;

pub use engine::AlertEngine;
pub use finding::{Finding, Level, Rule};
pub use hook::AlertHook;
pub use metrics::AlertMetrics;
