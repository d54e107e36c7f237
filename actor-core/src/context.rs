//! The handler context: the actor's own handle, stop and fail, delayed
//! replies, timers, attached streams and watches.
//!
//! Timers, streams and watches belong to the current incarnation: they are
//! cancelled when it ends (stop, kill, failure or restart), so a restarted
//! actor starts with none.

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::{Stream, StreamExt};
use tokio_util::sync::CancellationToken;

use crate::actor::{Actor, BoxError, ExitReason, Handler};
use crate::actor_ref::{ActorId, ActorRef, send_tell};
use crate::error::{ConfigError, error_chain};
use crate::loom::sync::Arc;
use crate::reply::{ErasedSlot, ReplySender, ReplySlot};
use crate::runner::Inner;
use crate::shared::{Shared, WeakShared};
use crate::system::ActorSystem;

/// What a watcher receives when a watched actor stopped for good.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terminated {
    /// The watched actor.
    pub id: ActorId,
    /// Why it stopped.
    pub reason: ExitReason,
}

/// A running timer or attached stream; [`cancel`](TimerHandle::cancel) ends
/// it. Dropping the handle leaves it running until the actor stops.
#[derive(Debug, Clone)]
pub struct TimerHandle {
    token: CancellationToken,
}

impl TimerHandle {
    /// Stops the timer (or stream); idempotent.
    pub fn cancel(&self) {
        self.token.cancel();
    }

    /// True once cancelled, by [`cancel`](Self::cancel) or because the
    /// actor's incarnation ended.
    pub fn is_cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// The context a handler or hook runs with.
pub struct Context<A: Actor> {
    inner: Shared<Inner<A>>,
    system: ActorSystem,
    /// The request being handled, owned from before its handler starts
    /// until after it returned (the handler's answer points into it).
    reply: Option<Arc<dyn ErasedSlot>>,
    /// Boxed: set only on `fail`, and the context lives in every actor.
    exit: Option<Box<ExitReason>>,
    tasks: Option<CancellationToken>,
}

impl<A: Actor> Context<A> {
    pub(crate) fn new(inner: Shared<Inner<A>>, system: ActorSystem) -> Self {
        Context { inner, system, reply: None, exit: None, tasks: None }
    }

    /// Called by an envelope before its handler runs.
    pub(crate) fn begin_message(&mut self, reply: Option<Arc<dyn ErasedSlot>>) {
        self.reply = reply;
    }

    /// The message being handled is an ask.
    pub(crate) fn is_request(&self) -> bool {
        self.reply.is_some()
    }

    /// The current request's reply side. Once `reply_later` handed out a
    /// `ReplySender`, failing it does nothing: the sender answers.
    pub(crate) fn take_reply(&mut self) -> Option<Arc<dyn ErasedSlot>> {
        self.reply.take()
    }

    /// A handler returned: its request, if any, is answered or handed to a
    /// `ReplySender`. Returns the exit it asked for with `fail` or `stop`.
    pub(crate) fn end_message(&mut self) -> Option<ExitReason> {
        self.reply = None;
        self.take_exit()
    }

    pub(crate) fn take_exit(&mut self) -> Option<ExitReason> {
        self.exit.take().map(|e| *e)
    }

    /// Cancels the incarnation's timers, streams and watches.
    pub(crate) fn end_incarnation(&mut self) {
        if let Some(token) = self.tasks.take() {
            token.cancel();
        }
        self.exit = None;
        self.reply = None;
    }

    fn task_token(&mut self) -> CancellationToken {
        self.tasks.get_or_insert_with(|| self.system.root_token().child_token()).child_token()
    }

    fn weak(&self) -> WeakShared<Inner<A>> {
        Shared::downgrade(&self.inner)
    }

    pub(crate) fn core(&self) -> &crate::runner::Core {
        &self.inner.core
    }

    /// A counted handle to this actor.
    pub fn myself(&self) -> ActorRef<A> {
        ActorRef::acquire(&self.inner)
    }

    /// This actor's id.
    pub fn id(&self) -> ActorId {
        self.inner.core.id
    }

    /// This actor's name.
    pub fn name(&self) -> &str {
        &self.inner.core.name
    }

    /// The system the actor runs in.
    pub fn system(&self) -> &ActorSystem {
        &self.system
    }

    /// Stops this actor as [`ActorRef::stop`] does: queued messages are
    /// still handled, then `on_stop` runs. The exit is
    /// [`ExitReason::Normal`].
    pub fn stop(&self) {
        self.inner.core.request_stop(false);
    }

    /// Ends this incarnation with [`ExitReason::Failed`] once the current
    /// handler returns; a supervisor treats it as a failure. Queued messages
    /// stay in the mailbox for a restarted incarnation (or become dead
    /// letters if the actor stops for good).
    pub fn fail(&mut self, error: impl Into<BoxError>) {
        self.exit = Some(Box::new(ExitReason::Failed(error_chain(&error.into()))));
    }

