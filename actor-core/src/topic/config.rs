//! Topic and consumer-group configuration.

use std::any::Any;
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{ConfigError, TopicError};
use crate::loom::sync::Arc;

use super::filter::KeyFilter;

/// What a publish does when the topic is at `max_messages` or `max_bytes`.
///
/// # Examples
///
/// ```
/// use actor_core::{Overflow, TopicConfig};
/// let config = TopicConfig::default().max_messages(10).overflow(Overflow::RejectNew);
/// # let _ = config;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Overflow {
    /// Evict the oldest messages to make room (counted in `evicted_total`).
    #[default]
    DropOldest,
    /// Refuse the new message with `PublishError::Full`, handing it back.
    RejectNew,
    /// `publish` waits while the oldest retained message is not yet
    /// committed by every consumer group; messages that every group has
    /// committed are evicted to make room. `try_publish` returns `Full`
    /// instead of waiting. With no consumer group this behaves like
    /// `DropOldest`. Age retention (`max_age`) applies regardless.
    Block,
}

/// Where a subscriber or a new consumer group starts reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StartAt {
    /// The oldest retained message.
    Earliest,
    /// The next message published after the subscription.
    Latest,
    /// This offset. Past the end: wait for it. Before the first retained
    /// offset: a gap is reported first.
    Offset(u64),
    /// The first message published at or after this instant.
    Time(Instant),
}

/// The default size of a payload: the byte length of `Vec<u8>`, `String`,
/// `Box<[u8]>`, `Arc<[u8]>`, `Arc<str>`, `Box<str>`, otherwise
/// `size_of::<T>()`.
pub(crate) fn default_size<T: 'static>(value: &T) -> usize {
    let any = value as &dyn Any;
    if let Some(v) = any.downcast_ref::<Vec<u8>>() {
        v.len()
    } else if let Some(s) = any.downcast_ref::<String>() {
        s.len()
    } else if let Some(b) = any.downcast_ref::<Box<[u8]>>() {
        b.len()
    } else if let Some(b) = any.downcast_ref::<std::sync::Arc<[u8]>>() {
        b.len()
    } else if let Some(s) = any.downcast_ref::<std::sync::Arc<str>>() {
        s.len()
    } else if let Some(s) = any.downcast_ref::<Box<str>>() {
        s.len()
    } else {
        size_of::<T>()
    }
}

/// A type-erased `fn(&T) -> usize` plus the name of the `T` it was
/// written for (for the mismatch error).
#[derive(Clone)]
struct Sizer {
    type_name: &'static str,
    func: Arc<dyn Any + Send + Sync>,
}

/// Retention, overflow and deduplication settings of one topic.
///
/// Defaults: `max_messages` 1 048 576, `max_bytes` 256 MiB, no `max_age`,
/// [`Overflow::DropOldest`], no deduplication.
///
/// # Examples
///
/// ```
/// use actor_core::{Overflow, TopicConfig};
/// use std::time::Duration;
/// let config = TopicConfig::default()
///     .max_messages(100_000)
///     .max_bytes(64 << 20)
///     .max_age(Duration::from_secs(3600))
///     .overflow(Overflow::DropOldest)
///     .dedup_window(Duration::from_secs(120))
///     .sizer::<String>(|s| s.len());
/// # let _ = config;
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct TopicConfig {
    pub(crate) max_messages: usize,
    pub(crate) max_bytes: u64,
    pub(crate) max_age: Option<Duration>,
    pub(crate) overflow: Overflow,
    pub(crate) dedup_window: Option<Duration>,
    sizer: Option<Sizer>,
}

impl fmt::Debug for TopicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicConfig")
            .field("max_messages", &self.max_messages)
            .field("max_bytes", &self.max_bytes)
            .field("max_age", &self.max_age)
            .field("overflow", &self.overflow)
            .field("dedup_window", &self.dedup_window)
            .field("sizer", &self.sizer.as_ref().map(|s| s.type_name))
            .finish()
    }
}

