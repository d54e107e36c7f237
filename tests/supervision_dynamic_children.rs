//! Dynamic children with OTP's errors: `start_child` (`AlreadyPresent`),
//! `terminate_child`, `restart_child` (`Running`, `Restarting`,
//! `NotFound`), `delete_child` (`Running`, `Restarting`, `NotFound`),
//! `which_children` / `count_children`, and typed lookup with `child::<A>`.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, Incarnation, ProbeActor, Work};
use actor_core::{ActorStatus, ChildKind, ChildSpec, Restart, Supervisor, SupervisorError, SupervisorRef};

#[path = "support/one_worker.rs"]
mod one_worker;

use one_worker::{app_over_w, fail_into_restarting};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

async fn app_with(system: &ActorSystem, log: &EventLog) -> SupervisorRef {
    within(Supervisor::builder("app").child(FaultyWorker::spec("a", FaultPlan::new(), log)).spawn(system))
        .await
        .unwrap()
}

// Breaks if start_child does not start, register and order a new child, or accepts a taken id.
#[tokio::test(start_paused = true)]
async fn start_child_adds_a_running_child_and_refuses_a_taken_id() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = app_with(&system, &log).await;
    let id = within(app.start_child(FaultyWorker::spec("b", FaultPlan::new(), &log))).await.unwrap();
    let b = app.child::<FaultyWorker>("b").unwrap();
    assert_eq!(b.id(), id);
    assert_eq!(within(b.ask(Work(4))).await, Ok(4));
    let ids: Vec<String> = within(app.which_children()).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["a", "b"]);
    let second = FaultPlan::new();
    assert_eq!(
        within(app.start_child(FaultyWorker::spec("b", second.clone(), &log))).await,
        Err(SupervisorError::AlreadyPresent("b".into()))
    );
    assert_eq!(second.starts(), 0);
    assert_eq!(log.lines(), ["a started", "b started", "b handled 4"]);
}

// Breaks if a start_child whose on_start fails leaves a half-started child behind.
#[tokio::test(start_paused = true)]
async fn start_child_that_fails_to_start_reports_start_failed() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = app_with(&system, &log).await;
    let got = within(app.start_child(FaultyWorker::spec("bad", FaultPlan::new().always_fail_start(), &log))).await;
    assert!(matches!(got, Err(SupervisorError::StartFailed { ref id, .. }) if id == "bad"), "{got:?}");
    assert!(matches!(app.child::<FaultyWorker>("bad"), Err(SupervisorError::NotFound(_))));
    assert_eq!(within(app.count_children()).await.unwrap().specs, 1);
}

// Breaks if terminate_child does not stop the child for good, or restart_child does not bring it back.
#[tokio::test(start_paused = true)]
async fn terminate_then_restart_then_delete() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = app_with(&system, &log).await;
    within(app.start_child(FaultyWorker::spec("b", FaultPlan::new(), &log))).await.unwrap();
    let old = app.child::<FaultyWorker>("b").unwrap();

    assert_eq!(within(app.restart_child("b")).await, Err(SupervisorError::Running("b".into())));
    assert_eq!(within(app.delete_child("b")).await, Err(SupervisorError::Running("b".into())));

    within(app.terminate_child("b")).await.unwrap();
    assert_eq!(within(old.wait_for_stop()).await, ExitReason::Shutdown);
    assert!(matches!(app.child::<FaultyWorker>("b"), Err(SupervisorError::NotFound(_))));
    let info = within(app.which_children()).await.unwrap();
    assert_eq!((info[1].id.as_str(), info[1].actor, info[1].status), ("b", None, None));
    let counts = within(app.count_children()).await.unwrap();
    assert_eq!((counts.specs, counts.active, counts.workers, counts.supervisors), (2, 1, 2, 0));

    let new_id = within(app.restart_child("b")).await.unwrap();
    assert_ne!(new_id, old.id());
    let new = app.child::<FaultyWorker>("b").unwrap();
    assert_eq!(new.id(), new_id);
    assert_eq!(within(new.ask(Incarnation)).await, Ok(2));

    within(app.terminate_child("b")).await.unwrap();
    within(app.delete_child("b")).await.unwrap();
    for result in [
        within(app.terminate_child("b")).await,
        within(app.delete_child("b")).await,
        within(app.restart_child("b")).await.map(drop),
    ] {
        assert_eq!(result, Err(SupervisorError::NotFound("b".into())));
    }
    let ids: Vec<String> = within(app.which_children()).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["a"]);
    assert_eq!(log.lines(), ["a started", "b started", "b stopped (shutdown)", "b started", "b stopped (shutdown)"]);
}

