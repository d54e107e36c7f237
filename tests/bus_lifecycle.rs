//! The runtime's lifecycle events on the system bus: each actor's start,
//! dead letters and stop arrive, in causal order, on their own channels and
//! together as `LifecycleEvent`.

use std::collections::HashSet;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{
    ActorId, ActorStarted, ActorStopped, ChildSpec, DeadLetter, LifecycleEvent, Subscription, Supervisor,
    SupervisorEscalated,
};
use futures::StreamExt;
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

struct Worker;
impl Actor for Worker {
    fn name() -> &'static str {
        "worker"
    }
}

/// Parks the handler until the test kills the actor; says when it started.
struct Park(oneshot::Sender<()>);
impl Handler<Park> for Worker {
    type Reply = ();
    async fn handle(&mut self, Park(entered): Park, _ctx: &mut Context<Self>) {
        let _ = entered.send(());
        std::future::pending::<()>().await;
    }
}

struct Work;
impl Handler<Work> for Worker {
    type Reply = ();
    async fn handle(&mut self, _: Work, _ctx: &mut Context<Self>) {}
}

struct Boom;
impl Handler<Boom> for Worker {
    type Reply = ();
    async fn handle(&mut self, _: Boom, _ctx: &mut Context<Self>) {
        panic!("boom");
    }
}

/// A compact, comparable form of the events of the actors under test.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Started(ActorId),
    DeadLetter(ActorId, &'static str),
    Stopped(ActorId, ExitReason),
    Restarted(ActorId, u32, ExitReason),
}

/// The next `n` lifecycle events about `ids`, skipping everything else.
async fn next_about(sub: &mut Subscription<LifecycleEvent>, ids: &HashSet<ActorId>, n: usize) -> Vec<Seen> {
    let mut out = Vec::new();
    while out.len() < n {
        let event = within(sub.next()).await.expect("bus open").expect("no lag");
        let seen = match event {
            LifecycleEvent::Started(e) => Seen::Started(e.id),
            LifecycleEvent::DeadLetter(e) => Seen::DeadLetter(e.to, e.message_type),
            LifecycleEvent::Stopped(e) => Seen::Stopped(e.id, e.reason),
            LifecycleEvent::Restarted(e) => Seen::Restarted(e.id, e.restarts, e.reason),
            _ => continue,
        };
        let id = match &seen {
            Seen::Started(id) | Seen::DeadLetter(id, _) | Seen::Stopped(id, _) | Seen::Restarted(id, _, _) => *id,
        };
        if ids.contains(&id) {
            out.push(seen);
        }
    }
    out
}

