//! Per-sender FIFO: the messages of one sender are handled in the order they
//! were sent, whatever other senders do and whichever send method is used.

use std::time::Duration;

use actor_core::prelude::*;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Records every `(sender, seq)` pair in arrival order, and hands what it
/// recorded to `out` (if set) when it stops. `CAP` is its mailbox capacity.
#[derive(Default)]
struct Recorder<const CAP: usize = 4> {
    seen: Vec<(usize, u64)>,
    out: Option<tokio::sync::oneshot::Sender<Vec<(usize, u64)>>>,
}

impl<const CAP: usize> Actor for Recorder<CAP> {
    // Small by default, so senders keep running into backpressure and interleave.
    const MAILBOX: usize = CAP;

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        if let Some(out) = self.out.take() {
            let _ = out.send(std::mem::take(&mut self.seen));
        }
    }
}

struct Item {
    sender: usize,
    seq: u64,
}

impl<const CAP: usize> Handler<Item> for Recorder<CAP> {
    type Reply = ();
    async fn handle(&mut self, Item { sender, seq }: Item, _ctx: &mut Context<Self>) {
        self.seen.push((sender, seq));
    }
}

struct Take;

impl Handler<Take> for Recorder {
    type Reply = Vec<(usize, u64)>;
    async fn handle(&mut self, _: Take, _ctx: &mut Context<Self>) -> Vec<(usize, u64)> {
        std::mem::take(&mut self.seen)
    }
}

/// Every sender's sequence numbers appear as 0, 1, 2, … with none missing.
fn assert_per_sender_fifo(seen: &[(usize, u64)], senders: usize, per_sender: u64) {
    let mut next = vec![0u64; senders];
    for &(sender, seq) in seen {
        assert_eq!(seq, next[sender], "sender {sender}: got {seq}, expected {}", next[sender]);
        next[sender] += 1;
    }
    assert_eq!(next, vec![per_sender; senders], "some messages were lost");
}

/// Spawns a recorder and `senders` tasks made by `sender_task` (given the
/// recorder and the sender's index), waits for them all, then checks that
/// each sender's `per_sender` items were handled in send order.
async fn assert_senders_keep_order<F, Fut>(senders: usize, per_sender: u64, sender_task: F)
where
    F: Fn(ActorRef<Recorder>, usize) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let system = ActorSystem::new();
    let recorder = system.spawn(Recorder::default()).unwrap();
    let tasks: Vec<_> = (0..senders).map(|sender| tokio::spawn(sender_task(recorder.clone(), sender))).collect();
    for t in tasks {
        within(t).await.unwrap();
    }
    let seen = within(recorder.ask(Take)).await.unwrap();
    assert_per_sender_fifo(&seen, senders, per_sender);
    within(system.shutdown()).await;
}

// Breaks if concurrent senders can reorder one sender's tells (e.g. batch handling out of order).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tells_from_each_sender_are_handled_in_send_order() {
    const SENDERS: usize = 4;
    const PER_SENDER: u64 = 2_000;
    assert_senders_keep_order(SENDERS, PER_SENDER, |r, sender| async move {
        for seq in 0..PER_SENDER {
            r.tell(Item { sender, seq }).await.unwrap();
        }
    })
    .await;
}

// Breaks if try_tell, tell_timeout, Recipient and ask from one sender do not share one ordered lane.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_send_method_of_one_sender_keeps_its_order() {
    const SENDERS: usize = 3;
    const PER_SENDER: u64 = 1_000;
    assert_senders_keep_order(SENDERS, PER_SENDER, |r, sender| async move {
        let recipient = r.recipient::<Item>();
        for seq in 0..PER_SENDER {
            let item = Item { sender, seq };
            match seq % 5 {
                0 => r.tell(item).await.unwrap(),
                1 => match r.try_tell(item) {
                    Ok(()) => {}
                    // Full hands the message back: send the very same one again.
                    Err(e) => r.tell(e.into_inner()).await.unwrap(),
                },
                2 => r.tell_timeout(item, Duration::from_secs(30)).await.unwrap(),
                3 => recipient.tell(item).await.unwrap(),
                _ => r.ask(item).await.unwrap(),
            }
        }
    })
    .await;
}

// Breaks if messages queued before a stop are handled out of order during the drain.
#[tokio::test]
async fn the_drain_after_stop_keeps_send_order() {
    let system = ActorSystem::new();
    let (tx, rx) = tokio::sync::oneshot::channel();
    // Room for all twenty, so no tell waits for mailbox space before the stop.
    let drainer = system.spawn(Recorder::<32> { seen: Vec::new(), out: Some(tx) }).unwrap();
    for seq in 0..20 {
        drainer.tell(Item { sender: 0, seq }).await.unwrap();
    }
    drainer.stop();
    assert!(drainer.tell(Item { sender: 0, seq: 99 }).await.unwrap_err().is_closed());
    assert_eq!(within(drainer.wait_for_stop()).await, ExitReason::Normal);
    let seen = within(rx).await.unwrap();
    assert_eq!(seen, (0..20).map(|seq| (0, seq)).collect::<Vec<_>>());
    within(system.shutdown()).await;
}
