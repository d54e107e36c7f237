//! Handles to actors: `ActorRef`, `WeakActorRef`, `Recipient`, and the `Ask`
//! builder.
//!
//! An `ActorRef` is a counted handle: when the last one (the registry's and
//! a supervisor's included) is dropped, the actor drains its mailbox and
//! stops with [`ExitReason::Normal`].

use std::fmt;
use std::future::{Future, IntoFuture};
use std::num::NonZeroU64;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use crate::actor::{Actor, ExitReason, Handler};
use crate::envelope::{Request, TellEnvelope};
use crate::error::{AskError, SendError, TrySendError};
use crate::loom::chan::{self, Permit};
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::Ordering;
use crate::mailbox::Envelope;
use crate::reply::ReplyFuture;
use crate::runner::Inner;
use crate::shared::{Shared, WeakShared};

/// An actor's identity, unique within its system, never reused.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ActorId(NonZeroU64);

impl ActorId {
    /// Ids count from 1 (so an `Option<ActorId>` takes no more room than
    /// an id).
    pub(crate) fn new(n: u64) -> Self {
        ActorId(NonZeroU64::new(n).expect("actor ids count from 1"))
    }

    /// The number behind the id.
    pub fn get(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Debug for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ActorId({})", self.0)
    }
}

impl fmt::Display for ActorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Where an actor is in its lifecycle.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActorStatus {
    /// `on_start` is running.
    Starting,
    /// Handling messages.
    Running,
    /// A stop or kill was requested; draining or in `on_stop`.
    Stopping,
    /// A supervised actor between incarnations; its mailbox stays open.
    Restarting,
    /// Stopped for good.
    Stopped,
}

impl fmt::Display for ActorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ActorStatus::Starting => "starting",
            ActorStatus::Running => "running",
            ActorStatus::Stopping => "stopping",
            ActorStatus::Restarting => "restarting",
            ActorStatus::Stopped => "stopped",
        })
    }
}

/// A point-in-time view of an actor's mailbox and counters.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorMetrics {
    /// Messages waiting now.
    pub mailbox_len: usize,
    /// The mailbox's bound.
    pub mailbox_capacity: usize,
    /// The deepest the mailbox was seen when the actor picked up a batch.
    pub mailbox_high_water: usize,
    /// Messages handled (including ones whose handler panicked).
    pub processed: u64,
    /// Restarts by a supervisor.
    pub restarts: u32,
    /// The lifecycle status.
    pub status: ActorStatus,
}

/// A handle to a running actor: `Clone + Send + Sync`, cheap to clone.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Default)]
/// struct Counter { n: u64 }
/// impl Actor for Counter {}
///
/// struct Inc(u64);
/// impl Handler<Inc> for Counter {
///     type Reply = ();
///     async fn handle(&mut self, Inc(k): Inc, _ctx: &mut Context<Self>) { self.n += k }
/// }
/// struct Get;
/// impl Handler<Get> for Counter {
///     type Reply = u64;
///     async fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 { self.n }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let counter = system.spawn(Counter::default())?;
/// counter.tell(Inc(2)).await?;
/// counter.try_tell(Inc(1))?;
/// assert_eq!(counter.ask(Get).await?, 3);
/// assert_eq!(counter.ask(Get).timeout(Duration::from_secs(1)).await?, 3);
/// counter.stop();
/// assert_eq!(counter.wait_for_stop().await, ExitReason::Normal);
/// # Ok(()) }
/// ```
pub struct ActorRef<A: Actor> {
    inner: Shared<Inner<A>>,
}

impl<A: Actor> ActorRef<A> {
    /// Wraps a cell whose strong count already includes this handle.
    pub(crate) fn from_inner(inner: Shared<Inner<A>>) -> Self {
        ActorRef { inner }
    }

    /// Makes a new counted handle to the cell (from the actor's context).
    pub(crate) fn acquire(inner: &Shared<Inner<A>>) -> Self {
        // `Relaxed`: a new handle only needs the count to be atomic; the
        // decrement that may reach zero is `AcqRel`.
        inner.strong.fetch_add(1, Ordering::Relaxed);
        ActorRef { inner: inner.clone() }
    }

