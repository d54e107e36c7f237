//! A small bank: accounts as actors, a ledger that audits them, a flaky
//! notifier whose panic is caught, an ask with a deadline, and a graceful
//! shutdown that prints the report and the actor tree.
//!
//! Run with `cargo run --example quickstart`.

use std::collections::HashMap;
use std::time::Duration;

use actor_core::prelude::*;

/// One account: its balance and nothing else can touch it.
#[derive(Actor)]
#[actor(mailbox = 64, name = "account")]
struct Account {
    owner: &'static str,
    balance: i64,
    ledger: ActorRef<Ledger>,
}

/// The audit trail every account reports to.
#[derive(Actor, Default)]
#[actor(name = "ledger")]
struct Ledger {
    entries: Vec<(&'static str, i64)>,
}

/// A notifier that panics on a negative amount.
#[derive(Actor, Default)]
#[actor(name = "notifier")]
struct Notifier {
    sent: u32,
}

struct Deposit(i64);
struct Withdraw(i64);
struct Balance;
struct Record(&'static str, i64);
struct Totals;
struct Notify(i64);
/// Takes longer than the caller is willing to wait.
struct SlowReport;

#[derive(Debug)]
struct Insufficient {
    balance: i64,
    wanted: i64,
}

impl std::fmt::Display for Insufficient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "insufficient funds: balance {}, wanted {}", self.balance, self.wanted)
    }
}

impl Handler<Deposit> for Account {
    type Reply = ();
    async fn handle(&mut self, Deposit(amount): Deposit, _ctx: &mut Context<Self>) {
        self.balance += amount;
        let _ = self.ledger.tell(Record(self.owner, amount)).await;
    }
}

impl Handler<Withdraw> for Account {
    type Reply = Result<i64, Insufficient>;
    async fn handle(&mut self, Withdraw(amount): Withdraw, _ctx: &mut Context<Self>) -> Self::Reply {
        if amount > self.balance {
            return Err(Insufficient { balance: self.balance, wanted: amount });
        }
        self.balance -= amount;
        let _ = self.ledger.tell(Record(self.owner, -amount)).await;
        Ok(self.balance)
    }
}

impl Handler<Balance> for Account {
    type Reply = i64;
    async fn handle(&mut self, _: Balance, _ctx: &mut Context<Self>) -> i64 {
        self.balance
    }
}

impl Handler<SlowReport> for Account {
    type Reply = i64;
    async fn handle(&mut self, _: SlowReport, _ctx: &mut Context<Self>) -> i64 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.balance
    }
}

impl Handler<Record> for Ledger {
    type Reply = ();
    async fn handle(&mut self, Record(who, amount): Record, _ctx: &mut Context<Self>) {
        self.entries.push((who, amount));
    }
}

impl Handler<Totals> for Ledger {
    type Reply = HashMap<&'static str, i64>;
    async fn handle(&mut self, _: Totals, _ctx: &mut Context<Self>) -> Self::Reply {
        let mut totals = HashMap::new();
        for (who, amount) in &self.entries {
            *totals.entry(*who).or_insert(0) += amount;
        }
        totals
    }
}

impl Handler<Notify> for Notifier {
    type Reply = u32;
    async fn handle(&mut self, Notify(amount): Notify, _ctx: &mut Context<Self>) -> u32 {
        assert!(amount >= 0, "cannot notify a negative amount: {amount}");
        self.sent += 1;
        self.sent
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let system = ActorSystem::builder().name("bank").drain_timeout(Duration::from_secs(2)).build()?;

    let ledger = system.spawn_named("ledger", Ledger::default())?;
    let alice = system.spawn(Account { owner: "alice", balance: 0, ledger: ledger.clone() })?;
    let bob = system.spawn(Account { owner: "bob", balance: 50, ledger: ledger.clone() })?;
    let notifier = system.spawn(Notifier::default())?;

    // Tell: fire and forget, with backpressure when a mailbox is full.
    for amount in [100, 250, 75] {
        alice.tell(Deposit(amount)).await?;
    }
    // Ask: a typed reply, here a domain Result inside the transport Result.
    match bob.ask(Withdraw(80)).await? {
        Ok(left) => println!("bob withdrew 80, {left} left"),
        Err(e) => println!("bob's withdrawal refused: {e}"),
    }
    let left = alice.ask(Withdraw(125)).await?.map_err(|e| e.to_string())?;
    println!("alice withdrew 125, {left} left");

    // An ask with a deadline that the handler does not meet.
    match alice.ask(SlowReport).timeout(Duration::from_millis(20)).await {
        Err(AskError::Timeout) => println!("slow report: timed out after 20ms, as expected"),
        other => println!("slow report: {other:?}"),
    }

    // A panic is caught per message: the asker gets the text, the others
    // never notice.
    println!("notify 10: {:?}", notifier.ask(Notify(10)).await);
    match notifier.ask(Notify(-1)).await {
        Err(AskError::Panicked(text)) => println!("notify -1: caught panic: {text}"),
        other => println!("notify -1: {other:?}"),
    }
    println!("notifier after its panic: {:?} ({})", notifier.status(), notifier.wait_for_stop().await);

    let looked_up: ActorRef<Ledger> = system.lookup("ledger")?;
    let totals = looked_up.ask(Totals).await?;
    let mut totals: Vec<_> = totals.into_iter().collect();
    totals.sort();
    println!("ledger totals: {totals:?}");
    println!("balances: alice {}, bob {}", alice.ask(Balance).await?, bob.ask(Balance).await?);

    println!("\n{}", system.snapshot());
    let report = system.shutdown().await;
    println!("{report}");
    Ok(())
}
