//! The event bus: typed broadcast between any number of publishers and
//! subscribers, run as an actor on the system it belongs to.
//!
//! # Semantics
//!
//! - **Typed channels.** Each event type `E` (`Clone + Send + 'static`) has
//!   its own bounded broadcast channel on a bus; events of one type never
//!   reach subscribers of another. The channel is chosen by the value's
//!   static type: `publish(1)` publishes an `i32`, so a `u32` subscriber
//!   needs `publish(1_u32)`.
//! - **Delivery.** A [`Subscription`] is live as soon as
//!   [`subscribe`](EventBus::subscribe) returns and receives every event of
//!   its type published after that, in publish order (one publisher's events
//!   in the order it published them). [`publish`](EventBus::publish) is a
//!   plain call that never waits: it returns how many subscribers the event
//!   reached (0 is not an error).
//! - **Lag, never silent.** A channel keeps the newest `capacity` events
//!   (default 1024; [`configure`](EventBus::configure) sets it per type,
//!   before its first use; tokio's channel rounds it up to a power of two).
//!   A subscriber that falls further behind yields `Err(`[`Lagged`]`)` with
//!   the exact number of events it lost, then continues with the oldest one
//!   retained. Losses are summed per type in [`EventStats::lagged_total`].
//! - **Actors as subscribers.** [`subscribe_actor`](EventBus::subscribe_actor)
//!   tells each event to an actor through its bounded mailbox (waiting for
//!   space, so a slow actor lags instead of growing a queue) until the actor
//!   stops or the [`Forwarding`] handle is dropped. Lost events are counted;
//!   [`subscribe_actor_with_lag`](EventBus::subscribe_actor_with_lag) also
//!   tells the actor each loss as a [`Lagged`] message. (Two methods rather
//!   than one that detects `Handler<Lagged>`: stable Rust cannot ask whether
//!   a generic type implements a trait.)
//! - **Lifecycle events.** The system bus ([`ActorSystem::bus`]) carries the
//!   runtime's own events: [`ActorStarted`](crate::ActorStarted),
//!   [`ActorStopped`](crate::ActorStopped), [`ActorRestarted`](crate::ActorRestarted),
//!   [`DeadLetter`](crate::DeadLetter), [`SupervisorEscalated`](crate::SupervisorEscalated),
//!   and all of them in order as [`LifecycleEvent`](crate::LifecycleEvent).
//!   They are built only while somebody subscribes to their type; otherwise
//!   raising one costs two atomic loads.
//! - **End.** When the system's shutdown finished (every actor stopped, so
//!   the last `ActorStopped` was published), every subscription of its buses
//!   ends (`None`) and every forwarder stops; later subscriptions start
//!   ended and `publish` returns 0. A private bus whose handles are all
//!   dropped ends its subscriptions too. Dropping a subscription
//!   unsubscribes at once; stopped forwarders unsubscribe themselves.
//!
//! # Ownership
//!
//! Publishing goes straight to the channel, never through the bus actor's
//! mailbox: each [`EventBus`] handle caches the typed channels it used (up to
//! four types without any lock; more go through the bus's table lock). The
//! channel table itself is filled on first use by whichever call needs it,
//! because `subscribe` must be live when it returns. The bus actor owns the
//! rest: every forwarder runs under its token (they all stop when it does),
//! and [`stats`](EventBus::stats) asks it.

mod actor;
mod channel;
mod forward;
mod subscription;

use std::any::{Any, TypeId};
use std::fmt;

use tokio::sync::OnceCell;
use tokio_util::sync::CancellationToken;

use self::actor::{BusActor, Stats};
use self::channel::Registry;
use crate::actor::Handler;
use crate::actor_ref::ActorRef;
use crate::error::{ConfigError, Lagged};
use crate::loom::sync::Arc;
use crate::system::ActorSystem;

pub(crate) use self::channel::Channel;
pub use self::forward::Forwarding;
pub use self::subscription::Subscription;

