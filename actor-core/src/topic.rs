//! The topic queue engine: an in-process offset log with retention,
//! subscribers, durable consumer groups, acknowledgements, redelivery,
//! dead letters and deduplication, built from actors.
//!
//! # Semantics
//!
//! - **Offsets** are per topic, `u64` from 0, assigned at append under the
//!   log lock: no holes, even with many concurrent publishers; a batch
//!   takes contiguous offsets atomically; one publisher's messages keep
//!   their order. A re-created topic starts at 0 again.
//! - **Retention**: `max_messages`, `max_bytes` (a message larger than the
//!   limit is [`PublishError::TooLarge`] and changes nothing) and `max_age`
//!   (by publish time on the tokio clock). Every eviction is counted in
//!   [`TopicStats::evicted_total`]; none is silent.
//! - **Overflow** ([`Overflow`]): `DropOldest` (default) evicts, `RejectNew`
//!   refuses with [`PublishError::Full`] (the message comes back and gets
//!   no offset), `Block` makes `publish` wait while the oldest retained
//!   message is not yet committed by every consumer group (`try_publish`
//!   returns `Full` at once).
//! - **Subscribers** ([`Subscriber`]) read from a [`StartAt`] position with
//!   no acks. One that fell behind retention gets [`Event::Gap`] before the
//!   next message. `seek(n)` needs `first_offset <= n <= next_offset`.
//! - **Consumer groups** ([`Consumer`]) are durable by name. Members
//!   compete: each message is in flight at one member at a time; waiting
//!   members are served first come, first served. The committed offset
//!   (Kafka-style: the next not yet done; dead letters count as done)
//!   beats the start mode when a group is joined again. A [`Delivery`] is
//!   settled with `ack`, `nack` (redeliver now), `nack_after(d)`, `reject`
//!   (dead-letter now) or extended with `in_progress`; unsettled, it is
//!   redelivered after `ack_wait`. After `max_deliver` deliveries the
//!   message goes to the configured dead-letter topic (same payload type)
//!   with headers `original_topic`, `original_offset`, `delivery_count` and
//!   `reason` (`max_deliver` or `rejected`). `max_ack_pending` bounds the
//!   unacked messages of a group. `pending()` lists them (owner, idle
//!   time, delivery count) and `claim(min_idle)` takes idle ones over
//!   (Redis `XCLAIM`). Settling with a token that was superseded by a
//!   redelivery or claim is [`TopicError::Stale`]. A group behind
//!   retention gets [`TopicError::Gap`] once, then resumes at the first
//!   retained offset.
//! - **Filters**: `filter_key` matches message keys NATS-style (`*` one
//!   token, `>` the rest); non-matching messages count as consumed and are
//!   not in the group's lag.
//! - **Dedup**: a message whose id was published within `dedup_window` is
//!   [`PublishError::Duplicate`] naming the first offset.
//! - **Delete**: every waiting receive wakes with [`TopicError::Deleted`],
//!   old handles stay closed, `get` returns `NotFound`.
//!
//! # Architecture
//!
//! A broker actor owns the name -> topic table; each topic is an actor that
//! owns the topic's shared core, joins consumers into groups, answers
//! stats and runs the timer driver for ack waits and nack delays (so
//! redelivery and dead-lettering happen even while nobody receives).
//!
//! The data path does not go through any mailbox. The core holds the log (a
//! `VecDeque` of records whose payloads are shared `Arc`s) behind a mutex
//! that is held only to append or to copy out a batch of records.
//! Publishers append under it and then wake readers; subscribers copy up to
//! 256 records per lock into a local buffer and hand them out one by one;
//! group members take from the group's pending-entry list under the
//! group's mutex. Idle readers sleep on a `tokio::sync::Notify` (no
//! polling) and cost nothing; the publisher only touches a `Notify` when
//! someone waits. See the `core` module's `# Invariants` for the lock
//! order and the wake-up protocol.
//!
//! # Examples
//!
//! ```
//! use actor_core::{ActorSystem, ConsumerConfig, Event, Message, StartAt, TopicConfig};
//! # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let topics = system.topics();
//! let orders = topics.create::<String>("orders", TopicConfig::default()).await?;
//! let mut audit = orders.subscribe(StartAt::Earliest).await?;
//! let mut billing = orders.consumer("billing", ConsumerConfig::default()).await?;
//!
//! orders.publish_with(Message::new("o-1".to_string()).key("orders.eu")).await?;
//! let d = billing.recv().await?;
//! assert_eq!(d.key(), Some("orders.eu"));
//! d.ack().await?;
//! assert!(matches!(audit.recv().await?, Event::Message(m) if m.offset() == 0));
//!
//! let stats = orders.stats().await?;
//! assert_eq!((stats.next_offset, stats.group("billing").unwrap().lag), (1, 0));
//! topics.delete("orders").await?;
//! system.shutdown().await;
//! # Ok(()) }
//! ```