impl Default for TopicConfig {
    fn default() -> Self {
        Self {
            max_messages: 1 << 20,
            max_bytes: 256 << 20,
            max_age: None,
            overflow: Overflow::DropOldest,
            dedup_window: None,
            sizer: None,
        }
    }
}

impl TopicConfig {
    /// At most this many messages are retained (must be > 0).
    #[must_use]
    pub fn max_messages(mut self, n: usize) -> Self {
        self.max_messages = n;
        self
    }

    /// At most this many payload bytes are retained (must be > 0). A single
    /// message larger than this is refused with `PublishError::TooLarge`.
    #[must_use]
    pub fn max_bytes(mut self, n: u64) -> Self {
        self.max_bytes = n;
        self
    }

    /// Messages older than this (by publish time) are evicted (must be > 0).
    #[must_use]
    pub fn max_age(mut self, age: Duration) -> Self {
        self.max_age = Some(age);
        self
    }

    /// What happens when the topic is full; see [`Overflow`].
    #[must_use]
    pub fn overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// A message whose id was published within this window is refused with
    /// `PublishError::Duplicate` naming the first offset (must be > 0). At
    /// most `max_messages` ids are remembered; the oldest are forgotten
    /// first.
    #[must_use]
    pub fn dedup_window(mut self, window: Duration) -> Self {
        self.dedup_window = Some(window);
        self
    }

    /// Overrides how the size of a payload is measured for `max_bytes`.
    /// Creating the topic with another payload type than `T` is a
    /// [`TopicError::Config`].
    #[must_use]
    pub fn sizer<T: 'static>(mut self, sizer: fn(&T) -> usize) -> Self {
        self.sizer = Some(Sizer { type_name: std::any::type_name::<T>(), func: Arc::new(sizer) });
        self
    }

    /// Checks the limits and resolves the sizer for `T`.
    pub(crate) fn validate<T: 'static>(&self) -> Result<fn(&T) -> usize, TopicError> {
        if self.max_messages == 0 {
            return Err(ConfigError::ZeroCapacity { what: "topic max_messages" }.into());
        }
        if self.max_bytes == 0 {
            return Err(ConfigError::ZeroCapacity { what: "topic max_bytes" }.into());
        }
        if self.max_age.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::ZeroDuration { what: "topic max_age" }.into());
        }
        if self.dedup_window.is_some_and(|d| d.is_zero()) {
            return Err(ConfigError::ZeroDuration { what: "topic dedup_window" }.into());
        }
        match &self.sizer {
            None => Ok(default_size::<T>),
            Some(s) => {
                s.func.downcast_ref::<fn(&T) -> usize>().copied().ok_or_else(|| sizer_mismatch::<T>(s.type_name))
            }
        }
    }
}

fn sizer_mismatch<T>(written_for: &str) -> TopicError {
    TopicError::Config(ConfigError::Invalid {
        what: "topic sizer",
        value: format!("written for {written_for}, topic holds {}", std::any::type_name::<T>()),
    })
}

/// Settings of a durable consumer group, applied by the first member that
/// joins (and again by a member joining a group that has no members).
///
/// Defaults: start [`StartAt::Earliest`], `ack_wait` 30 s, unlimited
/// `max_deliver`, `max_ack_pending` 1000, no dead-letter topic, no filter.
///
/// # Examples
///
/// ```
/// use actor_core::{ConsumerConfig, StartAt};
/// use std::time::Duration;
/// let config = ConsumerConfig::default()
///     .start(StartAt::Earliest)
///     .ack_wait(Duration::from_secs(30))
///     .max_deliver(5)
///     .max_ack_pending(1000)
///     .dead_letter("orders.dlq")
///     .filter_key("orders.*");
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConsumerConfig {
    pub(crate) start: StartAt,
    pub(crate) ack_wait: Duration,
    pub(crate) max_deliver: Option<u32>,
    pub(crate) max_ack_pending: usize,
    pub(crate) dead_letter: Option<String>,
    pub(crate) filter_key: Option<String>,
    pub(crate) member_name: Option<String>,
}

