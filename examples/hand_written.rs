//! The README tour's counter written without macros: what `#[derive(Actor)]`
//! and `#[messages]` generate, spelled out.
//!
//! Run with `cargo run --example hand_written`.

use std::time::Duration;

use actor_core::MessageCall;
use actor_core::prelude::*;

/// The actor: its state is only touched by its own task.
struct Counter {
    n: u64,
}

/// `#[derive(Actor)]` with `#[actor(mailbox = 256)]` writes this; every
/// other item (`name`, the lifecycle hooks) keeps its default here, except
/// that the derive names the actor after its type.
impl Actor for Counter {
    const MAILBOX: usize = 256;

    fn name() -> &'static str {
        "Counter"
    }
}

/// The message `inc(&mut self, by: u64)` becomes.
struct Inc {
    by: u64,
}

/// The message `get(&self) -> u64` becomes.
struct Get {}

impl Handler<Inc> for Counter {
    type Reply = ();

    async fn handle(&mut self, msg: Inc, _ctx: &mut Context<Self>) {
        self.n += msg.by;
    }
}

impl Handler<Get> for Counter {
    type Reply = u64;

    async fn handle(&mut self, _msg: Get, _ctx: &mut Context<Self>) -> u64 {
        self.n
    }
}

/// The typed client methods: one per message, each returning a
/// `MessageCall` that asks when awaited, tells with `.tell()`, and asks
/// with a deadline with `.timeout(d)`.
trait CounterMessages {
    fn inc(&self, by: u64) -> MessageCall<'_, Counter, Inc>;
    fn get(&self) -> MessageCall<'_, Counter, Get>;
}

impl CounterMessages for ActorRef<Counter> {
    fn inc(&self, by: u64) -> MessageCall<'_, Counter, Inc> {
        MessageCall::new(self, Inc { by })
    }

    fn get(&self) -> MessageCall<'_, Counter, Get> {
        MessageCall::new(self, Get {})
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::new();
    let counter = system.spawn(Counter { n: 0 })?;

    counter.inc(2).tell().await?; // tell: waits for mailbox space, not for the handler
    counter.inc(1).await?; // ask: waits for the reply, here `()`
    let n: u64 = counter.get().await?;
    println!("count after two increments: {n}");
    let n = counter.get().timeout(Duration::from_millis(50)).await?;
    println!("count, asked with a deadline: {n}");

    // The same messages through the plain API, without the client trait.
    counter.tell(Inc { by: 4 }).await?;
    println!("count: {}", counter.ask(Get {}).await?);

    let report = system.shutdown().await;
    println!("{report}");
    Ok(())
}
