//! `tell4`: four senders each tell one actor 250,000 messages, then one ask
//! (so every message was handled when the clock stops); compared with the
//! hand-written tokio baseline in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

#[path = "support.rs"]
mod support;

use support::CounterRef;

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
    support::bench_counter(c, "tell4", "msg", SENDERS * PER_SENDER, Duration::from_secs(2), drive, drive);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
