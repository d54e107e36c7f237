//! Supervision trees, after Erlang/OTP.
//!
//! A supervisor is an actor that starts its children one at a time in
//! declaration order (each child's `on_start` has finished before the next
//! begins), restarts them when they exit according to their [`Restart`]
//! type and its [`Strategy`], gives up when restarts exceed its intensity,
//! and stops them in reverse start order, each within its [`Shutdown`]
//! policy.
//!
//! # Restart policy × exit
//!
//! | exit of the child | `Permanent` | `Transient` | `Temporary` |
//! |---|---|---|---|
//! | `Normal` (`ctx.stop()`, `stop()`) | restarted | stays stopped | removed |
//! | `Shutdown` | restarted | stays stopped | removed |
//! | `Panicked`, `Failed`, `Killed` | restarted | restarted | removed |
//!
//! To stop a child for good use [`SupervisorRef::terminate_child`]. A
//! Temporary child is never restarted, not even when a sibling's failure
//! stopped it.
//!
//! # Strategies
//!
//! When a child is to be restarted: `OneForOne` restarts it alone;
//! `OneForAll` stops every other child (reverse start order) and restarts
//! all (start order); `RestForOne` does the same for the children started
//! after it.
//!
//! # Restarts keep the handle
//!
//! A restart rebuilds the actor from its factory behind the same mailbox and
//! the same [`ActorRef`]: queued messages survive; the message whose handler
//! failed is lost and its asker gets [`AskError::Panicked`](crate::AskError);
//! the old incarnation's `on_stop` has finished before the new `on_start`
//! begins. [`ActorRef::wait_for_stop`] of a supervised child resolves only
//! when it stops for good.
//!
//! # Intensity
//!
//! One sliding window per supervisor across all children: with
//! `intensity(max, period)`, a restart is refused when, counting it, more
//! than `max` restarts happened within the last `period` (a restart exactly
//! `period` ago no longer counts). Then the supervisor stops all children in
//! reverse start order and fails to its parent with
//! [`SupervisorError::IntensityExceeded`]; a root supervisor's escalation
//! shuts the system down, and the [`ShutdownReport`](crate::ShutdownReport)
//! says why. The default is 3 restarts in 5 seconds.
//!
//! # Lifecycle plumbing
//!
//! Status travels on `watch` channels (each child publishes its phase; the
//! supervisor publishes a directive per incarnation); stop requests travel
//! on the actors' control lanes. Nothing polls or sleeps, except the
//! deliberate delay of a [`Backoff`].
//!
//! A root supervisor runs until it is stopped, escalates, or the system
//! shuts down: dropping its [`SupervisorRef`] does not stop it.
//!
//! # Examples
//!
//! ```
//! use actor_core::prelude::*;
//! use actor_core::{ChildSpec, Restart, Shutdown, Strategy, Supervisor};
//! use std::time::Duration;
//!
//! #[derive(Default)]
//! struct Cache { hits: u64 }
//! impl Actor for Cache {}
//! struct Hit;
//! impl Handler<Hit> for Cache {
//!     type Reply = u64;
//!     async fn handle(&mut self, _: Hit, _ctx: &mut Context<Self>) -> u64 { self.hits += 1; self.hits }
//! }
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let app = Supervisor::builder("app")
//!     .strategy(Strategy::OneForOne)
//!     .intensity(3, Duration::from_secs(5))
//!     .child(ChildSpec::new("cache", Cache::default)
//!         .restart(Restart::Permanent)
//!         .shutdown(Shutdown::Timeout(Duration::from_secs(1))))
//!     .child(ChildSpec::supervisor(Supervisor::builder("workers")))
//!     .spawn(&system)
//!     .await?;
//! let cache: ActorRef<Cache> = app.child::<Cache>("cache")?;
//! assert_eq!(cache.ask(Hit).await?, 1);
//! assert_eq!(app.count_children().await?.active, 2);
//! let report = system.shutdown().await;
//! assert!(report.is_clean());
//! # Ok(()) }
//! ```

mod actor;
mod backoff;
mod link;
mod planner;
mod window;

use std::any::Any;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

pub use backoff::Backoff;

