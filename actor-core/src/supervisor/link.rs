//! The link between a supervisor and one child.
//!
//! Two `watch` channels carry it. The child publishes its phase
//! (incarnation number plus starting / started / ended-with-reason); the
//! supervisor publishes a directive for an incarnation (hold, restart after a
//! delay, or stop for good). After an incarnation ends, the child's runner
//! waits, with its mailbox open, until a directive for that incarnation
//! arrives, the supervisor stops, or the delay of a restart has passed. The
//! supervisor waits on the phase channel, never on its own mailbox, so it
//! can stop a child from inside a handler without deadlocking.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::time::Duration;

use tokio::sync::watch;

use crate::actor::{Actor, ExitReason};
use crate::actor_ref::{ActorRef, WeakActorRef, send_tell};
use crate::error::panic_message;
use crate::loom::sync::Arc;
use crate::runner::Core;

use super::SupervisorRef;
use super::actor::{ChildExited, SupervisorActor};

/// Where an incarnation is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PhaseState {
    Starting,
    Started,
    Ended(ExitReason),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Phase {
    pub(crate) incarnation: u64,
    pub(crate) state: PhaseState,
}

/// What the supervisor decided for an ended incarnation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DirectiveKind {
    /// Wait.
    Hold,
    /// Build the next incarnation after the delay.
    Restart(Duration),
    /// Stop for good.
    Stop,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directive {
    pub(crate) incarnation: u64,
    pub(crate) kind: DirectiveKind,
}

pub(crate) struct ChildLink {
    pub(crate) phase: watch::Sender<Phase>,
    pub(crate) directive: watch::Sender<Directive>,
}

impl ChildLink {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ChildLink {
            phase: watch::Sender::new(Phase { incarnation: 0, state: PhaseState::Starting }),
            directive: watch::Sender::new(Directive { incarnation: 0, kind: DirectiveKind::Hold }),
        })
    }

    pub(crate) fn direct(&self, incarnation: u64, kind: DirectiveKind) {
        self.directive.send_replace(Directive { incarnation, kind });
    }

    /// Waits until incarnation `incarnation` started (`Ok`) or ended (`Err`
    /// with its exit). `Err` with the final exit if the child stopped for
    /// good meanwhile.
    pub(crate) async fn wait_started(&self, incarnation: u64, core: &Core) -> Result<(), ExitReason> {
        self.wait_phase(core, |p| match &p.state {
            _ if p.incarnation != incarnation => None,
            PhaseState::Starting => None,
            PhaseState::Started => Some(Ok(())),
            PhaseState::Ended(reason) => Some(Err(reason.clone())),
        })
        .await?
    }

    /// Waits until incarnation `incarnation` ended; returns why (the final
    /// exit if the child stopped for good meanwhile).
    pub(crate) async fn wait_ended(&self, incarnation: u64, core: &Core) -> ExitReason {
        let found = self
            .wait_phase(core, |p| match &p.state {
                PhaseState::Ended(reason) if p.incarnation == incarnation => Some(reason.clone()),
                _ => None,
            })
            .await;
        match found {
            Ok(reason) | Err(reason) => reason,
        }
    }

    /// Waits until `pick` finds what it looks for in the phase; `Err` with
    /// the final exit if the child stopped for good first.
    async fn wait_phase<T>(&self, core: &Core, mut pick: impl FnMut(&Phase) -> Option<T>) -> Result<T, ExitReason> {
        let mut rx = self.phase.subscribe();
        let mut stopped = pin!(core.wait_stopped());
        loop {
            let found = pick(&rx.borrow_and_update());
            if let Some(found) = found {
                return Ok(found);
            }
            tokio::select! {
                // The sender lives in `self`, so `changed` does not fail.
                Ok(()) = rx.changed() => {}
                reason = &mut stopped => return Err(reason),
            }
        }
    }
}

/// The supervisor's handle on a running child, whatever its type.
pub(crate) trait ChildHandle: Send + Sync + 'static {
    fn core(&self) -> &Core;
    /// What `SupervisorRef::child` / `supervisor` hand out.
    fn table_entry(&self) -> Box<dyn Any + Send + Sync>;
}

impl<A: Actor> ChildHandle for ActorRef<A> {
    fn core(&self) -> &Core {
        &self.inner().core
    }

    fn table_entry(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(self.clone())
    }
}

impl ChildHandle for SupervisorRef {
    fn core(&self) -> &Core {
        &self.actor_ref().inner().core
    }

    fn table_entry(&self) -> Box<dyn Any + Send + Sync> {
        Box::new(self.clone())
    }
}

/// Builds incarnations of one child type.
pub(crate) type Factory<A> = Arc<dyn Fn() -> A + Send + Sync>;

/// Calls a factory with panics caught.
pub(crate) fn make<A>(factory: &Factory<A>) -> Result<A, ExitReason> {
    catch_unwind(AssertUnwindSafe(|| factory()))
        .map_err(|p| ExitReason::Panicked(format!("factory panicked: {}", panic_message(&*p))))
}

/// The runner side of the link, plugged into a supervised child's runner:
/// after an incarnation ended (its `on_stop` finished) it yields the next
/// incarnation, or `None` to stop for good. The mailbox stays open while it
/// decides.
pub(crate) struct ChildSupervision<A: Actor> {
    pub(crate) link: Arc<ChildLink>,
    pub(crate) factory: Factory<A>,
    pub(crate) supervisor: WeakActorRef<SupervisorActor>,
    pub(crate) incarnation: u64,
}

impl<A: Actor> ChildSupervision<A> {
    /// The incarnation finished `on_start` and handles messages.
    pub(crate) fn started(&mut self) {
        self.link.phase.send_replace(Phase { incarnation: self.incarnation, state: PhaseState::Started });
    }

    /// The incarnation ended; yields the next one or `None`.
    pub(crate) fn next(&mut self, exit: &ExitReason) -> Pin<Box<dyn Future<Output = Option<A>> + Send + '_>> {
        let exit = exit.clone();
        Box::pin(async move {
            let mut exit = exit;
            loop {
                let inc = self.incarnation;
                self.link.phase.send_replace(Phase { incarnation: inc, state: PhaseState::Ended(exit.clone()) });
                let sup = self.supervisor.upgrade_inner()?;
                let note = ChildExited { link: self.link.clone(), incarnation: inc, exit: exit.clone() };
                if send_tell(&sup, note).await.is_err() && sup.core.exit_reason().is_some() {
                    return None;
                }
                let mut rx = self.link.directive.subscribe();
                // Until a restart is due; a stop or a gone supervisor returns.
                loop {
                    let decided = tokio::select! {
                        d = rx.wait_for(|d| d.incarnation == inc && d.kind != DirectiveKind::Hold) => d.map(|d| d.kind),
                        _ = sup.core.wait_stopped() => return None,
                    };
                    // Past a hold, anything but a restart is a stop.
                    let Ok(DirectiveKind::Restart(delay)) = decided else { return None };
                    if delay.is_zero() {
                        break;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => break,
                        // A new directive (hold, an earlier restart, or stop) replaces this one.
                        _ = rx.changed() => continue,
                        _ = sup.core.wait_stopped() => return None,
                    }
                }
                drop(sup);
                self.incarnation = inc + 1;
                self.link.phase.send_replace(Phase { incarnation: inc + 1, state: PhaseState::Starting });
                match make(&self.factory) {
                    Ok(actor) => return Some(actor),
                    // A factory that panics is an incarnation that failed to start.
                    Err(reason) => exit = reason,
                }
            }
        })
    }
}