    pub(crate) fn inner(&self) -> &Shared<Inner<A>> {
        &self.inner
    }

    /// Sends a message, waiting while the mailbox is full (backpressure).
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] with the message if the actor stopped, is
    /// stopping, or stops while this waits for space.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: if the future is dropped before it completes, the message
    /// was not enqueued.
    ///
    /// (Not an `async fn`: the future is the send itself, without a wrapper
    /// that would hold the message and the handle a second time, so a
    /// handler that awaits a `tell` stays small enough to run without an
    /// allocation.)
    pub fn tell<M: Send + 'static>(&self, msg: M) -> impl Future<Output = Result<(), SendError<M>>> + Send + '_
    where
        A: Handler<M>,
    {
        send_tell(&self.inner, msg)
    }

    /// Sends a message if the mailbox has space right now.
    ///
    /// # Errors
    ///
    /// [`TrySendError::Full`] if the mailbox is at capacity,
    /// [`TrySendError::Closed`] if the actor stopped or is stopping; both
    /// hand the message back.
    pub fn try_tell<M: Send + 'static>(&self, msg: M) -> Result<(), TrySendError<M>>
    where
        A: Handler<M>,
    {
        try_send_tell(&self.inner, msg)
    }

    /// Sends a message, waiting at most `timeout` for mailbox space.
    ///
    /// # Errors
    ///
    /// [`SendError::Timeout`] if the mailbox stayed full, [`SendError::Closed`]
    /// if the actor stopped; both hand the message back.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`tell`](Self::tell).
    pub async fn tell_timeout<M: Send + 'static>(&self, msg: M, timeout: Duration) -> Result<(), SendError<M>>
    where
        A: Handler<M>,
    {
        send_tell_timeout(&self.inner, msg, timeout).await
    }

    /// Sends a message and waits for the reply. Await it directly, or set a
    /// deadline first with [`Ask::timeout`].
    ///
    /// # Errors
    ///
    /// [`AskError::Stopped`] if the actor stopped before replying,
    /// [`AskError::Panicked`] if its handler panicked, [`AskError::NoReply`]
    /// if a delayed reply was dropped, [`AskError::Timeout`] past a deadline.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future before the message was enqueued sends nothing;
    /// after that, the actor still handles the message and its reply is
    /// dropped.
    pub fn ask<M: Send + 'static>(&self, msg: M) -> Ask<'_, A, M>
    where
        A: Handler<M>,
    {
        Ask { actor: self, msg, timeout: None, wait_for_space: true }
    }

    /// Like [`ask`](Self::ask), but fails with [`AskError::Full`] instead of
    /// waiting for mailbox space.
    pub fn try_ask<M: Send + 'static>(&self, msg: M) -> Ask<'_, A, M>
    where
        A: Handler<M>,
    {
        Ask { actor: self, msg, timeout: None, wait_for_space: false }
    }

    /// Asks the actor to stop: from now on sends get `Closed`; queued
    /// messages are handled; then `on_stop` runs. Returns at once;
    /// idempotent. See the stop table in the crate docs.
    pub fn stop(&self) {
        self.inner.core.request_stop(false);
    }

    /// Kills the actor: from now on sends get `Closed`; queued tells become
    /// dead letters and queued asks fail with [`AskError::Stopped`]; a
    /// handler suspended at an `.await` is aborted; `on_stop` still runs.
    /// Returns at once; idempotent.
    pub fn kill(&self) {
        self.inner.core.kill();
    }

    /// Waits until the actor stopped for good (its last `on_stop` finished)
    /// and returns why. Resolves at once if it already stopped; any number of
    /// callers may wait.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_stop(&self) -> ExitReason {
        self.inner.core.wait_stopped().await
    }

    /// The actor's lifecycle status now.
    pub fn status(&self) -> ActorStatus {
        self.inner.core.status()
    }

    /// True until the actor stopped for good.
    pub fn is_alive(&self) -> bool {
        self.status() != ActorStatus::Stopped
    }

    /// The actor's id.
    pub fn id(&self) -> ActorId {
        self.inner.core.id
    }

    /// The registered name, or the actor type's [`Actor::name`].
    pub fn name(&self) -> &str {
        &self.inner.core.name
    }

    /// A handle that accepts only `M`, hiding the actor type.
    pub fn recipient<M: Send + 'static>(&self) -> Recipient<M>
    where
        A: Handler<M>,
    {
        Recipient { target: Arc::new(self.clone()) }
    }

    /// A handle that does not keep the actor alive.
    pub fn downgrade(&self) -> WeakActorRef<A> {
        WeakActorRef { inner: Shared::downgrade(&self.inner) }
    }

    /// Mailbox and counters now.
    pub fn metrics(&self) -> crate::ActorMetrics {
        self.inner.metrics()
    }
}

