//! Forwarding bus events into actors: in order, through the mailbox, and
//! only while the actor runs and the handle is held.

use actor_core::prelude::*;
use tokio::sync::{mpsc, oneshot};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Price(u32);

/// Reports every price it handles to the test.
struct Watcher {
    log: mpsc::UnboundedSender<u32>,
}
impl Actor for Watcher {
    const MAILBOX: usize = 4;
}
impl Handler<Price> for Watcher {
    type Reply = ();
    async fn handle(&mut self, Price(p): Price, _ctx: &mut Context<Self>) {
        let _ = self.log.send(p);
    }
}
/// Blocks the actor until the gate opens.
struct Hold(oneshot::Receiver<()>);
impl Handler<Hold> for Watcher {
    type Reply = ();
    async fn handle(&mut self, Hold(gate): Hold, _ctx: &mut Context<Self>) {
        let _ = gate.await;
    }
}

fn watcher(system: &ActorSystem) -> (ActorRef<Watcher>, mpsc::UnboundedReceiver<u32>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (system.spawn(Watcher { log: tx }).expect("spawn"), rx)
}

#[tokio::test]
async fn events_reach_the_actor_in_order() {
    // Breaks if the forwarder reorders, drops or duplicates events on their way into the mailbox.
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, mut log) = watcher(&system);
    let forwarding = bus.subscribe_actor::<Price, _>(&actor);
    assert_eq!(forwarding.target(), actor.id());
    for p in 0..100 {
        assert_eq!(bus.publish(Price(p)), 1);
    }
    for p in 0..100 {
        assert_eq!(within(log.recv()).await, Some(p));
    }
    assert_eq!(forwarding.forwarded(), 100);
    system.shutdown().await;
}

#[tokio::test]
async fn a_full_mailbox_applies_backpressure_instead_of_dropping() {
    // Breaks if the forwarder uses try_tell and drops events while the actor is busy.
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, mut log) = watcher(&system); // mailbox of 4
    let (open, gate) = oneshot::channel();
    actor.tell(Hold(gate)).await.expect("tell");
    let _forwarding = bus.subscribe_actor::<Price, _>(&actor);
    for p in 0..50 {
        bus.publish(Price(p)); // well within the channel's 1024, far beyond the mailbox's 4
    }
    open.send(()).expect("actor waits at the gate");
    for p in 0..50 {
        assert_eq!(within(log.recv()).await, Some(p));
    }
    system.shutdown().await;
}

#[tokio::test]
async fn forwarding_stops_when_the_actor_stops() {
    // Breaks if a forwarder outlives its actor (a leaked task still counted as a subscriber).
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, mut log) = watcher(&system);
    let forwarding = bus.subscribe_actor::<Price, _>(&actor);
    bus.publish(Price(1));
    assert_eq!(within(log.recv()).await, Some(1));
    actor.stop();
    within(forwarding.wait_for_stop()).await;
    assert!(!forwarding.is_active());
    assert_eq!(bus.publish(Price(2)), 0);
    let stats = bus.stats().await;
    let price = stats.event::<Price>().expect("used");
    assert_eq!((price.subscribers, price.forwarders), (0, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn forwarding_does_not_keep_the_actor_alive() {
    // Breaks if the forwarder holds a counted ActorRef, so dropping the last one never stops the actor.
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, _log) = watcher(&system);
    let weak = actor.downgrade();
    let forwarding = bus.subscribe_actor::<Price, _>(&actor);
    let watch = weak.upgrade().expect("alive");
    drop(actor);
    drop(watch);
    within(forwarding.wait_for_stop()).await;
    assert!(weak.upgrade().is_none());
    system.shutdown().await;
}

#[tokio::test]
async fn stopping_the_handle_stops_forwarding_but_not_the_actor() {
    // Breaks if Forwarding::stop is ignored, or tears down the actor with it.
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, mut log) = watcher(&system);
    let forwarding = bus.subscribe_actor::<Price, _>(&actor);
    bus.publish(Price(1));
    assert_eq!(within(log.recv()).await, Some(1));
    forwarding.stop();
    within(forwarding.wait_for_stop()).await;
    assert_eq!(bus.publish(Price(2)), 0);
    assert!(actor.is_alive());
    actor.tell(Price(3)).await.expect("actor still takes tells");
    assert_eq!(within(log.recv()).await, Some(3));
    system.shutdown().await;
}

#[tokio::test]
async fn dropping_the_handle_stops_forwarding() {
    // Breaks if a dropped Forwarding keeps telling events to the actor.
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, mut log) = watcher(&system);
    let forwarding = bus.subscribe_actor::<Price, _>(&actor);
    let kept = bus.subscribe_actor::<Price, _>(&actor);
    drop(forwarding);
    bus.publish(Price(1));
    // Only `kept` forwards it: exactly one copy arrives, then the marker.
    assert_eq!(within(log.recv()).await, Some(1));
    kept.stop();
    within(kept.wait_for_stop()).await;
    actor.tell(Price(99)).await.expect("tell");
    assert_eq!(within(log.recv()).await, Some(99));
    system.shutdown().await;
}

#[tokio::test]
async fn detached_forwarding_runs_until_the_actor_stops() {
    // Breaks if detach() stops the forwarder, or a detached one outlives its actor.
    let system = ActorSystem::new();
    let bus = system.bus();
    let (actor, mut log) = watcher(&system);
    let forwarding = bus.subscribe_actor::<Price, _>(&actor);
    let ended = forwarding.ended();
    forwarding.detach();
    bus.publish(Price(5));
    assert_eq!(within(log.recv()).await, Some(5));
    actor.stop();
    within(actor.wait_for_stop()).await;
    within(ended).await;
    let stats = bus.stats().await;
    assert_eq!(stats.event::<Price>().expect("used").forwarders, 0);
    system.shutdown().await;
}
