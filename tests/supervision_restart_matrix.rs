//! The restart type × exit reason matrix of the supervisor module docs,
//! row by row: Permanent restarts after every exit, Transient only after an
//! abnormal one, Temporary never (and its spec is removed).

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, Fault, FaultPlan, FaultyWorker, Incarnation, LogEvent, Work};
use actor_core::{Restart, Supervisor};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// How the child's incarnation ends.
#[derive(Debug, Clone, Copy)]
enum Exit {
    Normal,
    Shutdown,
    Panic,
    Error,
    Kill,
}

impl Exit {
    fn reason(self) -> ExitReason {
        match self {
            Exit::Normal => ExitReason::Normal,
            Exit::Shutdown => ExitReason::Shutdown,
            Exit::Panic => ExitReason::Panicked("planned panic on message 1".into()),
            Exit::Error => ExitReason::Failed("planned failure on message 1".into()),
            Exit::Kill => ExitReason::Killed,
        }
    }
}

/// The expected outcome of one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Outcome {
    Restarted,
    StaysStopped,
    Removed,
}

const MATRIX: &[(Restart, Exit, Outcome)] = &[
    (Restart::Permanent, Exit::Normal, Outcome::Restarted),
    (Restart::Permanent, Exit::Shutdown, Outcome::Restarted),
    (Restart::Permanent, Exit::Panic, Outcome::Restarted),
    (Restart::Permanent, Exit::Error, Outcome::Restarted),
    (Restart::Permanent, Exit::Kill, Outcome::Restarted),
    (Restart::Transient, Exit::Normal, Outcome::StaysStopped),
    (Restart::Transient, Exit::Shutdown, Outcome::StaysStopped),
    (Restart::Transient, Exit::Panic, Outcome::Restarted),
    (Restart::Transient, Exit::Error, Outcome::Restarted),
    (Restart::Transient, Exit::Kill, Outcome::Restarted),
    (Restart::Temporary, Exit::Normal, Outcome::Removed),
    (Restart::Temporary, Exit::Shutdown, Outcome::Removed),
    (Restart::Temporary, Exit::Panic, Outcome::Removed),
    (Restart::Temporary, Exit::Error, Outcome::Removed),
    (Restart::Temporary, Exit::Kill, Outcome::Removed),
];

async fn run_cell(restart: Restart, exit: Exit, expected: Outcome) {
    let cell = format!("{restart:?} × {exit:?}");
    let system = ActorSystem::new();
    let log = EventLog::new();
    let fault = match exit {
        Exit::Normal => Some(Fault::Stop),
        Exit::Shutdown => Some(Fault::Shutdown),
        Exit::Panic => Some(Fault::Panic),
        Exit::Error => Some(Fault::Fail),
        Exit::Kill => None,
    };
    let mut plan = FaultPlan::new();
    if let Some(fault) = fault {
        plan = plan.on_message(1, fault);
    }
    let app = within(
        Supervisor::builder("app").child(FaultyWorker::spec("w", plan.clone(), &log).restart(restart)).spawn(&system),
    )
    .await
    .unwrap();
    let w = app.child::<FaultyWorker>("w").unwrap();

    match exit {
        Exit::Kill => w.kill(),
        Exit::Panic => assert!(matches!(within(w.ask(Work(1))).await, Err(AskError::Panicked(_))), "{cell}"),
        _ => assert_eq!(within(w.ask(Work(1))).await, Ok(1), "{cell}"),
    }
    within(log.wait_for("w", &LogEvent::Stopped(exit.reason()))).await;

    match expected {
        Outcome::Restarted => {
            let entries = within(log.wait_for_count(&LogEvent::Started, 2)).await;
            assert_eq!(log.count(&LogEvent::Started), 2, "{cell}: {:?}", log.lines());
            assert_eq!(entries.last().unwrap().1, LogEvent::Started, "{cell}: {:?}", log.lines());
            // The same handle reaches the new incarnation.
            assert_eq!(within(w.ask(Incarnation)).await, Ok(2), "{cell}");
            let info = within(app.which_children()).await.unwrap();
            assert_eq!(info.len(), 1, "{cell}");
            assert_eq!((info[0].actor, info[0].restarts), (Some(w.id()), 1), "{cell}");
            assert!(w.is_alive(), "{cell}");
        }
        Outcome::StaysStopped | Outcome::Removed => {
            assert_eq!(within(w.wait_for_stop()).await, exit.reason(), "{cell}");
            let info = within(app.which_children()).await.unwrap();
            if expected == Outcome::Removed {
                assert!(info.is_empty(), "{cell}: {info:?}");
            } else {
                assert_eq!(info.len(), 1, "{cell}");
                assert_eq!(info[0].actor, None, "{cell}");
            }
            assert!(matches!(app.child::<FaultyWorker>("w"), Err(actor_core::SupervisorError::NotFound(_))), "{cell}");
            assert_eq!(plan.starts(), 1, "{cell}: started again");
        }
    }
    let report = within(system.shutdown()).await;
    assert!(report.is_clean(), "{cell}: {report}");
}

// Breaks if any cell of the restart matrix deviates from OTP (e.g. a Transient child restarted after a normal exit).
#[tokio::test(start_paused = true)]
async fn restart_type_by_exit_reason_matrix() {
    for &(restart, exit, expected) in MATRIX {
        run_cell(restart, exit, expected).await;
    }
}

// Breaks if a Temporary child is restarted when a sibling's failure stopped it under OneForAll.
#[tokio::test(start_paused = true)]
async fn temporary_sibling_stopped_by_one_for_all_is_removed() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = within(
        Supervisor::builder("app")
            .strategy(actor_core::Strategy::OneForAll)
            .child(FaultyWorker::spec("a", FaultPlan::new().panic_on_message(1), &log))
            .child(FaultyWorker::spec("t", FaultPlan::new(), &log).restart(Restart::Temporary))
            .child(FaultyWorker::spec("c", FaultPlan::new(), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    let t = app.child::<FaultyWorker>("t").unwrap();
    log.take();
    let a = app.child::<FaultyWorker>("a").unwrap();
    assert!(matches!(within(a.ask(Work(1))).await, Err(AskError::Panicked(_))));
    within(log.wait_for_len(5)).await;
    assert_eq!(
        log.lines(),
        [
            "a stopped (panicked: planned panic on message 1)",
            "c stopped (shutdown)",
            "t stopped (shutdown)",
            "a started",
            "c started",
        ]
    );
    assert_eq!(within(t.wait_for_stop()).await, ExitReason::Shutdown);
    let ids: Vec<String> = within(app.which_children()).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, ["a", "c"]);
    assert!(within(system.shutdown()).await.is_clean());
}
