//! The actor system: spawning, lookup, ordered shutdown with a report, and
//! a snapshot of the actor tree.
//!
//! # Shutdown
//!
//! [`ActorSystem::shutdown`] refuses new spawns, then stops top-level actors
//! one at a time in reverse spawn order (a supervisor stops its own
//! children first, in reverse start order). Each actor gets the system's
//! drain timeout to handle what is queued and run `on_stop`; past it, it is
//! killed and gets the drain timeout once more; past that it is abandoned
//! (its runner stops awaiting even `on_stop`) and the report calls it
//! unresponsive. A handler that never yields
//! cannot be interrupted by anything in Rust: it is reported, never waited on
//! forever.
//!
//! # Invariants
//!
//! The actor table is sharded; each shard has its own lock, never held
//! across an `.await` or together with another shard's. Lock order:
//! registry, then a table shard, then the extensions map is never nested.

use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio_util::sync::CancellationToken;

use crate::actor::{Actor, ExitReason};
use crate::actor_ref::{ActorId, ActorRef, ActorStatus};
use crate::error::{ConfigError, RegistryError, SpawnError};
use crate::loom::lock;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use crate::loom::sync::{Arc, Mutex};
use crate::padded::Padded;
use crate::registry::Registry;
use crate::runner::{self, ActorCell, Core, SpawnOptions};
use crate::shared::SharedDyn;

const SHARDS: usize = 16;
/// Consecutive ids per shard run (see [`ActorSystem::shard`]).
const SHARD_RUN: usize = 64;
const DEFAULT_DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

type Shard = Mutex<Slab>;

/// One shard of the actor table: cells in reusable places. An actor's place
/// is stored in its core, so removal touches one place and hashes nothing.
#[derive(Default)]
struct Slab {
    cells: Vec<Option<SharedDyn<dyn ActorCell>>>,
    /// Empty places, reused last-freed first.
    free: Vec<usize>,
    len: usize,
}

impl Slab {
    /// Inserts the cell and records its place in its core.
    fn insert(&mut self, cell: SharedDyn<dyn ActorCell>) {
        let at = self.free.pop().unwrap_or(self.cells.len());
        // Relaxed: read back only under this shard's lock. A shard of more
        // than 2^32 actors would need hundreds of gigabytes.
        cell.core().table_place.store(u32::try_from(at).expect("actor table shard within u32"), Ordering::Relaxed);
        if at == self.cells.len() {
            self.cells.push(Some(cell));
        } else {
            self.cells[at] = Some(cell);
        }
        self.len += 1;
    }

    /// Removes the cell at `at` if it is actor `id`'s (removal may be asked
    /// twice, and the place may hold a newer actor by then).
    fn remove(&mut self, at: usize, id: ActorId) -> Option<SharedDyn<dyn ActorCell>> {
        let place = self.cells.get_mut(at)?;
        if place.as_ref().is_none_or(|cell| cell.core().id != id) {
            return None;
        }
        let cell = place.take();
        self.len -= 1;
        if self.len == 0 {
            // Empty: the next actors fill the places in order again, rather
            // than in the order the last ones left (which scatters the writes
            // of a burst of spawns over the whole table).
            self.cells.clear();
            self.free.clear();
        } else {
            self.free.push(at);
        }
        cell
    }

    fn cells(&self) -> impl Iterator<Item = &SharedDyn<dyn ActorCell>> {
        self.cells.iter().flatten()
    }
}

struct SystemInner {
    name: String,
    drain_timeout: Duration,
    runtime: Handle,
    /// Padded, as are the shards: the spawning thread bumps the counter and
    /// locks shards while actors on other threads remove themselves from
    /// other shards and read the fields around them.
    next_id: Padded<AtomicU64>,
    stopping: AtomicBool,
    dead_letters: AtomicU64,
    table: Vec<Padded<Shard>>,
    registry: Registry,
    root: CancellationToken,
    extensions: Mutex<HashMap<TypeId, Box<dyn Any + Send + Sync>>>,
    report: tokio::sync::OnceCell<ShutdownReport>,
    /// Every actor that stopped while the system was shutting down, in the
    /// order it stopped (children before their supervisor).
    stop_log: Mutex<StopLog>,
    lifecycle: Arc<crate::events::Lifecycle>,
}