impl<A: Actor> Clone for ActorRef<A> {
    fn clone(&self) -> Self {
        ActorRef::acquire(&self.inner)
    }
}

impl<A: Actor> Drop for ActorRef<A> {
    fn drop(&mut self) {
        // `AcqRel`: the last holder's sends happen before the stop request.
        if self.inner.strong.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.inner.core.request_stop(false);
        }
    }
}

impl<A: Actor> PartialEq for ActorRef<A> {
    fn eq(&self, other: &Self) -> bool {
        Shared::ptr_eq(&self.inner, &other.inner)
    }
}

impl<A: Actor> Eq for ActorRef<A> {}

impl<A: Actor> fmt::Debug for ActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorRef")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("status", &self.status())
            .finish()
    }
}

/// The future of a `tell`: takes mailbox space at once when there is some
/// (spending one unit of the task's cooperative budget, as a channel send
/// does), else waits for it. Three words whatever the message, so a handler
/// that awaits a `tell` stays small enough for the runner's slot: the
/// message is put in its envelope up front (in place when it fits a word,
/// as it is sent anyway), and the rare wait for space is boxed together
/// with it.
pub(crate) fn send_tell<'a, A: Handler<M>, M: Send + 'static>(inner: &'a Inner<A>, msg: M) -> TellFuture<'a, A, M> {
    TellFuture::Now { inner, env: Some(TellEnvelope::new(msg)) }
}

/// See [`send_tell`].
pub(crate) enum TellFuture<'a, A: Actor, M> {
    /// Not sent yet and not waiting; `env` is `None` once finished.
    Now { inner: &'a Inner<A>, env: Option<TellEnvelope<A, M>> },
    /// Waiting for mailbox space.
    Waiting(TellWaiting<'a, A, M>),
}

/// A `tell` waiting for space: the reservation and the envelope, in one
/// allocation. Dropping it drops the envelope unsent.
pub(crate) type TellWaiting<'a, A, M> = Pin<
    Box<dyn Future<Output = (Result<Permit<'a, Envelope<A>>, chan::SendError<()>>, TellEnvelope<A, M>)> + Send + 'a>,
>;

// Nothing in a `TellFuture` is pinned in place: the envelope is moved, and
// the waiting future is boxed.
impl<A: Actor, M> Unpin for TellFuture<'_, A, M> {}

impl<'a, A: Handler<M>, M: Send + 'static> Future for TellFuture<'a, A, M> {
    type Output = Result<(), SendError<M>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        let (permit, env) = loop {
            match this {
                TellFuture::Waiting(waiting) => {
                    let (permit, env) = std::task::ready!(waiting.as_mut().poll(cx));
                    break (permit, Some(env));
                }
                TellFuture::Now { inner, env } => {
                    let inner: &'a Inner<A> = inner;
                    let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
                    match try_permit(inner) {
                        Ok(permit) => {
                            coop.made_progress();
                            break (Ok(permit), env.take());
                        }
                        Err(chan::TrySendError::Closed(())) => break (Err(chan::SendError(())), env.take()),
                        Err(chan::TrySendError::Full(())) => {
                            // Full: wait for space (the rare path, boxed).
                            drop(coop);
                            let env = env.take().expect("a tell sends once");
                            *this = TellFuture::Waiting(Box::pin(async move { (inner.tx.reserve().await, env) }));
                        }
                    }
                }
            }
        };
        let env = env.expect("a tell sends once");
        Poll::Ready(match permit {
            Ok(permit) => {
                permit.send(env.into_envelope());
                Ok(())
            }
            Err(_) => Err(SendError::Closed(env.into_message())),
        })
    }
}

/// Mailbox space right now, unless the actor stopped taking messages.
fn try_permit<A: Actor>(inner: &Inner<A>) -> Result<Permit<'_, Envelope<A>>, chan::TrySendError<()>> {
    if !inner.core.is_accepting() {
        return Err(chan::TrySendError::Closed(()));
    }
    inner.tx.try_reserve()
}

