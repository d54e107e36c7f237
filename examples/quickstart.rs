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

struct Record(&'static str, i64);
struct Totals;
struct Notify(i64);

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

// `#[messages]` turns each method into a message struct (`Deposit { amount }`,
// …), its `Handler` impl, and a typed client method on `ActorRef<Account>`.
#[messages]
impl Account {
    /// Adds money and records it in the ledger.
    async fn deposit(&mut self, amount: i64) {
        self.balance += amount;
        let _ = self.ledger.tell(Record(self.owner, amount)).await;
    }

    /// Takes money out if there is enough.
    async fn withdraw(&mut self, amount: i64) -> Result<i64, Insufficient> {
        if amount > self.balance {
            return Err(Insufficient { balance: self.balance, wanted: amount });
        }
        self.balance -= amount;
        let _ = self.ledger.tell(Record(self.owner, -amount)).await;
        Ok(self.balance)
    }

    /// The current balance.
    async fn balance(&self) -> i64 {
        self.balance
    }

    /// Takes longer than the caller is willing to wait.
    async fn slow_report(&self) -> i64 {
        tokio::time::sleep(Duration::from_millis(200)).await;
        self.balance
    }
}

// The same thing by hand: one message type, one `Handler` impl.
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
        alice.deposit(amount).tell().await?;
    }
    // Ask: a typed reply, here a domain Result inside the transport Result.
    match bob.withdraw(80).await? {
        Ok(left) => println!("bob withdrew 80, {left} left"),
        Err(e) => println!("bob's withdrawal refused: {e}"),
    }
    let left = alice.withdraw(125).await?.map_err(|e| e.to_string())?;
    println!("alice withdrew 125, {left} left");
    // The generated structs work with the plain API too.
    alice.try_tell(Deposit { amount: 5 })?;

    // An ask with a deadline that the handler does not meet.
    match alice.slow_report().timeout(Duration::from_millis(20)).await {
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
    println!("notifier stopped after its panic: {}", notifier.wait_for_stop().await);

    let looked_up: ActorRef<Ledger> = system.lookup("ledger")?;
    let totals = looked_up.ask(Totals).await?;
    let mut totals: Vec<_> = totals.into_iter().collect();
    totals.sort();
    println!("ledger totals: {totals:?}");
    println!("balances: alice {}, bob {}", alice.balance().await?, bob.balance().await?);

    println!("\n{}", system.snapshot());
    let report = system.shutdown().await;
    println!("{report}");
    Ok(())
}
