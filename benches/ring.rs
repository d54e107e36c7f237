//! `ring`: 1,000 actors pass one token 1,000,000 hops (each holds the next
//! one's ref; the last hop signals completion through a oneshot); compared
//! with the same ring of hand-written tokio tasks and channels.

use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::Criterion;
use tokio::sync::{mpsc, oneshot};

#[path = "support.rs"]
mod support;

use support::{MAILBOX, Samples};

/// Ring size.
const NODES: usize = 1_000;
/// Deliveries of the token per timed iteration.
const HOPS: u64 = 1_000_000;

// ---------------------------------------------------------------------------
// Ours.

/// A ring member holding the next member's ref.
#[derive(Debug, Default)]
struct Node {
    next: Option<ActorRef<Node>>,
}

impl Actor for Node {}

/// Setup: the next member of the ring.
#[derive(Debug)]
struct SetNext(ActorRef<Node>);

/// The token: deliveries left after this one, and the completion signal.
#[derive(Debug)]
struct Token {
    left: u64,
    done: oneshot::Sender<()>,
}

impl Handler<SetNext> for Node {
    type Reply = ();
    async fn handle(&mut self, SetNext(next): SetNext, _ctx: &mut Context<Self>) {
        self.next = Some(next);
    }
}

impl Handler<Token> for Node {
    type Reply = ();
    async fn handle(&mut self, Token { left, done }: Token, _ctx: &mut Context<Self>) {
        if left == 0 {
            let _ = done.send(());
        } else {
            let next = self.next.as_ref().expect("ring closed");
            next.tell(Token { left: left - 1, done }).await.expect("tell next");
        }
    }
}

/// Builds the ring of actors (untimed).
async fn ours_ring(system: &ActorSystem) -> Vec<ActorRef<Node>> {
    let nodes: Vec<_> = (0..NODES).map(|_| system.spawn(Node::default()).expect("spawn")).collect();
    for (i, node) in nodes.iter().enumerate() {
        node.ask(SetNext(nodes[(i + 1) % NODES].clone())).await.expect("set next");
    }
    nodes
}

/// Sends the token around `iters` times; one duration per iteration.
async fn ours_drive(first: ActorRef<Node>, iters: u64) -> Vec<Duration> {
    let mut runs = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let start = Instant::now();
        let (done, finished) = oneshot::channel();
        first.tell(Token { left: HOPS - 1, done }).await.expect("tell first");
        finished.await.expect("token came back");
        runs.push(start.elapsed());
    }
    runs
}

/// Stops every member and waits until all have stopped (untimed).
async fn ours_stop(nodes: &[ActorRef<Node>]) {
    for n in nodes {
        n.stop();
    }
    for n in nodes {
        let _ = n.wait_for_stop().await;
    }
}

// ---------------------------------------------------------------------------
// The hand-written tokio baseline.

/// A baseline ring member's messages.
#[derive(Debug)]
enum RingMsg {
    /// The token, as for ours.
    Token { left: u64, done: oneshot::Sender<()> },
    /// Teardown: leave the loop (the ring's senders form a cycle).
    Stop,
}

/// A baseline ring member: owns its receiver and the next member's sender.
async fn base_node(mut rx: mpsc::Receiver<RingMsg>, next: mpsc::Sender<RingMsg>) {
    while let Some(m) = rx.recv().await {
        match m {
            RingMsg::Token { left, done } => {
                if left == 0 {
                    let _ = done.send(());
                } else {
                    next.send(RingMsg::Token { left: left - 1, done }).await.expect("send next");
                }
            }
            RingMsg::Stop => break,
        }
    }
}

/// Builds the baseline ring (untimed).
fn base_ring() -> (Vec<mpsc::Sender<RingMsg>>, Vec<tokio::task::JoinHandle<()>>) {
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..NODES).map(|_| mpsc::channel(MAILBOX)).unzip();
    let joins =
        rxs.into_iter().enumerate().map(|(i, rx)| tokio::spawn(base_node(rx, txs[(i + 1) % NODES].clone()))).collect();
    (txs, joins)
}

/// Sends the token around `iters` times; one duration per iteration.
async fn base_drive(first: mpsc::Sender<RingMsg>, iters: u64) -> Vec<Duration> {
    let mut runs = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let start = Instant::now();
        let (done, finished) = oneshot::channel();
        first.send(RingMsg::Token { left: HOPS - 1, done }).await.expect("send first");
        finished.await.expect("token came back");
        runs.push(start.elapsed());
    }
    runs
}

/// Stops every member and waits until all have stopped (untimed).
async fn base_stop(txs: &[mpsc::Sender<RingMsg>], joins: Vec<tokio::task::JoinHandle<()>>) {
    for tx in txs {
        tx.send(RingMsg::Stop).await.expect("stop");
    }
    for j in joins {
        j.await.expect("node");
    }
}

// ---------------------------------------------------------------------------

fn bench(c: &mut Criterion) {
    let rt = support::runtime();
    let system = rt.block_on(async { ActorSystem::new() });
    let (ours, base) = (Samples::default(), Samples::default());
    let (ours_rec, base_rec) = (&ours, &base);

    let mut group = c.benchmark_group("ring");
    support::configure(&mut group, HOPS, Duration::from_secs(3));
    group.bench_function("ours", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let system = &system;
            async move {
                let nodes = ours_ring(system).await;
                let runs = tokio::spawn(ours_drive(nodes[0].clone(), iters)).await.expect("driver");
                ours_stop(&nodes).await;
                ours_rec.record(&runs)
            }
        });
    });
    group.bench_function("tokio_baseline", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (txs, joins) = base_ring();
            let runs = tokio::spawn(base_drive(txs[0].clone(), iters)).await.expect("driver");
            base_stop(&txs, joins).await;
            base_rec.record(&runs)
        });
    });
    group.finish();
    let (po, pb) = rt.block_on(async {
        let nodes = ours_ring(&system).await;
        let (txs, joins) = base_ring();
        let paired = support::alternate(
            support::PAIRED_ROUNDS,
            || {
                let run = tokio::spawn(ours_drive(nodes[0].clone(), 1));
                async move { run.await.expect("driver") }
            },
            || {
                let run = tokio::spawn(base_drive(txs[0].clone(), 1));
                async move { run.await.expect("driver") }
            },
        )
        .await;
        ours_stop(&nodes).await;
        base_stop(&txs, joins).await;
        paired
    });
    support::report_throughput("ring", "hop", HOPS, (&po, &pb), (&ours, &base));
    let _ = rt.block_on(system.shutdown());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
