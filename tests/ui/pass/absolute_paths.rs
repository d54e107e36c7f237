//! The expansions name nothing from the caller's scope: no imports here,
//! and local items that shadow the runtime's names and `core`.
#![allow(dead_code)]

mod core {}
struct Context;
trait Actor {}
trait Handler {}
struct ActorRef;
struct MessageCall;
struct Future;

#[derive(actor_core::Actor)]
#[actor(mailbox = 4)]
struct Counter {
    n: u64,
}

#[actor_core::messages]
impl Counter {
    async fn inc(&mut self, by: u64) {
        self.n += by;
    }

    async fn get(&self, ctx: &mut actor_core::Context<Self>) -> u64 {
        let _ = ctx.id();
        self.n
    }
}

async fn client(counter: actor_core::ActorRef<Counter>) -> Result<u64, actor_core::AskError> {
    counter.inc(1).await?;
    counter.get().await
}

fn main() {}
