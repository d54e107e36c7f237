//! Dead subscribers are removed: dropped or ended subscriptions and stopped
//! forwarders no longer count, and nothing accumulates over many cycles.

use actor_core::EventBus;
use actor_core::prelude::*;
use futures::StreamExt;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Ping(u32);

struct Sink;
impl Actor for Sink {}
impl Handler<Ping> for Sink {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) {}
}

#[tokio::test]
async fn ten_thousand_subscribe_drop_cycles_leave_no_subscriber() {
    // Breaks if a dropped subscription stays registered (counts, receivers or memory grow per cycle).
    let system = ActorSystem::new();
    let bus = system.bus();
    for n in 0..10_000 {
        let mut sub = if n % 2 == 0 { bus.subscribe::<Ping>() } else { bus.subscribe_filtered::<Ping>(|_| true) };
        assert_eq!(bus.publish(Ping(n)), 1);
        assert_eq!(within(sub.next()).await, Some(Ok(Ping(n))));
        drop(sub);
    }
    let stats = bus.stats().await;
    let ping = stats.event::<Ping>().expect("used");
    assert_eq!((ping.subscribers, ping.published), (0, 10_000));
    assert_eq!(bus.publish(Ping(0)), 0);
    system.shutdown().await;
}

#[tokio::test]
async fn a_subscription_dropped_while_waiting_is_removed() {
    // Breaks if a subscription parked in its receive future leaks its receiver when dropped.
    let system = ActorSystem::new();
    let bus = system.bus();
    for _ in 0..1_000 {
        let mut sub = bus.subscribe::<Ping>();
        assert!(futures::FutureExt::now_or_never(sub.next()).is_none()); // now parked
        drop(sub);
    }
    assert_eq!(bus.publish(Ping(0)), 0);
    assert_eq!(bus.stats().await.event::<Ping>().expect("used").subscribers, 0);
    system.shutdown().await;
}

#[tokio::test]
async fn a_thousand_forwarding_cycles_leave_no_forwarder() {
    // Breaks if a stopped forwarder keeps its receiver or its subscriber count.
    let system = ActorSystem::new();
    let bus = system.bus();
    let sink = system.spawn(Sink).expect("spawn");
    for _ in 0..1_000 {
        let forwarding = bus.subscribe_actor::<Ping, _>(&sink);
        forwarding.stop();
        within(forwarding.wait_for_stop()).await;
    }
    let stats = bus.stats().await;
    let ping = stats.event::<Ping>().expect("used");
    assert_eq!((ping.subscribers, ping.forwarders), (0, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn dropping_a_private_bus_ends_its_subscriptions() {
    // Breaks if a private bus's channels outlive every handle, leaving subscribers waiting forever.
    let system = ActorSystem::new();
    let bus = EventBus::new(&system);
    let mut sub = bus.subscribe::<Ping>();
    bus.publish(Ping(1));
    drop(bus);
    assert_eq!(within(sub.next()).await, Some(Ok(Ping(1))));
    assert_eq!(within(sub.next()).await, None);
    system.shutdown().await;
}
