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
//! The future that handles a message is placed, when it is small enough, in
//! a [`FutureSlot`] that the runner keeps in its own (pinned) state, and
//! dropped there in place; a larger one is boxed, and its box goes in the
//! slot. So a typical handler costs no allocation on the actor's side
//! either. The lifecycle hooks run in the same slot.
//!
//! # Soundness
//!
//! One of the two modules of the crate with `unsafe` code (the other is
//! `reply`). Its invariants:
//!
//! 1. An `Envelope<A>` is built only by [`Envelope::store`], which writes a
//!    value of type `T: Payload<A>` into the word after asserting that `T`'s
//!    size and alignment fit the word (a constant per `T`, always true
//!    through [`Envelope::new`]), and pairs it with `T`'s table. So the
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
//!    made with it (in [`request`]), which takes the message out once, and by the
//!    request's own drop, which has exclusive access. The asker's side never
//!    reads the cell, so it is never accessed from two threads at once; the
//!    channel send that carries the payload orders the asker's write before
//!    the actor's read.
//! 5. A future placed in a [`FutureSlot`] (the future itself, or a box of
//!    it when it is too large) fits its size and alignment (checked by
//!    [`write()`]) and is owned by the [`Handling`] that
//!    mutably borrows the slot for the future's whole life, so nothing else
//!    touches that memory meanwhile. `Handling` polls it pinned in place and
//!    its `Drop` drops it in place, so the memory of the pinned future stays
//!    valid, unmoved and unreused until its destructor ran, as `Pin`
//!    requires. The one way around that, leaking a `Handling`, never
//!    happens: the runner moves each one into the guard it awaits, a local
//!    of its own state, which is dropped before the slot is used again.
//! 6. An [`Answer`] points at its request without owning it: the handler
//!    context owns the request's handle from before the `Answer` is made
//!    until after its handler returned. The context lets go of it only in
//!    [`Context::end_message`] and [`Context::end_incarnation`] (after the
//!    handler returned), and in [`Context::take_reply`], which the runner
//!    calls only once it stopped polling the `Answer` (a panic or a kill).
//!    `reply_later` hands out a second handle and keeps the context's. So
//!    whenever the `Answer` is polled, its request is alive, and the
//!    pointer is only read then.
//! 7. A [`TellEnvelope<A, M>`] is made only by its `new`, from an `M`
//!    through [`Envelope::tell`], so its word holds a `Tell<M>` (boxed
//!    exactly when `Tell<M>` does not fit, as [`Envelope::new`] decides),
//!    which is what `into_message` reads out.
#![allow(unsafe_code)]

use std::cell::UnsafeCell;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::{ManuallyDrop, MaybeUninit};
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context as TaskContext, Poll};

use crate::actor::{Actor, Handler};
use crate::context::Context;
use crate::error::AskError;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::reply::{ErasedSlot, ReplySlot, Slot};

/// A handler or hook future borrowing the actor and its context,
/// type-erased.
type DynFuture<'a, T> = dyn Future<Output = T> + Send + 'a;

/// Words of room for a handler future in the runner's state: enough for
/// handlers that await little (a counter's, a lookup's, one that replies
/// with a value) and for the default lifecycle hooks; larger futures are
/// boxed.
const SLOT_WORDS: usize = 8;

/// Room for the future of the message being handled (or the hook being
/// run); see invariant 5.
pub(crate) struct FutureSlot(MaybeUninit<[usize; SLOT_WORDS]>);

impl FutureSlot {
    pub(crate) fn new() -> Self {
        FutureSlot(MaybeUninit::uninit())
    }
}

/// True if an `F` can live in a [`FutureSlot`].
const fn fits_slot<F>() -> bool {
    size_of::<F>() <= size_of::<FutureSlot>() && align_of::<F>() <= align_of::<FutureSlot>()
}

/// A future handling one message or running one hook, in the runner's
/// slot: the future itself if it fits, else a box holding it. Two words.
pub(crate) struct Handling<'a, T = ()> {
    at: NonNull<DynFuture<'a, T>>,
    /// The slot is borrowed for the future's whole life (invariant 5).
    _slot: PhantomData<&'a mut FutureSlot>,
}

