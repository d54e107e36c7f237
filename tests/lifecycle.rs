//! Lifecycle order: `on_start` finishes before the first message, `on_stop`
//! runs exactly once (also after a failed start) and nothing of the actor
//! runs after it; `ctx.fail` and panics end the actor with the right reason;
//! `on_panic` returning `Continue` keeps it alive.

use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};

use actor_core::prelude::*;
use actor_core::{ActorStatus, PanicInfo};
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

type Log = Arc<Mutex<Vec<String>>>;

fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

/// Logs every hook and message. `on_start` waits for a gate if given one,
/// and fails with `start_error` if set.
#[derive(Default)]
struct Life {
    log: Log,
    start_gate: Option<oneshot::Receiver<()>>,
    start_error: Option<&'static str>,
    survive_panics: bool,
}

impl Life {
    fn push(&self, entry: impl Into<String>) {
        self.log.lock().unwrap().push(entry.into());
    }
}

impl Actor for Life {
    const MAILBOX: usize = 16;

    async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.push("start begins");
        if let Some(gate) = self.start_gate.take() {
            let _ = gate.await;
        }
        if let Some(e) = self.start_error {
            return Err(e.into());
        }
        self.push("start ends");
        Ok(())
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        tokio::task::yield_now().await;
        self.push(format!("stop: {reason}"));
    }

    async fn on_panic(&mut self, _ctx: &mut Context<Self>, panic: &PanicInfo) -> ControlFlow<()> {
        self.push(format!("panic: {}", panic.message()));
        if self.survive_panics { ControlFlow::Continue(()) } else { ControlFlow::Break(()) }
    }
}

struct Note(u32);

impl Handler<Note> for Life {
    type Reply = u32;
    async fn handle(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> u32 {
        self.push(format!("note {n}"));
        n
    }
}

struct Fail(&'static str);

impl Handler<Fail> for Life {
    type Reply = &'static str;
    async fn handle(&mut self, Fail(why): Fail, ctx: &mut Context<Self>) -> &'static str {
        self.push("fail");
        ctx.fail(why);
        "failing"
    }
}

struct Boom;

impl Handler<Boom> for Life {
    type Reply = ();
    async fn handle(&mut self, _: Boom, _ctx: &mut Context<Self>) {
        panic!("kaboom");
    }
}

// Breaks if a message is handled before on_start finished, or on_stop is not the last thing the actor does.
#[tokio::test]
async fn on_start_precedes_every_message_and_on_stop_is_last_and_once() {
    let system = ActorSystem::new();
    let (gate_tx, gate_rx) = oneshot::channel();
    let life = Life { start_gate: Some(gate_rx), ..Life::default() };
    let log = life.log.clone();
    let actor = system.spawn(life).unwrap();
    // Queued while on_start is still waiting.
    for n in 1..=3 {
        actor.tell(Note(n)).await.unwrap();
    }
    tokio::task::yield_now().await;
    assert_eq!(actor.status(), ActorStatus::Starting);
    assert_eq!(entries(&log), ["start begins"]);
    gate_tx.send(()).unwrap();

    assert_eq!(within(actor.ask(Note(4))).await, Ok(4));
    assert_eq!(actor.status(), ActorStatus::Running);
    actor.stop();
    actor.stop();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);
    let expected = ["start begins", "start ends", "note 1", "note 2", "note 3", "note 4", "stop: normal"];
    assert_eq!(entries(&log), expected);

    // Nothing runs after on_stop.
    assert!(actor.try_tell(Note(5)).is_err());
    assert!(within(actor.tell(Note(6))).await.is_err());
    assert_eq!(within(actor.ask(Note(7))).await, Err(AskError::Stopped));
    actor.kill();
    tokio::task::yield_now().await;
    assert_eq!(entries(&log), expected);
    assert_eq!(actor.status(), ActorStatus::Stopped);
    within(system.shutdown()).await;
}

/// Hooks whose futures hold a large buffer across an `.await`: too big for
/// the runner's in-place slot, so they run boxed.
#[derive(Default)]
struct Heavy {
    log: Log,
}

impl Actor for Heavy {
    async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let buffer = std::hint::black_box([7u8; 1024]);
        tokio::task::yield_now().await;
        self.log.lock().unwrap().push(format!("start {}", buffer.iter().map(|&b| u32::from(b)).sum::<u32>()));
        Ok(())
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        let buffer = std::hint::black_box([1u8; 1024]);
        tokio::task::yield_now().await;
        self.log.lock().unwrap().push(format!("stop {reason} {}", buffer.len()));
    }
}

