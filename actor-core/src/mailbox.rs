//! Mailboxes: a bounded user lane plus a control lane.
//!
//! The user lane is a bounded channel of envelopes (tokio's mpsc, or a
//! loom-checked stand-in, behind [`crate::loom::chan`]). The control lane is
//! the actor's status word plus a waker: stop, kill and supervision requests
//! set bits in the word and wake the actor, so a full user lane never delays
//! them.
//!
//! # Stop table
//!
//! | request | new sends | queued messages | in-flight handler | `on_stop` |
//! |---|---|---|---|---|
//! | `stop()` / `ctx.stop()` / last ref dropped | `Closed` at once | handled | finishes | runs after the drain |
//! | `kill()` | `Closed` at once | tells: dead letters; asks: `AskError::Stopped` at once | aborted at its next `.await`; its asker gets `Stopped` | runs |
//! | system shutdown | `Closed` at once | handled until the drain deadline, then as `kill()` | finishes, or is reported unresponsive | runs |
//!
//! # Receiving in batches
//!
//! An idle actor woken by a message takes just that one, and reads nothing
//! else of the channel: not its length, which the senders keep on a cache
//! line of their own. If it finds another message as soon as it comes back
//! for more, without having waited in between, messages are arriving faster
//! than it handles them: it then pulls a batch of envelopes with one
//! channel operation and handles them from a local buffer, which frees
//! channel capacity in one step instead of one per message. The buffer is
//! released whenever the actor goes idle, so an idle actor holds none.
//!
//! A batch is at most [`TELL_BATCH`] envelopes, or [`ASK_BATCH`] after a
//! batch that answered an ask: each answer makes its asker runnable, and a
//! large batch of answers wakes many tasks at once.

use std::task::{Context as TaskContext, Poll, Waker};

use crate::actor::Actor;
pub(crate) use crate::envelope::Envelope;
use crate::loom::chan;

/// How many envelopes one channel operation moves to the actor, unless the
/// last batch answered an ask.
///
/// Each fill costs atomic operations on lines the senders write too, and on
/// two cores whose cache transfers are slow they dominate: in such a phase
/// of the development machine, four senders of tells (the `tell4` bench)
/// ran at 0.82–0.90, 0.79–0.85, 0.81–0.86, 0.92–1.13 and 0.97–1.10 times
/// the baseline with batches of 1, 4, 16, 64 and 256 (medians 0.99 for 64
/// and 1.04 for 256 over 16 alternating runs), and at the same speed with
/// 16 to 256 otherwise. Beyond 64 the gain is within the machine's spread,
/// and a busy actor's buffer grows (64 envelopes are 1 KiB).
pub(crate) const TELL_BATCH: usize = 64;

/// How many envelopes one channel operation moves to the actor after a batch
/// that answered an ask.
///
/// An actor that answers a batch of asks makes that many askers runnable at
/// once, and the other worker keeps being woken to share them and going back
/// to sleep: 64 concurrent askers of one actor (the `ask_par` bench) ran at
/// 0.81, 0.95, 0.94, 0.90 and 0.84 times the baseline with batches of 1, 8,
/// 16, 32 and 64.
pub(crate) const ASK_BATCH: usize = 16;

/// The largest mailbox capacity tokio's semaphore supports.
pub(crate) const MAX_CAPACITY: usize = usize::MAX >> 3;

/// The receiving side: the channel plus the messages taken from it and not
/// handled yet.
///
/// An idle actor woken for one message takes it into `next` and allocates
/// nothing; when more are queued it takes a batch at once into
/// `batch`, stored reversed so that `pop` yields them in arrival order. What
/// an incarnation did not handle stays for the next one.
pub(crate) struct MailboxRx<A: Actor> {
    rx: chan::Receiver<Envelope<A>>,
    /// Older than everything in `batch`.
    next: Option<Envelope<A>>,
    batch: Vec<Envelope<A>>,
}

impl<A: Actor> MailboxRx<A> {
    pub(crate) fn new(rx: chan::Receiver<Envelope<A>>) -> Self {
        MailboxRx { rx, next: None, batch: Vec::new() }
    }

