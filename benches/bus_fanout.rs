//! `bus_fanout`: one publisher, 1 and 8 subscribers, 1,000,000 events per
//! iteration, through the system bus (`EventBus::publish` + `Subscription`
//! as a `Stream`) and through a raw `tokio::sync::broadcast` channel of the
//! same capacity, in the same run.
//!
//! The capacity (2^20) holds every event of an iteration, so no subscriber
//! lags and both sides do exactly the same work: every event reaches every
//! subscriber. (With a small ring the result mostly measures how the
//! scheduler splits two cores between a publisher that never waits and its
//! subscribers: the share of events lost to lag varies from run to run.)
//!
//! Both sides run the very same driver (see [`Side`]): the subscribers
//! subscribe, each runs in its own task until it has seen the last event
//! (counting what it received and what it was told it lost), the publisher
//! runs in its own task and yields every 256 events, and the clock covers
//! the publisher's first event to the last subscriber's last one. The rate
//! is events published per second, fanned out to every subscriber.

use std::future::Future;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actor_core::prelude::*;
use actor_core::{EventBus, Subscription};
use criterion::Criterion;
use futures::StreamExt;
use tokio::sync::broadcast;

#[path = "support.rs"]
mod support;

use support::Samples;

/// Events per timed iteration.
const EVENTS: u64 = 1_000_000;

/// Ring capacity of both sides: holds a whole iteration, so nobody lags.
const CAPACITY: usize = 1 << 20;

/// The publisher yields to the scheduler after this many events.
const YIELD_EVERY: u64 = 256;

/// The event: small, cheap to clone, as most bus events are.
#[derive(Debug, Clone, Copy)]
struct Ev(u64);

/// What the driver needs from either side.
trait Side: Clone + Send + Sync + 'static {
    type Sub: Send + 'static;
    fn subscribe(&self) -> Self::Sub;
    fn publish(&self, ev: Ev);
    /// `Some(Ok(ev))`, `Some(Err(missed))`, or `None` at the end.
    fn recv(sub: &mut Self::Sub) -> impl Future<Output = Option<Result<Ev, u64>>> + Send;
}

impl Side for EventBus {
    type Sub = Subscription<Ev>;
    fn subscribe(&self) -> Self::Sub {
        EventBus::subscribe::<Ev>(self)
    }
    fn publish(&self, ev: Ev) {
        EventBus::publish(self, ev);
    }
    async fn recv(sub: &mut Self::Sub) -> Option<Result<Ev, u64>> {
        sub.next().await.map(|r| r.map_err(|lagged| lagged.missed))
    }
}

impl Side for broadcast::Sender<Ev> {
    type Sub = broadcast::Receiver<Ev>;
    fn subscribe(&self) -> Self::Sub {
        broadcast::Sender::subscribe(self)
    }
    fn publish(&self, ev: Ev) {
        let _ = self.send(ev);
    }
    async fn recv(sub: &mut Self::Sub) -> Option<Result<Ev, u64>> {
        match sub.recv().await {
            Ok(ev) => Some(Ok(ev)),
            Err(broadcast::error::RecvError::Lagged(n)) => Some(Err(n)),
            Err(broadcast::error::RecvError::Closed) => None,
        }
    }
}

/// Received and lost deliveries, summed over iterations and subscribers.
#[derive(Debug, Default)]
struct Deliveries(Mutex<(u64, u64)>);

impl Deliveries {
    fn add(&self, received: u64, missed: u64) {
        let mut d = self.0.lock().expect("deliveries");
        d.0 += received;
        d.1 += missed;
    }
    fn received_share(&self) -> f64 {
        let (r, m) = *self.0.lock().expect("deliveries");
        if r + m == 0 { 0.0 } else { r as f64 / (r + m) as f64 }
    }
}

/// One iteration: subscribe, start the subscribers, publish, wait for all.
async fn once<S: Side>(side: &S, subscribers: usize, deliveries: &Deliveries) -> Duration {
    let subs: Vec<S::Sub> = (0..subscribers).map(|_| side.subscribe()).collect();
    let start = Instant::now();
    let consumers: Vec<_> = subs
        .into_iter()
        .map(|mut sub| {
            tokio::spawn(async move {
                let (mut received, mut missed) = (0u64, 0u64);
                while let Some(item) = S::recv(&mut sub).await {
                    match item {
                        Ok(Ev(n)) => {
                            received += 1;
                            if n == EVENTS - 1 {
                                break;
                            }
                        }
                        Err(n) => missed += n,
                    }
                }
                (received, missed)
            })
        })
        .collect();
    let publisher = side.clone();
    tokio::spawn(async move {
        for n in 0..EVENTS {
            publisher.publish(Ev(n));
            if n % YIELD_EVERY == YIELD_EVERY - 1 {
                tokio::task::yield_now().await;
            }
        }
    })
    .await
    .expect("publisher");
    for c in consumers {
        let (received, missed) = c.await.expect("subscriber");
        deliveries.add(received, missed);
    }
    start.elapsed()
}

async fn drive<S: Side>(side: S, subscribers: usize, iters: u64, deliveries: &Deliveries) -> Vec<Duration> {
    let mut runs = Vec::with_capacity(iters as usize);
    for _ in 0..iters {
        runs.push(once(&side, subscribers, deliveries).await);
    }
    runs
}

fn bench(c: &mut Criterion) {
    let rt = support::runtime();
    let system = rt.block_on(async { ActorSystem::new() });
    let bus = system.bus();
    bus.configure::<Ev>(CAPACITY).expect("configure before first use");
    let mut lines = Vec::new();
    for subscribers in [1usize, 8] {
        let (ours, raw) = (Samples::default(), Samples::default());
        let (ours_d, raw_d) = (Deliveries::default(), Deliveries::default());
        let mut group = c.benchmark_group(format!("bus_fanout/{subscribers}"));
        support::configure(&mut group, EVENTS, Duration::from_secs(3));
        group.bench_function("ours", |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (bus, ours, ours_d) = (bus.clone(), &ours, &ours_d);
                async move { ours.record(&drive(bus, subscribers, iters, ours_d).await) }
            });
        });
        group.bench_function("raw_broadcast", |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (raw, raw_d) = (&raw, &raw_d);
                async move {
                    let (tx, _) = broadcast::channel::<Ev>(CAPACITY);
                    raw.record(&drive(tx, subscribers, iters, raw_d).await)
                }
            });
        });
        group.finish();
        let rate = |s: &Samples| s.median().map_or(0.0, |d| EVENTS as f64 / d.as_secs_f64());
        let (o, r) = (rate(&ours), rate(&raw));
        lines.push(format!(
            "bus_fanout {subscribers} subscriber(s): ours {:.2} M ev/s, raw {:.2} M ev/s, ratio {:.2} \
             (delivered {:.1}% / {:.1}% of events; median of {} / {} runs)",
            o / 1e6,
            r / 1e6,
            if r > 0.0 { o / r } else { 0.0 },
            ours_d.received_share() * 100.0,
            raw_d.received_share() * 100.0,
            ours.len(),
            raw.len(),
        ));
    }
    for line in lines {
        println!("{line}");
    }
    let _ = rt.block_on(system.shutdown());
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
    c.final_summary();
}
