//! Ask failures: every way an ask can fail ends in an error at once, never a
//! hang: a stopped actor, a kill mid-handler, a panicking handler, a dropped
//! `ReplySender`, a deadline (zero included), a failed start.

use std::future::IntoFuture;
use std::ops::ControlFlow;
use std::pin::pin;
use std::time::Duration;

use actor_core::PanicInfo;
use actor_core::prelude::*;
use futures::{FutureExt, poll};
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

#[derive(Default)]
struct Worker {
    handled: u64,
    held: Option<ReplySender<u64>>,
}

impl Actor for Worker {
    const MAILBOX: usize = 8;
}

/// Holds its handler until the gate fires (or forever if it never does).
struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Worker {
    type Reply = u64;
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) -> u64 {
        let _ = started.send(());
        let _ = gate.await;
        self.handled += 1;
        self.handled
    }
}

struct Echo(u64);

impl Handler<Echo> for Worker {
    type Reply = u64;
    async fn handle(&mut self, Echo(n): Echo, _ctx: &mut Context<Self>) -> u64 {
        self.handled += 1;
        n
    }
}

struct Handled;

impl Handler<Handled> for Worker {
    type Reply = u64;
    async fn handle(&mut self, _: Handled, _ctx: &mut Context<Self>) -> u64 {
        self.handled
    }
}

struct Boom(u64);

impl Handler<Boom> for Worker {
    type Reply = u64;
    async fn handle(&mut self, Boom(n): Boom, _ctx: &mut Context<Self>) -> u64 {
        panic!("boom {n}");
    }
}

/// Takes the reply for later and drops it unsent.
struct Forget;

impl Handler<Forget> for Worker {
    type Reply = u64;
    async fn handle(&mut self, _: Forget, ctx: &mut Context<Self>) -> u64 {
        drop(ctx.reply_later::<u64>());
        7
    }
}

/// Answers from another task, after the handler returned.
struct Later(u64);

impl Handler<Later> for Worker {
    type Reply = u64;
    async fn handle(&mut self, Later(n): Later, ctx: &mut Context<Self>) -> u64 {
        let reply = ctx.reply_later::<u64>();
        tokio::spawn(async move {
            tokio::task::yield_now().await;
            reply.send(n * 2).unwrap();
        });
        0
    }
}

/// Keeps the reply in the actor's state.
struct Hold;

impl Handler<Hold> for Worker {
    type Reply = u64;
    async fn handle(&mut self, _: Hold, ctx: &mut Context<Self>) -> u64 {
        self.held = Some(ctx.reply_later::<u64>());
        0
    }
}

/// Hands its reply out through the sender, then does what `Then` says.
struct HandOut(std::sync::mpsc::Sender<ReplySender<u64>>, Then);

/// What a [`HandOut`] handler does after handing its reply out.
enum Then {
    Panic,
    /// Waits until the gate fires or is dropped.
    Wait(oneshot::Receiver<()>),
}

impl Handler<HandOut> for Worker {
    type Reply = u64;
    async fn handle(&mut self, HandOut(out, then): HandOut, ctx: &mut Context<Self>) -> u64 {
        out.send(ctx.reply_later::<u64>()).unwrap();
        match then {
            Then::Panic => panic!("after handing out the reply"),
            Then::Wait(gate) => {
                let _ = gate.await;
                0
            }
        }
    }
}

/// Takes the reply for later twice and answers through the first.
struct Twice;

impl Handler<Twice> for Worker {
    type Reply = u64;
    async fn handle(&mut self, _: Twice, ctx: &mut Context<Self>) -> u64 {
        let first = ctx.reply_later::<u64>();
        let second = ctx.reply_later::<u64>();
        // The second is a sink: the asker is not answered through it.
        assert_eq!(second.send(1), Ok(()));
        first.send(2).unwrap();
        0
    }
}

/// Sends the held reply; answers whether it came back (`Err(value)`).
struct Release(u64);

impl Handler<Release> for Worker {
    type Reply = (bool, Result<(), u64>);
    async fn handle(&mut self, Release(n): Release, _ctx: &mut Context<Self>) -> Self::Reply {
        let held = self.held.take().expect("a held reply");
        let closed = held.is_closed();
        (closed, held.send(n))
    }
}

// Breaks if asking a stopped actor waits instead of failing with Stopped.
#[tokio::test]
async fn ask_on_a_stopped_actor_is_stopped() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    worker.stop();
    assert_eq!(within(worker.wait_for_stop()).await, ExitReason::Normal);
    assert_eq!(within(worker.ask(Echo(1))).await, Err(AskError::Stopped));
    assert_eq!(within(worker.try_ask(Echo(1))).await, Err(AskError::Stopped));
    assert_eq!(within(worker.ask(Echo(1)).timeout(Duration::from_secs(60))).await, Err(AskError::Stopped));
    within(system.shutdown()).await;
}

