//! An order pipeline on the topic queue engine:
//!
//! - `orders` topic; a work-queue group `fulfil` of 3 competing consumers;
//! - a poison order that always fails: nacked until `max_deliver`, then it
//!   ends in the `orders.dlq` dead-letter topic with its headers;
//! - an audit subscriber that sees every order (fan-out, no acks);
//! - stats printed at the end, then a clean shutdown.
//!
//! Run with `cargo run --example topic_queue`; it finishes by itself.

use std::time::Duration;

use actor_core::{ActorSystem, ConsumerConfig, Event, Message, StartAt, TopicConfig};

#[derive(Debug, Clone)]
struct Order {
    id: u32,
    item: &'static str,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::new();
    let topics = system.topics();
    let dlq = topics.create::<Order>("orders.dlq", TopicConfig::default()).await?;
    let orders = topics
        .create::<Order>("orders", TopicConfig::default().max_messages(10_000).dedup_window(Duration::from_secs(60)))
        .await?;

    // Fan-out: the audit trail sees every order, independently of the workers.
    let mut audit = orders.subscribe(StartAt::Earliest).await?;
    let auditor = tokio::spawn(async move {
        let mut seen = 0;
        while let Ok(Some(Event::Message(m))) = audit.recv_timeout(Duration::from_millis(300)).await {
            seen += 1;
            let _ = m.payload();
        }
        seen
    });

    // Work queue: three competing members of the durable group "fulfil".
    let config = ConsumerConfig::default()
        .ack_wait(Duration::from_secs(1))
        .max_deliver(3)
        .dead_letter("orders.dlq")
        .filter_key("orders.>");
    let mut workers = Vec::new();
    for w in 0..3 {
        let mut consumer = orders.consumer("fulfil", config.clone().member_name(format!("worker-{w}"))).await?;
        workers.push(tokio::spawn(async move {
            let mut done = 0u32;
            while let Ok(Some(d)) = consumer.recv_timeout(Duration::from_millis(300)).await {
                if d.payload().item == "poison" {
                    println!("worker-{w}: order {} failed (delivery {})", d.payload().id, d.delivery_count());
                    d.nack().await.ok();
                } else {
                    tokio::time::sleep(Duration::from_millis(5)).await; // the actual work
                    done += 1;
                    d.ack().await.ok();
                }
            }
            done
        }));
    }

    for id in 0..30u32 {
        let item = if id == 13 { "poison" } else { "book" };
        let msg = Message::new(Order { id, item }).id(format!("order-{id}")).key("orders.eu");
        orders.publish_with(msg).await?;
    }
    // A retried publish of the same order is recognised and refused.
    let retry = Message::new(Order { id: 7, item: "book" }).id("order-7").key("orders.eu");
    if let Err(e) = orders.publish_with(retry).await {
        println!("retry refused: {e}");
    }

    let mut processed = 0;
    for w in workers {
        let n = w.await?;
        println!("worker processed {n} orders");
        processed += n;
    }
    println!("processed {processed} orders; audit saw {} orders", auditor.await?);

    let mut dead = dlq.subscribe(StartAt::Earliest).await?;
    if let Some(Event::Message(m)) = dead.recv_timeout(Duration::from_secs(1)).await? {
        println!(
            "dead letter: order {} from {} offset {} after {} deliveries ({})",
            m.payload().id,
            m.header("original_topic").unwrap_or("?"),
            m.header("original_offset").unwrap_or("?"),
            m.header("delivery_count").unwrap_or("?"),
            m.header("reason").unwrap_or("?"),
        );
    }

    let stats = orders.stats().await?;
    println!(
        "orders: offsets {}..{}, {} retained, {} bytes, {} evicted, {} subscribers",
        stats.first_offset, stats.next_offset, stats.len, stats.bytes, stats.evicted_total, stats.subscribers
    );
    if let Some(g) = stats.group("fulfil") {
        println!(
            "group fulfil: committed {}, delivered {}, in flight {}, lag {}, redelivered {}, dead-lettered {}",
            g.committed, g.delivered, g.in_flight, g.lag, g.redelivered_total, g.dead_lettered_total
        );
    }
    system.shutdown().await;
    Ok(())
}
