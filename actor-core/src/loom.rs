//! The one module that names `std::sync` or `loom`.
//!
//! Every synchronisation primitive that guards the runtime's own shared state
//! (the status word, the registry, reply slots, the mailbox channel) is taken
//! from here. A normal build maps them to `std` and tokio; a build with
//! `RUSTFLAGS="--cfg actor_loom"` maps them to `loom`, so the model checks in
//! `src/tests/loom_*.rs` explore every interleaving of the real code.
//!
//! `Arc` is `std`'s in both builds: it only owns memory here (no protocol is
//! built on its count), and loom's `Arc` cannot hold trait objects. The
//! same holds for the counts of `crate::shared::Shared` ([`counts`]); the
//! blocks its memory comes from are a protocol, on the facade's atomics.

#[cfg(not(actor_loom))]
pub(crate) mod sync {
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

    /// Atomic integers and orderings.
    pub(crate) mod atomic {
        pub(crate) use std::sync::atomic::{
            AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
        };
    }
}

/// The counts of `crate::shared::Shared`: `std`'s in both builds, as
/// `Arc`'s are, so the models may hand shared cells to any thread.
pub(crate) mod counts {
    pub(crate) use std::sync::atomic::{AtomicUsize, Ordering, fence};
}

/// A cell for data whose exclusive access a protocol guarantees; loom's
/// checks that guarantee.
#[cfg(not(actor_loom))]
pub(crate) mod cell {
    /// `std`'s `UnsafeCell` with loom's access API.
    #[derive(Debug, Default)]
    pub(crate) struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// Runs `f` with a pointer to the value for reading; the caller's
        /// protocol rules out a concurrent write.
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Runs `f` with a pointer to the value; the caller's protocol
        /// makes the access exclusive.
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(actor_loom)]
pub(crate) mod cell {
    pub(crate) use loom::cell::UnsafeCell;
}

#[cfg(actor_loom)]
pub(crate) mod sync {
    pub(crate) use loom::sync::{Mutex, MutexGuard};
    pub(crate) use std::sync::Arc;

    /// Atomic integers and orderings.
    pub(crate) mod atomic {
        pub(crate) use loom::sync::atomic::{
            AtomicBool, AtomicPtr, AtomicU8, AtomicU32, AtomicU64, AtomicUsize, Ordering,
        };
    }
}

/// A waker cell shared by one waiting task and many signallers.
#[cfg(not(actor_loom))]
pub(crate) use futures::task::AtomicWaker;

/// A waker cell shared by one waiting task and many signallers: loom's, with
/// the `register(&Waker)` signature of the normal build's.
#[cfg(actor_loom)]
#[derive(Default)]
pub(crate) struct AtomicWaker(loom::future::AtomicWaker);

#[cfg(actor_loom)]
impl AtomicWaker {
    pub(crate) fn new() -> Self {
        AtomicWaker(loom::future::AtomicWaker::new())
    }

    pub(crate) fn register(&self, waker: &std::task::Waker) {
        self.0.register_by_ref(waker);
    }

    pub(crate) fn wake(&self) {
        self.0.wake();
    }
}

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

/// The loom build's mailbox channel.
#[cfg(actor_loom)]
pub(crate) mod chan {
    pub(crate) use super::bounded::{Permit, Receiver, SendError, Sender, TryRecvError, TrySendError, channel};
}

// Compiled in normal test builds too, so its own tests keep it honest.
#[cfg(any(actor_loom, test))]
#[cfg_attr(not(actor_loom), allow(dead_code))]
pub(crate) mod bounded;

/// Runs model checks: `loom::model` and loom threads under `--cfg
/// actor_loom`; one plain run on OS threads otherwise, so the models compile
/// and execute in every test run.
#[cfg(test)]
pub(crate) mod check {
    #[cfg(actor_loom)]
    pub(crate) use loom::future::block_on;
    #[cfg(actor_loom)]
    pub(crate) use loom::thread::spawn;
    #[cfg(not(actor_loom))]
    pub(crate) use std::thread::spawn;

    /// Explores every interleaving of `f` (runs it once without loom).
    /// The number of interleavings explored goes to stderr (shown with
    /// `--nocapture`).
    #[cfg(actor_loom)]
    #[track_caller]
    pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let runs = std::sync::Arc::new(AtomicUsize::new(0));
        let counter = runs.clone();
        let at = std::panic::Location::caller();
        loom::model(move || {
            // Relaxed: a plain counter, read after the model finished.
            counter.fetch_add(1, Ordering::Relaxed);
            f();
        });
        eprintln!("{at}: {} interleavings", runs.load(Ordering::Relaxed));
    }

    /// Explores every interleaving of `f` (runs it once without loom).
    #[cfg(not(actor_loom))]
    pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
        f();
    }

    /// Drives a future to completion on the current model thread.
    #[cfg(not(actor_loom))]
    pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
        use std::pin::pin;
        use std::sync::Arc;
        use std::task::{Context, Poll, Wake, Waker};

        struct Unpark(std::thread::Thread);

        impl Wake for Unpark {
            fn wake(self: Arc<Self>) {
                self.0.unpark();
            }
        }

        let mut fut = pin!(fut);
        let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(v) = fut.as_mut().poll(&mut cx) {
                return v;
            }
            std::thread::park();
        }
    }
}
