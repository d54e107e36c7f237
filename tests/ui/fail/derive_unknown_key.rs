use actor_core::prelude::*;

#[derive(Actor)]
#[actor(capacity = 16)]
struct Counter;

fn main() {
    let _ = <Counter as Actor>::MAILBOX;
}
