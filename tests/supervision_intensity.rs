//! Restart intensity and escalation: a supervisor that sees more restarts
//! than it allows stops its children and fails to its parent; the root's
//! escalation shuts the system down with `ShutdownCause::Escalated`.
//! Restarts are bounded (no storm) and backoff delays show in virtual time.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, Incarnation, LogEvent, TestProbe, Work};
use actor_core::{Backoff, ChildSpec, ShutdownCause, ShutdownReport, Supervisor};
use tokio::time::Instant;

#[path = "support/wait.rs"]
mod wait;
use wait::within_long as within;

/// Waits for the shutdown that an escalation started: a bystander spawned
/// before the tree is stopped by it, so once the bystander stopped the
/// shutdown is under way and `shutdown()` returns its report.
async fn escalated_report(system: &ActorSystem, bystander: TestProbe<u32>) -> ShutdownReport {
    let reason = bystander.expect_terminated(bystander.actor_ref(), Duration::from_secs(300)).await;
    assert_eq!(reason, ExitReason::Shutdown);
    within(system.shutdown()).await
}

fn count(log: &EventLog, actor: &str, pred: impl Fn(&LogEvent) -> bool) -> usize {
    log.events_of(actor).iter().filter(|e| pred(e)).count()
}

// Breaks if escalation does not climb leaf → middle → root, or the root's escalation does not shut the system down with the cause.
#[tokio::test(start_paused = true)]
async fn three_level_escalation_shuts_the_system_down() {
    let system = ActorSystem::new();
    let bystander = TestProbe::<u32>::new(&system).unwrap();
    let log = EventLog::new();
    // The leaf starts once, then every start fails.
    let plan = FaultPlan::new().panic_on_message(1).fail_start_from(2);
    let period = Duration::from_secs(60);
    let leaf_sup =
        Supervisor::builder("leafsup").intensity(1, period).child(FaultyWorker::spec("leaf", plan.clone(), &log));
    let mid = Supervisor::builder("mid").intensity(1, period).child(ChildSpec::supervisor(leaf_sup));
    let root =
        within(Supervisor::builder("root").intensity(1, period).child(ChildSpec::supervisor(mid)).spawn(&system))
            .await
            .unwrap();
    let leaf = root.supervisor("mid").unwrap().supervisor("leafsup").unwrap().child::<FaultyWorker>("leaf").unwrap();

    assert!(matches!(within(leaf.ask(Work(1))).await, Err(AskError::Panicked(_))));
    let report = escalated_report(&system, bystander).await;

    match &report.cause {
        ShutdownCause::Escalated { supervisor, reason } => {
            assert_eq!(supervisor, "root");
            assert!(reason.contains("mid"), "{reason}");
        }
        other => panic!("cause {other:?}"),
    }
    assert_eq!(within(root.wait_for_stop()).await, ExitReason::Failed(report_reason(&report)));
    // leaf: 1 good start; restart by leafsup fails (leafsup gives up); mid
    // restarts leafsup, whose start fails (mid gives up); root restarts mid,
    // whose start fails (root gives up).
    assert_eq!(plan.starts(), 4);
    assert_eq!(log.count(&LogEvent::Started), 1);
    assert_eq!(count(&log, "leaf", |e| matches!(e, LogEvent::StartFailed(_))), 3);
    // Every incarnation, also a failed start, ran on_stop.
    assert_eq!(plan.stops(), 4);
    assert_eq!(system.actor_count(), 0);
}

fn report_reason(report: &ShutdownReport) -> String {
    match &report.cause {
        ShutdownCause::Escalated { reason, .. } => reason.clone(),
        other => panic!("cause {other:?}"),
    }
}

