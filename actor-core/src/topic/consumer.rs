//! [`Consumer`] (a member of a durable consumer group) and [`Delivery`]
//! (one message handed to it, to be acked).

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::TopicError;
use crate::loom::sync::Arc;

use super::core::{GroupShared, TopicCore};
use super::group::{Handout, Held};
use super::message::Record;
use super::stats::PendingEntry;

/// The topic and group a consumer's deliveries settle with: shared by the
/// consumer and its deliveries, so handing one out costs one reference
/// count on a word only this consumer's deliveries touch.
struct Link<T> {
    core: Arc<TopicCore<T>>,
    group: Arc<GroupShared<T>>,
}

/// A member of a durable consumer group. Members of one group compete:
/// each message goes to one member at a time, and waiting members are
/// served in turn (first come, first served). When many messages are
/// available a member takes up to 32 at once (never more than an equal
/// share among the members); those count as in flight from then on (their
/// ack wait is renewed if it runs out before they are returned) and are
/// handed back for redelivery (uncounted) if the consumer is dropped.
///
/// Dropping the handle leaves the group; its unacked deliveries are
/// redelivered to others after their `ack_wait`.
///
/// # Examples
///
/// ```
/// use actor_core::{ActorSystem, ConsumerConfig, TopicConfig};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let orders = system.topics().create::<String>("orders", TopicConfig::default()).await?;
/// orders.publish("o-1".to_string()).await?;
/// let mut billing = orders.consumer("billing", ConsumerConfig::default()).await?;
/// let d = billing.recv().await?;
/// assert_eq!((d.offset(), d.delivery_count(), d.payload().as_str()), (0, 1, "o-1"));
/// d.ack().await?;
/// assert_eq!(orders.stats().await?.group("billing").unwrap().committed, 1);
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[must_use = "a consumer receives nothing unless received from"]
pub struct Consumer<T: Send + Sync + 'static> {
    link: Arc<Link<T>>,
    member: u64,
    name: Box<str>,
    /// Taken from the group under one lock, not yet returned (oldest
    /// first); given back for redelivery when the consumer is dropped.
    prefetched: VecDeque<Handout<T>>,
    scratch: Vec<Handout<T>>,
}

impl<T: Send + Sync + 'static> fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Consumer")
            .field("topic", &self.link.core.name)
            .field("group", &self.link.group.name)
            .field("member", &self.name)
            .finish()
    }
}

impl<T: Send + Sync + 'static> Drop for Consumer<T> {
    fn drop(&mut self) {
        if !self.prefetched.is_empty() {
            let back = self.prefetched.drain(..).map(|h| (h.record.offset(), h.token));
            self.link.core.release(&self.link.group, back);
        }
        self.link.core.leave(&self.link.group, self.member);
    }
}

