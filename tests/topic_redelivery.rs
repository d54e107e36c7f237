//! Acknowledgements and redelivery: ack_wait expiry, nack, nack_after,
//! in_progress, claim (XCLAIM), stale tokens, max_deliver and reject into
//! the dead-letter topic with its headers, and prefetched messages whose
//! ack wait ran out before they were returned. Paused time throughout.

use std::time::Duration;

use actor_core::{ActorSystem, Consumer, ConsumerConfig, Event, StartAt, Subscriber, TopicConfig, TopicError};
use tokio::time::advance;

#[path = "support/wait.rs"]
mod wait;
use wait::within_long as within;

/// Lets the topic's timer driver run after a clock change.
async fn settle() {
    for _ in 0..10 {
        tokio::task::yield_now().await;
    }
}

fn cfg() -> ConsumerConfig {
    ConsumerConfig::default().ack_wait(Duration::from_secs(10))
}

async fn dead_letter(sub: &mut Subscriber<u64>) -> (u64, Vec<(String, String)>) {
    match within(sub.recv()).await.unwrap() {
        Event::Message(m) => (*m.payload(), m.headers().map(|(k, v)| (k.to_owned(), v.to_owned())).collect()),
        Event::Gap { .. } => panic!("gap in the dead-letter topic"),
    }
}

async fn none_now(c: &mut Consumer<u64>) {
    assert!(c.try_recv().unwrap().is_none(), "nothing should be deliverable yet");
}

