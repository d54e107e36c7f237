//! `spawn`: spawn 100,000 actors, ask each once, stop them all and wait
//! until every one has stopped; compared with spawning bare tokio tasks with
//! their channels doing the same. Also measures the bytes one idle actor
//! costs (spawned and answered one ask) on both sides, with a counting
//! global allocator.

use std::hint::black_box;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::Criterion;

#[path = "support.rs"]
mod support;

#[path = "alloc_count.rs"]
mod alloc_count;

use support::{BaseRef, Counter, CounterRef, Samples, si};

#[global_allocator]
static ALLOC: alloc_count::CountingAlloc = alloc_count::CountingAlloc;

/// Actors per timed iteration, and for the memory measurement.
const ACTORS: usize = 100_000;

/// Durations of the three phases of one iteration: spawn, ask, stop.
type Phases = [Duration; 3];

/// One side of the comparison. Each side keeps preallocated vectors between
/// iterations, so growing them is neither timed nor counted as memory.
trait Side {
    /// Spawns `ACTORS` actors (or tasks).
    async fn spawn_all(&mut self);
    /// Asks each of them once.
    async fn ask_all(&self);
    /// Stops them all and waits until every one has stopped.
    async fn stop_all(&mut self);
}

/// The actors under test, on `system`.
struct Ours {
    system: ActorSystem,
    refs: Vec<ActorRef<Counter>>,
}

/// The baseline's senders and its tasks' join handles.
struct Base(Vec<BaseRef>, Vec<tokio::task::JoinHandle<u64>>);

impl Ours {
    fn new(system: ActorSystem) -> Self {
        Self { system, refs: Vec::with_capacity(ACTORS) }
    }
}

impl Side for Ours {
    async fn spawn_all(&mut self) {
        for _ in 0..ACTORS {
            self.refs.push(support::spawn_ours(&self.system));
        }
    }

    async fn ask_all(&self) {
        for r in &self.refs {
            black_box(r.get().await);
        }
    }

    async fn stop_all(&mut self) {
        for r in &self.refs {
            r.stop();
        }
        for r in self.refs.drain(..) {
            let _ = r.wait_for_stop().await;
        }
    }
}

impl Base {
    fn new() -> Self {
        Self(Vec::with_capacity(ACTORS), Vec::with_capacity(ACTORS))
    }
}

impl Side for Base {
    async fn spawn_all(&mut self) {
        for _ in 0..ACTORS {
            let (tx, join) = support::spawn_baseline();
            self.0.push(tx);
            self.1.push(join);
        }
    }

    async fn ask_all(&self) {
        for tx in &self.0 {
            black_box(tx.get().await);
        }
    }

    async fn stop_all(&mut self) {
        // Dropping the senders is the baseline's stop; then wait for every task.
        self.0.clear();
        for j in self.1.drain(..) {
            black_box(j.await.expect("baseline task"));
        }
    }
}

/// Times `iters` rounds of spawn, ask, stop for either side.
async fn drive(mut side: impl Side, iters: u64) -> Vec<Phases> {
    let mut runs = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let t0 = Instant::now();
        side.spawn_all().await;
        let t1 = Instant::now();
        side.ask_all().await;
        let t2 = Instant::now();
        side.stop_all().await;
        let t3 = Instant::now();
        runs.push([t1 - t0, t2 - t1, t3 - t2]);
    }
    runs
}

/// Net bytes per actor: while idle, still held after all stopped, and the
/// growth over a second identical cycle (0 when what stays held is reused
/// capacity rather than a leak).
#[derive(Debug, Clone, Copy)]
struct Memory {
    idle: f64,
    blocks: f64,
    retained: f64,
    growth: f64,
}

impl Memory {
    fn per_actor(idle: isize, blocks: isize, retained: isize, second: isize) -> Self {
        let per = |b: isize| b as f64 / ACTORS as f64;
        Self { idle: per(idle), blocks: per(blocks), retained: per(retained), growth: per(second - retained) }
    }
}

/// Memory of either side: two identical cycles of spawn, ask, stop.
async fn memory(mut side: impl Side) -> Memory {
    alloc_count::start();
    side.spawn_all().await;
    side.ask_all().await;
    let (idle, blocks) = (alloc_count::net(), alloc_count::blocks());
    side.stop_all().await;
    settle().await;
    let retained = alloc_count::net();
    side.spawn_all().await;
    side.ask_all().await;
    side.stop_all().await;
    settle().await;
    let second = alloc_count::stop();
    Memory::per_actor(idle, blocks, retained, second)
}

