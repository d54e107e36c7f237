//! Ordered stop of supervision trees: reverse start order, bottom-up for
//! nested trees, each child within its `Shutdown` policy (Brutal, Timeout,
//! Infinity), a child that ignores stop killed at its deadline, one that
//! never yields reported unresponsive; a failed start unwinds the started
//! children; a child asking its stopping supervisor does not deadlock.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, LogEvent, Work};
use actor_core::{ChildSpec, Shutdown, StopOutcome, Supervisor, SupervisorError, SupervisorRef};
use tokio::time::Instant;

#[path = "support/wait.rs"]
mod wait;
use wait::within_long as within;

// Breaks if children stop in any order other than reverse start order.
#[tokio::test(start_paused = true)]
async fn children_stop_in_reverse_start_order() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let mut builder = Supervisor::builder("app");
    for id in ["a", "b", "c", "d"] {
        builder = builder.child(FaultyWorker::spec(id, FaultPlan::new(), &log));
    }
    let _app = within(builder.spawn(&system)).await.unwrap();
    assert_eq!(log.take_lines(), ["a started", "b started", "c started", "d started"]);
    let report = within(system.shutdown()).await;
    assert_eq!(
        log.lines(),
        ["d stopped (shutdown)", "c stopped (shutdown)", "b stopped (shutdown)", "a stopped (shutdown)"]
    );
    let names: Vec<&str> = report.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["d", "c", "b", "a", "app"]);
    assert!(report.is_clean(), "{report}");
}

// Breaks if a nested supervisor's children do not stop before it, or the tree is not stopped bottom-up.
#[tokio::test(start_paused = true)]
async fn nested_trees_stop_bottom_up() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let workers = Supervisor::builder("workers")
        .child(FaultyWorker::spec("w1", FaultPlan::new(), &log))
        .child(FaultyWorker::spec("w2", FaultPlan::new(), &log));
    let _app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("db", FaultPlan::new(), &log))
            .child(ChildSpec::supervisor(workers))
            .child(FaultyWorker::spec("cache", FaultPlan::new(), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    assert_eq!(log.take_lines(), ["db started", "w1 started", "w2 started", "cache started"]);
    let report = within(system.shutdown()).await;
    assert_eq!(
        log.lines(),
        ["cache stopped (shutdown)", "w2 stopped (shutdown)", "w1 stopped (shutdown)", "db stopped (shutdown)"]
    );
    let names: Vec<&str> = report.actors.iter().map(|a| a.name.as_str()).collect();
    assert_eq!(names, ["cache", "w2", "w1", "workers", "db", "app"]);
    assert!(report.is_clean(), "{report}");
}

// Breaks if a Brutal child is asked to drain instead of being killed at once.
#[tokio::test(start_paused = true)]
async fn brutal_kills_at_once_and_drops_the_queue() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().hang_on_message(1);
    let app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("w", plan.clone(), &log).shutdown(Shutdown::Brutal))
            .spawn(&system),
    )
    .await
    .unwrap();
    let w = app.child::<FaultyWorker>("w").unwrap();
    w.tell(Work(1)).await.unwrap();
    w.tell(Work(2)).await.unwrap();
    within(plan.wait_for_messages(1)).await;
    let t0 = Instant::now();
    app.stop();
    assert_eq!(within(w.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert_eq!(log.events_of("w"), [LogEvent::Started, LogEvent::Stopped(ExitReason::Killed)]);
    assert_eq!(within(app.wait_for_stop()).await, ExitReason::Normal);
}

// Breaks if a child that ignores stop is waited on past its Timeout, or killed before it.
#[tokio::test(start_paused = true)]
async fn timeout_kills_a_child_that_ignores_stop_at_the_deadline() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().hang_on_message(1);
    let d = Duration::from_secs(2);
    let app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("calm", FaultPlan::new(), &log))
            .child(FaultyWorker::spec("stuck", plan.clone(), &log).shutdown(Shutdown::Timeout(d)))
            .spawn(&system),
    )
    .await
    .unwrap();
    let stuck = app.child::<FaultyWorker>("stuck").unwrap();
    let pending = tokio::spawn({
        let stuck = stuck.clone();
        async move { stuck.ask(Work(1)).await }
    });
    within(plan.wait_for_messages(1)).await;
    let t0 = Instant::now();
    let report = within(system.shutdown()).await;
    let killed_after = t0.elapsed();
    assert!(killed_after >= d && killed_after < 2 * d, "{killed_after:?}");
    assert_eq!(report.actor("stuck").unwrap().outcome, StopOutcome::Killed, "{report}");
    assert_eq!(report.actor("calm").unwrap().outcome, StopOutcome::Stopped(ExitReason::Shutdown), "{report}");
    assert_eq!(log.events_of("stuck"), [LogEvent::Started, LogEvent::Stopped(ExitReason::Killed)]);
    assert_eq!(within(pending).await.unwrap(), Err(AskError::Stopped));
}

