//! Tools for testing actors and supervision trees (feature `testkit`).
//!
//! - [`FaultPlan`]: a shareable script of faults an actor consults: panic,
//!   fail or stop on the n-th message, fail `on_start` the first k times,
//!   hang or dawdle in `on_stop`, spin without yielding, drop a reply.
//! - [`EventLog`]: a cloneable, ordered log of `(actor, event)` entries to
//!   assert exact lifecycle sequences, with [`EventLog::wait_for_len`] to
//!   wait (never sleep) until enough happened.
//! - [`TestProbe`]: an actor that records what it receives, with
//!   [`expect_message`](TestProbe::expect_message),
//!   [`expect_no_message`](TestProbe::expect_no_message) and
//!   [`expect_terminated`](TestProbe::expect_terminated).
//! - [`FaultyWorker`]: a ready-made actor driven by a `FaultPlan` that logs
//!   its lifecycle into an `EventLog`, to build supervisors from.
//!
//! Nothing here sleeps to synchronise: waits are on channels, and every
//! `expect_*` takes a deadline, so tests run under
//! `#[tokio::test(start_paused = true)]` with virtual time.
//!
//! # Examples
//!
//! A supervised worker that panics on its second message is restarted; the
//! log shows the exact sequence:
//!
//! ```
//! use actor_core::prelude::*;
//! use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, LogEvent, Work};
//! use actor_core::Supervisor;
//!
//! # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let system = ActorSystem::new();
//! let log = EventLog::new();
//! let plan = FaultPlan::new().panic_on_message(2);
//! let app = Supervisor::builder("app")
//!     .child(FaultyWorker::spec("w", plan.clone(), &log))
//!     .spawn(&system)
//!     .await?;
//! let w = app.child::<FaultyWorker>("w")?;
//! assert_eq!(w.ask(Work(1)).await?, 1);
//! assert!(matches!(w.ask(Work(2)).await, Err(AskError::Panicked(_))));
//! log.wait_for_len(4).await;
//! assert_eq!(log.lines(), ["w started", "w handled 1", "w stopped (panicked: planned panic on message 2)", "w started"]);
//! assert_eq!(w.ask(Work(3)).await?, 3);
//! assert_eq!(plan.starts(), 2);
//! system.shutdown().await;
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::actor::{Actor, BoxError, ExitReason, Handler};
use crate::actor_ref::ActorRef;
use crate::context::Context;
use crate::error::SpawnError;
use crate::loom::lock;
use crate::loom::sync::atomic::{AtomicU32, Ordering};
use crate::loom::sync::{Arc, Mutex};
use crate::supervisor::ChildSpec;
use crate::system::ActorSystem;

/// What a [`FaultPlan`] makes an actor do with one message.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// The handler panics: the asker gets [`AskError::Panicked`](crate::AskError::Panicked)
    /// and the incarnation ends with [`ExitReason::Panicked`].
    Panic,
    /// The handler calls [`Context::fail`]: the incarnation ends with
    /// [`ExitReason::Failed`].
    Fail,
    /// The handler calls [`Context::stop`]: the incarnation ends with
    /// [`ExitReason::Normal`].
    Stop,
    /// The incarnation ends with [`ExitReason::Shutdown`], as when its
    /// supervisor or the system asks it to stop.
    Shutdown,
    /// The handler awaits until [`FaultPlan::release`] (an actor that
    /// ignores a stop request; a kill ends it).
    Hang,
    /// The handler spins without ever yielding until
    /// [`FaultPlan::release`] (nothing can interrupt it; run such tests on
    /// a multi-thread runtime and release the plan before the end).
    Spin,
    /// The handler takes the reply with [`Context::reply_later`] and drops
    /// it: the asker gets [`AskError::NoReply`](crate::AskError::NoReply).
    DropReply,
}

#[derive(Debug, Default)]
struct PlanState {
    on_message: BTreeMap<u64, Fault>,
    fail_starts: u32,
    fail_from: Option<u32>,
    hang_on_stop: bool,
    slow_stop: Option<Duration>,
}

#[derive(Debug)]
struct PlanInner {
    state: Mutex<PlanState>,
    /// `on_start` attempts so far. `Relaxed` throughout: the counters are
    /// read by tests after they synchronised with the actor (an ask reply or
    /// an [`EventLog`] wait), which provides the edge.
    starts: AtomicU32,
    stops: AtomicU32,
    /// Messages counted so far, watchable.
    messages: watch::Sender<u64>,
    /// Set by `release`. The channel's lock orders the store before a
    /// spinning handler's later read.
    released: watch::Sender<bool>,
}

