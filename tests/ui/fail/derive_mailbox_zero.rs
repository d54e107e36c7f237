use actor_core::prelude::*;

#[derive(Actor)]
#[actor(mailbox = 0)]
struct Counter;

fn main() {
    let _ = <Counter as Actor>::MAILBOX;
}
