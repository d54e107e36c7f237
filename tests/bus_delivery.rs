//! Bus delivery: every subscriber that subscribed before a publish receives
//! it, in publish order; a subscription is live as soon as `subscribe`
//! returns; `publish` reports how many subscribers it reached.

use actor_core::prelude::*;
use futures::StreamExt;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Seq(u32);

#[derive(Debug, Clone, PartialEq, Eq)]
struct Tagged {
    publisher: u32,
    n: u32,
}

#[tokio::test]
async fn every_early_subscriber_receives_every_event_in_order() {
    // Breaks if an event is dropped, duplicated or reordered for any one subscriber.
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut subs: Vec<_> = (0..5).map(|_| bus.subscribe::<Seq>()).collect();
    for n in 0..200 {
        assert_eq!(bus.publish(Seq(n)), 5);
    }
    for sub in &mut subs {
        for n in 0..200 {
            assert_eq!(within(sub.next()).await, Some(Ok(Seq(n))));
        }
    }
    system.shutdown().await;
}

#[tokio::test]
async fn subscription_is_live_when_subscribe_returns() {
    // Breaks if subscribing registers lazily (e.g. on first poll or through the bus actor's mailbox).
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut sub = bus.subscribe::<Seq>();
    assert_eq!(bus.publish(Seq(1)), 1);
    assert_eq!(within(sub.recv()).await, Some(Ok(Seq(1))));
    system.shutdown().await;
}

#[tokio::test]
async fn late_subscriber_sees_only_later_events() {
    // Breaks if a subscriber is handed events published before it subscribed.
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut early = bus.subscribe::<Seq>();
    bus.publish(Seq(1));
    let mut late = bus.subscribe::<Seq>();
    bus.publish(Seq(2));
    assert_eq!(within(early.next()).await, Some(Ok(Seq(1))));
    assert_eq!(within(early.next()).await, Some(Ok(Seq(2))));
    assert_eq!(within(late.next()).await, Some(Ok(Seq(2))));
    system.shutdown().await;
}

#[tokio::test]
async fn publish_counts_reached_subscribers_and_zero_is_fine() {
    // Breaks if publish with no subscriber errors or the count ignores drops.
    let system = ActorSystem::new();
    let bus = system.bus();
    assert_eq!(bus.publish(Seq(0)), 0);
    let a = bus.subscribe::<Seq>();
    let b = bus.subscribe::<Seq>();
    assert_eq!(bus.publish(Seq(1)), 2);
    drop(a);
    assert_eq!(bus.publish(Seq(2)), 1);
    drop(b);
    assert_eq!(bus.publish(Seq(3)), 0);
    let stats = bus.stats().await;
    assert_eq!(stats.event::<Seq>().expect("used").published, 4);
    system.shutdown().await;
}

#[tokio::test]
async fn clones_share_the_bus() {
    // Breaks if a cloned handle (with its own cache) publishes to a different channel.
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut sub = bus.subscribe::<Seq>();
    let other = bus.clone();
    assert_eq!(other.publish(Seq(7)), 1);
    assert_eq!(system.bus().publish(Seq(8)), 1);
    assert_eq!(within(sub.next()).await, Some(Ok(Seq(7))));
    assert_eq!(within(sub.next()).await, Some(Ok(Seq(8))));
    system.shutdown().await;
}

#[tokio::test]
async fn filtered_subscription_yields_matching_events_in_order() {
    // Breaks if the filter is ignored or reorders what it keeps.
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut odd = bus.subscribe_filtered::<Seq>(|s| s.0 % 2 == 1);
    for n in 0..1000 {
        bus.publish(Seq(n));
    }
    for n in (1..1000).step_by(2) {
        assert_eq!(within(odd.next()).await, Some(Ok(Seq(n))));
    }
    system.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_keep_their_own_order() {
    // Breaks if events of one publisher overtake each other when publishers race.
    const PER_PUBLISHER: u32 = 500;
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Tagged>(2048).expect("configure before use");
    let mut sub = bus.subscribe::<Tagged>();
    let publishers: Vec<_> = (0..2)
        .map(|publisher| {
            let bus = bus.clone();
            tokio::spawn(async move {
                for n in 0..PER_PUBLISHER {
                    bus.publish(Tagged { publisher, n });
                }
            })
        })
        .collect();
    for p in publishers {
        within(p).await.expect("publisher ok");
    }
    let mut next = [0u32; 2];
    for _ in 0..2 * PER_PUBLISHER {
        let event = within(sub.next()).await.expect("open").expect("no lag");
        assert_eq!(event.n, next[event.publisher as usize], "publisher {} out of order", event.publisher);
        next[event.publisher as usize] += 1;
    }
    assert_eq!(next, [PER_PUBLISHER; 2]);
    system.shutdown().await;
}