// SAFETY: `at` points at a `Send` future (or a box of one) that this
// `Handling` owns (invariant 5); `NonNull` is only what keeps the auto trait
// away.
unsafe impl<T> Send for Handling<'_, T> {}

/// Places `fut` in `slot` if it fits, else a box of it (which always fits).
pub(crate) fn place<'a, T, F: Future<Output = T> + Send + 'a>(fut: F, slot: &'a mut FutureSlot) -> Handling<'a, T> {
    #[cfg(all(test, not(actor_loom)))]
    PLACED_IN_SLOT.with(|placed| placed.set(fits_slot::<F>()));
    if fits_slot::<F>() { write(fut, slot) } else { write(Box::pin(fut), slot) }
}

#[cfg(all(test, not(actor_loom)))]
thread_local! {
    /// Whether this thread's last [`place`] put the future itself in the
    /// slot (else its box).
    static PLACED_IN_SLOT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True if this thread's last [`place`] put the future itself in the slot
/// (no allocation).
#[cfg(all(test, not(actor_loom)))]
pub(crate) fn last_placed_in_slot() -> bool {
    PLACED_IN_SLOT.with(std::cell::Cell::get)
}

/// Writes `fut` into `slot`; `fits_slot::<F>()` must hold (checked).
fn write<'a, T, F: Future<Output = T> + Send + 'a>(fut: F, slot: &'a mut FutureSlot) -> Handling<'a, T> {
    // Constant per `F`: `place` writes only what fits (a box always does).
    assert!(fits_slot::<F>(), "a future slot holds only futures that fit it");
    let at = slot.0.as_mut_ptr().cast::<F>();
    // SAFETY: `F` fits the slot's size and alignment (just checked), and the
    // slot is borrowed mutably for `'a` by the `Handling` returned.
    unsafe { at.write(fut) };
    let at: *mut DynFuture<'a, T> = at;
    Handling {
        // SAFETY: derived from a reference, so not null.
        at: unsafe { NonNull::new_unchecked(at) },
        _slot: PhantomData,
    }
}

impl<T> Future for Handling<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<T> {
        // SAFETY: the future is initialised, owned by this `Handling` and
        // never moved out of the slot before it is dropped in place
        // (invariant 5), so pinning it there is sound.
        unsafe { Pin::new_unchecked(self.at.as_mut()) }.poll(cx)
    }
}

impl<T> Drop for Handling<'_, T> {
    fn drop(&mut self) {
        // SAFETY: initialised by `write`, dropped once, here.
        unsafe { std::ptr::drop_in_place(self.at.as_ptr()) }
    }
}

/// Where an envelope keeps its payload.
type Word = MaybeUninit<usize>;

/// True if a `T` can live in a [`Word`].
const fn fits<T>() -> bool {
    size_of::<T>() <= size_of::<Word>() && align_of::<T>() <= align_of::<Word>()
}

/// A typed payload: what an envelope holds before it is erased.
pub(crate) trait Payload<A: Actor>: Send + Sized + 'static {
    /// Turns the message into the future that handles it.
    fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> impl Future<Output = ()> + Send + 'a;
    /// Drops the message unhandled. True for a tell (a dead letter); an
    /// ask's asker is told `AskError::Stopped`.
    fn reject(self) -> bool;
    /// The message's type name.
    fn message_type() -> &'static str;
}

/// A payload too large for the word travels boxed.
impl<A: Actor, P: Payload<A>> Payload<A> for Box<P> {
    fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> impl Future<Output = ()> + Send + 'a {
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
    handle: for<'a> unsafe fn(Word, &'a mut A, &'a mut Context<A>, &'a mut FutureSlot) -> Handling<'a>,
    reject: unsafe fn(Word) -> bool,
    drop: unsafe fn(Word),
    message_type: MessageType,
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
    slot: &'a mut FutureSlot,
) -> Handling<'a> {
    // SAFETY: called only through `T`'s table on an envelope consumed once.
    place(unsafe { take::<T>(word) }.handle(actor, ctx), slot)
}

unsafe fn reject_erased<A: Actor, T: Payload<A>>(word: Word) -> bool {
    // SAFETY: as in `handle_erased`.
    unsafe { take::<T>(word) }.reject()
}