    /// Takes the right to answer the current ask later, from anywhere. The
    /// handler's return value is then discarded. For a message that came by
    /// `tell`, or outside a handler, the sender is a no-op sink.
    ///
    /// # Panics
    ///
    /// If `R` is not the `Reply` type of the message being handled: that is
    /// a programmer error the types cannot rule out.
    #[track_caller]
    pub fn reply_later<R: Send + 'static>(&mut self) -> ReplySender<R> {
        // Taken already: a second call gets a sink, as a tell does.
        let Some(erased) = self.reply.as_ref().filter(|r| !r.is_delegated()) else {
            return ReplySender::new(None);
        };
        let reply_type = erased.reply_type();
        let mut typed: Option<Arc<dyn ReplySlot<R>>> = None;
        // The context keeps its own handle until the handler returns (the
        // handler's `Answer` points into it); the panic a wrong `R` causes
        // fails the asker through it.
        if !erased.clone().give_sender(&mut typed) {
            panic!(
                "reply_later::<{}>() while handling a message whose Reply is {}",
                std::any::type_name::<R>(),
                reply_type
            );
        }
        ReplySender::new(typed)
    }

    /// Sends `msg` to this actor after `delay`, unless cancelled first or the
    /// incarnation ends.
    pub fn send_after<M: Send + 'static>(&mut self, delay: Duration, msg: M) -> TimerHandle
    where
        A: Handler<M>,
    {
        self.spawn_scoped(|weak| async move {
            tokio::time::sleep(delay).await;
            deliver(&weak, msg).await;
        })
    }

    /// Sends `make()` to this actor every `period` (the first after one
    /// period), waiting for mailbox space each time, until cancelled or the
    /// incarnation ends. Ticks missed while waiting are not made up.
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroDuration`] for a zero period.
    pub fn send_interval<M, F>(&mut self, period: Duration, mut make: F) -> Result<TimerHandle, ConfigError>
    where
        A: Handler<M>,
        M: Send + 'static,
        F: FnMut() -> M + Send + 'static,
    {
        if period.is_zero() {
            return Err(ConfigError::ZeroDuration { what: "timer period" });
        }
        Ok(self.spawn_scoped(|weak| async move {
            let start = tokio::time::Instant::now() + period;
            let mut ticks = tokio::time::interval_at(start, period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if !deliver(&weak, make()).await {
                    return;
                }
            }
        }))
    }

    /// Delivers every item of `stream` to this actor as a message, in order
    /// and with backpressure, until the stream ends, the handle is cancelled
    /// or the incarnation ends.
    pub fn attach_stream<S>(&mut self, stream: S) -> TimerHandle
    where
        S: Stream + Send + 'static,
        S::Item: Send + 'static,
        A: Handler<S::Item>,
    {
        self.spawn_scoped(|weak| async move {
            let mut stream = std::pin::pin!(stream);
            while let Some(item) = stream.next().await {
                if !deliver(&weak, item).await {
                    return;
                }
            }
        })
    }

    /// Delivers [`Terminated`] to this actor when `other` stops for good
    /// (at once if it already has). Ends with this incarnation.
    pub fn watch<B: Actor>(&mut self, other: &ActorRef<B>) -> TimerHandle
    where
        A: Handler<Terminated>,
    {
        let target = other.inner().clone();
        self.spawn_scoped(|weak| async move {
            let reason = target.core.wait_stopped().await;
            let msg = Terminated { id: target.core.id, reason };
            drop(target);
            deliver(&weak, msg).await;
        })
    }

    /// Runs `work` on its own task until it ends, the returned handle is
    /// cancelled or the incarnation ends, whichever comes first.
    fn spawn_scoped<Fut>(&mut self, work: impl FnOnce(WeakShared<Inner<A>>) -> Fut) -> TimerHandle
    where
        Fut: Future<Output = ()> + Send + 'static,
    {
        let token = self.task_token();
        let work = work(self.weak());
        let t = token.clone();
        tokio::spawn(async move {
            t.run_until_cancelled(work).await;
        });
        TimerHandle { token }
    }
}

/// Tells `msg` to the actor if it is still there; false if it is gone or
/// stopped taking messages.
async fn deliver<A: Handler<M>, M: Send + 'static>(weak: &WeakShared<Inner<A>>, msg: M) -> bool {
    match weak.upgrade() {
        Some(inner) => send_tell(&inner, msg).await.is_ok(),
        None => false,
    }
}

impl<A: Actor> fmt::Debug for Context<A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context").field("id", &self.id()).field("name", &self.name()).finish_non_exhaustive()
    }
}
