//! Retention and overflow: max_messages, max_bytes (TooLarge changes
//! nothing), max_age on the tokio clock, counted evictions, gaps reported
//! to subscribers, and the DropOldest / RejectNew / Block modes.

use std::pin::pin;
use std::time::Duration;

use actor_core::{ActorSystem, ConsumerConfig, Event, Overflow, PublishError, StartAt, TopicConfig};
use futures::poll;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[tokio::test]
async fn max_messages_drops_oldest_and_subscriber_sees_gap() {
    // Breaks if evictions are silent: uncounted or skipped without an Event::Gap.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default().max_messages(3)).await.unwrap();
    let mut sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    for v in 0..5 {
        topic.publish(v).await.unwrap();
    }
    let st = topic.stats().await.unwrap();
    assert_eq!((st.first_offset, st.next_offset, st.len, st.evicted_total, st.published_total), (2, 5, 3, 2, 5));
    match within(sub.recv()).await.unwrap() {
        Event::Gap { from, to, count } => assert_eq!((from, to, count), (0, 2, 2)),
        Event::Message(m) => panic!("expected a gap, got offset {}", m.offset()),
    }
    assert_eq!(within(sub.recv()).await.unwrap().into_record().unwrap().offset(), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn max_bytes_evicts_and_too_large_changes_nothing() {
    // Breaks if bytes are mis-measured or an oversized message evicts or takes an offset.
    let system = ActorSystem::new();
    let topic = system.topics().create::<String>("t", TopicConfig::default().max_bytes(10)).await.unwrap();
    topic.publish("aaaa".into()).await.unwrap();
    topic.publish("bbbb".into()).await.unwrap();
    let big = "x".repeat(11);
    match topic.publish(big.clone()).await {
        Err(PublishError::TooLarge(back)) => assert_eq!(back, big),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let st = topic.stats().await.unwrap();
    assert_eq!((st.next_offset, st.bytes, st.evicted_total), (2, 8, 0));
    topic.publish("cccc".into()).await.unwrap();
    let st = topic.stats().await.unwrap();
    assert_eq!((st.first_offset, st.bytes, st.evicted_total), (1, 8, 1));
    let sized = system
        .topics()
        .create::<u64>("sized", TopicConfig::default().max_bytes(100).sizer::<u64>(|v| *v as usize))
        .await
        .unwrap();
    assert!(matches!(sized.publish(101).await, Err(PublishError::TooLarge(101))));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_age_evicts_by_publish_time() {
    // Breaks if age retention uses the wall clock or forgets to count evictions.
    let system = ActorSystem::new();
    let topic =
        system.topics().create::<u64>("t", TopicConfig::default().max_age(Duration::from_secs(10))).await.unwrap();
    topic.publish(0).await.unwrap();
    tokio::time::advance(Duration::from_secs(6)).await;
    topic.publish(1).await.unwrap();
    tokio::time::advance(Duration::from_secs(5)).await;
    let st = topic.stats().await.unwrap();
    assert_eq!((st.first_offset, st.len, st.evicted_total), (1, 1, 1));
    let mut sub = topic.subscribe(StartAt::Offset(0)).await.unwrap();
    assert!(within(sub.recv()).await.unwrap().is_gap());
    tokio::time::advance(Duration::from_secs(5)).await;
    assert_eq!(topic.stats().await.unwrap().len, 0);
    system.shutdown().await;
}

#[tokio::test]
async fn reject_new_hands_the_message_back() {
    // Breaks if RejectNew evicts, or the refused message gets an offset or is lost.
    let system = ActorSystem::new();
    let cfg = TopicConfig::default().max_messages(2).overflow(Overflow::RejectNew);
    let topic = system.topics().create::<u64>("t", cfg).await.unwrap();
    topic.publish_batch(vec![0, 1]).await.unwrap();
    assert!(matches!(topic.publish(2).await, Err(PublishError::Full(2))));
    assert!(matches!(topic.try_publish(3), Err(PublishError::Full(3))));
    match topic.publish_batch(vec![4]).await {
        Err(e) => assert_eq!(e.into_inner(), vec![4]),
        Ok(r) => panic!("accepted at {r:?}"),
    }
    let st = topic.stats().await.unwrap();
    assert_eq!((st.next_offset, st.evicted_total), (2, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn block_waits_for_the_slowest_group_to_ack() {
    // Breaks if Block evicts un-acked messages or never wakes the publisher after an ack.
    let system = ActorSystem::new();
    let cfg = TopicConfig::default().max_messages(2).overflow(Overflow::Block);
    let topic = system.topics().create::<u64>("t", cfg).await.unwrap();
    let mut fast = topic.consumer("fast", ConsumerConfig::default()).await.unwrap();
    let mut slow = topic.consumer("slow", ConsumerConfig::default()).await.unwrap();
    topic.publish_batch(vec![0, 1]).await.unwrap();
    for _ in 0..2 {
        within(fast.recv()).await.unwrap().ack().await.unwrap();
    }
    assert!(matches!(topic.try_publish(2), Err(PublishError::Full(2))), "try_publish never waits");
    let mut publish = pin!(topic.publish(2));
    assert!(poll!(publish.as_mut()).is_pending(), "slow group has not acked");
    let d = within(slow.recv()).await.unwrap();
    assert_eq!(d.offset(), 0);
    assert!(poll!(publish.as_mut()).is_pending(), "delivered is not acked");
    d.ack().await.unwrap();
    assert_eq!(within(publish).await.unwrap(), 2);
    let st = topic.stats().await.unwrap();
    assert_eq!((st.first_offset, st.evicted_total), (1, 1));
    system.shutdown().await;
}
