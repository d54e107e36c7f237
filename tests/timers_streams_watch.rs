//! Timers, streams and watches: `send_after` and `send_interval` deliver on
//! the (paused) clock and stop with the actor; an attached stream's items
//! arrive in order; `ctx.watch` delivers `Terminated` with the exit reason.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorId, TimerHandle};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::time::Instant;

#[path = "support/wait.rs"]
mod wait;
use wait::within_long as within;

/// Forwards what it receives to the test.
struct Clock {
    out: mpsc::UnboundedSender<Event>,
}

#[derive(Debug, PartialEq)]
enum Event {
    Tick(u32, Instant),
    Item(u64),
    Gone(Terminated),
}

impl Actor for Clock {
    const MAILBOX: usize = 4;
}

struct Tick(u32);

impl Handler<Tick> for Clock {
    type Reply = ();
    async fn handle(&mut self, Tick(n): Tick, _ctx: &mut Context<Self>) {
        let _ = self.out.send(Event::Tick(n, Instant::now()));
    }
}

impl Handler<u64> for Clock {
    type Reply = ();
    async fn handle(&mut self, n: u64, _ctx: &mut Context<Self>) {
        let _ = self.out.send(Event::Item(n));
    }
}

impl Handler<Terminated> for Clock {
    type Reply = ();
    async fn handle(&mut self, t: Terminated, _ctx: &mut Context<Self>) {
        let _ = self.out.send(Event::Gone(t));
    }
}

/// Starts a timer or stream from inside the actor and returns its handle.
enum Start {
    After(Duration, u32),
    Every(Duration),
    Stream(u64),
    Watch(ActorRef<Target>),
}

impl Handler<Start> for Clock {
    type Reply = TimerHandle;
    async fn handle(&mut self, start: Start, ctx: &mut Context<Self>) -> TimerHandle {
        match start {
            Start::After(d, n) => ctx.send_after(d, Tick(n)),
            Start::Every(d) => {
                let mut n = 0;
                ctx.send_interval(d, move || {
                    n += 1;
                    Tick(n)
                })
                .unwrap()
            }
            Start::Stream(count) => ctx.attach_stream(futures::stream::iter(0..count).then(|i| async move {
                tokio::task::yield_now().await;
                i
            })),
            Start::Watch(target) => ctx.watch(&target),
        }
    }
}