// Breaks if restart_child or delete_child act on a child that is between incarnations.
#[tokio::test(start_paused = true)]
async fn a_child_between_incarnations_is_restarting() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let (app, w) = app_over_w(&system, Some(Duration::from_secs(5)), FaultPlan::new().fail_on_message(1), &log).await;
    fail_into_restarting(&w, &log).await;
    assert_eq!(within(app.restart_child("w")).await, Err(SupervisorError::Restarting("w".into())));
    assert_eq!(within(app.delete_child("w")).await, Err(SupervisorError::Restarting("w".into())));
    // It still comes back after the backoff.
    assert_eq!(within(w.ask(Incarnation)).await, Ok(2));
}

// Breaks if terminating a Temporary child keeps its spec.
#[tokio::test(start_paused = true)]
async fn terminating_a_temporary_child_removes_its_spec() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = app_with(&system, &log).await;
    within(app.start_child(FaultyWorker::spec("t", FaultPlan::new(), &log).restart(Restart::Temporary))).await.unwrap();
    within(app.terminate_child("t")).await.unwrap();
    assert_eq!(within(app.restart_child("t")).await, Err(SupervisorError::NotFound("t".into())));
    assert_eq!(within(app.count_children()).await.unwrap().specs, 1);
}

// Breaks if counts confuse workers and supervisors or count stopped children as active.
#[tokio::test(start_paused = true)]
async fn which_and_count_children_describe_every_child() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let pool = Supervisor::builder("pool").child(FaultyWorker::spec("p1", FaultPlan::new(), &log));
    let app = within(
        Supervisor::builder("app")
            .child(FaultyWorker::spec("a", FaultPlan::new(), &log))
            .child(ChildSpec::supervisor(pool))
            .child(FaultyWorker::spec("t", FaultPlan::new(), &log).restart(Restart::Transient))
            .spawn(&system),
    )
    .await
    .unwrap();
    let info = within(app.which_children()).await.unwrap();
    let summary: Vec<(&str, ChildKind, Restart, Option<ActorStatus>)> =
        info.iter().map(|c| (c.id.as_str(), c.kind, c.restart, c.status)).collect();
    assert_eq!(
        summary,
        [
            ("a", ChildKind::Worker, Restart::Permanent, Some(ActorStatus::Running)),
            ("pool", ChildKind::Supervisor, Restart::Permanent, Some(ActorStatus::Running)),
            ("t", ChildKind::Worker, Restart::Transient, Some(ActorStatus::Running)),
        ]
    );
    within(app.terminate_child("t")).await.unwrap();
    let counts = within(app.count_children()).await.unwrap();
    assert_eq!((counts.specs, counts.active, counts.workers, counts.supervisors), (3, 2, 2, 1));
    assert_eq!(within(app.supervisor("pool").unwrap().count_children()).await.unwrap().active, 1);
}

// Breaks if child::<A> hands out a ref of the wrong type or misreports a missing id.
#[tokio::test(start_paused = true)]
async fn child_lookup_is_typed() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = app_with(&system, &log).await;
    assert_eq!(app.child::<FaultyWorker>("nope").unwrap_err(), SupervisorError::NotFound("nope".into()));
    match app.child::<ProbeActor<u32>>("a") {
        Err(SupervisorError::WrongType { id, expected, actual }) => {
            assert_eq!((id.as_str(), expected, actual), ("a", "probe", "faulty-worker"));
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    assert!(matches!(app.supervisor("a"), Err(SupervisorError::WrongType { .. })));
    assert!(app.child::<FaultyWorker>("a").is_ok());
}

// Breaks if requests to a stopped supervisor hang instead of failing with Stopped.
#[tokio::test(start_paused = true)]
async fn requests_to_a_stopped_supervisor_fail_with_stopped() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = app_with(&system, &log).await;
    app.stop();
    within(app.wait_for_stop()).await;
    assert_eq!(within(app.which_children()).await, Err(SupervisorError::Stopped));
    assert_eq!(
        within(app.start_child(FaultyWorker::spec("b", FaultPlan::new(), &log))).await,
        Err(SupervisorError::Stopped)
    );
    assert!(matches!(app.child::<FaultyWorker>("a"), Err(SupervisorError::NotFound(_))));
}
