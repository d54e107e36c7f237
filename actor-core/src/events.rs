//! Lifecycle notifications raised by the runtime: every actor start, stop,
//! restart and dead letter, and every supervisor escalation, goes through
//! here. They are traced (`debug` for lifecycle, `warn` for restarts,
//! `error` for escalations) and published on the system bus
//! ([`ActorSystem::bus`]) as [`ActorStarted`], [`ActorStopped`],
//! [`ActorRestarted`], [`DeadLetter`] and [`SupervisorEscalated`], each on
//! its own channel, and all of them together, in the order they happened, as
//! [`LifecycleEvent`].
//!
//! # Cost when nobody listens
//!
//! Each system holds one [`Lifecycle`] table of typed channel slots. A slot
//! is filled once, when the system bus first opens the channel of that event
//! type (on its first `subscribe` or `publish`). Raising an event reads the
//! type's slot and the combined slot (one `Acquire` load each) and, if a
//! channel is there, its subscriber count (one `Relaxed` load); only if
//! somebody subscribed is the event built (its name copied) and sent. No
//! lock is taken and nothing is allocated otherwise.
//!
//! # Ordering
//!
//! Events raised by one actor's task are published in the order they
//! happened: `ActorStarted`, then any `DeadLetter`s, then `ActorStopped`
//! (which is published before `wait_for_stop` returns); a supervised actor
//! publishes `ActorRestarted` between one incarnation's end and the next
//! incarnation's `ActorStarted`. [`LifecycleEvent`] carries them all on one
//! channel, so a single subscription sees that order.

use tokio::sync::OnceCell;

use crate::actor::ExitReason;
use crate::actor_ref::ActorId;
use crate::bus::Channel;
use crate::loom::sync::Arc;
use crate::runner::Core;
use crate::system::ActorSystem;

/// An actor finished `on_start` and handles messages (raised for every
/// incarnation, also after a restart).
///
/// # Examples
///
/// ```
/// use actor_core::{ActorStarted, prelude::*};
/// use futures::StreamExt;
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let mut started = system.bus().subscribe::<ActorStarted>();
/// let worker = system.spawn(Worker)?;
/// // The first may be another actor's, such as the bus actor's own.
/// loop {
///     let event = started.next().await.expect("bus open")?;
///     if event.id == worker.id() {
///         println!("{} started as {}", event.name, event.id);
///         break;
///     }
/// }
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorStarted {
    /// The actor.
    pub id: ActorId,
    /// Its registered name, or its type's [`Actor::name`](crate::Actor::name).
    pub name: String,
}

/// An actor stopped for good (its last `on_stop` finished).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorStopped {
    /// The actor.
    pub id: ActorId,
    /// Its name.
    pub name: String,
    /// Why it stopped.
    pub reason: ExitReason,
}

/// A supervisor is rebuilding an actor behind the same mailbox after its
/// incarnation ended with `reason`.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorRestarted {
    /// The actor.
    pub id: ActorId,
    /// Its name.
    pub name: String,
    /// Restarts so far, this one included.
    pub restarts: u32,
    /// Why the previous incarnation ended.
    pub reason: ExitReason,
}

/// A tell was dropped unhandled: by `kill`, at a drain deadline, or because
/// the mailbox stopped for good with it inside.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    /// The actor it was sent to.
    pub to: ActorId,
    /// The message's type name.
    pub message_type: &'static str,
}

/// A supervisor gave up (restart intensity exceeded) and failed to its
/// parent, or shut the system down if it was a root.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SupervisorEscalated {
    /// The supervisor's name.
    pub name: String,
    /// Why it gave up.
    pub reason: String,
}

/// Every lifecycle event of the system bus on one channel, in the order
/// each actor raised them.
///
/// # Examples
///
/// ```
/// use actor_core::{LifecycleEvent, prelude::*};
/// use futures::StreamExt;
///
/// struct Worker;
/// impl Actor for Worker {}
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let mut events = system.bus().subscribe::<LifecycleEvent>();
/// let worker = system.spawn(Worker)?;
/// worker.stop();
/// worker.wait_for_stop().await;
/// let mut seen = Vec::new();
/// while seen.len() < 2 {
///     match events.next().await.expect("bus open")? {
///         LifecycleEvent::Started(e) if e.id == worker.id() => seen.push("started"),
///         LifecycleEvent::Stopped(e) if e.id == worker.id() => seen.push("stopped"),
///         _ => {}
///     }
/// }
/// assert_eq!(seen, ["started", "stopped"]);
/// system.shutdown().await;
/// # Ok(()) }
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LifecycleEvent {
    /// See [`ActorStarted`].
    Started(ActorStarted),
    /// See [`ActorStopped`].
    Stopped(ActorStopped),
    /// See [`ActorRestarted`].
    Restarted(ActorRestarted),
    /// See [`DeadLetter`].
    DeadLetter(DeadLetter),
    /// See [`SupervisorEscalated`].
    SupervisorEscalated(SupervisorEscalated),
}

