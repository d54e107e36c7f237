//! The ask reply slot: a reply or a failure (kill, panic, a dropped sender)
//! races the asker waiting, moving to another task or giving up (timeout or
//! drop); the asker gets exactly one outcome, never hangs, a reply to an
//! abandoned slot is handed back, and the reply value is never leaked.
//!
//! An ask's timeout drops the reply future after it was polled; the models
//! do exactly that (tokio's timer is not modelled).

use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use crate::error::AskError;
use crate::loom::check::{block_on, model, spawn};
use crate::loom::sync::Arc;
use crate::reply::{ErasedSlot, ReplyFuture, ReplySender, ReplySlot, Slot};

type Reply = Arc<u32>;

/// What the replier does with its `ReplySender`.
#[derive(Clone, Copy)]
enum Replier {
    Send,
    Drop,
}

/// The asker polls once and gives up (a timeout, or a dropped future)
/// while the replier answers or drops its sender.
fn abandon_vs(replier: Replier) {
    model(move || {
        let value: Reply = Arc::new(7);
        let slot = Slot::<Reply>::new();
        let mut fut = ReplyFuture::new(slot.clone());
        let sender = ReplySender::new(Some(slot as Arc<dyn ReplySlot<Reply>>));
        let t = {
            let value = value.clone();
            spawn(move || match replier {
                // `Err(v)`: the asker was gone, the value comes back.
                Replier::Send => sender.send(value).is_ok(),
                Replier::Drop => {
                    drop(sender);
                    false
                }
            })
        };
        let polled = block_on(poll_fn(|cx| Poll::Ready(Pin::new(&mut fut).poll(cx))));
        drop(fut);
        let accepted = t.join().expect("replier");
        match polled {
            Poll::Ready(Ok(v)) => {
                assert!(accepted, "a reply the replier got back was also delivered");
                assert_eq!(*v, 7);
            }
            Poll::Ready(Err(e)) => {
                assert!(matches!(replier, Replier::Drop));
                assert_eq!(e, AskError::NoReply);
            }
            Poll::Pending => {}
        }
        // Every copy of the reply is gone: delivered, handed back or
        // dropped with the slot.
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

#[test]
fn loom_reply_send_vs_abandon() {
    abandon_vs(Replier::Send);
}

#[test]
fn loom_reply_drop_vs_abandon() {
    abandon_vs(Replier::Drop);
}

/// A dropped `ReplySender` wakes a waiting asker with `NoReply`.
#[test]
fn loom_reply_sender_dropped_wakes_asker() {
    model(|| {
        let slot = Slot::<Reply>::new();
        let fut = ReplyFuture::new(slot.clone());
        let sender = ReplySender::new(Some(slot as Arc<dyn ReplySlot<Reply>>));
        let t = spawn(move || drop(sender));
        assert_eq!(block_on(fut), Err(AskError::NoReply));
        t.join().expect("replier");
    });
}

/// The asker moves to another task while the reply is sent: it waited with
/// one waker and waits again with another, so it must swap the stored
/// waker without racing a completion that is waking the old one. It gets
/// the reply exactly once and is woken for it.
#[test]
fn loom_reply_send_vs_new_waker() {
    model(|| {
        let value: Reply = Arc::new(7);
        let slot = Slot::<Reply>::new();
        let mut fut = ReplyFuture::new(slot.clone());
        let sender = ReplySender::new(Some(slot as Arc<dyn ReplySlot<Reply>>));
        let replier = {
            let value = value.clone();
            spawn(move || sender.send(value).is_ok())
        };
        // The first poll registers a waker nobody runs; `block_on` then polls
        // with its own.
        let first = Pin::new(&mut fut).poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
        let outcome = match first {
            Poll::Ready(outcome) => outcome,
            Poll::Pending => block_on(fut),
        };
        assert!(replier.join().expect("replier"));
        assert_eq!(*outcome.expect("the reply"), 7);
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

/// The reply side's owner completes twice: it replies and then, as a kill
/// or a panic would, fails the request (or the other way round). The first
/// completion wins, the second hands its value back, and the waiting asker
/// gets exactly the first.
fn completed_twice(reply_first: bool) {
    model(move || {
        let value: Reply = Arc::new(7);
        let slot = Slot::<Reply>::new();
        let fut = ReplyFuture::new(slot.clone());
        let erased: Arc<dyn ErasedSlot> = slot.clone();
        let sender = ReplySender::new(Some(slot as Arc<dyn ReplySlot<Reply>>));
        let owner = {
            let value = value.clone();
            spawn(move || {
                if reply_first {
                    let delivered = sender.send(value).is_ok();
                    erased.fail(AskError::Stopped);
                    delivered
                } else {
                    erased.fail(AskError::Stopped);
                    sender.send(value).is_ok()
                }
            })
        };
        let outcome = block_on(fut);
        let delivered = owner.join().expect("owner");
        assert_eq!(delivered, reply_first);
        match outcome {
            Ok(v) => {
                assert!(reply_first);
                assert_eq!(*v, 7);
            }
            Err(e) => {
                assert!(!reply_first);
                assert_eq!(e, AskError::Stopped);
            }
        }
        assert_eq!(Arc::strong_count(&value), 1);
    });
}

#[test]
fn loom_reply_then_fail() {
    completed_twice(true);
}

#[test]
fn loom_fail_then_reply() {
    completed_twice(false);
}
