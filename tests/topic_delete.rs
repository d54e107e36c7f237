//! Deleting topics: waiting receives wake with `Deleted`, old handles stay
//! closed, `get` says `NotFound`, a re-created topic starts at offset 0;
//! the table checks names and payload types.

use std::pin::pin;

use actor_core::{ActorSystem, ConfigError, ConsumerConfig, Overflow, PublishError, StartAt, TopicConfig, TopicError};
use futures::poll;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[tokio::test]
async fn delete_wakes_every_waiter_and_closes_old_handles() {
    // Breaks if a waiting receive or blocked publish hangs after delete, or an old handle keeps working.
    let system = ActorSystem::new();
    let topics = system.topics();
    let cfg = TopicConfig::default().max_messages(1).overflow(Overflow::Block);
    let topic = topics.create::<u64>("t", cfg).await.unwrap();
    let mut sub = topic.subscribe(StartAt::Latest).await.unwrap();
    let mut c = topic.consumer("g", ConsumerConfig::default().start(StartAt::Latest)).await.unwrap();
    let mut slow = topic.consumer("slow", ConsumerConfig::default().start(StartAt::Latest)).await.unwrap();
    topic.publish(0).await.unwrap();
    // Each receives until an error and counts what it got: offset 0, then it waits.
    let mut sub_wait = pin!(async {
        let mut got = 0;
        loop {
            match sub.recv().await {
                Ok(_) => got += 1,
                Err(e) => return (got, e),
            }
        }
    });
    let mut group_wait = pin!(async {
        let mut got = 0;
        loop {
            match c.recv().await {
                Ok(_) => got += 1,
                Err(e) => return (got, e),
            }
        }
    });
    assert!(poll!(sub_wait.as_mut()).is_pending(), "the subscriber waits after offset 0");
    assert!(poll!(group_wait.as_mut()).is_pending(), "the member waits after offset 0");
    let _held = within(slow.recv()).await.unwrap();
    let mut blocked = pin!(topic.publish(1));
    assert!(poll!(blocked.as_mut()).is_pending(), "slow has not acked offset 0");
    topics.delete("t").await.unwrap();
    let deleted = TopicError::Deleted { name: "t".into() };
    assert_eq!(within(sub_wait).await, (1, deleted.clone()));
    assert_eq!(within(group_wait).await, (1, deleted.clone()));
    assert!(matches!(within(blocked).await, Err(PublishError::Deleted(1))));
    assert!(matches!(topic.publish(2).await, Err(PublishError::Deleted(2))));
    assert_eq!(topic.subscribe(StartAt::Earliest).await.unwrap_err(), deleted);
    assert_eq!(within(slow.recv()).await.unwrap_err(), deleted);
    assert_eq!(topic.stats().await.unwrap_err(), deleted);
    assert!(topic.is_deleted());
    assert!(matches!(topics.get::<u64>("t").await, Err(TopicError::NotFound { .. })));
    assert!(matches!(topics.delete("t").await, Err(TopicError::NotFound { .. })));
    let again = topics.create::<u64>("t", TopicConfig::default()).await.unwrap();
    assert_eq!(again.publish(9).await.unwrap(), 0, "a re-created topic starts at 0");
    system.shutdown().await;
}

#[tokio::test]
async fn waiting_receivers_get_deleted() {
    // Breaks if delete does not wake a subscriber or member that waits on an empty topic.
    let system = ActorSystem::new();
    let topics = system.topics();
    let topic = topics.create::<u64>("t", TopicConfig::default()).await.unwrap();
    let mut sub = topic.subscribe(StartAt::Latest).await.unwrap();
    let mut c = topic.consumer("g", ConsumerConfig::default()).await.unwrap();
    let mut a = pin!(async { sub.recv().await.map(|_| ()) });
    let mut b = pin!(async { c.recv().await.map(|_| ()) });
    assert!(poll!(a.as_mut()).is_pending(), "the subscriber waits");
    assert!(poll!(b.as_mut()).is_pending(), "the member waits");
    topics.delete("t").await.unwrap();
    let deleted = Err(TopicError::Deleted { name: "t".into() });
    assert_eq!(within(a).await, deleted);
    assert_eq!(within(b).await, deleted);
    system.shutdown().await;
}

#[tokio::test]
async fn table_checks_names_types_and_configs() {
    // Breaks if the broker allows duplicate names, hands out the wrong payload type or accepts bad configs.
    let system = ActorSystem::new();
    let topics = system.topics();
    topics.create::<u64>("a", TopicConfig::default()).await.unwrap();
    assert!(matches!(topics.create::<u64>("a", TopicConfig::default()).await, Err(TopicError::AlreadyExists { .. })));
    assert!(matches!(topics.get::<String>("a").await, Err(TopicError::WrongType { .. })));
    assert_eq!(topics.get_or_create::<u64>("a", TopicConfig::default()).await.unwrap().name(), "a");
    assert!(matches!(
        topics.create::<u64>("z", TopicConfig::default().max_messages(0)).await,
        Err(TopicError::Config(ConfigError::ZeroCapacity { .. }))
    ));
    assert!(matches!(
        topics.create::<u64>("z", TopicConfig::default().sizer::<String>(|s| s.len())).await,
        Err(TopicError::Config(_))
    ));
    assert_eq!(topics.names().await.unwrap(), vec!["a".to_string()]);
    system.shutdown().await;
    assert!(matches!(system.topics().get::<u64>("a").await, Err(TopicError::SystemStopped)));
}

#[test]
fn engine_taken_outside_the_runtime_works() {
    // Breaks if taking the engine on a thread outside the tokio runtime panics or leaves it unusable.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let system = rt.block_on(async { ActorSystem::new() });
    let topics = system.topics(); // outside the runtime
    let result = rt.block_on(topics.create::<u64>("t", TopicConfig::default()));
    assert!(result.is_ok());
    rt.block_on(system.shutdown());
}