#[derive(Default)]
struct StopLog {
    entries: Vec<ActorShutdown>,
    /// Actors with a line in `entries`: one line each, whichever path
    /// (the actor's own stop, or shutdown abandoning it) gets there first.
    logged: HashSet<ActorId>,
    /// Actors killed at a deadline (false) or already reported
    /// unresponsive (true); their entry says so, once.
    marked: HashMap<ActorId, bool>,
}

/// A handle to an actor system; cheap to clone.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
///
/// struct Echo;
/// impl Actor for Echo {}
/// impl Handler<String> for Echo {
///     type Reply = String;
///     async fn handle(&mut self, s: String, _ctx: &mut Context<Self>) -> String { s }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let echo = system.spawn_named("echo", Echo)?;
/// let found: ActorRef<Echo> = system.lookup("echo")?;
/// assert_eq!(found.ask("hi".to_string()).await?, "hi");
/// drop((echo, found));
/// let report = system.shutdown().await;
/// assert!(report.is_clean());
/// println!("{report}");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ActorSystem {
    inner: Arc<SystemInner>,
}

/// Configures an [`ActorSystem`].
#[derive(Debug, Clone)]
#[must_use]
pub struct SystemBuilder {
    name: String,
    drain_timeout: Duration,
}

impl SystemBuilder {
    /// The system's name, shown in snapshots and reports. Default `"system"`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// How long each actor may take to drain and stop at shutdown before it
    /// is killed. Default 5 s.
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Builds the system on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NoRuntime`] outside a tokio runtime,
    /// [`ConfigError::ZeroDuration`] for a zero drain timeout.
    pub fn build(self) -> Result<ActorSystem, ConfigError> {
        if self.drain_timeout.is_zero() {
            return Err(ConfigError::ZeroDuration { what: "drain timeout" });
        }
        let runtime = Handle::try_current().map_err(|_| ConfigError::NoRuntime)?;
        Ok(ActorSystem {
            inner: Arc::new(SystemInner {
                name: self.name,
                drain_timeout: self.drain_timeout,
                runtime,
                next_id: Padded(AtomicU64::new(1)),
                stopping: AtomicBool::new(false),
                dead_letters: AtomicU64::new(0),
                table: (0..SHARDS).map(|_| Padded(Mutex::new(Slab::default()))).collect(),
                registry: Registry::default(),
                root: CancellationToken::new(),
                extensions: Mutex::new(HashMap::new()),
                report: tokio::sync::OnceCell::new(),
                stop_log: Mutex::new(StopLog::default()),
                lifecycle: Arc::default(),
            }),
        })
    }
}

impl Default for SystemBuilder {
    fn default() -> Self {
        SystemBuilder { name: "system".to_owned(), drain_timeout: DEFAULT_DRAIN_TIMEOUT }
    }
}

impl ActorSystem {
    /// A system with default settings on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime; use [`try_new`](Self::try_new) to get an
    /// error instead.
    #[track_caller]
    pub fn new() -> Self {
        match Self::try_new() {
            Ok(system) => system,
            Err(e) => panic!("ActorSystem::new: {e}"),
        }
    }

    /// A system with default settings, or an error outside a tokio runtime.
    ///
    /// # Errors
    ///
    /// [`ConfigError::NoRuntime`] outside a tokio runtime.
    pub fn try_new() -> Result<Self, ConfigError> {
        Self::builder().build()
    }

    /// Starts configuring a system.
    pub fn builder() -> SystemBuilder {
        SystemBuilder::default()
    }

    /// The system's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// True once shutdown began.
    pub fn is_stopping(&self) -> bool {
        self.inner.stopping.load(Ordering::SeqCst)
    }

    /// Spawns a top-level actor.
    ///
    /// # Errors
    ///
    /// [`SpawnError::SystemStopped`] once shutdown began,
    /// [`SpawnError::Config`] for a zero (or too large) `MAILBOX`.
    pub fn spawn<A: Actor>(&self, actor: A) -> Result<ActorRef<A>, SpawnError> {
        runner::spawn(self, actor, SpawnOptions::default())
    }

    /// Spawns a top-level actor registered under `name` until it stops.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NameTaken`] if a live actor holds the name,
    /// [`RegistryError::InvalidName`] for an empty or over-long name or one
    /// with whitespace or control characters, [`RegistryError::SystemStopped`]
    /// once shutdown began.
    pub fn spawn_named<A: Actor>(&self, name: &str, actor: A) -> Result<ActorRef<A>, RegistryError> {
        if self.is_stopping() {
            return Err(RegistryError::SystemStopped);
        }
        self.inner.registry.register(name, |key| {
            let opts = SpawnOptions { name: Some(key.to_string().into()), registered: true, ..SpawnOptions::default() };
            Ok(runner::spawn(self, actor, opts)?)
        })
    }

    /// The actor registered under `name`.
    ///
    /// # Errors
    ///
    /// [`RegistryError::NotFound`] if no actor holds the name,
    /// [`RegistryError::WrongType`] if it is not an `A`.
    pub fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, RegistryError> {
        self.inner.registry.lookup(name)
    }

    /// Stops every actor in order and reports what happened; see the module
    /// docs. Concurrent and repeated calls all get the same report.
    ///
    /// # Cancel safety
    ///
    /// Not cancel safe: dropping the future part-way leaves the remaining
    /// actors running; a later call finishes the job.
    pub async fn shutdown(&self) -> ShutdownReport {
        self.shutdown_with(ShutdownCause::Requested).await
    }

    /// Waits for SIGINT (Ctrl-C) or, on Unix, SIGTERM, then shuts down.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe while waiting for the signal.
    pub async fn shutdown_on_signal(&self) -> ShutdownReport {
        let signal = wait_for_signal().await;
        tracing::info!(signal, "shutdown signal received");
        self.shutdown_with(ShutdownCause::Signal(signal)).await
    }

    pub(crate) async fn shutdown_with(&self, cause: ShutdownCause) -> ShutdownReport {
        self.inner.report.get_or_init(|| self.run_shutdown(cause)).await.clone()
    }

    async fn run_shutdown(&self, cause: ShutdownCause) -> ShutdownReport {
        let started = tokio::time::Instant::now();
        self.inner.stopping.store(true, Ordering::SeqCst);
        tracing::info!(system = %self.inner.name, %cause, "shutting down");
        // Top-level actors first (their supervisors stop their children),
        // then anything left over, each pass in reverse spawn order. Every
        // actor that stops meanwhile logs itself (`record_stop`).
        for top_level_only in [true, false] {
            let mut cells: Vec<SharedDyn<dyn ActorCell>> =
                self.entries().into_iter().filter(|cell| !top_level_only || cell.core().parent.is_none()).collect();
            cells.sort_by_key(|cell| std::cmp::Reverse(cell.core().id));
            for cell in cells {
                self.stop_one(cell.core()).await;
            }
        }
        self.inner.root.cancel();
        let actors = std::mem::take(&mut lock(&self.inner.stop_log).entries);
        let report = ShutdownReport { system: self.inner.name.clone(), cause, elapsed: started.elapsed(), actors };
        tracing::info!(system = %self.inner.name, clean = report.is_clean(), "shutdown complete");
        report
    }

    async fn stop_one(&self, core: &Core) {
        let deadline = self.inner.drain_timeout;
        if core.exit_reason().is_some() {
            // It stopped after shutdown began, so its stop logged its line.
            return;
        }
        core.request_stop(true);
        if tokio::time::timeout(deadline, core.wait_stopped()).await.is_ok() {
            return;
        }
        tracing::warn!(actor.id = core.id.get(), actor.name = %core.name, "drain deadline passed; killing");
        self.note_killed(core.id);
        core.kill();
        if tokio::time::timeout(deadline, core.wait_stopped()).await.is_ok() {
            return;
        }
        tracing::error!(actor.id = core.id.get(), actor.name = %core.name, "unresponsive; abandoning it");
        self.note_unresponsive(core);
        core.abort();
    }

    fn log(&self, core: &Core, outcome: StopOutcome) {
        let entry = ActorShutdown {
            id: core.id,
            name: core.name.to_string(),
            drained: core.drained.load(Ordering::Relaxed),
            dropped: core.dropped.load(Ordering::Relaxed),
            outcome,
        };
        let mut log = lock(&self.inner.stop_log);
        if log.logged.insert(entry.id) {
            log.entries.push(entry);
        }
    }

    /// An actor stopped for good; during shutdown it goes into the report.
    pub(crate) fn record_stop(&self, core: &Core, reason: &ExitReason) {
        if !self.is_stopping() {
            return;
        }
        let mark = lock(&self.inner.stop_log).marked.remove(&core.id);
        match mark {
            // Its line is in the report already.
            Some(true) => {}
            Some(false) => self.log(core, StopOutcome::Killed),
            None => self.log(core, StopOutcome::Stopped(reason.clone())),
        }
    }

    /// An actor was killed because it missed a stop deadline.
    pub(crate) fn note_killed(&self, id: ActorId) {
        if self.is_stopping() {
            lock(&self.inner.stop_log).marked.insert(id, false);
        }
    }

    /// An actor did not stop even when killed; it is being abandoned and its
    /// table entry is released.
    pub(crate) fn note_unresponsive(&self, core: &Core) {
        self.remove_cell(core);
        if self.is_stopping() {
            lock(&self.inner.stop_log).marked.insert(core.id, true);
            self.log(core, StopOutcome::Unresponsive);
        }
    }

    /// The actor tree now: every live actor with its status and counters.
    pub fn snapshot(&self) -> SystemSnapshot {
        let mut flat: Vec<ActorSnapshot> = self
            .entries()
            .into_iter()
            .map(|cell| {
                let core = cell.core();
                let m = cell.metrics();
                ActorSnapshot {
                    id: core.id,
                    name: core.name.to_string(),
                    parent: core.parent,
                    status: m.status,
                    mailbox_len: m.mailbox_len,
                    mailbox_capacity: m.mailbox_capacity,
                    processed: m.processed,
                    restarts: m.restarts,
                    children: Vec::new(),
                }
            })
            .collect();
        flat.sort_by_key(|a| a.id);
        SystemSnapshot {
            name: self.inner.name.clone(),
            stopping: self.is_stopping(),
            dead_letters: self.inner.dead_letters.load(Ordering::Relaxed),
            actors: nest(flat),
        }
    }

    /// How many actors are alive (not yet stopped for good).
    pub fn actor_count(&self) -> usize {
        self.inner.table.iter().map(|s| lock(s).len).sum()
    }

    // ---- crate-internal plumbing ----

    pub(crate) fn runtime(&self) -> &Handle {
        &self.inner.runtime
    }

    pub(crate) fn root_token(&self) -> &CancellationToken {
        &self.inner.root
    }

    /// The lifecycle channels the system bus fills and the runtime raises on.
    pub(crate) fn lifecycle(&self) -> &Arc<crate::events::Lifecycle> {
        &self.inner.lifecycle
    }

    pub(crate) fn next_id(&self) -> ActorId {
        // `Relaxed`: ids only need to be unique and increasing per system.
        ActorId::new(self.inner.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// The shard of actor `id`: runs of [`SHARD_RUN`] consecutive ids share
    /// one, so a burst of spawns, or the stops of actors spawned together,
    /// keep taking the same lock and filling the same places, where
    /// alternating shards would move every shard's lock and places between
    /// the threads at each step.
    fn shard(&self, id: ActorId) -> &Shard {
        &self.inner.table[(id.get() as usize / SHARD_RUN) % SHARDS]
    }

    fn entries(&self) -> Vec<SharedDyn<dyn ActorCell>> {
        let mut out = Vec::new();
        for shard in &self.inner.table {
            out.extend(lock(shard).cells().cloned());
        }
        out
    }

    /// Adds a new actor to the table, unless shutdown began. The check and
    /// the insert happen under the shard lock that shutdown also takes after
    /// raising `stopping`, so no actor escapes a shutdown.
    pub(crate) fn insert_cell(&self, cell: SharedDyn<dyn ActorCell>) -> Result<(), SpawnError> {
        let id = cell.core().id;
        let mut shard = lock(self.shard(id));
        if self.inner.stopping.load(Ordering::SeqCst) {
            return Err(SpawnError::SystemStopped);
        }
        shard.insert(cell);
        Ok(())
    }

    /// Forgets an actor that stopped for good and releases its name.
    pub(crate) fn remove_cell(&self, core: &Core) {
        if core.registered {
            self.inner.registry.remove_if(&core.name, core.id);
        }
        let mut shard = lock(self.shard(core.id));
        let removed = shard.remove(core.table_place.load(Ordering::Relaxed) as usize, core.id);
        drop(shard);
        drop(removed);
    }

    /// Counts a tell that was dropped unhandled.
    pub(crate) fn dead_letter(&self, core: &Core, message_type: &'static str) {
        self.inner.dead_letters.fetch_add(1, Ordering::Relaxed);
        crate::events::dead_letter(self, core, message_type);
    }

    /// Tells dropped unhandled so far, system-wide.
    pub fn dead_letters(&self) -> u64 {
        self.inner.dead_letters.load(Ordering::Relaxed)
    }

    /// The per-system singleton of type `T`, made by `init` on first use.
    pub(crate) fn extension<T: Clone + Send + Sync + 'static>(&self, init: impl FnOnce(&ActorSystem) -> T) -> T {
        let key = TypeId::of::<T>();
        if let Some(v) = lock(&self.inner.extensions).get(&key).and_then(|b| b.downcast_ref::<T>()) {
            return v.clone();
        }
        // Made outside the lock: `init` may spawn actors or use other
        // extensions. If two callers race, the first insert wins.
        let made = init(self);
        let mut map = lock(&self.inner.extensions);
        let entry = map.entry(key).or_insert_with(|| Box::new(made));
        entry.downcast_ref::<T>().cloned().expect("extension slots are keyed by their type")
    }
}

