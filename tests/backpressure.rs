//! Backpressure: a full mailbox makes `tell` wait (and wakes it when space
//! frees), makes `try_tell` and `try_ask` fail with `Full`, and makes
//! `tell_timeout` fail with `Timeout`; a stopped actor answers `Closed`.
//! Every failed send hands the message back.

use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use futures::poll;

#[path = "support/gated.rs"]
mod gated;

use gated::{Gated, Log, Num, park_and_fill};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

// Breaks if tell does not wait on a full mailbox, or is never woken when space frees.
#[tokio::test]
async fn tell_waits_while_full_and_completes_when_space_frees() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let gate = park_and_fill(&actor).await;

    let mut pending = pin!(actor.tell(Num(2)));
    assert!(poll!(pending.as_mut()).is_pending(), "tell must wait while the mailbox is full");
    assert!(poll!(pending.as_mut()).is_pending());

    gate.send(()).unwrap();
    within(pending).await.unwrap();
    assert_eq!(within(actor.ask(Log)).await.unwrap(), vec![1, 2]);
    within(system.shutdown()).await;
}

// Breaks if try_tell merges Full and Closed, or loses the message instead of handing it back.
#[tokio::test]
async fn try_tell_tells_full_from_closed_and_hands_the_message_back() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let gate = park_and_fill(&actor).await;

    match actor.try_tell(Num(2)) {
        Err(TrySendError::Full(Num(n))) => assert_eq!(n, 2),
        other => panic!("expected Full(Num(2)), got {other:?}"),
    }
    let full = actor.try_tell(Num(3)).unwrap_err();
    assert!(full.is_full());
    assert_eq!(full.to_string(), "mailbox full");
    assert_eq!(full.into_inner().0, 3);

    actor.stop();
    gate.send(()).unwrap();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);

    match actor.try_tell(Num(4)) {
        Err(TrySendError::Closed(Num(n))) => assert_eq!(n, 4),
        other => panic!("expected Closed(Num(4)), got {other:?}"),
    }
    match within(actor.tell(Num(5))).await {
        Err(SendError::Closed(Num(n))) => assert_eq!(n, 5),
        other => panic!("expected Closed(Num(5)), got {other:?}"),
    }
    match within(actor.tell_timeout(Num(6), Duration::from_secs(1))).await {
        Err(SendError::Closed(Num(n))) => assert_eq!(n, 6),
        other => panic!("expected Closed(Num(6)), got {other:?}"),
    }
    within(system.shutdown()).await;
}

// Breaks if tell_timeout waits past its deadline on a full mailbox, or enqueues after timing out.
#[tokio::test(start_paused = true)]
async fn tell_timeout_on_a_full_mailbox_times_out_and_hands_the_message_back() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let gate = park_and_fill(&actor).await;

    let started = tokio::time::Instant::now();
    match within(actor.tell_timeout(Num(2), Duration::from_millis(100))).await {
        Err(SendError::Timeout(Num(n))) => assert_eq!(n, 2),
        other => panic!("expected Timeout(Num(2)), got {other:?}"),
    }
    assert!(started.elapsed() >= Duration::from_millis(100));

    gate.send(()).unwrap();
    assert_eq!(within(actor.ask(Log)).await.unwrap(), vec![1], "a timed-out tell must not be enqueued");
    within(system.shutdown()).await;
}

// Breaks if try_ask waits for space (or enqueues) instead of failing with Full.
#[tokio::test]
async fn try_ask_on_a_full_mailbox_is_full() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let gate = park_and_fill(&actor).await;

    assert_eq!(within(actor.try_ask(Num(2))).await, Err(AskError::Full));
    assert_eq!(within(actor.try_ask(Log)).await, Err(AskError::Full));

    gate.send(()).unwrap();
    assert_eq!(within(actor.ask(Log)).await.unwrap(), vec![1]);
    assert_eq!(within(actor.try_ask(Log)).await.unwrap(), vec![1], "try_ask succeeds once there is space");
    within(system.shutdown()).await;
}

// Breaks if a tell waiting for space is left hanging when the actor stops instead of getting Closed.
#[tokio::test]
async fn a_tell_waiting_for_space_gets_closed_when_the_actor_stops() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let gate = park_and_fill(&actor).await;

    let mut pending = pin!(actor.tell(Num(2)));
    assert!(poll!(pending.as_mut()).is_pending());
    actor.stop();
    gate.send(()).unwrap();
    match within(pending).await {
        Err(SendError::Closed(Num(n))) => assert_eq!(n, 2),
        other => panic!("expected Closed(Num(2)), got {other:?}"),
    }
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);
    within(system.shutdown()).await;
}

// Breaks if a full mailbox can delay stop or kill (they must travel on the control lane).
#[tokio::test]
async fn kill_reaches_an_actor_whose_mailbox_is_full() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let _gate = park_and_fill(&actor).await;

    let mut pending = pin!(actor.tell(Num(2)));
    assert!(poll!(pending.as_mut()).is_pending());
    actor.kill();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Killed);
    assert!(within(pending).await.unwrap_err().is_closed());
    within(system.shutdown()).await;
}