/// How many event types a handle caches without a lock.
const CACHE_SLOTS: usize = 4;

/// A cached channel: its event type and the `Arc<Channel<E>>`.
#[derive(Clone)]
struct Cached {
    type_id: TypeId,
    channel: Arc<dyn Any + Send + Sync>,
}

/// What all handles of one bus share.
struct Shared {
    registry: Arc<Registry>,
    actor: Option<ActorRef<BusActor>>,
    /// Parent of every forwarder's token; the bus actor cancels it when it
    /// stops.
    forwarders: CancellationToken,
    runtime: tokio::runtime::Handle,
    /// Cancelled when the last handle is gone: ends the shutdown watcher.
    dropped: CancellationToken,
}

impl Drop for Shared {
    fn drop(&mut self) {
        self.dropped.cancel();
        // The bus actor's last `ActorRef` goes with `actor`: it stops, and
        // its forwarders with it. The channels' senders go with the
        // registry, which ends every subscription.
    }
}

/// A typed broadcast bus; a cheap, `Clone + Send + Sync` handle.
///
/// [`ActorSystem::bus`] is the system-wide bus, which also carries the
/// runtime's lifecycle events; [`EventBus::new`] makes a private one. See
/// the [module docs](self) for delivery, lag and shutdown semantics.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
/// use futures::StreamExt;
///
/// #[derive(Debug, Clone, PartialEq)]
/// struct OrderPlaced { id: u32 }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let bus = system.bus();
/// let mut all = bus.subscribe::<OrderPlaced>();
/// let mut big = bus.subscribe_filtered::<OrderPlaced>(|o| o.id >= 100);
/// assert_eq!(bus.publish(OrderPlaced { id: 7 }), 2);
/// assert_eq!(bus.publish(OrderPlaced { id: 100 }), 2);
/// assert_eq!(all.next().await, Some(Ok(OrderPlaced { id: 7 })));
/// assert_eq!(all.next().await, Some(Ok(OrderPlaced { id: 100 })));
/// assert_eq!(big.next().await, Some(Ok(OrderPlaced { id: 100 })));
/// let stats = bus.stats().await;
/// assert_eq!(stats.event::<OrderPlaced>().map(|s| s.published), Some(2));
/// system.shutdown().await;
/// # Ok(()) }
/// ```
pub struct EventBus {
    shared: Arc<Shared>,
    cache: [OnceCell<Cached>; CACHE_SLOTS],
}

impl EventBus {
    /// A private bus on `system`, with its own bus actor. It carries no
    /// lifecycle events. If the system is already shutting down, the bus
    /// is born closed: subscriptions end at once and `publish` returns 0.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{EventBus, prelude::*};
    ///
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let audit = EventBus::new(&system);
    /// let _sub = audit.subscribe::<String>();
    /// assert_eq!(audit.publish("login".to_string()), 1);
    /// assert_eq!(system.bus().publish("login".to_string()), 0); // another bus
    /// system.shutdown().await;
    /// # }
    /// ```
    pub fn new(system: &ActorSystem) -> EventBus {
        EventBus::create(system, None)
    }

    fn create(system: &ActorSystem, lifecycle: Option<Arc<crate::events::Lifecycle>>) -> EventBus {
        let registry = Arc::new(Registry::new(lifecycle));
        let forwarders = CancellationToken::new();
        let actor = system.spawn(BusActor { registry: registry.clone(), forwarders: forwarders.clone() }).ok();
        if actor.is_none() {
            // The system is shutting down.
            registry.close();
            forwarders.cancel();
        }
        let dropped = CancellationToken::new();
        let (root, gone, weak) = (system.root_token().clone(), dropped.clone(), Arc::downgrade(&registry));
        system.runtime().spawn(async move {
            tokio::select! {
                _ = root.cancelled() => {
                    if let Some(registry) = weak.upgrade() {
                        registry.close();
                    }
                }
                _ = gone.cancelled() => {}
            }
        });
        let shared = Shared { registry, actor, forwarders, runtime: system.runtime().clone(), dropped };
        EventBus { shared: Arc::new(shared), cache: Default::default() }
    }

