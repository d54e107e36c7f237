//! One event type's broadcast channel, and a bus's table of them.
//!
//! # Invariants
//!
//! - A bus opens the channel of an event type once, on its first `subscribe`
//!   or `publish`, and never replaces it: handles cache it, the lifecycle
//!   table keeps it. `configure` only works before that.
//! - `closed` is set once. Closing sets it, then sends `Msg::End`; opening a
//!   receiver subscribes, then reads it. tokio's channel serialises both
//!   under its tail lock, so a receiver either sees `End` or sees the flag.
//! - `subscribers` counts live receivers (subscriptions and forwarders);
//!   every path that ends one (end of stream, drop, forwarder exit)
//!   decrements it exactly once.
//!
//! Lock order: the registry table, then tokio's channel lock (closing sends
//! `End` under the table lock). Publishing takes no lock of ours.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;

use tokio::sync::broadcast;

use super::{BusStats, EventStats};
use crate::error::ConfigError;
use crate::events::Lifecycle;
use crate::loom::lock;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};

/// Ring capacity of an event type that was not configured.
pub(crate) const DEFAULT_CAPACITY: usize = 1024;

/// The largest ring capacity `configure` accepts (the ring is allocated up
/// front).
pub(crate) const MAX_CAPACITY: usize = 1 << 20;

/// What travels on a channel: an event, or the end-of-stream mark sent once
/// when the bus closes.
#[derive(Clone)]
pub(crate) enum Msg<E> {
    Event(E),
    End,
}

/// The counters a channel shares with its subscriptions and forwarders.
pub(crate) struct Counters {
    pub(crate) event_type: &'static str,
    /// Live receivers: subscriptions that did not end, running forwarders.
    pub(crate) subscribers: AtomicUsize,
    /// Running forwarders (a subset of `subscribers`).
    pub(crate) forwarders: AtomicUsize,
    /// Events lost by lagging receivers, summed.
    pub(crate) lagged: AtomicU64,
}

impl Counters {
    // All counters are `Relaxed`: they are statistics and the lifecycle
    // fast path's hint; no data is published through them.

    pub(crate) fn add_subscriber(&self) {
        self.subscribers.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn remove_subscriber(&self) {
        self.subscribers.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn add_lagged(&self, n: u64) {
        self.lagged.fetch_add(n, Ordering::Relaxed);
    }
}

/// The broadcast channel of one event type on one bus.
pub(crate) struct Channel<E> {
    tx: broadcast::Sender<Msg<E>>,
    capacity: usize,
    published: AtomicU64,
    closed: AtomicBool,
    counters: Arc<Counters>,
}

impl<E: Clone + Send + 'static> Channel<E> {
    fn new(capacity: usize, closed: bool) -> Self {
        let (tx, _) = broadcast::channel(capacity);
        Channel {
            tx,
            capacity: capacity.next_power_of_two(),
            published: AtomicU64::new(0),
            closed: AtomicBool::new(closed),
            counters: Arc::new(Counters {
                event_type: std::any::type_name::<E>(),
                subscribers: AtomicUsize::new(0),
                forwarders: AtomicUsize::new(0),
                lagged: AtomicU64::new(0),
            }),
        }
    }

    pub(crate) fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }

    /// True if some subscription or forwarder is live.
    pub(crate) fn has_subscribers(&self) -> bool {
        self.counters.subscribers.load(Ordering::Relaxed) != 0
    }

    /// Sends to every current receiver; returns how many there are.
    pub(crate) fn publish(&self, event: E) -> usize {
        // `Relaxed`: a publish racing with the close may still be sent; every
        // receiver stops at `End` whatever follows it.
        if self.closed.load(Ordering::Relaxed) {
            return 0;
        }
        self.published.fetch_add(1, Ordering::Relaxed);
        self.tx.send(Msg::Event(event)).unwrap_or(0)
    }

    /// A new receiver, or `None` if the bus closed. The caller counts it.
    pub(crate) fn receiver(&self) -> Option<broadcast::Receiver<Msg<E>>> {
        let rx = self.tx.subscribe();
        // `Acquire`: pairs with the `Release` in `close`; with tokio's tail
        // lock ordering `subscribe` and the `End` send, a receiver opened
        // after `End` sees the flag (see the module invariants).
        if self.closed.load(Ordering::Acquire) { None } else { Some(rx) }
    }
}

/// The type-erased view the registry keeps of a channel.
trait ErasedChannel: Send + Sync {
    fn stats(&self, type_id: TypeId) -> EventStats;
    fn close(&self);
}

