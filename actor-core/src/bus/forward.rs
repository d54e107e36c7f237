//! Forwarding one event type into an actor's mailbox.
//!
//! A forwarder is a task with its own receiver on the channel. It tells each
//! event to the actor, waiting for mailbox space (backpressure); while it
//! waits, the channel keeps only its capacity's worth of newer events, and
//! what it loses beyond that is counted as lag (and, with
//! `subscribe_actor_with_lag`, told to the actor as [`Lagged`]).
//!
//! It ends, and stops counting as a subscriber, when the actor stops (a stop
//! request is enough), when its [`Forwarding`] handle is dropped or stopped,
//! when the bus actor stops, or when the bus closes. It holds the actor's
//! cell without counting as an `ActorRef`, so it never keeps the actor
//! alive.

use std::fmt;
use std::future::Future;
use std::pin::{Pin, pin};

use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::channel::{Channel, Counters, Msg};
use crate::actor::Handler;
use crate::actor_ref::{ActorId, ActorRef, send_tell};
use crate::error::Lagged;
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicU64, Ordering};
use crate::runner::Inner;
use crate::shared::Shared;

/// Delivers a [`Lagged`] notice to the actor; false if it stopped.
pub(crate) type LagSink<A> =
    for<'a> fn(&'a Shared<Inner<A>>, Lagged) -> Pin<Box<dyn Future<Output = bool> + Send + 'a>>;

/// The [`LagSink`] of an actor that handles [`Lagged`].
pub(crate) fn tell_lag<A: Handler<Lagged>>(
    target: &Shared<Inner<A>>,
    lagged: Lagged,
) -> Pin<Box<dyn Future<Output = bool> + Send + '_>> {
    Box::pin(async move { send_tell(target, lagged).await.is_ok() })
}

/// What a forwarder shares with its handle.
struct State {
    target: ActorId,
    event_type: &'static str,
    // `Relaxed` counters: statistics only.
    forwarded: AtomicU64,
    lagged: AtomicU64,
    /// Cancelled when the forwarder has ended (its receiver dropped and its
    /// subscriber count released).
    done: CancellationToken,
}

/// Forwards one event type from an [`EventBus`](crate::EventBus) into an
/// actor's mailbox; made by [`EventBus::subscribe_actor`](crate::EventBus::subscribe_actor).
///
/// Live as soon as it is returned: every event published after that is
/// forwarded, in order, with backpressure, until the actor stops, this handle
/// is dropped or [stopped](Forwarding::stop), or the bus closes. Call
/// [`detach`](Forwarding::detach) to let it run without the handle. It does
/// not keep the actor alive.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
///
/// #[derive(Clone)]
/// struct Tick;
///
/// #[derive(Default)]
/// struct Clock { ticks: u32 }
/// impl Actor for Clock {}
/// impl Handler<Tick> for Clock {
///     type Reply = ();
///     async fn handle(&mut self, _: Tick, ctx: &mut Context<Self>) {
///         self.ticks += 1;
///         if self.ticks == 2 {
///             ctx.stop();
///         }
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let clock = system.spawn(Clock::default())?;
/// let bus = system.bus();
/// let forwarding = bus.subscribe_actor::<Tick, _>(&clock);
/// bus.publish(Tick);
/// bus.publish(Tick);
/// clock.wait_for_stop().await;     // it stopped itself after two ticks
/// forwarding.wait_for_stop().await; // and the forwarding ended with it
/// assert_eq!(forwarding.forwarded(), 2);
/// assert!(!forwarding.is_active());
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[must_use = "dropping a Forwarding stops it; call detach() to keep it running"]
pub struct Forwarding {
    state: Arc<State>,
    token: CancellationToken,
    detached: bool,
}

impl Forwarding {
    /// The actor events are forwarded to.
    pub fn target(&self) -> ActorId {
        self.state.target
    }

    /// The forwarded event type's name.
    pub fn event_type(&self) -> &'static str {
        self.state.event_type
    }

    /// Events told to the actor so far.
    pub fn forwarded(&self) -> u64 {
        self.state.forwarded.load(Ordering::Relaxed)
    }

    /// Events lost because the actor fell more than the channel's capacity
    /// behind.
    pub fn lagged(&self) -> u64 {
        self.state.lagged.load(Ordering::Relaxed)
    }

    /// True until the forwarder ended.
    pub fn is_active(&self) -> bool {
        !self.state.done.is_cancelled()
    }

    /// Stops forwarding; returns at once (an event being told may still
    /// arrive). Idempotent.
    pub fn stop(&self) {
        self.token.cancel();
    }

    /// Waits until the forwarder ended (the actor stopped, the handle was
    /// stopped, or the bus closed). Once it returns, the forwarder no longer
    /// counts as a subscriber.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_stop(&self) {
        self.state.done.cancelled().await;
    }

    /// A future that resolves once the forwarder ended, like
    /// [`wait_for_stop`](Self::wait_for_stop), but owning what it waits on:
    /// take it before [`detach`](Self::detach) to learn when a detached
    /// forwarder ends. Once it resolves, the forwarder no longer counts as a
    /// subscriber.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub fn ended(&self) -> impl Future<Output = ()> + Send + 'static {
        self.state.done.clone().cancelled_owned()
    }

    /// Lets the forwarder run without this handle, until the actor stops or
    /// the bus closes.
    pub fn detach(mut self) {
        self.detached = true;
    }
}

