use actor_core::prelude::*;

#[derive(Actor)]
struct Gauge {
    level: u64,
}

#[messages]
impl Gauge {
    pub async fn eq(&self, level: u64) -> bool {
        self.level == level
    }

    pub async fn ne(&self, level: u64) -> bool {
        self.level != level
    }
}

fn main() {}
