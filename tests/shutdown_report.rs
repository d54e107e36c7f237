//! Shutdown report: top-level actors stop in reverse spawn order; each line
//! carries the drained and dropped counts and the outcome; `Display` names
//! every actor; an actor past its drain deadline is killed and its queued
//! tells reported dropped; repeated shutdowns return the same report.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ShutdownCause, StopOutcome};
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within_long as within;

type Order = Arc<Mutex<Vec<String>>>;

/// Records its name in a shared list when it stops.
struct Part {
    order: Order,
}

impl Actor for Part {
    const MAILBOX: usize = 16;

    async fn on_stop(&mut self, ctx: &mut Context<Self>, _reason: &ExitReason) {
        self.order.lock().unwrap().push(ctx.name().to_owned());
    }
}

/// Handled slowly: the handler sleeps (paused clock) before returning.
struct Slow(Duration);

impl Handler<Slow> for Part {
    type Reply = ();
    async fn handle(&mut self, Slow(d): Slow, _ctx: &mut Context<Self>) {
        tokio::time::sleep(d).await;
    }
}

/// Holds the handler until the gate fires (or forever).
struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Part {
    type Reply = ();
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        let _ = gate.await;
    }
}

// Breaks if shutdown stops actors in spawn order (or any order but the reverse), or omits one.
#[tokio::test]
async fn actors_stop_in_reverse_spawn_order_and_display_names_each() {
    let system = ActorSystem::builder().name("shop").build().unwrap();
    let order = Order::default();
    let names = ["db", "cache", "api", "web"];
    let refs: Vec<_> = names.iter().map(|n| system.spawn_named(n, Part { order: order.clone() }).unwrap()).collect();

    let report = within(system.shutdown()).await;
    let reversed: Vec<&str> = names.iter().rev().copied().collect();
    assert_eq!(report.actors.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), reversed);
    assert_eq!(*order.lock().unwrap(), reversed, "on_stop ran in the same order");
    assert_eq!(report.system, "shop");
    assert_eq!(report.cause, ShutdownCause::Requested);
    assert!(report.is_clean());
    for (line, actor) in report.actors.iter().zip(refs.iter().rev()) {
        assert_eq!(line.id, actor.id());
        assert_eq!(line.outcome, StopOutcome::Stopped(ExitReason::Shutdown));
        assert_eq!((line.drained, line.dropped), (0, 0));
    }
    let text = report.to_string();
    for (name, actor) in names.iter().zip(&refs) {
        assert!(text.contains(&format!("{name}{}", actor.id())), "{name} missing from:\n{text}");
    }
    assert!(text.contains("4 actors"), "{text}");
    let debug = format!("{report:?}");
    for name in names {
        assert!(debug.contains(name), "{name} missing from {debug}");
    }
}

// Breaks if messages handled after the stop request are not counted as drained.
#[tokio::test(start_paused = true)]
async fn the_report_counts_messages_drained_after_the_stop_request() {
    let system = ActorSystem::builder().drain_timeout(Duration::from_secs(10)).build().unwrap();
    let order = Order::default();
    let part = system.spawn_named("worker", Part { order: order.clone() }).unwrap();
    // Queued before the actor first runs, so it picks all six up at once.
    let (started_tx, started_rx) = oneshot::channel();
    part.tell(SlowStart { started: started_tx, d: Duration::from_secs(1) }).await.unwrap();
    for _ in 0..5 {
        part.tell(Slow(Duration::from_millis(1))).await.unwrap();
    }
    within(started_rx).await.unwrap();
    // The stop request lands while the first message is still being handled.
    let report = within(system.shutdown()).await;
    let line = report.actor("worker").expect("the worker is in the report");
    assert_eq!(line.outcome, StopOutcome::Stopped(ExitReason::Shutdown));
    assert_eq!(line.drained, 5, "the five messages queued behind the slow one were drained");
    assert_eq!(line.dropped, 0);
    assert!(report.to_string().contains("5 drained"), "{report}");
}

// Breaks if a stop request that arrives before the actor first runs skips its queued messages.
#[tokio::test(start_paused = true)]
async fn messages_queued_before_the_first_run_are_all_drained() {
    let system = ActorSystem::new();
    let order = Order::default();
    let part = system.spawn_named("early", Part { order: order.clone() }).unwrap();
    for _ in 0..6 {
        part.tell(Slow(Duration::from_millis(1))).await.unwrap();
    }
    let report = within(system.shutdown()).await;
    let line = report.actor("early").unwrap();
    assert_eq!((line.drained, line.dropped), (6, 0));
    assert_eq!(line.outcome, StopOutcome::Stopped(ExitReason::Shutdown));
}

