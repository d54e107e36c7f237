//! Supervision against a small pure reference model of OTP semantics, under
//! random crash / advance-time sequences on a one-level tree with random
//! strategy, restart types and intensity: which children come back, which
//! are removed, and when the supervisor gives up.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ChildSpec, Restart, Strategy as Policy, Supervisor, SupervisorRef};
use proptest::prelude::*;
use tokio::sync::watch;

const N: usize = 3;
const NAMES: [&str; N] = ["c0", "c1", "c2"];
const PERIOD: u64 = 10;

struct Child;
impl Actor for Child {}

struct Crash;
impl Handler<Crash> for Child {
    type Reply = ();
    async fn handle(&mut self, _: Crash, _ctx: &mut Context<Self>) {
        panic!("crash requested");
    }
}

#[derive(Debug, Clone)]
enum Op {
    Crash(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![3 => (0..N).prop_map(Op::Crash), 2 => (1..=8u64).prop_map(Op::Advance)]
}

fn restart_type() -> impl Strategy<Value = Restart> {
    prop_oneof![Just(Restart::Permanent), Just(Restart::Transient), Just(Restart::Temporary)]
}

fn policy() -> impl Strategy<Value = Policy> {
    prop_oneof![Just(Policy::OneForOne), Just(Policy::OneForAll), Just(Policy::RestForOne)]
}

/// The reference: OTP's rules, stated directly.
#[derive(Debug)]
struct Model {
    policy: Policy,
    types: [Restart; N],
    max: u32,
    now: u64,
    restarts: Vec<u64>,
    alive: [bool; N],
    starts: [u32; N],
    gave_up: bool,
}

impl Model {
    /// Child `i` exits abnormally.
    fn crash(&mut self, i: usize) {
        self.alive[i] = false;
        if self.types[i] == Restart::Temporary {
            // Removed; not a restart.
            return;
        }
        // Intensity: more than `max` restarts within the last PERIOD seconds.
        self.restarts.push(self.now);
        let recent = self.restarts.iter().filter(|&&t| self.now - t < PERIOD).count();
        if recent > self.max as usize {
            self.gave_up = true;
            self.alive = [false; N];
            return;
        }
        let affected: Vec<usize> = match self.policy {
            Policy::OneForAll => (0..N).collect(),
            Policy::RestForOne => (i..N).collect(),
            _ => vec![i],
        };
        for j in affected {
            if j == i || self.alive[j] {
                if j != i && self.types[j] == Restart::Temporary {
                    self.alive[j] = false;
                } else {
                    self.alive[j] = true;
                    self.starts[j] += 1;
                }
            }
        }
    }
}

async fn run(policy: Policy, types: [Restart; N], max: u32, ops: &[Op]) -> Result<(), TestCaseError> {
    let within = Duration::from_secs(600);
    let system = ActorSystem::new();
    let (starts_tx, mut starts) = watch::channel([0u32; N]);
    let mut builder = Supervisor::builder("root").strategy(policy).intensity(max, Duration::from_secs(PERIOD));
    for (i, name) in NAMES.iter().enumerate() {
        let starts_tx = starts_tx.clone();
        let factory = move || {
            starts_tx.send_modify(|s| s[i] += 1);
            Child
        };
        builder = builder.child(ChildSpec::new(*name, factory).restart(types[i]));
    }
    let sup: SupervisorRef = builder.spawn(&system).await.map_err(|e| TestCaseError::fail(e.to_string()))?;
    let mut model =
        Model { policy, types, max, now: 0, restarts: Vec::new(), alive: [true; N], starts: [1; N], gave_up: false };
    prop_assert_eq!(*starts.borrow(), model.starts);
    let handles: Vec<ActorRef<Child>> = NAMES.iter().map(|n| sup.child::<Child>(n).unwrap()).collect();
    for op in ops {
        match *op {
            Op::Advance(s) => {
                tokio::time::advance(Duration::from_secs(s)).await;
                model.now += s;
            }
            Op::Crash(i) => {
                if !model.alive[i] {
                    continue;
                }
                let r = tokio::time::timeout(within, handles[i].ask(Crash)).await.expect("ask resolves");
                prop_assert!(matches!(r, Err(AskError::Panicked(_))), "{r:?}");
                model.crash(i);
                if model.gave_up {
                    for h in &handles {
                        tokio::time::timeout(within, h.wait_for_stop()).await.expect("children stop");
                    }
                    break;
                }
                // Wait for exactly the restarts the model predicts.
                let want = model.starts;
                let seen = tokio::time::timeout(within, starts.wait_for(|s| *s == want)).await.is_ok();
                prop_assert!(seen, "starts {:?} never reached {:?} ({:?})", *starts.borrow(), want, model);
                for (j, h) in handles.iter().enumerate() {
                    if !model.alive[j] {
                        tokio::time::timeout(within, h.wait_for_stop()).await.expect("removed child stops");
                    }
                }
            }
        }
    }
    // Nothing more than the model predicts happened. The paused clock
    // advances only once every task is idle, so this sleep lets any stray
    // restart run first; no backoff is configured, so no restart waits on
    // the clock.
    tokio::time::sleep(Duration::from_millis(1)).await;
    prop_assert_eq!(*starts.borrow(), model.starts);
    for (j, h) in handles.iter().enumerate() {
        if model.alive[j] {
            prop_assert!(h.is_alive(), "child {j} should live: {model:?}");
        }
    }
    drop(handles);
    tokio::time::timeout(within, system.shutdown()).await.expect("shutdown ends");
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    // Breaks if a strategy restarts the wrong children, a restart type is ignored, or the intensity window gives up too early or too late.
    #[test]
    fn supervision_matches_otp(
        policy in policy(),
        types in prop::array::uniform3(restart_type()),
        max in 0u32..4,
        ops in prop::collection::vec(op(), 1..16),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap();
        rt.block_on(run(policy, types, max, &ops))?;
    }
}