    /// The channel of `E`: from this handle's cache, else from the table
    /// (opening it on first use) and cached.
    fn channel<E: Clone + Send + 'static>(&self) -> ChannelRef<'_, E> {
        let type_id = TypeId::of::<E>();
        for slot in &self.cache {
            if slot.get().is_none() {
                let channel: Arc<dyn Any + Send + Sync> = self.shared.registry.open::<E>();
                // Another thread may fill the slot first; then look again.
                let _ = slot.set(Cached { type_id, channel });
            }
            let hit = slot.get().filter(|c| c.type_id == type_id).and_then(|c| c.channel.downcast_ref::<Channel<E>>());
            if let Some(channel) = hit {
                return ChannelRef::Cached(channel);
            }
        }
        ChannelRef::Owned(self.shared.registry.open::<E>())
    }

    /// Sends `event` to every current subscriber of `E` and returns how many
    /// it reached (forwarders included); 0 is not an error. Never waits and
    /// never goes through the bus actor; a slow subscriber lags instead of
    /// slowing the publisher. Returns 0 once the bus closed.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let bus = system.bus();
    /// assert_eq!(bus.publish(42_u64), 0); // nobody listens yet
    /// let _a = bus.subscribe::<u64>();
    /// let _b = bus.subscribe::<u64>();
    /// assert_eq!(bus.publish(43_u64), 2);
    /// system.shutdown().await;
    /// # }
    /// ```
    pub fn publish<E: Clone + Send + 'static>(&self, event: E) -> usize {
        self.channel::<E>().publish(event)
    }

    /// Subscribes to every `E` published from now on; see [`Subscription`].
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Lagged, prelude::*};
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let bus = system.bus();
    /// bus.configure::<u32>(4)?;
    /// let mut sub = bus.subscribe::<u32>();
    /// for n in 0..10_u32 {
    ///     bus.publish(n);
    /// }
    /// // Only the newest 4 were kept: 6 are reported lost, then 6..10 follow.
    /// assert!(matches!(sub.recv().await, Some(Err(Lagged { missed: 6, .. }))));
    /// for n in 6..10 {
    ///     assert_eq!(sub.recv().await, Some(Ok(n)));
    /// }
    /// system.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn subscribe<E: Clone + Send + 'static>(&self) -> Subscription<E> {
        let channel = self.channel::<E>();
        Subscription::new(channel.receiver(), channel.counters(), None)
    }

    /// Like [`subscribe`](Self::subscribe), but yields only the events for
    /// which `keep` returns true. Lag is still reported for every lost event,
    /// kept or not (the filter never saw them).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let bus = system.bus();
    /// let mut even = bus.subscribe_filtered::<u32>(|n| n % 2 == 0);
    /// for n in 1..=4_u32 {
    ///     bus.publish(n);
    /// }
    /// assert_eq!(even.recv().await, Some(Ok(2)));
    /// assert_eq!(even.recv().await, Some(Ok(4)));
    /// system.shutdown().await;
    /// # }
    /// ```
    pub fn subscribe_filtered<E: Clone + Send + 'static>(
        &self,
        keep: impl FnMut(&E) -> bool + Send + 'static,
    ) -> Subscription<E> {
        let channel = self.channel::<E>();
        Subscription::new(channel.receiver(), channel.counters(), Some(Box::new(keep)))
    }

    /// Forwards every `E` published from now on into `actor`'s mailbox,
    /// waiting for space (backpressure), until the actor stops, the returned
    /// [`Forwarding`] is dropped or stopped, or the bus closes. Events lost
    /// while the actor was too slow are counted ([`Forwarding::lagged`],
    /// [`EventStats::lagged_total`]); to have them told to the actor, use
    /// [`subscribe_actor_with_lag`](Self::subscribe_actor_with_lag). The
    /// forwarding does not keep the actor alive.
    ///
    /// See [`Forwarding`] for an example.
    pub fn subscribe_actor<E, A>(&self, actor: &ActorRef<A>) -> Forwarding
    where
        E: Clone + Send + 'static,
        A: Handler<E>,
    {
        let channel = self.channel::<E>();
        forward::start(&self.shared.runtime, &channel, &self.shared.forwarders, actor, None)
    }

    /// Like [`subscribe_actor`](Self::subscribe_actor), and each loss is also
    /// told to the actor as a [`Lagged`] message (through the same mailbox,
    /// in order with the events).
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{Lagged, prelude::*};
    ///
    /// #[derive(Clone)]
    /// struct Quote(u32);
    ///
    /// #[derive(Default)]
    /// struct Ticker { quotes: u32, lost: u64 }
    /// impl Actor for Ticker {}
    /// impl Handler<Quote> for Ticker {
    ///     type Reply = ();
    ///     async fn handle(&mut self, _: Quote, _ctx: &mut Context<Self>) { self.quotes += 1 }
    /// }
    /// impl Handler<Lagged> for Ticker {
    ///     type Reply = ();
    ///     async fn handle(&mut self, lagged: Lagged, _ctx: &mut Context<Self>) { self.lost += lagged.missed }
    /// }
    ///
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let ticker = system.spawn(Ticker::default()).unwrap();
    /// let _forwarding = system.bus().subscribe_actor_with_lag::<Quote, _>(&ticker);
    /// system.bus().publish(Quote(1));
    /// system.shutdown().await;
    /// # }
    /// ```
    pub fn subscribe_actor_with_lag<E, A>(&self, actor: &ActorRef<A>) -> Forwarding
    where
        E: Clone + Send + 'static,
        A: Handler<E> + Handler<Lagged>,
    {
        let channel = self.channel::<E>();
        forward::start(&self.shared.runtime, &channel, &self.shared.forwarders, actor, Some(forward::tell_lag::<A>))
    }

    /// Sets how many events of type `E` the bus retains for slow subscribers
    /// (default 1024, rounded up to a power of two). Only before the first
    /// `subscribe` or `publish` of `E` on this bus; calling it again before
    /// then replaces the value.
    ///
    /// # Errors
    ///
    /// [`ConfigError::ZeroCapacity`] for 0, [`ConfigError::CapacityTooLarge`]
    /// above 2^20, [`ConfigError::InUse`] once `E` was subscribed to or
    /// published.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{ConfigError, prelude::*};
    ///
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let bus = system.bus();
    /// assert!(bus.configure::<u8>(16).is_ok());
    /// assert!(matches!(bus.configure::<u8>(0), Err(ConfigError::ZeroCapacity { .. })));
    /// bus.publish(1_u8);
    /// assert!(matches!(bus.configure::<u8>(32), Err(ConfigError::InUse { .. })));
    /// system.shutdown().await;
    /// # }
    /// ```
    pub fn configure<E: Clone + Send + 'static>(&self, capacity: usize) -> Result<(), ConfigError> {
        self.shared.registry.configure::<E>(capacity)
    }

    /// The counters of every event type used on this bus, asked of the bus
    /// actor. After the bus actor stopped (at shutdown) they are read
    /// directly.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::prelude::*;
    ///
    /// # #[tokio::main] async fn main() {
    /// let system = ActorSystem::new();
    /// let bus = system.bus();
    /// let sub = bus.subscribe::<u32>();
    /// bus.publish(1_u32);
    /// drop(sub);
    /// let stats = bus.stats().await;
    /// let u32_stats = stats.event::<u32>().expect("u32 was used");
    /// assert_eq!((u32_stats.subscribers, u32_stats.published), (0, 1));
    /// system.shutdown().await;
    /// # }
    /// ```
    pub async fn stats(&self) -> BusStats {
        if let Some(actor) = &self.shared.actor {
            if let Ok(stats) = actor.ask(Stats).await {
                return stats;
            }
        }
        self.shared.registry.stats()
    }

    /// True once the bus closed (its system's shutdown finished).
    pub fn is_closed(&self) -> bool {
        self.shared.registry.is_closed()
    }
}

