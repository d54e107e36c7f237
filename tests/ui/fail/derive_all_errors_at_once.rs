// Every bad option is reported in one build, and the fallback impl keeps
// uses of the type as an actor free of further errors.
use actor_core::prelude::*;

#[derive(Actor)]
#[actor(mailbox = 0, size = 3, name = 5)]
struct Counter<'a> {
    n: &'a u64,
}

fn main() {
    let _ = <Counter<'static> as Actor>::MAILBOX;
}
