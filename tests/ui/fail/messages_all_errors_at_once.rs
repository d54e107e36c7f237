// Every bad method is reported in one build; the good ones are still
// generated, so code that uses them adds no errors of its own.
use actor_core::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[messages]
impl Counter {
    fn helper(&self) -> u64 {
        self.n
    }

    async fn consume(self) {}

    async fn kill(&mut self) {}

    async fn take<T>(&mut self, t: T) {
        let _ = t;
    }

    pub async fn inc(&mut self, by: u64) {
        self.n += by;
    }

    pub async fn get(&self) -> u64 {
        self.n
    }
}

async fn client(counter: ActorRef<Counter>) -> Result<u64, AskError> {
    counter.inc(1).tell().await.ok();
    counter.get().await
}

fn main() {
    let _ = client;
}
