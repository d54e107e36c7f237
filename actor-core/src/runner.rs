//! The per-actor task loop and the status word.
//!
//! # The status word
//!
//! Each actor has one `AtomicU32`: the low bits hold the lifecycle phase,
//! written only by the actor's own task; the flag bits are requests that any
//! thread may set with `fetch_or` (`stop`, `kill`, the system's shutdown).
//! A request is published with `Release` and then the actor's control waker
//! is woken; the task reads the word with `Acquire` before it waits and again
//! after registering its waker, so a request is never missed (the
//! `AtomicWaker` provides the wakeup edge, the word the data edge).
//!
//! One more bit, `WAITING`, says that someone waits for the final stop, so
//! the stop of an actor nobody waits for never touches the notifier.
//!
//! Senders read the word with `Relaxed`: a `stop()` that returned before a
//! send started is ordered before it by the caller's own synchronisation, and
//! coherence makes the send see the flag. A send racing with `stop()` may be
//! accepted; it is then drained like any queued message.
//!
//! # Invariants
//!
//! - Only the actor's task moves the lifecycle phase; it reaches `STOPPED`
//!   once, after the last `on_stop` finished and the mailbox was closed and
//!   emptied, and only then are `wait_for_stop` waiters released.
//! - `on_stop` runs exactly once per incarnation, also after a failed start.
//! - Every envelope leaves the mailbox either handled or rejected (a tell is
//!   counted as a dead letter, an asker gets `AskError::Stopped`).
//! - One incarnation's `on_stop` finishes before the next one's `on_start`.

use std::borrow::Cow;
use std::fmt;
use std::future::{Future, poll_fn};
use std::ops::ControlFlow;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::pin::{Pin, pin};
use std::task::{Context as TaskContext, Poll};

use tracing::Instrument;

use crate::actor::{Actor, ExitReason, PanicInfo};
use crate::actor_ref::{ActorId, ActorMetrics, ActorRef, ActorStatus};
use crate::context::Context;
use crate::envelope::{self, FutureSlot, MessageType};
use crate::error::{AskError, ConfigError, SpawnError, error_chain, panic_message};
use crate::events;
use crate::loom::AtomicWaker;
use crate::loom::chan;
use crate::loom::lock;
use crate::loom::sync::Mutex;
use crate::loom::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use crate::mailbox::{self, ASK_BATCH, Envelope, MAX_CAPACITY, MailboxRx, TELL_BATCH};
use crate::shared::{Erase, Shared, SharedDyn};
use crate::supervisor::ChildSupervision;
use crate::system::ActorSystem;

/// Lifecycle phases (low bits of the status word).
pub(crate) const PHASE_MASK: u32 = 0b111;
pub(crate) const STARTING: u32 = 0;
pub(crate) const RUNNING: u32 = 1;
pub(crate) const STOPPING: u32 = 2;
pub(crate) const RESTARTING: u32 = 3;
pub(crate) const STOPPED: u32 = 4;
/// Request flags.
pub(crate) const STOP: u32 = 1 << 3;
/// With `STOP`: the stop comes from the system or a supervisor.
pub(crate) const SHUTDOWN: u32 = 1 << 4;
pub(crate) const KILL: u32 = 1 << 5;
/// Abandon even `on_stop`: a deadline passed after a kill. The runner stops
/// polling whatever it awaits and settles the actor as killed.
pub(crate) const ABORT: u32 = 1 << 6;
/// Someone waits in [`Core::wait_stopped`]: the final exit must wake the
/// notifier. Without it, the stop of an actor nobody waits for skips the
/// notifier's lock.
const WAITING: u32 = 1 << 7;
const CLOSED_FOR_SENDS: u32 = STOP | KILL;
/// With `STOPPED`: the final exit, when it carries no text (else it is in
/// [`Core`]'s `exit` cell and these bits are zero). Written once, with the
/// phase.
const EXIT_MASK: u32 = 0b11 << 8;
const EXIT_NORMAL: u32 = 1 << 8;
const EXIT_SHUTDOWN: u32 = 2 << 8;
const EXIT_KILLED: u32 = 3 << 8;

