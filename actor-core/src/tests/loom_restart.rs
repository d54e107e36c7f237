//! Restart handover on the actor's own state: a supervised incarnation
//! ends (its handler failed), the runner moves the status word through
//! `RESTARTING` and on to the next incarnation, while senders keep
//! sending. The mailbox stays open across the handover (no send is refused
//! `Closed`), every accepted message is handled exactly once, by one
//! incarnation, and the next incarnation starts only after the previous
//! one's `on_stop`.
//!
//! The supervisor's decision travels on tokio `watch` channels, which loom
//! cannot see; the model takes the decision ("restart now") as given and
//! checks the runner's side of the handover.

use crate::actor_ref::{ActorStatus, try_send_tell};
use crate::error::TrySendError;
use crate::loom::check::{block_on, model, spawn};
use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicBool, Ordering};
use crate::runner::{Next, RUNNING, Receiving, STARTING, STOP, STOPPING, poll_next};
use crate::tests::{Ping, cell};

#[test]
fn loom_restart_handover_keeps_mailbox() {
    model(|| {
        let (inner, mut mailbox) = cell(1, 2);
        let core = &inner.core;
        // The message whose handler fails.
        assert!(try_send_tell(&inner, Ping(0)).is_ok());
        let senders = [1, 2].map(|n| {
            let inner = inner.clone();
            spawn(move || match try_send_tell(&inner, Ping(n)) {
                Ok(()) => 1,
                Err(TrySendError::Full(_)) => 0,
                Err(TrySendError::Closed(_)) => panic!("a send was refused during a restart"),
            })
        });
        let mut log = Vec::new();

        // Incarnation 1: on_start, then the first message fails.
        core.set_phase(STARTING);
        log.push("start 1");
        core.set_phase(RUNNING);
        let env = block_on(async {
            let mut notes = Receiving::default();
            match std::future::poll_fn(|cx| poll_next(core, &mut mailbox, &mut notes, cx)).await {
                Next::Message(env) => env,
                Next::Signal(_) => panic!("no stop was requested"),
            }
        });
        drop(env);
        let mut handled = 1;
        core.set_phase(STOPPING);
        log.push("stop 1");

        // Between incarnations: the mailbox stays open.
        core.begin_restart();
        assert!(core.is_accepting());
        core.set_phase(STARTING);

        // Incarnation 2 takes over what is queued, the rest of the failed
        // incarnation's batch first.
        log.push("start 2");
        core.set_phase(RUNNING);
        let accepted: usize = 1 + senders.into_iter().map(|t| t.join().expect("sender")).sum::<usize>();
        while mailbox.try_next().is_some() {
            handled += 1;
        }
        assert_eq!(handled, accepted);
        assert_eq!(mailbox.len(), 0);
        assert_eq!(log, ["start 1", "stop 1", "start 2"]);
        assert_eq!(core.status(), ActorStatus::Running);
        assert!(core.is_accepting());
    });
}

/// A `stop()` made while a supervised actor is between incarnations is not
/// lost: if it came after the handover began, the next incarnation sees it
/// (and stops); if it came before, it ended the old incarnation with the rest
/// of its requests. Either way it is never silently erased.
#[test]
fn loom_restart_keeps_a_stop_made_during_the_handover() {
    model(|| {
        let (inner, _mailbox) = cell(1, 2);
        let began = Arc::new(AtomicBool::new(false));
        let stopper = {
            let inner = inner.clone();
            let began = began.clone();
            spawn(move || {
                // `SeqCst` on both sides: a total order between "the handover
                // began" and "the stop was requested".
                let after = began.load(Ordering::SeqCst);
                inner.core.request_stop(false);
                after
            })
        };
        let core = &inner.core;
        core.set_phase(STOPPING);
        core.begin_restart();
        began.store(true, Ordering::SeqCst);
        core.set_phase(STARTING);
        let stop_came_after_handover = stopper.join().expect("stopper");
        if stop_came_after_handover {
            assert_ne!(core.load() & STOP, 0, "a stop made during the handover was erased");
            assert!(!core.is_accepting());
        }
    });
}