/// Like `Slow`, announcing that its handler started.
struct SlowStart {
    started: oneshot::Sender<()>,
    d: Duration,
}

impl Handler<SlowStart> for Part {
    type Reply = ();
    async fn handle(&mut self, SlowStart { started, d }: SlowStart, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        tokio::time::sleep(d).await;
    }
}

// Breaks if an actor stuck past its drain deadline hangs shutdown, or its queued tells go unreported.
#[tokio::test(start_paused = true)]
async fn an_actor_past_its_drain_deadline_is_killed_and_its_drops_reported() {
    let system = ActorSystem::builder().drain_timeout(Duration::from_secs(1)).build().unwrap();
    let order = Order::default();
    let quick = system.spawn_named("quick", Part { order: order.clone() }).unwrap();
    let stuck = system.spawn_named("stuck", Part { order: order.clone() }).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (_gate, gate_rx) = oneshot::channel::<()>();
    stuck.tell(Block { started: started_tx, gate: gate_rx }).await.unwrap();
    within(started_rx).await.unwrap();
    for _ in 0..3 {
        stuck.tell(Slow(Duration::ZERO)).await.unwrap();
    }

    let report = within(system.shutdown()).await;
    let line = report.actor("stuck").unwrap();
    assert_eq!(line.outcome, StopOutcome::Killed);
    assert_eq!((line.drained, line.dropped), (0, 3));
    assert_eq!(system.dead_letters(), 3);
    assert_eq!(report.actor("quick").unwrap().outcome, StopOutcome::Stopped(ExitReason::Shutdown));
    assert!(!report.is_clean());
    assert_eq!(within(stuck.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(within(quick.wait_for_stop()).await, ExitReason::Shutdown);
    let text = report.to_string();
    assert!(text.contains("NOT CLEAN") && text.contains("killed at the drain deadline"), "{text}");
    assert!(text.contains("3 dropped"), "{text}");
}

// Breaks if a second (or concurrent) shutdown runs the stop sequence again or reports differently.
#[tokio::test]
async fn repeated_and_concurrent_shutdowns_return_the_same_report() {
    let system = ActorSystem::new();
    let order = Order::default();
    for name in ["a", "b"] {
        system.spawn_named(name, Part { order: order.clone() }).unwrap();
    }
    let other = system.clone();
    let (first, second) = within(async { tokio::join!(system.shutdown(), other.shutdown()) }).await;
    assert_eq!(first, second);
    assert_eq!(within(system.shutdown()).await, first);
    assert_eq!(order.lock().unwrap().len(), 2, "each actor stopped once");
    assert!(system.is_stopping());
    assert_eq!(system.actor_count(), 0);
}

// Breaks if actors that already stopped before shutdown are reported, or block it.
#[tokio::test]
async fn actors_stopped_before_shutdown_do_not_hold_it_up() {
    let system = ActorSystem::new();
    let order = Order::default();
    let gone = system.spawn_named("gone", Part { order: order.clone() }).unwrap();
    let _live = system.spawn_named("live", Part { order: order.clone() }).unwrap();
    gone.stop();
    within(gone.wait_for_stop()).await;
    let report = within(system.shutdown()).await;
    assert!(report.is_clean());
    assert!(report.actor("live").is_some());
    assert!(report.actor("gone").is_none());
}

/// Stops the actor it holds from its own `on_stop` and waits for it.
struct Holder {
    held: Option<ActorRef<Part>>,
}

impl Actor for Holder {
    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        if let Some(held) = self.held.take() {
            held.stop();
            held.wait_for_stop().await;
        }
    }
}

// Breaks if an actor that stopped after shutdown began, before shutdown
// reached it, gets a second line when shutdown does.
#[tokio::test]
async fn an_actor_stopped_during_shutdown_has_one_line() {
    let system = ActorSystem::new();
    let order = Order::default();
    // Spawned first, so shutdown reaches it last; by then the holder's
    // `on_stop` has stopped it.
    let held = system.spawn_named("held", Part { order: order.clone() }).unwrap();
    let held_id = held.id();
    let _holder = system.spawn_named("holder", Holder { held: Some(held) }).unwrap();
    let report = within(system.shutdown()).await;
    let lines: Vec<_> = report.actors.iter().filter(|a| a.id == held_id).collect();
    assert_eq!(lines.len(), 1, "{report}");
    assert_eq!(lines[0].outcome, StopOutcome::Stopped(ExitReason::Normal));
    assert_eq!(report.actors.len(), 2, "{report}");
    assert!(report.is_clean());
}