/// An actor's name: the one it was spawned with, or else its type's
/// [`Actor::name`], which is looked up only when the name is shown. (The
/// default `Actor::name` shortens the type's path on every call, and most
/// actors' names are never shown.)
pub(crate) enum ActorName {
    Type(fn() -> &'static str),
    Given(Cow<'static, str>),
}

impl std::ops::Deref for ActorName {
    type Target = str;

    fn deref(&self) -> &str {
        match self {
            ActorName::Type(name) => name(),
            ActorName::Given(name) => name,
        }
    }
}

impl fmt::Display for ActorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

/// The non-generic part of an actor's cell: identity, status word, control
/// waker, counters and the exit signal.
///
/// Laid out by hand, in three parts of one cache line each (the cell starts
/// on a line, after its two counts, the sender and the `ActorRef` count:
/// see `shared::blocks`):
///
/// 1. What every send reads (the status word, beside `Inner`'s sender),
///    and the name, which is only read.
/// 2. What is written once per incarnation or on a stop (the control
///    waker, the exit with text) and the identity the actor's own task
///    reads when it stops.
/// 3. The counters the actor's own task writes on every message, and the
///    stop notifier.
///
/// So handling messages does not keep taking the senders' line away, and
/// dropping the cell (which reads every field that owns something: the
/// sender, the name, the waker, the exit) touches the first two parts only.
#[repr(C)]
pub(crate) struct Core {
    state: AtomicU32,
    pub(crate) restarts: AtomicU32,
    pub(crate) name: ActorName,
    control: AtomicWaker,
    /// The final exit when it carries text (`Panicked`, `Failed`); the
    /// others are bits of the status word. Boxed: rare, and every actor's
    /// cell holds the field.
    exit: Mutex<Option<Box<ExitReason>>>,
    pub(crate) id: ActorId,
    pub(crate) parent: Option<ActorId>,
    /// Its place in the system's actor table, set when it is inserted.
    pub(crate) table_place: AtomicU32,
    /// Holds a registry name (`name`), released when it stops for good.
    pub(crate) registered: bool,
    stopped: tokio::sync::Notify,
    pub(crate) drained: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) processed: AtomicU64,
    pub(crate) high_water: AtomicUsize,
}

impl Core {
    pub(crate) fn new<A: Actor>(id: ActorId, opts: &mut SpawnOptions<A>) -> Self {
        Core {
            id,
            name: opts.name.take().map_or(ActorName::Type(A::name), ActorName::Given),
            parent: opts.parent,
            registered: opts.registered,
            state: AtomicU32::new(STARTING),
            control: AtomicWaker::new(),
            processed: AtomicU64::new(0),
            restarts: AtomicU32::new(0),
            high_water: AtomicUsize::new(0),
            drained: AtomicU64::new(0),
            dropped: AtomicU64::new(0),
            table_place: AtomicU32::new(u32::MAX),
            exit: Mutex::new(None),
            stopped: tokio::sync::Notify::new(),
        }
    }

    /// Reads the word for a wait decision. `Acquire`: pairs with the
    /// `Release` of `signal`, so the request's context is visible.
    pub(crate) fn load(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    /// True while the mailbox takes new messages. `Relaxed`: see the module
    /// docs; the edge comes from the caller's own ordering with `stop()`.
    pub(crate) fn is_accepting(&self) -> bool {
        let s = self.state.load(Ordering::Relaxed);
        s & CLOSED_FOR_SENDS == 0 && s & PHASE_MASK != STOPPED
    }

    /// Sets request bits and wakes the actor. `Release`: publishes the
    /// request to the task's `Acquire` load.
    pub(crate) fn signal(&self, bits: u32) {
        // Requested already: nothing to publish, nobody to wake. (The common
        // case of the last `ActorRef` dropped after a `stop()`.)
        if self.state.load(Ordering::Relaxed) & bits == bits {
            return;
        }
        let prev = self.state.fetch_or(bits, Ordering::Release);
        if prev & bits != bits {
            self.control.wake();
        }
    }

    /// `stop()`: no new messages, drain, `on_stop`.
    pub(crate) fn request_stop(&self, shutdown: bool) {
        self.signal(if shutdown { STOP | SHUTDOWN } else { STOP });
    }

    /// `kill()`: no new messages, queued ones rejected, handler aborted.
    pub(crate) fn kill(&self) {
        self.signal(KILL);
    }

    /// Past every deadline: the runner abandons what it awaits, `on_stop`
    /// included. A handler that never yields cannot be reached by anything.
    pub(crate) fn abort(&self) {
        self.signal(KILL | ABORT);
    }

    /// Moves the lifecycle phase (the actor's own task only) and returns the
    /// word before. `AcqRel`: keeps request bits set concurrently and
    /// publishes the phase. A phase the word holds already is left alone (no
    /// write; only this task moves the phase, so there is nothing to publish).
    pub(crate) fn set_phase(&self, phase: u32) -> u32 {
        let moved = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
            (s & PHASE_MASK != phase).then_some((s & !PHASE_MASK) | phase)
        });
        moved.unwrap_or_else(|s| s)
    }

    /// Enters the stopping phase, unless the word shows it already: a
    /// running actor with a stop or kill request reads as stopping, so the
    /// common stop writes nothing here.
    pub(crate) fn enter_stopping(&self) {
        let s = self.load();
        if s & PHASE_MASK == RUNNING && s & CLOSED_FOR_SENDS != 0 {
            return;
        }
        self.set_phase(STOPPING);
    }

