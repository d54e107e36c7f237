//! The topic log's shared read path. Publishers append and subscribers read
//! a topic's log directly (not through an actor), under the log mutex, and
//! `delete` flips a flag under the same mutex. Racing an append, a delete
//! and a reader: offsets are handed out contiguously, a reader sees a gap-
//! free prefix of what was appended (never a record whose append failed),
//! and once a delete is seen it is final for readers and publishers alike.
//!
//! Waiting for data goes through tokio's `Notify`, which loom cannot see;
//! the model checks the state under the lock, not the wake-up.

use std::collections::VecDeque;

use crate::TopicConfig;
use crate::error::{PublishError, TopicError};
use crate::loom::check::{model, spawn};
use crate::loom::sync::Arc;
use crate::topic::core::TopicCore;
use crate::topic::message::Meta;

#[test]
fn loom_topic_append_read_delete() {
    model(|| {
        let topic = Arc::new(TopicCore::<u64>::new("orders", &TopicConfig::default()).expect("valid config"));
        let publisher = {
            let topic = topic.clone();
            spawn(move || {
                [10, 11]
                    .map(|v| match topic.try_append(v, Meta::default()) {
                        Ok(offset) => Some(offset),
                        Err(PublishError::Deleted(_)) => None,
                        Err(e) => panic!("unexpected refusal: {e}"),
                    })
                    .into_iter()
                    .flatten()
                    .collect::<Vec<u64>>()
            })
        };
        let deleter = {
            let topic = topic.clone();
            spawn(move || topic.delete())
        };
        let mut pos = 0;
        let mut out = VecDeque::new();
        let mut deleted = false;
        for _ in 0..2 {
            match topic.read(&mut pos, 8, &mut out) {
                Ok(gap) => {
                    assert!(!deleted, "a read succeeded after a delete was seen");
                    assert_eq!(gap, None);
                }
                Err(TopicError::Deleted { .. }) => deleted = true,
                Err(e) => panic!("unexpected read error: {e}"),
            }
        }
        let appended = publisher.join().expect("publisher");
        deleter.join().expect("deleter");
        // Contiguous offsets from 0; the reader saw a prefix of them.
        assert_eq!(appended, (0..appended.len() as u64).collect::<Vec<_>>());
        let read: Vec<u64> = out.iter().map(|r| r.offset()).collect();
        assert_eq!(read, appended[..read.len()]);
        assert_eq!(pos, read.len() as u64);
        // The delete is final.
        assert!(topic.is_deleted());
        assert!(matches!(topic.read(&mut pos, 8, &mut out), Err(TopicError::Deleted { .. })));
        assert!(matches!(topic.try_append(12, Meta::default()), Err(PublishError::Deleted(_))));
    });
}
