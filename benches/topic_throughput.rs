//! `topic_throughput`: 1,000,000 `u64` through a topic, end to end, against
//! the hand-written tokio equivalent in the same run:
//!
//! | scenario | ours | raw tokio |
//! |---|---|---|
//! | unbatched | `publish` / `Subscriber::recv` | `mpsc::channel(1024)` `send` / `recv` |
//! | batch100 | `publish_batch(100)` / `recv_batch(100)` | `send` / `recv_many(100)` |
//! | group4 | `publish`; one group of 4 members, `recv` + `ack` | `mpsc` + 4 workers sharing the receiver behind a `tokio::sync::Mutex` |
//! | fanout4 | `publish`; 4 groups of 1 member, `recv` + `ack` | `broadcast` (capacity 2^20, no lag) with 4 receivers |
//!
//! Throughput counts published messages per second. Then the publish ->
//! idle-subscriber latency (p50 over 2,000 one-way hops) against an mpsc hop.

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actor_core::{ActorSystem, ConsumerConfig, Event, StartAt, Topic, TopicConfig, Topics};
use criterion::{Criterion, SamplingMode};
use tokio::sync::{Notify, broadcast, mpsc};

const N: u64 = 1_000_000;
const BATCH: usize = 100;

fn topic_config() -> TopicConfig {
    TopicConfig::default().max_messages(2 * N as usize)
}

async fn fresh(topics: &Topics, name: &str) -> Topic<u64> {
    let _ = topics.delete(name).await;
    topics.create::<u64>(name, topic_config()).await.expect("create")
}

// ----- ours -----

async fn ours_unbatched(topics: &Topics) -> Duration {
    let topic = fresh(topics, "bench").await;
    let mut sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut sum = 0u64;
        for _ in 0..N {
            if let Event::Message(m) = sub.recv().await.unwrap() {
                sum += *m.payload();
            }
        }
        sum
    });
    for i in 0..N {
        topic.publish(black_box(i)).await.unwrap();
    }
    black_box(reader.await.unwrap());
    start.elapsed()
}

async fn ours_batched(topics: &Topics) -> Duration {
    let topic = fresh(topics, "bench").await;
    let mut sub = topic.subscribe(StartAt::Earliest).await.unwrap();
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut got = 0u64;
        while got < N {
            got += sub.recv_batch(BATCH).await.unwrap().len() as u64;
        }
        got
    });
    let mut i = 0;
    while i < N {
        topic.publish_batch((i..i + BATCH as u64).collect()).await.unwrap();
        i += BATCH as u64;
    }
    black_box(reader.await.unwrap());
    start.elapsed()
}

/// A group's count of acked messages, on cache lines of its own. The
/// counters are small allocations made one after another, so unpadded they
/// would share a cache line, and every ack of one group would contend with
/// the acks of the others (false sharing the raw side, which counts in a
/// local variable, does not have).
#[derive(Default)]
#[repr(align(128))]
struct Acked(AtomicU64);

/// `groups` groups of `members` members each; every member receives, reads
/// the payload (as the raw receivers do) and acks until its group acked all
/// `N`. A lone member counts in a local variable, like the raw receivers;
/// members of one group must share their count to see the group finish.
async fn ours_groups(topics: &Topics, groups: usize, members: usize) -> Duration {
    let topic = fresh(topics, "bench").await;
    let done = Arc::new(Notify::new());
    let finished = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for g in 0..groups {
        let acked = Arc::new(Acked::default());
        for _ in 0..members {
            let mut c = topic.consumer(&format!("g{g}"), ConsumerConfig::default()).await.unwrap();
            let (acked, done, finished) = (acked.clone(), done.clone(), finished.clone());
            tasks.push(tokio::spawn(async move {
                let (mut got, mut mine) = (0u64, 0u64);
                while let Ok(d) = c.recv().await {
                    got += black_box(*d.payload()) & 1;
                    d.ack().await.unwrap();
                    mine += 1;
                    let total = if members == 1 { mine } else { acked.0.fetch_add(1, Ordering::Relaxed) + 1 };
                    if total == N && finished.fetch_add(1, Ordering::AcqRel) + 1 == groups as u64 {
                        done.notify_one();
                    }
                }
                got
            }));
        }
    }
    let start = Instant::now();
    for i in 0..N {
        topic.publish(black_box(i)).await.unwrap();
    }
    done.notified().await;
    let elapsed = start.elapsed();
    topics.delete("bench").await.unwrap(); // wakes the idle members with Deleted
    for t in tasks {
        black_box(t.await.unwrap());
    }
    elapsed
}

// ----- raw tokio -----

async fn raw_unbatched() -> Duration {
    let (tx, mut rx) = mpsc::channel::<u64>(1024);
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut sum = 0u64;
        while let Some(v) = rx.recv().await {
            sum += v;
        }
        sum
    });
    for i in 0..N {
        tx.send(black_box(i)).await.unwrap();
    }
    drop(tx);
    black_box(reader.await.unwrap());
    start.elapsed()
}

async fn raw_batched() -> Duration {
    let (tx, mut rx) = mpsc::channel::<u64>(1024);
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut buf = Vec::with_capacity(BATCH);
        let mut got = 0u64;
        loop {
            buf.clear();
            match rx.recv_many(&mut buf, BATCH).await {
                0 => return got,
                n => got += n as u64,
            }
        }
    });
    for i in 0..N {
        tx.send(black_box(i)).await.unwrap();
    }
    drop(tx);
    black_box(reader.await.unwrap());
    start.elapsed()
}

