use actor_core::prelude::*;

#[derive(Actor, Default)]
struct Counter {
    n: u64,
}

#[messages]
impl Counter {
    pub async fn inc(&mut self, by: u64) {
        self.n += by;
    }

    pub fn get(&self) -> u64 {
        self.n
    }
}

async fn client(counter: ActorRef<Counter>) {
    // Still generated: only the bad method is left out.
    counter.inc(1).await.unwrap();
}

fn main() {
    let _ = client;
}
