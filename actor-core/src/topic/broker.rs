//! The actors of the topic engine: the broker (owns the topic table) and
//! one actor per topic (owns the topic's shared core, joins consumers,
//! answers stats and drives the ack-wait timers).

use std::any::Any;
use std::collections::HashMap;
use std::marker::PhantomData;

use tokio::task::AbortHandle;

use crate::actor::{Actor, BoxError, ExitReason, Handler};
use crate::actor_ref::ActorRef;
use crate::context::Context;
use crate::error::TopicError;
use crate::loom::sync::Arc;

use super::Topic;
use super::config::{ConsumerConfig, TopicConfig};
use super::core::{Joined, TopicCore};
use super::filter::KeyFilter;
use super::group::GroupRules;
use super::stats::{GroupStats, TopicStats};

/// One row of the topic table.
struct Entry {
    /// For `WrongType` errors.
    type_name: &'static str,
    /// A `Topic<T>` of the entry's payload type.
    handle: Box<dyn Any + Send>,
    /// Marks the core deleted and stops the topic actor.
    close: Box<dyn FnOnce() + Send>,
}

/// Owns the name -> topic table of one actor system.
pub(crate) struct Broker {
    topics: HashMap<String, Entry>,
}

impl Broker {
    pub(crate) fn new() -> Self {
        Self { topics: HashMap::new() }
    }

    fn lookup<T: Send + Sync + 'static>(&self, name: &str) -> Result<Topic<T>, TopicError> {
        let entry = self.topics.get(name).ok_or_else(|| TopicError::NotFound { name: name.to_owned() })?;
        match entry.handle.downcast_ref::<Topic<T>>() {
            Some(t) => Ok(t.clone()),
            None => Err(TopicError::WrongType {
                name: name.to_owned(),
                expected: std::any::type_name::<T>(),
                actual: entry.type_name,
            }),
        }
    }
}

impl Actor for Broker {
    const MAILBOX: usize = 256;

    fn name() -> &'static str {
        "topic-broker"
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        for (_, entry) in self.topics.drain() {
            (entry.close)();
        }
    }
}

/// Create (or, with `or_get`, reuse) a topic.
pub(crate) struct Create<T> {
    pub(crate) name: String,
    pub(crate) config: TopicConfig,
    pub(crate) or_get: bool,
    pub(crate) _type: PhantomData<fn() -> T>,
}

/// Look a topic up.
pub(crate) struct Get<T> {
    pub(crate) name: String,
    pub(crate) _type: PhantomData<fn() -> T>,
}

/// Delete a topic.
pub(crate) struct Delete {
    pub(crate) name: String,
}

/// List the topic names.
pub(crate) struct Names;

impl<T: Send + Sync + 'static> Handler<Create<T>> for Broker {
    type Reply = Result<Topic<T>, TopicError>;

    async fn handle(&mut self, msg: Create<T>, ctx: &mut Context<Self>) -> Self::Reply {
        if msg.name.is_empty() {
            return Err(TopicError::Config(crate::error::ConfigError::Invalid {
                what: "topic name",
                value: String::new(),
            }));
        }
        if self.topics.contains_key(&msg.name) {
            return if msg.or_get { self.lookup(&msg.name) } else { Err(TopicError::AlreadyExists { name: msg.name }) };
        }
        let core = Arc::new(TopicCore::<T>::new(&msg.name, &msg.config)?);
        let actor = ctx
            .system()
            .spawn(TopicActor { core: core.clone(), timers: None })
            .map_err(|_| TopicError::SystemStopped)?;
        let topic = Topic { core: core.clone(), actor: actor.clone(), broker: ctx.myself() };
        self.topics.insert(
            msg.name,
            Entry {
                type_name: std::any::type_name::<T>(),
                handle: Box::new(topic.clone()),
                close: Box::new(move || {
                    core.delete();
                    actor.stop();
                }),
            },
        );
        Ok(topic)
    }
}

impl<T: Send + Sync + 'static> Handler<Get<T>> for Broker {
    type Reply = Result<Topic<T>, TopicError>;

    async fn handle(&mut self, msg: Get<T>, _ctx: &mut Context<Self>) -> Self::Reply {
        self.lookup(&msg.name)
    }
}