async fn raw_work_queue(workers: usize) -> Duration {
    let (tx, rx) = mpsc::channel::<u64>(1024);
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let start = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|_| {
            let rx = rx.clone();
            tokio::spawn(async move {
                let mut got = 0u64;
                while let Some(v) = rx.lock().await.recv().await {
                    got += black_box(v) & 1;
                }
                got
            })
        })
        .collect();
    for i in 0..N {
        tx.send(black_box(i)).await.unwrap();
    }
    drop(tx);
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

async fn raw_fanout(receivers: usize) -> Duration {
    let (tx, _) = broadcast::channel::<u64>(1 << 20);
    let start = Instant::now();
    let tasks: Vec<_> = (0..receivers)
        .map(|_| {
            let mut rx = tx.subscribe();
            tokio::spawn(async move {
                let mut got = 0u64;
                while let Ok(v) = rx.recv().await {
                    got += black_box(v) & 1;
                }
                got
            })
        })
        .collect();
    for i in 0..N {
        tx.send(black_box(i)).unwrap();
    }
    drop(tx);
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

// ----- latency -----

const HOPS: usize = 2_000;

fn p50(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn ours_latency(topics: &Topics) -> Duration {
    let _ = topics.delete("lat").await;
    let topic = topics.create::<Instant>("lat", TopicConfig::default()).await.unwrap();
    let mut sub = topic.subscribe(StartAt::Latest).await.unwrap();
    let reader = tokio::spawn(async move {
        let mut hops = Vec::with_capacity(HOPS);
        while hops.len() < HOPS {
            if let Event::Message(m) = sub.recv().await.unwrap() {
                hops.push(m.payload().elapsed());
            }
        }
        hops
    });
    for _ in 0..HOPS {
        tokio::time::sleep(Duration::from_micros(50)).await; // the subscriber is idle again
        topic.publish(Instant::now()).await.unwrap();
    }
    p50(reader.await.unwrap())
}

async fn raw_latency() -> Duration {
    let (tx, mut rx) = mpsc::channel::<Instant>(1024);
    let reader = tokio::spawn(async move {
        let mut hops = Vec::with_capacity(HOPS);
        while let Some(t) = rx.recv().await {
            hops.push(t.elapsed());
        }
        hops
    });
    for _ in 0..HOPS {
        tokio::time::sleep(Duration::from_micros(50)).await;
        tx.send(Instant::now()).await.unwrap();
    }
    drop(tx);
    p50(reader.await.unwrap())
}

// ----- harness -----

#[derive(Default)]
struct Samples(std::sync::Mutex<Vec<Duration>>);

impl Samples {
    fn record(&self, d: Duration) -> Duration {
        self.0.lock().unwrap().push(d);
        d
    }

    fn rate(&self) -> f64 {
        let v = self.0.lock().unwrap();
        let total: Duration = v.iter().sum();
        N as f64 * v.len() as f64 / total.as_secs_f64() / 1e6
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let system = rt.block_on(async { ActorSystem::new() });
    let topics = system.topics();
    type Run = for<'a> fn(&'a Topics) -> std::pin::Pin<Box<dyn std::future::Future<Output = Duration> + 'a>>;
    let scenarios: [(&str, Run, Run); 4] = [
        ("unbatched", |t| Box::pin(ours_unbatched(t)), |_| Box::pin(raw_unbatched())),
        ("batch100", |t| Box::pin(ours_batched(t)), |_| Box::pin(raw_batched())),
        ("group4", |t| Box::pin(ours_groups(t, 1, 4)), |_| Box::pin(raw_work_queue(4))),
        ("fanout4", |t| Box::pin(ours_groups(t, 4, 1)), |_| Box::pin(raw_fanout(4))),
    ];
    let mut lines = Vec::new();
    for (name, ours, raw) in scenarios {
        let (o, r) = (Samples::default(), Samples::default());
        let mut group = c.benchmark_group(format!("topic_{name}"));
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(3))
            .throughput(criterion::Throughput::Elements(N));
        group.bench_function("ours", |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (topics, o) = (&topics, &o);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += o.record(ours(topics).await);
                    }
                    total
                }
            })
        });
        group.bench_function("raw", |b| {
            b.to_async(&rt).iter_custom(|iters| {
                let (topics, r) = (&topics, &r);
                async move {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        total += r.record(raw(topics).await);
                    }
                    total
                }
            })
        });
        group.finish();
        let (ours_rate, raw_rate) = (o.rate(), r.rate());
        // In the group scenarios our members also ack every message; the
        // raw receivers only receive.
        let note = if name.starts_with("group") || name.starts_with("fanout") { " (ours: recv + ack)" } else { "" };
        let line = format!(
            "topic_throughput {name}: ours {ours_rate:.2} M msg/s, raw {raw_rate:.2} M msg/s, ratio {:.2}{note}",
            ours_rate / raw_rate
        );
        println!("{line}");
        lines.push(line);
    }
    let (ours_p50, raw_p50) = rt.block_on(async { (ours_latency(&topics).await, raw_latency().await) });
    let line = format!(
        "topic_throughput latency: ours p50 {:.1} us, raw mpsc p50 {:.1} us, ratio {:.2}",
        ours_p50.as_secs_f64() * 1e6,
        raw_p50.as_secs_f64() * 1e6,
        ours_p50.as_secs_f64() / raw_p50.as_secs_f64()
    );
    lines.push(line);
    println!("\n{}", lines.join("\n"));
    let _ = rt.block_on(system.shutdown());
    c.final_summary();
}