pub(crate) fn try_send_tell<A: Handler<M>, M: Send + 'static>(inner: &Inner<A>, msg: M) -> Result<(), TrySendError<M>> {
    match try_permit(inner) {
        Ok(permit) => {
            permit.send(Envelope::tell(msg));
            Ok(())
        }
        Err(chan::TrySendError::Full(())) => Err(TrySendError::Full(msg)),
        Err(chan::TrySendError::Closed(())) => Err(TrySendError::Closed(msg)),
    }
}

pub(crate) async fn send_tell_timeout<A: Handler<M>, M: Send + 'static>(
    inner: &Inner<A>,
    msg: M,
    timeout: Duration,
) -> Result<(), SendError<M>> {
    // Space now: no timer needed (one unit of cooperative budget, as
    // `tell` spends).
    tokio::task::coop::consume_budget().await;
    let msg = match try_send_tell(inner, msg) {
        Ok(()) => return Ok(()),
        Err(TrySendError::Closed(msg)) => return Err(SendError::Closed(msg)),
        Err(TrySendError::Full(msg)) => msg,
    };
    match tokio::time::timeout(timeout, inner.tx.reserve()).await {
        Ok(Ok(permit)) => {
            permit.send(Envelope::tell(msg));
            Ok(())
        }
        Ok(Err(_)) => Err(SendError::Closed(msg)),
        Err(_) => Err(SendError::Timeout(msg)),
    }
}

/// A pending `ask`: set a deadline with [`timeout`](Ask::timeout), then
/// `.await` it.
#[must_use = "an ask does nothing until it is awaited"]
pub struct Ask<'a, A: Handler<M>, M: Send + 'static> {
    actor: &'a ActorRef<A>,
    msg: M,
    timeout: Option<Duration>,
    wait_for_space: bool,
}

impl<'a, A: Handler<M>, M: Send + 'static> Ask<'a, A, M> {
    /// Fails with [`AskError::Timeout`] if no reply came within `timeout`,
    /// counted from the first poll and covering the wait for mailbox space.
    /// A zero timeout fails at once without sending.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

impl<A: Handler<M>, M: Send + 'static> fmt::Debug for Ask<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ask")
            .field("actor", &self.actor.id())
            .field("message", &std::any::type_name::<M>())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<'a, A: Handler<M>, M: Send + 'static> IntoFuture for Ask<'a, A, M> {
    type Output = Result<A::Reply, AskError>;
    type IntoFuture = AskFuture<'a, A, M>;

    fn into_future(self) -> Self::IntoFuture {
        // Nanoseconds, `NO_DEADLINE` for none (a timeout of 584 years or more
        // is no deadline either).
        let timeout = self.timeout.map_or(NO_DEADLINE, |t| u64::try_from(t.as_nanos()).unwrap_or(NO_DEADLINE));
        AskFuture {
            state: AskState::Init {
                actor: &self.actor.inner,
                msg: self.msg,
                timeout,
                wait_for_space: self.wait_for_space,
            },
        }
    }
}

