//! `ask_par`: 64 concurrent askers, each doing a fixed number of sequential
//! asks of one actor; throughput compared with the hand-written tokio
//! baseline in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

#[path = "support.rs"]
mod support;

use support::CounterRef;

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
    support::bench_counter(c, "ask_par", "ask", ASKERS * PER_ASKER, Duration::from_secs(2), drive, drive);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
