//! The topic log's shared read path. Publishers append and subscribers read
//! a topic's log directly (not through an actor), under the log mutex, and
//! `delete` flips a flag under the same mutex. Racing an append, a delete
//! and a reader: offsets are handed out contiguously, a reader sees a gap-
//! free prefix of what was appended (never a record whose append failed),
//! and once a delete is seen it is final for readers and publishers alike.
//!
//! Consumer-group members take from the group's pending-entry list and ack
//! under the group's lock while publishers append: each offset goes to one
//! member once, and acks are exact.
//!
//! Waiting for data goes through tokio's `Notify`, which loom cannot see;
//! the model checks the state under the lock, not the wake-up.

use std::collections::VecDeque;
use std::time::Duration;

use crate::error::{PublishError, TopicError};
use crate::loom::check::{model, spawn};
use crate::loom::sync::Arc;
use crate::topic::core::TopicCore;
use crate::topic::group::GroupRules;
use crate::topic::message::Meta;
use crate::{ConsumerConfig, TopicConfig};

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

/// Two members of one group take and ack while a publisher appends: each
/// offset is handed to one member once, every ack of a live delivery
/// succeeds, a repeated ack is `Stale`, and the committed offset ends at
/// the last offset appended.
#[test]
fn loom_topic_group_take_ack() {
    model(|| {
        let topic = Arc::new(TopicCore::<u64>::new("orders", &TopicConfig::default()).expect("valid config"));
        let config = ConsumerConfig::default();
        let rules =
            || GroupRules { ack_wait: Duration::from_secs(3600), max_deliver: None, max_ack_pending: 8, filter: None };
        let (g, m1, _) = topic.join("g", &config, rules(), None).expect("join");
        let (g2, m2, _) = topic.join("g", &config, rules(), None).expect("join");
        let publisher = {
            let topic = topic.clone();
            spawn(move || {
                topic.try_append(10, Meta::default()).expect("append");
                topic.try_append(11, Meta::default()).expect("append");
            })
        };
        let member = {
            let topic = topic.clone();
            spawn(move || {
                let mut out = Vec::new();
                assert!(matches!(topic.take(&g2, m2, &mut out), Ok(None)));
                for h in &out {
                    topic.ack(&g2, h.record.offset(), h.token).expect("live delivery");
                }
                out.iter().map(|h| h.record.offset()).collect::<Vec<u64>>()
            })
        };
        let mut mine = Vec::new();
        let mut out = Vec::new();
        assert!(matches!(topic.take(&g, m1, &mut out), Ok(None)));
        for h in out.drain(..) {
            topic.ack(&g, h.record.offset(), h.token).expect("live delivery");
            assert!(matches!(topic.ack(&g, h.record.offset(), h.token), Err(TopicError::Stale { .. })));
            mine.push(h.record.offset());
        }
        publisher.join().expect("publisher");
        let theirs = member.join().expect("member");
        // Whatever is left goes to member 1 now (an equal share per take).
        loop {
            assert!(matches!(topic.take(&g, m1, &mut out), Ok(None)));
            if out.is_empty() {
                break;
            }
            for h in out.drain(..) {
                topic.ack(&g, h.record.offset(), h.token).expect("live delivery");
                mine.push(h.record.offset());
            }
        }
        let mut all: Vec<u64> = mine.into_iter().chain(theirs).collect();
        all.sort_unstable();
        assert_eq!(all, vec![0, 1], "each offset handed out exactly once");
        let counters = topic.group_counters();
        assert_eq!((counters[0].committed, counters[0].in_flight), (2, 0));
    });
}