// Breaks if a kill leaves the asker of the running handler, or of queued asks, waiting.
#[tokio::test]
async fn ask_on_an_actor_killed_mid_handler_is_stopped() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (_gate, gate_rx) = oneshot::channel::<()>();
    let w = worker.clone();
    let running = tokio::spawn(async move { w.ask(Block { started: started_tx, gate: gate_rx }).await });
    within(started_rx).await.unwrap();

    let mut queued = pin!(worker.ask(Echo(2)).into_future());
    assert!(poll!(queued.as_mut()).is_pending(), "the second ask waits behind the blocked handler");
    worker.kill();

    assert_eq!(within(running).await.unwrap(), Err(AskError::Stopped));
    assert_eq!(within(queued).await, Err(AskError::Stopped));
    assert_eq!(within(worker.wait_for_stop()).await, ExitReason::Killed);
    within(system.shutdown()).await;
}

// Breaks if a panicking handler hangs its asker, loses the panic text, or disturbs other actors.
#[tokio::test]
async fn ask_on_a_panicking_handler_is_panicked_with_the_text() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let bystander = system.spawn(Worker::default()).unwrap();

    let err = within(worker.ask(Boom(7))).await.unwrap_err();
    assert_eq!(err, AskError::Panicked("boom 7".to_owned()));
    assert_eq!(err.to_string(), "handler panicked: boom 7");
    // The default on_panic stops an unsupervised actor.
    assert_eq!(within(worker.wait_for_stop()).await, ExitReason::Panicked("boom 7".to_owned()));
    assert_eq!(within(bystander.ask(Echo(3))).await, Ok(3));
    within(system.shutdown()).await;
}

// Breaks if asks queued behind a panicking handler wait forever once the actor stops.
#[tokio::test]
async fn asks_queued_behind_a_panic_fail_with_stopped() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    worker.tell(Block { started: started_tx, gate: gate_rx }).await.unwrap();
    within(started_rx).await.unwrap();

    let mut panicking = pin!(worker.ask(Boom(1)).into_future());
    let mut behind = pin!(worker.ask(Echo(2)).into_future());
    assert!(poll!(panicking.as_mut()).is_pending());
    assert!(poll!(behind.as_mut()).is_pending());
    gate_tx.send(()).unwrap();

    assert_eq!(within(panicking).await, Err(AskError::Panicked("boom 1".to_owned())));
    assert_eq!(within(behind).await, Err(AskError::Stopped));
    within(system.shutdown()).await;
}

/// Survives panics: `on_panic` says `Continue`.
#[derive(Default)]
struct Tough {
    panics: Vec<String>,
}

impl Actor for Tough {
    async fn on_panic(&mut self, _ctx: &mut Context<Self>, panic: &PanicInfo) -> ControlFlow<()> {
        self.panics.push(panic.message().to_owned());
        ControlFlow::Continue(())
    }
}

impl Handler<Boom> for Tough {
    type Reply = u64;
    async fn handle(&mut self, Boom(n): Boom, _ctx: &mut Context<Self>) -> u64 {
        panic!("tough {n}");
    }
}

struct Panics;

impl Handler<Panics> for Tough {
    type Reply = Vec<String>;
    async fn handle(&mut self, _: Panics, _ctx: &mut Context<Self>) -> Vec<String> {
        self.panics.clone()
    }
}

// Breaks if a surviving actor's asker does not get Panicked, or the next ask is affected.
#[tokio::test]
async fn ask_on_a_panic_that_the_actor_survives_is_panicked_then_answers_again() {
    let system = ActorSystem::new();
    let tough = system.spawn(Tough::default()).unwrap();
    assert_eq!(within(tough.ask(Boom(1))).await, Err(AskError::Panicked("tough 1".to_owned())));
    assert_eq!(within(tough.ask(Boom(2))).await, Err(AskError::Panicked("tough 2".to_owned())));
    assert_eq!(within(tough.ask(Panics)).await.unwrap(), vec!["tough 1".to_owned(), "tough 2".to_owned()]);
    assert!(tough.is_alive());
    within(system.shutdown()).await;
}

// Breaks if a ReplySender dropped unsent leaves the asker waiting instead of NoReply.
#[tokio::test]
async fn ask_whose_reply_sender_is_dropped_is_no_reply() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let err = within(worker.ask(Forget)).await.unwrap_err();
    assert_eq!(err, AskError::NoReply);
    // The actor is fine and its return value was discarded, not sent.
    assert_eq!(within(worker.ask(Echo(5))).await, Ok(5));
    within(system.shutdown()).await;
}

// Breaks if a reply sent later from another task does not reach the asker.
#[tokio::test]
async fn a_delayed_reply_from_another_task_reaches_the_asker() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    assert_eq!(within(worker.ask(Later(21))).await, Ok(42));
    // For a tell the reply sender is a sink: nothing fails.
    within(worker.tell(Later(1))).await.unwrap();
    assert_eq!(within(worker.ask(Echo(9))).await, Ok(9));
    within(system.shutdown()).await;
}

