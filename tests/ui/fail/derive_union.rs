use actor_core::prelude::*;

#[derive(Actor)]
union Bits {
    a: u32,
    b: f32,
}

fn main() {
    let _ = <Bits as Actor>::MAILBOX;
}
