//! The keeper runtime on the embedded chain: the supervisor's restart and
//! stop policies, the drain on shutdown, and scheduled jobs.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lode_keeper::config::Schedule;
use lode_keeper::duties::heartbeat::Heartbeat;
use lode_keeper::runtime::{
    Context, Duty, DutyBoard, DutyError, DutyState, RestartPolicy, ScheduleDuty, ScheduleMetrics, Shutdown, Supervisor,
};
use lode_tests::Harness;

/// Fails `failures` times, then runs until shutdown, taking `safe_point` to stop.
struct Flaky {
    failures: u32,
    runs: Arc<AtomicU32>,
    fatal: bool,
    safe_point: Duration,
}

#[async_trait::async_trait]
impl Duty for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }

    fn policy(&self) -> RestartPolicy {
        RestartPolicy::Restart { max: 3, backoff: Duration::from_millis(10) }
    }

    async fn run(&mut self, _ctx: &Context, shutdown: &mut Shutdown) -> Result<(), DutyError> {
        let run = self.runs.fetch_add(1, Ordering::SeqCst);
        if run < self.failures {
            return Err(if self.fatal { DutyError::fatal("misconfigured") } else { DutyError::transient("connection reset") });
        }
        shutdown.wait().await;
        tokio::time::sleep(self.safe_point).await;
        Ok(())
    }
}

#[tokio::test]
async fn a_failing_duty_is_restarted_by_policy_and_shutdown_waits_for_its_safe_point() {
    let h = Harness::new().await;
    let (ctx, shutdown, drain) = h.context(&h.alice);
    let runs = Arc::new(AtomicU32::new(0));
    let board = DutyBoard::default();
    let mut supervisor = Supervisor::new(board.clone(), Duration::from_secs(5));
    supervisor.add(Flaky { failures: 2, runs: runs.clone(), fatal: false, safe_point: Duration::from_millis(300) });
    let stopper = ctx.stopper.clone();
    let running = tokio::spawn(supervisor.run(ctx, shutdown, drain));
    while runs.load(Ordering::SeqCst) < 3 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(board.snapshot().get("flaky"), Some(&DutyState::Running), "running after two restarts");
    let stopped = Instant::now();
    stopper.fire();
    running.await.unwrap().expect("a clean stop");
    assert!(stopped.elapsed() >= Duration::from_millis(250), "the drain waited for the safe point: {:?}", stopped.elapsed());
    assert_eq!(board.snapshot().get("flaky"), Some(&DutyState::Stopped));
}

#[tokio::test]
async fn a_duty_failing_for_good_stops_the_keeper_with_its_error() {
    let h = Harness::new().await;
    for (failures, fatal, runs_expected) in [(u32::MAX, false, 4), (1, true, 1)] {
        let (ctx, shutdown, drain) = h.context(&h.alice);
        let runs = Arc::new(AtomicU32::new(0));
        let board = DutyBoard::default();
        let mut supervisor = Supervisor::new(board.clone(), Duration::from_secs(5));
        supervisor.add(Flaky { failures, runs: runs.clone(), fatal, safe_point: Duration::ZERO });
        let err = supervisor.run(ctx, shutdown, drain).await.expect_err("the keeper stops");
        assert!(err.to_string().starts_with("duty `flaky` failed"), "{err}");
        assert_eq!(runs.load(Ordering::SeqCst), runs_expected, "fatal: no restart; transient: 3 restarts, then stop");
        assert!(matches!(board.snapshot().get("flaky"), Some(DutyState::Failed { .. })));
    }
}

#[tokio::test]
async fn scheduled_jobs_run_on_their_cron_schedule_and_unknown_jobs_are_refused() {
    let h = Harness::new().await;
    let (ctx, mut shutdown, _drain) = h.context(&h.alice);
    let every_second: Schedule = serde_json::from_str(r#"{"heartbeat": "*/1 * * * * *"}"#).unwrap();
    let metrics = ScheduleMetrics::default();
    let mut duty = ScheduleDuty::new(&every_second, vec![Arc::new(Heartbeat)], metrics.clone()).unwrap();
    let stopper = ctx.stopper.clone();
    let running = tokio::spawn(async move { duty.run(&ctx, &mut shutdown).await });
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    stopper.fire();
    running.await.unwrap().expect("the scheduler stops");
    let runs = metrics.runs_of("heartbeat");
    assert!((2..=4).contains(&runs), "about one run a second: {runs}");
    assert_eq!(metrics.failures_of("heartbeat"), 0, "every heartbeat read the chain");

    let unknown: Schedule = serde_json::from_str(r#"{"reconcile": "0 * * * * *"}"#).unwrap();
    let err = ScheduleDuty::new(&unknown, vec![Arc::new(Heartbeat)], ScheduleMetrics::default()).err().expect("refused");
    assert_eq!(err.to_string(), "schedule.reconcile: no such job; the jobs are: heartbeat");
}

struct Panicky;

#[async_trait::async_trait]
impl Duty for Panicky {
    fn name(&self) -> &'static str {
        "panicky"
    }

    async fn run(&mut self, _ctx: &Context, _shutdown: &mut Shutdown) -> Result<(), DutyError> {
        panic!("a bug");
    }
}

#[tokio::test]
async fn a_panicking_duty_stops_the_keeper_and_is_named() {
    let h = Harness::new().await;
    let (ctx, shutdown, drain) = h.context(&h.alice);
    let board = DutyBoard::default();
    let mut supervisor = Supervisor::new(board.clone(), Duration::from_secs(5));
    supervisor.add(Panicky);
    supervisor.add(Flaky { failures: 0, runs: Arc::default(), fatal: false, safe_point: Duration::ZERO });
    let err = supervisor.run(ctx, shutdown, drain).await.expect_err("the keeper stops");
    assert!(err.to_string().starts_with("duty `panicky` failed: it panicked"), "{err}");
    assert_eq!(board.snapshot().get("flaky"), Some(&DutyState::Stopped), "the others were stopped cleanly");
}
