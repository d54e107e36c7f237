//! Shared pieces of the benchmarks: the runtime, the counter actor, the
//! hand-written tokio baseline it is compared with, timing records and the
//! report lines printed after each criterion group.
//!
//! Fairness rules of the benches that compare actors with hand-written tokio
//! tasks: the counter benches (`tell`, `tell4`, `ask`, `ask_par`), `spawn`
//! and `ring`:
//! - one multi-threaded runtime with 2 workers runs both sides;
//! - the baseline is a task owning a bounded `tokio::sync::mpsc` receiver of
//!   an enum (`while let Some(m) = rx.recv().await`), asks go through a
//!   `tokio::sync::oneshot` inside the enum, and its capacity is the actor's
//!   default mailbox capacity (checked at compile time below);
//! - the timed code is the same for both sides: one generic driver over
//!   [`CounterRef`] for the counter benches and over a `Side` trait for
//!   `spawn`, mirrored code for `ring`; it runs inside a spawned task (so on
//!   the workers, as real senders do); setup and teardown stay outside the
//!   timer on both sides;
//! - the headline ratio comes from [`alternate`]: after the criterion group,
//!   single iterations of ours and of the baseline alternate, so that drift
//!   in the machine's load hits both sides alike, and the ratio of
//!   criterion's own runs (all of ours, then all of the baseline) is printed
//!   beside it; `ask` instead alternates blocks of timed round trips and
//!   prints latency quantiles.
//!
//! `topic_throughput` and `bus_fanout` measure topics and the event bus
//! against raw tokio channels doing the same job (`mpsc`, `broadcast`; see
//! each file's header) on a 2-worker runtime, and report criterion's runs
//! only, with no alternating runs.

// Every bench binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use actor_core::prelude::*;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use tokio::sync::{mpsc, oneshot};

/// Mailbox capacity of both sides: the actor's default, and the baseline's
/// channel capacity.
pub(crate) const MAILBOX: usize = 1024;

// The baseline must use exactly the capacity the actor gets by default.
const _: () = assert!(<Counter as Actor>::MAILBOX == MAILBOX);

/// The runtime every bench uses: multi-threaded, 2 workers (the machine has
/// 2 cores), timers and IO enabled.
pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime")
}

/// Short groups: 10 samples, flat sampling (each iteration is long), small
/// warm-up and measurement times, so all benches together stay within a few
/// minutes on 2 cores.
pub(crate) fn configure(group: &mut BenchmarkGroup<'_, WallTime>, elements: u64, measure: Duration) {
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(measure)
        .throughput(Throughput::Elements(elements));
}

// ---------------------------------------------------------------------------
// The actor under test.

/// A counter actor with a hand-written `Actor` impl (default mailbox).
#[derive(Debug, Default)]
pub(crate) struct Counter {
    n: u64,
}

impl Actor for Counter {}

/// Tell: add to the counter.
#[derive(Debug)]
pub(crate) struct Inc(pub(crate) u64);

/// Ask: read the counter.
#[derive(Debug)]
pub(crate) struct Get;

impl Handler<Inc> for Counter {
    type Reply = ();
    async fn handle(&mut self, Inc(k): Inc, _ctx: &mut Context<Self>) {
        self.n += k;
    }
}

impl Handler<Get> for Counter {
    type Reply = u64;
    async fn handle(&mut self, _: Get, _ctx: &mut Context<Self>) -> u64 {
        self.n
    }
}

// ---------------------------------------------------------------------------
// The hand-written tokio baseline.

/// The baseline's message enum: a tell and an ask carrying its reply slot.
#[derive(Debug)]
pub(crate) enum BaseMsg {
    /// Add to the counter.
    Inc(u64),
    /// Read the counter.
    Get(oneshot::Sender<u64>),
}

/// The baseline's handle.
pub(crate) type BaseRef = mpsc::Sender<BaseMsg>;

/// Spawns the baseline counter: a task owning a bounded receiver of
/// [`BaseMsg`]. It ends (returning its count) when every sender is dropped.
pub(crate) fn spawn_baseline() -> (BaseRef, tokio::task::JoinHandle<u64>) {
    let (tx, rx) = mpsc::channel(MAILBOX);
    (tx, tokio::spawn(baseline_loop(rx)))
}

/// The baseline counter's task body.
pub(crate) async fn baseline_loop(mut rx: mpsc::Receiver<BaseMsg>) -> u64 {
    let mut n = 0u64;
    while let Some(m) = rx.recv().await {
        match m {
            BaseMsg::Inc(k) => n += k,
            BaseMsg::Get(reply) => {
                let _ = reply.send(n);
            }
        }
    }
    n
}

