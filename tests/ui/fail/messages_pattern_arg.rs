use actor_core::prelude::*;

#[derive(Actor)]
struct Point {
    x: i64,
    y: i64,
}

#[messages]
impl Point {
    pub async fn shift(&mut self, (dx, dy): (i64, i64)) {
        self.x += dx;
        self.y += dy;
    }

    pub async fn ignore(&mut self, _: u8) {}

    pub async fn by_ref(&mut self, ref x: i64) {
        self.x = *x;
    }
}

fn main() {}
