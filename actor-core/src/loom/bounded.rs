//! A small bounded mpsc channel built on the facade's primitives, so that a
//! model check sees every step of the mailbox. It keeps the part of tokio's
//! bounded mpsc contract the mailbox relies on:
//!
//! - `reserve` waits for capacity and fails once the receiver closed;
//!   `try_reserve` tells `Full` from `Closed`;
//! - a permit holds one unit of capacity until it sends (the message is
//!   queued, even after `close`) or is dropped (the unit is released);
//! - `close` stops new reservations but keeps what is queued; the receiver
//!   then yields every queued message and also waits for permits already
//!   handed out, and only yields `None` when the channel is closed (or every
//!   sender is gone), empty and no permit is outstanding;
//! - dropping the receiver closes the channel and drops what is queued.
//!
//! # Invariants
//!
//! One mutex guards the whole state: `queue.len() + reserved <= cap`. No
//! waker is called while the mutex is held.

use std::collections::VecDeque;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use super::lock;
use super::sync::{Arc, Mutex};

/// `reserve` failed: the receiver closed the channel.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SendError<T>(pub(crate) T);

/// `try_reserve` failed.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TrySendError<T> {
    /// No capacity now.
    Full(T),
    /// The receiver closed the channel.
    Closed(T),
}

/// `try_recv` found nothing.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum TryRecvError {
    /// Nothing queued now; more may come.
    Empty,
    /// Closed (or every sender gone), empty, and no permit outstanding.
    Disconnected,
}

struct State<T> {
    queue: VecDeque<T>,
    /// Capacity held by permits that have not sent yet.
    reserved: usize,
    senders: usize,
    /// The receiver closed the channel or was dropped.
    closed: bool,
    rx_waker: Option<Waker>,
    /// Senders waiting for capacity, by waiter id.
    waiting: Vec<(u64, Waker)>,
    next_waiter: u64,
}

impl<T> State<T> {
    /// No more messages can arrive.
    fn is_finished(&self) -> bool {
        (self.closed || self.senders == 0) && self.reserved == 0
    }

    fn take_waiting(&mut self) -> Vec<Waker> {
        self.waiting.drain(..).map(|(_, w)| w).collect()
    }

    fn forget_waiter(&mut self, id: Option<u64>) {
        if let Some(id) = id {
            self.waiting.retain(|(i, _)| *i != id);
        }
    }
}

struct Chan<T> {
    cap: usize,
    state: Mutex<State<T>>,
}

fn wake_all(wakers: impl IntoIterator<Item = Waker>) {
    for w in wakers {
        w.wake();
    }
}

/// A bounded channel of `cap` messages.
///
/// # Panics
///
/// If `cap` is zero, as tokio's.
#[track_caller]
pub(crate) fn channel<T>(cap: usize) -> (Sender<T>, Receiver<T>) {
    assert!(cap > 0, "mpsc bounded channel requires buffer > 0");
    let chan = Arc::new(Chan {
        cap,
        state: Mutex::new(State {
            queue: VecDeque::new(),
            reserved: 0,
            senders: 1,
            closed: false,
            rx_waker: None,
            waiting: Vec::new(),
            next_waiter: 0,
        }),
    });
    (Sender { chan: chan.clone() }, Receiver { chan })
}

/// The sending side.
pub(crate) struct Sender<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Sender<T> {
    /// Waits for one unit of capacity.
    pub(crate) fn reserve(&self) -> Reserve<'_, T> {
        Reserve { chan: &self.chan, id: None }
    }

    /// Takes one unit of capacity if there is one now.
    pub(crate) fn try_reserve(&self) -> Result<Permit<'_, T>, TrySendError<()>> {
        let mut st = lock(&self.chan.state);
        if st.closed {
            return Err(TrySendError::Closed(()));
        }
        if st.queue.len() + st.reserved == self.chan.cap {
            return Err(TrySendError::Full(()));
        }
        st.reserved += 1;
        Ok(Permit { chan: Some(&self.chan) })
    }

    /// The channel's bound.
    pub(crate) fn max_capacity(&self) -> usize {
        self.chan.cap
    }

    /// Capacity available now.
    pub(crate) fn capacity(&self) -> usize {
        let st = lock(&self.chan.state);
        self.chan.cap - st.queue.len() - st.reserved
    }
}