impl Handler<Delete> for Broker {
    type Reply = Result<(), TopicError>;

    async fn handle(&mut self, msg: Delete, _ctx: &mut Context<Self>) -> Self::Reply {
        let entry = self.topics.remove(&msg.name).ok_or(TopicError::NotFound { name: msg.name })?;
        (entry.close)();
        Ok(())
    }
}

impl Handler<Names> for Broker {
    type Reply = Vec<String>;

    async fn handle(&mut self, _: Names, _ctx: &mut Context<Self>) -> Self::Reply {
        let mut names: Vec<String> = self.topics.keys().cloned().collect();
        names.sort();
        names
    }
}

/// Owns one topic's core; serialises group joins and stats, and runs the
/// timer driver for ack waits and nack delays while it lives.
pub(crate) struct TopicActor<T: Send + Sync + 'static> {
    core: Arc<TopicCore<T>>,
    timers: Option<AbortHandle>,
}

impl<T: Send + Sync + 'static> Drop for TopicActor<T> {
    fn drop(&mut self) {
        if let Some(t) = self.timers.take() {
            t.abort();
        }
    }
}

impl<T: Send + Sync + 'static> Actor for TopicActor<T> {
    const MAILBOX: usize = 256;

    fn name() -> &'static str {
        "topic"
    }

    async fn on_start(&mut self, _ctx: &mut Context<Self>) -> Result<(), BoxError> {
        let driver = tokio::spawn(self.core.clone().run_timers());
        self.timers = Some(driver.abort_handle());
        Ok(())
    }

    async fn on_stop(&mut self, _ctx: &mut Context<Self>, _reason: &ExitReason) {
        if let Some(t) = self.timers.take() {
            t.abort();
        }
    }
}

/// Join (or create) a consumer group.
pub(crate) struct Join<T> {
    pub(crate) group: String,
    /// Already validated.
    pub(crate) config: ConsumerConfig,
    /// The parsed `config.filter_key`.
    pub(crate) filter: Option<KeyFilter>,
    pub(crate) dead_letter: Option<Arc<TopicCore<T>>>,
}

impl<T: Send + Sync + 'static> Handler<Join<T>> for TopicActor<T> {
    type Reply = Result<Joined<T>, TopicError>;

    async fn handle(&mut self, msg: Join<T>, _ctx: &mut Context<Self>) -> Self::Reply {
        let rules = GroupRules {
            ack_wait: msg.config.ack_wait,
            max_deliver: msg.config.max_deliver,
            max_ack_pending: msg.config.max_ack_pending,
            filter: msg.filter,
        };
        self.core.join(&msg.group, &msg.config, rules, msg.dead_letter)
    }
}

/// Read the topic's counters.
pub(crate) struct Stats;

impl<T: Send + Sync + 'static> Handler<Stats> for TopicActor<T> {
    type Reply = Result<TopicStats, TopicError>;

    async fn handle(&mut self, _: Stats, _ctx: &mut Context<Self>) -> Self::Reply {
        if self.core.is_deleted() {
            return Err(self.core.deleted_error());
        }
        let log = self.core.log_counters();
        let groups = self
            .core
            .group_counters()
            .into_iter()
            .map(|g| GroupStats {
                name: g.name,
                committed: g.committed,
                delivered: g.delivered,
                in_flight: g.in_flight as u64,
                lag: g.lag,
                redelivered_total: g.redelivered_total,
                dead_lettered_total: g.dead_lettered_total,
                dead_letters_dropped: g.dead_letter_dropped,
                members: g.members,
            })
            .collect();
        Ok(TopicStats {
            name: self.core.name.to_string(),
            first_offset: log.first,
            next_offset: log.next,
            len: log.len as u64,
            bytes: log.bytes,
            evicted_total: log.evicted_total,
            published_total: log.next,
            subscribers: self.core.subscribers.load(crate::loom::sync::atomic::Ordering::Relaxed),
            groups,
        })
    }
}

/// The broker's actor ref type, for the handles.
pub(crate) type BrokerRef = ActorRef<Broker>;