impl Default for ConsumerConfig {
    fn default() -> Self {
        Self {
            start: StartAt::Earliest,
            ack_wait: Duration::from_secs(30),
            max_deliver: None,
            max_ack_pending: 1000,
            dead_letter: None,
            filter_key: None,
            member_name: None,
        }
    }
}

impl ConsumerConfig {
    /// Where a new group starts; a group with a committed offset resumes
    /// there instead.
    #[must_use]
    pub fn start(mut self, start: StartAt) -> Self {
        self.start = start;
        self
    }

    /// An unacknowledged delivery is redelivered after this long (> 0).
    #[must_use]
    pub fn ack_wait(mut self, wait: Duration) -> Self {
        self.ack_wait = wait;
        self
    }

    /// After this many deliveries (> 0) a message that would be redelivered
    /// is dead-lettered instead, with reason `max_deliver`.
    #[must_use]
    pub fn max_deliver(mut self, n: u32) -> Self {
        self.max_deliver = Some(n);
        self
    }

    /// At most this many messages (> 0) are delivered and not yet acked.
    #[must_use]
    pub fn max_ack_pending(mut self, n: usize) -> Self {
        self.max_ack_pending = n;
        self
    }

    /// The topic (created beforehand, same payload type) that receives dead
    /// letters. Without one, dead letters are dropped and counted.
    #[must_use]
    pub fn dead_letter(mut self, topic: impl Into<String>) -> Self {
        self.dead_letter = Some(topic.into());
        self
    }

    /// Only messages whose key matches this NATS-style filter (`*` one
    /// token, `>` the rest) are delivered; others count as consumed.
    #[must_use]
    pub fn filter_key(mut self, filter: impl Into<String>) -> Self {
        self.filter_key = Some(filter.into());
        self
    }

    /// The member name shown in `pending()`; default `<group>-<n>`.
    #[must_use]
    pub fn member_name(mut self, name: impl Into<String>) -> Self {
        self.member_name = Some(name.into());
        self
    }

    /// Checks the settings and parses the filter.
    pub(crate) fn validate(&self) -> Result<Option<KeyFilter>, TopicError> {
        if self.ack_wait.is_zero() {
            return Err(ConfigError::ZeroDuration { what: "consumer ack_wait" }.into());
        }
        if self.max_deliver == Some(0) {
            return Err(ConfigError::ZeroCapacity { what: "consumer max_deliver" }.into());
        }
        if self.max_ack_pending == 0 {
            return Err(ConfigError::ZeroCapacity { what: "consumer max_ack_pending" }.into());
        }
        self.filter_key
            .as_deref()
            .map(KeyFilter::parse)
            .transpose()
            .map_err(|value| TopicError::Config(ConfigError::Invalid { what: "consumer filter_key", value }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_sizes() {
        // Wrong sizes would make max_bytes retention evict the wrong amount.
        assert_eq!(default_size(&vec![0u8; 7]), 7);
        assert_eq!(default_size(&"abc".to_string()), 3);
        assert_eq!(default_size(&7u64), 8);
        assert_eq!(default_size(&std::sync::Arc::<str>::from("ab")), 2);
    }

    #[test]
    fn sizer_type_is_checked() {
        // A sizer for another type must not be silently ignored.
        let c = TopicConfig::default().sizer::<String>(|_| 5);
        assert_eq!((c.validate::<String>().unwrap())(&String::new()), 5);
        assert!(matches!(c.validate::<u64>(), Err(TopicError::Config(_))));
        assert!(TopicConfig::default().max_messages(0).validate::<u8>().is_err());
        assert!(ConsumerConfig::default().max_deliver(0).validate().is_err());
        assert!(ConsumerConfig::default().filter_key("a..b").validate().is_err());
    }
}
