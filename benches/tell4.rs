//! `tell4`: four senders each tell one actor 250,000 messages, then one ask
//! (so every message was handled when the clock stops); compared with the
//! hand-written tokio baseline in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::Criterion;

#[path = "support.rs"]
mod support;

use support::{CounterRef, Samples};

/// Concurrent senders.
const SENDERS: u64 = 4;
/// Messages per sender per timed iteration.
const PER_SENDER: u64 = 250_000;

/// Four sender tasks, joined, then one ask; one duration per iteration.
async fn drive<C: CounterRef>(c: C, iters: u64) -> Vec<Duration> {
    let mut runs = Vec::with_capacity(iters as usize);
    let mut expected = c.get().await;
    for _ in 0..iters {
        let start = Instant::now();
        let senders: Vec<_> = (0..SENDERS)
            .map(|_| {
                let c = c.clone();
                tokio::spawn(async move {
                    for _ in 0..PER_SENDER {
                        c.inc(black_box(1)).await;
                    }
                })
            })
            .collect();
        for s in senders {
            s.await.expect("sender");
        }
        let n = c.get().await;
        runs.push(start.elapsed());
        expected += SENDERS * PER_SENDER;
        assert_eq!(n, expected, "every tell was handled");
    }
    runs
}

fn bench(c: &mut Criterion) {
    let rt = support::runtime();
    let system = rt.block_on(async { ActorSystem::new() });
    let (ours, base) = (Samples::default(), Samples::default());
    let (ours_rec, base_rec) = (&ours, &base);

    let mut group = c.benchmark_group("tell4");
    support::configure(&mut group, SENDERS * PER_SENDER, Duration::from_secs(2));
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
    support::report_throughput("tell4", "msg", SENDERS * PER_SENDER, (&po, &pb), (&ours, &base));
    let _ = rt.block_on(system.shutdown());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
