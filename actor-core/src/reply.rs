//! Reply slots: the one-shot path from a handler back to its asker.
//!
//! A slot is shared by exactly two parties: the asker, which polls it, and
//! the reply side, which is either the envelope in the mailbox, the handler
//! context while the message is handled, or a [`ReplySender`] handed out by
//! `ctx.reply_later()`.
//!
//! # Invariants
//!
//! - The reply side has one owner at a time: the envelope, then the handler
//!   context, then (after `ctx.reply_later()`) a [`ReplySender`]. So the
//!   slot is never completed by two threads at once. Later completions by
//!   the same owner (a failure after a reply, say) are ignored: the first
//!   completion wins, so every path that can end a request (reply, panic,
//!   kill, drop) may complete it without coordination.
//! - Whatever path drops the reply side without a value completes the slot
//!   with an error first, so an asker never waits on a slot nobody holds.
//! - Once the asker is gone (`Abandoned`), a reply is handed back to the
//!   replier instead of being stored.
//!
//! # Protocol
//!
//! Lock-free, like a oneshot channel: one word of flags, a cell for the
//! outcome and a cell for the asker's waker. A completer writes the outcome,
//! then publishes it (`DONE`) with one read-modify-write that also tells it
//! whether a waker is stored (`WAKER`), which it then wakes in place. The
//! asker reads the outcome only after it saw `DONE`. To wait, it stores its
//! waker while `WAKER` is clear and then sets `WAKER`; to store a different
//! waker it first clears `WAKER` and stores only if that clearing did not
//! find `DONE` (else a completer may be reading the cell). An asker that
//! leaves sets `ABANDONED`; a completer that finds it set at publication
//! takes its value back out of the cell, which the asker will never read.
//! The waker stays in its cell until the slot is dropped.
//!
//! Completing costs one read-modify-write plus the wakeup, waiting one plus
//! the waker's clone.
//!
//! # Soundness
//!
//! This module's `unsafe` is the access to the two cells.
//!
//! - Outcome: written by the one completer before its `DONE` (`Release`);
//!   read by the asker only after it saw `DONE` (`Acquire`); taken back by
//!   the completer only if `ABANDONED` was set before `DONE`, after which
//!   the asker never reads. A second completer sees `DONE` and leaves the
//!   cell alone.
//! - Waker: written by the asker only while `WAKER` is clear and `DONE` not
//!   yet seen by its own read-modify-write; read by a completer only if its
//!   `DONE` read-modify-write found `WAKER` set, and by the asker (to compare
//!   wakers) while it is set. A completer that found `WAKER` set is ordered
//!   before the asker's next clearing of it, which then sees `DONE` and
//!   writes nothing.
//!
//! So no access ever races with a write. The model checks in
//! `src/tests/loom_reply.rs` run this code under loom, which checks both
//! cells.
#![allow(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use crate::error::AskError;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicU8, Ordering};

/// The outcome is in its cell.
const DONE: u8 = 1;
/// The asker is gone.
const ABANDONED: u8 = 1 << 1;
/// The asker's waker is in its cell.
const WAKER: u8 = 1 << 2;

/// The shared slot of one request.
pub(crate) struct Slot<R> {
    state: AtomicU8,
    outcome: UnsafeCell<Option<Result<R, AskError>>>,
    waker: UnsafeCell<Option<Waker>>,
}

// SAFETY: the cells are never written while another thread accesses them
// (see the module docs), and moving an `R` between threads needs `R: Send`.
unsafe impl<R: Send> Sync for Slot<R> {}

