use actor_core::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[messages]
impl Counter {
    pub async fn into_count(self) -> u64 {
        self.n
    }

    pub async fn boxed(self: Box<Self>) -> u64 {
        self.n
    }
}

fn main() {}