impl<T: Send + Sync + 'static> Consumer<T> {
    pub(crate) fn new(core: Arc<TopicCore<T>>, group: Arc<GroupShared<T>>, member: u64, name: Box<str>) -> Self {
        Self { link: Arc::new(Link { core, group }), member, name, prefetched: VecDeque::new(), scratch: Vec::new() }
    }

    /// The group's name.
    pub fn group(&self) -> &str {
        &self.link.group.name
    }

    /// This member's name (as shown by [`pending`](Self::pending)).
    pub fn name(&self) -> &str {
        &self.name
    }

    fn delivery(&self, h: Handout<T>) -> Delivery<T> {
        Delivery { record: h.record, token: h.token, delivery_count: h.delivery_count, link: self.link.clone() }
    }

    /// Moves what `take` produced into the prefetch queue and returns the
    /// first, or the gap.
    fn settle(&mut self, gap: Option<(u64, u64)>) -> Result<Option<Delivery<T>>, TopicError> {
        self.prefetched.extend(self.scratch.drain(..));
        if let Some((from, to)) = gap {
            return Err(TopicError::Gap { from, to, count: to - from });
        }
        Ok(self.prefetched.pop_front().map(|h| self.delivery(h)))
    }

    /// Returns the oldest prefetched delivery. One whose ack wait ran out
    /// while it waited here is renewed first (its deadline restarts, as
    /// with `in_progress`); one that was redelivered or dead-lettered
    /// meanwhile is stale and skipped.
    fn prefetched(&mut self) -> Result<Option<Delivery<T>>, TopicError> {
        if self.prefetched.is_empty() {
            return Ok(None);
        }
        if self.link.core.is_deleted() {
            return Err(self.link.core.deleted_error());
        }
        let now = Instant::now();
        while let Some(mut h) = self.prefetched.pop_front() {
            if now >= h.deadline {
                match self.link.core.in_progress(&self.link.group, h.record.offset(), h.token) {
                    Ok(deadline) => h.deadline = deadline,
                    Err(TopicError::Stale { .. }) => continue,
                    Err(e) => {
                        self.prefetched.push_front(h);
                        return Err(e);
                    }
                }
            }
            return Ok(Some(self.delivery(h)));
        }
        Ok(None)
    }

    /// Waits for the next message for this member: a due redelivery
    /// first, then new messages in offset order, at most
    /// `max_ack_pending` unacked at a time for the whole group.
    ///
    /// # Errors
    ///
    /// [`TopicError::Gap`] once when the group fell behind retention (the
    /// next call resumes at the first retained offset);
    /// [`TopicError::Deleted`] once the topic is deleted.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: messages taken ahead wait in this consumer for the
    /// next call (their ack wait runs from when they were taken and is
    /// renewed if it ran out before they are returned).
    pub async fn recv(&mut self) -> Result<Delivery<T>, TopicError> {
        if let Some(d) = self.prefetched()? {
            return Ok(d);
        }
        let gap = self.link.core.take_wait(&self.link.group, self.member, &mut self.scratch).await?;
        self.settle(gap)?.ok_or_else(|| self.link.core.deleted_error())
    }

    /// Like [`recv`](Self::recv), but `Ok(None)` after `timeout`.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Delivery<T>>, TopicError> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(r) => r.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Returns the next message if one is available now.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    pub fn try_recv(&mut self) -> Result<Option<Delivery<T>>, TopicError> {
        if let Some(d) = self.prefetched()? {
            return Ok(Some(d));
        }
        let gap = self.link.core.take(&self.link.group, self.member, &mut self.scratch)?;
        self.settle(gap)
    }

    /// The group's pending-entry list (delivered, not yet acked), by
    /// offset: owner, idle time, delivery count.
    ///
    /// # Errors
    ///
    /// [`TopicError::Deleted`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (completes without waiting).
    pub async fn pending(&self) -> Result<Vec<PendingEntry>, TopicError> {
        Ok(self
            .link
            .core
            .pending(&self.link.group)?
            .into_iter()
            .map(|(row, owner)| PendingEntry {
                offset: row.offset,
                consumer: owner.into(),
                idle: row.idle,
                delivery_count: row.delivery_count,
            })
            .collect())
    }

    /// Takes over every pending message of the group idle for at least
    /// `min_idle` (Redis `XCLAIM`): each is redelivered to this member with
    /// its delivery count + 1; earlier tokens become stale.
    ///
    /// # Errors
    ///
    /// [`TopicError::Deleted`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (completes without waiting).
    pub async fn claim(&self, min_idle: Duration) -> Result<Vec<Delivery<T>>, TopicError> {
        let got = self.link.core.claim(&self.link.group, self.member, min_idle)?;
        Ok(got.into_iter().map(|h| self.delivery(h)).collect())
    }
}

/// One message delivered to a group member. Owns nothing of the consumer:
/// many may be held and settled in any order, from any task. Dropping it
/// unsettled leaves the message pending until its `ack_wait` expires.
#[must_use = "an unsettled delivery is redelivered after ack_wait"]
pub struct Delivery<T: Send + Sync + 'static> {
    record: Held<T>,
    token: u64,
    delivery_count: u32,
    link: Arc<Link<T>>,
}

impl<T: Send + Sync + 'static + fmt::Debug> fmt::Debug for Delivery<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("offset", &self.record.offset())
            .field("delivery_count", &self.delivery_count)
            .field("payload", self.record.payload())
            .finish_non_exhaustive()
    }
}

impl<T: Send + Sync + 'static> Delivery<T> {
    /// The message's offset.
    pub fn offset(&self) -> u64 {
        self.record.offset()
    }

    /// How many times this message was delivered to the group (1 first).
    pub fn delivery_count(&self) -> u32 {
        self.delivery_count
    }

    /// The payload.
    pub fn payload(&self) -> &T {
        self.record.payload()
    }

    /// The message key.
    pub fn key(&self) -> Option<&str> {
        self.record.key()
    }

    /// The value of header `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.record.header(name)
    }

    /// The whole record (offset, payload, key, headers, publish time).
    pub fn record(&self) -> &Record<T> {
        &self.record
    }

    /// Acknowledges: the message is done for this group.
    ///
    /// # Errors
    ///
    /// [`TopicError::Stale`] if the message was redelivered or claimed
    /// since (or already settled); [`TopicError::Deleted`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe (completes without waiting).
    pub async fn ack(self) -> Result<(), TopicError> {
        self.link.core.ack(&self.link.group, self.record.offset(), self.token)
    }

    /// Negative ack: redeliver now (or dead-letter if `max_deliver` is
    /// reached).
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn nack(self) -> Result<(), TopicError> {
        self.link.core.nack(&self.link.group, self.record.offset(), self.token, None)
    }

    /// Negative ack: redeliver after `delay` (then as [`nack`](Self::nack)).
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn nack_after(self, delay: Duration) -> Result<(), TopicError> {
        self.link.core.nack(&self.link.group, self.record.offset(), self.token, Some(delay))
    }

    /// Dead-letters the message now, with reason `rejected`.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn reject(self) -> Result<(), TopicError> {
        self.link.core.reject(&self.link.group, self.record.offset(), self.token)
    }

    /// Still working on it: restarts the ack wait from now.
    ///
    /// # Errors
    ///
    /// As [`ack`](Self::ack).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn in_progress(&self) -> Result<(), TopicError> {
        self.link.core.in_progress(&self.link.group, self.record.offset(), self.token).map(|_| ())
    }
}