/// A shareable script of faults that an actor consults.
///
/// Clones share one plan and its counters, so a supervisor's factory can
/// hand the same plan to every incarnation while the test keeps a clone to
/// read [`starts`](Self::starts), [`stops`](Self::stops) and
/// [`messages`](Self::messages). Messages are numbered from 1 across all
/// incarnations that share the plan; `on_start` attempts likewise.
///
/// [`FaultyWorker`] follows a plan; an actor of your own can too, through
/// [`begin_start`](Self::begin_start), [`next_message`](Self::next_message)
/// and [`run_fault`](Self::run_fault).
///
/// # Examples
///
/// ```
/// use actor_core::testkit::{Fault, FaultPlan};
///
/// let plan = FaultPlan::new().fail_start(2).panic_on_message(3).on_message(5, Fault::DropReply);
/// assert!(plan.begin_start().is_err());
/// assert!(plan.begin_start().is_err());
/// assert!(plan.begin_start().is_ok());
/// assert_eq!(plan.starts(), 3);
/// assert_eq!(plan.next_message(), (1, None));
/// assert_eq!(plan.next_message(), (2, None));
/// assert_eq!(plan.next_message(), (3, Some(Fault::Panic)));
/// ```
#[derive(Clone)]
pub struct FaultPlan {
    inner: Arc<PlanInner>,
}

impl Default for FaultPlan {
    fn default() -> Self {
        Self::new()
    }
}

impl FaultPlan {
    /// A plan without faults.
    pub fn new() -> Self {
        FaultPlan {
            inner: Arc::new(PlanInner {
                state: Mutex::new(PlanState::default()),
                starts: AtomicU32::new(0),
                stops: AtomicU32::new(0),
                messages: watch::Sender::new(0),
                released: watch::Sender::new(false),
            }),
        }
    }

    /// Applies `fault` to the `n`-th message (from 1). A later call for the
    /// same `n` replaces the fault.
    pub fn on_message(self, n: u64, fault: Fault) -> Self {
        lock(&self.inner.state).on_message.insert(n, fault);
        self
    }

    /// Panics while handling the `n`-th message.
    pub fn panic_on_message(self, n: u64) -> Self {
        self.on_message(n, Fault::Panic)
    }

    /// Fails (`ctx.fail`) while handling the `n`-th message.
    pub fn fail_on_message(self, n: u64) -> Self {
        self.on_message(n, Fault::Fail)
    }

    /// Spins without yielding on the `n`-th message until
    /// [`release`](Self::release).
    pub fn spin_on_message(self, n: u64) -> Self {
        self.on_message(n, Fault::Spin)
    }

    /// Awaits forever (until [`release`](Self::release)) on the `n`-th
    /// message, ignoring stop requests.
    pub fn hang_on_message(self, n: u64) -> Self {
        self.on_message(n, Fault::Hang)
    }

    /// Takes the `n`-th message's reply with `reply_later` and drops it.
    pub fn drop_reply_on_message(self, n: u64) -> Self {
        self.on_message(n, Fault::DropReply)
    }

    /// Fails the first `k` `on_start` attempts, then succeeds.
    pub fn fail_start(self, k: u32) -> Self {
        lock(&self.inner.state).fail_starts = k;
        self
    }

    /// Fails every `on_start` attempt from the `n`-th on (from 1): with
    /// `n = 2` the actor starts once and never again.
    pub fn fail_start_from(self, n: u32) -> Self {
        lock(&self.inner.state).fail_from = Some(n);
        self
    }

    /// Fails every `on_start` attempt.
    pub fn always_fail_start(self) -> Self {
        self.fail_start(u32::MAX)
    }

    /// `on_stop` never finishes (until [`release`](Self::release)); `on_stop`
    /// cannot be killed, so the actor ends up reported unresponsive.
    pub fn hang_on_stop(self) -> Self {
        lock(&self.inner.state).hang_on_stop = true;
        self
    }

    /// `on_stop` takes `d` (of tokio time, so paused-time tests advance it).
    pub fn slow_stop(self, d: Duration) -> Self {
        lock(&self.inner.state).slow_stop = Some(d);
        self
    }

    /// Releases every hanging and spinning handler and `on_stop`, now and
    /// later. Call it before a test ends if it spins, so the runtime's
    /// threads can finish.
    pub fn release(&self) {
        self.inner.released.send_replace(true);
    }