type Slot<E> = OnceCell<Arc<Channel<E>>>;

/// A system's table of lifecycle channels, filled by its system bus.
///
/// # Invariants
///
/// Each slot is set at most once (a bus never replaces an open channel), by
/// the system bus while it holds its registry lock; `OnceCell::set` publishes
/// the channel with `Release`, `get` reads it with `Acquire`.
#[derive(Default)]
pub(crate) struct Lifecycle {
    started: Slot<ActorStarted>,
    stopped: Slot<ActorStopped>,
    restarted: Slot<ActorRestarted>,
    dead_letter: Slot<DeadLetter>,
    escalated: Slot<SupervisorEscalated>,
    all: Slot<LifecycleEvent>,
}

impl std::fmt::Debug for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lifecycle").finish_non_exhaustive()
    }
}

/// Fills `slot` if `channel` is of its type.
fn try_install<T: 'static, E: 'static>(slot: &Slot<T>, channel: &Arc<Channel<E>>) {
    if let Some(channel) = (channel as &dyn std::any::Any).downcast_ref::<Arc<Channel<T>>>() {
        let _ = slot.set(channel.clone());
    }
}

/// The slot's channel, if somebody subscribed to it.
fn observed<E: Clone + Send + 'static>(slot: &Slot<E>) -> Option<&Channel<E>> {
    slot.get().map(|c| &**c).filter(|c| c.has_subscribers())
}

impl Lifecycle {
    /// Called by the system bus when it opens the channel of `E`.
    pub(crate) fn install<E: 'static>(&self, channel: &Arc<Channel<E>>) {
        try_install(&self.started, channel);
        try_install(&self.stopped, channel);
        try_install(&self.restarted, channel);
        try_install(&self.dead_letter, channel);
        try_install(&self.escalated, channel);
        try_install(&self.all, channel);
    }

    /// Publishes an event built by `make` on its own channel and, wrapped by
    /// `wrap`, on the combined one; builds nothing if neither is observed.
    fn raise<E: Clone + Send + 'static>(
        &self,
        slot: &Slot<E>,
        make: impl FnOnce() -> E,
        wrap: impl FnOnce(E) -> LifecycleEvent,
    ) {
        let own = observed(slot);
        let all = observed(&self.all);
        if own.is_none() && all.is_none() {
            return;
        }
        let event = make();
        match (own, all) {
            (Some(own), Some(all)) => {
                own.publish(event.clone());
                all.publish(wrap(event));
            }
            (Some(own), None) => {
                own.publish(event);
            }
            (None, Some(all)) => {
                all.publish(wrap(event));
            }
            (None, None) => {}
        }
    }
}

/// An incarnation finished `on_start` (`restarts` is 0 for the first).
pub(crate) fn actor_started(system: &ActorSystem, core: &Core, restarts: u32) {
    tracing::debug!(actor.id = core.id.get(), actor.name = %core.name, restarts, "actor started");
    let hub = system.lifecycle();
    hub.raise(&hub.started, || ActorStarted { id: core.id, name: core.name.to_string() }, LifecycleEvent::Started);
}

/// An actor stopped for good.
pub(crate) fn actor_stopped(system: &ActorSystem, core: &Core, reason: &ExitReason) {
    tracing::debug!(actor.id = core.id.get(), actor.name = %core.name, %reason, "actor stopped");
    let hub = system.lifecycle();
    hub.raise(
        &hub.stopped,
        || ActorStopped { id: core.id, name: core.name.to_string(), reason: reason.clone() },
        LifecycleEvent::Stopped,
    );
}

/// A supervisor is rebuilding an actor after `reason`.
pub(crate) fn actor_restarted(system: &ActorSystem, core: &Core, restarts: u32, reason: &ExitReason) {
    tracing::warn!(actor.id = core.id.get(), actor.name = %core.name, restarts, %reason, "actor restarting");
    let hub = system.lifecycle();
    hub.raise(
        &hub.restarted,
        || ActorRestarted { id: core.id, name: core.name.to_string(), restarts, reason: reason.clone() },
        LifecycleEvent::Restarted,
    );
}

/// A tell to `core`'s actor was dropped unhandled.
pub(crate) fn dead_letter(system: &ActorSystem, core: &Core, message_type: &'static str) {
    tracing::debug!(to = %core.id, message_type, "dead letter");
    let hub = system.lifecycle();
    hub.raise(&hub.dead_letter, || DeadLetter { to: core.id, message_type }, LifecycleEvent::DeadLetter);
}

/// A supervisor gave up and failed to its parent (or shut the system down).
pub(crate) fn supervisor_escalated(system: &ActorSystem, name: &str, reason: &str) {
    tracing::error!(supervisor = name, reason, "supervisor escalated");
    let hub = system.lifecycle();
    hub.raise(
        &hub.escalated,
        || SupervisorEscalated { name: name.to_owned(), reason: reason.to_owned() },
        LifecycleEvent::SupervisorEscalated,
    );
}
