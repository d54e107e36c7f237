//! Consumer groups: competing members (each message to one member, none
//! starves), durable committed offsets that beat the start mode,
//! max_ack_pending, key filters with matching-only lag, the one-time gap
//! error, pending() and stats.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use actor_core::{ActorSystem, ConsumerConfig, Message, StartAt, TopicConfig, TopicError};

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_compete_and_each_message_goes_to_exactly_one() {
    // Breaks if two members get the same offset or one is lost. How the messages are shared out
    // depends on the scheduler here; the fair share is pinned by `waiting_members_are_served_in_turn`.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    let acked = Arc::new(AtomicUsize::new(0));
    let (all_acked, stop) = tokio::sync::watch::channel(false);
    let mut workers = Vec::new();
    for _ in 0..3 {
        let mut c = topic.consumer("work", ConsumerConfig::default()).await.unwrap();
        let (acked, all_acked, mut stop) = (acked.clone(), all_acked.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let d = tokio::select! {
                    d = c.recv() => d.unwrap(),
                    _ = stop.wait_for(|done| *done) => break,
                };
                got.push(d.offset());
                d.ack().await.unwrap();
                if acked.fetch_add(1, Ordering::SeqCst) + 1 == 600 {
                    all_acked.send_replace(true);
                }
                tokio::task::yield_now().await;
            }
            got
        }));
    }
    for v in 0..600 {
        topic.publish(v).await.unwrap();
        if v % 50 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let mut all = Vec::new();
    for w in workers {
        all.extend(within(w).await.unwrap());
    }
    let unique: HashSet<u64> = all.iter().copied().collect();
    assert_eq!((all.len(), unique.len()), (600, 600));
    let st = topic.stats().await.unwrap();
    let g = st.group("work").unwrap();
    assert_eq!((g.committed, g.delivered, g.in_flight, g.lag), (600, 600, 0, 0));
    system.shutdown().await;
}

#[tokio::test]
async fn waiting_members_are_served_in_turn() {
    // Breaks if the wake-up favours one waiting member over the others.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    for id in 0..3u32 {
        let mut c = topic.consumer("g", ConsumerConfig::default()).await.unwrap();
        let tx = tx.clone();
        tokio::spawn(async move {
            while let Ok(d) = c.recv().await {
                tx.send(id).await.unwrap();
                d.ack().await.unwrap();
            }
        });
    }
    tokio::task::yield_now().await; // all three are waiting now
    let mut counts = [0u32; 3];
    for v in 0..30 {
        topic.publish(v).await.unwrap();
        counts[within(rx.recv()).await.unwrap() as usize] += 1;
    }
    assert_eq!(counts, [10, 10, 10]);
    system.shutdown().await;
}

#[tokio::test]
async fn committed_offset_beats_start_mode_on_resume() {
    // Breaks if a re-joined durable group restarts from its start mode instead of its commit.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch((0..5).collect()).await.unwrap();
    {
        let mut c = topic.consumer("g", ConsumerConfig::default().start(StartAt::Earliest)).await.unwrap();
        for _ in 0..3 {
            within(c.recv()).await.unwrap().ack().await.unwrap();
        }
    }
    let mut c = topic.consumer("g", ConsumerConfig::default().start(StartAt::Latest)).await.unwrap();
    assert_eq!(within(c.recv()).await.unwrap().offset(), 3);
    let mut fresh = topic.consumer("new", ConsumerConfig::default().start(StartAt::Latest)).await.unwrap();
    assert!(fresh.try_recv().unwrap().is_none(), "a new group honours Latest");
    assert_eq!(topic.stats().await.unwrap().group("g").unwrap().members, 1);
    system.shutdown().await;
}

