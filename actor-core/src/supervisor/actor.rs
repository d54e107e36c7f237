//! The supervisor actor: starts, restarts and stops its children.
//!
//! Everything that changes the set of children happens inside this actor's
//! handlers, one at a time. Children report exits by message; the
//! supervisor waits on their phase channels (never on its own mailbox) when
//! it stops them, so it cannot deadlock on a child that reports an exit.

use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::actor::{Actor, BoxError, ExitReason, Handler};
use crate::actor_ref::{ActorId, ActorRef, ActorStatus, WeakActorRef};
use crate::context::Context;
use crate::error::SupervisorError;
use crate::events;
use crate::loom::sync::Arc;
use crate::system::ActorSystem;

use super::link::{ChildHandle, ChildLink, DirectiveKind};
use super::planner;
use super::window::RestartWindow;
use super::{ChildInfo, ChildSpec, ChildTable, Restart, Shutdown, SupervisorBuilder};

/// The parent a child is started under.
pub(crate) struct Parent {
    pub(crate) id: ActorId,
    pub(crate) weak: WeakActorRef<SupervisorActor>,
}

/// A freshly started child.
pub(crate) struct Started {
    pub(crate) handle: Box<dyn ChildHandle>,
    pub(crate) link: Arc<ChildLink>,
}

/// A child reports that an incarnation ended.
pub(crate) struct ChildExited {
    pub(crate) link: Arc<ChildLink>,
    pub(crate) incarnation: u64,
    pub(crate) exit: ExitReason,
}

/// `SupervisorRef::start_child`.
pub(crate) struct StartChild(pub(crate) ChildSpec);

/// `SupervisorRef::terminate_child`.
pub(crate) struct TerminateChild(pub(crate) String);

/// `SupervisorRef::restart_child`.
pub(crate) struct RestartChild(pub(crate) String);

/// `SupervisorRef::delete_child`.
pub(crate) struct DeleteChild(pub(crate) String);

/// `SupervisorRef::which_children`.
pub(crate) struct WhichChildren;

/// A running child: its handle, link and where its incarnation is.
struct Run {
    handle: Box<dyn ChildHandle>,
    link: Arc<ChildLink>,
    incarnation: u64,
    /// The current incarnation ended and its exit is being (or was) decided.
    exited: bool,
    started_at: Instant,
}

impl Run {
    /// Between incarnations: its exit is being decided, or the next
    /// incarnation waits for its backoff or is still in `on_start`.
    fn is_restarting(&self) -> bool {
        match self.handle.core().status() {
            ActorStatus::Restarting => true,
            ActorStatus::Starting => self.incarnation > 0,
            _ => self.exited,
        }
    }
}

struct Child {
    spec: ChildSpec,
    run: Option<Run>,
    /// Consecutive restarts, for the backoff.
    failures: u32,
    seed: u64,
}

pub(crate) struct SupervisorActor {
    cfg: SupervisorBuilder,
    window: RestartWindow,
    children: Vec<Child>,
    table: ChildTable,
    root: bool,
    keep_alive: Option<ActorRef<SupervisorActor>>,
    ready: Option<oneshot::Sender<Result<(), SupervisorError>>>,
    escalated: Option<SupervisorError>,
}

impl SupervisorActor {
    pub(crate) fn new(
        cfg: SupervisorBuilder,
        table: ChildTable,
        root: bool,
        ready: Option<oneshot::Sender<Result<(), SupervisorError>>>,
    ) -> Self {
        let window = RestartWindow::new(cfg.max_restarts, cfg.period);
        SupervisorActor { cfg, window, children: Vec::new(), table, root, keep_alive: None, ready, escalated: None }
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.children.iter().position(|c| c.spec.id() == id)
    }

    /// The index of child `id`, which must exist and be stopped (neither
    /// running nor between incarnations).
    fn stopped_child(&self, id: String) -> Result<usize, SupervisorError> {
        let Some(i) = self.index(&id) else { return Err(SupervisorError::NotFound(id)) };
        match self.children[i].run.as_ref() {
            Some(run) if run.is_restarting() => Err(SupervisorError::Restarting(id)),
            Some(_) => Err(SupervisorError::Running(id)),
            None => Ok(i),
        }
    }

