//! Names → actors.
//!
//! Registration is atomic with the spawn: the name is checked and the actor
//! created under one lock, so of many concurrent `spawn_named` calls for one
//! name exactly one wins. The registry holds a counted `ActorRef`, so a named
//! actor does not stop when its other handles are dropped. When the actor
//! stops for good its entry is removed only if it still names that actor
//! (identity check), so a late cleanup never evicts a successor that took
//! the name after it.
//!
//! Lock order: registry, then the system's actor table.

use std::any::Any;
use std::collections::HashMap;

use crate::actor::Actor;
use crate::actor_ref::{ActorId, ActorRef};
use crate::error::RegistryError;
use crate::loom::lock;
use crate::loom::sync::{Arc, Mutex};

/// The longest name accepted, in bytes.
pub(crate) const MAX_NAME_LEN: usize = 255;

struct Entry {
    id: ActorId,
    type_name: &'static str,
    actor: Box<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub(crate) struct Registry {
    names: Mutex<HashMap<Arc<str>, Entry>>,
}

/// Checks a name: 1 to 255 bytes, no whitespace or control characters.
pub(crate) fn validate_name(name: &str) -> Result<(), RegistryError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(RegistryError::InvalidName(name.to_owned()));
    }
    Ok(())
}

impl Registry {
    /// Registers the actor `make` spawns under `name`, atomically.
    pub(crate) fn register<A: Actor>(
        &self,
        name: &str,
        make: impl FnOnce(Arc<str>) -> Result<ActorRef<A>, RegistryError>,
    ) -> Result<ActorRef<A>, RegistryError> {
        validate_name(name)?;
        let mut names = lock(&self.names);
        if names.contains_key(name) {
            return Err(RegistryError::NameTaken(name.to_owned()));
        }
        let key: Arc<str> = Arc::from(name);
        let actor = make(key.clone())?;
        names.insert(key, Entry { id: actor.id(), type_name: A::name(), actor: Box::new(actor.clone()) });
        Ok(actor)
    }

    /// The actor registered as `name`, if it is an `A`.
    pub(crate) fn lookup<A: Actor>(&self, name: &str) -> Result<ActorRef<A>, RegistryError> {
        let names = lock(&self.names);
        let entry = names.get(name).ok_or_else(|| RegistryError::NotFound(name.to_owned()))?;
        entry.actor.downcast_ref::<ActorRef<A>>().cloned().ok_or_else(|| RegistryError::WrongType {
            name: name.to_owned(),
            expected: A::name(),
            actual: entry.type_name,
        })
    }

    /// Removes `name` if it still names actor `id`.
    pub(crate) fn remove_if(&self, name: &str, id: ActorId) {
        let removed = {
            let mut names = lock(&self.names);
            match names.get(name) {
                Some(e) if e.id == id => names.remove(name),
                _ => None,
            }
        };
        // The handle is dropped outside the lock.
        drop(removed);
    }
}
