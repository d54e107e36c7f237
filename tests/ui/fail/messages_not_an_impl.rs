use actor_core::prelude::*;

#[messages]
struct Counter {
    n: u64,
}

#[messages]
async fn inc(counter: &mut Counter) {
    counter.n += 1;
}

fn main() {}
