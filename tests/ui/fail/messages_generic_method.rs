use actor_core::prelude::*;

#[derive(Actor)]
struct Log {
    lines: Vec<String>,
}

#[messages]
impl Log {
    pub async fn write<T: ToString>(&mut self, line: T) {
        self.lines.push(line.to_string());
    }

    pub async fn flush(&mut self)
    where
        Self: Sized,
    {
        self.lines.clear();
    }
}

fn main() {}