mod broker;
mod config;
mod consumer;
pub(crate) mod core;
mod filter;
pub(crate) mod group;
mod log;
pub(crate) mod message;
#[cfg(test)]
mod model;
mod stats;
mod subscriber;

use std::fmt;
use std::marker::PhantomData;
use std::ops::Range;

use crate::actor_ref::ActorRef;
use crate::error::{AskError, PublishError, TopicError};
use crate::loom::sync::Arc;
use crate::system::ActorSystem;

use self::broker::{Broker, BrokerRef, Create, Delete, Get, Join, Names, Stats, TopicActor};
use self::core::TopicCore;
use self::message::Meta;

pub use self::config::{ConsumerConfig, Overflow, StartAt, TopicConfig};
pub use self::consumer::{Consumer, Delivery};
pub use self::message::{Event, Message, Record};
pub use self::stats::{GroupStats, PendingEntry, TopicStats};
pub use self::subscriber::Subscriber;

impl ActorSystem {
    /// The system's topic engine (a cheap handle; the broker actor is
    /// spawned on first use).
    ///
    /// # Examples
    ///
    /// ```
    /// # use actor_core::{ActorSystem, TopicConfig};
    /// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let t = system.topics().create::<u64>("numbers", TopicConfig::default()).await?;
    /// assert_eq!(t.publish(1).await?, 0);
    /// system.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn topics(&self) -> Topics {
        self.extension(|system| Topics { broker: system.spawn(Broker::new()).ok() })
    }
}

/// Maps a failed ask to the broker or a topic actor.
fn ask_error(_: AskError) -> TopicError {
    TopicError::SystemStopped
}

/// The topic engine of one actor system: creates, finds and deletes
/// topics. Cheap to clone.
///
/// # Examples
///
/// ```
/// use actor_core::{ActorSystem, TopicConfig, TopicError};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let topics = system.topics();
/// topics.create::<u64>("a", TopicConfig::default()).await?;
/// assert!(matches!(topics.get::<String>("a").await, Err(TopicError::WrongType { .. })));
/// topics.delete("a").await?;
/// assert!(matches!(topics.get::<u64>("a").await, Err(TopicError::NotFound { .. })));
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Topics {
    /// `None` if the broker could not be spawned (system stopping).
    broker: Option<BrokerRef>,
}

impl fmt::Debug for Topics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topics").field("running", &self.broker.is_some()).finish()
    }
}

impl Topics {
    fn broker(&self) -> Result<&BrokerRef, TopicError> {
        self.broker.as_ref().ok_or(TopicError::SystemStopped)
    }

