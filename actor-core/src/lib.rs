//! # actor-core
//!
//! Actors on tokio. An actor owns its state; the only way in is its bounded
//! mailbox. Callers [`tell`](ActorRef::tell) (fire and forget, waiting for
//! mailbox space: backpressure) or [`ask`](ActorRef::ask) (a typed reply
//! through a oneshot). Panics are caught per message; stopping drains the
//! mailbox in order; shutdown stops everything in reverse spawn order, with
//! deadlines, and reports what happened.
//!
//! ```
//! use actor_core::prelude::*;
//! use std::time::Duration;
//!
//! #[derive(Actor)]
//! #[actor(mailbox = 256)]
//! struct Counter { n: u64 }
//!
//! struct Inc(u64);
//! struct Get;
//!
//! impl Handler<Inc> for Counter {
//!     type Reply = ();
//!     async fn handle(&mut self, Inc(k): Inc, _ctx: &mut Context<Self>) { self.n += k }
//! }
//! impl Handler<Get> for Counter {
//!     type Reply = u64;
//!     async fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 { self.n }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let counter = system.spawn(Counter { n: 0 })?;
//! counter.tell(Inc(2)).await?;                  // waits for mailbox space
//! counter.try_tell(Inc(1))?;                    // Full(msg) hands the message back
//! let n: u64 = counter.ask(Get).await?;
//! assert_eq!(n, 3);
//! let n = counter.ask(Get).timeout(Duration::from_millis(50)).await?;
//! assert_eq!(n, 3);
//! let report = system.shutdown().await;         // ShutdownReport
//! assert!(report.is_clean());
//! # Ok(()) }
//! ```
//!
//! ## Stop semantics
//!
//! | request | new sends | queued messages | in-flight handler | `on_stop` |
//! |---|---|---|---|---|
//! | [`ActorRef::stop`], [`Context::stop`], last `ActorRef` dropped | `Closed` at once | handled | finishes | runs after the drain, reason `Normal` |
//! | [`ActorRef::kill`] | `Closed` at once | tells: dead letters; asks: [`AskError::Stopped`] at once | aborted at its next `.await`; its asker gets `Stopped` | runs, reason `Killed` |
//! | [`ActorSystem::shutdown`] | `Closed` at once | handled until the drain deadline, then as `kill` | finishes, or the actor is reported unresponsive | runs, reason `Shutdown` |
//!
//! `stop` and `kill` return at once and are idempotent; `wait_for_stop`
//! resolves, for every waiter, after `on_stop` finished. Stop and kill travel
//! on a control lane (the actor's status word) that a full mailbox never
//! blocks.
//!
//! ## Failures
//!
//! A panicking handler is caught; its asker gets [`AskError::Panicked`] with
//! the panic text; the actor's [`Actor::on_panic`] decides whether it goes
//! on (default: it stops with [`ExitReason::Panicked`]). Other actors never
//! notice. `on_start` errors and [`Context::fail`] end the actor with
//! [`ExitReason::Failed`]. A dropped [`ReplySender`] gives the asker
//! [`AskError::NoReply`] at once.
//!
//! ## Ordering
//!
//! Messages from one sender are handled in the order they were sent
//! (per-sender FIFO). Nothing is ordered between senders.
//!
//! ## The rest of the crate
//!
//! - Supervision trees after Erlang/OTP: [`Supervisor::builder`],
//!   [`ChildSpec`], [`Strategy`], [`Restart`], [`Shutdown`], [`Backoff`];
//!   the [`supervisor`] module gives the restart matrix and the rules.
//! - A typed event bus that is itself an actor: [`ActorSystem::bus`],
//!   [`EventBus`] (semantics in [`bus`]); the runtime publishes [`ActorStarted`], [`ActorStopped`],
//!   [`ActorRestarted`], [`DeadLetter`] and [`SupervisorEscalated`] on it.
//! - An in-process topic queue with retention, consumer groups, acks,
//!   redelivery and dead letters: [`ActorSystem::topics`], [`Topic`],
//!   [`Consumer`], [`Subscriber`] (semantics in [`topic`]).
//! - Snapshots and reports: [`ActorSystem::snapshot`] draws the actor tree,
//!   [`ActorSystem::shutdown`] returns a [`ShutdownReport`].
//! - Test helpers behind the `testkit` feature: `testkit::FaultPlan`,
//!   `testkit::EventLog`, `testkit::TestProbe`.
//! - The macros `#[derive(Actor)]` and `#[messages]` (default feature
//!   `macros`); `CONCURRENCY.md` in the repository lists each protocol of
//!   the runtime, its invariant and the loom model that checks it.

// `unsafe` is allowed in three modules, `envelope`, `reply` and `shared`,
// whose docs prove it sound.
#![deny(unsafe_code)]

// Lets the macros' `::actor_core::…` paths resolve inside this crate too.
#[allow(unused_extern_crates)]
extern crate self as actor_core;

mod actor;
mod actor_ref;
pub mod bus;
mod context;
mod envelope;
mod error;
mod events;
mod loom;
mod mailbox;
mod padded;
mod registry;
mod reply;
mod runner;
mod shared;
pub mod supervisor;
mod system;
#[cfg(test)]
mod tests;
pub mod topic;

#[cfg(feature = "testkit")]
pub mod testkit;

pub use actor::{Actor, BoxError, ExitReason, Handler, PanicInfo};
pub use actor_ref::{
    ActorId, ActorMetrics, ActorRef, ActorStatus, Ask, AskFuture, MessageCall, Recipient, WeakActorRef,
};
pub use bus::{BusStats, EventBus, EventStats, Forwarding, Subscription};
pub use context::{Context, Terminated, TimerHandle};
pub use error::{
    AskError, ConfigError, Lagged, PublishError, RegistryError, SendError, SpawnError, SupervisorError, TopicError,
    TrySendError,
};
pub use events::{ActorRestarted, ActorStarted, ActorStopped, DeadLetter, LifecycleEvent, SupervisorEscalated};
pub use reply::ReplySender;
pub use supervisor::{
    Backoff, ChildCounts, ChildInfo, ChildKind, ChildSpec, DEFAULT_WORKER_SHUTDOWN, Restart, Shutdown, Strategy,
    Supervisor, SupervisorBuilder, SupervisorRef,
};
pub use system::{
    ActorShutdown, ActorSnapshot, ActorSystem, ShutdownCause, ShutdownReport, StopOutcome, SystemBuilder,
    SystemSnapshot,
};
pub use topic::{
    Consumer, ConsumerConfig, Delivery, Event, GroupStats, Message, Overflow, PendingEntry, Record, StartAt,
    Subscriber, Topic, TopicConfig, TopicStats, Topics,
};

/// The derive for [`Actor`] and the attribute that turns an impl block into
/// messages; see the `actor-macros` crate docs.
#[cfg(feature = "macros")]
pub use actor_macros::{Actor, messages};

/// The everyday imports: `use actor_core::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "macros")]
    pub use crate::messages;
    pub use crate::{
        Actor, ActorRef, ActorSystem, AskError, BoxError, Context, ExitReason, Handler, Recipient, ReplySender,
        SendError, Terminated, TrySendError, WeakActorRef,
    };
}

/// Paths used by the macros' expansions. Not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::actor::{Actor, BoxError, ExitReason, Handler, PanicInfo};
    pub use crate::actor_ref::{ActorRef, MessageCall};
    pub use crate::context::Context;
    pub use ::core::future::Future;
    pub use ::core::ops::ControlFlow;
}
