//! Deleting topics: waiting receives wake with `Deleted`, old handles stay
//! closed, `get` says `NotFound`, a re-created topic starts at offset 0;
//! the table checks names and payload types.

use std::time::Duration;

use actor_core::{ActorSystem, ConfigError, ConsumerConfig, Overflow, PublishError, StartAt, TopicConfig, TopicError};

/// Every wait is bounded, so a hang fails fast instead of stalling the suite.
async fn within<F: std::future::IntoFuture>(fut: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(30), fut).await.expect("timed out: the engine hung")
}

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
    let sub_wait = tokio::spawn(async move { sub.recv().await.map(|_| ()) });
    let group_wait = tokio::spawn(async move { c.recv().await.map(|_| ()) });
    topic.publish(0).await.unwrap();
    let _held = within(slow.recv()).await.unwrap();
    let t = topic.clone();
    let blocked = tokio::spawn(async move { t.publish(1).await.map_err(|e| e.into_inner()) });
    tokio::task::yield_now().await;
    topics.delete("t").await.unwrap();
    let deleted = TopicError::Deleted { name: "t".into() };
    // The subscriber and the member may have read offset 0 first; each ends with Deleted.
    let _ = within(sub_wait).await.unwrap();
    let _ = within(group_wait).await.unwrap();
    assert_eq!(within(blocked).await.unwrap(), Err(1));
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
    let a = tokio::spawn(async move { sub.recv().await.map(|_| ()) });
    let b = tokio::spawn(async move { c.recv().await.map(|_| ()) });
    tokio::task::yield_now().await;
    topics.delete("t").await.unwrap();
    let deleted = Err(TopicError::Deleted { name: "t".into() });
    assert_eq!(within(a).await.unwrap(), deleted);
    assert_eq!(within(b).await.unwrap(), deleted);
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
fn engine_without_a_runtime_is_an_error_not_a_panic() {
    // Breaks if using the engine from a thread with no tokio runtime panics.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let system = rt.block_on(async { ActorSystem::new() });
    let topics = system.topics(); // outside the runtime
    let result = rt.block_on(topics.create::<u64>("t", TopicConfig::default()));
    assert!(result.is_ok());
    rt.block_on(system.shutdown());
}