impl Handler<Note> for Heavy {
    type Reply = u32;

    async fn handle(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> u32 {
        self.log.lock().unwrap().push(format!("note {n}"));
        n
    }
}

// Breaks if a hook future too large to run in place is cut short or runs out of order.
#[tokio::test]
async fn hooks_with_large_futures_run_whole_and_in_order() {
    let system = ActorSystem::new();
    let heavy = Heavy::default();
    let log = heavy.log.clone();
    let actor = system.spawn(heavy).unwrap();
    assert_eq!(within(actor.ask(Note(1))).await, Ok(1));
    actor.stop();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(entries(&log), ["start 7168", "note 1", "stop normal 1024"]);
    within(system.shutdown()).await;
}

// Breaks if a failed on_start skips on_stop, loses the error text, or handles queued messages.
#[tokio::test]
async fn on_stop_runs_after_a_failed_on_start() {
    let system = ActorSystem::new();
    let (gate_tx, gate_rx) = oneshot::channel();
    let life = Life { start_gate: Some(gate_rx), start_error: Some("no config"), ..Life::default() };
    let log = life.log.clone();
    let actor = system.spawn(life).unwrap();
    actor.tell(Note(1)).await.unwrap();
    actor.tell(Note(2)).await.unwrap();
    gate_tx.send(()).unwrap();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Failed("no config".to_owned()));
    assert_eq!(entries(&log), ["start begins", "stop: failed: no config"]);
    assert_eq!(system.dead_letters(), 2, "messages queued for a failed actor are dead letters");
    within(system.shutdown()).await;
}

// Breaks if ctx.fail does not end the actor with Failed, or the failing handler's asker gets no reply.
#[tokio::test]
async fn ctx_fail_ends_the_actor_with_failed() {
    let system = ActorSystem::new();
    let life = Life::default();
    let log = life.log.clone();
    let actor = system.spawn(life).unwrap();
    assert_eq!(within(actor.ask(Fail("disk full"))).await, Ok("failing"));
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Failed("disk full".to_owned()));
    assert_eq!(entries(&log), ["start begins", "start ends", "fail", "stop: failed: disk full"]);
    within(system.shutdown()).await;
}

// Breaks if an on_panic Continue still stops the actor, or loses the messages behind the panic.
#[tokio::test]
async fn on_panic_continue_keeps_the_actor_alive() {
    let system = ActorSystem::new();
    let life = Life { survive_panics: true, ..Life::default() };
    let log = life.log.clone();
    let actor = system.spawn(life).unwrap();
    actor.tell(Boom).await.unwrap();
    actor.tell(Note(1)).await.unwrap();
    assert_eq!(within(actor.ask(Boom)).await, Err(AskError::Panicked("kaboom".to_owned())));
    assert_eq!(within(actor.ask(Note(2))).await, Ok(2));
    assert!(actor.is_alive());
    assert_eq!(actor.metrics().processed, 4, "a panicked message counts as processed");
    actor.stop();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(
        entries(&log),
        ["start begins", "start ends", "panic: kaboom", "note 1", "panic: kaboom", "note 2", "stop: normal"]
    );
    within(system.shutdown()).await;
}

// Breaks if the default on_panic (Break) keeps the actor running, or skips on_stop.
#[tokio::test]
async fn on_panic_break_stops_the_actor_with_panicked() {
    let system = ActorSystem::new();
    let life = Life::default();
    let log = life.log.clone();
    let actor = system.spawn(life).unwrap();
    actor.tell(Boom).await.unwrap();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Panicked("kaboom".to_owned()));
    assert_eq!(entries(&log), ["start begins", "start ends", "panic: kaboom", "stop: panicked: kaboom"]);
    within(system.shutdown()).await;
}

/// Panics in `on_start`.
struct BadStart {
    log: Log,
}

impl Actor for BadStart {
    async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        panic!("cannot start");
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        self.log.lock().unwrap().push(format!("stop: {reason}"));
    }
}

// Breaks if a panic in on_start escapes, or skips on_stop.
#[tokio::test]
async fn a_panic_in_on_start_is_caught_and_on_stop_runs() {
    let system = ActorSystem::new();
    let log = Log::default();
    let actor = system.spawn(BadStart { log: log.clone() }).unwrap();
    assert_eq!(within(actor.wait_for_stop()).await, ExitReason::Panicked("cannot start".to_owned()));
    assert_eq!(entries(&log), ["stop: panicked: cannot start"]);
    within(system.shutdown()).await;
}