/// An ask's timeout in nanoseconds that means "no deadline".
const NO_DEADLINE: u64 = u64::MAX;

/// An ask's deadline, once its timer started (at the first poll).
type Deadline = Option<Pin<Box<tokio::time::Sleep>>>;

type ReserveFuture<'a, A> =
    Pin<Box<dyn Future<Output = Result<Permit<'a, Envelope<A>>, chan::SendError<()>>> + Send + 'a>>;

enum AskState<'a, A: Handler<M>, M: Send + 'static> {
    /// Not polled yet; `timeout` in nanoseconds (see [`NO_DEADLINE`]).
    Init {
        actor: &'a Shared<Inner<A>>,
        msg: M,
        timeout: u64,
        wait_for_space: bool,
    },
    /// Waiting for mailbox space (rare, so boxed).
    Reserving(Box<Reserving<'a, A, M>>),
    /// Sent; waiting for the reply.
    Waiting {
        reply: ReplyFuture<A::Reply, Request<M, A::Reply>>,
        deadline: Deadline,
    },
    Done,
}

/// An ask waiting for mailbox space.
struct Reserving<'a, A: Actor, M> {
    reserve: ReserveFuture<'a, A>,
    msg: M,
    deadline: Deadline,
}

/// The future of an [`Ask`]. Small (three words for a message without
/// data, four for one of up to a word), as it often lives in another
/// future's state: the actor and the options live in the state's first
/// variant, the deadline in the later ones, and the rare wait for space is
/// boxed.
#[must_use = "futures do nothing unless polled"]
pub struct AskFuture<'a, A: Handler<M>, M: Send + 'static> {
    state: AskState<'a, A, M>,
}

// Nothing in an `AskFuture` is ever pinned in place: the message is moved,
// never polled, and every inner future is boxed.
impl<A: Handler<M>, M: Send + 'static> Unpin for AskFuture<'_, A, M> {}

impl<A: Handler<M>, M: Send + 'static> fmt::Debug for AskFuture<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            AskState::Init { .. } => "not sent",
            AskState::Reserving(_) => "waiting for mailbox space",
            AskState::Waiting { .. } => "waiting for the reply",
            AskState::Done => "done",
        };
        f.debug_struct("AskFuture").field("message", &std::any::type_name::<M>()).field("state", &state).finish()
    }
}

impl<'a, A: Handler<M>, M: Send + 'static> AskFuture<'a, A, M> {
    fn enqueue(&mut self, permit: Permit<'_, Envelope<A>>, msg: M, deadline: Deadline) {
        let (env, req) = Envelope::ask(msg);
        permit.send(env);
        self.state = AskState::Waiting { reply: ReplyFuture::new(req), deadline };
    }
}

impl<'a, A: Handler<M>, M: Send + 'static> Future for AskFuture<'a, A, M> {
    type Output = Result<A::Reply, AskError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            // The waiting state, where an ask spends its polls, is polled in
            // place; the others move their message out.
            if let AskState::Waiting { reply, .. } = &mut this.state {
                return match Pin::new(reply).poll(cx) {
                    Poll::Ready(out) => Poll::Ready(out),
                    Poll::Pending => this.poll_deadline(cx),
                };
            }
            match std::mem::replace(&mut this.state, AskState::Done) {
                AskState::Init { actor, msg, timeout, wait_for_space } => {
                    if timeout == 0 {
                        return Poll::Ready(Err(AskError::Timeout));
                    }
                    let deadline =
                        (timeout != NO_DEADLINE).then(|| Box::pin(tokio::time::sleep(Duration::from_nanos(timeout))));
                    match try_permit(actor) {
                        Ok(permit) => this.enqueue(permit, msg, deadline),
                        Err(chan::TrySendError::Closed(())) => return Poll::Ready(Err(AskError::Stopped)),
                        Err(chan::TrySendError::Full(())) if !wait_for_space => {
                            return Poll::Ready(Err(AskError::Full));
                        }
                        Err(chan::TrySendError::Full(())) => {
                            let reserve = Box::pin(actor.tx.reserve());
                            this.state = AskState::Reserving(Box::new(Reserving { reserve, msg, deadline }));
                        }
                    }
                }
                AskState::Reserving(mut waiting) => match waiting.reserve.as_mut().poll(cx) {
                    Poll::Ready(Ok(permit)) => {
                        let Reserving { msg, deadline, .. } = *waiting;
                        this.enqueue(permit, msg, deadline);
                    }
                    Poll::Ready(Err(_)) => return Poll::Ready(Err(AskError::Stopped)),
                    Poll::Pending => {
                        this.state = AskState::Reserving(waiting);
                        return this.poll_deadline(cx);
                    }
                },
                AskState::Waiting { .. } => unreachable!("polled in place above"),
                AskState::Done => return Poll::Ready(Err(AskError::Stopped)),
            }
        }
    }
}