    /// An incarnation ended (its `on_stop` finished) and a supervisor will
    /// decide what follows: the request bits set so far belonged to the
    /// ended incarnation and are cleared, so the mailbox takes messages for
    /// the next one; requests that arrive from now on stay set and apply to
    /// the next incarnation. One read-modify-write: `AcqRel` as `set_phase`.
    pub(crate) fn begin_restart(&self) {
        // `WAITING` stays: waiters wait for the final stop, across restarts.
        let _ = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| Some((s & WAITING) | RESTARTING));
    }

    /// Registers the task's waker for control signals.
    pub(crate) fn register(&self, cx: &TaskContext<'_>) {
        self.control.register(cx.waker());
    }

    pub(crate) fn status(&self) -> ActorStatus {
        let s = self.load();
        match s & PHASE_MASK {
            STARTING => ActorStatus::Starting,
            RUNNING if s & CLOSED_FOR_SENDS != 0 => ActorStatus::Stopping,
            RUNNING => ActorStatus::Running,
            STOPPING => ActorStatus::Stopping,
            RESTARTING => ActorStatus::Restarting,
            _ => ActorStatus::Stopped,
        }
    }

    /// The final exit, once the actor stopped for good.
    pub(crate) fn exit_reason(&self) -> Option<ExitReason> {
        let s = self.load();
        if s & PHASE_MASK != STOPPED {
            return None;
        }
        // `Acquire` (in `load`): pairs with `set_exit`'s publication.
        match s & EXIT_MASK {
            EXIT_NORMAL => Some(ExitReason::Normal),
            EXIT_SHUTDOWN => Some(ExitReason::Shutdown),
            EXIT_KILLED => Some(ExitReason::Killed),
            _ => lock(&self.exit).as_deref().cloned(),
        }
    }

    /// Records the final exit and releases every waiter.
    ///
    /// The phase moves to `STOPPED` in one read-modify-write (`AcqRel`: it
    /// publishes the exit) that also records an exit without text and
    /// reads `WAITING`. A waiter sets `WAITING` with a read-modify-write of
    /// its own after it queued on the notifier; the two are ordered, so
    /// either this one sees the bit and wakes the waiter, or the waiter's
    /// sees `STOPPED` and does not wait.
    pub(crate) fn set_exit(&self, reason: ExitReason) {
        let code = match reason {
            ExitReason::Normal => EXIT_NORMAL,
            ExitReason::Shutdown => EXIT_SHUTDOWN,
            ExitReason::Killed => EXIT_KILLED,
            text => {
                *lock(&self.exit) = Some(Box::new(text));
                0
            }
        };
        let stopped = self.state.fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
            debug_assert_eq!(s & EXIT_MASK, 0, "the final exit is recorded once");
            Some((s & !PHASE_MASK) | STOPPED | code)
        });
        if stopped.unwrap_or_else(|s| s) & WAITING != 0 {
            self.stopped.notify_waiters();
        }
    }

    /// Waits until the actor stopped for good.
    pub(crate) async fn wait_stopped(&self) -> ExitReason {
        loop {
            // Already stopped: no need to queue on the notifier.
            if self.load() & PHASE_MASK == STOPPED {
                return self.final_exit();
            }
            let mut notified = pin!(self.stopped.notified());
            notified.as_mut().enable();
            // `AcqRel`: see `set_exit`.
            if self.state.fetch_or(WAITING, Ordering::AcqRel) & PHASE_MASK == STOPPED {
                return self.final_exit();
            }
            notified.await;
        }
    }

    /// The exit of an actor whose phase was read as `STOPPED` (`Acquire`),
    /// which `set_exit` publishes after recording it.
    fn final_exit(&self) -> ExitReason {
        self.exit_reason().expect("an actor in the stopped phase has its exit recorded")
    }

    /// Adds `n` to the messages dropped unhandled (a zero adds nothing and
    /// leaves the counter's cache line alone).
    pub(crate) fn count_dropped(&self, n: u64) {
        if n != 0 {
            self.dropped.fetch_add(n, Ordering::Relaxed);
        }
    }

    pub(crate) fn metrics(&self, mailbox_len: usize, mailbox_capacity: usize) -> ActorMetrics {
        ActorMetrics {
            mailbox_len,
            mailbox_capacity,
            mailbox_high_water: self.high_water.load(Ordering::Relaxed).max(mailbox_len),
            processed: self.processed.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            status: self.status(),
        }
    }
}

impl fmt::Debug for Core {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Core")
            .field("id", &self.id)
            .field("name", &&*self.name)
            .field("status", &self.status())
            .finish()
    }
}

/// An actor's shared cell: the core plus the typed sending side (first, by
/// the status word senders read with it; see [`Core`]).
#[repr(C)]
pub(crate) struct Inner<A: Actor> {
    pub(crate) tx: chan::Sender<Envelope<A>>,
    /// Live `ActorRef`s (including the registry's and a supervisor's). At
    /// zero the actor is asked to stop. `AcqRel` on decrement so the last
    /// holder's sends happen before the stop request.
    pub(crate) strong: AtomicUsize,
    pub(crate) core: Core,
}

impl<A: Actor> Inner<A> {
    /// A cell with `N` handles, of which one is counted as an `ActorRef`:
    /// the one its spawner hands out.
    pub(crate) fn new<const N: usize>(core: Core, tx: chan::Sender<Envelope<A>>) -> [Shared<Self>; N] {
        Shared::new(Inner { tx, strong: AtomicUsize::new(1), core })
    }

    pub(crate) fn metrics(&self) -> ActorMetrics {
        let capacity = self.tx.max_capacity();
        self.core.metrics(capacity - self.tx.capacity(), capacity)
    }
}

/// The system's type-erased view of an actor.
pub(crate) trait ActorCell: Send + Sync + 'static {
    fn core(&self) -> &Core;
    fn metrics(&self) -> ActorMetrics;
}

impl<A: Actor> Erase<dyn ActorCell> for Inner<A> {
    fn erase(&self) -> &dyn ActorCell {
        self
    }
}

impl<A: Actor> ActorCell for Inner<A> {
    fn core(&self) -> &Core {
        &self.core
    }

    fn metrics(&self) -> ActorMetrics {
        Inner::metrics(self)
    }
}

/// How to spawn one actor.
pub(crate) struct SpawnOptions<A: Actor> {
    pub(crate) name: Option<Cow<'static, str>>,
    pub(crate) parent: Option<ActorId>,
    pub(crate) registered: bool,
    /// What a supervisor plugs into a child's runner (see
    /// [`ChildSupervision`]). A thin box: every actor's task holds the field.
    pub(crate) supervision: Option<Box<ChildSupervision<A>>>,
}

