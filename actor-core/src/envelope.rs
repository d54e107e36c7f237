//! Envelopes: one queued message, type-erased down to the actor it is for.
//!
//! An envelope is two words: the payload and a pointer to the static table of
//! functions that handle, reject or drop that payload. A tell whose message
//! fits in a word (counters, ids, unit structs, one `Arc` or `ActorRef`) is
//! stored in the envelope itself; a larger one is boxed. An ask stores one
//! `Arc` to its [`Request`], which carries the message beside the reply slot,
//! so the only allocation of an ask is the one the asker needs anyway.
//!
//! This keeps the mailbox's channel items as small as a `Box<dyn Trait>`
//! (tokio allocates a channel's first block of 32 items up front, so the
//! item size is part of every idle actor's footprint) while most messages
//! cost no allocation on the sender's thread and no free on the actor's.
//!
//! # Soundness
//!
//! This is the one module of the crate with `unsafe` code. Its invariants:
//!
//! 1. An `Envelope<A>` is built only by [`Envelope::store`], which writes a
//!    value of type `T: Payload<A>` into the word after checking (in a
//!    constant that the branch in [`Envelope::new`] guarantees) that `T`'s
//!    size and alignment fit the word, and pairs it with `T`'s table. So the
//!    word holds an initialised, properly aligned `T` and the table's
//!    functions are the ones for that `T`.
//! 2. The payload is read out exactly once: [`Envelope::handle`] and
//!    [`Envelope::reject`] consume the envelope and wrap it in
//!    `ManuallyDrop` before calling the table, and `Drop` is the only other
//!    reader. Copying the word's bytes (it is `Copy`) moves the value, as
//!    `ptr::read` does; no copy is read twice.
//! 3. `Envelope<A>` is `Send` because every `Payload` is `Send`; it is not
//!    `Sync`, and no `&Envelope` method reads the payload.
//! 4. A [`Request`]'s message cell is touched only by the one [`AskPayload`]
//!    made with it (in [`request`]), whose methods consume it, and by the
//!    request's own drop, which has exclusive access. The asker's side never
//!    reads the cell, so it is never accessed from two threads at once; the
//!    channel send that carries the payload orders the asker's write before
//!    the actor's read.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::pin::Pin;

use crate::actor::{Actor, Handler};
use crate::context::Context;
use crate::error::AskError;
use crate::loom::sync::Arc;
use crate::reply::{ErasedSlot, ReplySlot, Slot};

/// A boxed handler future borrowing the actor and its context.
pub(crate) type HandleFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// Where an envelope keeps its payload.
type Word = MaybeUninit<usize>;

/// True if a `T` can live in a [`Word`].
const fn fits<T>() -> bool {
    size_of::<T>() <= size_of::<Word>() && align_of::<T>() <= align_of::<Word>()
}

/// A typed payload: what an envelope holds before it is erased.
pub(crate) trait Payload<A: Actor>: Send + Sized + 'static {
    /// Turns the message into the future that handles it.
    fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a>;
    /// Drops the message unhandled. True for a tell (a dead letter); an
    /// ask's asker is told `AskError::Stopped`.
    fn reject(self) -> bool;
    /// The message's type name.
    fn message_type() -> &'static str;
}

/// A payload too large for the word travels boxed.
impl<A: Actor, P: Payload<A>> Payload<A> for Box<P> {
    fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a> {
        (*self).handle(actor, ctx)
    }

    fn reject(self) -> bool {
        (*self).reject()
    }

    fn message_type() -> &'static str {
        P::message_type()
    }
}

/// The functions of one payload type.
struct VTable<A: Actor> {
    handle: for<'a> unsafe fn(Word, &'a mut A, &'a mut Context<A>) -> HandleFuture<'a>,
    reject: unsafe fn(Word) -> bool,
    drop: unsafe fn(Word),
    message_type: fn() -> &'static str,
}

/// Reads the `T` out of a word. Safety: the word holds an initialised `T`
/// that nobody else reads (invariants 1 and 2).
unsafe fn take<T>(word: Word) -> T {
    // SAFETY: the caller's contract; `Word` is aligned for `T` (invariant 1).
    unsafe { word.as_ptr().cast::<T>().read() }
}