    /// Creates topic `name` holding `T` payloads.
    ///
    /// # Errors
    ///
    /// [`TopicError::AlreadyExists`], [`TopicError::Config`] for an invalid
    /// config or an empty name, [`TopicError::SystemStopped`].
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the topic may or may not have been created.
    pub async fn create<T: Send + Sync + 'static>(
        &self,
        name: &str,
        config: TopicConfig,
    ) -> Result<Topic<T>, TopicError> {
        let msg = Create { name: name.to_owned(), config, or_get: false, _type: PhantomData };
        self.broker()?.ask(msg).await.map_err(ask_error)?
    }

    /// Returns topic `name`, creating it with `config` if it does not exist.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create) and [`get`](Self::get), except
    /// `AlreadyExists`.
    ///
    /// # Cancel safety
    ///
    /// As [`create`](Self::create).
    pub async fn get_or_create<T: Send + Sync + 'static>(
        &self,
        name: &str,
        config: TopicConfig,
    ) -> Result<Topic<T>, TopicError> {
        let msg = Create { name: name.to_owned(), config, or_get: true, _type: PhantomData };
        self.broker()?.ask(msg).await.map_err(ask_error)?
    }

    /// Returns topic `name`.
    ///
    /// # Errors
    ///
    /// [`TopicError::NotFound`], [`TopicError::WrongType`] if it holds
    /// another payload type, [`TopicError::SystemStopped`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn get<T: Send + Sync + 'static>(&self, name: &str) -> Result<Topic<T>, TopicError> {
        let msg = Get { name: name.to_owned(), _type: PhantomData };
        self.broker()?.ask(msg).await.map_err(ask_error)?
    }

    /// Deletes topic `name`: every waiting receive wakes with
    /// [`TopicError::Deleted`] and every handle stays closed.
    ///
    /// # Errors
    ///
    /// [`TopicError::NotFound`], [`TopicError::SystemStopped`].
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the topic may or may not have been deleted.
    pub async fn delete(&self, name: &str) -> Result<(), TopicError> {
        let msg = Delete { name: name.to_owned() };
        self.broker()?.ask(msg).await.map_err(ask_error)?
    }

    /// The names of the existing topics, sorted.
    ///
    /// # Errors
    ///
    /// [`TopicError::SystemStopped`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn names(&self) -> Result<Vec<String>, TopicError> {
        self.broker()?.ask(Names).await.map_err(ask_error)
    }
}

/// A handle to one topic holding `T` payloads. Cheap to clone; publishing
/// appends to the shared log directly (no actor hop).
///
/// # Examples
///
/// ```
/// use actor_core::{ActorSystem, Event, Message, PublishError, StartAt, TopicConfig};
/// use std::time::Duration;
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let orders = system
///     .topics()
///     .create::<u64>("orders", TopicConfig::default().dedup_window(Duration::from_secs(60)))
///     .await?;
/// assert_eq!(orders.publish(10).await?, 0);
/// assert_eq!(orders.publish_batch(vec![11, 12, 13]).await?, 1..4);
/// orders.publish_with(Message::new(14).id("o-14")).await?;
/// match orders.publish_with(Message::new(15).id("o-14")).await {
///     Err(PublishError::Duplicate { offset, message }) => {
///         assert_eq!((offset, message.into_payload()), (4, 15));
///     }
///     other => panic!("{other:?}"),
/// }
/// let mut sub = orders.subscribe(StartAt::Offset(3)).await?;
/// let batch = sub.recv_batch(10).await?;
/// assert_eq!(batch.len(), 2);
/// system.shutdown().await;
/// # Ok(()) }
/// ```
pub struct Topic<T: Send + Sync + 'static> {
    core: Arc<TopicCore<T>>,
    actor: ActorRef<TopicActor<T>>,
    broker: BrokerRef,
}

impl<T: Send + Sync + 'static> Clone for Topic<T> {
    fn clone(&self) -> Self {
        Self { core: self.core.clone(), actor: self.actor.clone(), broker: self.broker.clone() }
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topic")
            .field("name", &self.core.name)
            .field("type", &std::any::type_name::<T>())
            .field("deleted", &self.core.is_deleted())
            .finish()
    }
}