    /// True once [`release`](Self::release) was called.
    pub fn is_released(&self) -> bool {
        *self.inner.released.borrow()
    }

    /// How many times `on_start` was attempted.
    pub fn starts(&self) -> u32 {
        self.inner.starts.load(Ordering::Relaxed)
    }

    /// How many times `on_stop` finished.
    pub fn stops(&self) -> u32 {
        self.inner.stops.load(Ordering::Relaxed)
    }

    /// How many messages were counted by [`next_message`](Self::next_message).
    pub fn messages(&self) -> u64 {
        *self.inner.messages.borrow()
    }

    /// Waits until at least `n` messages were counted (the `n`-th one's
    /// fault, if any, has begun). Wrap it in `tokio::time::timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_messages(&self, n: u64) {
        let mut rx = self.inner.messages.subscribe();
        // The sender lives in `self`, so the channel cannot close here.
        let _ = rx.wait_for(|m| *m >= n).await;
    }

    /// Counts an `on_start` attempt; `Err` if the plan fails it. The
    /// `Ok` value is the attempt number (from 1).
    ///
    /// # Errors
    ///
    /// A text error naming the attempt, for the attempts that
    /// [`fail_start`](Self::fail_start) or
    /// [`fail_start_from`](Self::fail_start_from) fail.
    pub fn begin_start(&self) -> Result<u32, BoxError> {
        let attempt = self.inner.starts.fetch_add(1, Ordering::Relaxed) + 1;
        let fails = {
            let state = lock(&self.inner.state);
            attempt <= state.fail_starts || state.fail_from.is_some_and(|n| attempt >= n)
        };
        if fails {
            return Err(format!("planned start failure #{attempt}").into());
        }
        Ok(attempt)
    }

    /// Counts a message; returns its number (from 1) and the fault planned
    /// for it.
    pub fn next_message(&self) -> (u64, Option<Fault>) {
        let mut n = 0;
        self.inner.messages.send_modify(|m| {
            *m += 1;
            n = *m;
        });
        (n, lock(&self.inner.state).on_message.get(&n).copied())
    }

    /// Performs `fault` inside a handler of `A` whose `Reply` is `R`; the
    /// message is number `n`. Returns once the fault is done (for `Hang`
    /// and `Spin`, once released).
    ///
    /// # Panics
    ///
    /// For [`Fault::Panic`], by design. For [`Fault::DropReply`], if `R` is
    /// not the reply type of the message being handled (see
    /// [`Context::reply_later`]).
    pub async fn run_fault<A: Actor, R: Send + 'static>(&self, fault: Fault, n: u64, ctx: &mut Context<A>) {
        match fault {
            Fault::Panic => panic!("planned panic on message {n}"),
            Fault::Fail => ctx.fail(format!("planned failure on message {n}")),
            Fault::Stop => ctx.stop(),
            Fault::Shutdown => ctx.core().request_stop(true),
            Fault::Hang => self.wait_released().await,
            Fault::Spin => {
                while !self.is_released() {
                    std::hint::spin_loop();
                }
            }
            Fault::DropReply => drop(ctx.reply_later::<R>()),
        }
    }

    /// What the plan makes `on_stop` do: hang until released, or take its
    /// time. Counts the stop once it is over.
    pub async fn run_stop(&self) {
        let (hang, slow) = {
            let state = lock(&self.inner.state);
            (state.hang_on_stop, state.slow_stop)
        };
        if hang {
            self.wait_released().await;
        }
        if let Some(d) = slow {
            tokio::time::sleep(d).await;
        }
        self.inner.stops.fetch_add(1, Ordering::Relaxed);
    }

    async fn wait_released(&self) {
        let mut rx = self.inner.released.subscribe();
        let _ = rx.wait_for(|released| *released).await;
    }
}

impl fmt::Debug for FaultPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.inner.state);
        f.debug_struct("FaultPlan")
            .field("on_message", &state.on_message)
            .field("fail_starts", &state.fail_starts)
            .field("fail_from", &state.fail_from)
            .field("hang_on_stop", &state.hang_on_stop)
            .field("slow_stop", &state.slow_stop)
            .field("starts", &self.starts())
            .field("stops", &self.stops())
            .field("messages", &self.messages())
            .finish()
    }
}

