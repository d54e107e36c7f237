//! Type isolation: events of one type never reach subscribers of another,
//! and separate buses never share events.

use actor_core::EventBus;
use actor_core::prelude::*;
use futures::StreamExt;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Debug, Clone, PartialEq, Eq)]
struct Celsius(i32);

/// Same shape as `Celsius`, a different type.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fahrenheit(i32);

#[tokio::test]
async fn events_of_one_type_never_reach_another_types_subscribers() {
    // Breaks if channels are keyed by anything weaker than the exact type (name, layout, size).
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut c = bus.subscribe::<Celsius>();
    let mut f = bus.subscribe::<Fahrenheit>();
    let mut n32 = bus.subscribe::<u32>();
    assert_eq!(bus.publish(Celsius(20)), 1);
    assert_eq!(bus.publish(7_i32), 0); // nobody subscribed to i32
    assert_eq!(bus.publish(Fahrenheit(68)), 1);
    assert_eq!(bus.publish(5_u32), 1);
    assert_eq!(within(c.next()).await, Some(Ok(Celsius(20))));
    assert_eq!(within(f.next()).await, Some(Ok(Fahrenheit(68))));
    assert_eq!(within(n32.next()).await, Some(Ok(5)));
    // Nothing else is waiting on any of them.
    assert!(futures::FutureExt::now_or_never(c.next()).is_none());
    assert!(futures::FutureExt::now_or_never(f.next()).is_none());
    assert!(futures::FutureExt::now_or_never(n32.next()).is_none());
    system.shutdown().await;
}

#[tokio::test]
async fn many_types_through_one_handle_stay_apart() {
    // Breaks if the handle's typed-channel cache hands out the wrong channel once it is full.
    #[derive(Debug, Clone, PartialEq)]
    struct T<const N: usize>;
    let system = ActorSystem::new();
    let bus = system.bus();
    let mut s0 = bus.subscribe::<T<0>>();
    let mut s1 = bus.subscribe::<T<1>>();
    let mut s2 = bus.subscribe::<T<2>>();
    let mut s3 = bus.subscribe::<T<3>>();
    let mut s4 = bus.subscribe::<T<4>>();
    let mut s5 = bus.subscribe::<T<5>>();
    for _ in 0..2 {
        assert_eq!(bus.publish(T::<5>), 1);
        assert_eq!(bus.publish(T::<4>), 1);
        assert_eq!(bus.publish(T::<3>), 1);
        assert_eq!(bus.publish(T::<2>), 1);
        assert_eq!(bus.publish(T::<1>), 1);
        assert_eq!(bus.publish(T::<0>), 1);
    }
    for _ in 0..2 {
        assert_eq!(within(s0.next()).await, Some(Ok(T::<0>)));
        assert_eq!(within(s1.next()).await, Some(Ok(T::<1>)));
        assert_eq!(within(s2.next()).await, Some(Ok(T::<2>)));
        assert_eq!(within(s3.next()).await, Some(Ok(T::<3>)));
        assert_eq!(within(s4.next()).await, Some(Ok(T::<4>)));
        assert_eq!(within(s5.next()).await, Some(Ok(T::<5>)));
    }
    assert_eq!(bus.stats().await.events.len(), 6);
    system.shutdown().await;
}

#[tokio::test]
async fn private_buses_are_separate_from_each_other_and_the_system_bus() {
    // Breaks if EventBus::new shares channels with another bus.
    let system = ActorSystem::new();
    let a = EventBus::new(&system);
    let b = EventBus::new(&system);
    let mut on_a = a.subscribe::<Celsius>();
    let mut on_system = system.bus().subscribe::<Celsius>();
    assert_eq!(b.publish(Celsius(1)), 0);
    assert_eq!(a.publish(Celsius(2)), 1);
    assert_eq!(system.bus().publish(Celsius(3)), 1);
    assert_eq!(within(on_a.next()).await, Some(Ok(Celsius(2))));
    assert_eq!(within(on_system.next()).await, Some(Ok(Celsius(3))));
    system.shutdown().await;
}
