//! Every public error type of the runtime.
//!
//! One type per operation. Send errors hand the message back; "full" and
//! "closed" are never merged. `Debug` never requires the message to be
//! `Debug`. Display text is short, lower-case and names the offending value.

use std::fmt;

use crate::actor::BoxError;

/// A `tell` (or `tell_timeout`) did not deliver; the message comes back.
#[non_exhaustive]
#[derive(thiserror::Error)]
pub enum SendError<M> {
    /// The actor stopped or is stopping; it accepts no new messages.
    #[error("mailbox closed")]
    Closed(M),
    /// The mailbox stayed full until the deadline.
    #[error("mailbox full until the deadline")]
    Timeout(M),
}

/// A `try_tell` did not deliver; the message comes back.
#[non_exhaustive]
#[derive(thiserror::Error)]
pub enum TrySendError<M> {
    /// The mailbox is at capacity right now.
    #[error("mailbox full")]
    Full(M),
    /// The actor stopped or is stopping; it accepts no new messages.
    #[error("mailbox closed")]
    Closed(M),
}

macro_rules! message_error_common {
    ($ty:ident { $($variant:ident),* }) => {
        impl<M> $ty<M> {
            /// Returns the message that was not delivered.
            pub fn into_inner(self) -> M {
                match self { $(Self::$variant(m) => m),* }
            }
        }
        impl<M> fmt::Debug for $ty<M> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self { $(Self::$variant(_) => f.debug_tuple(stringify!($variant)).finish_non_exhaustive()),* }
            }
        }
    };
}
message_error_common!(SendError { Closed, Timeout });
message_error_common!(TrySendError { Full, Closed });

impl<M> SendError<M> {
    /// True if the actor no longer accepts messages.
    pub fn is_closed(&self) -> bool {
        matches!(self, Self::Closed(_))
    }
}

impl<M> TrySendError<M> {
    /// True if the mailbox was full (the actor is alive).
    pub fn is_full(&self) -> bool {
        matches!(self, Self::Full(_))
    }
}

/// An `ask` did not produce a reply.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AskError {
    /// The actor stopped (or was killed) before it replied.
    #[error("actor stopped before replying")]
    Stopped,
    /// `try_ask` found the mailbox full.
    #[error("mailbox full")]
    Full,
    /// No reply before the deadline.
    #[error("no reply before the deadline")]
    Timeout,
    /// The handler dropped its `ReplySender` without replying.
    #[error("handler dropped the reply without sending it")]
    NoReply,
    /// The handler panicked; the text is the panic message.
    #[error("handler panicked: {0}")]
    Panicked(String),
}

/// A bus subscriber fell behind and lost the `missed` oldest events of
/// `event_type`; it goes on with the oldest event still retained.
///
/// A [`Subscription`](crate::Subscription) yields it as `Err(Lagged)`; an
/// actor fed by [`EventBus::subscribe_actor_with_lag`](crate::EventBus::subscribe_actor_with_lag)
/// receives it as a message.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("subscriber lagged behind and missed {missed} events of {event_type}")]
pub struct Lagged {
    /// How many events were lost, exactly.
    pub missed: u64,
    /// The lost events' type name.
    pub event_type: &'static str,
}

/// Spawning an actor failed.
#[non_exhaustive]
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The system is shutting down.
    #[error("actor system is shutting down")]
    SystemStopped,
    /// The actor's configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A registry operation failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistryError {
    /// Another live actor holds the name.
    #[error("name already registered: {0}")]
    NameTaken(String),
    /// No actor holds the name.
    #[error("no actor registered as: {0}")]
    NotFound(String),
    /// The actor registered under the name is of another type.
    #[error("actor {name} is a {actual}, not a {expected}")]
    WrongType {
        /// The name looked up.
        name: String,
        /// The requested actor type.
        expected: &'static str,
        /// The type of the registered actor.
        actual: &'static str,
    },
    /// The name is empty, too long, or holds whitespace or control characters.
    #[error("invalid actor name: {0:?}")]
    InvalidName(String),
    /// The system is shutting down.
    #[error("actor system is shutting down")]
    SystemStopped,
    /// The actor's configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

impl From<SpawnError> for RegistryError {
    fn from(e: SpawnError) -> Self {
        match e {
            SpawnError::SystemStopped => RegistryError::SystemStopped,
            SpawnError::Config(c) => RegistryError::Config(c),
        }
    }
}

/// A configuration value is out of range.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A mailbox or buffer capacity of zero.
    #[error("{what} capacity must be at least 1, got 0")]
    ZeroCapacity {
        /// What the capacity was for.
        what: &'static str,
    },
    /// A capacity above the supported maximum.
    #[error("{what} capacity {got} exceeds the maximum {max}")]
    CapacityTooLarge {
        /// What the capacity was for.
        what: &'static str,
        /// The requested capacity.
        got: usize,
        /// The largest supported capacity.
        max: usize,
    },
    /// A duration that must be positive was zero.
    #[error("{what} must be longer than zero")]
    ZeroDuration {
        /// What the duration was for.
        what: &'static str,
    },
    /// Any other invalid value, with the offending text.
    #[error("invalid {what}: {value}")]
    Invalid {
        /// What was invalid.
        what: &'static str,
        /// The offending value.
        value: String,
    },
    /// Two items that must be unique share a name.
    #[error("duplicate {what}: {value}")]
    Duplicate {
        /// What must be unique.
        what: &'static str,
        /// The repeated value.
        value: String,
    },
    /// The thing is already in use and can no longer be configured (an
    /// event type after its first subscribe or publish).
    #[error("{what} already in use, configure it before first use: {name}")]
    InUse {
        /// What was configured too late.
        what: &'static str,
        /// Which one (for an event type, its type name).
        name: String,
    },
    /// `ActorSystem::try_new` was called outside a tokio runtime.
    #[error("no tokio runtime is running on this thread")]
    NoRuntime,
}

