//! The status word: concurrent stop / kill requests against the runner's
//! idle wait and stop path end the actor exactly once, with the right
//! reason, and nothing queued is lost.

use std::future::pending;
use std::pin::pin;

use crate::actor::ExitReason;
use crate::actor_ref::{ActorStatus, try_send_tell};
use crate::loom::check::{block_on, model, spawn};
use crate::runner::{Core, Interrupted, KILL, guarded};
use crate::tests::{Ping, cell, run_unsupervised};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Request {
    Stop,
    Shutdown,
    Kill,
}

fn request(core: &Core, r: Request) {
    match r {
        Request::Stop => core.request_stop(false),
        Request::Shutdown => core.request_stop(true),
        Request::Kill => core.kill(),
    }
}

/// Two requests race with the runner, which has one message queued.
fn race(a: Request, b: Request) {
    model(move || {
        let (inner, mut mailbox) = cell(1, 2);
        assert!(try_send_tell(&inner, Ping(0)).is_ok());
        let threads = [a, b].map(|r| {
            let inner = inner.clone();
            spawn(move || request(&inner.core, r))
        });
        let out = run_unsupervised(&inner.core, &mut mailbox);
        for t in threads {
            t.join().expect("requester");
        }
        let core = &inner.core;
        let exit = out.exit.clone().expect("the runner ended");
        // One stop path, one on_stop, one recorded exit.
        assert_eq!(out.on_stop, 1);
        assert_eq!(core.exit_reason(), Some(exit.clone()));
        assert_eq!(block_on(core.wait_stopped()), exit);
        assert_eq!(core.status(), ActorStatus::Stopped);
        assert!(!core.is_accepting());
        // The queued message was handled or rejected, never lost or doubled.
        assert_eq!(out.handled + out.rejected, 1, "{out:?}");
        // The reason follows the requests.
        let killed = a == Request::Kill || b == Request::Kill;
        let shutdown = a == Request::Shutdown || b == Request::Shutdown;
        match exit {
            ExitReason::Killed => assert!(killed),
            ExitReason::Shutdown => assert!(shutdown),
            ExitReason::Normal => assert!(!shutdown),
            other => panic!("unexpected exit {other}"),
        }
        if !killed {
            assert_eq!(out.handled, 1);
        }
        if a == Request::Kill && b == Request::Kill {
            assert_eq!(exit, ExitReason::Killed);
        }
    });
}

#[test]
fn loom_status_stop_stop() {
    race(Request::Stop, Request::Stop);
}

#[test]
fn loom_status_stop_kill() {
    race(Request::Stop, Request::Kill);
}

#[test]
fn loom_status_kill_stop() {
    race(Request::Kill, Request::Stop);
}

#[test]
fn loom_status_shutdown_kill() {
    race(Request::Shutdown, Request::Kill);
}

/// A handler suspended at an `.await` is ended by `kill` (and only by
/// `kill`), whatever order the requests land in: the guard registers its
/// waker before it reads the word.
#[test]
fn loom_status_kill_interrupts_handler() {
    model(|| {
        let (inner, _mailbox) = cell(1, 1);
        let stopper = {
            let inner = inner.clone();
            spawn(move || inner.core.request_stop(false))
        };
        let killer = {
            let inner = inner.clone();
            spawn(move || inner.core.kill())
        };
        let mut handler = pin!(pending::<()>());
        let r = block_on(guarded(handler.as_mut(), &inner.core, KILL));
        assert!(matches!(r, Err(Interrupted::Killed)));
        stopper.join().expect("stopper");
        killer.join().expect("killer");
    });
}

/// A waiter thread races with the final exit (after a restart handover if
/// `restart`) and is released with that exit.
fn waiter_vs_exit(restart: bool, exit: ExitReason) {
    model(move || {
        let (inner, _mailbox) = cell(1, 1);
        let waiter = {
            let inner = inner.clone();
            spawn(move || block_on(inner.core.wait_stopped()))
        };
        if restart {
            inner.core.begin_restart();
        }
        inner.core.set_exit(exit.clone());
        assert_eq!(waiter.join().expect("waiter"), exit);
        assert_eq!(block_on(inner.core.wait_stopped()), exit);
    });
}

/// A `wait_for_stop` racing with the final exit is always released, with
/// that exit: the waiter announces itself in the status word after queuing
/// on the notifier, and the exit wakes the notifier only if it sees that.
#[test]
fn loom_status_waiter_meets_the_final_exit() {
    waiter_vs_exit(false, ExitReason::Shutdown);
}

/// The same with an exit that carries text, which the status word does not
/// hold: the waiter reads it from the core's exit cell.
#[test]
fn loom_status_waiter_meets_a_final_exit_with_text() {
    waiter_vs_exit(false, ExitReason::Failed("no database".to_owned()));
}

/// A waiter queued before a restart is still released by the final exit:
/// the handover to the next incarnation keeps its announcement.
#[test]
fn loom_status_waiter_survives_a_restart() {
    waiter_vs_exit(true, ExitReason::Normal);
}
