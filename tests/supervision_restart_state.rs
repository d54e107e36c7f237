//! What a restart keeps and what it hands over: the same `ActorRef` and
//! mailbox (queued messages survive, an ask during the restart is answered
//! by the new incarnation), the failing message's asker gets `Panicked`,
//! the old `on_stop` finishes before the new `on_start`, `wait_for_stop`
//! waits for the final stop, and snapshots count restarts per child.

use std::future::IntoFuture;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, Fault, FaultPlan, FaultyWorker, Incarnation, LogEvent, Work};
use actor_core::{ActorStatus, ChildSpec, Supervisor};
use futures::poll;

#[path = "support/one_worker.rs"]
mod one_worker;

use one_worker::{app_over_w, fail_into_restarting};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

// Breaks if a restart loses the messages queued behind the failing one, or the failing asker hangs.
#[tokio::test(start_paused = true)]
async fn queued_messages_survive_a_restart_and_the_failing_asker_gets_panicked() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let (_app, w) = app_over_w(&system, None, FaultPlan::new().panic_on_message(1), &log).await;
    // Enqueue the failing ask, then two tells and an ask behind it, before
    // the actor runs (this test's runtime has one thread).
    let mut failing = std::pin::pin!(w.ask(Work(1)).into_future());
    assert!(poll!(failing.as_mut()).is_pending());
    w.try_tell(Work(2)).unwrap();
    w.try_tell(Work(3)).unwrap();
    let mut after = std::pin::pin!(w.ask(Incarnation).into_future());
    assert!(poll!(after.as_mut()).is_pending());

    match within(failing).await {
        Err(AskError::Panicked(m)) => assert_eq!(m, "planned panic on message 1"),
        other => panic!("expected Panicked, got {other:?}"),
    }
    assert_eq!(within(after).await, Ok(2));
    assert_eq!(
        log.lines(),
        ["w started", "w stopped (panicked: planned panic on message 1)", "w started", "w handled 2", "w handled 3"]
    );
    assert!(within(system.shutdown()).await.is_clean());
}

// Breaks if an ask sent while the child waits to be restarted is rejected or answered by the old incarnation.
#[tokio::test(start_paused = true)]
async fn an_ask_during_a_restart_is_answered_by_the_new_incarnation() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    // The backoff holds it between incarnations for a second of virtual time.
    let (_app, w) = app_over_w(&system, Some(Duration::from_secs(1)), FaultPlan::new().fail_on_message(1), &log).await;
    fail_into_restarting(&w, &log).await;
    assert!(w.is_alive());
    assert_eq!(within(w.ask(Incarnation)).await, Ok(2));
    assert_eq!(log.lines().last().unwrap(), "w started");
    assert!(within(system.shutdown()).await.is_clean());
}

/// Logs when its hooks begin and end; on_stop takes a second.
struct Tracer {
    log: EventLog,
}

impl Actor for Tracer {
    async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.log.note(ctx.name(), "on_start begins");
        tokio::task::yield_now().await;
        self.log.note(ctx.name(), "on_start ends");
        Ok(())
    }

    async fn on_stop(&mut self, ctx: &mut Context<Self>, _reason: &ExitReason) {
        self.log.note(ctx.name(), "on_stop begins");
        tokio::time::sleep(Duration::from_secs(1)).await;
        self.log.note(ctx.name(), "on_stop ends");
    }
}

struct Crash;

impl Handler<Crash> for Tracer {
    type Reply = ();
    async fn handle(&mut self, _: Crash, _ctx: &mut Context<Self>) {
        panic!("crash");
    }
}