fn clock() -> (Clock, mpsc::UnboundedReceiver<Event>) {
    let (tx, rx) = mpsc::unbounded_channel();
    (Clock { out: tx }, rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<Event>) -> Event {
    within(rx.recv()).await.expect("the actor is gone")
}

// Breaks if send_after fires early, fires twice, or cannot be cancelled.
#[tokio::test(start_paused = true)]
async fn send_after_delivers_once_after_the_delay() {
    let system = ActorSystem::new();
    let (c, mut rx) = clock();
    let actor = system.spawn(c).unwrap();
    let t0 = Instant::now();
    within(actor.ask(Start::After(Duration::from_secs(3), 1))).await.unwrap();
    let cancelled = within(actor.ask(Start::After(Duration::from_secs(1), 2))).await.unwrap();
    cancelled.cancel();
    assert!(cancelled.is_cancelled());
    match next(&mut rx).await {
        Event::Tick(1, at) => assert!(at - t0 >= Duration::from_secs(3), "fired after {:?}", at - t0),
        other => panic!("expected tick 1, got {other:?}"),
    }
    // The paused clock only jumps ahead once every task is idle, so whatever a
    // timer due in the next 10 s sends is queued before the sleep ends; the ask
    // is handled after it.
    tokio::time::sleep(Duration::from_secs(10)).await;
    within(actor.ask(Tick(0))).await.unwrap();
    match rx.try_recv() {
        Ok(Event::Tick(0, _)) => {}
        other => panic!("a one-shot timer fires once and a cancelled one never, got {other:?}"),
    }
    assert!(rx.try_recv().is_err());
    within(system.shutdown()).await;
}

// Breaks if send_interval ticks early, skips its order, or is not cancelled when the actor stops.
#[tokio::test(start_paused = true)]
async fn send_interval_ticks_each_period_and_is_cancelled_on_stop() {
    let system = ActorSystem::new();
    let (c, mut rx) = clock();
    let actor = system.spawn(c).unwrap();
    let t0 = Instant::now();
    let handle = within(actor.ask(Start::Every(Duration::from_millis(100)))).await.unwrap();
    let mut last = t0;
    for expected in 1..=3 {
        match next(&mut rx).await {
            Event::Tick(n, at) => {
                assert_eq!(n, expected);
                assert!(at - last >= Duration::from_millis(100), "tick {n} after {:?}", at - last);
                last = at;
            }
            other => panic!("expected a tick, got {other:?}"),
        }
    }
    assert!(!handle.is_cancelled());
    actor.stop();
    within(actor.wait_for_stop()).await;
    assert!(handle.is_cancelled(), "the actor's timers end with it");
    within(system.shutdown()).await;
}

// Breaks if a zero interval period is accepted (it would spin).
#[tokio::test]
async fn a_zero_interval_period_is_a_config_error() {
    struct Zero;
    impl Actor for Zero {}
    impl Handler<Tick> for Zero {
        type Reply = ();
        async fn handle(&mut self, _: Tick, _ctx: &mut Context<Self>) {}
    }
    struct Try;
    impl Handler<Try> for Zero {
        type Reply = bool;
        async fn handle(&mut self, _: Try, ctx: &mut Context<Self>) -> bool {
            matches!(ctx.send_interval(Duration::ZERO, || Tick(0)), Err(actor_core::ConfigError::ZeroDuration { .. }))
        }
    }
    let system = ActorSystem::new();
    let z = system.spawn(Zero).unwrap();
    assert_eq!(within(z.ask(Try)).await, Ok(true));
    within(system.shutdown()).await;
}

// Breaks if attached stream items are reordered, lost, or overrun the small mailbox.
#[tokio::test]
async fn attached_stream_items_arrive_in_order() {
    let system = ActorSystem::new();
    let (c, mut rx) = clock();
    let actor = system.spawn(c).unwrap();
    let handle = within(actor.ask(Start::Stream(200))).await.unwrap();
    for expected in 0..200 {
        assert_eq!(next(&mut rx).await, Event::Item(expected));
    }
    assert!(!handle.is_cancelled());
    actor.stop();
    within(actor.wait_for_stop()).await;
    assert!(handle.is_cancelled());
    within(system.shutdown()).await;
}

/// Something to watch.
struct Target;

impl Actor for Target {}

struct Quit(Option<&'static str>);

impl Handler<Quit> for Target {
    type Reply = ();
    async fn handle(&mut self, Quit(why): Quit, ctx: &mut Context<Self>) {
        match why {
            Some(why) => ctx.fail(why),
            None => ctx.stop(),
        }
    }
}

async fn expect_terminated(rx: &mut mpsc::UnboundedReceiver<Event>, id: ActorId, reason: ExitReason) {
    match next(rx).await {
        Event::Gone(t) => assert_eq!((t.id, t.reason), (id, reason)),
        other => panic!("expected Terminated, got {other:?}"),
    }
}

// Breaks if a watcher is not told that the watched actor stopped, or is told the wrong reason.
#[tokio::test]
async fn watch_delivers_terminated_with_the_reason() {
    let system = ActorSystem::new();
    let (c, mut rx) = clock();
    let watcher = system.spawn(c).unwrap();

    let normal = system.spawn(Target).unwrap();
    within(watcher.ask(Start::Watch(normal.clone()))).await.unwrap();
    normal.tell(Quit(None)).await.unwrap();
    expect_terminated(&mut rx, normal.id(), ExitReason::Normal).await;

    let failed = system.spawn(Target).unwrap();
    within(watcher.ask(Start::Watch(failed.clone()))).await.unwrap();
    failed.tell(Quit(Some("bad state"))).await.unwrap();
    expect_terminated(&mut rx, failed.id(), ExitReason::Failed("bad state".to_owned())).await;

    let killed = system.spawn(Target).unwrap();
    within(watcher.ask(Start::Watch(killed.clone()))).await.unwrap();
    killed.kill();
    expect_terminated(&mut rx, killed.id(), ExitReason::Killed).await;

    // Watching an actor that already stopped reports it at once.
    within(watcher.ask(Start::Watch(normal.clone()))).await.unwrap();
    expect_terminated(&mut rx, normal.id(), ExitReason::Normal).await;
    within(system.shutdown()).await;
}

// Breaks if a watch outlives the watcher (it must be cancelled when the watcher stops).
#[tokio::test]
async fn a_watch_ends_when_the_watcher_stops() {
    let system = ActorSystem::new();
    let (c, _rx) = clock();
    let watcher = system.spawn(c).unwrap();
    let target = system.spawn(Target).unwrap();
    let handle = within(watcher.ask(Start::Watch(target.clone()))).await.unwrap();
    watcher.stop();
    within(watcher.wait_for_stop()).await;
    assert!(handle.is_cancelled());
    within(system.shutdown()).await;
}
