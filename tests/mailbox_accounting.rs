//! Mailbox accounting under random tell / try_tell / ask / stop / kill
//! sequences: every message is handled, handed back to its sender
//! (`Full` / `Closed`), or reported dropped (a dead letter for a tell,
//! `AskError::Stopped` for an ask); none is lost, none handled twice, none
//! handled after `on_stop`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actor_core::prelude::*;
use proptest::prelude::*;

#[derive(Default)]
struct Tally {
    tells: Vec<u32>,
    asks: Vec<u32>,
    stopped: bool,
    after_stop: usize,
}

struct Counter {
    tally: Arc<Mutex<Tally>>,
}

impl Actor for Counter {
    const MAILBOX: usize = 3;

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        self.tally.lock().unwrap().stopped = true;
    }
}

struct Tell(u32);
struct Ask(u32);

impl Handler<Tell> for Counter {
    type Reply = ();
    async fn handle(&mut self, Tell(n): Tell, _ctx: &mut Context<Self>) {
        tokio::task::yield_now().await;
        let mut t = self.tally.lock().unwrap();
        t.after_stop += usize::from(t.stopped);
        t.tells.push(n);
    }
}

impl Handler<Ask> for Counter {
    type Reply = u32;
    async fn handle(&mut self, Ask(n): Ask, _ctx: &mut Context<Self>) -> u32 {
        let mut t = self.tally.lock().unwrap();
        t.after_stop += usize::from(t.stopped);
        t.asks.push(n);
        n
    }
}

#[derive(Debug, Clone)]
enum Op {
    Tell,
    TryTell,
    Ask,
    Stop,
    Kill,
    Yield,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => Just(Op::Tell),
        4 => Just(Op::TryTell),
        3 => Just(Op::Ask),
        1 => Just(Op::Stop),
        1 => Just(Op::Kill),
        3 => Just(Op::Yield),
    ]
}

#[derive(Debug, Default, PartialEq)]
struct Accounts {
    tells_accepted: Vec<u32>,
    tells_returned: Vec<u32>,
    asks_answered: Vec<u32>,
    asks_stopped: usize,
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async {
        let system = ActorSystem::new();
        let tally = Arc::new(Mutex::new(Tally::default()));
        let actor = system.spawn(Counter { tally: tally.clone() }).unwrap();
        let mut acc = Accounts::default();
        let mut asks = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            let n = i as u32;
            match op {
                Op::Tell => match actor.tell(Tell(n)).await {
                    Ok(()) => acc.tells_accepted.push(n),
                    Err(SendError::Closed(Tell(m))) => acc.tells_returned.push(m),
                    Err(e) => prop_assert!(false, "unexpected tell error: {e}"),
                },
                Op::TryTell => match actor.try_tell(Tell(n)) {
                    Ok(()) => acc.tells_accepted.push(n),
                    Err(TrySendError::Full(Tell(m)) | TrySendError::Closed(Tell(m))) => acc.tells_returned.push(m),
                    Err(e) => prop_assert!(false, "unexpected try_tell error: {e}"),
                },
                Op::Ask => {
                    let a = actor.clone();
                    asks.push(tokio::spawn(async move { a.ask(Ask(n)).await }));
                }
                Op::Stop => actor.stop(),
                Op::Kill => actor.kill(),
                Op::Yield => tokio::task::yield_now().await,
            }
        }
        actor.stop();
        let within = Duration::from_secs(30);
        tokio::time::timeout(within, actor.wait_for_stop()).await.expect("the actor stopped");
        for a in asks {
            match tokio::time::timeout(within, a).await.expect("every ask resolves").unwrap() {
                Ok(n) => acc.asks_answered.push(n),
                Err(AskError::Stopped) => acc.asks_stopped += 1,
                Err(e) => prop_assert!(false, "unexpected ask error: {e}"),
            }
        }
        let dead_letters = system.dead_letters();
        let t = std::mem::take(&mut *tally.lock().unwrap());
        prop_assert_eq!(t.after_stop, 0, "a message was handled after on_stop");
        // Tells: accepted == handled + dead letters; every one handled at most once.
        let mut handled = t.tells.clone();
        handled.sort_unstable();
        handled.dedup();
        prop_assert_eq!(handled.len(), t.tells.len(), "a tell was handled twice");
        prop_assert!(handled.iter().all(|n| acc.tells_accepted.contains(n)), "a returned tell was handled");
        prop_assert_eq!(acc.tells_accepted.len() as u64, t.tells.len() as u64 + dead_letters);
        prop_assert_eq!(
            acc.tells_accepted.len() + acc.tells_returned.len(),
            ops.iter().filter(|o| matches!(o, Op::Tell | Op::TryTell)).count()
        );
        // Asks: answered exactly when handled; the rest were told `Stopped`.
        let mut answered = acc.asks_answered.clone();
        answered.sort_unstable();
        let mut handled_asks = t.asks.clone();
        handled_asks.sort_unstable();
        prop_assert_eq!(answered, handled_asks);
        prop_assert_eq!(
            acc.asks_answered.len() + acc.asks_stopped,
            ops.iter().filter(|o| matches!(o, Op::Ask)).count()
        );
        system.shutdown().await;
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    // Breaks if a message accepted by the mailbox is lost, handled twice, handled after on_stop, or an asker hangs.
    #[test]
    fn accepted_is_handled_or_reported(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops)?;
    }
}
