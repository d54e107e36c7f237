//! Reply slots: the one-shot path from a handler back to its asker.
//!
//! A slot is shared by exactly two parties: the asker, which polls it, and
//! the reply side, which is either the envelope in the mailbox, the handler
//! context while the message is handled, or a [`ReplySender`] handed out by
//! `ctx.reply_later()`.
//!
//! # Invariants
//!
//! - The slot is completed at most once; the first completion wins and later
//!   ones are ignored, so every path that can end a request (reply, panic,
//!   kill, drop) may complete it without coordination.
//! - Whatever path drops the reply side without a value completes the slot
//!   with an error first, so an asker never waits on a slot nobody holds.
//! - Once the asker is gone (`Abandoned`), a reply is handed back to the
//!   replier instead of being stored.
//!
//! # Protocol
//!
//! Lock-free, like a oneshot channel: one word of flags and a cell for the
//! outcome. A completer first claims the cell (`CLAIMED`, so the first one
//! wins), writes the outcome, then publishes it (`DONE`) and wakes the
//! asker. The asker reads the cell only after it saw `DONE`. An asker that
//! leaves sets `ABANDONED`; a completer that finds it set at publication
//! takes its value back out of the cell, which the asker will never read.
//!
//! # Soundness
//!
//! This module's `unsafe` is the access to the outcome cell. Writing it
//! needs the claim, which one completer gets; reading it (the asker) needs
//! `DONE`, set by that completer with `Release` after its write and seen by
//! the asker with `Acquire`; taking it back (the completer) needs
//! `ABANDONED` to have been set before `DONE`, after which the asker never
//! reads. So no two accesses are ever concurrent. The model checks in
//! `tests/loom_reply.rs` run this code under loom, which checks the cell.
#![allow(unsafe_code)]

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use crate::error::AskError;
use crate::loom::AtomicWaker;
use crate::loom::cell::UnsafeCell;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicU8, Ordering};

/// A completer owns the outcome cell.
const CLAIMED: u8 = 1;
/// The outcome is in the cell.
const DONE: u8 = 1 << 1;
/// The asker is gone.
const ABANDONED: u8 = 1 << 2;

/// The shared slot of one request.
pub(crate) struct Slot<R> {
    state: AtomicU8,
    outcome: UnsafeCell<Option<Result<R, AskError>>>,
    waker: AtomicWaker,
}

// SAFETY: the outcome cell is never accessed by two threads at once (see
// the module docs), and moving an `R` between threads needs `R: Send`.
unsafe impl<R: Send> Sync for Slot<R> {}

impl<R: Send + 'static> Slot<R> {
    /// A slot on its own, for the models of its protocol.
    #[cfg(test)]
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::waiting())
    }

    /// A slot with no outcome yet, to embed in a request.
    pub(crate) fn waiting() -> Self {
        Slot { state: AtomicU8::new(0), outcome: UnsafeCell::new(None), waker: AtomicWaker::new() }
    }

    /// Completes the slot. Returns the value back if the asker is gone or the
    /// slot was already completed.
    pub(crate) fn complete(&self, outcome: Result<R, AskError>) -> Result<(), Result<R, AskError>> {
        // Acquire: an asker that left before is seen as gone.
        if self.state.fetch_or(CLAIMED, Ordering::Acquire) & (CLAIMED | ABANDONED) != 0 {
            return Err(outcome);
        }
        // SAFETY: the claim makes this the only writer; the asker reads only
        // after `DONE`, which is not set yet.
        self.outcome.with_mut(|cell| unsafe { *cell = Some(outcome) });
        // Release: publishes the write; Acquire: sees an abandon before it.
        if self.state.fetch_or(DONE, Ordering::AcqRel) & ABANDONED != 0 {
            // SAFETY: the asker left before `DONE`, so it never reads.
            let back = self.outcome.with_mut(|cell| unsafe { (*cell).take() });
            return Err(back.expect("the value written above"));
        }
        self.waker.wake();
        Ok(())
    }

    /// True once the asker has gone away.
    pub(crate) fn is_abandoned(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABANDONED != 0
    }

    /// Polls for the outcome (the asker's side).
    pub(crate) fn poll_outcome(&self, cx: &mut TaskContext<'_>) -> Poll<Result<R, AskError>> {
        if self.state.load(Ordering::Acquire) & DONE == 0 {
            self.waker.register(cx.waker());
            // Read again: a completion between the first read and the
            // registration would otherwise wake nobody.
            if self.state.load(Ordering::Acquire) & DONE == 0 {
                return Poll::Pending;
            }
        }
        // SAFETY: `DONE` was seen with `Acquire`: the completer is finished
        // with the cell, and only the asker (this caller) reads it.
        let outcome = self.outcome.with_mut(|cell| unsafe { (*cell).take() });
        // Polled again after completion: a second poll of a finished future.
        Poll::Ready(outcome.unwrap_or(Err(AskError::Stopped)))
    }

    /// The asker gives up (dropped or timed out).
    pub(crate) fn abandon(&self) {
        // Release/Acquire: orders the abandon against a completer's claim
        // and publication.
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
    /// For `ctx.reply_later::<R>()`: stores the typed reply side into `out`,
    /// an `&mut Option<Arc<dyn ReplySlot<R>>>`, or hands `self` back if `R`
    /// is not the reply type.
    fn give_sender(self: Arc<Self>, out: &mut dyn Any) -> Result<(), Arc<dyn ErasedSlot>>;
}

#[cfg(test)]
impl<R: Send + 'static> ErasedSlot for Slot<R> {
    fn fail(&self, error: AskError) {
        let _ = self.complete(Err(error));
    }

    fn reply_type(&self) -> &'static str {
        std::any::type_name::<R>()
    }

    fn give_sender(self: Arc<Self>, out: &mut dyn Any) -> Result<(), Arc<dyn ErasedSlot>> {
        give_sender::<R, Self>(self, out)
    }
}

/// [`ErasedSlot::give_sender`] for any holder of a `Slot<R>`.
pub(crate) fn give_sender<R: Send + 'static, S: ReplySlot<R> + ErasedSlot>(
    holder: Arc<S>,
    out: &mut dyn Any,
) -> Result<(), Arc<dyn ErasedSlot>> {
    match out.downcast_mut::<Option<Arc<dyn ReplySlot<R>>>>() {
        Some(out) => {
            *out = Some(holder);
            Ok(())
        }
        None => Err(holder),
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
