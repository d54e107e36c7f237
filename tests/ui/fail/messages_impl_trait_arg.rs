use actor_core::prelude::*;

#[derive(Actor)]
struct Log {
    lines: Vec<String>,
}

#[messages]
impl Log {
    pub async fn write(&mut self, line: impl ToString + Send + 'static) {
        self.lines.push(line.to_string());
    }

    pub async fn lines(&self) -> impl Iterator<Item = String> {
        self.lines.clone().into_iter()
    }
}

fn main() {}
