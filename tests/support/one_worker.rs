//! A supervisor `app` over a single `FaultyWorker` named `w`.
//!
//! The including test crate defines `within`, its bounded wait.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, LogEvent, Work};
use actor_core::{ActorStatus, Backoff, Supervisor, SupervisorRef};

use super::within;

/// Spawns supervisor `app` over the one child `w` following `plan`; with a
/// `hold`, `app` keeps `w` between incarnations that long before each
/// restart. Returns `app` and `w`.
pub(crate) async fn app_over_w(
    system: &ActorSystem,
    hold: Option<Duration>,
    plan: FaultPlan,
    log: &EventLog,
) -> (SupervisorRef, ActorRef<FaultyWorker>) {
    let mut app = Supervisor::builder("app");
    if let Some(hold) = hold {
        app = app.backoff(Backoff::exponential(hold, hold).without_jitter());
    }
    let app = within(app.child(FaultyWorker::spec("w", plan, log)).spawn(system)).await.unwrap();
    let w = app.child::<FaultyWorker>("w").unwrap();
    (app, w)
}

/// Sends `w` (planned to fail on message 1) that message, waits for the
/// failure, and checks that `w` is now between incarnations.
pub(crate) async fn fail_into_restarting(w: &ActorRef<FaultyWorker>, log: &EventLog) {
    assert_eq!(within(w.ask(Work(1))).await, Ok(1));
    within(log.wait_for("w", &LogEvent::Stopped(ExitReason::Failed("planned failure on message 1".into())))).await;
    assert_eq!(w.status(), ActorStatus::Restarting);
}
