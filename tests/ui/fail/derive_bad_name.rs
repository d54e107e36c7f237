use actor_core::prelude::*;

#[derive(Actor)]
#[actor(name = counter)]
struct Counter;

#[derive(Actor)]
#[actor(name = "")]
struct Empty;

#[derive(Actor)]
#[actor(name)]
struct Bare;

fn main() {
    let _ = <Counter as Actor>::name();
}