    fn parent(ctx: &Context<Self>) -> Parent {
        Parent { id: ctx.id(), weak: ctx.myself().downgrade() }
    }

    /// Starts a child from its spec and waits for its `on_start`.
    async fn start(&mut self, ctx: &Context<Self>, spec: ChildSpec) -> Result<ActorId, SupervisorError> {
        let id = spec.id().to_owned();
        let failed = |reason: ExitReason| SupervisorError::StartFailed { id: id.clone(), reason: reason.to_string() };
        let started = spec.starter().start(ctx.system(), &id, &Self::parent(ctx)).map_err(failed)?;
        let core = started.handle.core();
        let actor_id = core.id;
        if let Err(reason) = started.link.wait_started(0, core).await {
            started.link.direct(0, DirectiveKind::Stop);
            core.wait_stopped().await;
            return Err(failed(reason));
        }
        self.table.insert(&id, started.handle.table_entry(), spec.starter().type_name());
        let run = Run {
            handle: started.handle,
            link: started.link,
            incarnation: 0,
            exited: false,
            started_at: Instant::now(),
        };
        match self.index(&id) {
            Some(i) => {
                self.children[i].run = Some(run);
                self.children[i].failures = 0;
            }
            None => self.children.push(Child { spec, run: Some(run), failures: 0, seed: actor_id.get() }),
        }
        Ok(actor_id)
    }

    /// Stops child `i` for good, per its shutdown policy.
    async fn stop_for_good(&mut self, ctx: &Context<Self>, i: usize) {
        let policy = self.children[i].spec.shutdown_policy();
        let Some(run) = self.children[i].run.take() else { return };
        self.table.remove(self.children[i].spec.id());
        run.link.direct(run.incarnation, DirectiveKind::Stop);
        let core = run.handle.core();
        if run.exited {
            core.wait_stopped().await;
            return;
        }
        stop_with_policy(ctx.system(), core, policy, core.wait_stopped()).await;
    }

    /// Ends child `i`'s current incarnation so that it can be restarted:
    /// a running one is stopped per its policy, one waiting for a restart
    /// is held.
    async fn stop_for_restart(&mut self, ctx: &Context<Self>, i: usize) {
        let policy = self.children[i].spec.shutdown_policy();
        let Some(run) = self.children[i].run.as_mut() else { return };
        run.link.direct(run.incarnation, DirectiveKind::Hold);
        if run.exited {
            return;
        }
        run.exited = true;
        let core = run.handle.core();
        let link = run.link.clone();
        let inc = run.incarnation;
        let unresponsive = stop_with_policy(ctx.system(), core, policy, link.wait_ended(inc, core)).await;
        if unresponsive || core.status() == ActorStatus::Stopped {
            // It cannot be restarted in place any more.
            let run = self.children[i].run.take();
            self.table.remove(self.children[i].spec.id());
            drop(run);
        }
    }

    /// Lets child `i`'s next incarnation start after `delay`; with `wait`,
    /// returns once it started (or failed to).
    async fn resume(&mut self, i: usize, delay: Duration, wait: bool) {
        let Some(run) = self.children[i].run.as_mut() else { return };
        let inc = run.incarnation;
        run.incarnation += 1;
        run.exited = false;
        run.started_at = Instant::now() + delay;
        run.link.direct(inc, DirectiveKind::Restart(delay));
        if wait {
            let link = run.link.clone();
            let _ = link.wait_started(inc + 1, run.handle.core()).await;
        }
    }

    /// Stops every child in reverse start order.
    async fn stop_all(&mut self, ctx: &Context<Self>) {
        for i in (0..self.children.len()).rev() {
            self.stop_for_good(ctx, i).await;
        }
    }

