//! Deduplication: a message id published within the dedup window is
//! refused as `Duplicate`, naming the first offset and handing the message
//! back; after the window it is accepted again.

use std::time::Duration;

use actor_core::{ActorSystem, Message, PublishError, TopicConfig};

#[tokio::test(start_paused = true)]
async fn duplicate_ids_within_the_window_are_refused() {
    // Breaks if a retried publish is appended twice or the window never expires.
    let system = ActorSystem::new();
    let cfg = TopicConfig::default().dedup_window(Duration::from_secs(120));
    let topic = system.topics().create::<String>("t", cfg).await.unwrap();
    assert_eq!(topic.publish_with(Message::new("a".to_string()).id("o-1")).await.unwrap(), 0);
    assert_eq!(topic.publish_with(Message::new("b".to_string()).id("o-2")).await.unwrap(), 1);
    tokio::time::advance(Duration::from_secs(119)).await;
    match topic.publish_with(Message::new("retry".to_string()).id("o-1")).await {
        Err(PublishError::Duplicate { offset, message }) => {
            assert_eq!((offset, message.payload().as_str()), (0, "retry"));
        }
        other => panic!("expected Duplicate, got {other:?}"),
    }
    assert!(matches!(
        topic.try_publish_with(Message::new("x".into()).id("o-2")),
        Err(PublishError::Duplicate { offset: 1, .. })
    ));
    assert_eq!(topic.stats().await.unwrap().next_offset, 2, "a duplicate takes no offset");
    tokio::time::advance(Duration::from_secs(1)).await;
    assert_eq!(topic.publish_with(Message::new("again".to_string()).id("o-1")).await.unwrap(), 2);
    assert_eq!(topic.publish(String::from("no id")).await.unwrap(), 3);
    system.shutdown().await;
}

#[tokio::test]
async fn without_a_window_ids_are_not_checked() {
    // Breaks if dedup applies to topics that did not ask for it.
    let system = ActorSystem::new();
    let topic = system.topics().create::<u64>("t", TopicConfig::default()).await.unwrap();
    topic.publish_with(Message::new(1).id("same")).await.unwrap();
    assert_eq!(topic.publish_with(Message::new(2).id("same")).await.unwrap(), 1);
    system.shutdown().await;
}