use crate::actor::{Actor, ExitReason, Handler};
use crate::actor_ref::{ActorId, ActorRef, ActorStatus};
use crate::error::{ConfigError, SupervisorError};
use crate::loom::lock;
use crate::loom::sync::{Arc, Mutex};
use crate::runner::{self, SpawnOptions, check_capacity};
use crate::system::ActorSystem;

use actor::{DeleteChild, RestartChild, StartChild, SupervisorActor, TerminateChild, WhichChildren};
pub(crate) use link::ChildSupervision;
use link::Factory;

/// Which children a restart involves.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Strategy {
    /// Only the child that exited.
    #[default]
    OneForOne,
    /// Every child.
    OneForAll,
    /// The child that exited and every child started after it.
    RestForOne,
}

/// When a child is restarted; see the module's matrix.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Restart {
    /// Always.
    #[default]
    Permanent,
    /// Only after an abnormal exit (panic, failure, kill).
    Transient,
    /// Never; the child is removed when it exits.
    Temporary,
}

/// How a child is stopped.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shutdown {
    /// Killed at once (queued messages dropped and counted).
    Brutal,
    /// Asked to stop (drain, `on_stop`); killed if it takes longer than this;
    /// reported unresponsive and abandoned (even its `on_stop`) if the kill does not take within the
    /// same time again.
    Timeout(Duration),
    /// Asked to stop and waited for without a deadline (the default for
    /// supervisors, whose children have deadlines of their own).
    Infinity,
}

/// Whether a child is a worker or a supervisor.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChildKind {
    /// An actor.
    Worker,
    /// A nested supervisor.
    Supervisor,
}

/// The default shutdown deadline of a worker.
pub const DEFAULT_WORKER_SHUTDOWN: Duration = Duration::from_secs(5);

/// Starts one kind of child; type-erased so one supervisor holds any mix.
pub(crate) trait ChildStart: Send + Sync + 'static {
    fn kind(&self) -> ChildKind;
    fn type_name(&self) -> &'static str;
    fn validate(&self) -> Result<(), SupervisorError>;
    fn start(&self, system: &ActorSystem, id: &str, parent: &actor::Parent) -> Result<actor::Started, ExitReason>;
}

struct WorkerStart<A: Actor> {
    factory: Factory<A>,
}

impl<A: Actor> ChildStart for WorkerStart<A> {
    fn kind(&self) -> ChildKind {
        ChildKind::Worker
    }

    fn type_name(&self) -> &'static str {
        A::name()
    }

    fn validate(&self) -> Result<(), SupervisorError> {
        check_capacity(A::MAILBOX)?;
        Ok(())
    }

    fn start(&self, system: &ActorSystem, id: &str, parent: &actor::Parent) -> Result<actor::Started, ExitReason> {
        let (actor_ref, link) = spawn_child(system, id, parent, &self.factory)?;
        Ok(actor::Started { handle: Box::new(actor_ref), link })
    }
}

/// Spawns the first incarnation of a child built by `factory`, linked to
/// `parent`.
fn spawn_child<A: Actor>(
    system: &ActorSystem,
    id: &str,
    parent: &actor::Parent,
    factory: &Factory<A>,
) -> Result<(ActorRef<A>, Arc<link::ChildLink>), ExitReason> {
    let actor = link::make(factory)?;
    let link = link::ChildLink::new();
    let supervision = link::ChildSupervision {
        link: link.clone(),
        factory: factory.clone(),
        supervisor: parent.weak.clone(),
        incarnation: 0,
    };
    let opts = SpawnOptions {
        name: Some(id.to_owned().into()),
        parent: Some(parent.id),
        registered: false,
        supervision: Some(Box::new(supervision)),
    };
    let actor_ref = runner::spawn(system, actor, opts).map_err(|e| ExitReason::Failed(e.to_string()))?;
    Ok((actor_ref, link))
}

struct SupervisorStart {
    builder: SupervisorBuilder,
}

impl ChildStart for SupervisorStart {
    fn kind(&self) -> ChildKind {
        ChildKind::Supervisor
    }