impl Default for ActorSystem {
    /// As [`ActorSystem::new`].
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for ActorSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActorSystem")
            .field("name", &self.inner.name)
            .field("actors", &self.actor_count())
            .field("stopping", &self.is_stopping())
            .finish()
    }
}

async fn wait_for_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                r = tokio::signal::ctrl_c() => { if let Err(e) = r { tracing::error!(error = %e, "cannot listen for SIGINT"); std::future::pending::<()>().await } "SIGINT" }
                _ = term.recv() => "SIGTERM",
            },
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        "SIGINT"
    }
}

/// Why the system shut down.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShutdownCause {
    /// [`ActorSystem::shutdown`] was called.
    Requested,
    /// A signal arrived during [`ActorSystem::shutdown_on_signal`].
    Signal(&'static str),
    /// A root supervisor gave up (restart intensity exceeded).
    Escalated {
        /// The supervisor that escalated.
        supervisor: String,
        /// Why it gave up.
        reason: String,
    },
}

impl fmt::Display for ShutdownCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShutdownCause::Requested => f.write_str("requested"),
            ShutdownCause::Signal(s) => write!(f, "signal {s}"),
            ShutdownCause::Escalated { supervisor, reason } => write!(f, "supervisor {supervisor} escalated: {reason}"),
        }
    }
}