impl<A: Handler<M>, M: Send + 'static> AskFuture<'_, A, M> {
    fn poll_deadline(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<A::Reply, AskError>> {
        let deadline = match &mut self.state {
            AskState::Waiting { deadline, .. } => deadline,
            AskState::Reserving(waiting) => &mut waiting.deadline,
            AskState::Init { .. } | AskState::Done => return Poll::Pending,
        };
        if deadline.as_mut().is_some_and(|d| d.as_mut().poll(cx).is_ready()) {
            // Dropping the reply future tells the slot the asker is gone.
            self.state = AskState::Done;
            return Poll::Ready(Err(AskError::Timeout));
        }
        Poll::Pending
    }
}

/// A typed call built by the client methods that `#[messages]` generates:
/// `.await` asks, [`tell`](MessageCall::tell) tells, and
/// [`timeout`](MessageCall::timeout) asks with a deadline.
#[must_use = "a message call does nothing until it is awaited or told"]
pub struct MessageCall<'a, A: Handler<M>, M: Send + 'static> {
    actor: &'a ActorRef<A>,
    msg: M,
}

impl<'a, A: Handler<M>, M: Send + 'static> MessageCall<'a, A, M> {
    /// A call of `msg` on `actor`.
    pub fn new(actor: &'a ActorRef<A>, msg: M) -> Self {
        MessageCall { actor, msg }
    }

    /// Asks with a deadline, as [`Ask::timeout`].
    pub fn timeout(self, timeout: Duration) -> Ask<'a, A, M> {
        self.actor.ask(self.msg).timeout(timeout)
    }

    /// Sends without waiting for a reply, as [`ActorRef::tell`].
    ///
    /// # Errors
    ///
    /// As [`ActorRef::tell`].
    pub fn tell(self) -> impl Future<Output = Result<(), SendError<M>>> + Send + 'a {
        send_tell(&self.actor.inner, self.msg)
    }

    /// Sends if there is space now, as [`ActorRef::try_tell`].
    ///
    /// # Errors
    ///
    /// As [`ActorRef::try_tell`].
    pub fn try_tell(self) -> Result<(), TrySendError<M>> {
        self.actor.try_tell(self.msg)
    }
}

impl<'a, A: Handler<M>, M: Send + 'static> IntoFuture for MessageCall<'a, A, M> {
    type Output = Result<A::Reply, AskError>;
    type IntoFuture = AskFuture<'a, A, M>;

    fn into_future(self) -> Self::IntoFuture {
        self.actor.ask(self.msg).into_future()
    }
}

impl<A: Handler<M>, M: Send + 'static> fmt::Debug for MessageCall<'_, A, M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MessageCall")
            .field("actor", &self.actor.id())
            .field("message", &std::any::type_name::<M>())
            .finish()
    }
}

/// A handle that does not keep its actor alive.
pub struct WeakActorRef<A: Actor> {
    inner: WeakShared<Inner<A>>,
}