/// Spawns the actor under test on `system`.
pub(crate) fn spawn_ours(system: &ActorSystem) -> ActorRef<Counter> {
    system.spawn(Counter::default()).expect("spawn counter")
}

/// Stops the actor under test and waits until it has stopped.
pub(crate) async fn stop_ours(actor: ActorRef<Counter>) {
    actor.stop();
    let _ = actor.wait_for_stop().await;
}

/// Stops the baseline (drops the last sender) and waits for its task.
pub(crate) async fn stop_baseline(tx: BaseRef, join: tokio::task::JoinHandle<u64>) {
    drop(tx);
    let _ = join.await.expect("baseline task");
}

/// What the shared drivers need from either side: a tell and an ask. The
/// drivers are generic, so both sides run the very same timed code.
pub(crate) trait CounterRef: Clone + Send + Sync + 'static {
    /// Tell: add `k`, waiting for mailbox space.
    fn inc(&self, k: u64) -> impl Future<Output = ()> + Send;
    /// Ask: the current count.
    fn get(&self) -> impl Future<Output = u64> + Send;
}

impl CounterRef for ActorRef<Counter> {
    async fn inc(&self, k: u64) {
        self.tell(Inc(k)).await.expect("tell");
    }
    async fn get(&self) -> u64 {
        self.ask(Get).await.expect("ask")
    }
}

impl CounterRef for BaseRef {
    async fn inc(&self, k: u64) {
        self.send(BaseMsg::Inc(k)).await.expect("baseline send");
    }
    async fn get(&self) -> u64 {
        let (tx, rx) = oneshot::channel();
        self.send(BaseMsg::Get(tx)).await.expect("baseline send");
        rx.await.expect("baseline reply")
    }
}

// ---------------------------------------------------------------------------
// Timing records and reports.

/// Per-iteration durations recorded by a bench closure (warm-up included).
#[derive(Debug, Default)]
pub(crate) struct Samples(Mutex<Vec<Duration>>);

impl Samples {
    /// Records the durations of some iterations and returns their sum, which
    /// is what `iter_custom` reports to criterion.
    pub(crate) fn record(&self, runs: &[Duration]) -> Duration {
        self.0.lock().expect("samples").extend_from_slice(runs);
        runs.iter().sum()
    }

    /// The median iteration time, if any iteration ran.
    pub(crate) fn median(&self) -> Option<Duration> {
        let mut v = self.0.lock().expect("samples").clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        Some(v[v.len() / 2])
    }

    /// The fastest and slowest iteration times, if any iteration ran.
    pub(crate) fn range(&self) -> Option<(Duration, Duration)> {
        let v = self.0.lock().expect("samples");
        Some((*v.iter().min()?, *v.iter().max()?))
    }

    /// How many iterations were recorded.
    pub(crate) fn len(&self) -> usize {
        self.0.lock().expect("samples").len()
    }
}

/// `12.30 M`, `850.2 k` or `12.0`.
pub(crate) fn si(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.2} M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.1} k", x / 1e3)
    } else {
        format!("{x:.1}")
    }
}

/// Rounds of [`alternate`] each bench runs after its criterion group.
pub(crate) const PAIRED_ROUNDS: usize = 8;

/// Runs one timed iteration of ours, then one of the baseline (the side
/// that goes first alternates every round), `rounds` times, so that drift in
/// the machine's load hits both sides alike. Each closure starts one
/// iteration and returns its recorded durations.
pub(crate) async fn alternate<FO, FB>(
    rounds: usize,
    mut ours: impl FnMut() -> FO,
    mut base: impl FnMut() -> FB,
) -> (Samples, Samples)
where
    FO: Future<Output = Vec<Duration>>,
    FB: Future<Output = Vec<Duration>>,
{
    let (o, b) = (Samples::default(), Samples::default());
    for round in 0..rounds {
        if round % 2 == 0 {
            o.record(&ours().await);
            b.record(&base().await);
        } else {
            b.record(&base().await);
            o.record(&ours().await);
        }
    }
    (o, b)
}