/// A channel borrowed from a handle's cache or fetched from the table.
enum ChannelRef<'a, E> {
    Cached(&'a Channel<E>),
    Owned(Arc<Channel<E>>),
}

impl<E> std::ops::Deref for ChannelRef<'_, E> {
    type Target = Channel<E>;

    fn deref(&self) -> &Channel<E> {
        match self {
            ChannelRef::Cached(c) => c,
            ChannelRef::Owned(c) => c,
        }
    }
}

impl Clone for EventBus {
    fn clone(&self) -> Self {
        EventBus { shared: self.shared.clone(), cache: self.cache.clone() }
    }
}

impl fmt::Debug for EventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventBus")
            .field("actor", &self.shared.actor.as_ref().map(|a| a.id()))
            .field("registry", &self.shared.registry)
            .finish()
    }
}

/// The system bus, kept as a system extension.
#[derive(Clone)]
struct SystemBus(EventBus);

impl ActorSystem {
    /// The system-wide event bus: the same bus for every call, carrying the
    /// runtime's lifecycle events besides your own. Its bus actor is spawned
    /// on first use.
    ///
    /// # Examples
    ///
    /// ```
    /// use actor_core::{ActorStopped, ExitReason, prelude::*};
    /// use futures::StreamExt;
    ///
    /// struct Job;
    /// impl Actor for Job {}
    ///
    /// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let system = ActorSystem::new();
    /// let mut stopped = system.bus().subscribe::<ActorStopped>();
    /// let job = system.spawn(Job)?;
    /// job.stop();
    /// let event = stopped.next().await.expect("bus open")?;
    /// assert_eq!((event.id, event.reason), (job.id(), ExitReason::Normal));
    /// system.shutdown().await;
    /// # Ok(()) }
    /// ```
    pub fn bus(&self) -> EventBus {
        self.extension(|system| SystemBus(EventBus::create(system, Some(system.lifecycle().clone())))).0
    }
}

