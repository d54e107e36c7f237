//! Bad supervision specs fail before anything starts: duplicate child ids
//! (also in a nested tree), a zero intensity period, a zero mailbox, a bad
//! backoff, a zero shutdown timeout, an empty id. Valid edge values work.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker};
use actor_core::{Backoff, ChildSpec, ConfigError, Shutdown, Supervisor, SupervisorBuilder, SupervisorError};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// An actor whose mailbox cannot hold anything.
struct NoRoom;

impl Actor for NoRoom {
    const MAILBOX: usize = 0;
}

/// Spawns `builder` (whose first child follows `plan`) and checks that it
/// fails with `expected` before anything started.
async fn rejected(builder: SupervisorBuilder, plan: &FaultPlan, expected: ConfigError) {
    let system = ActorSystem::new();
    let got = within(builder.spawn(&system)).await;
    assert_eq!(got.unwrap_err(), SupervisorError::Config(expected));
    assert_eq!(plan.starts(), 0, "a child started");
    assert_eq!(system.actor_count(), 0, "an actor was spawned");
}

// Breaks if two siblings may share an id, or the check runs after the first one started.
#[tokio::test(start_paused = true)]
async fn duplicate_child_id() {
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let b = Supervisor::builder("app")
        .child(FaultyWorker::spec("a", plan.clone(), &log))
        .child(FaultyWorker::spec("b", plan.clone(), &log))
        .child(FaultyWorker::spec("a", plan.clone(), &log));
    rejected(b, &plan, ConfigError::Duplicate { what: "child id", value: "a".into() }).await;
}

// Breaks if a bad spec deep in a nested tree is only found when that subtree starts.
#[tokio::test(start_paused = true)]
async fn duplicate_child_id_in_a_nested_tree() {
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let inner = Supervisor::builder("inner")
        .child(FaultyWorker::spec("x", plan.clone(), &log))
        .child(FaultyWorker::spec("x", plan.clone(), &log));
    let b = Supervisor::builder("app")
        .child(FaultyWorker::spec("a", plan.clone(), &log))
        .child(ChildSpec::supervisor(inner));
    rejected(b, &plan, ConfigError::Duplicate { what: "child id", value: "x".into() }).await;
}

// Breaks if a zero intensity period is accepted (it would make the window meaningless).
#[tokio::test(start_paused = true)]
async fn zero_period() {
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let b = Supervisor::builder("app").intensity(3, Duration::ZERO).child(FaultyWorker::spec("a", plan.clone(), &log));
    rejected(b, &plan, ConfigError::ZeroDuration { what: "restart intensity period" }).await;
}

// Breaks if a child with a zero mailbox is found only when it is spawned, after its siblings started.
#[tokio::test(start_paused = true)]
async fn zero_mailbox() {
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let b = Supervisor::builder("app")
        .child(FaultyWorker::spec("a", plan.clone(), &log))
        .child(ChildSpec::new("z", || NoRoom));
    rejected(b, &plan, ConfigError::ZeroCapacity { what: "mailbox" }).await;
}

// Breaks if a malformed backoff (zero base, cap below base, zero reset period) is accepted.
#[tokio::test(start_paused = true)]
async fn bad_backoff() {
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let s = Duration::from_secs(1);
    let cases = [
        (Backoff::exponential(Duration::ZERO, s), ConfigError::ZeroDuration { what: "backoff base" }),
        (
            Backoff::exponential(s, s).reset_after(Duration::ZERO),
            ConfigError::ZeroDuration { what: "backoff reset period" },
        ),
    ];
    for (backoff, expected) in cases {
        let b = Supervisor::builder("app").backoff(backoff).child(FaultyWorker::spec("a", plan.clone(), &log));
        rejected(b, &plan, expected).await;
    }
    let a = FaultyWorker::spec("a", plan.clone(), &log);
    let b = Supervisor::builder("app").backoff(Backoff::exponential(s * 2, s)).child(a);
    let system = ActorSystem::new();
    assert!(matches!(
        within(b.spawn(&system)).await,
        Err(SupervisorError::Config(ConfigError::Invalid { what: "backoff cap", .. }))
    ));
    assert_eq!(plan.starts(), 0);
}

// Breaks if a zero shutdown timeout or an empty child id is accepted.
#[tokio::test(start_paused = true)]
async fn zero_shutdown_timeout_and_empty_id() {
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let b = Supervisor::builder("app")
        .child(FaultyWorker::spec("a", plan.clone(), &log).shutdown(Shutdown::Timeout(Duration::ZERO)));
    rejected(b, &plan, ConfigError::ZeroDuration { what: "child shutdown timeout" }).await;
    let b = Supervisor::builder("app").child(FaultyWorker::spec("", plan.clone(), &log));
    rejected(b, &plan, ConfigError::Invalid { what: "child id", value: "\"\"".into() }).await;
}

// Breaks if start_child accepts a bad spec or starts anything for it.
#[tokio::test(start_paused = true)]
async fn start_child_validates_its_spec() {
    let system = ActorSystem::new();
    let plan = FaultPlan::new();
    let log = EventLog::new();
    let app = within(Supervisor::builder("app").child(FaultyWorker::spec("a", plan.clone(), &log)).spawn(&system))
        .await
        .unwrap();
    let before = system.actor_count();
    let got = within(app.start_child(ChildSpec::new("z", || NoRoom))).await;
    assert_eq!(got.unwrap_err(), SupervisorError::Config(ConfigError::ZeroCapacity { what: "mailbox" }));
    let nested = Supervisor::builder("n").intensity(1, Duration::ZERO);
    let got = within(app.start_child(ChildSpec::supervisor(nested))).await;
    assert!(matches!(got, Err(SupervisorError::Config(ConfigError::ZeroDuration { .. }))), "{got:?}");
    assert_eq!(system.actor_count(), before);
    assert_eq!(within(app.count_children()).await.unwrap().specs, 1);
}

// Breaks if valid edge values (intensity 0, an empty supervisor) are rejected.
#[tokio::test(start_paused = true)]
async fn edge_values_that_are_valid() {
    let system = ActorSystem::new();
    let empty =
        within(Supervisor::builder("empty").intensity(0, Duration::from_nanos(1)).spawn(&system)).await.unwrap();
    assert_eq!(within(empty.count_children()).await.unwrap().specs, 0);
    let report = within(system.shutdown()).await;
    assert!(report.is_clean(), "{report}");
}