impl Drop for Forwarding {
    fn drop(&mut self) {
        if !self.detached {
            self.token.cancel();
        }
    }
}

impl fmt::Debug for Forwarding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Forwarding")
            .field("target", &self.state.target)
            .field("event_type", &self.state.event_type)
            .field("active", &self.is_active())
            .field("forwarded", &self.forwarded())
            .field("lagged", &self.lagged())
            .finish()
    }
}

/// The forwarder task's resources; dropping it (on return or abort) drops
/// the receiver first, then releases the counts, then reports the end.
struct Forwarder<E> {
    rx: Option<Receiver<Msg<E>>>,
    counters: Arc<Counters>,
    state: Arc<State>,
}

impl<E> Drop for Forwarder<E> {
    fn drop(&mut self) {
        drop(self.rx.take());
        self.counters.forwarders.fetch_sub(1, Ordering::Relaxed);
        self.counters.remove_subscriber();
        self.state.done.cancel();
    }
}

/// Starts forwarding `E` from `channel` into `target`.
pub(crate) fn start<E, A>(
    runtime: &tokio::runtime::Handle,
    channel: &Channel<E>,
    parent: &CancellationToken,
    target: &ActorRef<A>,
    on_lag: Option<LagSink<A>>,
) -> Forwarding
where
    E: Clone + Send + 'static,
    A: Handler<E>,
{
    let state = Arc::new(State {
        target: target.id(),
        event_type: std::any::type_name::<E>(),
        forwarded: AtomicU64::new(0),
        lagged: AtomicU64::new(0),
        done: CancellationToken::new(),
    });
    let token = parent.child_token();
    let handle = Forwarding { state: state.clone(), token: token.clone(), detached: false };
    let Some(rx) = channel.receiver() else {
        state.done.cancel();
        return handle;
    };
    let counters = channel.counters().clone();
    counters.add_subscriber();
    counters.forwarders.fetch_add(1, Ordering::Relaxed);
    let forwarder = Forwarder { rx: Some(rx), counters, state };
    runtime.spawn(run(forwarder, target.inner().clone(), token, on_lag));
    handle
}

async fn run<E, A>(mut fw: Forwarder<E>, target: Shared<Inner<A>>, token: CancellationToken, on_lag: Option<LagSink<A>>)
where
    E: Clone + Send + 'static,
    A: Handler<E>,
{
    let Some(mut rx) = fw.rx.take() else { return };
    let mut cancelled = pin!(token.cancelled());
    let mut stopped = pin!(target.core.wait_stopped());
    loop {
        // Both checks are single atomic loads; the pinned futures below are
        // polled only when no event is ready.
        if token.is_cancelled() || !target.core.is_accepting() {
            break;
        }
        let received = tokio::select! {
            biased;
            received = rx.recv() => received,
            _ = &mut cancelled => break,
            _ = &mut stopped => break,
        };
        match received {
            Ok(Msg::Event(event)) => {
                // An event received after `stop` or a stop request is not told.
                if token.is_cancelled() || !target.core.is_accepting() {
                    break;
                }
                let sent = tokio::select! {
                    biased;
                    sent = send_tell(&target, event) => sent.is_ok(),
                    _ = &mut cancelled => break,
                    _ = &mut stopped => break,
                };
                if !sent {
                    break;
                }
                fw.state.forwarded.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Msg::End) | Err(RecvError::Closed) => break,
            Err(RecvError::Lagged(missed)) => {
                fw.counters.add_lagged(missed);
                fw.state.lagged.fetch_add(missed, Ordering::Relaxed);
                if let Some(tell) = on_lag {
                    let lagged = Lagged { missed, event_type: fw.counters.event_type };
                    let sent = tokio::select! {
                        biased;
                        sent = tell(&target, lagged) => sent,
                        _ = &mut cancelled => break,
                        _ = &mut stopped => break,
                    };
                    if !sent {
                        break;
                    }
                }
            }
        }
    }
    drop(rx);
}
