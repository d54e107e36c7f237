use actor_core::prelude::*;

#[derive(Actor)]
struct Counter {
    n: u64,
}

#[messages]
impl Default for Counter {
    fn default() -> Self {
        Counter { n: 0 }
    }
}

fn main() {
    let _ = Counter::default().n;
}
