//! Graceful stop: after `stop()` no new message is accepted, every message
//! accepted before it is handled, then `on_stop` runs once. `stop()` is
//! idempotent and every `wait_for_stop` waiter is released.

use std::future::IntoFuture;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorStatus, StopOutcome};
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Counts what it handles; reports the count from `on_stop`, and signals once
/// it has handled `warm` messages.
struct Sink {
    handled: u64,
    warm: u64,
    warmed: Option<oneshot::Sender<()>>,
    on_stop: Option<oneshot::Sender<(u64, ExitReason)>>,
    stops: Arc<AtomicU64>,
}

/// What a test keeps of a `Sink`: warm-up signal, stop report, `on_stop` count.
type SinkProbe = (oneshot::Receiver<()>, oneshot::Receiver<(u64, ExitReason)>, Arc<AtomicU64>);

impl Sink {
    fn new(warm: u64) -> (Self, SinkProbe) {
        let (warm_tx, warm_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let stops = Arc::new(AtomicU64::new(0));
        let sink = Sink { handled: 0, warm, warmed: Some(warm_tx), on_stop: Some(stop_tx), stops: stops.clone() };
        (sink, (warm_rx, stop_rx, stops))
    }
}

impl Actor for Sink {
    const MAILBOX: usize = 16;

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        self.stops.fetch_add(1, Ordering::SeqCst);
        if let Some(tx) = self.on_stop.take() {
            let _ = tx.send((self.handled, reason.clone()));
        }
    }
}

struct Work;

impl Handler<Work> for Sink {
    type Reply = ();
    async fn handle(&mut self, _: Work, _ctx: &mut Context<Self>) {
        self.handled += 1;
        if self.handled == self.warm
            && let Some(tx) = self.warmed.take()
        {
            let _ = tx.send(());
        }
        // Suspends now and then, so a stop can land mid-stream.
        if self.handled.is_multiple_of(7) {
            tokio::task::yield_now().await;
        }
    }
}

/// Producers hammer `tell` until it returns `Closed`; returns how many were accepted.
fn producers(actor: &ActorRef<Sink>, n: usize) -> Vec<tokio::task::JoinHandle<u64>> {
    (0..n)
        .map(|_| {
            let a = actor.clone();
            tokio::spawn(async move {
                let mut accepted = 0;
                loop {
                    match a.tell(Work).await {
                        Ok(()) => accepted += 1,
                        Err(SendError::Closed(Work)) => return accepted,
                        Err(e) => panic!("unexpected send error: {e}"),
                    }
                }
            })
        })
        .collect()
}

// Breaks if stop() loses a message that tell() accepted (Ok) before or during the stop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_handles_every_message_accepted_before_it() {
    let system = ActorSystem::new();
    let (sink, (warmed, stopped, stops)) = Sink::new(500);
    let actor = system.spawn(sink).unwrap();
    let tasks = producers(&actor, 4);
    within(warmed).await.unwrap();
    actor.stop();
    let mut accepted = 0;
    for t in tasks {
        accepted += within(t).await.unwrap();
    }
    let (handled, reason) = within(stopped).await.unwrap();
    assert_eq!(reason, ExitReason::Normal);
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(handled, accepted, "accepted {accepted}, handled {handled}");
    assert_eq!(actor.metrics().processed, accepted);
    assert_eq!(system.dead_letters(), 0, "a plain stop drops nothing");
    assert_eq!(stops.load(Ordering::SeqCst), 1);
    within(system.shutdown()).await;
}

// Breaks if shutdown's accounting misses messages: accepted must equal handled plus reported dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_accounts_for_every_accepted_message() {
    let system = ActorSystem::builder().drain_timeout(Duration::from_secs(20)).build().unwrap();
    let (sink, (warmed, stopped, _stops)) = Sink::new(500);
    let actor = system.spawn(sink).unwrap();
    let tasks = producers(&actor, 4);
    within(warmed).await.unwrap();
    let report = within(system.shutdown()).await;
    let mut accepted = 0;
    for t in tasks {
        accepted += within(t).await.unwrap();
    }
    let (handled, reason) = within(stopped).await.unwrap();
    assert_eq!(reason, ExitReason::Shutdown);
    let line = report.actors.iter().find(|a| a.id == actor.id()).expect("the actor is in the report");
    assert_eq!(line.outcome, StopOutcome::Stopped(ExitReason::Shutdown));
    assert_eq!(handled + line.dropped, accepted, "accepted {accepted}, handled {handled}, dropped {}", line.dropped);
    assert!(line.drained <= handled);
}