impl<T> Clone for Sender<T> {
    fn clone(&self) -> Self {
        lock(&self.chan.state).senders += 1;
        Sender { chan: self.chan.clone() }
    }
}

impl<T> Drop for Sender<T> {
    fn drop(&mut self) {
        let waker = {
            let mut st = lock(&self.chan.state);
            st.senders -= 1;
            if st.senders == 0 { st.rx_waker.take() } else { None }
        };
        wake_all(waker);
    }
}

impl<T> fmt::Debug for Sender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sender").field("cap", &self.chan.cap).finish_non_exhaustive()
    }
}

/// The future of [`Sender::reserve`].
pub(crate) struct Reserve<'a, T> {
    chan: &'a Chan<T>,
    id: Option<u64>,
}

impl<'a, T> Future for Reserve<'a, T> {
    type Output = Result<Permit<'a, T>, SendError<()>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let chan = self.chan;
        let mut st = lock(&chan.state);
        if st.closed {
            st.forget_waiter(self.id.take());
            return Poll::Ready(Err(SendError(())));
        }
        if st.queue.len() + st.reserved < chan.cap {
            st.reserved += 1;
            st.forget_waiter(self.id.take());
            return Poll::Ready(Ok(Permit { chan: Some(chan) }));
        }
        let id = match self.id {
            Some(id) => id,
            None => {
                let id = st.next_waiter;
                st.next_waiter += 1;
                self.id = Some(id);
                id
            }
        };
        match st.waiting.iter_mut().find(|(i, _)| *i == id) {
            Some((_, w)) => w.clone_from(cx.waker()),
            None => st.waiting.push((id, cx.waker().clone())),
        }
        Poll::Pending
    }
}

impl<T> Drop for Reserve<'_, T> {
    fn drop(&mut self) {
        if self.id.is_some() {
            lock(&self.chan.state).forget_waiter(self.id.take());
        }
    }
}

/// One unit of capacity, held until it sends or is dropped.
pub(crate) struct Permit<'a, T> {
    chan: Option<&'a Chan<T>>,
}

impl<T> Permit<'_, T> {
    /// Queues `value` in the reserved place.
    pub(crate) fn send(mut self, value: T) {
        let chan = self.chan.take().expect("a permit sends once");
        let waker = {
            let mut st = lock(&chan.state);
            st.reserved -= 1;
            st.queue.push_back(value);
            st.rx_waker.take()
        };
        wake_all(waker);
    }
}

impl<T> Drop for Permit<'_, T> {
    fn drop(&mut self) {
        let Some(chan) = self.chan.take() else { return };
        let wakers = {
            let mut st = lock(&chan.state);
            st.reserved -= 1;
            let mut wakers = st.take_waiting();
            if st.is_finished() {
                wakers.extend(st.rx_waker.take());
            }
            wakers
        };
        wake_all(wakers);
    }
}

impl<T> fmt::Debug for Permit<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit").finish_non_exhaustive()
    }
}

/// The receiving side.
pub(crate) struct Receiver<T> {
    chan: Arc<Chan<T>>,
}

impl<T> Receiver<T> {
    /// Moves up to `limit` queued messages into `buf`. `Ready(0)` (with a
    /// non-zero `limit`) means no message will ever come again.
    pub(crate) fn poll_recv_many(&mut self, cx: &mut Context<'_>, buf: &mut Vec<T>, limit: usize) -> Poll<usize> {
        if limit == 0 {
            return Poll::Ready(0);
        }
        let (ready, wakers) = {
            let mut st = lock(&self.chan.state);
            let n = limit.min(st.queue.len());
            if n > 0 {
                buf.extend(st.queue.drain(..n));
                (Poll::Ready(n), st.take_waiting())
            } else if st.is_finished() {
                (Poll::Ready(0), Vec::new())
            } else {
                st.rx_waker = Some(cx.waker().clone());
                (Poll::Pending, Vec::new())
            }
        };
        wake_all(wakers);
        ready
    }

