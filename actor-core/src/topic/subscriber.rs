//! [`Subscriber`]: an independent reader of a topic's log, without acks.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use futures::Stream;

use crate::error::TopicError;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::Ordering;

use super::core::{READ_CHUNK, TopicCore};
use super::message::{Event, Record};

type Wait = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A reader of a topic with its own position and no acknowledgements; many
/// subscribers read the same messages (fan-out).
///
/// Reading copies batches of shared records out of the log under a short
/// lock into a local buffer, so neither the topic actor nor the publisher
/// is involved per message. A subscriber whose position fell behind
/// retention gets one [`Event::Gap`] before the next message; never a
/// silent skip. Also a [`Stream`] of `Result<Event<T>, TopicError>` that
/// ends after yielding `Deleted`.
///
/// # Examples
///
/// ```
/// use actor_core::{ActorSystem, Event, StartAt, TopicConfig};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let topic = system.topics().create::<u64>("ticks", TopicConfig::default()).await?;
/// topic.publish(7).await?;
/// let mut sub = topic.subscribe(StartAt::Earliest).await?;
/// match sub.recv().await? {
///     Event::Message(m) => assert_eq!((m.offset(), *m.payload()), (0, 7)),
///     Event::Gap { .. } => unreachable!("nothing was evicted"),
/// }
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[must_use = "a subscriber reads nothing unless received from"]
pub struct Subscriber<T> {
    core: Arc<TopicCore<T>>,
    /// Next offset to copy out of the log (after `buf`).
    pos: u64,
    buf: VecDeque<Record<T>>,
    gap: Option<(u64, u64)>,
    waiting: Option<Wait>,
    ended: bool,
}

impl<T> fmt::Debug for Subscriber<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber")
            .field("topic", &self.core.name)
            .field("position", &self.position())
            .field("buffered", &self.buf.len())
            .finish()
    }
}

impl<T> Drop for Subscriber<T> {
    fn drop(&mut self) {
        // Relaxed: a statistic only.
        self.core.subscribers.fetch_sub(1, Ordering::Relaxed);
    }
}

impl<T> Subscriber<T> {
    /// The offset of the next message this subscriber will return.
    pub fn position(&self) -> u64 {
        match (&self.gap, self.buf.front()) {
            (Some((from, _)), _) => *from,
            (None, Some(r)) => r.offset,
            (None, None) => self.pos,
        }
    }
}

impl<T: Send + Sync + 'static> Subscriber<T> {
    pub(crate) fn new(core: Arc<TopicCore<T>>, pos: u64) -> Self {
        // Relaxed: a statistic only.
        core.subscribers.fetch_add(1, Ordering::Relaxed);
        Self { core, pos, buf: VecDeque::new(), gap: None, waiting: None, ended: false }
    }

    /// The next buffered event, refilling from the log once if empty.
    fn next_ready(&mut self) -> Result<Option<Event<T>>, TopicError> {
        if self.core.is_deleted() {
            return Err(self.core.deleted_error());
        }
        if self.gap.is_none() && self.buf.is_empty() {
            self.gap = self.core.read(&mut self.pos, READ_CHUNK, &mut self.buf)?;
        }
        if let Some((from, to)) = self.gap.take() {
            return Ok(Some(Event::Gap { from, to, count: to - from }));
        }
        Ok(self.buf.pop_front().map(Event::Message))
    }

    /// Returns the next event without waiting; `Ok(None)` if none is
    /// there yet.
    ///
    /// # Errors
    ///
    /// [`TopicError::Deleted`] once the topic is deleted.
    pub fn try_recv(&mut self) -> Result<Option<Event<T>>, TopicError> {
        self.next_ready()
    }

    /// Waits for the next event: a message, or a gap report.
    ///
    /// # Errors
    ///
    /// [`TopicError::Deleted`] once the topic is deleted (also while
    /// waiting).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: nothing is consumed until it is returned.
    pub async fn recv(&mut self) -> Result<Event<T>, TopicError> {
        loop {
            if let Some(e) = self.next_ready()? {
                return Ok(e);
            }
            self.core.wait_data(self.pos).await;
        }
    }

    /// Waits for at least one event, then returns up to `max` that are
    /// available (`max` of them if that many are waiting). `max == 0` is
    /// treated as 1.
    ///
    /// # Errors
    ///
    /// As [`recv`](Self::recv).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn recv_batch(&mut self, max: usize) -> Result<Vec<Event<T>>, TopicError> {
        let max = max.max(1);
        let first = self.recv().await?;
        let mut out = Vec::with_capacity(max.min(READ_CHUNK * 4));
        out.push(first);
        while out.len() < max {
            if self.gap.is_none() && self.buf.is_empty() {
                let want = (max - out.len()).max(READ_CHUNK);
                self.gap = self.core.read(&mut self.pos, want, &mut self.buf)?;
                if self.gap.is_none() && self.buf.is_empty() {
                    break;
                }
            }
            if let Some((from, to)) = self.gap.take() {
                out.push(Event::Gap { from, to, count: to - from });
                continue;
            }
            let take = (max - out.len()).min(self.buf.len());
            out.extend(self.buf.drain(..take).map(Event::Message));
        }
        Ok(out)
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
    pub async fn recv_timeout(&mut self, timeout: Duration) -> Result<Option<Event<T>>, TopicError> {
        match tokio::time::timeout(timeout, self.recv()).await {
            Ok(r) => r.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// Moves this subscriber to offset `n`, dropping anything buffered.
    ///
    /// # Errors
    ///
    /// [`TopicError::OffsetOutOfRange`] unless `first_offset <= n <=
    /// next_offset`; [`TopicError::Deleted`].
    pub fn seek(&mut self, n: u64) -> Result<(), TopicError> {
        self.core.check_seek(n)?;
        self.buf.clear();
        self.gap = None;
        self.waiting = None;
        self.pos = n;
        Ok(())
    }
}

impl<T: Send + Sync + 'static> Stream for Subscriber<T> {
    type Item = Result<Event<T>, TopicError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if this.ended {
                return Poll::Ready(None);
            }
            match this.next_ready() {
                Ok(Some(e)) => {
                    this.waiting = None;
                    return Poll::Ready(Some(Ok(e)));
                }
                Err(e) => {
                    this.ended = true;
                    return Poll::Ready(Some(Err(e)));
                }
                Ok(None) => {}
            }
            let wait = this.waiting.get_or_insert_with(|| {
                let core = this.core.clone();
                let pos = this.pos;
                Box::pin(async move { core.wait_data(pos).await })
            });
            match wait.as_mut().poll(cx) {
                Poll::Ready(()) => this.waiting = None,
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}
