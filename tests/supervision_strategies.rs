//! Each strategy's exact stop/start sequence: OneForOne touches only the
//! failed child; OneForAll stops the others in reverse start order and
//! starts all in start order; RestForOne does the same for the children
//! started after the failed one. First, middle and last child failures.

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, Incarnation, LogEvent, Work};
use actor_core::{Strategy, Supervisor};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

const IDS: [&str; 3] = ["a", "b", "c"];

/// Spawns a, b, c under `strategy`, fails `failing` and returns the log
/// lines of what followed, once `expected_len` entries arrived.
async fn failure_sequence(strategy: Strategy, failing: &str, expected_len: usize) -> Vec<String> {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let mut builder = Supervisor::builder("app").strategy(strategy);
    for id in IDS {
        let plan = if id == failing { FaultPlan::new().panic_on_message(1) } else { FaultPlan::new() };
        builder = builder.child(FaultyWorker::spec(id, plan, &log));
    }
    let app = within(builder.spawn(&system)).await.unwrap();
    assert_eq!(log.take_lines(), ["a started", "b started", "c started"]);

    let child = app.child::<FaultyWorker>(failing).unwrap();
    assert!(matches!(within(child.ask(Work(1))).await, Err(AskError::Panicked(_))));
    within(log.wait_for_len(expected_len)).await;
    // Every child answers afterwards, and nothing else happened meanwhile.
    for id in IDS {
        let r = app.child::<FaultyWorker>(id).unwrap();
        assert!(within(r.ask(Incarnation)).await.is_ok(), "{id} does not answer");
    }
    let lines = log.lines();
    assert!(within(system.shutdown()).await.is_clean());
    lines
}

const PANIC: &str = "stopped (panicked: planned panic on message 1)";

fn seq(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.replace("PANIC", PANIC)).collect()
}

// Breaks if OneForOne stops or restarts a sibling of the failed child.
#[tokio::test(start_paused = true)]
async fn one_for_one_restarts_only_the_failed_child() {
    for failing in IDS {
        let got = failure_sequence(Strategy::OneForOne, failing, 2).await;
        assert_eq!(got, seq(&[&format!("{failing} PANIC"), &format!("{failing} started")]), "failing {failing}");
    }
}

// Breaks if OneForAll misses a sibling, stops them out of reverse start order, or restarts out of start order.
#[tokio::test(start_paused = true)]
async fn one_for_all_stops_all_in_reverse_and_starts_all_in_order() {
    let cases: [(&str, &[&str]); 3] = [
        ("a", &["a PANIC", "c stopped (shutdown)", "b stopped (shutdown)", "a started", "b started", "c started"]),
        ("b", &["b PANIC", "c stopped (shutdown)", "a stopped (shutdown)", "a started", "b started", "c started"]),
        ("c", &["c PANIC", "b stopped (shutdown)", "a stopped (shutdown)", "a started", "b started", "c started"]),
    ];
    for (failing, expected) in cases {
        let got = failure_sequence(Strategy::OneForAll, failing, expected.len()).await;
        assert_eq!(got, seq(expected), "failing {failing}");
    }
}

// Breaks if RestForOne touches a child started before the failed one or orders the rest wrongly.
#[tokio::test(start_paused = true)]
async fn rest_for_one_restarts_the_failed_child_and_those_after_it() {
    let cases: [(&str, &[&str]); 3] = [
        ("a", &["a PANIC", "c stopped (shutdown)", "b stopped (shutdown)", "a started", "b started", "c started"]),
        ("b", &["b PANIC", "c stopped (shutdown)", "b started", "c started"]),
        ("c", &["c PANIC", "c started"]),
    ];
    for (failing, expected) in cases {
        let got = failure_sequence(Strategy::RestForOne, failing, expected.len()).await;
        assert_eq!(got, seq(expected), "failing {failing}");
    }
}

// Breaks if a OneForAll restart rebuilds siblings from scratch without keeping their handles.
#[tokio::test(start_paused = true)]
async fn one_for_all_keeps_every_siblings_handle() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let app = within(
        Supervisor::builder("app")
            .strategy(Strategy::OneForAll)
            .child(FaultyWorker::spec("a", FaultPlan::new(), &log))
            .child(FaultyWorker::spec("b", FaultPlan::new().fail_on_message(1), &log))
            .spawn(&system),
    )
    .await
    .unwrap();
    let a = app.child::<FaultyWorker>("a").unwrap();
    let b = app.child::<FaultyWorker>("b").unwrap();
    assert_eq!(within(b.ask(Work(1))).await, Ok(1));
    within(log.wait_for_count(&LogEvent::Started, 4)).await;
    assert_eq!(log.count(&LogEvent::Started), 4);
    // The old handles reach the second incarnations.
    assert_eq!(within(a.ask(Incarnation)).await, Ok(2));
    assert_eq!(within(b.ask(Incarnation)).await, Ok(2));
    assert_eq!((a.metrics().restarts, b.metrics().restarts), (1, 1));
    assert_eq!(app.child::<FaultyWorker>("a").unwrap(), a);
    assert!(within(system.shutdown()).await.is_clean());
}