// Breaks if the new incarnation's on_start overlaps the old incarnation's on_stop.
#[tokio::test(start_paused = true)]
async fn the_old_on_stop_finishes_before_the_new_on_start() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let l = log.clone();
    let app =
        within(Supervisor::builder("app").child(ChildSpec::new("t", move || Tracer { log: l.clone() })).spawn(&system))
            .await
            .unwrap();
    let t = app.child::<Tracer>("t").unwrap();
    assert!(matches!(within(t.ask(Crash)).await, Err(AskError::Panicked(_))));
    within(log.wait_for_len(6)).await;
    assert_eq!(
        log.lines(),
        [
            "t on_start begins",
            "t on_start ends",
            "t on_stop begins",
            "t on_stop ends",
            "t on_start begins",
            "t on_start ends",
        ]
    );
    assert!(within(system.shutdown()).await.is_clean());
}

// Breaks if wait_for_stop of a supervised child resolves at a restart instead of at its final stop.
#[tokio::test(start_paused = true)]
async fn wait_for_stop_of_a_supervised_child_resolves_only_when_it_stops_for_good() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let (app, w) = app_over_w(&system, None, FaultPlan::new().panic_on_message(1), &log).await;
    let waiter = tokio::spawn({
        let w = w.clone();
        async move { w.wait_for_stop().await }
    });
    assert!(within(w.ask(Work(1))).await.is_err());
    assert_eq!(within(w.ask(Incarnation)).await, Ok(2));
    assert!(!waiter.is_finished(), "resolved at a restart");
    within(app.terminate_child("w")).await.unwrap();
    assert_eq!(within(waiter).await.unwrap(), ExitReason::Shutdown);
    assert!(!w.is_alive());
}

// Breaks if the snapshot loses the tree shape or the per-child restart count.
#[tokio::test(start_paused = true)]
async fn the_snapshot_shows_the_tree_with_restarts_per_child() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let workers = Supervisor::builder("workers")
        .child(FaultyWorker::spec("w1", FaultPlan::new().panic_on_message(1), &log))
        .child(FaultyWorker::spec("w2", FaultPlan::new(), &log));
    let app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("cache", FaultPlan::new(), &log))
            .child(ChildSpec::supervisor(workers))
            .spawn(&system),
    )
    .await
    .unwrap();
    let w1 = app.supervisor("workers").unwrap().child::<FaultyWorker>("w1").unwrap();
    assert!(within(w1.ask(Work(1))).await.is_err());
    assert_eq!(within(w1.ask(Incarnation)).await, Ok(2));

    let snap = system.snapshot();
    assert_eq!(snap.actors.len(), 1, "{snap}");
    let root = &snap.actors[0];
    assert_eq!(root.name, "app");
    let kids: Vec<(&str, u32)> = root.children.iter().map(|c| (c.name.as_str(), c.restarts)).collect();
    assert_eq!(kids, [("cache", 0), ("workers", 0)]);
    let grandkids: Vec<(&str, u32)> = root.children[1].children.iter().map(|c| (c.name.as_str(), c.restarts)).collect();
    assert_eq!(grandkids, [("w1", 1), ("w2", 0)]);
    assert_eq!(snap.find("w1").unwrap().parent, Some(root.children[1].id));
    let text = snap.to_string();
    let line = text.lines().find(|l| l.contains("w1")).unwrap();
    assert!(line.contains("restarts 1"), "{text}");
    assert!(within(system.shutdown()).await.is_clean());
}

// Breaks if a Permanent child restarted after a normal exit refuses messages sent while it waits to restart.
#[tokio::test(start_paused = true)]
async fn an_ask_during_a_restart_after_a_normal_exit_is_answered_too() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().on_message(1, Fault::Stop);
    let (_app, w) = app_over_w(&system, Some(Duration::from_secs(1)), plan, &log).await;
    assert_eq!(within(w.ask(Work(1))).await, Ok(1));
    within(log.wait_for("w", &LogEvent::Stopped(ExitReason::Normal))).await;
    assert_eq!(w.status(), ActorStatus::Restarting);
    assert_eq!(within(w.ask(Incarnation)).await, Ok(2));
    assert!(within(system.shutdown()).await.is_clean());
}