/// One lifecycle event in an [`EventLog`].
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// `on_start` succeeded.
    Started,
    /// `on_start` failed with this error text.
    StartFailed(String),
    /// A message was handled (for [`FaultyWorker`]: the [`Work`] value).
    Handled(u64),
    /// `on_stop` finished with this reason.
    Stopped(ExitReason),
    /// Anything else a test wants in the sequence.
    Note(String),
}

impl fmt::Display for LogEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogEvent::Started => f.write_str("started"),
            LogEvent::StartFailed(e) => write!(f, "start failed ({e})"),
            LogEvent::Handled(n) => write!(f, "handled {n}"),
            LogEvent::Stopped(r) => write!(f, "stopped ({r})"),
            LogEvent::Note(s) => f.write_str(s),
        }
    }
}

/// A cloneable, ordered log of `(actor name, event)` entries.
///
/// Clones share one log. Entries keep the order in which they were
/// recorded; [`wait_for_len`](Self::wait_for_len),
/// [`wait_for_count`](Self::wait_for_count) and
/// [`wait_until`](Self::wait_until) wait on a channel, never by sleeping.
///
/// # Examples
///
/// ```
/// use actor_core::testkit::{EventLog, LogEvent};
///
/// # #[tokio::main] async fn main() {
/// let log = EventLog::new();
/// let writer = log.clone();
/// tokio::spawn(async move {
///     writer.record("a", LogEvent::Started);
///     writer.record("a", LogEvent::Handled(7));
/// });
/// let entries = log.wait_for_len(2).await;
/// assert_eq!(entries[1], ("a".to_owned(), LogEvent::Handled(7)));
/// assert_eq!(log.lines(), ["a started", "a handled 7"]);
/// # }
/// ```
#[derive(Clone)]
pub struct EventLog {
    /// The entries themselves, so a waiter sees every change together with
    /// the entries it made.
    entries: Arc<watch::Sender<Vec<(String, LogEvent)>>>,
}

impl Default for EventLog {
    fn default() -> Self {
        Self::new()
    }
}

impl EventLog {
    /// An empty log.
    pub fn new() -> Self {
        EventLog { entries: Arc::new(watch::Sender::new(Vec::new())) }
    }

    /// Appends an entry and wakes waiters.
    pub fn record(&self, actor: impl Into<String>, event: LogEvent) {
        let entry = (actor.into(), event);
        self.entries.send_modify(|entries| entries.push(entry));
    }

    /// Appends a [`LogEvent::Note`].
    pub fn note(&self, actor: impl Into<String>, text: impl Into<String>) {
        self.record(actor, LogEvent::Note(text.into()));
    }

    /// Every entry so far, in order.
    pub fn entries(&self) -> Vec<(String, LogEvent)> {
        self.entries.borrow().clone()
    }

    /// Every entry so far as `"{actor} {event}"` text, for compact asserts.
    pub fn lines(&self) -> Vec<String> {
        self.entries.borrow().iter().map(|(a, e)| format!("{a} {e}")).collect()
    }

    /// The events of one actor, in order.
    pub fn events_of(&self, actor: &str) -> Vec<LogEvent> {
        self.entries.borrow().iter().filter(|(a, _)| a == actor).map(|(_, e)| e.clone()).collect()
    }

    /// How many entries, of any actor, are `event`.
    pub fn count(&self, event: &LogEvent) -> usize {
        count_of(&self.entries.borrow(), event)
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.borrow().len()
    }

    /// True if nothing was recorded (or everything was taken).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes and returns every entry, so a test can assert one phase at a
    /// time. Later waits count from the new, empty log.
    pub fn take(&self) -> Vec<(String, LogEvent)> {
        self.entries.send_replace(Vec::new())
    }

    /// Like [`take`](Self::take), as [`lines`](Self::lines).
    pub fn take_lines(&self) -> Vec<String> {
        self.take().into_iter().map(|(a, e)| format!("{a} {e}")).collect()
    }

    /// Waits until the log holds at least `n` entries; returns them all.
    /// Wrap it in `tokio::time::timeout` so a missing event fails fast.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_len(&self, n: usize) -> Vec<(String, LogEvent)> {
        self.wait_until(|entries| entries.len() >= n).await
    }

    /// Waits until at least `n` entries, of any actor, are `event`; returns
    /// the entries.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for_count(&self, event: &LogEvent, n: usize) -> Vec<(String, LogEvent)> {
        self.wait_until(|entries| count_of(entries, event) >= n).await
    }

    /// Waits until `pred` holds for the entries; returns them.
    ///
    /// `pred` runs on the entries in place, with the log locked: it must
    /// not record into this log.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_until(&self, mut pred: impl FnMut(&[(String, LogEvent)]) -> bool) -> Vec<(String, LogEvent)> {
        let mut rx = self.entries.subscribe();
        // The sender lives in `self`, so the channel cannot close and
        // `wait_for` returns only once `pred` holds.
        let seen = rx.wait_for(|entries| pred(entries)).await.map(|entries| entries.clone());
        seen.unwrap_or_else(|_| self.entries())
    }

    /// Waits until `actor` logged `event`; returns the entries.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn wait_for(&self, actor: &str, event: &LogEvent) -> Vec<(String, LogEvent)> {
        self.wait_until(|entries| entries.iter().any(|(a, e)| a == actor && e == event)).await
    }
}

