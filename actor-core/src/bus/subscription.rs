//! A subscriber's end of one event type's channel, as a `Stream`.
//!
//! Events already waiting are taken with `try_recv`; only to wait for the
//! next one does the receiver move into a reusable boxed `recv` future
//! (allocated once per subscription, refilled in place), so a busy
//! subscriber builds no future per event. `try_recv` does not count against
//! tokio's cooperative budget, so the subscription keeps its own: after
//! [`YIELD_AFTER`] events in a row without waiting it yields to the
//! scheduler once, as tokio's own `recv` would after as many.

use std::fmt;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, ready};

use futures::Stream;
use futures::stream::FusedStream;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio_util::sync::ReusableBoxFuture;

use super::channel::{Counters, Msg};
use crate::error::Lagged;
use crate::loom::sync::Arc;

/// Events taken in a row without waiting before the subscription yields to
/// the scheduler (tokio's per-task budget).
const YIELD_AFTER: u32 = 128;

type Filter<E> = Box<dyn FnMut(&E) -> bool + Send>;
type Received<E> = (Result<Msg<E>, RecvError>, Receiver<Msg<E>>);

async fn recv_owned<E: Clone + Send + 'static>(mut rx: Receiver<Msg<E>>) -> Received<E> {
    let r = rx.recv().await;
    (r, rx)
}

/// A live subscription to one event type of an [`EventBus`](crate::EventBus):
/// a [`Stream`] of `Result<E, Lagged>`.
///
/// It receives every event published after [`subscribe`](crate::EventBus::subscribe)
/// returned, in publish order (per publisher; publishes from different
/// threads are ordered as they reached the channel). If it falls more than
/// the channel's capacity behind, it yields one `Err(Lagged { missed, .. })`
/// with the exact number of events it lost, then goes on with the oldest
/// event still retained. The stream ends (`None`) when the bus closes: at
/// the end of its system's shutdown, or when every handle of a private bus
/// is gone. Dropping it unsubscribes.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
/// use futures::StreamExt;
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct Price(u32);
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let bus = system.bus();
/// let mut prices = bus.subscribe::<Price>();
/// assert_eq!(bus.publish(Price(10)), 1);
/// assert_eq!(prices.next().await, Some(Ok(Price(10))));
/// system.shutdown().await;
/// assert_eq!(prices.next().await, None); // the bus closed
/// # Ok(()) }
/// ```
#[must_use = "a subscription receives nothing unless it is polled"]
pub struct Subscription<E> {
    /// The receiver, unless it is inside `wait` or the stream ended.
    rx: Option<Receiver<Msg<E>>>,
    /// The reusable future that owns the receiver while waiting.
    wait: Option<ReusableBoxFuture<'static, Received<E>>>,
    filter: Option<Filter<E>>,
    /// Events taken in a row without waiting.
    streak: u32,
    /// `Some` while the subscription is live (counted as a subscriber).
    counters: Option<Arc<Counters>>,
}

impl<E: Clone + Send + 'static> Subscription<E> {
    /// A live subscription over `rx`, counted in `counters`; an ended one if
    /// `rx` is `None` (the bus closed).
    pub(crate) fn new(rx: Option<Receiver<Msg<E>>>, counters: &Arc<Counters>, filter: Option<Filter<E>>) -> Self {
        let counters = rx.as_ref().map(|_| {
            counters.add_subscriber();
            counters.clone()
        });
        Subscription { rx, wait: None, filter, streak: 0, counters }
    }

    /// The next event, `Err(Lagged)` after a loss, or `None` once the bus
    /// closed. Same as `StreamExt::next`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an event is only taken when it is returned.
    pub async fn recv(&mut self) -> Option<Result<E, Lagged>> {
        futures::StreamExt::next(self).await
    }

    fn end(&mut self) {
        self.rx = None;
        self.wait = None;
        if let Some(counters) = self.counters.take() {
            counters.remove_subscriber();
        }
    }
}

impl<E: Clone + Send + 'static> Stream for Subscription<E> {
    type Item = Result<E, Lagged>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let Some(event_type) = this.counters.as_ref().map(|c| c.event_type) else { return Poll::Ready(None) };
            let received = if let Some(rx) = this.rx.as_mut() {
                if this.streak >= YIELD_AFTER {
                    // Cooperative yield: see the module docs.
                    this.streak = 0;
                    cx.waker().wake_by_ref();
                    return Poll::Pending;
                }
                match rx.try_recv() {
                    Ok(msg) => {
                        this.streak += 1;
                        Ok(msg)
                    }
                    Err(TryRecvError::Lagged(n)) => Err(RecvError::Lagged(n)),
                    Err(TryRecvError::Closed) => Err(RecvError::Closed),
                    Err(TryRecvError::Empty) => {
                        // Nothing waiting: park in tokio's `recv`.
                        let Some(rx) = this.rx.take() else { continue };
                        match this.wait.as_mut() {
                            Some(wait) => wait.set(recv_owned(rx)),
                            None => this.wait = Some(ReusableBoxFuture::new(recv_owned(rx))),
                        }
                        continue;
                    }
                }
            } else {
                let Some(wait) = this.wait.as_mut() else {
                    this.end();
                    return Poll::Ready(None);
                };
                let (received, rx) = ready!(wait.poll(cx));
                this.rx = Some(rx);
                this.streak = 0;
                received
            };
            match received {
                Ok(Msg::Event(event)) => {
                    // A rejected event counts towards the streak like any other.
                    if this.filter.as_mut().is_none_or(|keep| keep(&event)) {
                        return Poll::Ready(Some(Ok(event)));
                    }
                }
                Ok(Msg::End) | Err(RecvError::Closed) => {
                    this.end();
                    return Poll::Ready(None);
                }
                Err(RecvError::Lagged(missed)) => {
                    if let Some(counters) = this.counters.as_ref() {
                        counters.add_lagged(missed);
                    }
                    return Poll::Ready(Some(Err(Lagged { missed, event_type })));
                }
            }
        }
    }
}

impl<E: Clone + Send + 'static> FusedStream for Subscription<E> {
    fn is_terminated(&self) -> bool {
        self.counters.is_none()
    }
}

impl<E> Drop for Subscription<E> {
    fn drop(&mut self) {
        if let Some(counters) = self.counters.take() {
            counters.remove_subscriber();
        }
    }
}

impl<E> fmt::Debug for Subscription<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("event_type", &std::any::type_name::<E>())
            .field("live", &self.counters.is_some())
            .field("filtered", &self.filter.is_some())
            .finish()
    }
}