/// Prints `name: ours X unit/s, tokio baseline Y unit/s, ratio Z x` from the
/// median iteration of each side in the alternating runs (ratio = ours /
/// baseline throughput, so above 1 means faster than the baseline), then
/// the same from the iterations criterion ran (one side after the other).
pub(crate) fn report_throughput(
    name: &str,
    unit: &str,
    per_iter: u64,
    paired: (&Samples, &Samples),
    criterion: (&Samples, &Samples),
) {
    let rate = |s: &Samples| s.median().map(|d| per_iter as f64 / d.as_secs_f64());
    let show = |r: Option<f64>| r.map_or("n/a".to_owned(), |r| format!("{} {unit}/s", si(r)));
    let ratio = |o: Option<f64>, b: Option<f64>| match (o, b) {
        (Some(o), Some(b)) => format!("{:.2}x", o / b),
        _ => "n/a".to_owned(),
    };
    let spread = |s: &Samples| {
        s.range().map_or("n/a".to_owned(), |(fast, slow)| {
            format!("{}-{}", si(per_iter as f64 / slow.as_secs_f64()), si(per_iter as f64 / fast.as_secs_f64()))
        })
    };
    let (po, pb) = (rate(paired.0), rate(paired.1));
    let (co, cb) = (rate(criterion.0), rate(criterion.1));
    println!(
        "{name}: ours {}, tokio baseline {}, ratio {} (alternating runs, median of {} each, \
         ranges: ours {}, baseline {}; criterion runs: ours {}, baseline {}, ratio {}, median of {} / {})",
        show(po),
        show(pb),
        ratio(po, pb),
        paired.0.len(),
        spread(paired.0),
        spread(paired.1),
        show(co),
        show(cb),
        ratio(co, cb),
        criterion.0.len(),
        criterion.1.len(),
    );
}

/// The `q`-quantile (0..=1) of sorted durations.
pub(crate) fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i]
}

/// Microseconds with two decimals.
pub(crate) fn micros(d: Duration) -> String {
    format!("{:.2} µs", d.as_secs_f64() * 1e6)
}

/// [`alternate`] for the counter benches: spawns one actor and one baseline,
/// runs `ours` and `base` (the same generic driver, one iteration per call,
/// inside a spawned task) alternately, then stops both.
pub(crate) fn paired_counter<FO, FB>(
    rt: &tokio::runtime::Runtime,
    system: &ActorSystem,
    ours: fn(ActorRef<Counter>, u64) -> FO,
    base: fn(BaseRef, u64) -> FB,
) -> (Samples, Samples)
where
    FO: Future<Output = Vec<Duration>> + Send + 'static,
    FB: Future<Output = Vec<Duration>> + Send + 'static,
{
    rt.block_on(async {
        let actor = spawn_ours(system);
        let (tx, join) = spawn_baseline();
        let paired = alternate(
            PAIRED_ROUNDS,
            || {
                let run = tokio::spawn(ours(actor.clone(), 1));
                async move { run.await.expect("driver") }
            },
            || {
                let run = tokio::spawn(base(tx.clone(), 1));
                async move { run.await.expect("driver") }
            },
        )
        .await;
        stop_ours(actor).await;
        stop_baseline(tx, join).await;
        paired
    })
}

/// The whole of a counter bench: criterion group `name` times `ours` and
/// `base` (the same generic driver, one call per sample, inside a spawned
/// task, on a fresh actor or baseline each sample), then [`paired_counter`]
/// runs, and the report of both in `unit`s per second, `per_iter` of them
/// per iteration.
pub(crate) fn bench_counter<FO, FB>(
    c: &mut Criterion,
    name: &str,
    unit: &str,
    per_iter: u64,
    measure: Duration,
    ours: fn(ActorRef<Counter>, u64) -> FO,
    base: fn(BaseRef, u64) -> FB,
) where
    FO: Future<Output = Vec<Duration>> + Send + 'static,
    FB: Future<Output = Vec<Duration>> + Send + 'static,
{
    let rt = runtime();
    let system = rt.block_on(async { ActorSystem::new() });
    let (ours_samples, base_samples) = (Samples::default(), Samples::default());
    let (ours_rec, base_rec) = (&ours_samples, &base_samples);

    let mut group = c.benchmark_group(name);
    configure(&mut group, per_iter, measure);
    group.bench_function("ours", |b| {
        b.to_async(&rt).iter_custom(|iters| {
            let system = &system;
            async move {
                let actor = spawn_ours(system);
                let runs = tokio::spawn(ours(actor.clone(), iters)).await.expect("driver");
                stop_ours(actor).await;
                ours_rec.record(&runs)
            }
        });
    });
    group.bench_function("tokio_baseline", |b| {
        b.to_async(&rt).iter_custom(|iters| async move {
            let (tx, join) = spawn_baseline();
            let runs = tokio::spawn(base(tx.clone(), iters)).await.expect("driver");
            stop_baseline(tx, join).await;
            base_rec.record(&runs)
        });
    });
    group.finish();
    let (po, pb) = paired_counter(&rt, &system, ours, base);
    report_throughput(name, unit, per_iter, (&po, &pb), (&ours_samples, &base_samples));
    let _ = rt.block_on(system.shutdown());
}
