//! The bus actor: owns the forwarders' lifetime and answers `stats`.

use tokio_util::sync::CancellationToken;

use super::BusStats;
use super::channel::Registry;
use crate::actor::{Actor, ExitReason, Handler};
use crate::context::Context;
use crate::loom::sync::Arc;

/// One per bus. Publishing and subscribing never go through it; it holds the
/// parent token of every forwarder (cancelled when it stops, so a bus whose
/// actor stopped forwards nothing more) and reads the channel counters for
/// `stats`.
pub(crate) struct BusActor {
    pub(crate) registry: Arc<Registry>,
    pub(crate) forwarders: CancellationToken,
}

impl Actor for BusActor {
    const MAILBOX: usize = 64;

    fn name() -> &'static str {
        "event-bus"
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        self.forwarders.cancel();
    }
}

/// Asks for the counters of every event type.
pub(crate) struct Stats;

impl Handler<Stats> for BusActor {
    type Reply = BusStats;

    async fn handle(&mut self, _: Stats, _ctx: &mut Context<Self>) -> BusStats {
        self.registry.stats()
    }
}
