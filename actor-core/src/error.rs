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
    /// `ActorSystem::try_new` was called outside a tokio runtime.
    #[error("no tokio runtime is running on this thread")]
    NoRuntime,
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