impl<R: Send + 'static> Slot<R> {
    /// A slot on its own, for the models of its protocol.
    #[cfg(test)]
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::waiting())
    }

    /// A slot with no outcome yet, to embed in a request.
    pub(crate) fn waiting() -> Self {
        Slot { state: AtomicU8::new(0), outcome: UnsafeCell::new(None), waker: UnsafeCell::new(None) }
    }

    /// Completes the slot (the reply side's owner only). Returns the value
    /// back if the asker is gone or the slot was already completed.
    pub(crate) fn complete(&self, outcome: Result<R, AskError>) -> Result<(), Result<R, AskError>> {
        // Acquire: an asker that left before is seen as gone. A completion
        // before this one was made by the same owner, so it is seen.
        if self.state.load(Ordering::Acquire) & (DONE | ABANDONED) != 0 {
            return Err(outcome);
        }
        // SAFETY: the reply side's owner is the only writer, and the asker
        // reads only after `DONE`, which is not set yet.
        self.outcome.with_mut(|cell| unsafe { *cell = Some(outcome) });
        // Release: publishes the write; Acquire: sees an abandon or a stored
        // waker before it.
        let prev = self.state.fetch_or(DONE, Ordering::AcqRel);
        if prev & ABANDONED != 0 {
            // SAFETY: the asker left before `DONE`, so it never reads.
            let back = self.outcome.with_mut(|cell| unsafe { (*cell).take() });
            return Err(back.expect("the value written above"));
        }
        if prev & WAKER != 0 {
            // SAFETY: `WAKER` was set before `DONE`: the asker stored its
            // waker and, having to clear `WAKER` before it writes again, will
            // find `DONE` and not write.
            self.waker.with(|cell| unsafe { (*cell).as_ref().map(Waker::wake_by_ref) });
        }
        Ok(())
    }

    /// True once the asker has gone away.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABANDONED != 0
    }

    /// Polls for the outcome (the asker's side).
    pub(crate) fn poll_outcome(&self, cx: &mut TaskContext<'_>) -> Poll<Result<R, AskError>> {
        let mut state = self.state.load(Ordering::Acquire);
        if state & DONE == 0 {
            state = self.store_waker(state, cx.waker());
        }
        if state & DONE == 0 {
            return Poll::Pending;
        }
        // SAFETY: `DONE` was seen with `Acquire`: the completer is finished
        // with the cell, and only the asker (this caller) reads it.
        let outcome = self.outcome.with_mut(|cell| unsafe { (*cell).take() });
        // Polled again after completion: a second poll of a finished future.
        Poll::Ready(outcome.unwrap_or(Err(AskError::Stopped)))
    }

    /// Makes sure `waker` is the one a completion wakes, given the word as
    /// last read (without `DONE`). Returns the word as it is afterwards: with
    /// `DONE` if a completion came first, in which case it may not wake
    /// anyone.
    fn store_waker(&self, state: u8, waker: &Waker) -> u8 {
        if state & WAKER != 0 {
            // SAFETY: `WAKER` is set, so only reads (a completer's wake) may
            // run beside this one.
            if self.waker.with(|cell| unsafe { (*cell).as_ref().is_some_and(|w| w.will_wake(waker)) }) {
                return state;
            }
            // Acquire: a completion that found the old waker is seen.
            let state = self.state.fetch_and(!WAKER, Ordering::AcqRel);
            if state & DONE != 0 {
                return state;
            }
        }
        // SAFETY: `WAKER` is clear and no completion came before: no
        // completer reads the cell until this caller sets `WAKER` again.
        self.waker.with_mut(|cell| unsafe { *cell = Some(waker.clone()) });
        // Release: publishes the waker to a completion that finds the bit;
        // Acquire: a completion that came first is seen.
        self.state.fetch_or(WAKER, Ordering::AcqRel)
    }

    /// The asker gives up (dropped or timed out).
    pub(crate) fn abandon(&self) {
        // Release/Acquire: orders the abandon against a completer's
        // publication.
        self.state.fetch_or(ABANDONED, Ordering::AcqRel);
    }
}

/// Something that holds the slot of one request: the slot itself, or the
/// request that carries it beside its message.
pub(crate) trait ReplySlot<R>: Send + Sync + 'static {
    fn slot(&self) -> &Slot<R>;
}

// A bare slot is what the reply models drive; the runtime's requests carry
// their slot beside the message (`envelope::Request`).
#[cfg(test)]
impl<R: Send + 'static> ReplySlot<R> for Slot<R> {
    fn slot(&self) -> &Slot<R> {
        self
    }
}

/// The type-erased reply side the handler context holds while a message is
/// handled, so a panic or a kill can fail the request without knowing `R`.
pub(crate) trait ErasedSlot: Send + Sync {
    /// Fails the request; ignored if it was already completed.
    fn fail(&self, error: AskError);
    /// The reply type's name, for the panic message of a wrong `reply_later`.
    fn reply_type(&self) -> &'static str;
    /// True once a [`ReplySender`] was handed out for the request: it owns
    /// the completion from then on, and `fail` leaves the request alone.
    fn is_delegated(&self) -> bool;
    /// For `ctx.reply_later::<R>()`: stores the typed reply side into `out`,
    /// an `&mut Option<Arc<dyn ReplySlot<R>>>`, and marks the request
    /// delegated; false if `R` is not the reply type.
    fn give_sender(self: Arc<Self>, out: &mut dyn Any) -> bool;
}