impl<A: Actor> Default for SpawnOptions<A> {
    fn default() -> Self {
        SpawnOptions { name: None, parent: None, registered: false, supervision: None }
    }
}

/// Checks a mailbox capacity.
pub(crate) fn check_capacity(capacity: usize) -> Result<usize, ConfigError> {
    match capacity {
        0 => Err(ConfigError::ZeroCapacity { what: "mailbox" }),
        n if n > MAX_CAPACITY => Err(ConfigError::CapacityTooLarge { what: "mailbox", got: n, max: MAX_CAPACITY }),
        n => Ok(n),
    }
}

/// Spawns an actor on the system. The caller holds whatever lock makes the
/// spawn atomic with its bookkeeping (the registry's, for named actors).
pub(crate) fn spawn<A: Actor>(
    system: &ActorSystem,
    actor: A,
    mut opts: SpawnOptions<A>,
) -> Result<ActorRef<A>, SpawnError> {
    let capacity = check_capacity(A::MAILBOX)?;
    let id = system.next_id();
    let (tx, rx) = chan::channel(capacity);
    // The `ActorRef`'s, the table's, and the runner's two.
    let [inner, in_table, in_runner, in_context] = Inner::new(Core::new(id, &mut opts), tx);
    system.insert_cell(SharedDyn::new(in_table))?;
    let span = tracing::info_span!("actor", actor.id = id.get(), actor.name = %inner.core.name);
    let task = Runner::new([in_runner, in_context], system, rx, opts.supervision).run(actor);
    // Detached: the actor is reached through its status word, never its
    // join handle. A span no subscriber listens to is not kept: it would
    // only make every actor's task larger.
    let runtime = system.runtime();
    if span.is_disabled() {
        drop(runtime.spawn(task));
    } else {
        drop(runtime.spawn(task.instrument(span)));
    }
    Ok(ActorRef::from_inner(inner))
}

/// Why a guarded poll ended early.
pub(crate) enum Interrupted {
    Panicked(String),
    Killed,
}

/// Polls a future with panics caught and with the `interrupt` request bits
/// ending it at its next suspension (0: nothing interrupts it).
pub(crate) struct Guarded<'a, F> {
    fut: F,
    core: &'a Core,
    interrupt: u32,
}

impl<F: Future + Unpin> Future for Guarded<'_, F> {
    type Output = Result<F::Output, Interrupted>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        match catch_unwind(AssertUnwindSafe(|| Pin::new(&mut this.fut).poll(cx))) {
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Ok(Poll::Pending) => {
                if this.interrupt != 0 {
                    this.core.register(cx);
                    if this.core.load() & this.interrupt != 0 {
                        return Poll::Ready(Err(Interrupted::Killed));
                    }
                }
                Poll::Pending
            }
            Err(payload) => Poll::Ready(Err(Interrupted::Panicked(panic_message(&*payload)))),
        }
    }
}

/// Guards `fut`, which it owns: a handler or hook future in its slot (or
/// box), or a pinned reference to one.
pub(crate) fn guarded<F: Future + Unpin>(fut: F, core: &Core, interrupt: u32) -> Guarded<'_, F> {
    Guarded { fut, core, interrupt }
}

/// How the message loop of an incarnation ended.
pub(crate) enum Ended {
    /// With this exit, nothing left to drain.
    Exit(ExitReason),
    /// On a stop or kill request (the word as read); the drain follows.
    Stop(u32),
    /// A handler panicked with this message while handling a message of
    /// this type; `on_panic` decides what follows.
    Panicked(String, MessageType),
}

/// What the message loop goes on with.
pub(crate) enum Next<A: Actor> {
    /// The next message.
    Message(Envelope<A>),
    /// A stop or kill request (the word as read).
    Signal(u32),
}

/// The message loop's notes between its calls of [`poll_next`].
#[derive(Default)]
pub(crate) struct Receiving {
    /// The control waker is registered. It stays registered until a request
    /// takes it, and a request sets a bit that ends the loop, so while the
    /// loop runs the registration is made once, not on every wait (a write
    /// to the core's control waker saved per message).
    armed: bool,
    /// The last fill took a lone message and the loop has not waited since
    /// (see [`MailboxRx::poll_fill`]).
    lone: bool,
    /// A message handled since the last fill was an ask, so the next batch
    /// is at most [`ASK_BATCH`].
    answered: bool,
    /// Messages taken from the local buffer, modulo 256 (see
    /// [`BUDGET_EVERY`]).
    taken: u8,
}

/// How many messages handled from a batch spend one unit of tokio's
/// cooperative budget (128 units per turn of a task).
///
/// Tokio's channel spends one unit per receive, however many messages it
/// takes, so a busy actor taking batches of [`TELL_BATCH`] would otherwise
/// handle up to 8,192 messages before the other tasks of its worker get a
/// turn; with a unit per 16 it yields after at most 2,048, as it did with
/// batches of 16 (about 1,600 in `tests/fairness.rs`). A unit per message,
/// as tokio's own `recv` spends, made one sender's tells (`tell`) 10–15%
/// slower; one per 16 made no measurable difference.
const BUDGET_EVERY: u8 = 16;

