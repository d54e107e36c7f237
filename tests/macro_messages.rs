//! `#[derive(Actor)]` and `#[messages]` end to end: the generated message
//! structs, handlers and typed client methods against a running system.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::{ActorId, AskError, ExitReason};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// Every wait in this file is bounded by this, so a hang fails fast.
const WAIT: Duration = Duration::from_secs(5);

/// The error half of a `Result` reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MyError {
    wanted: u64,
    balance: u64,
}

mod ledger {
    use super::MyError;
    use actor_core::ActorId;
    use actor_core::prelude::*;
    use tokio::sync::oneshot;

    #[derive(Actor, Default)]
    #[actor(mailbox = 64, name = "ledger")]
    pub(crate) struct Ledger {
        balance: u64,
        memos: Vec<String>,
    }

    #[messages]
    impl Ledger {
        /// Adds `amount` to the balance.
        #[message(derive(Debug, Clone, PartialEq))]
        pub(crate) async fn deposit(&mut self, amount: u64) {
            self.balance += amount;
        }

        /// The balance now.
        pub(crate) async fn balance(&self) -> u64 {
            self.balance
        }

        /// Takes `amount` out, or says how much is missing.
        pub(crate) async fn withdraw(&mut self, amount: u64, memo: String) -> Result<String, MyError> {
            if amount > self.balance {
                return Err(MyError { wanted: amount, balance: self.balance });
            }
            self.balance -= amount;
            self.memos.push(memo.clone());
            Ok(format!("withdrew {amount}: {memo}"))
        }

        /// The last `n` memos, oldest first.
        pub(crate) async fn memos(&self, n: usize) -> Vec<String> {
            let skip = self.memos.len().saturating_sub(n);
            self.memos[skip..].to_vec()
        }

        /// The id the actor sees for itself through its context.
        pub(crate) async fn whoami(&self, ctx: &mut Context<Self>) -> ActorId {
            ctx.id()
        }

        /// Stops the actor from inside, through its context.
        pub(crate) async fn close(&mut self, ctx: &mut Context<Self>, final_deposit: u64) {
            self.balance += final_deposit;
            ctx.stop();
        }

        /// Waits for `gate` before handling anything else.
        pub(crate) async fn hold(&mut self, gate: oneshot::Receiver<()>) {
            let _ = gate.await;
        }
    }
}

mod stack {
    use actor_core::prelude::*;

    #[derive(Actor)]
    pub(crate) struct Stack<T> {
        items: Vec<T>,
    }

    impl<T> Stack<T> {
        pub(crate) fn new() -> Self {
            Stack { items: Vec::new() }
        }
    }

    #[messages]
    impl<T: Clone + Send + Sync + 'static> Stack<T> {
        pub(crate) async fn push(&mut self, item: T) {
            self.items.push(item);
        }

        pub(crate) async fn pop(&mut self) -> Option<T> {
            self.items.pop()
        }

        pub(crate) async fn peek(&self) -> Option<T> {
            self.items.last().cloned()
        }

        pub(crate) async fn len(&self) -> usize {
            self.items.len()
        }
    }
}

mod light {
    use actor_core::prelude::*;

    /// An enum actor with a default mailbox and name.
    #[derive(Actor)]
    pub(crate) enum Light {
        On,
        Off,
    }

    #[messages]
    impl Light {
        pub(crate) async fn toggle(&mut self) -> bool {
            *self = match self {
                Light::On => Light::Off,
                Light::Off => Light::On,
            };
            matches!(self, Light::On)
        }
    }
}

use ledger::{Deposit, Ledger, LedgerMessages};
use light::{Light, LightMessages};
use stack::{Stack, StackMessages};

// Breaks if a client method stops asking or a reply type is not the method's return type.
#[tokio::test]
async fn client_methods_ask_with_typed_replies() {
    let system = ActorSystem::new();
    let ledger = system.spawn(Ledger::default()).unwrap();

    let (): () = timeout(WAIT, ledger.deposit(10)).await.unwrap().unwrap();
    let balance: u64 = timeout(WAIT, ledger.balance()).await.unwrap().unwrap();
    assert_eq!(balance, 10);

    let ok: Result<String, MyError> = timeout(WAIT, ledger.withdraw(4, "rent".into())).await.unwrap().unwrap();
    assert_eq!(ok, Ok("withdrew 4: rent".to_string()));
    let err = timeout(WAIT, ledger.withdraw(100, "car".into())).await.unwrap().unwrap();
    assert_eq!(err, Err(MyError { wanted: 100, balance: 6 }));
    let memos = timeout(WAIT, ledger.memos(5)).await.unwrap().unwrap();
    assert_eq!(memos, vec!["rent".to_string()]);

    timeout(WAIT, system.shutdown()).await.unwrap();
}

// Breaks if `.tell()` on a client method does not deliver, or delivers out of order.
#[tokio::test]
async fn client_methods_tell_in_order() {
    let system = ActorSystem::new();
    let ledger = system.spawn(Ledger::default()).unwrap();

    for amount in 1..=5 {
        timeout(WAIT, ledger.deposit(amount).tell()).await.unwrap().unwrap();
    }
    ledger.withdraw(15, "all".into()).try_tell().unwrap();
    // The ask queues behind the tells, so it sees all of them.
    assert_eq!(timeout(WAIT, ledger.balance()).await.unwrap().unwrap(), 0);
    assert_eq!(timeout(WAIT, ledger.memos(1)).await.unwrap().unwrap(), vec!["all".to_string()]);

    timeout(WAIT, system.shutdown()).await.unwrap();
}

