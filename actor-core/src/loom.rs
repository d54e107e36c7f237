//! The one module that names `std::sync` or `loom`.
//!
//! Every synchronisation primitive that guards the runtime's own shared state
//! (the status word, the registry, reply slots, the mailbox channel) is taken
//! from here. A normal build maps them to `std` and tokio; a build with
//! `RUSTFLAGS="--cfg actor_loom"` maps them to `loom`, so the model checks in
//! `src/tests/loom_*.rs` explore every interleaving of the real code.
//!
//! `Arc` is `std`'s in both builds: it only owns memory here (no protocol is
//! built on its count), and loom's `Arc` cannot hold trait objects.

#[cfg(not(actor_loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard, Weak};

    /// Atomic integers and orderings.
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
    }
}

#[cfg(actor_loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::{Mutex, MutexGuard};
    pub(crate) use std::sync::{Arc, Weak};

    /// Atomic integers and orderings.
    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
    }
}

/// A waker cell shared by one waiting task and many signallers.
#[cfg(not(actor_loom))]
pub(crate) use futures::task::AtomicWaker;
#[cfg(actor_loom)]
pub(crate) use loom::future::AtomicWaker;

/// Locks a mutex, ignoring poisoning: every critical section in the crate
/// leaves its data consistent before anything in it can panic.
pub(crate) fn lock<T>(m: &sync::Mutex<T>) -> sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(g) => g,
        Err(poisoned) => poisoned.into_inner(),
    }
}

/// The bounded channel behind every mailbox.
///
/// A normal build uses tokio's bounded mpsc. The loom build swaps in a small
/// channel with the same documented semantics (send waits for capacity,
/// `try_send` tells `Full` from `Closed`, `close` then drain, `recv` yields
/// `None` once closed and empty), built on the facade's primitives.
#[cfg(not(actor_loom))]
pub(crate) mod chan {
    pub(crate) use tokio::sync::mpsc::error::{SendError, TryRecvError, TrySendError};
    pub(crate) use tokio::sync::mpsc::{Permit, Receiver, Sender, channel};
}
