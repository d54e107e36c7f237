//! Auto traits: handles are `Send + Sync + Clone`, every error type is
//! `std::error::Error + Send + Sync + 'static`, and a send error's `Debug`
//! never needs the message to be `Debug`. Checked at compile time; the test
//! bodies only make the checks run.

use std::fmt::{Debug, Display};
use std::hash::Hash;

use actor_core::prelude::*;
use actor_core::{
    ActorId, ActorMetrics, ActorStatus, ConfigError, RegistryError, ShutdownReport, SpawnError, SystemSnapshot,
    TimerHandle,
};

/// A message type with no trait impls at all.
struct Opaque;

struct Plain;

impl Actor for Plain {}

impl Handler<Opaque> for Plain {
    type Reply = ();
    async fn handle(&mut self, _: Opaque, _ctx: &mut Context<Self>) {}
}

fn handle<T: Send + Sync + Clone + Debug + 'static>() {}
fn error<T: std::error::Error + Send + Sync + 'static>() {}
fn debug<T: Debug>() {}
fn value<T: Send + Sync + Clone + Debug + 'static>() {}

// Breaks if a handle stops being shareable across tasks and threads (e.g. an Rc or a Cell inside).
#[test]
fn handles_are_send_sync_and_clone() {
    handle::<ActorRef<Plain>>();
    handle::<WeakActorRef<Plain>>();
    handle::<Recipient<Opaque>>();
    handle::<ActorSystem>();
    handle::<TimerHandle>();
    fn send<T: Send + Debug + 'static>() {}
    send::<ReplySender<Opaque>>();
    fn id<T: Copy + Eq + Hash + Debug + Display + Send + Sync + 'static>() {}
    id::<ActorId>();
}

// Breaks if an error type cannot be boxed into an anyhow-style error or sent across threads.
#[test]
fn every_error_is_a_thread_safe_std_error() {
    error::<SendError<Opaque>>();
    error::<TrySendError<Opaque>>();
    error::<AskError>();
    error::<SpawnError>();
    error::<RegistryError>();
    error::<ConfigError>();
    let boxed: BoxError = Box::new(SendError::Closed(Opaque));
    assert_eq!(boxed.to_string(), "mailbox closed");
    let boxed: BoxError = Box::new(TrySendError::Full(Opaque));
    assert_eq!(boxed.to_string(), "mailbox full");
}

// Breaks if SendError's Debug grows an `M: Debug` bound, so `.unwrap()` on a send of an opaque message stops compiling.
#[test]
fn send_errors_are_debug_without_a_debug_message() {
    debug::<SendError<Opaque>>();
    debug::<TrySendError<Opaque>>();
    assert_eq!(format!("{:?}", SendError::Timeout(Opaque)), "Timeout(..)");
    assert_eq!(format!("{:?}", TrySendError::Closed(Opaque)), "Closed(..)");
}

// Breaks if a reported value cannot be sent to or shared with another thread (e.g. for logging).
#[test]
fn reports_and_values_are_send_sync() {
    value::<ExitReason>();
    value::<ActorStatus>();
    value::<ActorMetrics>();
    value::<ShutdownReport>();
    value::<SystemSnapshot>();
    value::<Terminated>();
}