#[tokio::test]
async fn max_ack_pending_limits_in_flight() {
    // Breaks if a group hands out more unacked messages than max_ack_pending.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch((0..10).collect()).await.unwrap();
    let mut c = topic.consumer("g", ConsumerConfig::default().max_ack_pending(2)).await.unwrap();
    let a = within(c.recv()).await.unwrap();
    let _b = within(c.recv()).await.unwrap();
    assert!(c.try_recv().unwrap().is_none());
    assert_eq!(topic.stats().await.unwrap().group("g").unwrap().in_flight, 2);
    a.ack().await.unwrap();
    assert_eq!(within(c.recv()).await.unwrap().offset(), 2);
    system.shutdown().await;
}

#[tokio::test]
async fn key_filter_matches_nats_style_and_lag_counts_matches_only() {
    // Breaks if filtered groups get non-matching keys or report lag over all messages.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    let mut eu = topic.consumer("eu", ConsumerConfig::default().filter_key("orders.eu.*")).await.unwrap();
    let mut all = topic.consumer("all", ConsumerConfig::default().filter_key("orders.>")).await.unwrap();
    for (i, key) in
        ["orders.eu.paris", "orders.us.nyc", "orders.eu.rome", "billing.eu.x", "orders.eu"].iter().enumerate()
    {
        topic.publish_with(Message::new(i as u64).key(*key)).await.unwrap();
    }
    topic.publish(5).await.unwrap(); // no key: matches no filter
    let st = topic.stats().await.unwrap();
    assert_eq!((st.group("eu").unwrap().lag, st.group("all").unwrap().lag), (2, 4));
    let d = within(eu.recv()).await.unwrap();
    assert_eq!((d.offset(), d.key()), (0, Some("orders.eu.paris")));
    d.ack().await.unwrap();
    let g = topic.stats().await.unwrap().group("eu").cloned().unwrap();
    assert_eq!(g.lag + g.in_flight, 1, "one matching message left (maybe prefetched)");
    assert_eq!(within(eu.recv()).await.unwrap().offset(), 2);
    assert!(eu.try_recv().unwrap().is_none());
    let mut offs = Vec::new();
    while let Some(d) = all.try_recv().unwrap() {
        offs.push(d.offset());
    }
    assert_eq!(offs, vec![0, 1, 2, 4]);
    let g = topic.stats().await.unwrap();
    assert_eq!((g.group("eu").unwrap().lag, g.group("eu").unwrap().delivered), (0, 6));
    assert!(matches!(
        topic.consumer("bad", ConsumerConfig::default().filter_key("a.>.b")).await,
        Err(TopicError::Config(_))
    ));
    system.shutdown().await;
}

#[tokio::test]
async fn group_behind_retention_gets_gap_once_then_resumes() {
    // Breaks if a group silently skips evicted messages or reports the gap repeatedly.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default().max_messages(3)).await.unwrap();
    let mut c = topic.consumer("g", ConsumerConfig::default()).await.unwrap();
    for v in 0..6 {
        topic.publish(v).await.unwrap();
    }
    assert_eq!(within(c.recv()).await.unwrap_err(), TopicError::Gap { from: 0, to: 3, count: 3 });
    assert_eq!(within(c.recv()).await.unwrap().offset(), 3);
    assert_eq!(within(c.recv()).await.unwrap().offset(), 4);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn pending_lists_owner_idle_and_count() {
    // Breaks if the pending-entry list loses owners, idle times or delivery counts.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch(vec![0, 1]).await.unwrap();
    let mut a = topic.consumer("g", ConsumerConfig::default().member_name("a")).await.unwrap();
    let mut b = topic.consumer("g", ConsumerConfig::default().member_name("b")).await.unwrap();
    let _d0 = a.try_recv().unwrap().unwrap();
    tokio::time::advance(Duration::from_secs(2)).await;
    let _d1 = b.try_recv().unwrap().unwrap();
    let p = a.pending().await.unwrap();
    assert_eq!(p.len(), 2);
    assert_eq!(
        (p[0].offset, p[0].consumer.as_str(), p[0].idle, p[0].delivery_count),
        (0, "a", Duration::from_secs(2), 1)
    );
    assert_eq!((p[1].offset, p[1].consumer.as_str(), p[1].idle), (1, "b", Duration::ZERO));
    system.shutdown().await;
}
