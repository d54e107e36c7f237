//! Message ownership: whatever its size and alignment (a unit struct, one
//! word, many words, 16-byte alignment) and however it ends (handled by a
//! tell or an ask, rejected by a kill, dropped with the runtime, handed
//! back by a refused tell), every message is dropped exactly once, and an
//! ask gets its own reply.

use std::future::IntoFuture;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actor_core::prelude::*;
use futures::poll;
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Drops of the unit struct `Unit<T>`, one counter per test (`T`), since
/// a unit struct cannot carry its own counter.
static UNIT_DROPS: [AtomicUsize; 4] = [const { AtomicUsize::new(0) }; 4];

/// A zero-sized message.
struct Unit<const T: usize>;

impl<const T: usize> Drop for Unit<T> {
    fn drop(&mut self) {
        UNIT_DROPS[T].fetch_add(1, Ordering::SeqCst);
    }
}

/// Counts its own drops.
#[derive(Clone, Default)]
struct Drops(Arc<AtomicUsize>);

impl Drops {
    fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// One word: the counter alone.
struct Word(Drops);

/// Sixteen words and the counter.
struct Big([u64; 16], Drops);

/// 16-byte aligned.
struct Wide(u128, Drops);

macro_rules! counted {
    ($($ty:ident),*) => {$(
        impl Drop for $ty {
            fn drop(&mut self) {
                (self.1).0.fetch_add(1, Ordering::SeqCst);
            }
        }
    )*};
}
counted!(Big, Wide);

impl Drop for Word {
    fn drop(&mut self) {
        (self.0).0.fetch_add(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Sink {
    handled: u64,
}

impl Actor for Sink {
    const MAILBOX: usize = 64;
}

impl<const T: usize> Handler<Unit<T>> for Sink {
    type Reply = u64;
    async fn handle(&mut self, _: Unit<T>, _ctx: &mut Context<Self>) -> u64 {
        self.handled += 1;
        self.handled
    }
}

impl Handler<Word> for Sink {
    type Reply = u64;
    async fn handle(&mut self, _: Word, _ctx: &mut Context<Self>) -> u64 {
        self.handled += 1;
        self.handled
    }
}

impl Handler<Big> for Sink {
    type Reply = u64;
    async fn handle(&mut self, Big(xs, _): Big, _ctx: &mut Context<Self>) -> u64 {
        self.handled += 1;
        xs.iter().sum()
    }
}

impl Handler<Wide> for Sink {
    type Reply = u128;
    async fn handle(&mut self, Wide(x, _): Wide, _ctx: &mut Context<Self>) -> u128 {
        self.handled += 1;
        x
    }
}

/// Holds the handler until the gate fires.
struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Sink {
    type Reply = ();
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        let _ = gate.await;
    }
}

/// Asks for a reply of the wrong type with `reply_later`.
struct WrongReply;

impl Handler<WrongReply> for Sink {
    type Reply = u64;
    async fn handle(&mut self, _: WrongReply, ctx: &mut Context<Self>) -> u64 {
        let _sender = ctx.reply_later::<String>();
        0
    }
}

/// Parks the actor inside a handler; firing or dropping the sender releases it.
async fn park(sink: &ActorRef<Sink>) -> oneshot::Sender<()> {
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    within(sink.tell(Block { started: started_tx, gate: gate_rx })).await.unwrap();
    within(started_rx).await.unwrap();
    gate_tx
}

// Breaks if a handled message of some layout leaks, is dropped twice, or an
// ask gets a reply meant for another message.
#[tokio::test]
async fn handled_messages_are_dropped_once_and_answered() {
    const N: usize = 20;
    let system = ActorSystem::new();
    let sink = system.spawn(Sink::default()).unwrap();
    let (word, big, wide) = (Drops::default(), Drops::default(), Drops::default());
    for i in 0..N as u64 {
        within(sink.tell(Unit::<0>)).await.unwrap();
        within(sink.tell(Word(word.clone()))).await.unwrap();
        within(sink.tell(Big([i; 16], big.clone()))).await.unwrap();
        within(sink.tell(Wide(u128::from(i) << 70, wide.clone()))).await.unwrap();
        // Eight messages per round, each counted; the asks are the fifth and sixth.
        assert_eq!(within(sink.ask(Unit::<0>)).await, Ok(8 * i + 5));
        assert_eq!(within(sink.ask(Word(word.clone()))).await, Ok(8 * i + 6));
        assert_eq!(within(sink.ask(Big([i; 16], big.clone()))).await, Ok(16 * i));
        assert_eq!(within(sink.ask(Wide(u128::from(i) << 70 | 5, wide.clone()))).await, Ok(u128::from(i) << 70 | 5));
    }
    sink.stop();
    within(sink.wait_for_stop()).await;
    assert_eq!(UNIT_DROPS[0].load(Ordering::SeqCst), 2 * N);
    assert_eq!((word.count(), big.count(), wide.count()), (2 * N, 2 * N, 2 * N));
    system.shutdown().await;
}

// Breaks if a message rejected by a kill leaks or is dropped twice, or if
// its asker waits instead of getting `Stopped`.
#[tokio::test]
async fn killed_messages_are_dropped_once_and_asks_fail() {
    let system = ActorSystem::new();
    let sink = system.spawn(Sink::default()).unwrap();
    let gate = park(&sink).await;
    let (word, big, wide) = (Drops::default(), Drops::default(), Drops::default());
    sink.try_tell(Unit::<1>).unwrap();
    sink.try_tell(Word(word.clone())).unwrap();
    sink.try_tell(Big([1; 16], big.clone())).unwrap();
    sink.try_tell(Wide(1, wide.clone())).unwrap();
    let asks = tokio::spawn({
        let (sink, word, big, wide) = (sink.clone(), word.clone(), big.clone(), wide.clone());
        async move {
            let unit = sink.ask(Unit::<1>).into_future();
            let word = sink.ask(Word(word)).into_future();
            let big = sink.ask(Big([2; 16], big)).into_future();
            let wide = sink.ask(Wide(2, wide)).into_future();
            let (a, b, c, d) = tokio::join!(unit, word, big, wide);
            (a.unwrap_err(), b.unwrap_err(), c.unwrap_err(), d.unwrap_err())
        }
    });
    // The four asks are queued behind the four tells and the parked handler.
    while sink.metrics().mailbox_len < 8 {
        tokio::task::yield_now().await;
    }
    sink.kill();
    assert_eq!(within(sink.wait_for_stop()).await, ExitReason::Killed);
    let errors = within(asks).await.unwrap();
    assert_eq!(errors, (AskError::Stopped, AskError::Stopped, AskError::Stopped, AskError::Stopped));
    drop(gate);
    assert_eq!(UNIT_DROPS[1].load(Ordering::SeqCst), 2);
    assert_eq!((word.count(), big.count(), wide.count()), (2, 2, 2));
    system.shutdown().await;
}

// Breaks if a tell refused as `Closed`, at once or after waiting for space,
// hands back anything but the message it was given, or drops it.
#[tokio::test]
async fn a_refused_tell_hands_back_its_message_intact() {
    let system = ActorSystem::new();
    let sink = system.spawn(Sink::default()).unwrap();
    // Fill the mailbox behind a parked handler, so the next tells wait.
    let gate = park(&sink).await;
    while sink.try_tell(Unit::<3>).is_ok() {}
    let (word, big, wide) = (Drops::default(), Drops::default(), Drops::default());
    let mut waiting = pin!(sink.tell(Big([7; 16], big.clone())));
    assert!(poll!(waiting.as_mut()).is_pending(), "the mailbox is full");
    sink.kill();
    drop(gate);
    within(sink.wait_for_stop()).await;
    match within(waiting).await {
        Err(SendError::Closed(Big(xs, _))) => assert_eq!(xs, [7; 16]),
        other => panic!("expected Closed(Big), got {:?}", other.map_err(|_| "an error")),
    }
    // Refused at once, each layout.
    let Err(SendError::Closed(Unit::<3>)) = within(sink.tell(Unit::<3>)).await else { panic!("unit") };
    let Err(SendError::Closed(Word(_))) = within(sink.tell(Word(word.clone()))).await else { panic!("word") };
    let Err(SendError::Closed(Big(xs, _))) = within(sink.tell(Big([9; 16], big.clone()))).await else { panic!("big") };
    assert_eq!(xs, [9; 16]);
    let Err(SendError::Closed(Wide(x, _))) = within(sink.tell(Wide(u128::MAX - 1, wide.clone()))).await else {
        panic!("wide")
    };
    assert_eq!(x, u128::MAX - 1);
    // Each handed-back message was dropped once, by the matches above.
    assert_eq!((word.count(), big.count(), wide.count()), (1, 2, 1));
    system.shutdown().await;
}

// Breaks if messages still queued when the runtime goes away leak.
#[test]
fn queued_messages_are_dropped_with_the_runtime() {
    let (word, big, wide) = (Drops::default(), Drops::default(), Drops::default());
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let sink = rt.block_on(async {
        let system = ActorSystem::new();
        let sink = system.spawn(Sink::default()).unwrap();
        let gate = park(&sink).await;
        // The gate is kept by the parked handler's task forever.
        std::mem::forget(gate);
        sink.try_tell(Unit::<2>).unwrap();
        sink.try_tell(Word(word.clone())).unwrap();
        sink.try_tell(Big([1; 16], big.clone())).unwrap();
        sink.try_tell(Wide(1, wide.clone())).unwrap();
        sink
    });
    drop(rt);
    drop(sink);
    assert_eq!(UNIT_DROPS[2].load(Ordering::SeqCst), 1);
    assert_eq!((word.count(), big.count(), wide.count()), (1, 1, 1));
}

// Breaks if `reply_later` with the wrong reply type leaves the asker
// waiting instead of failing it with the panic.
#[tokio::test]
async fn reply_later_of_the_wrong_type_fails_the_asker() {
    let system = ActorSystem::new();
    let sink = system.spawn(Sink::default()).unwrap();
    match within(sink.ask(WrongReply)).await {
        Err(AskError::Panicked(text)) => assert!(text.contains("reply_later::<alloc::string::String>"), "{text}"),
        other => panic!("expected a panic error, got {other:?}"),
    }
    system.shutdown().await;
}