/// The next message: one already taken from the channel, or else the idle
/// wait, in which a control request wins over messages. The word is read
/// again after the waker is registered, so a request that lands between the
/// first read and the registration is not missed.
pub(crate) fn poll_next<A: Actor>(
    core: &Core,
    mailbox: &mut MailboxRx<A>,
    notes: &mut Receiving,
    cx: &mut TaskContext<'_>,
) -> Poll<Next<A>> {
    if let Some(env) = mailbox.pop_local() {
        // Every `BUDGET_EVERY`th message taken from the buffer spends a unit
        // of the task's cooperative budget; when it is spent, the actor
        // puts the message back and yields (and comes back to it).
        notes.taken = notes.taken.wrapping_add(1);
        if notes.taken % BUDGET_EVERY == 0 {
            match tokio::task::coop::poll_proceed(cx) {
                Poll::Ready(coop) => coop.made_progress(),
                Poll::Pending => {
                    mailbox.unpop(env);
                    return Poll::Pending;
                }
            }
        }
        return Poll::Ready(Next::Message(env));
    }
    let s = core.load();
    if s & CLOSED_FOR_SENDS != 0 {
        return Poll::Ready(Next::Signal(s));
    }
    let limit = if notes.answered { ASK_BATCH } else { TELL_BATCH };
    notes.answered = false;
    match mailbox.poll_fill(cx, notes.lone, limit) {
        Poll::Ready(true) => {
            notes.lone = mailbox.took_one();
            // A lone message is a depth of one; only a batch asks the channel
            // for its length.
            let depth = if notes.lone { 1 } else { mailbox.len() };
            if depth > core.high_water.load(Ordering::Relaxed) {
                core.high_water.store(depth, Ordering::Relaxed);
            }
            let env = mailbox.pop_local().expect("a filled mailbox holds a message");
            Poll::Ready(Next::Message(env))
        }
        // The lane ends only when closed: `Inner` keeps a sender for as long
        // as the runner lives, and the runner closes the lane after its loop.
        Poll::Ready(false) => unreachable!("the mailbox is closed only after the message loop"),
        Poll::Pending => {
            notes.lone = false;
            if !notes.armed {
                core.register(cx);
                notes.armed = true;
            }
            let s = core.load();
            if s & CLOSED_FOR_SENDS != 0 { Poll::Ready(Next::Signal(s)) } else { Poll::Pending }
        }
    }
}

/// The exit a stop request ends the incarnation with, before the drain.
pub(crate) fn stop_reason(signal: u32) -> ExitReason {
    if signal & KILL != 0 {
        ExitReason::Killed
    } else if signal & SHUTDOWN != 0 {
        ExitReason::Shutdown
    } else {
        ExitReason::Normal
    }
}

/// Enters the stopping phase after a stop request and takes the drain's
/// fast path: true if the mailbox is empty and, for an unsupervised actor,
/// now closed with no sender holding capacity, so nothing is left to
/// handle. On false [`Runner::drain`] follows; a message this took from the
/// channel stays first in line for it.
pub(crate) fn nothing_to_drain<A: Actor>(core: &Core, mailbox: &mut MailboxRx<A>, supervised: bool) -> bool {
    core.enter_stopping();
    if mailbox.len() != 0 {
        return false;
    }
    if supervised {
        // The drain covers what was queued when the stop was seen: nothing.
        return true;
    }
    mailbox.close();
    mailbox.is_closed_and_empty()
}

/// The actor's task. Owns the receiving side and the actor's context; its
/// `Drop` settles the actor if the task is dropped before it finished.
///
/// # Size
///
/// Every actor's task holds this state, so it is kept small: the hooks and
/// the handler of the current message run in one slot (only one of them
/// runs at a time), the phases are futures that borrow the runner instead of
/// async functions that would copy their arguments into their own state,
/// no value lives across more suspension points than it must, and what is
/// rare (a drain with messages queued, the aftermath of a panic) is boxed.
struct Runner<A: Actor> {
    inner: Shared<Inner<A>>,
    /// The context handlers see; also the runner's handle to the system.
    ctx: Context<A>,
    mailbox: MailboxRx<A>,
    supervision: Option<Box<ChildSupervision<A>>>,
    /// Where the hook or handler that runs now lives.
    slot: FutureSlot,
}

// The phases every actor goes through (`run`, `start`, `messages`,
// `wind_down`) are not `async fn`s: an async function copies its arguments
// into locals of its state machine, so every actor's task would hold them
// twice. Their blocks use the captured values in place. The rarer steps
// (`after_stop_request`, the boxed drain and panic handling) stay `async fn`s.
#[allow(clippy::manual_async_fn)]
impl<A: Actor> Runner<A> {
    /// Takes two handles to the cell: its own and the context's.
    fn new(
        [inner, in_context]: [Shared<Inner<A>>; 2],
        system: &ActorSystem,
        rx: chan::Receiver<Envelope<A>>,
        supervision: Option<Box<ChildSupervision<A>>>,
    ) -> Self {
        Runner {
            inner,
            ctx: Context::new(in_context, system.clone()),
            mailbox: MailboxRx::new(rx),
            supervision,
            slot: FutureSlot::new(),
        }
    }

