//! The registry against a `HashMap` model under random register / lookup /
//! stop / kill / re-register sequences: a name is taken exactly while its
//! actor lives, a stopped actor's name is free once `wait_for_stop`
//! returns, and dropping every user handle does not unregister a name.

use std::collections::HashMap;
use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorId, RegistryError};
use proptest::prelude::*;

struct Worker;
impl Actor for Worker {}

struct Other;
impl Actor for Other {}

#[derive(Debug, Clone)]
enum Op {
    Register(usize),
    Lookup(usize),
    LookupWrongType(usize),
    Stop(usize),
    Kill(usize),
    DropHandles(usize),
}

const NAMES: [&str; 3] = ["cache", "db", "mailer"];

fn op() -> impl Strategy<Value = Op> {
    let name = 0..NAMES.len();
    prop_oneof![
        3 => name.clone().prop_map(Op::Register),
        3 => name.clone().prop_map(Op::Lookup),
        1 => name.clone().prop_map(Op::LookupWrongType),
        2 => name.clone().prop_map(Op::Stop),
        1 => name.clone().prop_map(Op::Kill),
        1 => name.prop_map(Op::DropHandles),
    ]
}

fn run(ops: &[Op]) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
    rt.block_on(async {
        let system = ActorSystem::new();
        // The model: name -> id of the actor that holds it.
        let mut model: HashMap<&str, ActorId> = HashMap::new();
        let mut handles: HashMap<&str, Vec<ActorRef<Worker>>> = HashMap::new();
        let within = Duration::from_secs(30);
        for op in ops {
            match *op {
                Op::Register(i) => {
                    let name = NAMES[i];
                    match (system.spawn_named(name, Worker), model.get(name)) {
                        (Ok(a), None) => {
                            prop_assert_eq!(a.name(), name);
                            model.insert(name, a.id());
                            handles.entry(name).or_default().push(a);
                        }
                        (Err(RegistryError::NameTaken(n)), Some(_)) => prop_assert_eq!(n, name),
                        (r, m) => prop_assert!(false, "register {name}: {:?} vs model {m:?}", r.map(|a| a.id())),
                    }
                }
                Op::Lookup(i) => {
                    let name = NAMES[i];
                    match (system.lookup::<Worker>(name), model.get(name)) {
                        (Ok(a), Some(&id)) => {
                            prop_assert_eq!(a.id(), id);
                            prop_assert!(a.is_alive());
                        }
                        (Err(RegistryError::NotFound(n)), None) => prop_assert_eq!(n, name),
                        (r, m) => prop_assert!(false, "lookup {name}: {:?} vs model {m:?}", r.map(|a| a.id())),
                    }
                }
                Op::LookupWrongType(i) => {
                    let name = NAMES[i];
                    let r = system.lookup::<Other>(name);
                    if model.contains_key(name) {
                        prop_assert!(matches!(r, Err(RegistryError::WrongType { .. })), "{name}");
                    } else {
                        prop_assert!(matches!(r, Err(RegistryError::NotFound(_))), "{name}");
                    }
                }
                Op::Stop(i) | Op::Kill(i) => {
                    let name = NAMES[i];
                    if let Ok(a) = system.lookup::<Worker>(name) {
                        if matches!(op, Op::Kill(_)) {
                            a.kill()
                        } else {
                            a.stop()
                        }
                        tokio::time::timeout(within, a.wait_for_stop()).await.expect("the actor stopped");
                        // The name is free as soon as the stop is observable.
                        prop_assert!(matches!(system.lookup::<Worker>(name), Err(RegistryError::NotFound(_))));
                        model.remove(name);
                    }
                    prop_assert!(!model.contains_key(name));
                }
                Op::DropHandles(i) => {
                    handles.remove(NAMES[i]);
                    tokio::task::yield_now().await;
                }
            }
        }
        // Every registered name is still held by a live actor.
        for (name, &id) in &model {
            let a = system.lookup::<Worker>(name).map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(a.id(), id);
            prop_assert!(a.is_alive());
        }
        system.shutdown().await;
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    // Breaks if a name is lost, double-registered, freed late, or a stopped actor's cleanup evicts its successor.
    #[test]
    fn registry_matches_a_hashmap(ops in prop::collection::vec(op(), 1..40)) {
        run(&ops)?;
    }
}
