//! The test kit's own guarantees: a `TestProbe` yields messages in arrival
//! order and fails an expectation at its deadline (virtual time, no real
//! waiting); `EventLog` waits wake on the entry that satisfies them and
//! count from the last `take`; `FaultPlan` counts across incarnations.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::testkit::{EventLog, Fault, FaultPlan, FaultyWorker, LogEvent, TestProbe, Work};
use tokio::time::Instant;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

// Breaks if the probe reorders messages or expect_no_message ends before its deadline.
#[tokio::test(start_paused = true)]
async fn probe_receives_in_order_and_waits_in_virtual_time() {
    let system = ActorSystem::new();
    let mut probe = TestProbe::<u32>::new(&system).unwrap();
    let to = probe.recipient();
    for n in 1..=3 {
        to.tell(n).await.unwrap();
    }
    for n in 1..=3 {
        assert_eq!(probe.expect_message(Duration::from_secs(1)).await, n);
    }
    let t0 = Instant::now();
    probe.expect_no_message(Duration::from_secs(60)).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(60));
    let r = probe.actor_ref().clone();
    r.kill();
    assert_eq!(probe.expect_terminated(&r, Duration::from_secs(1)).await, ExitReason::Killed);
}

// Breaks if a missing message does not fail the expectation.
#[tokio::test(start_paused = true)]
#[should_panic(expected = "expected a u32 within")]
async fn expect_message_fails_at_the_deadline() {
    let system = ActorSystem::new();
    let mut probe = TestProbe::<u32>::new(&system).unwrap();
    probe.expect_message(Duration::from_millis(10)).await;
}

// Breaks if an unexpected message passes expect_no_message.
#[tokio::test(start_paused = true)]
#[should_panic(expected = "expected no message")]
async fn expect_no_message_fails_on_a_message() {
    let system = ActorSystem::new();
    let mut probe = TestProbe::<u32>::new(&system).unwrap();
    probe.recipient().tell(1).await.unwrap();
    probe.expect_no_message(Duration::from_millis(10)).await;
}

// Breaks if an EventLog wait misses an entry recorded from another task or returns early.
#[tokio::test(start_paused = true)]
async fn event_log_waits_wake_on_the_entry() {
    let log = EventLog::new();
    let writer = log.clone();
    let task = tokio::spawn(async move {
        for n in 0..3 {
            tokio::time::sleep(Duration::from_secs(1)).await;
            writer.record("w", LogEvent::Handled(n));
        }
    });
    let entries = within(log.wait_for("w", &LogEvent::Handled(1))).await;
    assert_eq!(entries.len(), 2);
    assert_eq!(within(log.wait_for_len(3)).await.len(), 3);
    within(task).await.unwrap();
    assert_eq!(log.take_lines(), ["w handled 0", "w handled 1", "w handled 2"]);
    assert!(log.is_empty());
}

// Breaks if a wait after take counts entries that were taken, or count and wait_for_count miss entries of some actor.
#[tokio::test(start_paused = true)]
async fn event_log_waits_count_from_the_last_take() {
    let log = EventLog::new();
    for actor in ["a", "b", "a"] {
        log.record(actor, LogEvent::Started);
    }
    log.record("a", LogEvent::Handled(1));
    assert_eq!(log.count(&LogEvent::Started), 3);
    assert_eq!(within(log.wait_for_count(&LogEvent::Started, 3)).await.len(), 4);
    assert_eq!(log.take().len(), 4);
    assert_eq!(log.count(&LogEvent::Started), 0);
    let writer = log.clone();
    let task = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        writer.record("c", LogEvent::Started);
    });
    let t0 = Instant::now();
    let entries = within(log.wait_for_len(1)).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(1));
    assert_eq!(entries, [("c".to_owned(), LogEvent::Started)]);
    within(task).await.unwrap();
}

// Breaks if the plan's counters restart with each incarnation instead of spanning them.
#[tokio::test(start_paused = true)]
async fn fault_plan_counts_across_incarnations() {
    let system = ActorSystem::new();
    let log = EventLog::new();
    let plan = FaultPlan::new().fail_start(1).on_message(2, Fault::DropReply);
    let factory = FaultyWorker::factory(plan.clone(), log.clone());
    let first = system.spawn(factory()).unwrap();
    assert!(matches!(within(first.wait_for_stop()).await, ExitReason::Failed(_)));
    let second = system.spawn(factory()).unwrap();
    assert_eq!(within(second.ask(Work(1))).await, Ok(1));
    assert_eq!(within(second.ask(Work(2))).await, Err(AskError::NoReply));
    assert_eq!((plan.starts(), plan.messages()), (2, 2));
    second.stop();
    within(second.wait_for_stop()).await;
    assert_eq!(plan.stops(), 2);
}
