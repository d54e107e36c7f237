//! Model checks of the runtime's own concurrency protocols.
//!
//! Each `loom_*` module checks one protocol on the real code: under
//! `RUSTFLAGS="--cfg actor_loom"` every model runs under `loom::model`,
//! which explores the interleavings of its (at most three) threads; in a
//! normal build each model runs once on OS threads, so it cannot rot. The
//! protocols, their invariants and the commands are listed in
//! `CONCURRENCY.md` at the repository root.

mod loom_blocks;
mod loom_mailbox;
mod loom_registry;
mod loom_reply;
mod loom_restart;
mod loom_status;
mod loom_topic;

use std::future::poll_fn;

use crate::actor::{Actor, ExitReason, Handler};
use crate::actor_ref::ActorId;
use crate::context::Context;
use crate::loom::chan;
use crate::loom::check::block_on;
use crate::mailbox::MailboxRx;
use crate::runner::{
    Core, Ended, Inner, KILL, Next, Receiving, STOP, STOPPING, SpawnOptions, nothing_to_drain, poll_next, stop_reason,
};
use crate::shared::Shared;

/// The actor type of the models; its handlers never run (the models count
/// envelopes, they do not need a context).
pub(crate) struct Probe;

impl Actor for Probe {}

/// A numbered message.
pub(crate) struct Ping(pub(crate) u32);

impl Handler<Ping> for Probe {
    type Reply = u32;

    async fn handle(&mut self, Ping(n): Ping, _ctx: &mut Context<Self>) -> u32 {
        n
    }
}

/// An actor cell (core, sending side, one counted handle) and its mailbox,
/// built as `runner::spawn` builds them, without a task.
pub(crate) fn cell(id: u64, capacity: usize) -> (Shared<Inner<Probe>>, MailboxRx<Probe>) {
    let (tx, rx) = chan::channel(capacity);
    let core = Core::new::<Probe>(ActorId::new(id), &mut SpawnOptions::default());
    let [inner] = Inner::new(core, tx);
    (inner, MailboxRx::new(rx))
}

/// What the modelled runner did.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    pub(crate) exit: Option<ExitReason>,
    /// Envelopes that reached the handler, in arrival order.
    pub(crate) handled: usize,
    /// Envelopes rejected (dead letters, failed asks).
    pub(crate) rejected: usize,
    pub(crate) on_stop: usize,
}

/// One unsupervised incarnation of the message loop and its stop path, on
/// the real status word and mailbox: the next-message wait
/// (`runner::poll_next`), the per-envelope KILL/STOP checks and the drain of
/// `Runner::messages` and `Runner::drain` (its fast path,
/// `runner::nothing_to_drain`, included), the kill rejection, `on_stop`,
/// then the final rejection of `Runner::run`.
/// Handling an envelope is counting it: handlers need a live system.
pub(crate) fn run_unsupervised(core: &Core, mailbox: &mut MailboxRx<Probe>) -> Outcome {
    let mut out = Outcome::default();
    // One future for the whole loop, as the runner's task: its waker stays
    // registered between idle waits (`Receiving::armed`).
    let ended = block_on(async {
        let mut notes = Receiving::default();
        loop {
            let env = match poll_fn(|cx| poll_next(core, mailbox, &mut notes, cx)).await {
                Next::Message(env) => env,
                Next::Signal(s) => return Ended::Stop(s),
            };
            let s = core.load();
            if s & KILL != 0 {
                reject(env, &mut out);
                return Ended::Exit(ExitReason::Killed);
            }
            if s & STOP != 0 {
                mailbox.unpop(env);
                return Ended::Stop(s);
            }
            out.handled += 1;
        }
    });
    let exit = match ended {
        Ended::Exit(exit) => exit,
        Ended::Stop(s) => drain(core, mailbox, s, &mut out),
        Ended::Panicked(..) => unreachable!("the model's handlers do not panic"),
    };
    if exit == ExitReason::Killed {
        out.rejected += block_on(mailbox.reject_all(|_| {})) as usize;
    }
    core.set_phase(STOPPING);
    out.on_stop += 1;
    out.rejected += block_on(mailbox.reject_all(|_| {})) as usize;
    core.set_exit(exit.clone());
    out.exit = Some(exit);
    out
}

fn reject(env: crate::mailbox::Envelope<Probe>, out: &mut Outcome) {
    let _tell = env.reject();
    out.rejected += 1;
}

fn drain(core: &Core, mailbox: &mut MailboxRx<Probe>, signal: u32, out: &mut Outcome) -> ExitReason {
    let reason = stop_reason(signal);
    if reason == ExitReason::Killed || nothing_to_drain(core, mailbox, false) {
        return reason;
    }
    mailbox.close();
    while let Some(env) = block_on(mailbox.next_closed()) {
        if core.load() & KILL != 0 {
            reject(env, out);
            return ExitReason::Killed;
        }
        out.handled += 1;
    }
    reason
}