    /// The next message already taken from the channel, if any.
    pub(crate) fn pop_local(&mut self) -> Option<Envelope<A>> {
        self.next.take().or_else(|| self.batch.pop())
    }

    /// Puts back the envelope `pop_local` just returned; it is the next one out.
    pub(crate) fn unpop(&mut self, env: Envelope<A>) {
        // `pop_local` empties `next` before it touches the batch.
        debug_assert!(self.next.is_none());
        self.next = Some(env);
    }

    /// Waits for more messages. `Ready(false)` means the lane is closed and
    /// empty. On `Pending` the batch buffer is released.
    ///
    /// `burst`: the last fill took a lone message and the actor has not
    /// waited since, so a message found now starts a batch (see the module
    /// docs). [`took_one`](Self::took_one) tells which kind of fill this was.
    /// `limit` (at most [`TELL_BATCH`]) bounds a batch.
    pub(crate) fn poll_fill(&mut self, cx: &mut TaskContext<'_>, burst: bool, limit: usize) -> Poll<bool> {
        debug_assert!(limit <= TELL_BATCH);
        debug_assert!(self.next.is_none() && self.batch.is_empty());
        if self.batch.capacity() == 0 {
            // Idle until now, or taking one message at a time: a lone message
            // needs no buffer.
            match self.rx.poll_recv(cx) {
                Poll::Ready(Some(env)) => self.next = Some(env),
                Poll::Ready(None) => return Poll::Ready(false),
                Poll::Pending => return Poll::Pending,
            }
            if !burst {
                return Poll::Ready(true);
            }
        }
        // A buffer for this batch: after asks a small one, and the first
        // batch of tells grows it once.
        self.batch.reserve_exact(limit);
        match self.rx.poll_recv_many(cx, &mut self.batch, limit) {
            Poll::Ready(0) => Poll::Ready(self.next.is_some()),
            Poll::Ready(_) => {
                self.batch.reverse();
                Poll::Ready(true)
            }
            Poll::Pending if self.next.is_some() => Poll::Ready(true),
            Poll::Pending => {
                self.batch = Vec::new();
                Poll::Pending
            }
        }
    }

    /// True if the last fill took a lone message (and holds no batch
    /// buffer).
    pub(crate) fn took_one(&self) -> bool {
        self.batch.capacity() == 0
    }

    /// The next message without waiting: what was taken first, then the
    /// channel.
    pub(crate) fn try_next(&mut self) -> Option<Envelope<A>> {
        if let Some(env) = self.pop_local() {
            return Some(env);
        }
        // Empty and disconnected both mean nothing to take now.
        self.rx.try_recv().ok()
    }

    /// The next message of a closed lane, waiting for senders that already
    /// hold capacity. `None` once the lane is closed and empty.
    pub(crate) async fn next_closed(&mut self) -> Option<Envelope<A>> {
        debug_assert!(self.is_closed());
        if let Some(env) = self.pop_local() {
            return Some(env);
        }
        self.rx.recv().await
    }

    /// Closes the lane: senders get `Closed` from now on; queued messages
    /// stay to be drained. Closing a closed lane does nothing (the channel's
    /// own close takes two locks each time).
    pub(crate) fn close(&mut self) {
        if !self.rx.is_closed() {
            self.rx.close();
        }
    }

    /// True if the lane is closed, nothing is queued and no sender holds
    /// capacity, so nothing can arrive any more. A message that did arrive
    /// stays first in line.
    pub(crate) fn is_closed_and_empty(&mut self) -> bool {
        debug_assert!(self.is_closed() && self.next.is_none() && self.batch.is_empty());
        if self.is_finished() {
            return true;
        }
        match self.rx.try_recv() {
            Ok(env) => {
                self.next = Some(env);
                false
            }
            Err(chan::TryRecvError::Disconnected) => true,
            Err(chan::TryRecvError::Empty) => false,
        }
    }