#[tokio::test]
async fn spawn_panic_kill_and_stop_arrive_in_causal_order() {
    // Breaks if a lifecycle event is missing, raised twice, or published out of the order it happened in.
    let system = ActorSystem::new();
    let mut events = system.bus().subscribe::<LifecycleEvent>();

    // One actor panics.
    let panicky = system.spawn(Worker).expect("spawn");
    assert!(matches!(panicky.ask(Boom).await, Err(AskError::Panicked(_))));
    within(panicky.wait_for_stop()).await;

    // One is killed with two tells queued behind a parked handler.
    let killed = system.spawn(Worker).expect("spawn");
    let (entered, parked) = oneshot::channel();
    killed.tell(Park(entered)).await.expect("tell");
    within(parked).await.expect("handler entered");
    killed.tell(Work).await.expect("tell");
    killed.tell(Work).await.expect("tell");
    killed.kill();
    within(killed.wait_for_stop()).await;

    // One stops normally.
    let normal = system.spawn(Worker).expect("spawn");
    normal.stop();
    within(normal.wait_for_stop()).await;

    let ids: HashSet<ActorId> = [panicky.id(), killed.id(), normal.id()].into();
    let seen = next_about(&mut events, &ids, 8).await;
    let work = std::any::type_name::<Work>();
    assert_eq!(
        seen,
        [
            Seen::Started(panicky.id()),
            Seen::Stopped(panicky.id(), ExitReason::Panicked("boom".into())),
            Seen::Started(killed.id()),
            Seen::DeadLetter(killed.id(), work),
            Seen::DeadLetter(killed.id(), work),
            Seen::Stopped(killed.id(), ExitReason::Killed),
            Seen::Started(normal.id()),
            Seen::Stopped(normal.id(), ExitReason::Normal),
        ]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn each_lifecycle_type_has_its_own_channel() {
    // Breaks if typed lifecycle subscriptions miss events, or carry wrong ids, names or reasons.
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut started = bus.subscribe::<ActorStarted>();
    let mut stopped = bus.subscribe::<ActorStopped>();
    let mut dead = bus.subscribe::<DeadLetter>();

    let worker = system.spawn_named("worker-1", Worker).expect("spawn");
    let (entered, parked) = oneshot::channel();
    worker.tell(Park(entered)).await.expect("tell");
    within(parked).await.expect("handler entered");
    worker.tell(Work).await.expect("tell");
    worker.kill();
    within(worker.wait_for_stop()).await;

    let event = loop {
        let e = within(started.next()).await.expect("open").expect("no lag");
        if e.id == worker.id() {
            break e;
        }
    };
    assert_eq!(event.name, "worker-1");
    let event = within(dead.next()).await.expect("open").expect("no lag");
    assert_eq!((event.to, event.message_type), (worker.id(), std::any::type_name::<Work>()));
    let event = loop {
        let e = within(stopped.next()).await.expect("open").expect("no lag");
        if e.id == worker.id() {
            break e;
        }
    };
    assert_eq!((event.name.as_str(), event.reason), ("worker-1", ExitReason::Killed));
    system.shutdown().await;
}

#[tokio::test]
async fn stopped_is_published_before_wait_for_stop_returns() {
    // Breaks if ActorStopped is raised after waiters are released (observers would see it late or never).
    let system = ActorSystem::new();
    let mut stopped = system.bus().subscribe::<ActorStopped>();
    let worker = system.spawn(Worker).expect("spawn");
    worker.stop();
    within(worker.wait_for_stop()).await;
    // Already in the channel: `now_or_never` does not wait.
    let event = futures::FutureExt::now_or_never(stopped.next()).expect("already published");
    assert_eq!(event.expect("open").expect("no lag").id, worker.id());
    system.shutdown().await;
}

#[tokio::test]
async fn nothing_is_built_or_counted_while_nobody_subscribes() {
    // Breaks if lifecycle events are published to a channel nobody listens on (the spawn path must stay free).
    let system = ActorSystem::new();
    let bus = system.bus();
    drop(bus.subscribe::<ActorStarted>());
    for _ in 0..10 {
        let w = system.spawn(Worker).expect("spawn");
        w.stop();
        within(w.wait_for_stop()).await;
    }
    let stats = bus.stats().await;
    assert_eq!(stats.event::<ActorStarted>().expect("opened by the subscribe").published, 0);
    assert!(stats.event::<ActorStopped>().is_none());
    system.shutdown().await;
}

#[tokio::test]
async fn a_supervised_restart_arrives_between_the_two_starts() {
    // Breaks if ActorRestarted is missing or published out of order with the incarnations it separates.
    let system = ActorSystem::new();
    let mut events = system.bus().subscribe::<LifecycleEvent>();
    let app = Supervisor::builder("app").child(ChildSpec::new("w", || Worker)).spawn(&system).await.expect("spawn");
    let w = app.child::<Worker>("w").expect("child");
    assert!(matches!(w.ask(Boom).await, Err(AskError::Panicked(_))));
    // Answered by the new incarnation behind the same handle.
    within(w.ask(Work)).await.expect("answered");
    app.terminate_child("w").await.expect("terminate");

    let seen = next_about(&mut events, &[w.id()].into(), 4).await;
    assert_eq!(
        seen,
        [
            Seen::Started(w.id()),
            Seen::Restarted(w.id(), 1, ExitReason::Panicked("boom".into())),
            Seen::Started(w.id()),
            Seen::Stopped(w.id(), ExitReason::Shutdown),
        ]
    );
    system.shutdown().await;
}

#[tokio::test]
async fn a_supervisor_that_gives_up_publishes_supervisor_escalated() {
    // Breaks if a supervisor exceeding its restart intensity does not tell the bus, or names the wrong supervisor.
    let system = ActorSystem::new();
    let mut escalated = system.bus().subscribe::<SupervisorEscalated>();
    let app = Supervisor::builder("app")
        .intensity(0, Duration::from_secs(5))
        .child(ChildSpec::new("w", || Worker))
        .spawn(&system)
        .await
        .expect("spawn");
    let w = app.child::<Worker>("w").expect("child");
    assert!(matches!(w.ask(Boom).await, Err(AskError::Panicked(_))));
    let event = within(escalated.next()).await.expect("bus open").expect("no lag");
    assert_eq!(event.name, "app");
    assert!(event.reason.contains("gave up"), "{}", event.reason);
    assert!(!within(app.wait_for_stop()).await.is_normal());
    system.shutdown().await;
}