/// Why a topic operation (other than publishing) failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// No topic has this name.
    #[error("topic not found: {name}")]
    NotFound {
        /// The name looked up.
        name: String,
    },
    /// A topic with this name exists already.
    #[error("topic already exists: {name}")]
    AlreadyExists {
        /// The name taken.
        name: String,
    },
    /// The topic holds another payload type.
    #[error("topic {name} holds {actual}, not {expected}")]
    WrongType {
        /// The topic's name.
        name: String,
        /// The payload type asked for.
        expected: &'static str,
        /// The payload type the topic holds.
        actual: &'static str,
    },
    /// The topic was deleted; this handle is closed for good.
    #[error("topic deleted: {name}")]
    Deleted {
        /// The deleted topic's name.
        name: String,
    },
    /// The delivery was redelivered, claimed, acked or dead-lettered since
    /// this token was issued.
    #[error("stale delivery of offset {offset}")]
    Stale {
        /// The delivery's offset.
        offset: u64,
    },
    /// Offsets `from..to` were evicted before the consumer group read them;
    /// the group resumes at `to`. Reported once per gap.
    #[error("offsets {from}..{to} evicted before delivery ({count} messages)")]
    Gap {
        /// First missed offset.
        from: u64,
        /// First offset after the gap (exclusive).
        to: u64,
        /// Number of missed messages.
        count: u64,
    },
    /// A seek target outside `first..=next`.
    #[error("offset out of range: valid offsets are {first}..={next}")]
    OffsetOutOfRange {
        /// First retained offset.
        first: u64,
        /// Next offset to be assigned.
        next: u64,
    },
    /// An invalid topic or consumer configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The actor system is shutting down (or the engine could not start).
    #[error("actor system is shutting down")]
    SystemStopped,
}

/// Why a publish failed; the message always comes back (`into_inner`).
///
/// `Debug` does not need `T: Debug`.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum PublishError<T> {
    /// The topic is full and its overflow mode refuses (RejectNew, or Block
    /// through `try_publish`).
    #[error("topic full")]
    Full(T),
    /// Larger than the topic's `max_bytes` (or a batch longer than
    /// `max_messages`); nothing changed.
    #[error("message too large for topic")]
    TooLarge(T),
    /// The topic was deleted.
    #[error("topic deleted")]
    Deleted(T),
    /// A message with the same id was published within the dedup window.
    #[error("duplicate message id, first published at offset {offset}")]
    Duplicate {
        /// Offset of the first message with this id.
        offset: u64,
        /// The refused message.
        message: T,
    },
}

impl<T> PublishError<T> {
    /// The message that was not published.
    pub fn into_inner(self) -> T {
        match self {
            PublishError::Full(m)
            | PublishError::TooLarge(m)
            | PublishError::Deleted(m)
            | PublishError::Duplicate { message: m, .. } => m,
        }
    }

    /// Maps the carried message, keeping the reason.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> PublishError<U> {
        match self {
            PublishError::Full(m) => PublishError::Full(f(m)),
            PublishError::TooLarge(m) => PublishError::TooLarge(f(m)),
            PublishError::Deleted(m) => PublishError::Deleted(f(m)),
            PublishError::Duplicate { offset, message } => PublishError::Duplicate { offset, message: f(message) },
        }
    }
}

impl<T> std::fmt::Debug for PublishError<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PublishError::Full(_) => f.write_str("Full(..)"),
            PublishError::TooLarge(_) => f.write_str("TooLarge(..)"),
            PublishError::Deleted(_) => f.write_str("Deleted(..)"),
            PublishError::Duplicate { offset, .. } => {
                f.debug_struct("Duplicate").field("offset", offset).finish_non_exhaustive()
            }
        }
    }
}

/// Turns a panic payload into its message text.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&'static str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Renders a boxed error with its source chain, `a: b: c`.
pub(crate) fn error_chain(e: &BoxError) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// A supervisor operation failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    /// A child failed to start; the children started before it were stopped.
    #[error("child {id} failed to start: {reason}")]
    StartFailed {
        /// The child's id.
        id: String,
        /// Why it failed.
        reason: String,
    },
    /// No child has this id.
    #[error("no child with id: {0}")]
    NotFound(String),
    /// The child is of another type.
    #[error("child {id} is a {actual}, not a {expected}")]
    WrongType {
        /// The child's id.
        id: String,
        /// The requested type.
        expected: &'static str,
        /// The child's type.
        actual: &'static str,
    },
    /// The child runs (terminate it first).
    #[error("child is running: {0}")]
    Running(String),
    /// The child is between incarnations.
    #[error("child is restarting: {0}")]
    Restarting(String),
    /// A child with this id exists.
    #[error("child id already present: {0}")]
    AlreadyPresent(String),
    /// More restarts than the intensity allows; the supervisor gave up.
    #[error("supervisor {supervisor} gave up: more than {max_restarts} restarts in {period:?} (last: {last} {reason})")]
    IntensityExceeded {
        /// The supervisor.
        supervisor: String,
        /// The intensity's restart limit.
        max_restarts: u32,
        /// The intensity's window.
        period: std::time::Duration,
        /// The child whose exit was one restart too many.
        last: String,
        /// Why that child exited.
        reason: String,
    },
    /// The supervisor is not running.
    #[error("supervisor is not running")]
    Stopped,
    /// The system is shutting down.
    #[error("actor system is shutting down")]
    SystemStopped,
    /// A spec is invalid; nothing was started.
    #[error(transparent)]
    Config(#[from] ConfigError),
}