/// How one actor ended during shutdown.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopOutcome {
    /// Stopped within the deadline (drained, or on its own after shutdown
    /// began).
    Stopped(ExitReason),
    /// Missed the drain deadline; killed, then stopped.
    Killed,
    /// Did not stop even when killed (a handler that never yields, or an
    /// `on_stop` that hangs); it was abandoned: the runner stops awaiting
    /// it (a handler that never yields keeps its thread).
    Unresponsive,
}

impl fmt::Display for StopOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopOutcome::Stopped(r) => write!(f, "stopped ({r})"),
            StopOutcome::Killed => f.write_str("killed at the drain deadline"),
            StopOutcome::Unresponsive => f.write_str("UNRESPONSIVE, abandoned"),
        }
    }
}

/// One actor's line in a [`ShutdownReport`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActorShutdown {
    /// The actor.
    pub id: ActorId,
    /// Its name.
    pub name: String,
    /// Messages handled after the stop request (the drain).
    pub drained: u64,
    /// Messages dropped unhandled: tells counted as dead letters, asks failed.
    pub dropped: u64,
    /// How it ended.
    pub outcome: StopOutcome,
}

impl ActorShutdown {
    /// True if it stopped within its deadline.
    pub fn is_clean(&self) -> bool {
        matches!(self.outcome, StopOutcome::Stopped(_))
    }
}