    fn run(mut self, mut actor: A) -> impl Future<Output = ()> + Send {
        async move {
            let exit = loop {
                // One incarnation: `on_start`, messages, the drain, then
                // `on_stop`.
                let exit = 'incarnation: {
                    if let Err(exit) = self.start(&mut actor).await {
                        break 'incarnation exit;
                    }
                    let signal = loop {
                        let after_panic = match self.messages(&mut actor).await {
                            Ended::Exit(exit) => break 'incarnation exit,
                            Ended::Stop(signal) => break signal,
                            // Rare: boxed, so the task stays small.
                            Ended::Panicked(message, message_type) => Box::pin(Self::after_panic(
                                &self.inner.core,
                                &mut actor,
                                &mut self.ctx,
                                message,
                                message_type(),
                            )),
                        };
                        if let Some(exit) = after_panic.await {
                            break 'incarnation exit;
                        }
                    };
                    self.after_stop_request(&mut actor, signal).await
                };
                if let Some(exit) = self.wind_down(&mut actor, exit).await {
                    break exit;
                }
            };
            drop(actor);
            if let Some(rest) = self.reject_rest() {
                rest.await;
            }
            self.settle(exit);
        }
    }

    /// The exit after a stop request, once what is queued was drained. A
    /// drain with messages to handle is boxed: an empty mailbox needs none.
    async fn after_stop_request(&mut self, actor: &mut A, signal: u32) -> ExitReason {
        let supervised = self.supervision.is_some();
        if signal & KILL != 0 || nothing_to_drain(&self.inner.core, &mut self.mailbox, supervised) {
            stop_reason(signal)
        } else {
            Box::pin(self.drain(actor, stop_reason(signal), supervised)).await
        }
    }

    /// Runs `on_start`; `Err` is the exit of an incarnation that did not
    /// start.
    fn start<'a>(&'a mut self, actor: &'a mut A) -> impl Future<Output = Result<(), ExitReason>> + 'a {
        async move {
            // The phase is `STARTING` already: from `Core::new`, or set by
            // `wind_down` before a restart.
            let core = &self.inner.core;
            let started = guarded(envelope::place(actor.on_start(&mut self.ctx), &mut self.slot), core, KILL).await;
            match started {
                Ok(Ok(())) => {
                    core.set_phase(RUNNING);
                    events::actor_started(self.ctx.system(), core, core.restarts.load(Ordering::Relaxed));
                    if let Some(sup) = self.supervision.as_mut() {
                        sup.started();
                    }
                    Ok(())
                }
                Ok(Err(e)) => Err(ExitReason::Failed(error_chain(&e))),
                Err(Interrupted::Panicked(m)) => {
                    tracing::error!(panic = %m, "on_start panicked");
                    Err(ExitReason::Panicked(m))
                }
                Err(Interrupted::Killed) => Err(ExitReason::Killed),
            }
        }
    }

    /// Ends an incarnation with `exit`: after a kill the queue is rejected;
    /// then `on_stop` runs (panics caught, not interrupted by a kill). Then
    /// a supervisor, if any, decides: `None` if the next incarnation is now
    /// in `actor`, else the exit the actor stops for good with.
    fn wind_down<'a>(
        &'a mut self,
        actor: &'a mut A,
        exit: ExitReason,
    ) -> impl Future<Output = Option<ExitReason>> + 'a {
        async move {
            if matches!(exit, ExitReason::Killed)
                && let Some(rest) = self.reject_after_kill()
            {
                rest.await;
            }
            self.inner.core.enter_stopping();
            let on_stop = envelope::place(actor.on_stop(&mut self.ctx, &exit), &mut self.slot);
            let abandoned = match guarded(on_stop, &self.inner.core, ABORT).await {
                Err(Interrupted::Panicked(m)) => {
                    tracing::error!(panic = %m, "on_stop panicked");
                    false
                }
                Err(Interrupted::Killed) => {
                    tracing::error!("on_stop abandoned past its deadline");
                    true
                }
                Ok(()) => false,
            };
            tracing::debug!(reason = %exit, "stopped");
            self.ctx.end_incarnation();
            if abandoned {
                // Past every deadline: it stops for good, as killed.
                return Some(ExitReason::Killed);
            }
            let Some(sup) = self.supervision.as_mut() else { return Some(exit) };
            // Between incarnations the mailbox takes messages for the next
            // one, also after a stop request ended this one (a Permanent
            // child restarts after a normal exit). The supervisor's directive,
            // not the request bits, ends the wait; a request made during the
            // wait applies to the next incarnation.
            self.inner.core.begin_restart();
            let Some(next) = sup.next(&exit).await else { return Some(exit) };
            *actor = next;
            let core = &self.inner.core;
            let restarts = core.restarts.fetch_add(1, Ordering::Relaxed) + 1;
            core.set_phase(STARTING);
            events::actor_restarted(self.ctx.system(), core, restarts, &exit);
            None
        }
    }

    /// Rejects what is queued after a kill. A supervised mailbox stays open
    /// for the next incarnation; the rest is closed, as
    /// [`reject_rest`](Self::reject_rest) does.
    fn reject_after_kill(&mut self) -> Option<Pin<Box<impl Future<Output = ()> + '_>>> {
        if self.supervision.is_none() {
            return self.reject_rest();
        }
        let (core, system) = (&self.inner.core, self.ctx.system());
        let n = self.mailbox.reject_queued(|ty| system.dead_letter(core, ty));
        core.count_dropped(n);
        None
    }

    /// Closes the mailbox and rejects everything in it. If a sender that
    /// already holds capacity may still send, the returned future (rare, so
    /// boxed) waits for it and rejects what it sends too.
    fn reject_rest(&mut self) -> Option<Pin<Box<impl Future<Output = ()> + '_>>> {
        let Runner { inner, ctx, mailbox, .. } = self;
        let (core, system) = (&inner.core, ctx.system());
        match mailbox.try_reject_all(|ty| system.dead_letter(core, ty)) {
            Ok(n) => {
                core.count_dropped(n);
                None
            }
            Err(n) => {
                core.count_dropped(n);
                Some(Box::pin(async move {
                    let n = mailbox.reject_all(|ty| system.dead_letter(core, ty)).await;
                    core.count_dropped(n);
                }))
            }
        }
    }

    /// Handles messages until a stop request, a kill, a panic or an exit.
    fn messages<'a>(&'a mut self, actor: &'a mut A) -> impl Future<Output = Ended> + 'a {
        async move {
            let mut notes = Receiving::default();
            loop {
                let env = match poll_fn(|cx| poll_next(&self.inner.core, &mut self.mailbox, &mut notes, cx)).await {
                    Next::Message(env) => env,
                    Next::Signal(s) => return Ended::Stop(s),
                };
                let s = self.inner.core.load();
                if s & KILL != 0 {
                    self.reject_one(env);
                    return Ended::Exit(ExitReason::Killed);
                }
                if s & STOP != 0 {
                    // A stop landed while this batch was being handled: the
                    // rest of the batch belongs to the drain (and counts as
                    // drained).
                    self.mailbox.unpop(env);
                    return Ended::Stop(s);
                }
                let (handling, message_type) = env.handle(actor, &mut self.ctx, &mut self.slot);
                let result = guarded(handling, &self.inner.core, KILL).await;
                // Only this task writes the counter.
                let processed = &self.inner.core.processed;
                processed.store(processed.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                match result {
                    Ok(()) => {
                        notes.answered |= self.ctx.is_request();
                        if let Some(exit) = self.ctx.end_message() {
                            return Ended::Exit(exit);
                        }
                    }
                    Err(Interrupted::Killed) => return Ended::Exit(killed_mid_message(&mut self.ctx)),
                    Err(Interrupted::Panicked(m)) => return Ended::Panicked(m, message_type),
                }
            }
        }
    }

    fn reject_one(&self, env: Envelope<A>) {
        let (core, system) = (&self.inner.core, self.ctx.system());
        mailbox::reject(env, &mut |ty| system.dead_letter(core, ty));
        core.count_dropped(1);
    }

    /// After a stop request that [`nothing_to_drain`] could not settle
    /// (`reason` is not `Killed`): handle everything queued, then stop. An
    /// unsupervised mailbox is closed first, so the drain is finite; a
    /// supervised one stays open (a restart may follow) and the drain covers
    /// what was queued when the stop was seen.
    async fn drain(&mut self, actor: &mut A, reason: ExitReason, supervised: bool) -> ExitReason {
        let mut budget = self.mailbox.len();
        let closed = !supervised;
        if closed {
            self.mailbox.close();
        }
        loop {
            let next = if closed {
                self.mailbox.next_closed().await
            } else if budget > 0 {
                budget -= 1;
                self.mailbox.try_next()
            } else {
                None
            };
            let Some(env) = next else { return reason };
            if self.inner.core.load() & KILL != 0 {
                self.reject_one(env);
                return ExitReason::Killed;
            }
            let exit = self.handle(actor, env).await;
            let core = &self.inner.core;
            core.processed.fetch_add(1, Ordering::Relaxed);
            core.drained.fetch_add(1, Ordering::Relaxed);
            if let Some(exit) = exit {
                return exit;
            }
        }
    }

    /// Handles one envelope during the drain. Returns the exit if the
    /// incarnation must end.
    async fn handle(&mut self, actor: &mut A, env: Envelope<A>) -> Option<ExitReason> {
        let core = &self.inner.core;
        let (handling, message_type) = env.handle(actor, &mut self.ctx, &mut self.slot);
        match guarded(handling, core, KILL).await {
            Ok(()) => self.ctx.end_message(),
            Err(Interrupted::Killed) => Some(killed_mid_message(&mut self.ctx)),
            // Rare: boxed, so the per-message state machine stays small.
            Err(Interrupted::Panicked(m)) => {
                Box::pin(Self::after_panic(core, actor, &mut self.ctx, m, message_type())).await
            }
        }
    }

    /// A handler panicked: fail its asker, then let `on_panic` decide.
    async fn after_panic(
        core: &Core,
        actor: &mut A,
        ctx: &mut Context<A>,
        message: String,
        message_type: &'static str,
    ) -> Option<ExitReason> {
        if let Some(slot) = ctx.take_reply() {
            slot.fail(AskError::Panicked(message.clone()));
        }
        tracing::error!(message_type, panic = %message, "handler panicked");
        let info = PanicInfo::new(message, message_type);
        let flow = {
            let mut fut = pin!(actor.on_panic(ctx, &info));
            guarded(fut.as_mut(), core, ABORT).await
        };
        match flow {
            Ok(ControlFlow::Continue(())) => ctx.take_exit(),
            Ok(ControlFlow::Break(())) => Some(ExitReason::Panicked(info.message().to_owned())),
            Err(Interrupted::Panicked(m2)) => {
                tracing::error!(panic = %m2, "on_panic panicked");
                Some(ExitReason::Panicked(info.message().to_owned()))
            }
            Err(Interrupted::Killed) => Some(ExitReason::Killed),
        }
    }

    /// The actor stopped for good and its leftovers were rejected: release
    /// its name and table entry, then `wait_for_stop` waiters.
    fn settle(&mut self, exit: ExitReason) {
        let (core, system) = (&self.inner.core, self.ctx.system());
        system.remove_cell(core);
        system.record_stop(core, &exit);
        events::actor_stopped(system, core, &exit);
        core.set_exit(exit);
    }
}