impl<T: Send + Sync + 'static> Topic<T> {
    /// The topic's name.
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// Whether the topic was deleted (this handle is then closed for good).
    pub fn is_deleted(&self) -> bool {
        self.core.is_deleted()
    }

    /// Publishes `payload`; returns its offset. Waits only in
    /// [`Overflow::Block`] mode, while the topic is full of messages not
    /// yet committed by every group.
    ///
    /// # Errors
    ///
    /// [`PublishError::Full`] (RejectNew), [`PublishError::TooLarge`],
    /// [`PublishError::Deleted`]; the payload comes back.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe in Block mode: a payload waiting for room is dropped
    /// unpublished when the future is dropped.
    pub async fn publish(&self, payload: T) -> Result<u64, PublishError<T>> {
        self.core.append(payload, Meta::default()).await.map_err(|e| e.map(|(p, _)| p))
    }

    /// Publishes without ever waiting (Block mode: `Full` at once).
    ///
    /// # Errors
    ///
    /// As [`publish`](Self::publish).
    pub fn try_publish(&self, payload: T) -> Result<u64, PublishError<T>> {
        self.core.try_append(payload, Meta::default()).map_err(|e| e.map(|(p, _)| p))
    }

    /// Publishes a message with id, key and headers.
    ///
    /// # Errors
    ///
    /// As [`publish`](Self::publish), plus [`PublishError::Duplicate`]
    /// naming the first offset when the id was published within the
    /// topic's dedup window; the message comes back.
    ///
    /// # Cancel safety
    ///
    /// As [`publish`](Self::publish).
    pub async fn publish_with(&self, message: Message<T>) -> Result<u64, PublishError<Message<T>>> {
        self.core
            .append(message.payload, message.meta)
            .await
            .map_err(|e| e.map(|(payload, meta)| Message { payload, meta }))
    }

    /// [`publish_with`](Self::publish_with) without waiting.
    ///
    /// # Errors
    ///
    /// As [`publish_with`](Self::publish_with).
    pub fn try_publish_with(&self, message: Message<T>) -> Result<u64, PublishError<Message<T>>> {
        self.core
            .try_append(message.payload, message.meta)
            .map_err(|e| e.map(|(payload, meta)| Message { payload, meta }))
    }

    /// Publishes all payloads atomically at contiguous offsets, or none.
    /// An empty batch returns an empty range at `next_offset`.
    ///
    /// # Errors
    ///
    /// As [`publish`](Self::publish); `TooLarge` also when the batch is
    /// longer than `max_messages` or its bytes exceed `max_bytes`. The whole
    /// batch comes back.
    ///
    /// # Cancel safety
    ///
    /// As [`publish`](Self::publish).
    pub async fn publish_batch(&self, payloads: Vec<T>) -> Result<Range<u64>, PublishError<Vec<T>>> {
        self.core.append_batch(payloads).await
    }

    /// [`publish_batch`](Self::publish_batch) without waiting.
    ///
    /// # Errors
    ///
    /// As [`publish_batch`](Self::publish_batch).
    pub fn try_publish_batch(&self, payloads: Vec<T>) -> Result<Range<u64>, PublishError<Vec<T>>> {
        self.core.try_append_batch(payloads)
    }

    /// A new subscriber starting at `start`; it is live as soon as this
    /// returns.
    ///
    /// # Errors
    ///
    /// [`TopicError::Deleted`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn subscribe(&self, start: StartAt) -> Result<Subscriber<T>, TopicError> {
        let pos = self.core.resolve_start(start)?;
        Ok(Subscriber::new(self.core.clone(), pos))
    }

    /// Joins durable consumer group `group` (creating it with `config` if
    /// new; a group without members takes the new `config`, keeping its
    /// committed offset).
    ///
    /// # Errors
    ///
    /// [`TopicError::Config`] for an invalid config;
    /// [`TopicError::NotFound`] / [`TopicError::WrongType`] for the
    /// dead-letter topic; [`TopicError::Deleted`];
    /// [`TopicError::SystemStopped`].
    ///
    /// # Cancel safety
    ///
    /// If cancelled, the group may have been created (with no member).
    pub async fn consumer(&self, group: &str, config: ConsumerConfig) -> Result<Consumer<T>, TopicError> {
        let filter = config.validate()?;
        let dead_letter = match &config.dead_letter {
            Some(name) => {
                let msg = Get::<T> { name: name.clone(), _type: PhantomData };
                Some(self.broker.ask(msg).await.map_err(ask_error)??.core)
            }
            None => None,
        };
        let join = Join { group: group.to_owned(), config, filter, dead_letter };
        let (g, member, name) = self.actor.ask(join).await.map_err(|e| self.closed(e))??;
        Ok(Consumer::new(self.core.clone(), g, member, name))
    }

    /// A snapshot of the topic's and its groups' counters. Costs the same
    /// on a short and a long topic; publishers wait at most for short holds
    /// of the log lock: one for the log's counters and one per group.
    ///
    /// # Errors
    ///
    /// [`TopicError::Deleted`], [`TopicError::SystemStopped`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn stats(&self) -> Result<TopicStats, TopicError> {
        self.actor.ask(Stats).await.map_err(|e| self.closed(e))?
    }

    fn closed(&self, e: AskError) -> TopicError {
        if self.core.is_deleted() { self.core.deleted_error() } else { ask_error(e) }
    }
}
