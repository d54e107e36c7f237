//! An application as a supervision tree: a database-like store, a cache in
//! front of it, and a pool of workers under their own supervisor. Faults are
//! injected (a worker panics, the cache fails); the restarts show in the
//! printed snapshots; the service shuts down gracefully on Ctrl-C or after
//! a few seconds and prints the shutdown report.
//!
//! Run with `cargo run --example supervised_service`.

use std::collections::HashMap;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{Backoff, ChildSpec, Restart, Shutdown, Strategy, Supervisor};

/// The "database": durable state that survives everything else.
#[derive(Actor, Default)]
#[actor(name = "store")]
struct Store {
    rows: HashMap<String, u64>,
}

#[messages]
impl Store {
    /// Writes a row.
    async fn put(&mut self, key: String, value: u64) {
        self.rows.insert(key, value);
    }

    /// Reads a row.
    async fn read(&self, key: String) -> Option<u64> {
        self.rows.get(&key).copied()
    }
}

/// A cache that fails (and is restarted empty) when told to.
#[derive(Actor, Default)]
#[actor(name = "cache")]
struct Cache {
    entries: HashMap<String, u64>,
}

#[messages]
impl Cache {
    /// Returns a cached value.
    async fn lookup(&self, key: String) -> Option<u64> {
        self.entries.get(&key).copied()
    }

    /// Remembers a value.
    async fn remember(&mut self, key: String, value: u64) {
        self.entries.insert(key, value);
    }

    /// Simulates a corrupted cache: fails the incarnation.
    async fn corrupt(&mut self, ctx: &mut Context<Self>) {
        ctx.fail("cache corrupted");
    }
}

/// A worker that computes squares and panics on 13.
#[derive(Actor, Default)]
#[actor(mailbox = 32, name = "worker")]
struct Worker {
    done: u64,
}

#[messages]
impl Worker {
    /// Squares a number and counts it; panics on 13.
    async fn square(&mut self, n: u64) -> u64 {
        assert_ne!(n, 13, "unlucky input");
        self.done += 1;
        n * n
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::builder().name("service").drain_timeout(Duration::from_secs(2)).build()?;

    let mut workers = Supervisor::builder("workers")
        .strategy(Strategy::OneForOne)
        .intensity(5, Duration::from_secs(1))
        .backoff(Backoff::exponential(Duration::from_millis(5), Duration::from_millis(200)));
    for i in 0..3 {
        workers = workers.child(ChildSpec::new(format!("worker-{i}"), Worker::default));
    }
    let app = Supervisor::builder("app")
        .strategy(Strategy::RestForOne) // the cache depends on the store; workers on both
        .intensity(3, Duration::from_secs(5))
        .child(ChildSpec::new("store", Store::default).shutdown(Shutdown::Timeout(Duration::from_secs(1))))
        .child(ChildSpec::new("cache", Cache::default).restart(Restart::Transient))
        .child(ChildSpec::supervisor(workers))
        .spawn(&system)
        .await?;

    let store = app.child::<Store>("store")?;
    let cache = app.child::<Cache>("cache")?;
    let pool = app.supervisor("workers")?;
    let workers: Vec<ActorRef<Worker>> =
        (0..3).map(|i| pool.child::<Worker>(&format!("worker-{i}"))).collect::<Result<_, _>>()?;

    println!("started:\n{}", system.snapshot());

    // Normal traffic.
    for n in 1..=12u64 {
        let w = &workers[n as usize % workers.len()];
        let sq = w.square(n).await?;
        store.put(format!("sq{n}"), sq).tell().await?;
        cache.remember(format!("sq{n}"), sq).tell().await?;
    }
    println!(
        "cache has sq12 = {:?}, store has sq12 = {:?}",
        cache.lookup("sq12".into()).await?,
        store.read("sq12".into()).await?
    );

    // Fault 1: a worker panics on one input; its asker gets the panic text and
    // the supervisor restarts it behind the same handle.
    match workers[1].square(13).await {
        Err(AskError::Panicked(text)) => println!("worker-1 panicked on 13: {text}"),
        other => println!("unexpected: {other:?}"),
    }
    println!("worker-1 after its restart squares 9 = {}", workers[1].square(9).await?);

    // Fault 2: the cache fails; it is restarted empty, the store keeps its rows.
    cache.corrupt().tell().await?;
    let after = cache.lookup("sq12".into()).await?;
    println!("cache after its restart: sq12 = {after:?}; store still has {:?}", store.read("sq12".into()).await?);

    println!("\nafter the faults:\n{}", system.snapshot());
    println!("children of app: {:?}", app.count_children().await?);

    // Run until Ctrl-C, or for a few seconds when nobody is watching.
    tokio::select! {
        report = system.shutdown_on_signal() => { println!("{report}"); return Ok(()); }
        _ = tokio::time::sleep(Duration::from_secs(2)) => {}
    }
    println!("{}", system.shutdown().await);
    Ok(())
}