impl<E: Clone + Send + 'static> ErasedChannel for Channel<E> {
    fn stats(&self, type_id: TypeId) -> EventStats {
        EventStats {
            event_type: self.counters.event_type,
            capacity: self.capacity,
            subscribers: self.counters.subscribers.load(Ordering::Relaxed),
            forwarders: self.counters.forwarders.load(Ordering::Relaxed),
            published: self.published.load(Ordering::Relaxed),
            lagged_total: self.counters.lagged.load(Ordering::Relaxed),
            type_id,
        }
    }

    fn close(&self) {
        // `AcqRel`: only the first close sends `End`; `Release` pairs with
        // the `Acquire` in `receiver`.
        if !self.closed.swap(true, Ordering::AcqRel) {
            let _ = self.tx.send(Msg::End);
        }
    }
}

enum Slot {
    /// `configure` ran; the channel is not open yet.
    Configured(usize),
    /// The channel, twice: erased for stats and close, as `Any` to downcast.
    Open { channel: Arc<dyn ErasedChannel>, any: Arc<dyn Any + Send + Sync> },
}

#[derive(Default)]
struct Table {
    slots: HashMap<TypeId, Slot>,
    closed: bool,
}

/// A bus's channels, keyed by event type.
pub(crate) struct Registry {
    table: Mutex<Table>,
    /// The system's lifecycle table, for the system bus only.
    lifecycle: Option<Arc<Lifecycle>>,
}

impl Registry {
    pub(crate) fn new(lifecycle: Option<Arc<Lifecycle>>) -> Self {
        Registry { table: Mutex::new(Table::default()), lifecycle }
    }

    /// The channel of `E`, opened now if this is its first use.
    pub(crate) fn open<E: Clone + Send + 'static>(&self) -> Arc<Channel<E>> {
        let type_id = TypeId::of::<E>();
        let mut table = lock(&self.table);
        let capacity = match table.slots.get(&type_id) {
            Some(Slot::Open { any, .. }) => {
                return any.clone().downcast::<Channel<E>>().expect("bus slots are keyed by their event type");
            }
            Some(Slot::Configured(capacity)) => *capacity,
            None => DEFAULT_CAPACITY,
        };
        let channel = Arc::new(Channel::<E>::new(capacity, table.closed));
        if let Some(lifecycle) = &self.lifecycle {
            lifecycle.install(&channel);
        }
        table.slots.insert(type_id, Slot::Open { channel: channel.clone(), any: channel.clone() });
        channel
    }

    /// Sets the ring capacity of `E` before its channel opens.
    pub(crate) fn configure<E: 'static>(&self, capacity: usize) -> Result<(), ConfigError> {
        if capacity == 0 {
            return Err(ConfigError::ZeroCapacity { what: "bus" });
        }
        if capacity > MAX_CAPACITY {
            return Err(ConfigError::CapacityTooLarge { what: "bus", got: capacity, max: MAX_CAPACITY });
        }
        let mut table = lock(&self.table);
        match table.slots.get_mut(&TypeId::of::<E>()) {
            Some(Slot::Open { .. }) => {
                Err(ConfigError::InUse { what: "event type", name: std::any::type_name::<E>().to_owned() })
            }
            Some(Slot::Configured(c)) => {
                *c = capacity;
                Ok(())
            }
            None => {
                table.slots.insert(TypeId::of::<E>(), Slot::Configured(capacity));
                Ok(())
            }
        }
    }

    /// Ends every subscription: open channels send `End`, later ones are
    /// born closed. Idempotent.
    pub(crate) fn close(&self) {
        let mut table = lock(&self.table);
        table.closed = true;
        for slot in table.slots.values() {
            if let Slot::Open { channel, .. } = slot {
                channel.close();
            }
        }
    }

    pub(crate) fn is_closed(&self) -> bool {
        lock(&self.table).closed
    }

    /// Counters of every open channel, sorted by event type name.
    pub(crate) fn stats(&self) -> BusStats {
        let mut events: Vec<EventStats> = {
            let table = lock(&self.table);
            table
                .slots
                .iter()
                .filter_map(|(id, slot)| match slot {
                    Slot::Open { channel, .. } => Some(channel.stats(*id)),
                    Slot::Configured(_) => None,
                })
                .collect()
        };
        events.sort_by(|a, b| a.event_type.cmp(b.event_type));
        BusStats { events }
    }
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let table = lock(&self.table);
        f.debug_struct("Registry").field("event_types", &table.slots.len()).field("closed", &table.closed).finish()
    }
}
