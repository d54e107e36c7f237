//! Shutdown: when the system shuts down, every subscription stream ends and
//! every forwarder stops, after the last actor's `ActorStopped` was
//! published.

use actor_core::prelude::*;
use actor_core::{ActorStopped, EventBus};
use futures::StreamExt;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct News(u32);

struct Reader;
impl Actor for Reader {}
impl Handler<News> for Reader {
    type Reply = ();
    async fn handle(&mut self, _: News, _ctx: &mut Context<Self>) {}
}

#[tokio::test]
async fn every_subscription_ends_at_shutdown() {
    // Breaks if a subscriber of the system bus or of a private bus waits forever after shutdown.
    let system = ActorSystem::new();
    let private = EventBus::new(&system);
    let mut on_system = system.bus().subscribe::<News>();
    let mut filtered = system.bus().subscribe_filtered::<News>(|_| false);
    let mut on_private = private.subscribe::<News>();
    // One subscriber is parked in another task when shutdown begins.
    let mut parked = system.bus().subscribe::<News>();
    let waiter = tokio::spawn(async move { parked.next().await });
    tokio::task::yield_now().await;

    system.bus().publish(News(1));
    within(system.shutdown()).await;

    assert_eq!(within(on_system.next()).await, Some(Ok(News(1))));
    assert_eq!(within(on_system.next()).await, None);
    assert_eq!(within(filtered.next()).await, None);
    assert_eq!(within(on_private.next()).await, None);
    let first = within(waiter).await.expect("waiter ok");
    assert_eq!(first, Some(Ok(News(1))));
    assert!(system.bus().is_closed());
}

#[tokio::test]
async fn after_shutdown_subscriptions_start_ended_and_publish_reaches_nobody() {
    // Breaks if a bus used after shutdown accepts subscribers that will never be closed.
    let system = ActorSystem::new();
    let bus = system.bus();
    within(system.shutdown()).await;
    let mut sub = bus.subscribe::<News>();
    assert_eq!(within(sub.next()).await, None);
    assert_eq!(bus.publish(News(1)), 0);
    // A private bus made after shutdown is born closed too.
    let late = EventBus::new(&system);
    let mut sub = late.subscribe::<News>();
    assert_eq!(within(sub.next()).await, None);
    assert_eq!(bus.stats().await.event::<News>().expect("used").subscribers, 0);
}

#[tokio::test]
async fn actors_stopped_by_the_shutdown_are_reported_before_the_stream_ends() {
    // Breaks if the bus closes before the actors it reports on have stopped.
    let system = ActorSystem::new();
    let mut stopped = system.bus().subscribe::<ActorStopped>();
    let readers: Vec<_> = (0..3).map(|_| system.spawn(Reader).expect("spawn")).collect();
    within(system.shutdown()).await;
    let mut seen = Vec::new();
    while let Some(event) = within(stopped.next()).await {
        let event = event.expect("no lag");
        if readers.iter().any(|r| r.id() == event.id) {
            assert_eq!(event.reason, ExitReason::Shutdown);
            seen.push(event.id);
        }
    }
    // Reverse spawn order, every one of them, then the end of the stream.
    let expected: Vec<_> = readers.iter().rev().map(|r| r.id()).collect();
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn forwarders_stop_at_shutdown() {
    // Breaks if a forwarder task outlives the system.
    let system = ActorSystem::new();
    let reader = system.spawn(Reader).expect("spawn");
    let forwarding = system.bus().subscribe_actor::<News, _>(&reader);
    within(system.shutdown()).await;
    within(forwarding.wait_for_stop()).await;
    assert!(!forwarding.is_active());
}