unsafe fn handle_erased<'a, A: Actor, T: Payload<A>>(
    word: Word,
    actor: &'a mut A,
    ctx: &'a mut Context<A>,
) -> HandleFuture<'a> {
    // SAFETY: called only through `T`'s table on an envelope consumed once.
    unsafe { take::<T>(word) }.handle(actor, ctx)
}

unsafe fn reject_erased<A: Actor, T: Payload<A>>(word: Word) -> bool {
    // SAFETY: as in `handle_erased`.
    unsafe { take::<T>(word) }.reject()
}

unsafe fn drop_erased<T>(word: Word) {
    // SAFETY: as in `handle_erased`.
    drop(unsafe { take::<T>(word) });
}

/// One queued message for an `A`.
pub(crate) struct Envelope<A: Actor> {
    word: Word,
    vtable: &'static VTable<A>,
    /// Opts out of the auto traits: the payload's type is erased; `Send` is
    /// implemented below, `Sync` never.
    _payload: PhantomData<*mut ()>,
}

// SAFETY: an envelope owns one `T: Payload<A>`, and `Payload` requires
// `Send` (invariant 3); the table is `'static` data of function pointers.
unsafe impl<A: Actor> Send for Envelope<A> {}

impl<A: Actor> Envelope<A> {
    /// A tell of `msg`.
    pub(crate) fn tell<M: Send + 'static>(msg: M) -> Self
    where
        A: Handler<M>,
    {
        Self::new(Tell(msg))
    }

    /// An ask: the envelope and the request the asker waits on.
    pub(crate) fn ask<M: Send + 'static>(msg: M) -> (Self, RequestOf<A, M>)
    where
        A: Handler<M>,
    {
        let (payload, req) = request::<A, M>(msg);
        (Self::new(payload), req)
    }

    fn new<P: Payload<A>>(payload: P) -> Self {
        if fits::<P>() { Self::store(payload) } else { Self::store(Box::new(payload)) }
    }

    fn store<T: Payload<A>>(payload: T) -> Self {
        // Constant per `T`: `new` only stores what fits.
        assert!(fits::<T>(), "an envelope stores only payloads that fit its word");
        let mut word = Word::uninit();
        // SAFETY: `T` fits the word's size and alignment (just checked).
        unsafe { word.as_mut_ptr().cast::<T>().write(payload) };
        let vtable: &'static VTable<A> = const {
            &VTable {
                handle: handle_erased::<A, T>,
                reject: reject_erased::<A, T>,
                drop: drop_erased::<T>,
                message_type: T::message_type,
            }
        };
        Envelope { word, vtable, _payload: PhantomData }
    }

    /// Turns the message into the future that handles it.
    pub(crate) fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a> {
        let this = ManuallyDrop::new(self);
        // SAFETY: the word holds the table's payload; `ManuallyDrop` keeps
        // `Drop` from reading it again (invariant 2).
        unsafe { (this.vtable.handle)(this.word, actor, ctx) }
    }

    /// Drops the message unhandled. Returns true for a tell (a dead letter);
    /// an ask's asker is told `AskError::Stopped`.
    pub(crate) fn reject(self) -> bool {
        let this = ManuallyDrop::new(self);
        // SAFETY: as in `handle`.
        unsafe { (this.vtable.reject)(this.word) }
    }

    /// The message's type name.
    pub(crate) fn message_type(&self) -> &'static str {
        (self.vtable.message_type)()
    }
}

impl<A: Actor> Drop for Envelope<A> {
    fn drop(&mut self) {
        // SAFETY: `handle` and `reject` never reach here (`ManuallyDrop`), so
        // this is the payload's only read (invariant 2).
        unsafe { (self.vtable.drop)(self.word) }
    }
}

/// A fire-and-forget message.
struct Tell<M>(M);