#[tokio::test(start_paused = true)]
async fn unacked_delivery_is_redelivered_after_ack_wait_and_old_token_is_stale() {
    // Breaks if ack_wait never fires, fires early, or a superseded token can still ack.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish(7).await.unwrap();
    let mut a = topic.consumer("g", cfg()).await.unwrap();
    let mut b = topic.consumer("g", cfg()).await.unwrap();
    let first = a.try_recv().unwrap().unwrap();
    assert_eq!(first.delivery_count(), 1);
    advance(Duration::from_secs(9)).await;
    settle().await;
    none_now(&mut b).await;
    advance(Duration::from_secs(1)).await;
    let again = within(b.recv()).await.unwrap();
    assert_eq!((again.offset(), again.delivery_count()), (0, 2));
    assert_eq!(first.ack().await, Err(TopicError::Stale { offset: 0 }));
    again.ack().await.unwrap();
    let g = topic.stats().await.unwrap().group("g").cloned().unwrap();
    assert_eq!((g.committed, g.redelivered_total, g.in_flight), (1, 1, 0));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn waiting_member_is_woken_by_the_timer() {
    // Breaks if redelivery depends on someone polling instead of the topic's timer.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish(1).await.unwrap();
    let mut a = topic.consumer("g", cfg()).await.unwrap();
    let _lost = a.recv().await.unwrap();
    let mut b = topic.consumer("g", cfg()).await.unwrap();
    let waiter = tokio::spawn(async move { b.recv().await.map(|d| (d.offset(), d.delivery_count())) });
    settle().await;
    assert!(!waiter.is_finished());
    advance(Duration::from_secs(10)).await;
    assert_eq!(within(waiter).await.unwrap().unwrap(), (0, 2));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn nack_redelivers_now_and_nack_after_waits() {
    // Breaks if nack does not redeliver immediately or nack_after ignores its delay.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish(1).await.unwrap();
    let mut c = topic.consumer("g", cfg()).await.unwrap();
    c.try_recv().unwrap().unwrap().nack().await.unwrap();
    let d = c.try_recv().unwrap().expect("nack redelivers at once");
    assert_eq!(d.delivery_count(), 2);
    d.nack_after(Duration::from_secs(3)).await.unwrap();
    advance(Duration::from_secs(2)).await;
    none_now(&mut c).await;
    advance(Duration::from_secs(1)).await;
    let d = within(c.recv()).await.unwrap();
    assert_eq!(d.delivery_count(), 3);
    d.ack().await.unwrap();
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn in_progress_extends_the_ack_wait() {
    // Breaks if in_progress does not push the redelivery deadline out.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish(1).await.unwrap();
    let mut c = topic.consumer("g", cfg()).await.unwrap();
    let d = c.try_recv().unwrap().unwrap();
    advance(Duration::from_secs(8)).await;
    d.in_progress().await.unwrap();
    advance(Duration::from_secs(8)).await; // 16 s after delivery, 8 s after in_progress
    settle().await;
    none_now(&mut c).await;
    d.ack().await.unwrap();
    advance(Duration::from_secs(10)).await;
    settle().await;
    none_now(&mut c).await;
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn claim_takes_over_idle_entries() {
    // Breaks if claim ignores idle time, keeps the old owner valid, or does not count the delivery.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch(vec![0, 1]).await.unwrap();
    let mut a = topic.consumer("g", cfg().member_name("a")).await.unwrap();
    let b = topic.consumer("g", cfg().member_name("b")).await.unwrap();
    let old = a.try_recv().unwrap().unwrap();
    advance(Duration::from_secs(3)).await;
    let recent = a.try_recv().unwrap().unwrap();
    advance(Duration::from_secs(1)).await;
    let mine = b.claim(Duration::from_secs(2)).await.unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!((mine[0].offset(), mine[0].delivery_count()), (0, 2));
    assert_eq!(old.ack().await, Err(TopicError::Stale { offset: 0 }));
    let p = b.pending().await.unwrap();
    assert_eq!((p[0].consumer.as_str(), p[1].consumer.as_str()), ("b", "a"));
    recent.ack().await.unwrap();
    for d in mine {
        d.ack().await.unwrap();
    }
    assert_eq!(topic.stats().await.unwrap().group("g").unwrap().committed, 2);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn max_deliver_sends_poison_message_to_dead_letter_topic_with_headers() {
    // Breaks if a poison message loops forever or reaches the DLQ without its headers.
    let system = ActorSystem::new();
    let topics = system.topics();
    let dlq = topics.create::<u64>("t.dlq", TopicConfig::default()).await.unwrap();
    let mut dead = dlq.subscribe(StartAt::Earliest).await.unwrap();
    let topic = topics.create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish(0).await.unwrap();
    topic.publish(42).await.unwrap();
    let mut c = topic.consumer("g", cfg().max_deliver(2).dead_letter("t.dlq")).await.unwrap();
    within(c.recv()).await.unwrap().ack().await.unwrap();
    within(c.recv()).await.unwrap().nack().await.unwrap();
    let _ignored = within(c.recv()).await.unwrap(); // second delivery, never acked
    advance(Duration::from_secs(10)).await; // nobody receives: the timer dead-letters it
    let (payload, headers) = dead_letter(&mut dead).await;
    assert_eq!(payload, 42);
    for (k, v) in
        [("original_topic", "t"), ("original_offset", "1"), ("delivery_count", "2"), ("reason", "max_deliver")]
    {
        assert!(headers.contains(&(k.to_owned(), v.to_owned())), "missing {k}={v} in {headers:?}");
    }
    let g = topic.stats().await.unwrap().group("g").cloned().unwrap();
    assert_eq!((g.committed, g.dead_lettered_total, g.in_flight), (2, 1, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn reject_dead_letters_at_once_and_missing_dlq_is_counted() {
    // Breaks if reject redelivers, loses the reason header, or drops silently without a DLQ.
    let system = ActorSystem::new();
    let topics = system.topics();
    let dlq = topics.create::<u64>("dlq", TopicConfig::default()).await.unwrap();
    let mut dead = dlq.subscribe(StartAt::Earliest).await.unwrap();
    let topic = topics.create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish(5).await.unwrap();
    let mut c = topic.consumer("g", cfg().dead_letter("dlq")).await.unwrap();
    within(c.recv()).await.unwrap().reject().await.unwrap();
    let (payload, headers) = dead_letter(&mut dead).await;
    assert_eq!(payload, 5);
    assert!(headers.contains(&("reason".to_owned(), "rejected".to_owned())));
    assert!(c.try_recv().unwrap().is_none());
    let mut nodlq = topic.consumer("other", cfg()).await.unwrap();
    within(nodlq.recv()).await.unwrap().reject().await.unwrap();
    let g = topic.stats().await.unwrap().group("other").cloned().unwrap();
    assert_eq!((g.dead_lettered_total, g.dead_letters_dropped, g.committed), (1, 1, 1));
    assert!(matches!(topic.consumer("x", cfg().dead_letter("missing")).await, Err(TopicError::NotFound { .. })));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn prefetched_message_outliving_its_ack_wait_is_renewed_not_duplicated() {
    // Breaks if a message taken ahead is handed out after its ack wait ran out while it is also redelivered.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch(vec![0, 1]).await.unwrap();
    let mut c = topic.consumer("g", cfg()).await.unwrap();
    let head = c.try_recv().unwrap().unwrap(); // takes both; offset 1 waits in the consumer
    assert_eq!(head.offset(), 0);
    head.ack().await.unwrap();
    advance(Duration::from_secs(11)).await;
    settle().await; // the timer driver sees the tail's ack wait run out
    let tail = within(c.recv()).await.unwrap();
    assert_eq!((tail.offset(), tail.delivery_count()), (1, 1));
    none_now(&mut c).await;
    tail.ack().await.unwrap();
    let g = topic.stats().await.unwrap().group("g").cloned().unwrap();
    assert_eq!((g.committed, g.redelivered_total, g.in_flight), (2, 0, 0));
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn prefetched_message_redelivered_elsewhere_is_skipped() {
    // Breaks if a consumer hands out a message taken ahead after another member got its redelivery.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch(vec![0, 1, 2]).await.unwrap();
    let mut a = topic.consumer("g", cfg()).await.unwrap();
    let head = a.try_recv().unwrap().unwrap(); // takes all three; offsets 1 and 2 wait in `a`
    assert_eq!(head.offset(), 0);
    head.ack().await.unwrap();
    let mut b = topic.consumer("g", cfg()).await.unwrap();
    advance(Duration::from_secs(11)).await;
    settle().await;
    let moved = b.try_recv().unwrap().expect("offset 1 is due for redelivery");
    assert_eq!((moved.offset(), moved.delivery_count()), (1, 2));
    let kept = within(a.recv()).await.unwrap();
    assert_eq!((kept.offset(), kept.delivery_count()), (2, 1));
    none_now(&mut a).await;
    moved.ack().await.unwrap();
    kept.ack().await.unwrap();
    let g = topic.stats().await.unwrap().group("g").cloned().unwrap();
    assert_eq!((g.committed, g.redelivered_total, g.in_flight), (3, 1, 0));
    system.shutdown().await;
}
