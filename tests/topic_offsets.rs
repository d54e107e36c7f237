//! Topic offsets and subscriber positions: offsets from 0 without holes
//! under concurrent publishers, contiguous batches, per-publisher order,
//! start modes, seek bounds, batch receive and the `Stream` impl.

use std::time::Duration;

use actor_core::{ActorSystem, Event, StartAt, Subscriber, TopicConfig, TopicError};
use futures::StreamExt;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

async fn next_msg<T: Send + Sync + Clone + 'static>(sub: &mut Subscriber<T>) -> (u64, T) {
    match within(sub.recv()).await.expect("recv") {
        Event::Message(m) => (m.offset(), m.payload().clone()),
        Event::Gap { from, to, .. } => panic!("unexpected gap {from}..{to}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_publishers_get_unique_contiguous_offsets_in_their_order() {
    // Breaks if offsets are assigned outside the log lock (holes, duplicates or reordering).
    let system = ActorSystem::new();
    let topic = system.topics().create::<(u32, u32)>("t", TopicConfig::default()).await.unwrap();
    let mut tasks = Vec::new();
    for p in 0..4u32 {
        let topic = topic.clone();
        tasks.push(tokio::spawn(async move {
            let mut offsets = Vec::new();
            for i in 0..500u32 {
                offsets.push(topic.publish((p, i)).await.unwrap());
            }
            offsets
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        let offs = within(t).await.unwrap();
        assert!(offs.windows(2).all(|w| w[0] < w[1]), "per-publisher offsets increase");
        all.extend(offs);
    }
    all.sort_unstable();
    assert_eq!(all, (0..2000).collect::<Vec<u64>>());
    let mut sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    let mut last = [None::<u32>; 4];
    for want in 0..2000u64 {
        let (off, (p, i)) = next_msg(&mut sub).await;
        assert_eq!(off, want);
        assert!(last[p as usize].is_none_or(|l| l + 1 == i), "publisher {p} order");
        last[p as usize] = Some(i);
    }
    system.shutdown().await;
}

#[tokio::test]
async fn batches_take_contiguous_offsets_and_recv_batch_fills_up() {
    // Breaks if a batch interleaves with other appends or recv_batch returns short when full.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    assert_eq!(topic.publish(0).await.unwrap(), 0);
    assert_eq!(topic.publish_batch((1..=150).collect()).await.unwrap(), 1..151);
    assert_eq!(topic.publish_batch(vec![]).await.unwrap(), 151..151);
    let mut sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    let batch = within(sub.recv_batch(100)).await.unwrap();
    assert_eq!(batch.len(), 100, "full when 100 are waiting");
    let rest = within(sub.recv_batch(100)).await.unwrap();
    assert_eq!(rest.len(), 51);
    let offs: Vec<u64> = batch.into_iter().chain(rest).map(|e| e.into_record().unwrap().offset()).collect();
    assert_eq!(offs, (0..151).collect::<Vec<_>>());
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn start_modes() {
    // Breaks if Latest replays history, Offset past the end does not wait, or Time picks the wrong offset.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_batch(vec![0, 1, 2]).await.unwrap();
    tokio::time::advance(Duration::from_secs(5)).await;
    let t = tokio::time::Instant::now();
    topic.publish_batch(vec![3, 4]).await.unwrap();

    let mut latest = topic.subscribe(StartAt::Latest).await.unwrap();
    let mut by_time = topic.subscribe(StartAt::Time(t)).await.unwrap();
    let mut by_offset = topic.subscribe(StartAt::Offset(7)).await.unwrap();
    let mut earliest = topic.subscribe(StartAt::Earliest).await.unwrap();
    assert!(latest.try_recv().unwrap().is_none());
    assert_eq!(next_msg(&mut by_time).await, (3, 3));
    assert_eq!(next_msg(&mut earliest).await, (0, 0));
    assert!(by_offset.try_recv().unwrap().is_none());
    topic.publish_batch(vec![5, 6, 7]).await.unwrap();
    assert_eq!(next_msg(&mut latest).await, (5, 5));
    assert_eq!(next_msg(&mut by_offset).await, (7, 7), "Offset(n) waits for n");
    assert_eq!(topic.stats().await.unwrap().subscribers, 4);
    system.shutdown().await;
}

#[tokio::test]
async fn seek_checks_bounds() {
    // Breaks if seek accepts offsets outside first..=next or does not reposition.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default().max_messages(3)).await.unwrap();
    for v in 0..5 {
        topic.publish(v).await.unwrap(); // retains 2..5
    }
    let mut sub = topic.subscribe(StartAt::Latest).await.unwrap();
    assert_eq!(sub.seek(1), Err(TopicError::OffsetOutOfRange { first: 2, next: 5 }));
    assert_eq!(sub.seek(6), Err(TopicError::OffsetOutOfRange { first: 2, next: 5 }));
    sub.seek(3).unwrap();
    assert_eq!(next_msg(&mut sub).await, (3, 3));
    sub.seek(5).unwrap();
    assert!(sub.try_recv().unwrap().is_none());
    sub.seek(2).unwrap();
    assert_eq!(sub.position(), 2);
    assert_eq!(next_msg(&mut sub).await, (2, 2));
    system.shutdown().await;
}

#[tokio::test]
async fn subscriber_is_a_stream_and_wakes_without_polling() {
    // Breaks if an idle subscriber misses the wake-up for a later publish.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    let sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    let reader = tokio::spawn(async move {
        sub.take(3).map(|e| e.unwrap().into_record().unwrap().offset()).collect::<Vec<_>>().await
    });
    tokio::task::yield_now().await;
    for v in 0..3 {
        topic.publish(v).await.unwrap();
        tokio::task::yield_now().await;
    }
    assert_eq!(within(reader).await.unwrap(), vec![0, 1, 2]);
    system.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn recv_timeout_returns_none_when_idle() {
    // Breaks if recv_timeout errors or hangs on an idle topic.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    let mut sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    assert!(within(sub.recv_timeout(Duration::from_millis(50))).await.unwrap().is_none());
    topic.publish(9).await.unwrap();
    let e = within(sub.recv_timeout(Duration::from_millis(50))).await.unwrap().unwrap();
    assert_eq!(*e.into_record().unwrap().payload(), 9);
    system.shutdown().await;
}