    fn type_name(&self) -> &'static str {
        "supervisor"
    }

    fn validate(&self) -> Result<(), SupervisorError> {
        self.builder.validate()
    }

    fn start(&self, system: &ActorSystem, id: &str, parent: &actor::Parent) -> Result<actor::Started, ExitReason> {
        let table = ChildTable::default();
        let builder = SupervisorBuilder { name: id.to_owned(), ..self.builder.clone() };
        let made_table = table.clone();
        let factory: Factory<SupervisorActor> =
            Arc::new(move || SupervisorActor::new(builder.clone(), made_table.clone(), false, None));
        let (actor, link) = spawn_child(system, id, parent, &factory)?;
        Ok(actor::Started { handle: Box::new(SupervisorRef { actor, table }), link })
    }
}

/// One child of a supervisor: an id, how to build it, when to restart it
/// and how to stop it.
#[derive(Clone)]
pub struct ChildSpec {
    id: String,
    restart: Restart,
    shutdown: Option<Shutdown>,
    start: Arc<dyn ChildStart>,
}

impl ChildSpec {
    /// A worker built by `factory`, at the start and at every restart.
    pub fn new<A: Actor, F: Fn() -> A + Send + Sync + 'static>(id: impl Into<String>, factory: F) -> Self {
        ChildSpec {
            id: id.into(),
            restart: Restart::Permanent,
            shutdown: None,
            start: Arc::new(WorkerStart::<A> { factory: Arc::new(factory) }),
        }
    }

    /// A nested supervisor; its id is the builder's name. Restarting it
    /// rebuilds its whole subtree from the builder.
    pub fn supervisor(builder: SupervisorBuilder) -> Self {
        ChildSpec {
            id: builder.name.clone(),
            restart: Restart::Permanent,
            shutdown: None,
            start: Arc::new(SupervisorStart { builder }),
        }
    }

    /// When to restart it. Default `Permanent`.
    pub fn restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// How to stop it. Default `Timeout(5 s)` for workers, `Infinity` for
    /// supervisors.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = Some(shutdown);
        self
    }

    /// The child's id, unique among its siblings.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Worker or supervisor.
    pub fn kind(&self) -> ChildKind {
        self.start.kind()
    }

    pub(crate) fn restart_type(&self) -> Restart {
        self.restart
    }

    pub(crate) fn shutdown_policy(&self) -> Shutdown {
        self.shutdown.unwrap_or(match self.start.kind() {
            ChildKind::Worker => Shutdown::Timeout(DEFAULT_WORKER_SHUTDOWN),
            ChildKind::Supervisor => Shutdown::Infinity,
        })
    }

    pub(crate) fn starter(&self) -> &dyn ChildStart {
        &*self.start
    }

    fn validate(&self) -> Result<(), SupervisorError> {
        if self.id.is_empty() {
            return Err(ConfigError::Invalid { what: "child id", value: "\"\"".to_owned() }.into());
        }
        if let Some(Shutdown::Timeout(d)) = self.shutdown {
            if d.is_zero() {
                return Err(ConfigError::ZeroDuration { what: "child shutdown timeout" }.into());
            }
        }
        self.start.validate()
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("actor", &self.start.type_name())
            .field("kind", &self.start.kind())
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown_policy())
            .finish()
    }
}

/// Entry point: [`Supervisor::builder`].
#[derive(Debug)]
pub struct Supervisor(());

impl Supervisor {
    /// Starts describing a supervisor named `name`.
    pub fn builder(name: impl Into<String>) -> SupervisorBuilder {
        SupervisorBuilder {
            name: name.into(),
            strategy: Strategy::OneForOne,
            max_restarts: 3,
            period: Duration::from_secs(5),
            backoff: Backoff::none(),
            children: Vec::new(),
        }
    }
}

/// Describes a supervisor; [`spawn`](SupervisorBuilder::spawn) starts it.
#[derive(Clone, Debug)]
#[must_use]
pub struct SupervisorBuilder {
    pub(crate) name: String,
    pub(crate) strategy: Strategy,
    pub(crate) max_restarts: u32,
    pub(crate) period: Duration,
    pub(crate) backoff: Backoff,
    pub(crate) children: Vec<ChildSpec>,
}

impl SupervisorBuilder {
    /// Which children a restart involves. Default `OneForOne`.
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Give up after more than `max_restarts` restarts within `period`.
    /// `max_restarts = 0` allows none; a zero period is a configuration
    /// error reported by `spawn`.
    pub fn intensity(mut self, max_restarts: u32, period: Duration) -> Self {
        self.max_restarts = max_restarts;
        self.period = period;
        self
    }