/// A kill ended the handler at an `.await`: its asker is told.
fn killed_mid_message<A: Actor>(ctx: &mut Context<A>) -> ExitReason {
    if let Some(slot) = ctx.take_reply() {
        slot.fail(AskError::Stopped);
    }
    ExitReason::Killed
}

impl<A: Actor> Drop for Runner<A> {
    fn drop(&mut self) {
        // `settle` ran: only it moves the phase to `STOPPED`.
        if self.inner.core.load() & PHASE_MASK == STOPPED {
            return;
        }
        // The runtime is going away (its tasks are dropped): settle the actor
        // so nobody waits on it forever.
        let (core, system) = (&self.inner.core, self.ctx.system());
        let n = self.mailbox.reject_now(|ty| system.dead_letter(core, ty));
        core.count_dropped(n);
        self.settle(ExitReason::Killed);
    }
}

#[cfg(all(test, not(actor_loom)))]
mod tests {
    use super::*;

    /// An actor as small as the benches' counter.
    struct Small {
        _count: u64,
    }

    impl Actor for Small {}

    impl crate::actor::Handler<u64> for Small {
        type Reply = ();
        async fn handle(&mut self, n: u64, _ctx: &mut Context<Self>) {
            self._count += n;
        }
    }

    /// The future of `actor`'s task, built as `spawn` builds it, without
    /// spawning it.
    fn task_size<A: Actor>(system: &ActorSystem, actor: A) -> usize {
        let (tx, rx) = chan::channel(A::MAILBOX);
        let handles = Inner::new(Core::new(system.next_id(), &mut SpawnOptions::<A>::default()), tx);
        let task = Runner::new(handles, system, rx, None).run(actor);
        let size = size_of_val(&task);
        // Dropped unpolled: the runner settles the actor.
        drop(task);
        size
    }

