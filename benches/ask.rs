//! `ask`: sequential round trips to one actor. Criterion measures the mean
//! round trip; a separate loop then times every round trip on its own and
//! prints p50 and p99 for both sides, alternating blocks of ours and of the
//! hand-written tokio baseline so that drift on the machine hits both alike.

use std::hint::black_box;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use criterion::Criterion;

#[path = "support.rs"]
mod support;

use support::{CounterRef, micros, quantile};

/// Round trips per side before the latency loop records anything.
const WARM_UP: usize = 10_000;
/// Alternating blocks per side in the latency loop.
const ROUNDS: usize = 20;
/// Round trips per block.
const BLOCK: usize = 10_000;

/// `iters` sequential asks, timed as a whole (what criterion reports).
async fn drive<C: CounterRef>(c: C, iters: u64) -> Duration {
    let start = Instant::now();
    for _ in 0..iters {
        black_box(c.get().await);
    }
    start.elapsed()
}

/// `n` sequential asks, each timed on its own.
async fn record<C: CounterRef>(c: &C, n: usize, out: &mut Vec<Duration>) {
    for _ in 0..n {
        let start = Instant::now();
        black_box(c.get().await);
        out.push(start.elapsed());
    }
}

/// Latencies of both sides, in alternating blocks, from one task.
async fn latencies<A: CounterRef, B: CounterRef>(ours: A, base: B) -> (Vec<Duration>, Vec<Duration>) {
    let mut scratch = Vec::with_capacity(WARM_UP);
    record(&ours, WARM_UP, &mut scratch).await;
    scratch.clear();
    record(&base, WARM_UP, &mut scratch).await;
    let mut o = Vec::with_capacity(ROUNDS * BLOCK);
    let mut b = Vec::with_capacity(ROUNDS * BLOCK);
    for round in 0..ROUNDS {
        // Alternate which side goes first, too.
        if round % 2 == 0 {
            record(&ours, BLOCK, &mut o).await;
            record(&base, BLOCK, &mut b).await;
        } else {
            record(&base, BLOCK, &mut b).await;
            record(&ours, BLOCK, &mut o).await;
        }
    }
    o.sort_unstable();
    b.sort_unstable();
    (o, b)
}

fn bench(c: &mut Criterion) {
    let rt = support::runtime();
    let system = rt.block_on(async { ActorSystem::new() });

    let mut group = c.benchmark_group("ask");
    support::configure(&mut group, 1, Duration::from_secs(2));
    group.bench_function("ours", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let system = &system;
            async move {
                let actor = support::spawn_ours(system);
                let time = tokio::spawn(drive(actor.clone(), iters)).await.expect("driver");
                support::stop_ours(actor).await;
                time
            }
        });
    });
    group.bench_function("tokio_baseline", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, join) = support::spawn_baseline();
            let time = tokio::spawn(drive(tx.clone(), iters)).await.expect("driver");
            support::stop_baseline(tx, join).await;
            time
        });
    });
    group.finish();

    let (o, b) = rt.block_on(async {
        let actor = support::spawn_ours(&system);
        let (tx, join) = support::spawn_baseline();
        let lat = tokio::spawn(latencies(actor.clone(), tx.clone())).await.expect("latency loop");
        support::stop_ours(actor).await;
        support::stop_baseline(tx, join).await;
        lat
    });
    let mean = |v: &[Duration]| v.iter().sum::<Duration>() / v.len().max(1) as u32;
    let (o50, b50) = (quantile(&o, 0.5), quantile(&b, 0.5));
    println!(
        "ask: ours p50 {} p99 {} mean {}, tokio baseline p50 {} p99 {} mean {}, \
         p50 ratio {:.2}x, p99 ratio {:.2}x (ours/baseline latency, lower is better; {} round trips per side)",
        micros(o50),
        micros(quantile(&o, 0.99)),
        micros(mean(&o)),
        micros(b50),
        micros(quantile(&b, 0.99)),
        micros(mean(&b)),
        o50.as_secs_f64() / b50.as_secs_f64().max(f64::MIN_POSITIVE),
        quantile(&o, 0.99).as_secs_f64() / quantile(&b, 0.99).as_secs_f64().max(f64::MIN_POSITIVE),
        o.len(),
    );
    let _ = rt.block_on(system.shutdown());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