    /// Delays between restarts of a child that keeps failing.
    pub fn backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// Adds a child; children start in the order they are added.
    pub fn child(mut self, spec: ChildSpec) -> Self {
        self.children.push(spec);
        self
    }

    /// Checks the whole tree: ids unique among siblings, periods and
    /// mailboxes not zero, backoffs well formed.
    pub(crate) fn validate(&self) -> Result<(), SupervisorError> {
        if self.period.is_zero() {
            return Err(ConfigError::ZeroDuration { what: "restart intensity period" }.into());
        }
        self.backoff.validate()?;
        let mut seen = HashSet::new();
        for spec in &self.children {
            if !seen.insert(spec.id.as_str()) {
                return Err(ConfigError::Duplicate { what: "child id", value: spec.id.clone() }.into());
            }
            spec.validate()?;
        }
        Ok(())
    }

    /// Validates the tree, spawns the supervisor as a top-level actor and
    /// returns once every child has started.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::Config`] for a bad spec (nothing is started);
    /// [`SupervisorError::StartFailed`] if a child failed to start (the
    /// children started before it are stopped, in reverse);
    /// [`SupervisorError::SystemStopped`] once shutdown began.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future does not stop the supervisor, which keeps
    /// starting its children.
    pub async fn spawn(self, system: &ActorSystem) -> Result<SupervisorRef, SupervisorError> {
        self.validate()?;
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        let table = ChildTable::default();
        let name = self.name.clone();
        let actor = SupervisorActor::new(self, table.clone(), true, Some(ready_tx));
        let opts = SpawnOptions { name: Some(name.into()), ..SpawnOptions::default() };
        let actor = runner::spawn(system, actor, opts).map_err(|e| match e {
            crate::SpawnError::Config(c) => SupervisorError::Config(c),
            _ => SupervisorError::SystemStopped,
        })?;
        match ready_rx.await {
            Ok(Ok(())) => Ok(SupervisorRef { actor, table }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(SupervisorError::Stopped),
        }
    }
}

struct TableEntry {
    handle: Box<dyn Any + Send + Sync>,
    type_name: &'static str,
}

/// Child id → handle, readable without asking the supervisor.
#[derive(Clone, Default)]
pub(crate) struct ChildTable(Arc<Mutex<HashMap<String, TableEntry>>>);

impl ChildTable {
    pub(crate) fn insert(&self, id: &str, handle: Box<dyn Any + Send + Sync>, type_name: &'static str) {
        lock(&self.0).insert(id.to_owned(), TableEntry { handle, type_name });
    }

    pub(crate) fn remove(&self, id: &str) {
        let removed = lock(&self.0).remove(id);
        drop(removed);
    }

    pub(crate) fn clear(&self) {
        let removed = std::mem::take(&mut *lock(&self.0));
        drop(removed);
    }

    fn get<T: Clone + 'static>(&self, id: &str, expected: &'static str) -> Result<T, SupervisorError> {
        let table = lock(&self.0);
        let entry = table.get(id).ok_or_else(|| SupervisorError::NotFound(id.to_owned()))?;
        entry.handle.downcast_ref::<T>().cloned().ok_or_else(|| SupervisorError::WrongType {
            id: id.to_owned(),
            expected,
            actual: entry.type_name,
        })
    }
}

/// A handle to a running supervisor.
#[derive(Clone)]
pub struct SupervisorRef {
    actor: ActorRef<SupervisorActor>,
    table: ChildTable,
}

impl SupervisorRef {
    pub(crate) fn actor_ref(&self) -> &ActorRef<SupervisorActor> {
        &self.actor
    }

    /// The running child `id` as an `A`; valid across its restarts.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`] if no child `id` runs now,
    /// [`SupervisorError::WrongType`] if it is not an `A`.
    pub fn child<A: Actor>(&self, id: &str) -> Result<ActorRef<A>, SupervisorError> {
        self.table.get::<ActorRef<A>>(id, A::name())
    }

    /// The running nested supervisor `id`.
    ///
    /// # Errors
    ///
    /// As [`child`](Self::child).
    pub fn supervisor(&self, id: &str) -> Result<SupervisorRef, SupervisorError> {
        self.table.get::<SupervisorRef>(id, "supervisor")
    }

