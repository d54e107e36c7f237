use actor_core::prelude::*;

#[derive(Actor)]
#[actor(mailbox = "large")]
struct Counter;

#[derive(Actor)]
#[actor(mailbox = 2.5)]
struct Gauge;

#[derive(Actor)]
#[actor(mailbox = -1)]
struct Meter;

fn main() {
    let _ = <Counter as Actor>::MAILBOX;
}
