//! `ask_par`: 64 concurrent askers, each doing a fixed number of sequential
//! asks of one actor; throughput compared with the hand-written tokio
//! baseline in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::Criterion;

#[path = "support.rs"]
mod support;

use support::{CounterRef, Samples};

/// Concurrent asker tasks.
const ASKERS: u64 = 64;
/// Sequential asks per asker per timed iteration.
const PER_ASKER: u64 = 2_000;

/// 64 asker tasks, joined; one duration per iteration.
async fn drive<C: CounterRef>(c: C, iters: u64) -> Vec<Duration> {
    let mut runs = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        let start = Instant::now();
        let askers: Vec<_> = (0..ASKERS)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move {
                    for _ in 0..PER_ASKER {
                        black_box(c.get().await);
                    }
                })
            })
            .collect();
        for a in askers {
            a.await.expect("asker");
        }
        runs.push(start.elapsed());
    }
    runs
}

fn bench(c: &mut Criterion) {
    let rt = support::runtime();
    let system = rt.block_on(async { ActorSystem::new() });
    let (ours, base) = (Samples::default(), Samples::default());
    let (ours_rec, base_rec) = (&ours, &base);

    let mut group = c.benchmark_group("ask_par");
    support::configure(&mut group, ASKERS * PER_ASKER, Duration::from_secs(2));
    group.bench_function("ours", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let system = &system;
            async move {
                let actor = support::spawn_ours(system);
                let runs = tokio::spawn(drive(actor.clone(), iters)).await.expect("driver");
                support::stop_ours(actor).await;
                ours_rec.record(&runs)
            }
        });
    });
    group.bench_function("tokio_baseline", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, join) = support::spawn_baseline();
            let runs = tokio::spawn(drive(tx.clone(), iters)).await.expect("driver");
            support::stop_baseline(tx, join).await;
            base_rec.record(&runs)
        });
    });
    group.finish();
    let (po, pb) = support::paired_counter(&rt, &system, drive, drive);
    support::report_throughput("ask_par", "ask", ASKERS * PER_ASKER, (&po, &pb), (&ours, &base));
    let _ = rt.block_on(system.shutdown());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