impl<A: Actor> WeakActorRef<A> {
    /// The cell, without counting as a handle.
    pub(crate) fn upgrade_inner(&self) -> Option<Shared<Inner<A>>> {
        self.inner.upgrade()
    }

    /// A counted handle, if some `ActorRef` still holds the actor.
    pub fn upgrade(&self) -> Option<ActorRef<A>> {
        let inner = self.inner.upgrade()?;
        // Increment only from a non-zero count: at zero the actor was
        // released and is stopping. `Relaxed` as in `ActorRef::acquire`.
        let mut n = inner.strong.load(Ordering::Relaxed);
        loop {
            if n == 0 {
                return None;
            }
            match inner.strong.compare_exchange_weak(n, n + 1, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => return Some(ActorRef::from_inner(inner)),
                Err(now) => n = now,
            }
        }
    }
}

impl<A: Actor> Clone for WeakActorRef<A> {
    fn clone(&self) -> Self {
        WeakActorRef { inner: self.inner.clone() }
    }
}

impl<A: Actor> fmt::Debug for WeakActorRef<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WeakActorRef").field("actor", &std::any::type_name::<A>()).finish()
    }
}

type BoxSend<'a, M> = Pin<Box<dyn Future<Output = Result<(), SendError<M>>> + Send + 'a>>;

/// What a `Recipient<M>` needs of its actor.
trait Target<M: Send + 'static>: Send + Sync + 'static {
    fn tell(&self, msg: M) -> BoxSend<'_, M>;
    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>>;
    fn tell_timeout(&self, msg: M, timeout: Duration) -> BoxSend<'_, M>;
    fn id(&self) -> ActorId;
}

impl<A: Handler<M>, M: Send + 'static> Target<M> for ActorRef<A> {
    fn tell(&self, msg: M) -> BoxSend<'_, M> {
        Box::pin(send_tell(&self.inner, msg))
    }

    fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        try_send_tell(&self.inner, msg)
    }

    fn tell_timeout(&self, msg: M, timeout: Duration) -> BoxSend<'_, M> {
        Box::pin(send_tell_timeout(&self.inner, msg, timeout))
    }

    fn id(&self) -> ActorId {
        ActorRef::id(self)
    }
}

/// A handle to any actor that handles `M`; keeps the actor alive like an
/// `ActorRef`.
pub struct Recipient<M: Send + 'static> {
    target: Arc<dyn Target<M>>,
}

impl<M: Send + 'static> Recipient<M> {
    /// As [`ActorRef::tell`].
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] with the message if the actor stopped.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`ActorRef::tell`].
    pub async fn tell(&self, msg: M) -> Result<(), SendError<M>> {
        // Space now: sent without the boxed wait (one unit of cooperative
        // budget, as `ActorRef::tell` spends).
        tokio::task::coop::consume_budget().await;
        match self.target.try_tell(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Closed(msg)) => Err(SendError::Closed(msg)),
            Err(TrySendError::Full(msg)) => self.target.tell(msg).await,
        }
    }

    /// As [`ActorRef::try_tell`].
    ///
    /// # Errors
    ///
    /// `Full` or `Closed`, with the message.
    pub fn try_tell(&self, msg: M) -> Result<(), TrySendError<M>> {
        self.target.try_tell(msg)
    }

    /// As [`ActorRef::tell_timeout`].
    ///
    /// # Errors
    ///
    /// `Timeout` or `Closed`, with the message.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`ActorRef::tell`].
    pub async fn tell_timeout(&self, msg: M, timeout: Duration) -> Result<(), SendError<M>> {
        self.target.tell_timeout(msg, timeout).await
    }

    /// The receiving actor's id.
    pub fn id(&self) -> ActorId {
        self.target.id()
    }
}

impl<M: Send + 'static> Clone for Recipient<M> {
    fn clone(&self) -> Self {
        Recipient { target: self.target.clone() }
    }
}

impl<M: Send + 'static> fmt::Debug for Recipient<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recipient").field("actor", &self.id()).field("message", &std::any::type_name::<M>()).finish()
    }
}
