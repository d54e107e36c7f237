//! Statistics snapshots: [`TopicStats`], [`GroupStats`], [`PendingEntry`].
//!
//! Every counter is maintained incrementally, so a snapshot costs the same
//! on a short and on a long topic (O(number of groups)).

use std::time::Duration;

/// A snapshot of one topic's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TopicStats {
    /// The topic's name.
    pub name: String,
    /// Oldest retained offset (`== next_offset` when empty).
    pub first_offset: u64,
    /// The offset the next message will get.
    pub next_offset: u64,
    /// Retained messages.
    pub len: u64,
    /// Retained payload bytes (as measured by the topic's sizer).
    pub bytes: u64,
    /// Messages evicted by retention or overflow, ever.
    pub evicted_total: u64,
    /// Messages ever published (`== next_offset`).
    pub published_total: u64,
    /// Live [`Subscriber`](crate::Subscriber) handles.
    pub subscribers: usize,
    /// One entry per durable consumer group.
    pub groups: Vec<GroupStats>,
}

impl TopicStats {
    /// The stats of group `name`.
    pub fn group(&self, name: &str) -> Option<&GroupStats> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// A snapshot of one consumer group's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct GroupStats {
    /// The group's name.
    pub name: String,
    /// The next offset not yet done (Kafka-style committed offset): every
    /// offset below it was acked, dead-lettered, filtered out or evicted.
    pub committed: u64,
    /// The next new offset the group will hand out.
    pub delivered: u64,
    /// Delivered and not yet acked (including those awaiting redelivery).
    pub in_flight: u64,
    /// Messages not yet handed out: `next_offset - delivered`, counting
    /// matching messages only for a filtered group.
    pub lag: u64,
    /// Redeliveries (after ack_wait, nack or claim), ever.
    pub redelivered_total: u64,
    /// Messages dead-lettered (max_deliver or rejected), ever.
    pub dead_lettered_total: u64,
    /// Dead letters the dead-letter topic refused (full, deleted) or that
    /// had no dead-letter topic configured: counted, never silent.
    pub dead_letters_dropped: u64,
    /// Members currently joined.
    pub members: usize,
}

/// One row of a group's pending-entry list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PendingEntry {
    /// The message's offset.
    pub offset: u64,
    /// The member that holds it.
    pub consumer: String,
    /// Time since it was last delivered, claimed or marked in progress.
    pub idle: Duration,
    /// Deliveries so far.
    pub delivery_count: u32,
}
