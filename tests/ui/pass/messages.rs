//! `#[messages]` with everything it accepts: both receivers, the context,
//! derives, docs, `cfg`, `mut` arguments, `Self` in an argument, mixed
//! visibility, and a generic impl block with a where clause.
use actor_core::prelude::*;

mod counter {
    use actor_core::prelude::*;

    #[derive(Actor, Default)]
    pub struct Counter {
        n: u64,
    }

    #[messages]
    impl Counter {
        /// Adds `by`.
        #[message(derive(Debug, Clone, PartialEq))]
        #[message(derive(Eq))]
        pub async fn inc(&mut self, mut by: u64) {
            by += 0;
            self.n += by;
        }

        /// The count.
        pub async fn get(&self) -> u64 {
            self.n
        }

        pub(crate) async fn name_of(&self, ctx: &mut Context<Self>) -> String {
            ctx.name().to_string()
        }

        async fn stop_after(&mut self, by: u64, ctx: &mut Context<Self>) {
            self.n += by;
            ctx.stop();
        }

        pub async fn merge(&mut self, other: Option<Box<Self>>) -> u64 {
            self.n += other.map_or(0, |o| o.n);
            self.n
        }

        #[cfg(any())]
        pub async fn never(&self) {}

        pub async fn r#type(&self) -> &'static str {
            "counter"
        }
    }

    impl Counter {
        /// Helpers live in another impl block.
        pub fn helper(&self) -> u64 {
            self.n
        }
    }

    /// A private method's message and client method are usable where the
    /// method is: inside this module.
    pub(crate) async fn stop_later(counter: &ActorRef<Counter>, by: u64) {
        let _ = StopAfter { by };
        counter.stop_after(by).tell().await.unwrap();
    }
}

mod stack {
    use actor_core::prelude::*;

    #[derive(Actor)]
    pub struct Stack<T> {
        pub items: Vec<T>,
    }

    #[messages]
    impl<T> Stack<T>
    where
        T: Clone + Sync,
    {
        pub async fn push(&mut self, item: T) {
            self.items.push(item);
        }

        pub async fn peek(&self) -> Option<T> {
            self.items.last().cloned()
        }

        pub async fn len(&self) -> usize {
            self.items.len()
        }
    }
}

use counter::{Counter, CounterMessages, Get, Inc};
use stack::{Len, Push, Stack, StackMessages};

/// Type-checks the client methods without running them.
#[allow(dead_code)]
async fn client(counter: ActorRef<Counter>, stack: ActorRef<Stack<String>>) -> Result<(), Box<dyn std::error::Error>> {
    let (): () = counter.inc(1).await?;
    counter.inc(1).tell().await?;
    counter.inc(1).try_tell()?;
    let n: u64 = counter.get().timeout(std::time::Duration::from_secs(1)).await?;
    let _: String = counter.name_of().await?;
    counter::stop_later(&counter, n).await;
    let _: u64 = counter.merge(None).await?;
    let _: &'static str = counter.r#type().await?;
    stack.push("a".to_string()).await?;
    let _: Option<String> = stack.peek().await?;
    let _: usize = stack.len().await?;
    let _: usize = stack.ask(Len {}).await?;
    stack.tell(Push { item: "b".to_string() }).await?;
    Ok(())
}

fn main() {
    let inc = Inc { by: 2 };
    assert_eq!(inc.clone(), Inc { by: 2 });
    assert_eq!(format!("{inc:?}"), "Inc { by: 2 }");
    let _ = Get {};
    let _ = Counter::default().helper();
    let _ = Stack::<u8> { items: vec![] };
}