    /// Decides what an ended incarnation of child `i` leads to.
    async fn on_exit(&mut self, ctx: &mut Context<Self>, i: usize, exit: ExitReason) {
        let restart_type = self.children[i].spec.restart_type();
        let stopping = ctx.core().status() != ActorStatus::Running;
        let restart = !stopping
            && match restart_type {
                Restart::Permanent => true,
                Restart::Transient => !exit.is_normal(),
                Restart::Temporary => false,
            };
        if !restart {
            self.stop_for_good(ctx, i).await;
            if restart_type == Restart::Temporary {
                self.children.remove(i);
            }
            return;
        }
        if !self.window.record(Instant::now()) {
            let id = self.children[i].spec.id().to_owned();
            let error = SupervisorError::IntensityExceeded {
                supervisor: ctx.name().to_owned(),
                max_restarts: self.window.max(),
                period: self.window.period(),
                last: id,
                reason: exit.to_string(),
            };
            tracing::error!(supervisor = %ctx.name(), %error, "restart intensity exceeded");
            // Refuse new requests before waiting on the children: a child
            // that asks this supervisor while it is being stopped must get
            // `Stopped`, not a request queued behind this very handler.
            ctx.core().request_stop(true);
            self.stop_all(ctx).await;
            self.escalated = Some(error.clone());
            ctx.fail(error);
            return;
        }
        let plan = planner::plan(self.cfg.strategy, i, self.children.len(), |k| {
            self.children[k].spec.restart_type() == Restart::Temporary
        });
        for &k in &plan.stop {
            self.stop_for_restart(ctx, k).await;
        }
        let child = &mut self.children[i];
        let stable = self.cfg.backoff.stable_period();
        if let (Some(stable), Some(run)) = (stable, child.run.as_ref()) {
            if run.started_at.elapsed() >= stable {
                child.failures = 0;
            }
        }
        child.failures = child.failures.saturating_add(1);
        let delay = self.cfg.backoff.delay(child.failures, child.seed);
        if plan.restart.len() == 1 {
            self.resume(i, delay, false).await;
        } else {
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            for &k in &plan.restart {
                self.resume(k, Duration::ZERO, true).await;
            }
        }
        // Temporary siblings stopped by the plan are removed.
        let mut k = self.children.len();
        while k > 0 {
            k -= 1;
            if plan.stop.contains(&k) && !plan.restart.contains(&k) {
                self.stop_for_good(ctx, k).await;
                self.children.remove(k);
            }
        }
    }

    fn info(&self) -> Vec<ChildInfo> {
        self.children
            .iter()
            .map(|c| {
                let core = c.run.as_ref().map(|r| r.handle.core());
                ChildInfo {
                    id: c.spec.id().to_owned(),
                    actor: core.map(|k| k.id),
                    kind: c.spec.kind(),
                    restart: c.spec.restart_type(),
                    status: core.map(|k| k.status()),
                    restarts: core.map_or(0, |k| k.restarts.load(crate::loom::sync::atomic::Ordering::Relaxed)),
                }
            })
            .collect()
    }
}

/// Stops an actor per `policy`, with `ended` telling when it is done.
/// Returns true if it was unresponsive (abandoned, `on_stop` included).
async fn stop_with_policy(
    system: &ActorSystem,
    core: &crate::runner::Core,
    policy: Shutdown,
    ended: impl std::future::Future,
) -> bool {
    let mut ended = std::pin::pin!(ended);
    match policy {
        Shutdown::Brutal => {
            core.kill();
            ended.await;
            false
        }
        Shutdown::Infinity => {
            core.request_stop(true);
            ended.await;
            false
        }
        Shutdown::Timeout(d) => {
            core.request_stop(true);
            if tokio::time::timeout(d, ended.as_mut()).await.is_ok() {
                return false;
            }
            tracing::warn!(actor.id = core.id.get(), actor.name = %core.name, "shutdown deadline passed; killing");
            system.note_killed(core.id);
            core.kill();
            if tokio::time::timeout(d, ended.as_mut()).await.is_ok() {
                return false;
            }
            tracing::error!(actor.id = core.id.get(), actor.name = %core.name, "unresponsive; abandoning it");
            system.note_unresponsive(core);
            core.abort();
            true
        }
    }
}

