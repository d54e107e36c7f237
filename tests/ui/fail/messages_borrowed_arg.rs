use actor_core::prelude::*;

#[derive(Actor)]
struct Log {
    lines: Vec<String>,
}

#[messages]
impl Log {
    pub async fn write(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }

    pub async fn write_all(&mut self, lines: Vec<&str>) {
        self.lines.extend(lines.into_iter().map(String::from));
    }

    pub async fn first(&self) -> &str {
        &self.lines[0]
    }

    pub async fn shared_ctx(&self, ctx: &Context<Self>) {
        let _ = ctx;
    }

    // `&'static` is owned enough.
    pub async fn tag(&mut self, tag: &'static str) {
        self.lines.push(tag.to_string());
    }
}

fn main() {}