    // Every actor's shared cell must come from the blocks of cells: one
    // that outgrew a cell is allocated alone, and spawning slows by a third.
    #[test]
    fn an_actors_cell_is_carved_from_blocks() {
        assert!(crate::shared::Shared::<Inner<Small>>::is_carved());
    }

    // The parts of `Core` must each fill one cache line of the carved cell
    // (which starts on a line, with two 8-byte counts before `Inner`), or
    // the actor's counter writes evict what every send reads.
    #[test]
    fn the_cells_parts_fall_on_their_own_cache_lines() {
        use std::mem::offset_of;
        let core = 16 + offset_of!(Inner<Small>, core);
        assert_eq!(core + offset_of!(Core, control), 64);
        assert_eq!(core + offset_of!(Core, stopped), 128);
        assert_eq!(16 + size_of::<Inner<Small>>(), 192);
    }

    // A busy actor takes `TELL_BATCH` tells per channel operation, and only
    // `ASK_BATCH` after a batch that answered an ask.
    #[tokio::test]
    async fn a_batch_after_an_ask_is_smaller() {
        let system = ActorSystem::new();
        let core = Core::new(system.next_id(), &mut SpawnOptions::<Small>::default());
        let (tx, rx) = chan::channel(256);
        let queued = || 256 - tx.capacity();
        for n in 0..200 {
            tx.try_send(Envelope::<Small>::tell(n)).expect("space");
        }
        let mut mailbox = MailboxRx::new(rx);
        let mut notes = Receiving::default();
        let waker = std::task::Waker::noop();
        let mut cx = TaskContext::from_waker(waker);
        let mut next =
            |mailbox: &mut MailboxRx<Small>, notes: &mut Receiving| match poll_next(&core, mailbox, notes, &mut cx) {
                Poll::Ready(Next::Message(env)) => env,
                _ => panic!("a message is queued"),
            };
        // The first message after idling comes alone.
        drop(next(&mut mailbox, &mut notes));
        assert_eq!(queued(), 199);
        // More right behind it: a burst, the first of it alone, then a batch.
        drop(next(&mut mailbox, &mut notes));
        assert_eq!(queued(), 199 - 1 - TELL_BATCH);
        while mailbox.pop_local().is_some() {}
        // The loop notes that the batch answered an ask.
        notes.answered = true;
        drop(next(&mut mailbox, &mut notes));
        assert_eq!(queued(), 199 - 1 - TELL_BATCH - ASK_BATCH);
        while mailbox.pop_local().is_some() {}
        // Only tells since: full batches again.
        drop(next(&mut mailbox, &mut notes));
        assert_eq!(queued(), 199 - 1 - 2 * TELL_BATCH - ASK_BATCH);
    }

    // A small actor's task must fit tokio's 384-byte task cell (the cell
    // adds 104 bytes to the future), as the `spawn` bench's numbers assume.
    #[tokio::test]
    async fn a_small_actors_task_fits_a_384_byte_cell() {
        let system = ActorSystem::new();
        let size = task_size(&system, Small { _count: 0 });
        assert!(size <= 384 - 104, "a small actor's task future is {size} bytes");
    }
}
