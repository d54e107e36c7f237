use actor_core::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[messages]
impl Counter {
    pub async fn new() -> Counter {
        Counter { n: 0 }
    }
}

fn main() {}