#[cfg(test)]
impl<R: Send + 'static> ErasedSlot for Slot<R> {
    fn fail(&self, error: AskError) {
        let _ = self.complete(Err(error));
    }

    fn reply_type(&self) -> &'static str {
        std::any::type_name::<R>()
    }

    fn is_delegated(&self) -> bool {
        false
    }

    fn give_sender(self: Arc<Self>, out: &mut dyn Any) -> bool {
        give_sender::<R, Self>(self, out)
    }
}

/// [`ErasedSlot::give_sender`] for any holder of a `Slot<R>`.
pub(crate) fn give_sender<R: Send + 'static, S: ReplySlot<R>>(holder: Arc<S>, out: &mut dyn Any) -> bool {
    match out.downcast_mut::<Option<Arc<dyn ReplySlot<R>>>>() {
        Some(out) => {
            *out = Some(holder);
            true
        }
        None => false,
    }
}

/// The asker's future: resolves to the reply or the error that replaced it.
pub(crate) struct ReplyFuture<R: Send + 'static, S: ReplySlot<R>> {
    slot: Option<Arc<S>>,
    _reply: PhantomData<fn() -> R>,
}

impl<R: Send + 'static, S: ReplySlot<R>> ReplyFuture<R, S> {
    pub(crate) fn new(slot: Arc<S>) -> Self {
        ReplyFuture { slot: Some(slot), _reply: PhantomData }
    }
}

impl<R: Send + 'static, S: ReplySlot<R>> Future for ReplyFuture<R, S> {
    type Output = Result<R, AskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let Some(holder) = self.slot.as_ref() else {
            return Poll::Ready(Err(AskError::Stopped));
        };
        let out = holder.slot().poll_outcome(cx);
        if out.is_ready() {
            self.slot = None;
        }
        out
    }
}

impl<R: Send + 'static, S: ReplySlot<R>> Drop for ReplyFuture<R, S> {
    fn drop(&mut self) {
        if let Some(holder) = self.slot.take() {
            holder.slot().abandon();
        }
    }
}

/// The right to answer one ask later, from anywhere.
///
/// Obtained with [`Context::reply_later`](crate::Context::reply_later) while
/// handling a message; the handler's own return value is then discarded.
/// Affine: [`send`](ReplySender::send) consumes it. Dropping it unsent gives
/// the asker [`AskError::NoReply`] at once, never a hang. For a message that
/// arrived by `tell` it is a sink that accepts and drops the reply.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
///
/// struct Slow;
/// impl Actor for Slow {}
///
/// struct Compute(u64);
/// impl Handler<Compute> for Slow {
///     type Reply = u64;
///     async fn handle(&mut self, Compute(x): Compute, ctx: &mut Context<Self>) -> u64 {
///         let reply = ctx.reply_later::<u64>();
///         tokio::spawn(async move {
///             let _ = reply.send(x * 2); // answered off the actor's task
///         });
///         0 // discarded
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let slow = system.spawn(Slow)?;
/// assert_eq!(slow.ask(Compute(21)).await?, 42);
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[must_use = "dropping a ReplySender answers the asker with AskError::NoReply"]
pub struct ReplySender<R: Send + 'static> {
    slot: Option<Arc<dyn ReplySlot<R>>>,
    _reply: PhantomData<fn(R)>,
}

impl<R: Send + 'static> ReplySender<R> {
    pub(crate) fn new(slot: Option<Arc<dyn ReplySlot<R>>>) -> Self {
        ReplySender { slot, _reply: PhantomData }
    }

    /// Sends the reply. Returns it back as `Err(reply)` if the asker is gone
    /// (timed out or dropped its future). For a `tell` this is `Ok(())`.
    pub fn send(mut self, reply: R) -> Result<(), R> {
        match self.slot.take() {
            None => Ok(()),
            Some(holder) => holder.slot().complete(Ok(reply)).map_err(|back| match back {
                Ok(r) => r,
                Err(_) => unreachable!("a reply sender only completes with Ok"),
            }),
        }
    }

    /// True if nobody waits for the reply any more (or it was a `tell`).
    pub fn is_closed(&self) -> bool {
        self.slot.as_ref().is_none_or(|s| s.slot().is_abandoned())
    }
}

impl<R: Send + 'static> Drop for ReplySender<R> {
    fn drop(&mut self) {
        if let Some(holder) = self.slot.take() {
            let error = if std::thread::panicking() {
                AskError::Panicked("reply sender dropped during a panic".to_owned())
            } else {
                AskError::NoReply
            };
            let _ = holder.slot().complete(Err(error));
        }
    }
}

impl<R: Send + 'static> fmt::Debug for ReplySender<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplySender")
            .field("reply", &std::any::type_name::<R>())
            .field("is_tell", &self.slot.is_none())
            .finish()
    }
}
