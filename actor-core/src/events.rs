//! Lifecycle notifications raised by the runtime: every actor start, stop,
//! restart and dead letter, and every supervisor escalation, goes through
//! here. They are traced (`debug` for lifecycle, `warn` for restarts,
//! `error` for escalations).

use crate::actor::ExitReason;
use crate::runner::Core;
use crate::system::ActorSystem;

/// An incarnation finished `on_start` (`restarts` is 0 for the first).
pub(crate) fn actor_started(_system: &ActorSystem, core: &Core, restarts: u32) {
    tracing::debug!(actor.id = core.id.get(), actor.name = %core.name, restarts, "actor started");
}

/// An actor stopped for good.
pub(crate) fn actor_stopped(_system: &ActorSystem, core: &Core, reason: &ExitReason) {
    tracing::debug!(actor.id = core.id.get(), actor.name = %core.name, %reason, "actor stopped");
}

/// A supervisor is rebuilding an actor after `reason`.
pub(crate) fn actor_restarted(_system: &ActorSystem, core: &Core, restarts: u32, reason: &ExitReason) {
    tracing::warn!(actor.id = core.id.get(), actor.name = %core.name, restarts, %reason, "actor restarting");
}

/// A tell to `core`'s actor was dropped unhandled.
pub(crate) fn dead_letter(_system: &ActorSystem, core: &Core, message_type: &'static str) {
    tracing::debug!(to = %core.id, message_type, "dead letter");
}

/// A supervisor gave up and failed to its parent (or shut the system down).
#[allow(dead_code)]
pub(crate) fn supervisor_escalated(_system: &ActorSystem, name: &str, reason: &str) {
    tracing::error!(supervisor = name, reason, "supervisor escalated");
}