// Breaks if a child whose on_stop never finishes hangs the tree instead of being reported unresponsive.
#[tokio::test(start_paused = true)]
async fn an_on_stop_that_hangs_is_reported_unresponsive_and_the_tree_goes_on() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().hang_on_stop();
    let d = Duration::from_secs(1);
    let _app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("first", FaultPlan::new(), &log))
            .child(FaultyWorker::spec("hangs", plan.clone(), &log).shutdown(Shutdown::Timeout(d)))
            .spawn(&system),
    )
    .await
    .unwrap();
    let report = within(system.shutdown()).await;
    assert_eq!(report.actor("hangs").unwrap().outcome, StopOutcome::Unresponsive, "{report}");
    // Reported once, not again when its aborted task is dropped.
    assert_eq!(report.actors.iter().filter(|a| a.name == "hangs").count(), 1, "{report}");
    assert_eq!(report.actor("first").unwrap().outcome, StopOutcome::Stopped(ExitReason::Shutdown), "{report}");
    assert!(report.actor("app").unwrap().is_clean(), "{report}");
    assert_eq!(log.lines(), ["first started", "hangs started", "first stopped (shutdown)"]);
    plan.release();
}

// Breaks if Infinity is cut short by a deadline: a slow on_stop must be waited for.
#[tokio::test(start_paused = true)]
async fn infinity_waits_for_a_slow_child() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let slow = Duration::from_secs(600);
    let app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("slow", FaultPlan::new().slow_stop(slow), &log).shutdown(Shutdown::Infinity))
            .spawn(&system),
    )
    .await
    .unwrap();
    let child = app.child::<FaultyWorker>("slow").unwrap();
    let t0 = Instant::now();
    app.stop();
    assert_eq!(tokio::time::timeout(slow * 2, app.wait_for_stop()).await, Ok(ExitReason::Normal));
    assert!(t0.elapsed() >= slow);
    assert_eq!(child.wait_for_stop().await, ExitReason::Shutdown);
    assert_eq!(log.events_of("slow"), [LogEvent::Started, LogEvent::Stopped(ExitReason::Shutdown)]);
}

// Breaks if a failed start leaves earlier children running, stops them in the wrong order, or starts later ones.
#[tokio::test(start_paused = true)]
async fn start_failure_of_child_k_stops_the_earlier_ones_in_reverse() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let late = FaultPlan::new();
    let result = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("a", FaultPlan::new(), &log))
            .child(FaultyWorker::spec("b", FaultPlan::new(), &log))
            .child(FaultyWorker::spec("c", FaultPlan::new().always_fail_start(), &log))
            .child(FaultyWorker::spec("d", late.clone(), &log))
            .spawn(&system),
    )
    .await;
    match result {
        Err(SupervisorError::StartFailed { id, reason }) => {
            assert_eq!(id, "c");
            assert!(reason.contains("planned start failure #1"), "{reason}");
        }
        other => panic!("expected StartFailed, got {other:?}"),
    }
    assert_eq!(
        log.lines(),
        [
            "a started",
            "b started",
            "c start failed (planned start failure #1)",
            "c stopped (failed: planned start failure #1)",
            "b stopped (shutdown)",
            "a stopped (shutdown)",
        ]
    );
    assert_eq!(late.starts(), 0);
}

/// A child that asks its supervisor for the children list while stopping,
/// and logs what it got.
struct Asker {
    log: EventLog,
    sup: Option<SupervisorRef>,
}

