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
//! One mutex guards the state; no lock is held while a waker runs.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use crate::error::AskError;
use crate::loom::lock;
use crate::loom::sync::{Arc, Mutex};

enum State<R> {
    /// No outcome yet; the asker's waker if it polled.
    Waiting(Option<Waker>),
    /// The outcome, not yet taken by the asker.
    Done(Result<R, AskError>),
    /// The asker took the outcome.
    Taken,
    /// The asker is gone.
    Abandoned,
}

/// The shared slot of one request.
pub(crate) struct Slot<R> {
    state: Mutex<State<R>>,
}

impl<R: Send + 'static> Slot<R> {
    /// A slot on its own, for the models of its protocol.
    #[cfg_attr(not(test), allow(dead_code))]
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self::waiting())
    }

    /// A slot with no outcome yet, to embed in a request.
    pub(crate) fn waiting() -> Self {
        Slot { state: Mutex::new(State::Waiting(None)) }
    }

    /// Completes the slot. Returns the value back if the asker is gone or the
    /// slot was already completed.
    pub(crate) fn complete(&self, outcome: Result<R, AskError>) -> Result<(), Result<R, AskError>> {
        let waker = {
            let mut state = lock(&self.state);
            match &mut *state {
                State::Waiting(w) => {
                    let waker = w.take();
                    *state = State::Done(outcome);
                    waker
                }
                _ => return Err(outcome),
            }
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// True once the asker has gone away.
    pub(crate) fn is_abandoned(&self) -> bool {
        matches!(*lock(&self.state), State::Abandoned)
    }

    /// Polls for the outcome (the asker's side).
    pub(crate) fn poll_outcome(&self, cx: &mut TaskContext<'_>) -> Poll<Result<R, AskError>> {
        let mut state = lock(&self.state);
        match std::mem::replace(&mut *state, State::Taken) {
            State::Done(outcome) => Poll::Ready(outcome),
            State::Waiting(w) => {
                let waker = match w {
                    Some(w) if w.will_wake(cx.waker()) => w,
                    _ => cx.waker().clone(),
                };
                *state = State::Waiting(Some(waker));
                Poll::Pending
            }
            // Polled after completion: a second poll of a finished future.
            other => {
                *state = other;
                Poll::Ready(Err(AskError::Stopped))
            }
        }
    }

    /// The asker gives up (dropped or timed out).
    pub(crate) fn abandon(&self) {
        let mut state = lock(&self.state);
        if !matches!(*state, State::Taken) {
            *state = State::Abandoned;
        }
    }
}

/// Something that holds the slot of one request: the slot itself, or the
/// request that carries it beside its message.
pub(crate) trait ReplySlot<R>: Send + Sync + 'static {
    fn slot(&self) -> &Slot<R>;
}

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
pub(crate) struct ReplyFuture<R: Send + 'static, S: ReplySlot<R> = Slot<R>> {
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
