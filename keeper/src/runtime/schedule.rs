//! Periodic jobs: the config's `[schedule]` names them, tokio-cron-scheduler
//! fires them, and each run gets the keeper's [`Context`].

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tokio_cron_scheduler::{Job as CronJob, JobScheduler};

use super::{Context, Duty, DutyError, Shutdown};
use crate::config::Schedule;

/// Work that runs on a schedule.
#[async_trait::async_trait]
pub trait Job: Send + Sync + 'static {
    /// The name the config's `[schedule]` uses.
    fn name(&self) -> &'static str;
    /// One run. An error is logged and counted; the next run happens anyway.
    async fn run(&self, ctx: &Context) -> Result<(), String>;
}

/// The `job` label.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct JobLabel {
    job: String,
}

/// Runs and failures per job, under `lode_schedule_*`.
#[derive(Debug, Clone, Default)]
pub struct ScheduleMetrics {
    /// Runs started.
    pub runs: Family<JobLabel, Counter>,
    /// Runs that failed.
    pub failures: Family<JobLabel, Counter>,
}

impl ScheduleMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let m = Self::default();
        let r = registry.sub_registry_with_prefix("schedule");
        r.register("runs", "Scheduled job runs started", m.runs.clone());
        r.register("failures", "Scheduled job runs that failed", m.failures.clone());
        m
    }

    /// Runs of `job` so far.
    pub fn runs_of(&self, job: &str) -> u64 {
        self.runs.get_or_create(&JobLabel { job: job.to_owned() }).get()
    }

    /// Failed runs of `job` so far.
    pub fn failures_of(&self, job: &str) -> u64 {
        self.failures.get_or_create(&JobLabel { job: job.to_owned() }).get()
    }
}

/// A schedule names a job this keeper does not have.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("schedule.{name}: no such job; the jobs are: {known}")]
pub struct UnknownJob {
    /// The name in the config.
    pub name: String,
    /// The jobs there are.
    pub known: String,
}

/// The duty that runs the scheduled jobs.
pub struct ScheduleDuty {
    jobs: Vec<(Arc<dyn Job>, String)>,
    metrics: ScheduleMetrics,
}

impl ScheduleDuty {
    /// The jobs `schedule` names, from `available`.
    pub fn new(schedule: &Schedule, available: Vec<Arc<dyn Job>>, metrics: ScheduleMetrics) -> Result<Self, UnknownJob> {
        let mut jobs = Vec::new();
        for (name, cron) in schedule.iter() {
            let job = available.iter().find(|j| j.name() == name.as_str()).ok_or_else(|| UnknownJob {
                name: name.as_str().to_owned(),
                known: available.iter().map(|j| j.name()).collect::<Vec<_>>().join(", "),
            })?;
            jobs.push((Arc::clone(job), cron.as_str().to_owned()));
        }
        Ok(ScheduleDuty { jobs, metrics })
    }
}

#[async_trait::async_trait]
impl Duty for ScheduleDuty {
    fn name(&self) -> &'static str {
        "schedule"
    }

    async fn run(&mut self, ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let mut scheduler = JobScheduler::new().await.map_err(|e| DutyError::transient(e.to_string()))?;
        for (job, cron) in &self.jobs {
            let (job, ctx, metrics) = (Arc::clone(job), ctx.clone(), self.metrics.clone());
            let cron_job = CronJob::new_async(cron.as_str(), move |_, _| {
                let (job, ctx, metrics) = (Arc::clone(&job), ctx.clone(), metrics.clone());
                Box::pin(async move {
                    let label = JobLabel { job: job.name().to_owned() };
                    metrics.runs.get_or_create(&label).inc();
                    if let Err(e) = job.run(&ctx).await {
                        metrics.failures.get_or_create(&label).inc();
                        tracing::warn!(job = job.name(), "scheduled job failed: {e}");
                    }
                })
            })
            // The config checked every expression with this same parser.
            .map_err(|e| DutyError::fatal(format!("schedule {cron:?}: {e}")))?;
            scheduler.add(cron_job).await.map_err(|e| DutyError::transient(e.to_string()))?;
        }
        scheduler.start().await.map_err(|e| DutyError::transient(e.to_string()))?;
        shutdown.wait().await;
        scheduler.shutdown().await.map_err(|e| DutyError::transient(e.to_string()))
    }
}