fn count_of(entries: &[(String, LogEvent)], event: &LogEvent) -> usize {
    entries.iter().filter(|(_, e)| e == event).count()
}

impl fmt::Debug for EventLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.lines()).finish()
    }
}

/// A message for [`FaultyWorker`]: handled as planned; the reply is the
/// value itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Work(pub u64);

/// Asks a [`FaultyWorker`] which `on_start` attempt of its plan it is (from
/// 1); does not count as a message of the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Incarnation;

/// A ready-made actor that follows a [`FaultPlan`] and logs into an
/// [`EventLog`] under its own name (for a supervised child: its child id).
///
/// It logs [`LogEvent::Started`] or [`LogEvent::StartFailed`] at the end of
/// `on_start`, [`LogEvent::Handled`] for each [`Work`] handled, and
/// [`LogEvent::Stopped`] at the end of `on_stop` (after the plan's hang or
/// delay). Its mailbox holds 64 messages.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::testkit::{EventLog, FaultPlan, FaultyWorker, LogEvent, Work};
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let log = EventLog::new();
/// let w = system.spawn_named("w", FaultyWorker::new(FaultPlan::new().drop_reply_on_message(1), log.clone()))?;
/// assert_eq!(w.ask(Work(5)).await, Err(AskError::NoReply));
/// w.stop();
/// assert_eq!(w.wait_for_stop().await, ExitReason::Normal);
/// assert_eq!(log.events_of("w"), [LogEvent::Started, LogEvent::Handled(5), LogEvent::Stopped(ExitReason::Normal)]);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct FaultyWorker {
    plan: FaultPlan,
    log: EventLog,
    incarnation: u32,
}

impl FaultyWorker {
    /// A worker following `plan` and logging into `log`.
    pub fn new(plan: FaultPlan, log: EventLog) -> Self {
        FaultyWorker { plan, log, incarnation: 0 }
    }

    /// A factory for [`ChildSpec::new`]: every incarnation shares `plan`
    /// and `log`.
    pub fn factory(plan: FaultPlan, log: EventLog) -> impl Fn() -> FaultyWorker + Send + Sync + 'static {
        move || FaultyWorker::new(plan.clone(), log.clone())
    }

    /// A supervised child `id` built by [`factory`](Self::factory), with
    /// the defaults of [`ChildSpec::new`].
    pub fn spec(id: impl Into<String>, plan: FaultPlan, log: &EventLog) -> ChildSpec {
        ChildSpec::new(id, FaultyWorker::factory(plan, log.clone()))
    }

    /// The plan it follows.
    pub fn plan(&self) -> &FaultPlan {
        &self.plan
    }
}

impl Actor for FaultyWorker {
    const MAILBOX: usize = 64;

    fn name() -> &'static str {
        "faulty-worker"
    }

    async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        match self.plan.begin_start() {
            Ok(attempt) => {
                self.incarnation = attempt;
                self.log.record(ctx.name(), LogEvent::Started);
                Ok(())
            }
            Err(e) => {
                self.log.record(ctx.name(), LogEvent::StartFailed(e.to_string()));
                Err(e)
            }
        }
    }

    async fn on_stop(&mut self, ctx: &mut Context<Self>, reason: &ExitReason) {
        self.plan.run_stop().await;
        self.log.record(ctx.name(), LogEvent::Stopped(reason.clone()));
    }
}

impl Handler<Work> for FaultyWorker {
    type Reply = u64;

    async fn handle(&mut self, Work(value): Work, ctx: &mut Context<Self>) -> u64 {
        let (n, fault) = self.plan.next_message();
        if let Some(fault) = fault {
            self.plan.run_fault::<Self, u64>(fault, n, ctx).await;
        }
        self.log.record(ctx.name(), LogEvent::Handled(value));
        value
    }
}

