//! The `Actor` and `Handler` traits, lifecycle hooks and exit reasons.
//!
//! # Lifecycle
//!
//! One incarnation of an actor runs `on_start`, then handles messages one at
//! a time, then runs `on_stop` exactly once with the reason it stopped, also
//! when `on_start` failed. Nothing of the incarnation runs after `on_stop`.
//! A supervised actor may be rebuilt from its factory behind the same mailbox:
//! the old incarnation's `on_stop` has finished before the new one's
//! `on_start` begins.
//!
//! A panic in a handler is caught per message. The actor's `on_panic` hook
//! decides: `ControlFlow::Continue` keeps the actor running with its state as
//! the panic left it, `ControlFlow::Break` (the default) ends the incarnation
//! with [`ExitReason::Panicked`]. Either way the asker of the panicking
//! message gets [`AskError::Panicked`](crate::AskError::Panicked).

use std::fmt;
use std::future::Future;
use std::ops::ControlFlow;

use crate::context::Context;

/// A boxed error, the error type of `on_start` and `ctx.fail`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An actor: state that only its own task touches, reached through a bounded
/// mailbox.
///
/// Every item has a default, so `impl Actor for T {}` is a complete actor
/// (add [`Handler`] impls for its messages). `#[derive(Actor)]` writes the
/// impl from `#[actor(mailbox = N, name = "…")]`. Hooks are written as
/// `async fn` in impls.
///
/// # Examples
///
/// ```
/// use actor_core::prelude::*;
///
/// struct Greeter { greeted: u32 }
///
/// impl Actor for Greeter {
///     const MAILBOX: usize = 16;
///     async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
///         self.greeted = 0;
///         Ok(())
///     }
/// }
///
/// struct Greet(&'static str);
/// impl Handler<Greet> for Greeter {
///     type Reply = String;
///     async fn handle(&mut self, Greet(who): Greet, _ctx: &mut Context<Self>) -> String {
///         self.greeted += 1;
///         format!("hello, {who}")
///     }
/// }
///
/// # #[tokio::main] async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let system = ActorSystem::new();
/// let greeter = system.spawn(Greeter { greeted: 0 })?;
/// assert_eq!(greeter.ask(Greet("ada")).await?, "hello, ada");
/// system.shutdown().await;
/// # Ok(()) }
/// ```
pub trait Actor: Sized + Send + 'static {
    /// Mailbox capacity. Checked at spawn: 0 is a [`SpawnError`](crate::SpawnError).
    const MAILBOX: usize = 1024;

    /// The actor's name, shown in snapshots, reports and traces. Default:
    /// the type's name without its module path (`Counter`, `Stack<u8>`).
    fn name() -> &'static str {
        short_type_name(std::any::type_name::<Self>())
    }

    /// Runs before the first message. An error ends the incarnation with
    /// [`ExitReason::Failed`] (`on_stop` still runs).
    fn on_start(&mut self, ctx: &mut Context<Self>) -> impl Future<Output = Result<(), BoxError>> + Send {
        let _ = ctx;
        async { Ok(()) }
    }

    /// Runs once when the incarnation ends, whatever the reason.
    fn on_stop(&mut self, ctx: &mut Context<Self>, reason: &ExitReason) -> impl Future<Output = ()> + Send {
        let _ = (ctx, reason);
        async {}
    }

    /// Decides what a caught handler panic does: `Break` (default) ends the
    /// incarnation with [`ExitReason::Panicked`], `Continue` goes on with the
    /// next message.
    fn on_panic(&mut self, ctx: &mut Context<Self>, panic: &PanicInfo) -> impl Future<Output = ControlFlow<()>> + Send {
        let _ = (ctx, panic);
        async { ControlFlow::Break(()) }
    }
}

/// `a::b::Stack<c::D>` → `Stack<c::D>`: the last path segment of the type,
/// with its generic arguments as they are.
pub(crate) fn short_type_name(full: &'static str) -> &'static str {
    let head_end = full.find('<').unwrap_or(full.len());
    // A path's only colons are its `::` separators; a one-byte search is
    // cheaper than a substring search, and this runs on every spawn.
    let start = full[..head_end].rfind(':').map_or(0, |i| i + 1);
    &full[start..]
}

/// An actor handles messages of type `M` and answers with `Reply`.
///
/// One actor implements `Handler` for any number of message types. The reply
/// reaches an asker through a oneshot; for a `tell` it is dropped.
pub trait Handler<M: Send + 'static>: Actor {
    /// What an `ask` of `M` returns.
    type Reply: Send + 'static;

    /// Handles one message. Written as `async fn` in impls.
    fn handle(&mut self, msg: M, ctx: &mut Context<Self>) -> impl Future<Output = Self::Reply> + Send;
}

/// Why an actor (or one incarnation of it) stopped.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ExitReason {
    /// `ctx.stop()`, `ActorRef::stop()`, or the last `ActorRef` was dropped.
    Normal,
    /// The system or a supervisor stopped it.
    Shutdown,
    /// `ActorRef::kill()`, or a deadline ran out while stopping.
    Killed,
    /// A handler or hook panicked; the text is the panic message.
    Panicked(String),
    /// `on_start` returned an error or a handler called `ctx.fail(e)`.
    Failed(String),
}

impl ExitReason {
    /// True for `Normal` and `Shutdown`, the exits a Transient child is not
    /// restarted after.
    pub fn is_normal(&self) -> bool {
        matches!(self, ExitReason::Normal | ExitReason::Shutdown)
    }
}

impl fmt::Display for ExitReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitReason::Normal => f.write_str("normal"),
            ExitReason::Shutdown => f.write_str("shutdown"),
            ExitReason::Killed => f.write_str("killed"),
            ExitReason::Panicked(m) => write!(f, "panicked: {m}"),
            ExitReason::Failed(m) => write!(f, "failed: {m}"),
        }
    }
}

/// What `on_panic` learns about a caught panic.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct PanicInfo {
    message: String,
    message_type: &'static str,
}

impl PanicInfo {
    pub(crate) fn new(message: String, message_type: &'static str) -> Self {
        PanicInfo { message, message_type }
    }

    /// The panic message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The type name of the message whose handler panicked.
    pub fn message_type(&self) -> &'static str {
        self.message_type
    }
}

impl fmt::Display for PanicInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "panic while handling {}: {}", self.message_type, self.message)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn short_type_names() {
        assert_eq!(super::short_type_name("a::b::Counter"), "Counter");
        assert_eq!(super::short_type_name("a::Stack<b::Item>"), "Stack<b::Item>");
        assert_eq!(super::short_type_name("Plain"), "Plain");
    }
}
