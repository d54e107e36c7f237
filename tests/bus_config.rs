//! Per-type channel capacity: validated, only settable before first use,
//! and effective.

use actor_core::prelude::*;
use actor_core::{ConfigError, Lagged};
use futures::StreamExt;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Reading(u32);

#[tokio::test]
async fn zero_capacity_is_an_error() {
    // Breaks if a zero-capacity channel can be requested (tokio would panic on it).
    let system = ActorSystem::new();
    let err = system.bus().configure::<Reading>(0).expect_err("zero refused");
    assert_eq!(err, ConfigError::ZeroCapacity { what: "bus" });
    system.shutdown().await;
}

#[tokio::test]
async fn huge_capacity_is_an_error() {
    // Breaks if an absurd capacity is accepted and allocated up front.
    let system = ActorSystem::new();
    let err = system.bus().configure::<Reading>(usize::MAX).expect_err("too large refused");
    assert!(matches!(err, ConfigError::CapacityTooLarge { what: "bus", got: usize::MAX, .. }), "{err:?}");
    system.shutdown().await;
}

#[tokio::test]
async fn configure_after_first_subscribe_or_publish_is_refused_by_name() {
    // Breaks if a late configure silently does nothing (or swaps the channel under live subscribers).
    let system = ActorSystem::new();
    let bus = system.bus();
    let _sub = bus.subscribe::<Reading>();
    let err = bus.configure::<Reading>(8).expect_err("too late after subscribe");
    assert!(matches!(&err, ConfigError::InUse { .. }), "{err:?}");
    assert!(err.to_string().contains(std::any::type_name::<Reading>()), "{err}");

    bus.publish(5_u16);
    assert!(matches!(bus.configure::<u16>(8), Err(ConfigError::InUse { .. })));
    system.shutdown().await;
}

#[tokio::test]
async fn configure_before_use_can_be_repeated_and_takes_effect() {
    // Breaks if the configured capacity is ignored or the last configure before use does not win.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Reading>(64).expect("before use");
    bus.configure::<Reading>(2).expect("still before use");
    let mut sub = bus.subscribe::<Reading>();
    for n in 0..5 {
        bus.publish(Reading(n));
    }
    assert!(matches!(within(sub.next()).await, Some(Err(Lagged { missed: 3, .. }))));
    assert_eq!(bus.stats().await.event::<Reading>().expect("used").capacity, 2);
    system.shutdown().await;
}

#[tokio::test]
async fn default_capacity_is_1024_and_rounding_is_reported() {
    // Breaks if the default changes or the stats hide tokio's power-of-two rounding.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<u8>(5).expect("before use");
    bus.publish(1_u8);
    bus.publish(Reading(1));
    let stats = bus.stats().await;
    assert_eq!(stats.event::<Reading>().expect("used").capacity, 1024);
    assert_eq!(stats.event::<u8>().expect("used").capacity, 8);
    system.shutdown().await;
}

#[tokio::test]
async fn configuring_one_type_leaves_others_alone() {
    // Breaks if capacity is per bus rather than per event type.
    let system = ActorSystem::new();
    let bus = system.bus();
    bus.configure::<Reading>(4).expect("before use");
    let mut other = bus.subscribe::<u64>();
    for n in 0..10_u64 {
        bus.publish(n);
    }
    for n in 0..10_u64 {
        assert_eq!(within(other.next()).await, Some(Ok(n)));
    }
    system.shutdown().await;
}