unsafe fn drop_erased<T>(word: Word) {
    // SAFETY: as in `handle_erased`.
    drop(unsafe { take::<T>(word) });
}

/// Gives a message's type name: one word to keep while the message is
/// handled.
pub(crate) type MessageType = fn() -> &'static str;

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

    /// Turns the message into the future that handles it, placed in `slot`
    /// (boxed if it does not fit), and what names the message's type for
    /// the rare report of a panic. The `Handling` must be dropped, never
    /// leaked.
    pub(crate) fn handle<'a>(
        self,
        actor: &'a mut A,
        ctx: &'a mut Context<A>,
        slot: &'a mut FutureSlot,
    ) -> (Handling<'a>, MessageType) {
        let this = ManuallyDrop::new(self);
        // SAFETY: the word holds the table's payload; `ManuallyDrop` keeps
        // `Drop` from reading it again (invariant 2).
        let handling = unsafe { (this.vtable.handle)(this.word, actor, ctx, slot) };
        (handling, this.vtable.message_type)
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

/// The envelope of a tell of an `M`, with its message type still known, so
/// a send that fails can hand the message back. Two words, like
/// [`Envelope`], whatever `M` is: a pending `tell` holds one.
pub(crate) struct TellEnvelope<A: Actor, M> {
    env: Envelope<A>,
    _message: PhantomData<fn(M) -> M>,
}

impl<A: Handler<M>, M: Send + 'static> TellEnvelope<A, M> {
    pub(crate) fn new(msg: M) -> Self {
        TellEnvelope { env: Envelope::tell(msg), _message: PhantomData }
    }

    pub(crate) fn into_envelope(self) -> Envelope<A> {
        self.env
    }

    /// The message back, unsent.
    pub(crate) fn into_message(self) -> M {
        let this = ManuallyDrop::new(self.env);
        // SAFETY: `new` made the envelope with `Envelope::tell::<M>`, which
        // stores a `Tell<M>`, boxed if it does not fit the word (invariant
        // 7); `ManuallyDrop` keeps `Drop` from reading it again (invariant 2).
        unsafe { if fits::<Tell<M>>() { take::<Tell<M>>(this.word).0 } else { take::<Box<Tell<M>>>(this.word).0 } }
    }
}

/// A fire-and-forget message.
struct Tell<M>(M);

impl<A: Handler<M>, M: Send + 'static> Payload<A> for Tell<M> {
    fn handle<'a>(self, actor: &'a mut A, ctx: &'a mut Context<A>) -> impl Future<Output = ()> + Send + 'a {
        ctx.begin_message(None);
        Discard { fut: actor.handle(self.0, ctx) }
    }

    fn reject(self) -> bool {
        true
    }

    fn message_type() -> &'static str {
        std::any::type_name::<M>()
    }
}

/// A handler future whose reply nobody waits for.
struct Discard<F> {
    fut: F,
}

impl<F: Future> Future for Discard<F> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        // SAFETY: structural pinning of the only field, which is never
        // moved out; `Discard` has no `Drop` and is `Unpin` only if `F` is.
        unsafe { self.map_unchecked_mut(|d| &mut d.fut) }.poll(cx).map(drop)
    }
}

/// An ask in flight: the message, until the actor takes it, and the reply
/// slot the asker waits on. One allocation, shared by the asker and the
/// envelope.
pub(crate) struct Request<M, R> {
    slot: Slot<R>,
    /// Set when the handler took the reply with `reply_later`, so its return
    /// value is not the answer. Only the actor's task touches it.
    delegated: AtomicBool,
    /// Touched only by this request's one `AskPayload` (invariant 4).
    msg: UnsafeCell<Option<M>>,
}

// SAFETY: the slot is `Sync` on its own (its lock-free protocol, see
// `reply`); the message cell is only ever accessed by one thread at a time
// (invariant 4), and moving an `M` between threads needs `M: Send`.
unsafe impl<M: Send, R: Send> Sync for Request<M, R> {}

impl<M: Send + 'static, R: Send + 'static> ReplySlot<R> for Request<M, R> {
    fn slot(&self) -> &Slot<R> {
        &self.slot
    }
}

