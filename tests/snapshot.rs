//! Snapshot and metrics: `snapshot()` lists every live actor with its status,
//! mailbox depth and capacity, processed count and restarts, and its
//! `Display` draws each of them; `metrics()` reports the same per actor.

use actor_core::ActorStatus;
use actor_core::prelude::*;
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

struct Node;

impl Actor for Node {
    const MAILBOX: usize = 4;
}

struct Ping;

impl Handler<Ping> for Node {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) {}
}

struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Node {
    type Reply = ();
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        let _ = gate.await;
    }
}

// Breaks if the snapshot omits an actor or misreports its status, mailbox depth or processed count.
#[tokio::test]
async fn the_snapshot_draws_every_actor_with_its_counters() {
    let system = ActorSystem::builder().name("tree").build().unwrap();
    let alpha = system.spawn_named("alpha", Node).unwrap();
    let beta = system.spawn_named("beta", Node).unwrap();
    let gamma = system.spawn_named("gamma", Node).unwrap();
    for _ in 0..3 {
        within(alpha.ask(Ping)).await.unwrap();
    }
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    beta.tell(Block { started: started_tx, gate: gate_rx }).await.unwrap();
    within(started_rx).await.unwrap();
    beta.try_tell(Ping).unwrap();
    beta.try_tell(Ping).unwrap();
    gamma.stop();
    within(gamma.wait_for_stop()).await;

    let snap = system.snapshot();
    assert_eq!(snap.name, "tree");
    assert_eq!(snap.iter().count(), 2, "a stopped actor leaves the snapshot");
    assert!(snap.find("gamma").is_none());
    let a = snap.find("alpha").unwrap();
    assert_eq!(
        (a.id, a.status, a.mailbox_len, a.mailbox_capacity, a.processed, a.restarts),
        (alpha.id(), ActorStatus::Running, 0, 4, 3, 0)
    );
    let b = snap.find("beta").unwrap();
    assert_eq!((b.status, b.mailbox_len, b.processed), (ActorStatus::Running, 2, 0));

    let text = snap.to_string();
    let line =
        |name: &str| text.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{name} missing:\n{text}"));
    let alpha_line = line(&format!("alpha{}", alpha.id()));
    for part in ["[running]", "mailbox 0/4", "processed 3", "restarts 0"] {
        assert!(alpha_line.contains(part), "{part:?} missing from {alpha_line:?}");
    }
    let beta_line = line(&format!("beta{}", beta.id()));
    for part in ["[running]", "mailbox 2/4", "processed 0"] {
        assert!(beta_line.contains(part), "{part:?} missing from {beta_line:?}");
    }
    assert!(text.starts_with("tree (2 actors"), "{text}");

    // A stop request shows as stopping while the actor drains.
    beta.stop();
    let b = system.snapshot();
    assert_eq!(b.find("beta").unwrap().status, ActorStatus::Stopping);
    assert!(b.to_string().contains("[stopping]"));
    gate_tx.send(()).unwrap();
    within(beta.wait_for_stop()).await;
    assert_eq!(beta.metrics().processed, 3);
    within(system.shutdown()).await;
}

// Breaks if metrics() misreports mailbox depth, capacity, high water, processed or status.
#[tokio::test]
async fn metrics_follow_the_mailbox_and_the_lifecycle() {
    let system = ActorSystem::new();
    let node = system.spawn(Node).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    node.tell(Block { started: started_tx, gate: gate_rx }).await.unwrap();
    within(started_rx).await.unwrap();
    for _ in 0..4 {
        node.try_tell(Ping).unwrap();
    }
    let m = node.metrics();
    assert_eq!((m.mailbox_len, m.mailbox_capacity, m.processed, m.status), (4, 4, 0, ActorStatus::Running));
    assert!(m.mailbox_high_water >= 4);
    gate_tx.send(()).unwrap();
    within(node.ask(Ping)).await.unwrap();
    let m = node.metrics();
    assert_eq!((m.mailbox_len, m.processed, m.restarts), (0, 6, 0));
    assert!(m.mailbox_high_water >= 4, "high water is a maximum, not the current depth");
    node.stop();
    within(node.wait_for_stop()).await;
    assert_eq!(node.metrics().status, ActorStatus::Stopped);
    within(system.shutdown()).await;
}

// Breaks if the snapshot's dead-letter count or stopping flag is wrong.
#[tokio::test]
async fn the_snapshot_header_counts_dead_letters_and_shows_stopping() {
    let system = ActorSystem::new();
    let node = system.spawn(Node).unwrap();
    let (started_tx, started_rx) = oneshot::channel();
    let (_gate, gate_rx) = oneshot::channel::<()>();
    node.tell(Block { started: started_tx, gate: gate_rx }).await.unwrap();
    within(started_rx).await.unwrap();
    node.try_tell(Ping).unwrap();
    node.kill();
    within(node.wait_for_stop()).await;
    let snap = system.snapshot();
    assert_eq!((snap.dead_letters, snap.stopping), (1, false));
    assert!(snap.to_string().contains("1 dead letters"), "{snap}");
    within(system.shutdown()).await;
    let snap = system.snapshot();
    assert!(snap.stopping);
    assert_eq!(snap.iter().count(), 0);
}
