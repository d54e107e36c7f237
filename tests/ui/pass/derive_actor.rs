//! `#[derive(Actor)]` on the shapes it supports.
use actor_core::prelude::*;

#[derive(Actor)]
#[actor(mailbox = 256, name = "counter")]
struct Counter {
    _n: u64,
}

#[derive(Actor)]
#[actor(name = "light")]
#[actor(mailbox = 1usize)]
enum Light {
    _On,
    _Off,
}

#[derive(Actor)]
struct Unit;

#[derive(Actor)]
struct Tuple(#[allow(dead_code)] String);

/// Generic, with a where clause and a const parameter: the derive adds
/// `T: Send + 'static` itself.
#[derive(Actor)]
#[actor(mailbox = 8)]
struct Buffer<T, const N: usize>
where
    T: Clone,
{
    _items: Vec<[T; N]>,
}

const _: () = assert!(<Counter as Actor>::MAILBOX == 256);
const _: () = assert!(<Light as Actor>::MAILBOX == 1);
const _: () = assert!(<Unit as Actor>::MAILBOX == 1024);
const _: () = assert!(<Buffer<String, 2> as Actor>::MAILBOX == 8);

fn main() {
    assert_eq!(<Counter as Actor>::name(), "counter");
    assert_eq!(<Light as Actor>::name(), "light");
    assert_eq!(<Unit as Actor>::name(), "Unit");
    assert_eq!(<Tuple as Actor>::name(), "Tuple");
    assert_eq!(<Buffer<u8, 4> as Actor>::name(), "Buffer");
}
