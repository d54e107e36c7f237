//! Registry: of many concurrent `spawn_named` calls for one name exactly one
//! wins; a name is released when its actor stops and a late cleanup never
//! evicts a successor; bad names, wrong types, unknown names and a stopped
//! system are errors.

use std::sync::Arc;

use actor_core::RegistryError;
use actor_core::prelude::*;
use tokio::sync::Barrier;

#[path = "support/wait.rs"]
mod wait;
use wait::within;

/// Knows which contender it was.
struct Svc(usize);

impl Actor for Svc {
    fn name() -> &'static str {
        "svc"
    }
}

struct Which;

impl Handler<Which> for Svc {
    type Reply = usize;
    async fn handle(&mut self, _: Which, _ctx: &mut Context<Self>) -> usize {
        self.0
    }
}

/// Another actor type, for type mismatches.
struct Other;

impl Actor for Other {
    fn name() -> &'static str {
        "other"
    }
}

// Breaks if the name check and the insert are not atomic: two contenders could both win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn of_many_concurrent_spawn_named_exactly_one_wins() {
    const CONTENDERS: usize = 32;
    for round in 0..20 {
        let system = ActorSystem::new();
        let barrier = Arc::new(Barrier::new(CONTENDERS));
        let tasks: Vec<_> = (0..CONTENDERS)
            .map(|i| {
                let system = system.clone();
                let barrier = barrier.clone();
                tokio::spawn(async move {
                    barrier.wait().await;
                    system.spawn_named("svc", Svc(i)).map(|r| (i, r))
                })
            })
            .collect();
        let mut winners = Vec::new();
        for t in tasks {
            match within(t).await.unwrap() {
                Ok(w) => winners.push(w),
                Err(RegistryError::NameTaken(name)) => assert_eq!(name, "svc"),
                Err(e) => panic!("round {round}: unexpected error {e}"),
            }
        }
        assert_eq!(winners.len(), 1, "round {round}: exactly one contender wins");
        let (i, winner) = winners.pop().unwrap();
        let found: ActorRef<Svc> = system.lookup("svc").unwrap();
        assert_eq!(found.id(), winner.id());
        assert_eq!(within(found.ask(Which)).await, Ok(i));
        assert_eq!(system.actor_count(), 1, "losers spawn nothing");
        within(system.shutdown()).await;
    }
}

// Breaks if a stopped actor keeps its name, so nobody can ever take it again.
#[tokio::test]
async fn the_name_is_released_when_the_actor_stops() {
    let system = ActorSystem::new();
    let first = system.spawn_named("svc", Svc(1)).unwrap();
    assert_eq!(first.name(), "svc");
    assert!(matches!(system.spawn_named("svc", Svc(2)), Err(RegistryError::NameTaken(n)) if n == "svc"));
    first.stop();
    within(first.wait_for_stop()).await;
    assert!(matches!(system.lookup::<Svc>("svc"), Err(RegistryError::NotFound(n)) if n == "svc"));
    let second = system.spawn_named("svc", Svc(2)).unwrap();
    assert_ne!(second.id(), first.id());
    assert_eq!(within(system.lookup::<Svc>("svc").unwrap().ask(Which)).await, Ok(2));
    within(system.shutdown()).await;
}

// Breaks if the old actor's cleanup removes the name by value instead of by identity, evicting the successor.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_cleanup_never_evicts_a_successor() {
    let system = ActorSystem::new();
    for round in 0..50 {
        let old = system.spawn_named("svc", Svc(round)).unwrap();
        old.stop();
        // Take the name the moment it is released, racing the old actor's teardown.
        let successor = within(async {
            loop {
                match system.spawn_named("svc", Svc(round + 1000)) {
                    Ok(s) => break s,
                    Err(RegistryError::NameTaken(_)) => tokio::task::yield_now().await,
                    Err(e) => panic!("unexpected error {e}"),
                }
            }
        })
        .await;
        assert_eq!(within(old.wait_for_stop()).await, ExitReason::Normal);
        // More teardown of the old actor: none of it may touch the successor's name.
        old.stop();
        old.kill();
        drop(old);
        tokio::task::yield_now().await;
        let found: ActorRef<Svc> = system.lookup("svc").expect("the successor keeps the name");
        assert_eq!(found.id(), successor.id());
        assert_eq!(within(found.ask(Which)).await, Ok(round + 1000));
        successor.stop();
        within(successor.wait_for_stop()).await;
    }
    within(system.shutdown()).await;
}

// Breaks if empty, over-long, or whitespace/control-character names are accepted.
#[tokio::test]
async fn invalid_names_are_rejected() {
    let system = ActorSystem::new();
    let too_long = "x".repeat(256);
    for bad in ["", " ", "two words", "tab\there", "new\nline", "nul\0", too_long.as_str()] {
        match system.spawn_named(bad, Svc(0)) {
            Err(RegistryError::InvalidName(n)) => assert_eq!(n, bad),
            other => panic!("{bad:?}: expected InvalidName, got {other:?}"),
        }
    }
    assert_eq!(system.actor_count(), 0, "nothing was spawned for a bad name");
    assert_eq!(RegistryError::InvalidName("two words".to_owned()).to_string(), "invalid actor name: \"two words\"");
    let longest = "y".repeat(255);
    assert!(system.spawn_named(&longest, Svc(0)).is_ok());
    assert!(system.spawn_named("ünïcode-ok/π", Svc(0)).is_ok());
    within(system.shutdown()).await;
}

// Breaks if lookup hands out a wrongly typed handle or confuses missing with mistyped.
#[tokio::test]
async fn lookup_reports_wrong_type_and_not_found() {
    let system = ActorSystem::new();
    let _svc = system.spawn_named("svc", Svc(0)).unwrap();
    match system.lookup::<Other>("svc") {
        Err(RegistryError::WrongType { name, expected, actual }) => {
            assert_eq!((name.as_str(), expected, actual), ("svc", "other", "svc"));
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    assert_eq!(system.lookup::<Svc>("nobody").unwrap_err(), RegistryError::NotFound("nobody".to_owned()));
    assert_eq!(system.lookup::<Svc>("nobody").unwrap_err().to_string(), "no actor registered as: nobody");
    assert!(system.lookup::<Svc>("svc").is_ok());
    within(system.shutdown()).await;
}

// Breaks if names can be registered after shutdown began, or survive it.
#[tokio::test]
async fn spawn_named_after_shutdown_is_system_stopped() {
    let system = ActorSystem::new();
    let _svc = system.spawn_named("svc", Svc(0)).unwrap();
    within(system.shutdown()).await;
    assert_eq!(system.spawn_named("svc", Svc(1)).unwrap_err(), RegistryError::SystemStopped);
    assert_eq!(system.spawn_named("fresh", Svc(1)).unwrap_err(), RegistryError::SystemStopped);
    assert!(matches!(system.lookup::<Svc>("svc"), Err(RegistryError::NotFound(_))));
}

/// An actor with an invalid mailbox.
struct NoRoom;

impl Actor for NoRoom {
    const MAILBOX: usize = 0;
}

// Breaks if a failed named spawn keeps the name reserved.
#[tokio::test]
async fn a_failed_named_spawn_does_not_take_the_name() {
    let system = ActorSystem::new();
    assert!(matches!(system.spawn_named("room", NoRoom), Err(RegistryError::Config(_))));
    assert!(matches!(system.lookup::<NoRoom>("room"), Err(RegistryError::NotFound(_))));
    assert!(system.spawn_named("room", Svc(0)).is_ok());
    within(system.shutdown()).await;
}