    /// Asks the supervisor; `Stopped` if it is not running or stops before
    /// it answers.
    async fn request<M>(&self, msg: M) -> Result<<SupervisorActor as Handler<M>>::Reply, SupervisorError>
    where
        M: Send + 'static,
        SupervisorActor: Handler<M>,
    {
        self.actor.ask(msg).await.map_err(|_| SupervisorError::Stopped)
    }

    /// Adds and starts a child; returns once its `on_start` finished.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::AlreadyPresent`] for a taken id,
    /// [`SupervisorError::StartFailed`], [`SupervisorError::Config`],
    /// [`SupervisorError::Stopped`] if the supervisor is not running.
    pub async fn start_child(&self, spec: ChildSpec) -> Result<ActorId, SupervisorError> {
        spec.validate()?;
        self.request(StartChild(spec)).await?
    }

    /// Stops child `id` for good (per its shutdown policy); its spec stays,
    /// so [`restart_child`](Self::restart_child) can start it again (a
    /// Temporary child's spec is removed).
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`], [`SupervisorError::Stopped`].
    pub async fn terminate_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.request(TerminateChild(id.to_owned())).await?
    }

    /// Starts a terminated child again from its spec (a new actor).
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`], [`SupervisorError::Running`] if it
    /// runs, [`SupervisorError::Restarting`] if it is between incarnations,
    /// [`SupervisorError::StartFailed`].
    pub async fn restart_child(&self, id: &str) -> Result<ActorId, SupervisorError> {
        self.request(RestartChild(id.to_owned())).await?
    }

    /// Removes a terminated child's spec.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`], [`SupervisorError::Running`] if it
    /// runs, [`SupervisorError::Restarting`] if it is between incarnations.
    pub async fn delete_child(&self, id: &str) -> Result<(), SupervisorError> {
        self.request(DeleteChild(id.to_owned())).await?
    }

    /// Every child, in start order.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::Stopped`] if the supervisor is not running.
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, SupervisorError> {
        self.request(WhichChildren).await
    }

    /// Child counts.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::Stopped`] if the supervisor is not running.
    pub async fn count_children(&self) -> Result<ChildCounts, SupervisorError> {
        let children = self.which_children().await?;
        let mut counts = ChildCounts { specs: children.len(), ..ChildCounts::default() };
        for c in &children {
            if c.actor.is_some() && c.status != Some(ActorStatus::Stopped) {
                counts.active += 1;
            }
            match c.kind {
                ChildKind::Worker => counts.workers += 1,
                ChildKind::Supervisor => counts.supervisors += 1,
            }
        }
        Ok(counts)
    }

    /// Stops the supervisor: its children stop in reverse start order, then
    /// it does. Returns at once; see [`wait_for_stop`](Self::wait_for_stop).
    pub fn stop(&self) {
        self.actor.stop();
    }

    /// Waits until the supervisor stopped for good.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_stop(&self) -> ExitReason {
        self.actor.wait_for_stop().await
    }

    /// The supervisor's actor id.
    pub fn id(&self) -> ActorId {
        self.actor.id()
    }

    /// The supervisor's name.
    pub fn name(&self) -> &str {
        self.actor.name()
    }

    /// The supervisor's status.
    pub fn status(&self) -> ActorStatus {
        self.actor.status()
    }

    /// True until the supervisor stopped for good.
    pub fn is_alive(&self) -> bool {
        self.actor.is_alive()
    }
}

impl fmt::Debug for SupervisorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SupervisorRef").field("id", &self.id()).field("name", &self.name()).finish()
    }
}

/// One child in [`SupervisorRef::which_children`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChildInfo {
    /// The child's id.
    pub id: String,
    /// Its actor, if it runs (or is between incarnations).
    pub actor: Option<ActorId>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
    /// Its status, if it runs.
    pub status: Option<ActorStatus>,
    /// Restarts of its current actor.
    pub restarts: u32,
}

/// What [`SupervisorRef::count_children`] returns.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ChildCounts {
    /// Child specs held.
    pub specs: usize,
    /// Children with a live actor.
    pub active: usize,
    /// Specs of nested supervisors.
    pub supervisors: usize,
    /// Specs of workers.
    pub workers: usize,
}
