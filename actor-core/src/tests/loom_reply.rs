//! The ask reply slot: a reply, a failure from the runner (kill, panic) and
//! the asker giving up (timeout or drop) race; the asker gets exactly one
//! outcome, never hangs, a reply to an abandoned slot is handed back, and
//! the reply value is never leaked.
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

/// A reply races the runner failing the request (a kill aborts the
/// handler): the waiting asker gets the reply iff the replier was told it
/// was delivered, else `Stopped`, and the replier gets its value back.
#[test]
fn loom_reply_send_vs_kill() {
    model(|| {
        let value: Reply = Arc::new(7);
        let slot = Slot::<Reply>::new();
        let fut = ReplyFuture::new(slot.clone());
        let erased: Arc<dyn ErasedSlot> = slot.clone();
        let sender = ReplySender::new(Some(slot as Arc<dyn ReplySlot<Reply>>));
        let replier = {
            let value = value.clone();
            spawn(move || sender.send(value).is_ok())
        };
        let runner = spawn(move || erased.fail(AskError::Stopped));
        let outcome = block_on(fut);
        let delivered = replier.join().expect("replier");
        runner.join().expect("runner");
        match outcome {
            Ok(v) => {
                assert!(delivered);
                assert_eq!(*v, 7);
            }
            Err(e) => {
                assert!(!delivered);
                assert_eq!(e, AskError::Stopped);
            }
        }
        assert_eq!(Arc::strong_count(&value), 1);
    });
}