impl<M: Send + 'static, R: Send + 'static> ErasedSlot for Request<M, R> {
    fn fail(&self, error: AskError) {
        // A handed-out `ReplySender` owns the completion: it answers, or
        // fails the asker when dropped.
        if !self.is_delegated() {
            let _ = self.slot.complete(Err(error));
        }
    }

    fn is_delegated(&self) -> bool {
        // Relaxed: set on this task, by `give_sender`.
        self.delegated.load(Ordering::Relaxed)
    }

    fn reply_type(&self) -> &'static str {
        std::any::type_name::<R>()
    }

    fn give_sender(self: Arc<Self>, out: &mut dyn std::any::Any) -> bool {
        let given = out.is::<Option<Arc<dyn ReplySlot<R>>>>();
        // Relaxed: read back by the same task (the handler's `Answer`, or a
        // `fail` after a panic or a kill).
        self.delegated.store(given, Ordering::Relaxed);
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
    let req =
        Arc::new(Request { slot: Slot::waiting(), delegated: AtomicBool::new(false), msg: UnsafeCell::new(Some(msg)) });
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
    fn handle<'a>(mut self, actor: &'a mut A, ctx: &'a mut Context<A>) -> impl Future<Output = ()> + Send + 'a {
        let (req, msg) = self.open().expect("an envelope is handled once");
        let msg = msg.expect("a request's message is taken once");
        let answer_to = AnswerTo(Some(NonNull::from(&*req)));
        // The context owns the request while the handler runs (invariant 6).
        ctx.begin_message(Some(req));
        Answer { fut: actor.handle(msg, ctx), req: answer_to }
    }

    fn reject(self) -> bool {
        // `Drop` fails the asker.
        drop(self);
        false
    }

    fn message_type() -> &'static str {
        std::any::type_name::<M>()
    }
}

/// A handler future whose return value answers its request, unless the
/// handler took the reply with `reply_later`.
struct Answer<F, M, R> {
    fut: F,
    req: AnswerTo<M, R>,
}

/// The request an [`Answer`] answers, not owned: the handler context owns
/// it for as long as the `Answer` is polled (invariant 6). `None` once
/// answered.
struct AnswerTo<M, R>(Option<NonNull<Request<M, R>>>);

// SAFETY: the pointer stands for a shared reference to a request the
// context keeps alive, and `Request` is `Sync` for `Send` messages and
// replies, so `&Request` may move and be shared between threads.
unsafe impl<M: Send, R: Send> Send for AnswerTo<M, R> {}
// SAFETY: as for `Send`; `&AnswerTo` gives no access to the request.
unsafe impl<M: Send, R: Send> Sync for AnswerTo<M, R> {}

impl<F: Future<Output = R>, M: Send + 'static, R: Send + 'static> Future for Answer<F, M, R> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        // SAFETY: structural pinning of `fut` only: it is never moved out,
        // `req` is never pinned, and `Answer` has no `Drop`.
        let this = unsafe { self.get_unchecked_mut() };
        // SAFETY: `fut` is pinned because `self` is (see above).
        let reply = std::task::ready!(unsafe { Pin::new_unchecked(&mut this.fut) }.poll(cx));
        if let Some(req) = this.req.0.take() {
            // SAFETY: polled, so the context still owns the request
            // (invariant 6).
            let req = unsafe { req.as_ref() };
            if !req.delegated.load(Ordering::Relaxed) {
                let _ = req.slot.complete(Ok(reply));
            }
        }
        Poll::Ready(())
    }
}

impl<A: Handler<M>, M: Send + 'static> Drop for AskPayload<A, M> {
    fn drop(&mut self) {
        // Dropped unhandled (e.g. with the channel when the runtime goes
        // away): the message goes now, and the asker must not wait forever.
        if let Some((req, msg)) = self.open() {
            drop(msg);
            req.fail(AskError::Stopped);
        }
    }
}

#[cfg(all(test, not(actor_loom)))]
mod tests {
    use std::future::poll_fn;
    use std::pin::pin;

    use super::*;
    use crate::actor_ref::{ActorId, ActorRef};
    use crate::loom::chan;
    use crate::reply::ReplyFuture;
    use crate::runner::{Core, Inner, SpawnOptions};
    use crate::system::ActorSystem;

