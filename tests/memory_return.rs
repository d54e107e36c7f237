//! Memory return: once its actors stopped and its runtime is gone, a system
//! has given back all it allocated, including the blocks that actors'
//! shared cells were carved from (freed on other threads than the one that
//! carved them, listed half empty and taken over by the next burst of
//! spawns, and held by worker threads until they exit).

use actor_core::prelude::*;

// The `spawn` bench's counting allocator; this test reads its byte count.
#[allow(dead_code)]
#[path = "../benches/alloc_count.rs"]
mod alloc_count;

#[global_allocator]
static ALLOC: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

/// Enough actors for many blocks of cells on each worker.
const ACTORS: usize = 4_000;

#[derive(Default)]
struct Counter {
    n: u64,
}

impl Actor for Counter {}

#[messages]
impl Counter {
    async fn add(&mut self, by: u64) -> u64 {
        self.n += by;
        self.n
    }
}

/// Spawns actors from two tasks (so both workers carve cells) in two
/// bursts: after the first, three in four stop, leaving its blocks mostly
/// empty for the second to take over. Asks each actor once, then
/// stops half of them and drops every handle of the other half, and shuts
/// the system and the runtime down.
fn cycle() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    runtime.block_on(async {
        let system = ActorSystem::new();
        let spawners: Vec<_> = (0..2)
            .map(|_| {
                let system = system.clone();
                tokio::spawn(async move {
                    let mut kept = Vec::new();
                    for round in 0..2 {
                        let mut burst = Vec::with_capacity(ACTORS / 4);
                        for _ in 0..ACTORS / 4 {
                            let actor = system.spawn(Counter::default()).expect("spawn");
                            assert_eq!(actor.ask(Add { by: 1 }).await.expect("ask"), 1);
                            burst.push(actor);
                        }
                        for (i, actor) in burst.into_iter().enumerate() {
                            if round == 0 && i % 4 != 0 {
                                actor.stop();
                                assert_eq!(actor.wait_for_stop().await, ExitReason::Normal);
                            } else {
                                kept.push(actor);
                            }
                        }
                    }
                    kept
                })
            })
            .collect();
        for spawner in spawners {
            let refs = spawner.await.expect("spawner");
            for (i, actor) in refs.into_iter().enumerate() {
                assert_eq!(actor.ask(Add { by: 1 }).await.expect("ask"), 2);
                if i % 2 == 0 {
                    actor.stop();
                    assert_eq!(actor.wait_for_stop().await, ExitReason::Normal);
                }
            }
        }
        let report = system.shutdown().await;
        assert!(report.is_clean(), "{report}");
    });
    drop(runtime);
}

// A block of cells that is never freed (a lost count, a carver that never
// abandons its block) leaves 16 KiB per block allocated here.
#[test]
fn a_system_gives_back_what_it_allocated() {
    // One-time allocations (tracing's callsites, the runtime's statics)
    // happen in the first cycle; the second must end where it started.
    cycle();
    alloc_count::start();
    cycle();
    let net = alloc_count::stop();
    assert!(net.unsigned_abs() < 4096, "{net} bytes still allocated after the second cycle");
}
