use actor_core::prelude::*;

struct View<'a> {
    data: &'a [u8],
}

#[messages]
impl<'a> View<'a> {
    pub async fn len(&self) -> usize {
        self.data.len()
    }
}

fn main() {}
