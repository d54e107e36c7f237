//! Mailbox close vs concurrent sends: every message whose send returned
//! `Ok` is handled or rejected (a dead letter or a failed ask), exactly
//! once; once the runner closed and drained, every send fails `Closed`.

use crate::actor_ref::{send_tell, try_send_tell};
use crate::error::{SendError, TrySendError};
use crate::loom::check::{block_on, model, spawn};
use crate::tests::{Ping, cell, run_unsupervised};

/// A sender (a waiting `tell`, then a `try_tell`) races a stop or a kill
/// and the runner, on a mailbox of one.
fn race(kill: bool) {
    model(move || {
        let (inner, mut mailbox) = cell(1, 1);
        let sender = {
            let inner = inner.clone();
            spawn(move || {
                let first = block_on(send_tell(&inner, Ping(1))).is_ok();
                let second = try_send_tell(&inner, Ping(2)).is_ok();
                usize::from(first) + usize::from(second)
            })
        };
        let stopper = {
            let inner = inner.clone();
            spawn(move || if kill { inner.core.kill() } else { inner.core.request_stop(false) })
        };
        let out = run_unsupervised(&inner.core, &mut mailbox);
        let accepted = sender.join().expect("sender");
        stopper.join().expect("stopper");
        assert_eq!(accepted, out.handled + out.rejected, "{out:?}");
        if !kill {
            assert_eq!(out.rejected, 0, "a stop drains what was accepted: {out:?}");
        }
        // Nothing is accepted once the actor stopped.
        assert!(matches!(try_send_tell(&inner, Ping(3)), Err(TrySendError::Closed(_))));
        assert!(matches!(block_on(send_tell(&inner, Ping(4))), Err(SendError::Closed(_))));
        assert_eq!(mailbox.len(), 0);
    });
}

#[test]
fn loom_mailbox_stop_vs_send() {
    race(false);
}

#[test]
fn loom_mailbox_kill_vs_send() {
    race(true);
}