/// Counters of every event type used on a bus, from [`EventBus::stats`].
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BusStats {
    /// One entry per event type, sorted by type name.
    pub events: Vec<EventStats>,
}

impl BusStats {
    /// The counters of event type `E`, if it was used on the bus.
    pub fn event<E: 'static>(&self) -> Option<&EventStats> {
        self.events.iter().find(|e| e.type_id == TypeId::of::<E>())
    }

    /// Live subscribers over all event types.
    pub fn subscribers(&self) -> usize {
        self.events.iter().map(|e| e.subscribers).sum()
    }
}

impl fmt::Display for BusStats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "event bus ({} event types)", self.events.len())?;
        for e in &self.events {
            writeln!(
                f,
                "  {}: {} subscribers ({} actors), {} published, {} lagged, capacity {}",
                e.event_type, e.subscribers, e.forwarders, e.published, e.lagged_total, e.capacity
            )?;
        }
        Ok(())
    }
}

/// The counters of one event type on a bus.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStats {
    /// The event type's name.
    pub event_type: &'static str,
    /// Events retained for slow subscribers (the configured capacity rounded
    /// up to a power of two).
    pub capacity: usize,
    /// Live subscribers: subscriptions not yet dropped or ended, and running
    /// forwarders.
    pub subscribers: usize,
    /// Running forwarders into actors (included in `subscribers`).
    pub forwarders: usize,
    /// Events published, whether or not anybody received them.
    pub published: u64,
    /// Events lost by lagging subscribers, summed over all of them.
    pub lagged_total: u64,
    type_id: TypeId,
}
