//! Unresponsive actors: a handler that never yields, or an `on_stop` that
//! never finishes, cannot be interrupted; shutdown reports it as
//! `Unresponsive` after its deadlines instead of waiting forever, and still
//! stops everyone else.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actor_core::StopOutcome;
use actor_core::prelude::*;
use tokio::sync::oneshot;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Its `Spin` handler busy-waits on a flag without ever awaiting.
struct Spinner;

impl Actor for Spinner {}

struct Spin {
    started: oneshot::Sender<()>,
    release: Arc<AtomicBool>,
}

impl Handler<Spin> for Spinner {
    type Reply = ();
    async fn handle(&mut self, Spin { started, release }: Spin, _ctx: &mut Context<Self>) {
        let _ = started.send(());
        while !release.load(Ordering::Acquire) {
            std::hint::spin_loop();
        }
    }
}

/// A well-behaved actor.
struct Calm;

impl Actor for Calm {}

struct Ping;

impl Handler<Ping> for Calm {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) {}
}

/// Releases the spinner even if an assertion fails, so the runtime can shut down.
struct ReleaseOnDrop(Arc<AtomicBool>);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

// Breaks if shutdown waits forever on a handler that never yields instead of reporting it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_that_never_yields_is_reported_unresponsive() {
    let system = ActorSystem::builder().drain_timeout(Duration::from_millis(50)).build().unwrap();
    let calm = system.spawn_named("calm", Calm).unwrap();
    let spinner = system.spawn_named("spinner", Spinner).unwrap();
    let release = Arc::new(AtomicBool::new(false));
    let guard = ReleaseOnDrop(release.clone());
    let (started_tx, started_rx) = oneshot::channel();
    spinner.tell(Spin { started: started_tx, release }).await.unwrap();
    within(started_rx).await.unwrap();

    let report = within(system.shutdown()).await;
    let line = report.actor("spinner").unwrap();
    assert_eq!(line.outcome, StopOutcome::Unresponsive);
    assert_eq!(report.unresponsive().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["spinner"]);
    assert_eq!(report.actor("calm").unwrap().outcome, StopOutcome::Stopped(ExitReason::Shutdown));
    assert!(!report.is_clean());
    assert!(report.to_string().contains("UNRESPONSIVE"), "{report}");
    assert!(calm.tell(Ping).await.is_err());

    // Once the spinner lets go, its task is torn down and waiters are released.
    drop(guard);
    assert_eq!(within(spinner.wait_for_stop()).await, ExitReason::Killed);
    assert!(!spinner.is_alive());
}

/// Its `on_stop` never finishes.
struct Hangs;

impl Actor for Hangs {
    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        std::future::pending::<()>().await;
    }
}

impl Handler<Ping> for Hangs {
    type Reply = ();
    async fn handle(&mut self, _: Ping, _ctx: &mut Context<Self>) {}
}

// Breaks if an on_stop that never finishes hangs shutdown or leaves wait_for_stop waiters stranded.
#[tokio::test(start_paused = true)]
async fn an_on_stop_that_never_finishes_is_reported_unresponsive() {
    let system = ActorSystem::builder().drain_timeout(Duration::from_secs(1)).build().unwrap();
    let hangs = system.spawn_named("hangs", Hangs).unwrap();
    hangs.ask(Ping).await.unwrap();
    let report = within(system.shutdown()).await;
    assert_eq!(report.actor("hangs").unwrap().outcome, StopOutcome::Unresponsive);
    assert_eq!(within(hangs.wait_for_stop()).await, ExitReason::Killed);
    assert_eq!(system.actor_count(), 0);
}
