//! Bus lag: a subscriber that falls more than the channel's capacity behind
//! is told exactly how many events it lost, then continues with the oldest
//! retained one. Deterministic: everything is published before the
//! subscriber polls, on a current-thread runtime.

use actor_core::Lagged;
use actor_core::prelude::*;
use futures::StreamExt;
use tokio::sync::mpsc;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Tick(u32);

#[tokio::test]
async fn lag_is_reported_with_the_exact_count_then_oldest_retained_follow() {
    // Breaks if the lost count is off, lag is silent, or delivery resumes anywhere but the oldest retained event.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Tick>(4).expect("configure before use");
    let mut sub = bus.subscribe::<Tick>();
    for n in 0..10 {
        bus.publish(Tick(n));
    }
    match within(sub.next()).await {
        Some(Err(lagged)) => {
            assert_eq!(lagged.missed, 6);
            assert_eq!(lagged.event_type, std::any::type_name::<Tick>());
        }
        other => panic!("expected Lagged, got {other:?}"),
    }
    for n in 6..10 {
        assert_eq!(within(sub.next()).await, Some(Ok(Tick(n))));
    }
    // Caught up: new events flow without further lag.
    bus.publish(Tick(10));
    assert_eq!(within(sub.next()).await, Some(Ok(Tick(10))));
    let stats = bus.stats().await;
    assert_eq!(stats.event::<Tick>().expect("used").lagged_total, 6);
    system.shutdown().await;
}

#[tokio::test]
async fn each_subscriber_reports_its_own_loss() {
    // Breaks if lag is counted per channel instead of per subscriber, or lagged_total is not their sum.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Tick>(8).expect("configure before use");
    let mut slow = bus.subscribe::<Tick>();
    let mut fast = bus.subscribe::<Tick>();
    for n in 0..8 {
        bus.publish(Tick(n));
    }
    for n in 0..8 {
        assert_eq!(within(fast.next()).await, Some(Ok(Tick(n))));
    }
    for n in 8..20 {
        bus.publish(Tick(n));
    }
    // `slow` is 20 behind with 8 retained: lost 12. `fast` is 12 behind: lost 4.
    let lost = |item: Option<Result<Tick, Lagged>>| match item {
        Some(Err(l)) => l.missed,
        other => panic!("expected Lagged, got {other:?}"),
    };
    assert_eq!(lost(within(slow.next()).await), 12);
    assert_eq!(lost(within(fast.next()).await), 4);
    assert_eq!(within(slow.next()).await, Some(Ok(Tick(12))));
    assert_eq!(within(fast.next()).await, Some(Ok(Tick(12))));
    let stats = bus.stats().await;
    assert_eq!(stats.event::<Tick>().expect("used").lagged_total, 16);
    system.shutdown().await;
}

#[tokio::test]
async fn filtered_subscription_reports_lag_too() {
    // Breaks if a filter swallows the lag notice along with the events it would have rejected.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Tick>(4).expect("configure before use");
    let mut even = bus.subscribe_filtered::<Tick>(|t| t.0 % 2 == 0);
    for n in 0..10 {
        bus.publish(Tick(n));
    }
    assert!(matches!(within(even.next()).await, Some(Err(Lagged { missed: 6, .. }))));
    assert_eq!(within(even.next()).await, Some(Ok(Tick(6))));
    assert_eq!(within(even.next()).await, Some(Ok(Tick(8))));
    system.shutdown().await;
}

/// Reports what it handled to the test, in order.
struct Recorder {
    log: mpsc::UnboundedSender<Result<u32, u64>>,
}
impl Actor for Recorder {}
impl Handler<Tick> for Recorder {
    type Reply = ();
    async fn handle(&mut self, Tick(n): Tick, _ctx: &mut Context<Self>) {
        let _ = self.log.send(Ok(n));
    }
}
impl Handler<Lagged> for Recorder {
    type Reply = ();
    async fn handle(&mut self, lagged: Lagged, _ctx: &mut Context<Self>) {
        let _ = self.log.send(Err(lagged.missed));
    }
}

#[tokio::test]
async fn forwarded_actor_is_told_its_lag_in_order() {
    // Breaks if a forwarder loses events silently or tells the loss out of order with the events.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Tick>(4).expect("configure before use");
    let (tx, mut log) = mpsc::unbounded_channel();
    let recorder = system.spawn(Recorder { log: tx }).expect("spawn");
    let forwarding = bus.subscribe_actor_with_lag::<Tick, _>(&recorder);
    // The forwarder task has not run yet (current-thread runtime, no await since).
    for n in 0..10 {
        bus.publish(Tick(n));
    }
    let mut seen = Vec::new();
    while seen.len() < 5 {
        seen.push(within(log.recv()).await.expect("recorder alive"));
    }
    assert_eq!(seen, [Err(6), Ok(6), Ok(7), Ok(8), Ok(9)]);
    assert_eq!((forwarding.forwarded(), forwarding.lagged()), (4, 6));
    system.shutdown().await;
}

#[tokio::test]
async fn forwarded_actor_without_lag_handler_gets_lag_counted() {
    // Breaks if lag of a plain `subscribe_actor` is neither counted on the handle nor in the stats.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Tick>(4).expect("configure before use");
    let (tx, mut log) = mpsc::unbounded_channel();
    let recorder = system.spawn(Recorder { log: tx }).expect("spawn");
    let forwarding = bus.subscribe_actor::<Tick, _>(&recorder);
    for n in 0..10 {
        bus.publish(Tick(n));
    }
    let mut seen = Vec::new();
    while seen.len() < 4 {
        seen.push(within(log.recv()).await.expect("recorder alive"));
    }
    assert_eq!(seen, [Ok(6), Ok(7), Ok(8), Ok(9)]);
    assert_eq!(forwarding.lagged(), 6);
    let stats = bus.stats().await;
    assert_eq!(stats.event::<Tick>().expect("used").lagged_total, 6);
    system.shutdown().await;
}