impl<A: Handler<M>, M: Send + 'static> Payload<A> for Tell<M> {
    fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a> {
        let msg = self.0;
        ctx.begin_message(None);
        Box::pin(async move {
            let _reply = actor.handle(msg, ctx).await;
        })
    }

    fn reject(self) -> bool {
        true
    }

    fn message_type() -> &'static str {
        std::any::type_name::<M>()
    }
}

/// An ask in flight: the message, until the actor takes it, and the reply
/// slot the asker waits on. One allocation, shared by the asker and the
/// envelope.
pub(crate) struct Request<M, R> {
    slot: Slot<R>,
    /// Touched only by this request's one `AskPayload` (invariant 4).
    msg: UnsafeCell<Option<M>>,
}

// SAFETY: the slot is `Sync` on its own (a mutex); the message cell is only
// ever accessed by one thread at a time (invariant 4), and moving an `M`
// between threads needs `M: Send`.
unsafe impl<M: Send, R: Send> Sync for Request<M, R> {}

impl<M: Send + 'static, R: Send + 'static> ReplySlot<R> for Request<M, R> {
    fn slot(&self) -> &Slot<R> {
        &self.slot
    }
}

impl<M: Send + 'static, R: Send + 'static> ErasedSlot for Request<M, R> {
    fn fail(&self, error: AskError) {
        let _ = self.slot.complete(Err(error));
    }

    fn reply_type(&self) -> &'static str {
        std::any::type_name::<R>()
    }

    fn give_sender(self: Arc<Self>, out: &mut dyn std::any::Any) -> Result<(), Arc<dyn ErasedSlot>> {
        crate::reply::give_sender::<R, Self>(self, out)
    }
}

/// The shared request of an ask of `M` to an `A`.
pub(crate) type RequestOf<A, M> = Arc<Request<M, <A as Handler<M>>::Reply>>;

/// The actor's side of an ask: the right to take the request's message.
struct AskPayload<A: Handler<M>, M: Send + 'static> {
    /// `None` once consumed.
    req: Option<RequestOf<A, M>>,
}

/// Makes a request and the one payload that may take its message.
fn request<A: Handler<M>, M: Send + 'static>(msg: M) -> (AskPayload<A, M>, RequestOf<A, M>) {
    let req = Arc::new(Request { slot: Slot::waiting(), msg: UnsafeCell::new(Some(msg)) });
    (AskPayload { req: Some(req.clone()) }, req)
}

impl<A: Handler<M>, M: Send + 'static> AskPayload<A, M> {
    /// Takes the request and its message out of the payload.
    fn open(&mut self) -> Option<(RequestOf<A, M>, Option<M>)> {
        let req = self.req.take()?;
        // SAFETY: this payload is the only one made with `req`, and it is
        // being consumed (invariant 4).
        let msg = unsafe { (*req.msg.get()).take() };
        Some((req, msg))
    }
}

impl<A: Handler<M>, M: Send + 'static> Payload<A> for AskPayload<A, M> {
    fn handle<'a>(mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> HandleFuture<'a> {
        let (req, msg) = self.open().expect("an envelope is handled once");
        let msg = msg.expect("a request's message is taken once");
        let erased: Arc<dyn ErasedSlot> = req.clone();
        ctx.begin_message(Some(erased));
        Box::pin(async move {
            let reply = actor.handle(msg, ctx).await;
            // Still in the context: the handler did not take it with
            // `reply_later`, so its return value is the answer.
            if ctx.take_reply().is_some() {
                let _ = req.slot.complete(Ok(reply));
            }
        })
    }

    fn reject(mut self) -> bool {
        if let Some((req, msg)) = self.open() {
            drop(msg);
            req.slot.fail(AskError::Stopped);
        }
        false
    }

    fn message_type() -> &'static str {
        std::any::type_name::<M>()
    }
}

impl<A: Handler<M>, M: Send + 'static> Drop for AskPayload<A, M> {
    fn drop(&mut self) {
        // Dropped unhandled (e.g. with the channel when the runtime goes
        // away): the message goes now, and the asker must not wait forever.
        if let Some((req, msg)) = self.open() {
            drop(msg);
            req.slot.fail(AskError::Stopped);
        }
    }
}