impl Actor for SupervisorActor {
    const MAILBOX: usize = 256;

    fn name() -> &'static str {
        "supervisor"
    }

    async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        if self.root {
            self.keep_alive = Some(ctx.myself());
        }
        // Every incarnation is a new actor without children, but the table
        // is shared with the handles and may still list the last one's.
        self.table.clear();
        for spec in self.cfg.children.clone() {
            if let Err(error) = self.start(ctx, spec).await {
                self.stop_all(ctx).await;
                if let Some(ready) = self.ready.take() {
                    let _ = ready.send(Err(error.clone()));
                }
                self.keep_alive = None;
                return Err(Box::new(error));
            }
        }
        if let Some(ready) = self.ready.take() {
            let _ = ready.send(Ok(()));
        }
        Ok(())
    }

    async fn on_stop(&mut self, ctx: &mut Context<Self>, _reason: &ExitReason) {
        self.stop_all(ctx).await;
        self.table.clear();
        self.keep_alive = None;
        if let Some(error) = self.escalated.take() {
            let text = error.to_string();
            events::supervisor_escalated(ctx.system(), ctx.name(), &text);
            if self.root {
                let system = ctx.system().clone();
                let cause = crate::ShutdownCause::Escalated { supervisor: ctx.name().to_owned(), reason: text };
                tokio::spawn(async move {
                    system.shutdown_with(cause).await;
                });
            }
        }
    }
}

impl Handler<ChildExited> for SupervisorActor {
    type Reply = ();

    async fn handle(&mut self, msg: ChildExited, ctx: &mut Context<Self>) {
        let current = self.children.iter().position(|c| {
            c.run
                .as_ref()
                .is_some_and(|r| Arc::ptr_eq(&r.link, &msg.link) && r.incarnation == msg.incarnation && !r.exited)
        });
        let Some(i) = current else { return };
        if let Some(run) = self.children[i].run.as_mut() {
            run.exited = true;
        }
        self.on_exit(ctx, i, msg.exit).await;
    }
}

impl Handler<StartChild> for SupervisorActor {
    type Reply = Result<ActorId, SupervisorError>;

    async fn handle(&mut self, StartChild(spec): StartChild, ctx: &mut Context<Self>) -> Self::Reply {
        if self.index(spec.id()).is_some() {
            return Err(SupervisorError::AlreadyPresent(spec.id().to_owned()));
        }
        self.start(ctx, spec).await
    }
}

impl Handler<TerminateChild> for SupervisorActor {
    type Reply = Result<(), SupervisorError>;

    async fn handle(&mut self, TerminateChild(id): TerminateChild, ctx: &mut Context<Self>) -> Self::Reply {
        let Some(i) = self.index(&id) else { return Err(SupervisorError::NotFound(id)) };
        self.stop_for_good(ctx, i).await;
        if self.children[i].spec.restart_type() == Restart::Temporary {
            self.children.remove(i);
        }
        Ok(())
    }
}

impl Handler<RestartChild> for SupervisorActor {
    type Reply = Result<ActorId, SupervisorError>;

    async fn handle(&mut self, RestartChild(id): RestartChild, ctx: &mut Context<Self>) -> Self::Reply {
        let i = self.stopped_child(id)?;
        let spec = self.children[i].spec.clone();
        self.start(ctx, spec).await
    }
}

impl Handler<DeleteChild> for SupervisorActor {
    type Reply = Result<(), SupervisorError>;

    async fn handle(&mut self, DeleteChild(id): DeleteChild, _ctx: &mut Context<Self>) -> Self::Reply {
        let i = self.stopped_child(id)?;
        self.children.remove(i);
        Ok(())
    }
}

impl Handler<WhichChildren> for SupervisorActor {
    type Reply = Vec<ChildInfo>;

    async fn handle(&mut self, _: WhichChildren, _ctx: &mut Context<Self>) -> Vec<ChildInfo> {
        self.info()
    }
}
