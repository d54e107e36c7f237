use actor_core::prelude::*;

#[derive(Actor)]
struct Job {
    running: bool,
}

#[messages]
impl Job {
    pub async fn stop(&mut self) {
        self.running = false;
    }

    pub async fn ask(&self) -> bool {
        self.running
    }

    pub async fn clone(&self) {}
}

fn main() {}
