//! Spawn and system configuration errors: a zero (or too large) mailbox, a
//! system built outside a tokio runtime or with a zero drain timeout, and a
//! spawn after shutdown began are errors, never panics.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ConfigError, RegistryError, SpawnError};

/// An actor whose mailbox cannot hold anything.
struct NoRoom;

impl Actor for NoRoom {
    const MAILBOX: usize = 0;
}

/// An actor whose mailbox is larger than any channel supports.
struct Huge;

impl Actor for Huge {
    const MAILBOX: usize = usize::MAX;
}

struct Fine;

impl Actor for Fine {}

// Breaks if a zero mailbox reaches tokio (which panics) instead of failing the spawn.
#[tokio::test]
async fn a_zero_mailbox_is_a_config_error() {
    let system = ActorSystem::new();
    match system.spawn(NoRoom) {
        Err(SpawnError::Config(ConfigError::ZeroCapacity { what })) => assert_eq!(what, "mailbox"),
        other => panic!("expected a zero-capacity error, got {other:?}"),
    }
    let err = system.spawn(NoRoom).unwrap_err();
    assert_eq!(err.to_string(), "mailbox capacity must be at least 1, got 0");
    assert!(matches!(system.spawn_named("none", NoRoom), Err(RegistryError::Config(ConfigError::ZeroCapacity { .. }))));
    assert_eq!(system.actor_count(), 0);
    tokio::time::timeout(Duration::from_secs(30), system.shutdown()).await.unwrap();
}

// Breaks if an oversized mailbox panics in the channel instead of failing the spawn.
#[tokio::test]
async fn an_oversized_mailbox_is_a_config_error() {
    let system = ActorSystem::new();
    match system.spawn(Huge) {
        Err(SpawnError::Config(ConfigError::CapacityTooLarge { got, .. })) => assert_eq!(got, usize::MAX),
        other => panic!("expected a too-large error, got {other:?}"),
    }
    tokio::time::timeout(Duration::from_secs(30), system.shutdown()).await.unwrap();
}

// Breaks if try_new panics (or succeeds) outside a tokio runtime.
#[test]
fn try_new_outside_a_runtime_is_an_error() {
    assert!(tokio::runtime::Handle::try_current().is_err());
    assert!(matches!(ActorSystem::try_new(), Err(ConfigError::NoRuntime)));
    assert!(matches!(ActorSystem::builder().build(), Err(ConfigError::NoRuntime)));
}

// Breaks if new() outside a runtime does not panic with a useful message.
#[test]
#[should_panic(expected = "no tokio runtime")]
fn new_outside_a_runtime_panics_with_the_reason() {
    let _ = ActorSystem::new();
}

// Breaks if a zero drain timeout is accepted (shutdown would kill everything at once).
#[tokio::test]
async fn a_zero_drain_timeout_is_a_config_error() {
    assert!(matches!(
        ActorSystem::builder().drain_timeout(Duration::ZERO).build(),
        Err(ConfigError::ZeroDuration { .. })
    ));
}

// Breaks if an actor can be spawned after shutdown began and escape the report.
#[tokio::test]
async fn spawn_after_shutdown_is_system_stopped() {
    let system = ActorSystem::new();
    let before = system.spawn(Fine).unwrap();
    let report = tokio::time::timeout(Duration::from_secs(30), system.shutdown()).await.unwrap();
    assert_eq!(report.actors.len(), 1);
    assert!(!before.is_alive());
    assert!(matches!(system.spawn(Fine), Err(SpawnError::SystemStopped)));
    assert_eq!(system.spawn_named("late", Fine).unwrap_err(), RegistryError::SystemStopped);
    assert_eq!(SpawnError::SystemStopped.to_string(), "actor system is shutting down");
    assert_eq!(system.actor_count(), 0);
}

// Breaks if a spawn racing with shutdown can slip in after the actor table was swept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawns_racing_shutdown_are_either_refused_or_reported() {
    let system = ActorSystem::new();
    let spawner = {
        let system = system.clone();
        tokio::spawn(async move {
            let mut spawned = Vec::new();
            loop {
                match system.spawn(Fine) {
                    Ok(a) => spawned.push(a),
                    Err(SpawnError::SystemStopped) => return spawned,
                    Err(e) => panic!("unexpected error {e}"),
                }
                tokio::task::yield_now().await;
            }
        })
    };
    let report = tokio::time::timeout(Duration::from_secs(30), system.shutdown()).await.unwrap();
    let spawned = tokio::time::timeout(Duration::from_secs(30), spawner).await.unwrap().unwrap();
    for a in &spawned {
        assert!(report.actors.iter().any(|l| l.id == a.id()), "{} escaped the shutdown", a.id());
        assert!(!a.is_alive());
    }
}
