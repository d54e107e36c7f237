//! What goes into a topic ([`Message`]) and what comes out ([`Record`],
//! [`Event`]).

use std::fmt;

use tokio::time::Instant;

use crate::loom::sync::Arc;

/// Optional metadata of a message: id (for deduplication), key (for
/// filtering) and headers.
#[derive(Debug, Default, Clone)]
pub(crate) struct Meta {
    pub(crate) id: Option<Box<str>>,
    pub(crate) key: Option<Box<str>>,
    pub(crate) headers: Vec<(Box<str>, Box<str>)>,
}

impl Meta {
    fn is_empty(&self) -> bool {
        self.id.is_none() && self.key.is_none() && self.headers.is_empty()
    }
}

/// A payload with an optional id, key and headers, for `publish_with`.
///
/// # Examples
///
/// ```
/// use actor_core::Message;
/// let m = Message::new(42u64).id("o-1").key("orders.eu").header("k", "v");
/// assert_eq!(m.payload(), &42);
/// assert_eq!(m.into_payload(), 42);
/// ```
pub struct Message<T> {
    pub(crate) payload: T,
    pub(crate) meta: Meta,
}

impl<T: fmt::Debug> fmt::Debug for Message<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Message")
            .field("payload", &self.payload)
            .field("id", &self.meta.id)
            .field("key", &self.meta.key)
            .field("headers", &self.meta.headers)
            .finish()
    }
}

impl<T> Message<T> {
    /// A message carrying `payload` and no metadata.
    pub fn new(payload: T) -> Self {
        Self { payload, meta: Meta::default() }
    }

    /// Sets the id used for deduplication within the topic's
    /// `dedup_window`.
    #[must_use]
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.meta.id = Some(id.into().into_boxed_str());
        self
    }

    /// Sets the key that consumer-group filters match against.
    #[must_use]
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.meta.key = Some(key.into().into_boxed_str());
        self
    }

    /// Adds a header; a later header with the same name wins on lookup.
    #[must_use]
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta.headers.push((name.into().into_boxed_str(), value.into().into_boxed_str()));
        self
    }

    /// The payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }

    /// Gives the payload back, dropping the metadata.
    pub fn into_payload(self) -> T {
        self.payload
    }
}

/// One retained message as a subscriber or consumer sees it: cheap to
/// clone (the payload is shared).
pub struct Record<T> {
    pub(crate) offset: u64,
    pub(crate) published_at: Instant,
    pub(crate) size: usize,
    pub(crate) payload: Arc<T>,
    pub(crate) meta: Option<Arc<Meta>>,
}

impl<T> Clone for Record<T> {
    fn clone(&self) -> Self {
        Self {
            offset: self.offset,
            published_at: self.published_at,
            size: self.size,
            payload: self.payload.clone(),
            meta: self.meta.clone(),
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Record<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("offset", &self.offset)
            .field("payload", &*self.payload)
            .field("key", &self.key())
            .finish_non_exhaustive()
    }
}

impl<T> Record<T> {
    pub(crate) fn new(offset: u64, published_at: Instant, size: usize, payload: Arc<T>, meta: Meta) -> Self {
        Self { offset, published_at, size, payload, meta: (!meta.is_empty()).then(|| Arc::new(meta)) }
    }

    /// The offset the topic assigned at append.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The payload.
    pub fn payload(&self) -> &T {
        &self.payload
    }

    /// The message key, if one was set.
    pub fn key(&self) -> Option<&str> {
        self.meta.as_ref().and_then(|m| m.key.as_deref())
    }

    /// The message id, if one was set.
    pub fn id(&self) -> Option<&str> {
        self.meta.as_ref().and_then(|m| m.id.as_deref())
    }

    /// The value of the last header called `name`.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.meta.as_ref().and_then(|m| m.headers.iter().rev().find(|(n, _)| &**n == name).map(|(_, v)| &**v))
    }

    /// All headers in insertion order.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.meta.iter().flat_map(|m| m.headers.iter().map(|(n, v)| (&**n, &**v)))
    }

    /// When the topic appended the message (tokio clock).
    pub fn published_at(&self) -> Instant {
        self.published_at
    }

    pub(crate) fn meta(&self) -> Option<&Meta> {
        self.meta.as_deref()
    }
}

/// What a [`Subscriber`](crate::Subscriber) receives: a message, or the
/// report that messages were evicted before it could read them.
pub enum Event<T> {
    /// The next message.
    Message(Record<T>),
    /// Offsets `from..to` (half-open) were evicted by retention before this
    /// subscriber read them; `count == to - from`. Reading resumes at `to`.
    Gap {
        /// First missed offset.
        from: u64,
        /// First offset after the gap (exclusive end).
        to: u64,
        /// How many messages were missed.
        count: u64,
    },
}

impl<T> Clone for Event<T> {
    fn clone(&self) -> Self {
        match self {
            Event::Message(r) => Event::Message(r.clone()),
            Event::Gap { from, to, count } => Event::Gap { from: *from, to: *to, count: *count },
        }
    }
}

impl<T: fmt::Debug> fmt::Debug for Event<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Event::Message(r) => f.debug_tuple("Message").field(r).finish(),
            Event::Gap { from, to, count } => {
                f.debug_struct("Gap").field("from", from).field("to", to).field("count", count).finish()
            }
        }
    }
}

impl<T> Event<T> {
    /// The record, if this is a message.
    pub fn into_record(self) -> Option<Record<T>> {
        match self {
            Event::Message(r) => Some(r),
            Event::Gap { .. } => None,
        }
    }

    /// Whether this is a gap report.
    pub fn is_gap(&self) -> bool {
        matches!(self, Event::Gap { .. })
    }
}