impl Handler<Incarnation> for FaultyWorker {
    type Reply = u32;

    async fn handle(&mut self, _: Incarnation, _ctx: &mut Context<Self>) -> u32 {
        self.incarnation
    }
}

/// The actor behind a [`TestProbe`]: forwards every `M` to the probe.
pub struct ProbeActor<M: Send + 'static> {
    tx: mpsc::Sender<M>,
}

impl<M: Send + 'static> fmt::Debug for ProbeActor<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProbeActor").field("message", &std::any::type_name::<M>()).finish()
    }
}

impl<M: Send + 'static> Actor for ProbeActor<M> {
    fn name() -> &'static str {
        "probe"
    }
}

impl<M: Send + 'static> Handler<M> for ProbeActor<M> {
    type Reply = ();

    async fn handle(&mut self, msg: M, _ctx: &mut Context<Self>) {
        // The probe may be gone; then the message has nowhere to go.
        let _ = self.tx.send(msg).await;
    }
}

/// An actor that records the `M`s it receives, for assertions.
///
/// Hand [`actor_ref`](Self::actor_ref) or [`recipient`](Self::recipient) to
/// the code under test, then expect messages with deadlines. Deadlines use
/// tokio time: under `start_paused` an `expect_no_message(d)` costs no real
/// time.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
/// use actor_core::testkit::TestProbe;
/// use std::time::Duration;
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let mut probe = TestProbe::<u32>::new(&system)?;
/// probe.recipient().tell(7).await?;
/// assert_eq!(probe.expect_message(Duration::from_secs(1)).await, 7);
/// probe.expect_no_message(Duration::from_millis(10)).await;
/// let r = probe.actor_ref().clone();
/// r.stop();
/// assert_eq!(probe.expect_terminated(&r, Duration::from_secs(1)).await, ExitReason::Normal);
/// # Ok(()) }
/// ```
pub struct TestProbe<M: Send + 'static> {
    actor: ActorRef<ProbeActor<M>>,
    rx: mpsc::Receiver<M>,
}

impl<M: Send + 'static> fmt::Debug for TestProbe<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestProbe").field("actor", &self.actor).field("waiting", &self.rx.len()).finish()
    }
}

impl<M: Send + 'static> TestProbe<M> {
    /// Spawns the probe's actor on `system`.
    ///
    /// # Errors
    ///
    /// [`SpawnError::SystemStopped`] once shutdown began.
    pub fn new(system: &ActorSystem) -> Result<Self, SpawnError> {
        let (tx, rx) = mpsc::channel(ProbeActor::<M>::MAILBOX);
        let actor = system.spawn(ProbeActor { tx })?;
        Ok(TestProbe { actor, rx })
    }

    /// The probe's actor.
    pub fn actor_ref(&self) -> &ActorRef<ProbeActor<M>> {
        &self.actor
    }

    /// A recipient that delivers to the probe.
    pub fn recipient(&self) -> crate::Recipient<M> {
        self.actor.recipient::<M>()
    }

    /// The next message received, if one arrives within `timeout`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a message is only taken when it is returned.
    pub async fn receive(&mut self, timeout: Duration) -> Option<M> {
        tokio::time::timeout(timeout, self.rx.recv()).await.ok().flatten()
    }

    /// The next message received.
    ///
    /// # Panics
    ///
    /// If none arrives within `timeout` (a failed expectation).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn expect_message(&mut self, timeout: Duration) -> M {
        match self.receive(timeout).await {
            Some(m) => m,
            None => panic!("expected a {} within {timeout:?}, got none", std::any::type_name::<M>()),
        }
    }

    /// Asserts that nothing arrives for `d`.
    ///
    /// # Panics
    ///
    /// If a message arrives (a failed expectation).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn expect_no_message(&mut self, d: Duration) {
        if self.receive(d).await.is_some() {
            panic!("expected no message for {d:?}, got a {}", std::any::type_name::<M>());
        }
    }

    /// Waits until `target` stopped for good and returns why.
    ///
    /// # Panics
    ///
    /// If it does not stop within `timeout` (a failed expectation).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe.
    pub async fn expect_terminated<A: Actor>(&self, target: &ActorRef<A>, timeout: Duration) -> ExitReason {
        match tokio::time::timeout(timeout, target.wait_for_stop()).await {
            Ok(reason) => reason,
            Err(_) => panic!("expected {} to stop within {timeout:?}; it is {}", target.name(), target.status()),
        }
    }
}