// Breaks if `.timeout(d)` on a client method does not bound the ask, or stops the actor.
#[tokio::test(start_paused = true)]
async fn client_method_timeout_bounds_the_ask() {
    let system = ActorSystem::new();
    let ledger = system.spawn(Ledger::default()).unwrap();
    let (open, gate) = oneshot::channel();
    ledger.hold(gate).tell().await.unwrap();

    // The actor is parked on the gate; paused time jumps to the deadline.
    let late = ledger.balance().timeout(Duration::from_millis(50)).await;
    assert!(matches!(late, Err(AskError::Timeout)), "{late:?}");

    open.send(()).unwrap();
    let (): () = timeout(WAIT, ledger.deposit(3).timeout(WAIT)).await.unwrap().unwrap();
    let n = timeout(WAIT, ledger.balance().timeout(WAIT)).await.unwrap();
    assert_eq!(n.unwrap(), 3);

    timeout(WAIT, system.shutdown()).await.unwrap();
}

// Breaks if a method's `ctx` parameter is not the actor's own context passed through from `handle`.
#[tokio::test]
async fn context_parameter_is_the_actors_context() {
    let system = ActorSystem::new();
    let ledger = system.spawn(Ledger::default()).unwrap();

    let seen: ActorId = timeout(WAIT, ledger.whoami()).await.unwrap().unwrap();
    assert_eq!(seen, ledger.id());

    timeout(WAIT, ledger.close(7)).await.unwrap().unwrap();
    let reason = timeout(WAIT, ledger.wait_for_stop()).await.unwrap();
    assert_eq!(reason, ExitReason::Normal);

    timeout(WAIT, system.shutdown()).await.unwrap();
}

// Breaks if generated message structs lose their fields or derives, or stop working with plain `ask`/`tell`.
#[tokio::test]
async fn message_structs_are_plain_messages() {
    let system = ActorSystem::new();
    let ledger = system.spawn(Ledger::default()).unwrap();

    let msg = Deposit { amount: 2 };
    assert_eq!(msg.clone(), Deposit { amount: 2 });
    assert_eq!(format!("{msg:?}"), "Deposit { amount: 2 }");
    timeout(WAIT, ledger.tell(msg)).await.unwrap().unwrap();
    timeout(WAIT, ledger.ask(ledger::Withdraw { amount: 1, memo: "fee".into() })).await.unwrap().unwrap().unwrap();
    let n = timeout(WAIT, ledger.ask(ledger::Balance {})).await.unwrap().unwrap();
    assert_eq!(n, 1);

    timeout(WAIT, system.shutdown()).await.unwrap();
}

// Breaks if `#[messages]` mishandles a generic impl block (type params on structs, handlers or the trait).
#[tokio::test]
async fn generic_actor_works_for_each_instantiation() {
    let system = ActorSystem::new();
    let words = system.spawn(Stack::<String>::new()).unwrap();
    let numbers = system.spawn(Stack::<u32>::new()).unwrap();

    timeout(WAIT, words.push("a".to_string())).await.unwrap().unwrap();
    timeout(WAIT, words.push("b".to_string()).tell()).await.unwrap().unwrap();
    timeout(WAIT, numbers.push(7)).await.unwrap().unwrap();

    assert_eq!(timeout(WAIT, words.len()).await.unwrap().unwrap(), 2);
    assert_eq!(timeout(WAIT, words.peek()).await.unwrap().unwrap(), Some("b".to_string()));
    assert_eq!(timeout(WAIT, words.pop()).await.unwrap().unwrap(), Some("b".to_string()));
    assert_eq!(timeout(WAIT, numbers.pop()).await.unwrap().unwrap(), Some(7));
    assert_eq!(timeout(WAIT, numbers.pop()).await.unwrap().unwrap(), None);
    // A message struct with no type parameter in its fields takes none.
    let len = timeout(WAIT, words.ask(stack::Len {})).await.unwrap().unwrap();
    assert_eq!(len, 1);

    timeout(WAIT, system.shutdown()).await.unwrap();
}

// Breaks if `#[actor(mailbox, name)]` is not what the runtime sees, or the defaults change.
#[tokio::test]
async fn derive_sets_mailbox_and_name() {
    let system = ActorSystem::new();
    let ledger = system.spawn(Ledger::default()).unwrap();
    assert_eq!(ledger.metrics().mailbox_capacity, 64);
    assert_eq!(ledger.name(), "ledger");
    assert_eq!(<Ledger as Actor>::MAILBOX, 64);

    let stack = system.spawn(Stack::<u8>::new()).unwrap();
    assert_eq!(stack.metrics().mailbox_capacity, 1024);
    assert_eq!(stack.name(), "Stack");

    let light = system.spawn(Light::Off).unwrap();
    assert_eq!(light.name(), "Light");
    assert!(timeout(WAIT, light.toggle()).await.unwrap().unwrap());
    assert!(!timeout(WAIT, light.toggle()).await.unwrap().unwrap());

    timeout(WAIT, system.shutdown()).await.unwrap();
}
