//! Last reference dropped: an actor whose last strong handle goes away drains
//! its mailbox and stops with `Normal`; weak handles do not keep it alive,
//! clones, recipients and the registry do.

use std::time::Duration;

use actor_core::prelude::*;
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Counts what it handles and reports `(handled, reason)` from `on_stop`.
struct Tally {
    handled: u64,
    out: Option<oneshot::Sender<(u64, ExitReason)>>,
    tick_every: Option<Duration>,
}

fn tally() -> (Tally, oneshot::Receiver<(u64, ExitReason)>) {
    let (tx, rx) = oneshot::channel();
    (Tally { handled: 0, out: Some(tx), tick_every: None }, rx)
}

impl Actor for Tally {
    const MAILBOX: usize = 32;

    async fn on_start(&mut self, ctx: &mut Context<Self>) -> Result<(), BoxError> {
        if let Some(period) = self.tick_every {
            ctx.send_interval(period, || Count)?;
        }
        Ok(())
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, reason: &ExitReason) {
        if let Some(out) = self.out.take() {
            let _ = out.send((self.handled, reason.clone()));
        }
    }
}

struct Count;

impl Handler<Count> for Tally {
    type Reply = u64;
    async fn handle(&mut self, _: Count, _ctx: &mut Context<Self>) -> u64 {
        self.handled += 1;
        self.handled
    }
}

// Breaks if dropping the last ActorRef leaks the actor, or stops it without draining its mailbox.
#[tokio::test]
async fn dropping_the_last_ref_drains_and_stops() {
    let system = ActorSystem::new();
    let (t, stopped) = tally();
    let actor = system.spawn(t).unwrap();
    for _ in 0..20 {
        actor.tell(Count).await.unwrap();
    }
    let weak = actor.downgrade();
    assert!(weak.upgrade().is_some());
    drop(actor);
    assert!(weak.upgrade().is_none(), "no strong handle is left");
    assert_eq!(within(stopped).await.unwrap(), (20, ExitReason::Normal));
    assert!(weak.upgrade().is_none());
    assert_eq!(system.dead_letters(), 0);
    within(system.shutdown()).await;
}

// Breaks if a clone or a Recipient stops counting as a strong handle.
#[tokio::test]
async fn clones_and_recipients_keep_the_actor_alive() {
    let system = ActorSystem::new();
    let (t, mut stopped) = tally();
    let actor = system.spawn(t).unwrap();
    let weak = actor.downgrade();
    let clone = actor.clone();
    let recipient = actor.recipient::<Count>();
    drop(actor);
    assert_eq!(within(clone.ask(Count)).await, Ok(1));
    drop(clone);
    recipient.tell(Count).await.unwrap();
    let upgraded = weak.upgrade().expect("the recipient still holds the actor");
    assert_eq!(within(upgraded.ask(Count)).await, Ok(3));
    assert!(stopped.try_recv().is_err(), "still running");
    drop(upgraded);
    drop(recipient);
    assert_eq!(within(stopped).await.unwrap(), (3, ExitReason::Normal));
    assert!(weak.upgrade().is_none());
    within(system.shutdown()).await;
}

// Breaks if a registered actor stops when its user handles are dropped (the registry holds it).
#[tokio::test]
async fn the_registry_keeps_a_named_actor_alive() {
    let system = ActorSystem::new();
    let (t, stopped) = tally();
    let actor = system.spawn_named("tally", t).unwrap();
    let weak = actor.downgrade();
    drop(actor);
    let found: ActorRef<Tally> = system.lookup("tally").unwrap();
    assert_eq!(within(found.ask(Count)).await, Ok(1));
    drop(found);
    assert!(weak.upgrade().is_some());
    let report = within(system.shutdown()).await;
    assert!(report.actor("tally").is_some());
    assert_eq!(within(stopped).await.unwrap(), (1, ExitReason::Shutdown));
}

// Breaks if the actor's own timers hold a strong handle and keep a released actor alive.
#[tokio::test(start_paused = true)]
async fn running_timers_do_not_keep_a_released_actor_alive() {
    let system = ActorSystem::new();
    let (mut t, stopped) = tally();
    t.tick_every = Some(Duration::from_millis(10));
    let actor = system.spawn(t).unwrap();
    assert_eq!(within(actor.ask(Count)).await, Ok(1));
    let weak = actor.downgrade();
    drop(actor);
    let (_, reason) = within(stopped).await.unwrap();
    assert_eq!(reason, ExitReason::Normal);
    assert!(weak.upgrade().is_none());
    within(system.shutdown()).await;
}