/// Logs what it handles; `Block` holds the handler until released.
struct Logger {
    log: Vec<String>,
    out: Option<oneshot::Sender<Vec<String>>>,
}

impl Actor for Logger {
    const MAILBOX: usize = 8;

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        self.log.push(format!("stop: {reason}"));
        if let Some(out) = self.out.take() {
            let _ = out.send(self.log.clone());
        }
    }
}

struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Logger {
    type Reply = ();
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        let _ = gate.await;
        self.log.push("block".to_owned());
    }
}

struct Note(&'static str);

impl Handler<Note> for Logger {
    type Reply = usize;
    async fn handle(&mut self, Note(s): Note, ctx: &mut Context<Self>) -> usize {
        self.log.push(s.to_owned());
        if s == "stop-me" {
            ctx.stop();
        }
        self.log.len()
    }
}

// Breaks if stop() keeps accepting sends, or drops what was queued before it.
#[tokio::test]
async fn queued_messages_and_asks_are_handled_after_stop_and_new_ones_are_refused() {
    let system = ActorSystem::new();
    let (out_tx, out_rx) = oneshot::channel();
    let logger = system.spawn(Logger { log: Vec::new(), out: Some(out_tx) }).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    logger.tell(Block { started: started_tx, gate: gate_rx }).await.unwrap();
    within(started_rx).await.unwrap();
    logger.try_tell(Note("a")).unwrap();
    logger.try_tell(Note("b")).unwrap();
    let l = logger.clone();
    let (asked_tx, asked_rx) = oneshot::channel();
    let asker = tokio::spawn(async move {
        let fut = l.ask(Note("c"));
        let mut fut = std::pin::pin!(fut.into_future());
        assert!(futures::poll!(fut.as_mut()).is_pending());
        asked_tx.send(()).unwrap();
        fut.await
    });
    within(asked_rx).await.unwrap();

    logger.stop();
    assert_eq!(logger.status(), ActorStatus::Stopping);
    assert!(matches!(logger.try_tell(Note("late")), Err(TrySendError::Closed(Note("late")))));
    assert!(within(logger.tell(Note("late"))).await.unwrap_err().is_closed());
    assert_eq!(within(logger.ask(Note("late"))).await, Err(AskError::Stopped));

    gate_tx.send(()).unwrap();
    assert_eq!(within(asker).await.unwrap(), Ok(4), "a queued ask is answered during the drain");
    assert_eq!(within(logger.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(within(out_rx).await.unwrap(), ["block", "a", "b", "c", "stop: normal"]);
    assert_eq!(logger.status(), ActorStatus::Stopped);
    assert!(!logger.is_alive());
    within(system.shutdown()).await;
}

// Breaks if ctx.stop() from a handler skips the messages queued behind it.
#[tokio::test]
async fn ctx_stop_drains_the_messages_queued_behind_it() {
    let system = ActorSystem::new();
    let (out_tx, out_rx) = oneshot::channel();
    let logger = system.spawn(Logger { log: Vec::new(), out: Some(out_tx) }).unwrap();
    for note in ["a", "stop-me", "b", "c"] {
        logger.tell(Note(note)).await.unwrap();
    }
    assert_eq!(within(logger.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(within(out_rx).await.unwrap(), ["a", "stop-me", "b", "c", "stop: normal"]);
    within(system.shutdown()).await;
}

// Breaks if a second stop() (or a later kill()) runs on_stop again, changes the reason, or strands a waiter.
#[tokio::test]
async fn stop_is_idempotent_and_releases_every_waiter() {
    let system = ActorSystem::new();
    let (sink, (_warmed, stopped, stops)) = Sink::new(u64::MAX);
    let actor = system.spawn(sink).unwrap();
    actor.tell(Work).await.unwrap();
    let mut waiters: Vec<_> = (0..3).map(|_| Box::pin(actor.wait_for_stop())).collect();
    for w in &mut waiters {
        assert!(futures::poll!(w.as_mut()).is_pending(), "each waiter is parked before the stop");
    }
    actor.stop();
    actor.stop();
    actor.stop();
    for w in waiters {
        assert_eq!(within(w).await, ExitReason::Normal);
    }
    actor.stop();
    actor.kill();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(within(stopped).await.unwrap(), (1, ExitReason::Normal));
    assert_eq!(stops.load(Ordering::SeqCst), 1, "on_stop ran exactly once");
    within(system.shutdown()).await;
}
