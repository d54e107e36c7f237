use actor_core::prelude::*;

#[derive(Actor)]
#[actor(mailbox = 16, name = "a")]
#[actor(mailbox = 32)]
struct Counter;

fn main() {
    let _ = <Counter as Actor>::MAILBOX;
}