/// What [`ActorSystem::shutdown`] did, actor by actor, in stop order.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShutdownReport {
    /// The system's name.
    pub system: String,
    /// Why it shut down.
    pub cause: ShutdownCause,
    /// How long the shutdown took.
    pub elapsed: Duration,
    /// Every actor stopped, in stop order.
    pub actors: Vec<ActorShutdown>,
}

impl ShutdownReport {
    /// True if every actor stopped within its deadline.
    pub fn is_clean(&self) -> bool {
        self.actors.iter().all(ActorShutdown::is_clean)
    }

    /// The actors that did not stop even when killed.
    pub fn unresponsive(&self) -> impl Iterator<Item = &ActorShutdown> {
        self.actors.iter().filter(|a| a.outcome == StopOutcome::Unresponsive)
    }

    /// The line for the actor named `name`, if it was stopped.
    pub fn actor(&self, name: &str) -> Option<&ActorShutdown> {
        self.actors.iter().find(|a| a.name == name)
    }
}

impl fmt::Display for ShutdownReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let drained: u64 = self.actors.iter().map(|a| a.drained).sum();
        let dropped: u64 = self.actors.iter().map(|a| a.dropped).sum();
        writeln!(
            f,
            "shutdown of {:?} ({}) in {:?}: {} actors, {} drained, {} dropped{}",
            self.system,
            self.cause,
            self.elapsed,
            self.actors.len(),
            drained,
            dropped,
            if self.is_clean() { "" } else { ", NOT CLEAN" }
        )?;
        let width = self.actors.iter().map(|a| a.name.len() + a.id.to_string().len()).max().unwrap_or(0);
        for a in &self.actors {
            let label = format!("{}{}", a.name, a.id);
            writeln!(f, "  {label:<width$}  drained {:>6}  dropped {:>6}  {}", a.drained, a.dropped, a.outcome)?;
        }
        Ok(())
    }
}

