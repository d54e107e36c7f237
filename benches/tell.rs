//! `tell`: one sender tells one actor 1,000,000 messages, then asks once
//! (so every message was handled when the clock stops); compared with the
//! hand-written tokio baseline in the same run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::Criterion;

#[path = "support.rs"]
mod support;

use support::CounterRef;

/// Messages per timed iteration.
const MESSAGES: u64 = 1_000_000;

/// One sender: `MESSAGES` tells, then one ask; one duration per iteration.
async fn drive<C: CounterRef>(c: C, iters: u64) -> Vec<Duration> {
    let mut runs = Vec::with_capacity(iters as usize);
    let mut expected = c.get().await;
    for _ in 0..iters {
        let start = Instant::now();
        for _ in 0..MESSAGES {
            c.inc(black_box(1)).await;
        }
        let n = c.get().await;
        runs.push(start.elapsed());
        expected += MESSAGES;
        assert_eq!(n, expected, "every tell was handled");
    }
    runs
}

fn bench(c: &mut Criterion) {
    support::bench_counter(c, "tell", "msg", MESSAGES, Duration::from_secs(2), drive, drive);
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