    #[derive(Default)]
    struct Counter {
        n: u64,
        /// Where `Pass` goes.
        next: Option<ActorRef<Counter>>,
    }

    impl Actor for Counter {}

    struct Add(u64);

    impl Handler<Add> for Counter {
        type Reply = u64;
        async fn handle(&mut self, Add(k): Add, _ctx: &mut Context<Self>) -> u64 {
            self.n += k;
            self.n
        }
    }

    /// Two words: boxed in its envelope.
    struct Pair(u64, u64);

    impl Handler<Pair> for Counter {
        type Reply = u64;
        async fn handle(&mut self, Pair(a, b): Pair, _ctx: &mut Context<Self>) -> u64 {
            self.n += a + b;
            self.n
        }
    }

    /// Passes a pair on to the next actor with `tell`.
    struct Pass(u64);

    impl Handler<Pass> for Counter {
        type Reply = ();
        async fn handle(&mut self, Pass(k): Pass, _ctx: &mut Context<Self>) {
            let next = self.next.as_ref().expect("a next actor");
            next.tell(Pair(k, k)).await.expect("pass");
        }
    }

    /// Keeps a large buffer across an `.await`: its future cannot fit.
    struct Heavy;

    impl Handler<Heavy> for Counter {
        type Reply = u64;
        async fn handle(&mut self, _: Heavy, _ctx: &mut Context<Self>) -> u64 {
            let buf = [1u8; 256];
            tokio::task::yield_now().await;
            self.n += buf.iter().map(|&b| u64::from(b)).sum::<u64>();
            self.n
        }
    }

    fn context(system: &ActorSystem) -> Context<Counter> {
        let (tx, _rx) = chan::channel(4);
        let core = Core::new::<Counter>(ActorId::new(1), &mut SpawnOptions::default());
        let [inner] = Inner::new(core, tx);
        Context::new(inner, system.clone())
    }

    /// Handles `env` to the end; true if its future ran in the slot.
    async fn run(env: Envelope<Counter>, actor: &mut Counter, ctx: &mut Context<Counter>) -> bool {
        let mut slot = FutureSlot::new();
        let (mut fut, _) = env.handle(actor, ctx, &mut slot);
        let in_slot = last_placed_in_slot();
        (&mut fut).await;
        drop(fut);
        ctx.end_message();
        in_slot
    }

    // Breaks if a small handler's future is boxed, a large one is placed in
    // the slot, or either loses its reply or its effect.
    #[test]
    fn small_handler_futures_run_in_the_slot_and_large_ones_boxed() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let system = ActorSystem::new();
            let mut ctx = context(&system);
            let mut actor = Counter::default();

            assert!(run(Envelope::tell(Add(2)), &mut actor, &mut ctx).await);
            let (env, req) = Envelope::<Counter>::ask(Add(3));
            let mut reply = pin!(ReplyFuture::new(req));
            assert!(poll_fn(|cx| Poll::Ready(reply.as_mut().poll(cx).is_pending())).await);
            assert!(run(env, &mut actor, &mut ctx).await);
            assert_eq!(reply.await, Ok(5));

            let (env, req) = Envelope::<Counter>::ask(Heavy);
            assert!(!run(env, &mut actor, &mut ctx).await);
            assert_eq!(ReplyFuture::new(req).await, Ok(5 + 256));
            assert!(!run(Envelope::tell(Heavy), &mut actor, &mut ctx).await);
            assert_eq!(actor.n, 5 + 512);
        });
    }

    // Breaks if a handler that passes a message on with `tell(..).await`
    // no longer fits the slot and is boxed on every message (the `ring`
    // bench's shape).
    #[test]
    fn a_handler_that_passes_a_message_on_runs_in_the_slot() {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let system = ActorSystem::new();
            let next = system.spawn(Counter::default()).unwrap();
            let mut ctx = context(&system);
            let mut actor = Counter { n: 0, next: Some(next) };

            assert!(run(Envelope::tell(Pass(4)), &mut actor, &mut ctx).await);
            let next = actor.next.take().expect("the next actor");
            assert_eq!(next.ask(Add(1)).await, Ok(4 + 4 + 1));
            drop(next);
            system.shutdown().await;
        });
    }
}