// Breaks if a panic after `reply_later` fails the asker although a sender
// elsewhere still owns the answer.
#[tokio::test]
async fn a_panic_after_reply_later_leaves_the_answer_to_the_sender() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let asker = worker.clone();
    let asked = tokio::spawn(async move { asker.ask(HandOut(out_tx, Then::Panic)).await });
    // The actor stops for the panic; only then is the reply sent.
    assert!(matches!(within(worker.wait_for_stop()).await, ExitReason::Panicked(_)));
    // Handed out before the panic, so it is there: no blocking wait.
    let reply = out_rx.try_recv().expect("the handler handed its reply out");
    assert!(!reply.is_closed());
    assert_eq!(reply.send(5), Ok(()));
    assert_eq!(within(asked).await.unwrap(), Ok(5));
    within(system.shutdown()).await;
}

// Breaks if a kill after `reply_later` fails the asker although a sender
// elsewhere still owns the answer.
#[tokio::test]
async fn a_kill_after_reply_later_leaves_the_answer_to_the_sender() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let (_gate_tx, gate_rx) = oneshot::channel();
    let asker = worker.clone();
    let asked = tokio::spawn(async move { asker.ask(HandOut(out_tx, Then::Wait(gate_rx))).await });
    let reply = within(tokio::task::spawn_blocking(move || out_rx.recv().unwrap())).await.unwrap();
    worker.kill();
    assert_eq!(within(worker.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(reply.send(6), Ok(()));
    assert_eq!(within(asked).await.unwrap(), Ok(6));
    within(system.shutdown()).await;
}

// Breaks if a second `reply_later` in one handler takes the answer from the first.
#[tokio::test]
async fn a_second_reply_later_is_a_sink() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    assert_eq!(within(worker.ask(Twice)).await, Ok(2));
    within(system.shutdown()).await;
}

// Breaks if a reply to an asker that timed out is swallowed instead of handed back.
#[tokio::test(start_paused = true)]
async fn a_reply_to_an_asker_that_timed_out_comes_back() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    assert_eq!(within(worker.ask(Hold).timeout(Duration::from_millis(50))).await, Err(AskError::Timeout));
    let (closed, sent) = within(worker.ask(Release(11))).await.unwrap();
    assert!(closed, "the held sender sees that its asker is gone");
    assert_eq!(sent, Err(11));
    within(system.shutdown()).await;
}

// Breaks if a zero timeout sends the message or waits at all.
#[tokio::test]
async fn a_zero_timeout_is_an_immediate_timeout_and_sends_nothing() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let at_once = worker.ask(Echo(1)).timeout(Duration::ZERO).into_future().now_or_never();
    assert_eq!(at_once, Some(Err(AskError::Timeout)), "must resolve on its first poll");
    let at_once = worker.try_ask(Echo(1)).timeout(Duration::ZERO).into_future().now_or_never();
    assert_eq!(at_once, Some(Err(AskError::Timeout)));
    assert_eq!(within(worker.ask(Handled)).await, Ok(0), "nothing was handled");
    within(system.shutdown()).await;
}

// Breaks if an ask deadline does not fire while the handler is stuck, or the actor is harmed by it.
#[tokio::test(start_paused = true)]
async fn an_ask_past_its_deadline_times_out_and_the_message_is_still_handled() {
    let system = ActorSystem::new();
    let worker = system.spawn(Worker::default()).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    let w = worker.clone();
    let stuck = tokio::spawn(async move {
        w.ask(Block { started: started_tx, gate: gate_rx }).timeout(Duration::from_millis(100)).await
    });
    within(started_rx).await.unwrap();
    assert_eq!(within(stuck).await.unwrap(), Err(AskError::Timeout));
    gate_tx.send(()).unwrap();
    assert_eq!(within(worker.ask(Handled)).await, Ok(1), "the timed-out message was still handled");
    within(system.shutdown()).await;
}

/// Fails to start.
struct Broken;

impl Actor for Broken {
    async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        Err("no config".into())
    }
}

impl Handler<Echo> for Broken {
    type Reply = u64;
    async fn handle(&mut self, Echo(n): Echo, _ctx: &mut Context<Self>) -> u64 {
        n
    }
}

// Breaks if an ask sent to an actor whose on_start fails waits forever.
#[tokio::test]
async fn ask_on_an_actor_whose_start_failed_is_stopped() {
    let system = ActorSystem::new();
    let broken = system.spawn(Broken).unwrap();
    // Sent before or after the failure: either way an error, never a hang.
    assert_eq!(within(broken.ask(Echo(1))).await, Err(AskError::Stopped));
    assert_eq!(within(broken.wait_for_stop()).await, ExitReason::Failed("no config".to_owned()));
    assert_eq!(within(broken.ask(Echo(2))).await, Err(AskError::Stopped));
    within(system.shutdown()).await;
}