impl Actor for Asker {
    async fn on_stop(&mut self, ctx: &mut Context<Self>, _reason: &ExitReason) {
        if let Some(sup) = self.sup.take() {
            let got = sup.which_children().await.map(|c| c.len());
            self.log.note(ctx.name(), format!("which_children: {got:?}"));
        }
    }
}

struct Adopt(SupervisorRef);

impl Handler<Adopt> for Asker {
    type Reply = ();
    async fn handle(&mut self, Adopt(sup): Adopt, _ctx: &mut Context<Self>) {
        self.sup = Some(sup);
    }
}

// Breaks if a child asking its supervisor while the supervisor stops it deadlocks the tree.
#[tokio::test(start_paused = true)]
async fn a_child_asking_its_stopping_supervisor_does_not_deadlock() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let l = log.clone();
    let app = within(
        Supervisor::builder("app")
            .child(ChildSpec::new("asker", move || Asker { log: l.clone(), sup: None }).shutdown(Shutdown::Infinity))
            .spawn(&system),
    )
    .await
    .unwrap();
    let asker = app.child::<Asker>("asker").unwrap();
    within(asker.ask(Adopt(app.clone()))).await.unwrap();
    app.stop();
    // Under a timeout: a deadlock fails here instead of hanging.
    assert_eq!(within(app.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(log.lines(), ["asker which_children: Err(Stopped)"]);
}

// Breaks if a supervisor giving up (intensity exceeded) keeps taking requests it can no longer answer while it stops its children.
#[tokio::test(start_paused = true)]
async fn a_child_asking_its_supervisor_while_it_gives_up_does_not_deadlock() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let l = log.clone();
    let app = within(
        Supervisor::builder("app")
            .intensity(0, Duration::from_secs(1))
            .child(ChildSpec::new("asker", move || Asker { log: l.clone(), sup: None }).shutdown(Shutdown::Infinity))
            .child(FaultyWorker::spec("bad", FaultPlan::new().panic_on_message(1), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    let asker = app.child::<Asker>("asker").unwrap();
    within(asker.ask(Adopt(app.clone()))).await.unwrap();
    let bad = app.child::<FaultyWorker>("bad").unwrap();
    assert!(matches!(within(bad.ask(Work(1))).await, Err(AskError::Panicked(_))));
    // Under a timeout: a deadlock fails here instead of hanging.
    assert!(matches!(within(app.wait_for_stop()).await, ExitReason::Failed(_)));
    assert_eq!(within(asker.wait_for_stop()).await, ExitReason::Shutdown);
    assert!(log.lines().contains(&"asker which_children: Err(Stopped)".to_owned()), "{:?}", log.lines());
}

/// Releases spinning handlers even if an assertion fails, so the runtime's
/// threads can finish.
struct ReleaseOnDrop(FaultPlan);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.release();
    }
}

// Breaks if a child that never yields hangs the tree's shutdown instead of being reported unresponsive.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_that_never_yields_is_reported_unresponsive() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().spin_on_message(1);
    let _release = ReleaseOnDrop(plan.clone());
    let app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("calm", FaultPlan::new(), &log))
            .child(
                FaultyWorker::spec("spinner", plan.clone(), &log)
                    .shutdown(Shutdown::Timeout(Duration::from_millis(20))),
            )
            .spawn(&system),
    )
    .await
    .unwrap();
    let spinner = app.child::<FaultyWorker>("spinner").unwrap();
    spinner.tell(Work(1)).await.unwrap();
    within(plan.wait_for_messages(1)).await;
    let report = within(system.shutdown()).await;
    assert_eq!(report.actor("spinner").unwrap().outcome, StopOutcome::Unresponsive, "{report}");
    assert_eq!(report.actor("calm").unwrap().outcome, StopOutcome::Stopped(ExitReason::Shutdown), "{report}");
    assert_eq!(report.unresponsive().count(), 1, "{report}");
    assert_eq!(report.actors.iter().filter(|a| a.name == "spinner").count(), 1, "{report}");
    // Once it yields, the aborted task settles it as killed.
    plan.release();
    assert_eq!(within(spinner.wait_for_stop()).await, ExitReason::Killed);
}
