//! Fairness: an actor with a long queue shares its worker. It counts its
//! work against tokio's cooperative budget, so it yields to the other tasks
//! of its worker after a bounded number of messages instead of handling its
//! whole queue first.

use actor_core::prelude::*;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Room for the whole queue the test builds.
struct Sink;

impl Actor for Sink {
    const MAILBOX: usize = 16_384;
}

struct Tick;

impl Handler<Tick> for Sink {
    type Reply = ();
    async fn handle(&mut self, _: Tick, _ctx: &mut Context<Self>) {}
}

/// At most one budget unit per 16 messages, and tokio's budget is 128 units
/// per turn.
const MOST_PER_TURN: u64 = 16 * 128;

// Breaks if an actor handles thousands of queued messages before a task
// queued behind it gets a turn (about 8,000 when only its channel operations
// spend the budget).
#[tokio::test]
async fn a_busy_actor_lets_the_other_tasks_of_its_worker_run() {
    let system = ActorSystem::new();
    let actor = system.spawn(Sink).unwrap();
    // Queued before the actor first runs: this test's runtime has one
    // thread, and the test has not yielded yet.
    for _ in 0..10_000 {
        actor.try_tell(Tick).unwrap();
    }
    // Spawned after the actor, so it runs once the actor yields.
    let probe = actor.clone();
    let seen = within(tokio::spawn(async move { probe.metrics().processed })).await.unwrap();
    assert!(seen > 0, "the actor ran first");
    assert!(seen <= MOST_PER_TURN, "the actor handled {seen} messages before another task ran");
    within(system.shutdown()).await;
    assert_eq!(actor.metrics().processed, 10_000, "shutdown drains the rest");
}