// Breaks if a child that always fails on_start is restarted without bound (a restart storm).
#[tokio::test(start_paused = true)]
async fn a_child_that_always_fails_to_start_gives_up_after_the_intensity() {
    let system = ActorSystem::new();
    let bystander = TestProbe::<u32>::new(&system).unwrap();
    let log = EventLog::new();
    let plan = FaultPlan::new().panic_on_message(1).fail_start_from(2);
    let app = within(
        Supervisor::builder("app")
            .intensity(3, Duration::from_secs(5))
            .backoff(Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1)).without_jitter())
            .child(FaultyWorker::spec("w", plan.clone(), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    let w = app.child::<FaultyWorker>("w").unwrap();
    let t0 = Instant::now();
    assert!(matches!(within(w.ask(Work(1))).await, Err(AskError::Panicked(_))));
    let report = escalated_report(&system, bystander).await;
    assert!(matches!(report.cause, ShutdownCause::Escalated { .. }), "{report}");
    // 1 good start + 3 restarts allowed, each failing; the 4th restart is refused.
    assert_eq!(plan.starts(), 4);
    assert_eq!(count(&log, "w", |e| matches!(e, LogEvent::StartFailed(_))), 3);
    // Backoff 100 + 200 + 400 ms of virtual time, then it gave up.
    let elapsed = t0.elapsed();
    assert!(elapsed >= Duration::from_millis(700) && elapsed < Duration::from_secs(5), "{elapsed:?}");
    assert_eq!(within(w.wait_for_stop()).await, ExitReason::Failed("planned start failure #4".into()));
}

// Breaks if intensity 0 allows a restart, or if giving up does not stop the siblings in reverse order.
#[tokio::test(start_paused = true)]
async fn zero_intensity_gives_up_at_the_first_failure_and_stops_siblings_in_reverse() {
    let system = ActorSystem::new();
    let bystander = TestProbe::<u32>::new(&system).unwrap();
    let log = EventLog::new();
    let app = within(
        Supervisor::builder("app")
            .intensity(0, Duration::from_secs(1))
            .child(FaultyWorker::spec("a", FaultPlan::new(), &log))
            .child(FaultyWorker::spec("b", FaultPlan::new().fail_on_message(1), &log))
            .child(FaultyWorker::spec("c", FaultPlan::new(), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    log.take();
    let b = app.child::<FaultyWorker>("b").unwrap();
    assert_eq!(within(b.ask(Work(1))).await, Ok(1));
    let report = escalated_report(&system, bystander).await;
    assert!(matches!(report.cause, ShutdownCause::Escalated { .. }));
    assert_eq!(
        log.lines(),
        [
            "b handled 1",
            "b stopped (failed: planned failure on message 1)",
            "c stopped (shutdown)",
            "a stopped (shutdown)"
        ]
    );
}

// Breaks if restarts spread wider than the period still add up, i.e. the window does not slide.
#[tokio::test(start_paused = true)]
async fn restarts_spread_over_more_than_the_period_never_give_up() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new();
    let plan = (1..=6).fold(plan, |p, n| p.panic_on_message(n));
    let app = within(
        Supervisor::builder("app")
            .intensity(1, Duration::from_secs(10))
            .child(FaultyWorker::spec("w", plan.clone(), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    let w = app.child::<FaultyWorker>("w").unwrap();
    for n in 1..=6u32 {
        assert!(matches!(within(w.ask(Work(u64::from(n)))).await, Err(AskError::Panicked(_))));
        within(log.wait_for_count(&LogEvent::Started, n as usize + 1)).await;
        assert_eq!(log.count(&LogEvent::Started), n as usize + 1);
        // Exactly one period later the previous restart no longer counts.
        tokio::time::advance(Duration::from_secs(10)).await;
    }
    assert_eq!(within(w.ask(Incarnation)).await, Ok(7));
    assert!(within(system.shutdown()).await.is_clean());
}

// Breaks if backoff delays are skipped, or not doubled per consecutive failure.
#[tokio::test(start_paused = true)]
async fn backoff_delays_show_in_virtual_time() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().panic_on_message(1).panic_on_message(2).panic_on_message(3);
    let app = within(
        Supervisor::builder("app")
            .intensity(10, Duration::from_secs(60))
            .backoff(Backoff::exponential(Duration::from_millis(100), Duration::from_millis(300)).without_jitter())
            .child(FaultyWorker::spec("w", plan, &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    let w = app.child::<FaultyWorker>("w").unwrap();
    let mut delays = Vec::new();
    for n in 1..=3u32 {
        assert!(matches!(within(w.ask(Work(u64::from(n)))).await, Err(AskError::Panicked(_))));
        let t0 = Instant::now();
        within(log.wait_for_count(&LogEvent::Started, n as usize + 1)).await;
        delays.push(t0.elapsed());
        assert_eq!(log.count(&LogEvent::Started), n as usize + 1);
    }
    // 100 ms, 200 ms, then capped at 300 ms (virtual time is exact).
    let ms: Vec<u128> = delays.iter().map(Duration::as_millis).collect();
    assert_eq!(ms, [100, 200, 300]);
    assert!(within(system.shutdown()).await.is_clean());
}