/// A point-in-time view of the system's actors, as a tree.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct SystemSnapshot {
    /// The system's name.
    pub name: String,
    /// True once shutdown began.
    pub stopping: bool,
    /// Tells dropped unhandled so far.
    pub dead_letters: u64,
    /// Top-level actors, each with its children.
    pub actors: Vec<ActorSnapshot>,
}

impl SystemSnapshot {
    /// Every actor in the tree, depth first.
    pub fn iter(&self) -> impl Iterator<Item = &ActorSnapshot> {
        let mut stack: Vec<&ActorSnapshot> = self.actors.iter().rev().collect();
        std::iter::from_fn(move || {
            let next = stack.pop()?;
            stack.extend(next.children.iter().rev());
            Some(next)
        })
    }

    /// The actor named `name`, anywhere in the tree.
    pub fn find(&self, name: &str) -> Option<&ActorSnapshot> {
        self.iter().find(|a| a.name == name)
    }
}

/// One actor in a [`SystemSnapshot`].
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct ActorSnapshot {
    /// The actor.
    pub id: ActorId,
    /// Its name.
    pub name: String,
    /// Its supervisor, if it has one.
    pub parent: Option<ActorId>,
    /// Lifecycle status.
    pub status: ActorStatus,
    /// Messages waiting.
    pub mailbox_len: usize,
    /// Mailbox bound.
    pub mailbox_capacity: usize,
    /// Messages handled.
    pub processed: u64,
    /// Restarts by its supervisor.
    pub restarts: u32,
    /// Supervised children, in start order.
    pub children: Vec<ActorSnapshot>,
}

fn nest(flat: Vec<ActorSnapshot>) -> Vec<ActorSnapshot> {
    let ids: std::collections::HashSet<ActorId> = flat.iter().map(|a| a.id).collect();
    let mut by_parent: HashMap<Option<ActorId>, Vec<ActorSnapshot>> = HashMap::new();
    for a in flat {
        // A child whose parent already left the table is shown at the top.
        let parent = a.parent.filter(|p| ids.contains(p));
        by_parent.entry(parent).or_default().push(a);
    }
    fn attach(node: &mut ActorSnapshot, by_parent: &mut HashMap<Option<ActorId>, Vec<ActorSnapshot>>) {
        node.children = by_parent.remove(&Some(node.id)).unwrap_or_default();
        for c in &mut node.children {
            attach(c, by_parent);
        }
    }
    let mut roots = by_parent.remove(&None).unwrap_or_default();
    for r in &mut roots {
        attach(r, &mut by_parent);
    }
    roots
}

impl fmt::Display for SystemSnapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let count = self.iter().count();
        writeln!(
            f,
            "{} ({} actors{}, {} dead letters)",
            self.name,
            count,
            if self.stopping { ", stopping" } else { "" },
            self.dead_letters
        )?;
        fn line(f: &mut fmt::Formatter<'_>, a: &ActorSnapshot, prefix: &str, last: bool) -> fmt::Result {
            let branch = if last { "└── " } else { "├── " };
            writeln!(
                f,
                "{prefix}{branch}{}{} [{}] mailbox {}/{} processed {} restarts {}",
                a.name, a.id, a.status, a.mailbox_len, a.mailbox_capacity, a.processed, a.restarts
            )?;
            let child_prefix = format!("{prefix}{}", if last { "    " } else { "│   " });
            for (i, c) in a.children.iter().enumerate() {
                line(f, c, &child_prefix, i + 1 == a.children.len())?;
            }
            Ok(())
        }
        for (i, a) in self.actors.iter().enumerate() {
            line(f, a, "", i + 1 == self.actors.len())?;
        }
        Ok(())
    }
}
