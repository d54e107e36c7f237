//! An actor with a one-slot mailbox that a test can park inside a handler,
//! so that its mailbox stays full for as long as the test needs.
//!
//! The including test crate defines `within`, its bounded wait.

use actor_core::prelude::*;
use tokio::sync::oneshot;

use super::within;

/// Logs the numbers it handles; `Block` holds its handler until released.
#[derive(Default)]
pub(crate) struct Gated {
    log: Vec<u32>,
}

impl Actor for Gated {
    const MAILBOX: usize = 1;
}

/// Signals `started`, then holds the handler until `gate` fires or is dropped.
pub(crate) struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Gated {
    type Reply = ();
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        let _ = gate.await;
    }
}

/// A number to log.
pub(crate) struct Num(pub(crate) u32);

impl Handler<Num> for Gated {
    type Reply = ();
    async fn handle(&mut self, Num(n): Num, _ctx: &mut Context<Self>) {
        self.log.push(n);
    }
}

/// Asks for the numbers logged so far.
pub(crate) struct Log;

impl Handler<Log> for Gated {
    type Reply = Vec<u32>;
    async fn handle(&mut self, _: Log, _ctx: &mut Context<Self>) -> Vec<u32> {
        self.log.clone()
    }
}

/// Parks the actor inside a handler and fills its one-slot mailbox with
/// `Num(1)`. Dropping or firing the returned sender releases the handler.
pub(crate) async fn park_and_fill(actor: &ActorRef<Gated>) -> oneshot::Sender<()> {
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    within(actor.tell(Block { started: started_tx, gate: gate_rx })).await.unwrap();
    within(started_rx).await.unwrap();
    actor.try_tell(Num(1)).unwrap();
    assert_eq!(actor.metrics().mailbox_len, 1);
    gate_tx
}
