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
//! The actor pulls up to [`BATCH`] envelopes per wakeup with one channel
//! operation and handles them from a local buffer, which frees channel
//! capacity in one step instead of one per message. The buffer is released
//! whenever the actor goes idle, so an idle actor holds none.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::actor::{Actor, Handler};
use crate::context::Context;
use crate::loom::chan;
use crate::loom::sync::Arc;
use crate::reply::{ErasedSlot, Slot};

/// How many envelopes one wakeup moves from the channel to the actor.
pub(crate) const BATCH: usize = 32;

/// The largest mailbox capacity tokio's semaphore supports.
pub(crate) const MAX_CAPACITY: usize = usize::MAX >> 3;

/// A boxed handler future borrowing the actor and its context.
pub(crate) type HandleFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// One queued message, type-erased down to the actor it is for.
pub(crate) trait Dispatch<A: Actor>: Send + 'static {
    /// Turns the message into the future that handles it.
    fn handle<'a>(self: Box<Self>, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a>;
    /// Drops the message unhandled. Returns true for a tell (a dead letter);
    /// an ask's asker is told `AskError::Stopped`.
    fn reject(self: Box<Self>) -> bool;
    /// The message's type name.
    fn message_type(&self) -> &'static str;
}

/// The item type of an actor's user lane.
pub(crate) type Envelope<A> = Box<dyn Dispatch<A>>;

/// A fire-and-forget message.
pub(crate) struct TellEnvelope<M>(pub(crate) M);

impl<A: Handler<M>, M: Send + 'static> Dispatch<A> for TellEnvelope<M> {
    fn handle<'a>(self: Box<Self>, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a> {
        let msg = self.0;
        ctx.begin_message(None);
        Box::pin(async move {
            let _reply = actor.handle(msg, ctx).await;
        })
    }

    fn reject(self: Box<Self>) -> bool {
        true
    }

    fn message_type(&self) -> &'static str {
        std::any::type_name::<M>()
    }
}

/// A message whose asker waits on a reply slot.
pub(crate) struct AskEnvelope<A: Handler<M>, M: Send + 'static> {
    msg: Option<M>,
    slot: Option<Arc<Slot<A::Reply>>>,
}

impl<A: Handler<M>, M: Send + 'static> AskEnvelope<A, M> {
    pub(crate) fn new(msg: M, slot: Arc<Slot<A::Reply>>) -> Self {
        AskEnvelope { msg: Some(msg), slot: Some(slot) }
    }
}

impl<A: Handler<M>, M: Send + 'static> Dispatch<A> for AskEnvelope<A, M> {
    fn handle<'a>(mut self: Box<Self>, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a> {
        let msg = self.msg.take().expect("an envelope is handled once");
        let slot = self.slot.take().expect("an envelope is handled once");
        drop(self);
        let erased: Arc<dyn ErasedSlot> = slot.clone();
        ctx.begin_message(Some(erased));
        Box::pin(async move {
            let reply = actor.handle(msg, ctx).await;
            // Still in the context: the handler did not take it with
            // `reply_later`, so its return value is the answer.
            if ctx.take_reply().is_some() {
                let _ = slot.complete(Ok(reply));
            }
        })
    }

    fn reject(mut self: Box<Self>) -> bool {
        if let Some(slot) = self.slot.take() {
            slot.fail(crate::AskError::Stopped);
        }
        false
    }

    fn message_type(&self) -> &'static str {
        std::any::type_name::<M>()
    }
}

impl<A: Handler<M>, M: Send + 'static> Drop for AskEnvelope<A, M> {
    fn drop(&mut self) {
        // Dropped unhandled (e.g. with the channel when the runtime goes
        // away): the asker must not wait forever.
        if let Some(slot) = self.slot.take() {
            slot.fail(crate::AskError::Stopped);
        }
    }
}

/// The receiving side: the channel plus the batch being handled.
///
/// The batch is stored reversed so that `pop` yields messages in arrival
/// order; what an incarnation did not handle stays for the next one.
pub(crate) struct MailboxRx<A: Actor> {
    rx: chan::Receiver<Envelope<A>>,
    batch: Vec<Envelope<A>>,
    closed: bool,
}

impl<A: Actor> MailboxRx<A> {
    pub(crate) fn new(rx: chan::Receiver<Envelope<A>>) -> Self {
        MailboxRx { rx, batch: Vec::new(), closed: false }
    }

    /// The next message of the current batch, if any.
    pub(crate) fn pop_local(&mut self) -> Option<Envelope<A>> {
        self.batch.pop()
    }

    /// Puts back the envelope `pop_local` just returned; it is the next one out.
    pub(crate) fn unpop(&mut self, env: Envelope<A>) {
        self.batch.push(env);
    }

    /// Waits for the next batch. `Ready(false)` means the lane is closed and
    /// empty. On `Pending` the batch buffer is released.
    pub(crate) fn poll_fill(&mut self, cx: &mut TaskContext<'_>) -> Poll<bool> {
        debug_assert!(self.batch.is_empty());
        if self.batch.capacity() == 0 {
            self.batch.reserve_exact(BATCH);
        }
        match self.rx.poll_recv_many(cx, &mut self.batch, BATCH) {
            Poll::Ready(0) => Poll::Ready(false),
            Poll::Ready(_) => {
                self.batch.reverse();
                Poll::Ready(true)
            }
            Poll::Pending => {
                self.batch = Vec::new();
                Poll::Pending
            }
        }
    }

    /// The next message without waiting: the batch first, then the channel.
    pub(crate) fn try_next(&mut self) -> Option<Envelope<A>> {
        if let Some(env) = self.batch.pop() {
            return Some(env);
        }
        // Empty and disconnected both mean nothing to take now.
        self.rx.try_recv().ok()
    }

    /// The next message of a closed lane, waiting for senders that already
    /// hold capacity. `None` once the lane is closed and empty.
    pub(crate) async fn next_closed(&mut self) -> Option<Envelope<A>> {
        debug_assert!(self.closed);
        if let Some(env) = self.batch.pop() {
            return Some(env);
        }
        self.rx.recv().await
    }

    /// Closes the lane: senders get `Closed` from now on; queued messages
    /// stay to be drained.
    pub(crate) fn close(&mut self) {
        self.closed = true;
        self.rx.close();
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed
    }

    /// Messages waiting, in the batch and in the channel.
    pub(crate) fn len(&self) -> usize {
        self.batch.len() + self.rx.len()
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
