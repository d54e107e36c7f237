//! The registry: of concurrent registrations of one name exactly one wins,
//! and the identity-checked removal of a stopped actor's name never evicts
//! a successor that took the name meanwhile.

use crate::actor_ref::{ActorId, ActorRef};
use crate::error::RegistryError;
use crate::loom::check::{model, spawn};
use crate::loom::sync::Arc;
use crate::registry::Registry;
use crate::tests::{Probe, cell};

fn register(registry: &Registry, id: u64) -> Result<ActorRef<Probe>, RegistryError> {
    registry.register::<Probe>("cache", |_name| Ok(ActorRef::from_inner(cell(id, 1).0)))
}

#[test]
fn loom_registry_one_winner() {
    model(|| {
        let registry = Arc::new(Registry::default());
        let threads = [1, 2].map(|id| {
            let registry = registry.clone();
            spawn(move || register(&registry, id).map(|a| a.id()))
        });
        let results = threads.map(|t| t.join().expect("registrar"));
        let winners: Vec<ActorId> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
        assert_eq!(winners.len(), 1, "{results:?}");
        assert!(results.iter().any(|r| matches!(r, Err(RegistryError::NameTaken(n)) if n == "cache")));
        assert_eq!(registry.lookup::<Probe>("cache").map(|a| a.id()).ok(), Some(winners[0]));
    });
}

#[test]
fn loom_registry_removal_keeps_successor() {
    model(|| {
        let registry = Arc::new(Registry::default());
        let old = register(&registry, 1).expect("first registration").id();
        // The old actor's cleanup, and a successor taking the name.
        let cleanup = {
            let registry = registry.clone();
            spawn(move || registry.remove_if("cache", old))
        };
        let successor = {
            let registry = registry.clone();
            spawn(move || register(&registry, 2).map(|a| a.id()).ok())
        };
        // A late duplicate cleanup of the old actor.
        registry.remove_if("cache", old);
        cleanup.join().expect("cleanup");
        let successor = successor.join().expect("successor");
        let now = registry.lookup::<Probe>("cache").map(|a| a.id()).ok();
        // The successor keeps the name if it got it; the old one never does.
        assert_eq!(now, successor);
    });
}
