//! Kill: queued tells become dead letters, queued and running asks fail with
//! `Stopped` at once, a handler suspended at an `.await` is aborted, `on_stop`
//! still runs once; `kill()` is idempotent.

use std::future::IntoFuture;
use std::pin::pin;
use std::sync::{Arc, Mutex};

use actor_core::ActorStatus;
use actor_core::prelude::*;
use futures::poll;
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

type Log = Arc<Mutex<Vec<String>>>;

/// Logs every hook and message into a shared log.
struct Victim {
    log: Log,
}

impl Victim {
    fn push(&self, entry: String) {
        self.log.lock().unwrap().push(entry);
    }
}

impl Actor for Victim {
    const MAILBOX: usize = 8;

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        self.push(format!("stop: {reason}"));
    }
}

/// Holds the handler until the gate fires; logs only if it gets that far.
struct Block {
    started: oneshot::Sender<()>,
    gate: oneshot::Receiver<()>,
}

impl Handler<Block> for Victim {
    type Reply = ();
    async fn handle(&mut self, Block { started, gate }: Block, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        let _ = gate.await;
        self.push("block finished".to_owned());
    }
}

struct Note(u32);

impl Handler<Note> for Victim {
    type Reply = u32;
    async fn handle(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> u32 {
        self.push(format!("note {n}"));
        n
    }
}

/// Spawns a victim on `system`; returns it and its log.
fn spawn_victim(system: &ActorSystem) -> (ActorRef<Victim>, Log) {
    let log = Log::default();
    (system.spawn(Victim { log: log.clone() }).unwrap(), log)
}

/// Spawns a victim parked inside `Block`; returns it, its log and its gate.
async fn spawn_parked(system: &ActorSystem) -> (ActorRef<Victim>, Log, oneshot::Sender<()>) {
    let (victim, log) = spawn_victim(system);
    let (started_tx, started_rx) = oneshot::channel();
    let (gate_tx, gate_rx) = oneshot::channel();
    within(victim.tell(Block { started: started_tx, gate: gate_rx })).await.unwrap();
    within(started_rx).await.unwrap();
    (victim, log, gate_tx)
}

// Breaks if kill handles queued messages, forgets to count dead letters, or leaves an asker waiting.
#[tokio::test]
async fn kill_drops_queued_tells_as_dead_letters_and_fails_asks_at_once() {
    let system = ActorSystem::new();
    let (victim, log, _gate) = spawn_parked(&system).await;
    for n in 0..3 {
        victim.try_tell(Note(n)).unwrap();
    }
    let mut queued_ask = pin!(victim.ask(Note(10)).into_future());
    assert!(poll!(queued_ask.as_mut()).is_pending());
    assert_eq!(victim.metrics().mailbox_len, 4);
    assert_eq!(system.dead_letters(), 0);

    victim.kill();
    assert!(matches!(victim.try_tell(Note(99)), Err(TrySendError::Closed(Note(99)))), "sends are refused at once");
    assert_eq!(within(queued_ask).await, Err(AskError::Stopped));
    assert_eq!(within(victim.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(system.dead_letters(), 3, "the three queued tells are dead letters; the ask is not");
    assert_eq!(*log.lock().unwrap(), ["stop: killed"], "nothing queued was handled; the blocked handler was aborted");
    within(system.shutdown()).await;
}

// Breaks if kill() on an idle actor does nothing, or on_stop is skipped for a kill.
#[tokio::test]
async fn kill_on_an_idle_actor_stops_it_and_runs_on_stop() {
    let system = ActorSystem::new();
    let (victim, log) = spawn_victim(&system);
    assert_eq!(within(victim.ask(Note(1))).await, Ok(1));
    victim.kill();
    assert_eq!(within(victim.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(*log.lock().unwrap(), ["note 1", "stop: killed"]);
    assert_eq!(victim.status(), ActorStatus::Stopped);
    assert_eq!(system.dead_letters(), 0);
    within(system.shutdown()).await;
}

// Breaks if repeated kill()/stop() calls run on_stop twice, change the exit reason, or double-count dead letters.
#[tokio::test]
async fn kill_is_idempotent() {
    let system = ActorSystem::new();
    let (victim, log, _gate) = spawn_parked(&system).await;
    victim.try_tell(Note(1)).unwrap();
    victim.kill();
    victim.kill();
    victim.stop();
    assert_eq!(within(victim.wait_for_stop()).await, ExitReason::Killed);
    victim.kill();
    victim.stop();
    assert_eq!(within(victim.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(system.dead_letters(), 1);
    assert_eq!(*log.lock().unwrap(), ["stop: killed"]);
    within(system.shutdown()).await;
}

// Breaks if kill() cannot overtake a graceful stop that is stuck in a handler.
#[tokio::test]
async fn kill_overrides_a_stop_that_is_still_draining() {
    let system = ActorSystem::new();
    let (victim, log, _gate) = spawn_parked(&system).await;
    victim.try_tell(Note(1)).unwrap();
    victim.stop();
    assert_eq!(victim.status(), ActorStatus::Stopping);
    victim.kill();
    assert_eq!(within(victim.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(system.dead_letters(), 1);
    assert_eq!(*log.lock().unwrap(), ["stop: killed"]);
    within(system.shutdown()).await;
}

/// Never finishes starting.
struct Stuck {
    log: Log,
    started: Option<oneshot::Sender<()>>,
}

impl Actor for Stuck {
    async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        self.log.lock().unwrap().push("start".to_owned());
        if let Some(tx) = self.started.take() {
            let _ = tx.send(());
        }
        std::future::pending::<()>().await;
        Ok(())
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        self.log.lock().unwrap().push(format!("stop: {reason}"));
    }
}

impl Handler<Note> for Stuck {
    type Reply = u32;
    async fn handle(&mut self, Note(n): Note, _ctx: &mut Context<Self>) -> u32 {
        n
    }
}

// Breaks if kill() cannot abort an on_start that awaits forever, or skips on_stop after it.
#[tokio::test]
async fn kill_aborts_a_hanging_on_start() {
    let system = ActorSystem::new();
    let log = Log::default();
    let (started_tx, started_rx) = oneshot::channel();
    let stuck = system.spawn(Stuck { log: log.clone(), started: Some(started_tx) }).unwrap();
    let mut asked = pin!(stuck.ask(Note(1)).into_future());
    assert!(poll!(asked.as_mut()).is_pending());
    within(started_rx).await.unwrap();
    assert_eq!(stuck.status(), ActorStatus::Starting);
    stuck.kill();
    assert_eq!(within(stuck.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(within(asked).await, Err(AskError::Stopped));
    assert_eq!(*log.lock().unwrap(), ["start", "stop: killed"]);
    within(system.shutdown()).await;
}
