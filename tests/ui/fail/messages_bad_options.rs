use actor_core::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[messages(derive(Debug))]
impl Counter {
    #[message(derive(Debug), rename = "Add")]
    pub async fn inc(&mut self, by: u64) {
        self.n += by;
    }

    #[message]
    pub async fn get(&self) -> u64 {
        self.n
    }

    pub async fn counter(&self) {}
}

fn main() {}