/// Memory of ours, on a fresh system (so no capacity grown by the timed
/// runs hides anything).
async fn ours_memory() -> Memory {
    let system = ActorSystem::new();
    let m = memory(Ours::new(system.clone())).await;
    let _ = system.shutdown().await;
    m
}

/// Lets the workers finish releasing tasks that signalled their end.
async fn settle() {
    for _ in 0..64 {
        tokio::task::yield_now().await;
    }
}

fn median_phases(runs: &Mutex<Vec<Phases>>) -> Option<Phases> {
    let runs = runs.lock().expect("phases");
    if runs.is_empty() {
        return None;
    }
    let mut out = [Duration::ZERO; 3];
    for (i, slot) in out.iter_mut().enumerate() {
        let mut v: Vec<_> = runs.iter().map(|p| p[i]).collect();
        v.sort_unstable();
        *slot = v[v.len() / 2];
    }
    Some(out)
}

fn show_phases(p: Option<Phases>) -> String {
    p.map_or("n/a".to_owned(), |[s, a, t]| format!("spawn {:.1} ms, ask {:.1} ms, stop {:.1} ms", ms(s), ms(a), ms(t)))
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench(c: &mut Criterion) {
    let rt = support::runtime();
    let system = rt.block_on(async { ActorSystem::new() });
    let (ours, base) = (Samples::default(), Samples::default());
    let (ours_rec, base_rec) = (&ours, &base);
    let totals = |runs: &[Phases]| runs.iter().map(|p| p.iter().sum()).collect::<Vec<Duration>>();

    let mut group = c.benchmark_group("spawn");
    support::configure(&mut group, ACTORS as u64, Duration::from_secs(3));
    group.bench_function("ours", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let system = system.clone();
            async move {
                let runs = tokio::spawn(drive(Ours::new(system), iters)).await.expect("driver");
                ours_rec.record(&totals(&runs))
            }
        });
    });
    group.bench_function("tokio_baseline", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let runs = tokio::spawn(drive(Base::new(), iters)).await.expect("driver");
            base_rec.record(&totals(&runs))
        });
    });
    group.finish();

    // The phases of the alternating runs, for the breakdown line.
    let (paired_ours_phases, paired_base_phases) = (Mutex::new(Vec::new()), Mutex::new(Vec::new()));
    let (ours_ph, base_ph) = (&paired_ours_phases, &paired_base_phases);
    let (po, pb) = rt.block_on(support::alternate(
        support::PAIRED_ROUNDS,
        || {
            let run = tokio::spawn(drive(Ours::new(system.clone()), 1));
            async move {
                let runs = run.await.expect("driver");
                ours_ph.lock().expect("phases").extend_from_slice(&runs);
                totals(&runs)
            }
        },
        || {
            let run = tokio::spawn(drive(Base::new(), 1));
            async move {
                let runs = run.await.expect("driver");
                base_ph.lock().expect("phases").extend_from_slice(&runs);
                totals(&runs)
            }
        },
    ));
    support::report_throughput("spawn", "actor", ACTORS as u64, (&po, &pb), (&ours, &base));
    if let (Some(o), Some(b)) = (po.median(), pb.median()) {
        println!(
            "spawn: time ratio {:.2}x (ours/baseline, lower is better); ours {}; baseline {}",
            o.as_secs_f64() / b.as_secs_f64(),
            show_phases(median_phases(&paired_ours_phases)),
            show_phases(median_phases(&paired_base_phases)),
        );
    }
    let _ = rt.block_on(system.shutdown());

    let (o, b) = rt.block_on(async {
        let o = tokio::spawn(ours_memory()).await.expect("memory");
        let b = tokio::spawn(memory(Base::new())).await.expect("memory");
        (o, b)
    });
    println!(
        "spawn idle memory: ours {:.0} B/actor, tokio baseline {:.0} B/actor, ratio {:.2}x \
         ({} actors; live allocations per actor: ours {:.1}, baseline {:.1}; still allocated after all stopped: ours {:.1}, baseline {:.1} B/actor; \
         growth over a second cycle: ours {:.1}, baseline {:.1} B/actor)",
        o.idle,
        b.idle,
        o.idle / b.idle,
        si(ACTORS as f64),
        o.blocks,
        b.blocks,
        o.retained,
        b.retained,
        o.growth,
        b.growth,
    );
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