    /// True if the lane is closed and nothing is left in it or can arrive:
    /// all of its capacity is free, so no message is queued and no sender
    /// holds a permit. Two loads, where asking the channel for a message
    /// costs a receive.
    fn is_finished(&self) -> bool {
        self.next.is_none()
            && self.batch.is_empty()
            && self.rx.is_closed()
            && self.rx.capacity() == self.rx.max_capacity()
    }

    /// True once the lane was closed. (`Inner` keeps a sender for as long
    /// as the runner lives, so only [`close`](Self::close) closes it.)
    pub(crate) fn is_closed(&self) -> bool {
        self.rx.is_closed()
    }

    /// Messages waiting, taken from the channel or still in it.
    pub(crate) fn len(&self) -> usize {
        usize::from(self.next.is_some()) + self.batch.len() + self.rx.len()
    }

    /// Closes the lane and rejects everything in it, waiting for senders
    /// that already hold capacity. Returns how many messages were rejected;
    /// `on_dead_letter` sees the type of every rejected tell.
    pub(crate) async fn reject_all(&mut self, mut on_dead_letter: impl FnMut(&'static str)) -> u64 {
        self.close();
        let mut n = 0;
        while let Some(env) = self.next_closed().await {
            reject(env, &mut on_dead_letter);
            n += 1;
        }
        n
    }

    /// [`reject_all`](Self::reject_all) for the common case where no sender
    /// holds capacity: `Ok(rejected)` if the lane is now closed and empty,
    /// `Err(rejected so far)` if a sender may still send (the caller then
    /// finishes with `reject_all`).
    pub(crate) fn try_reject_all(&mut self, mut on_dead_letter: impl FnMut(&'static str)) -> Result<u64, u64> {
        if self.is_finished() {
            // Closed, with nothing queued and no permit out: nothing to reject.
            self.forget_waker();
            return Ok(0);
        }
        let mut n = self.reject_now(&mut on_dead_letter);
        // Empty now; one more look tells closed-for-good from a sender that
        // still holds capacity.
        loop {
            match self.rx.try_recv() {
                Ok(env) => {
                    reject(env, &mut on_dead_letter);
                    n += 1;
                }
                Err(chan::TryRecvError::Disconnected) => {
                    self.forget_waker();
                    return Ok(n);
                }
                Err(chan::TryRecvError::Empty) => return Err(n),
            }
        }
    }

    /// For a lane that is closed and finished: makes the channel let go of
    /// the task's waker it kept from the last idle wait. The channel lives
    /// as long as the actor's shared cell (its sender is there), and that
    /// waker would keep the finished task's memory allocated, and have the
    /// last sender's drop wake it, until the last handle to the actor is
    /// gone. A receive past the end registers the waker it is given, here
    /// one that does nothing, in place of the old one.
    fn forget_waker(&mut self) {
        let ended = self.rx.poll_recv(&mut TaskContext::from_waker(Waker::noop()));
        debug_assert!(matches!(ended, Poll::Ready(None) | Poll::Pending), "a finished lane has nothing to take");
    }

    /// Like [`reject_all`](Self::reject_all) without waiting, for a runner
    /// that is being torn down and cannot await: a sender between reserving
    /// capacity and sending is missed, and its envelope is dropped with the
    /// channel (an ask still fails with `Stopped` through its drop).
    pub(crate) fn reject_now(&mut self, on_dead_letter: impl FnMut(&'static str)) -> u64 {
        self.close();
        self.reject_queued(on_dead_letter)
    }

    /// Rejects what is queued now, leaving the lane as it is (a supervised
    /// mailbox stays open for the next incarnation).
    pub(crate) fn reject_queued(&mut self, mut on_dead_letter: impl FnMut(&'static str)) -> u64 {
        let mut n = 0;
        while let Some(env) = self.try_next() {
            reject(env, &mut on_dead_letter);
            n += 1;
        }
        n
    }
}

/// Drops one envelope unhandled; `on_dead_letter` sees the type of a tell.
pub(crate) fn reject<A: Actor>(env: Envelope<A>, on_dead_letter: &mut impl FnMut(&'static str)) {
    let ty = env.message_type();
    if env.reject() {
        on_dead_letter(ty);
    }
}
