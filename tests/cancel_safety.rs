//! Cancel safety: a send future dropped while it waits for mailbox space has
//! not enqueued its message, so "accepted" always means "Ok was returned".

use std::future::IntoFuture;
use std::pin::pin;
use std::time::Duration;

use actor_core::prelude::*;
use futures::{FutureExt, poll};

#[path = "support/gated.rs"]
mod gated;

use gated::{Gated, Log, Num, park_and_fill};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

// Breaks if dropping a pending tell (e.g. losing a select!) still delivers its message later.
#[tokio::test]
async fn a_dropped_pending_tell_never_enqueues() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let gate = park_and_fill(&actor).await;
    {
        let mut pending = pin!(actor.tell(Num(2)));
        assert!(poll!(pending.as_mut()).is_pending());
    }
    gate.send(()).unwrap();
    assert_eq!(within(actor.ask(Log)).await.unwrap(), vec![1]);
    within(system.shutdown()).await;
}

// Breaks if tell_timeout, Recipient::tell or a pending ask enqueue after being dropped.
#[tokio::test]
async fn every_dropped_pending_send_never_enqueues() {
    let system = ActorSystem::new();
    let actor = system.spawn(Gated::default()).unwrap();
    let recipient = actor.recipient::<Num>();
    let gate = park_and_fill(&actor).await;
    {
        let mut by_timeout = pin!(actor.tell_timeout(Num(2), Duration::from_secs(60)));
        let mut by_recipient = pin!(recipient.tell(Num(3)));
        let mut by_recipient_timeout = pin!(recipient.tell_timeout(Num(4), Duration::from_secs(60)));
        let mut by_ask = pin!(actor.ask(Num(5)).into_future());
        assert!(poll!(by_timeout.as_mut()).is_pending());
        assert!(poll!(by_recipient.as_mut()).is_pending());
        assert!(poll!(by_recipient_timeout.as_mut()).is_pending());
        assert!(poll!(by_ask.as_mut()).is_pending());
    }
    gate.send(()).unwrap();
    assert_eq!(within(actor.ask(Log)).await.unwrap(), vec![1]);
    // The capacity the dropped senders waited for is free again.
    within(actor.tell(Num(6))).await.unwrap();
    assert_eq!(within(actor.ask(Log)).await.unwrap(), vec![1, 6]);
    within(system.shutdown()).await;
}

/// Counts what it handles, yielding once per message to keep the mailbox busy.
#[derive(Default)]
struct Counter {
    handled: u64,
}

impl Actor for Counter {
    const MAILBOX: usize = 2;
}

struct Tick;

impl Handler<Tick> for Counter {
    type Reply = ();
    async fn handle(&mut self, _: Tick, _ctx: &mut Context<Self>) {
        self.handled += 1;
        tokio::task::yield_now().await;
    }
}

struct Handled;

impl Handler<Handled> for Counter {
    type Reply = u64;
    async fn handle(&mut self, _: Handled, _ctx: &mut Context<Self>) -> u64 {
        self.handled
    }
}

// Breaks if a tell cancelled at an arbitrary point can be both "not accepted" and handled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_contention_handled_equals_sends_that_returned_ok() {
    const PRODUCERS: usize = 4;
    const ATTEMPTS: usize = 3_000;
    let system = ActorSystem::new();
    let actor = system.spawn(Counter::default()).unwrap();
    let mut tasks = Vec::new();
    for _ in 0..PRODUCERS {
        let a = actor.clone();
        tasks.push(tokio::spawn(async move {
            let mut accepted = 0u64;
            for i in 0..ATTEMPTS {
                // Polled once and dropped if it would wait: the cancellation under test.
                let outcome = if i % 2 == 0 {
                    a.tell(Tick).now_or_never()
                } else {
                    a.tell_timeout(Tick, Duration::from_secs(60)).now_or_never()
                };
                match outcome {
                    Some(Ok(())) => accepted += 1,
                    Some(Err(e)) => panic!("unexpected send error: {e}"),
                    None => tokio::task::yield_now().await,
                }
            }
            accepted
        }));
    }
    let mut accepted = 0;
    for t in tasks {
        accepted += within(t).await.unwrap();
    }
    assert!(accepted > 0);
    assert_eq!(within(actor.ask(Handled)).await.unwrap(), accepted);
    within(system.shutdown()).await;
}
