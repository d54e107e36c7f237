//! A small shop wired by events: billing and shipping react to domain
//! events through the system bus, an audit task reads a filtered stream, a
//! flaky fraud checker panics on one order, and a monitor watches the
//! runtime's own lifecycle events. Everything stops with the shutdown.
//!
//! Run with `cargo run --example event_bus`.

use actor_core::prelude::*;
use actor_core::{Lagged, LifecycleEvent};
use futures::StreamExt;
use tokio::sync::oneshot;

const ORDERS: u32 = 5;

/// A customer placed an order.
#[derive(Debug, Clone)]
struct OrderPlaced {
    order: u32,
    amount: u64,
}

/// Billing took the money.
#[derive(Debug, Clone)]
struct PaymentCaptured {
    order: u32,
}

/// Charges every order, then announces it.
#[derive(Actor, Default)]
#[actor(name = "billing")]
struct Billing {
    revenue: u64,
}

impl Handler<OrderPlaced> for Billing {
    type Reply = ();
    async fn handle(&mut self, o: OrderPlaced, ctx: &mut Context<Self>) {
        self.revenue += o.amount;
        ctx.system().bus().publish(PaymentCaptured { order: o.order });
    }
}

/// Ships paid orders; tells `main` when all of them left.
#[derive(Actor)]
#[actor(name = "shipping")]
struct Shipping {
    shipped: u32,
    all_done: Option<oneshot::Sender<u32>>,
}

impl Handler<PaymentCaptured> for Shipping {
    type Reply = ();
    async fn handle(&mut self, p: PaymentCaptured, _ctx: &mut Context<Self>) {
        self.shipped += 1;
        println!("shipping: order {} shipped", p.order);
        let finished = if self.shipped == ORDERS { self.all_done.take() } else { None };
        if let Some(done) = finished {
            let _ = done.send(self.shipped);
        }
    }
}

/// Reports lost events if shipping ever falls too far behind.
impl Handler<Lagged> for Shipping {
    type Reply = ();
    async fn handle(&mut self, lagged: Lagged, _ctx: &mut Context<Self>) {
        println!("shipping: fell behind, {lagged}");
    }
}

/// Panics on order 3: its supervisor-less death shows up on the bus.
#[derive(Actor, Default)]
#[actor(name = "fraud-check")]
struct FraudCheck;

impl Handler<OrderPlaced> for FraudCheck {
    type Reply = ();
    async fn handle(&mut self, o: OrderPlaced, _ctx: &mut Context<Self>) {
        if o.order == 3 {
            panic!("fraud model crashed on order {}", o.order);
        }
    }
}

/// Prints what the runtime reports about every actor.
#[derive(Actor, Default)]
#[actor(name = "monitor")]
struct Monitor;

impl Handler<LifecycleEvent> for Monitor {
    type Reply = ();
    async fn handle(&mut self, event: LifecycleEvent, _ctx: &mut Context<Self>) {
        match event {
            LifecycleEvent::Started(e) => println!("monitor: {} {} started", e.name, e.id),
            LifecycleEvent::Stopped(e) => println!("monitor: {} {} stopped ({})", e.name, e.id, e.reason),
            LifecycleEvent::DeadLetter(e) => println!("monitor: dead letter {} to {}", e.message_type, e.to),
            other => println!("monitor: {other:?}"),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::new();
    let bus = system.bus();

    // The monitor first, so it sees every actor that follows.
    let monitor = system.spawn(Monitor)?;
    bus.subscribe_actor::<LifecycleEvent, _>(&monitor).detach();

    let (all_done, shipped) = oneshot::channel();
    let billing = system.spawn(Billing::default())?;
    let shipping = system.spawn(Shipping { shipped: 0, all_done: Some(all_done) })?;
    let fraud = system.spawn(FraudCheck)?;
    // Each forwarding lives until its actor stops (or the system shuts down).
    bus.subscribe_actor::<OrderPlaced, _>(&billing).detach();
    bus.subscribe_actor_with_lag::<PaymentCaptured, _>(&shipping).detach();
    let fraud_feed = bus.subscribe_actor::<OrderPlaced, _>(&fraud);

    // An audit trail of big orders: a plain task reading a filtered stream,
    // which ends by itself when the system shuts down.
    let mut big = bus.subscribe_filtered::<OrderPlaced>(|o| o.amount >= 100);
    let audit = tokio::spawn(async move {
        let mut seen = 0;
        while let Some(event) = big.next().await {
            match event {
                Ok(o) => println!("audit: big order {} for {}", o.order, o.amount),
                Err(lagged) => println!("audit: {lagged}"),
            }
            seen += 1;
        }
        seen
    });

    for order in 1..=ORDERS {
        let reached = bus.publish(OrderPlaced { order, amount: u64::from(order) * 40 });
        println!("shop: order {order} placed, {reached} subscribers reached");
    }

    let n = tokio::time::timeout(std::time::Duration::from_secs(5), shipped).await??;
    println!("shop: all {n} orders shipped");
    // The fraud checker died on order 3; its forwarding ended with it.
    fraud_feed.wait_for_stop().await;
    println!("shop: fraud feed forwarded {} orders before it ended", fraud_feed.forwarded());
    print!("{}", bus.stats().await);

    let report = system.shutdown().await;
    print!("{report}");
    println!("audit: {} big orders seen before the bus closed", audit.await?);
    Ok(())
}