    /// Receives one message; `None` once none will ever come again.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let mut one = Vec::with_capacity(1);
        self.poll_recv_many(cx, &mut one, 1).map(|_| one.pop())
    }

    /// Receives one message; `None` once none will ever come again.
    pub(crate) async fn recv(&mut self) -> Option<T> {
        poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Receives one message without waiting.
    pub(crate) fn try_recv(&mut self) -> Result<T, TryRecvError> {
        let (out, wakers) = {
            let mut st = lock(&self.chan.state);
            match st.queue.pop_front() {
                Some(v) => (Ok(v), st.take_waiting()),
                None if st.is_finished() => (Err(TryRecvError::Disconnected), Vec::new()),
                None => (Err(TryRecvError::Empty), Vec::new()),
            }
        };
        wake_all(wakers);
        out
    }

    /// Refuses new reservations; queued messages and outstanding permits
    /// are still received.
    pub(crate) fn close(&mut self) {
        let wakers = {
            let mut st = lock(&self.chan.state);
            st.closed = true;
            st.take_waiting()
        };
        wake_all(wakers);
    }

    /// True once the receiver closed the channel or every sender is gone.
    pub(crate) fn is_closed(&self) -> bool {
        let st = lock(&self.chan.state);
        st.closed || st.senders == 0
    }

    /// Messages queued now.
    pub(crate) fn len(&self) -> usize {
        lock(&self.chan.state).queue.len()
    }

    /// The channel's bound.
    pub(crate) fn max_capacity(&self) -> usize {
        self.chan.cap
    }

    /// Capacity available now: the bound less what is queued and what
    /// outstanding permits hold.
    pub(crate) fn capacity(&self) -> usize {
        let st = lock(&self.chan.state);
        self.chan.cap - st.queue.len() - st.reserved
    }
}

impl<T> Drop for Receiver<T> {
    fn drop(&mut self) {
        let (queued, wakers) = {
            let mut st = lock(&self.chan.state);
            st.closed = true;
            (std::mem::take(&mut st.queue), st.take_waiting())
        };
        wake_all(wakers);
        // Dropped outside the lock: an envelope's drop may answer its asker.
        drop(queued);
    }
}

impl<T> fmt::Debug for Receiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Receiver").field("cap", &self.chan.cap).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        Pin::new(f).poll(&mut Context::from_waker(Waker::noop()))
    }

    #[test]
    fn full_and_closed_are_told_apart() {
        crate::loom::check::model(|| {
            let (tx, mut rx) = channel::<u8>(1);
            tx.try_reserve().unwrap().send(1);
            assert_eq!(tx.try_reserve().err(), Some(TrySendError::Full(())));
            assert_eq!(tx.capacity(), 0);
            assert_eq!(tx.max_capacity(), 1);
            let mut reserve = Box::pin(tx.reserve());
            assert!(poll_once(&mut reserve).is_pending());
            assert_eq!(rx.try_recv(), Ok(1));
            assert!(matches!(poll_once(&mut reserve), Poll::Ready(Ok(_))));
            drop(reserve);
            rx.close();
            assert_eq!(tx.try_reserve().err(), Some(TrySendError::Closed(())));
            assert!(matches!(poll_once(&mut Box::pin(tx.reserve())), Poll::Ready(Err(SendError(())))));
        });
    }

    #[test]
    fn close_keeps_queued_messages_and_waits_for_permits() {
        crate::loom::check::model(|| {
            let (tx, mut rx) = channel::<u8>(4);
            tx.try_reserve().unwrap().send(1);
            let permit = tx.try_reserve().unwrap();
            rx.close();
            let mut buf = Vec::new();
            let cx = &mut Context::from_waker(Waker::noop());
            assert_eq!(rx.poll_recv_many(cx, &mut buf, 8), Poll::Ready(1));
            assert_eq!(rx.try_recv(), Err(TryRecvError::Empty));
            assert_eq!(rx.poll_recv_many(cx, &mut buf, 8), Poll::Pending);
            permit.send(2);
            assert_eq!(rx.len(), 1);
            assert_eq!(rx.poll_recv_many(cx, &mut buf, 8), Poll::Ready(1));
            assert_eq!(buf, [1, 2]);
            assert_eq!(rx.try_recv(), Err(TryRecvError::Disconnected));
            assert_eq!(rx.poll_recv(cx), Poll::Ready(None));
        });
    }

    #[test]
    fn last_sender_gone_ends_the_stream() {
        crate::loom::check::model(|| {
            let (tx, mut rx) = channel::<u8>(2);
            let tx2 = tx.clone();
            tx2.try_reserve().unwrap().send(7);
            drop(tx);
            drop(tx2);
            let cx = &mut Context::from_waker(Waker::noop());
            assert_eq!(rx.poll_recv(cx), Poll::Ready(Some(7)));
            assert_eq!(rx.poll_recv(cx), Poll::Ready(None));
        });
    }
}
