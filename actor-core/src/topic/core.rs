//! The shared state of one topic: the log behind a short mutex, the
//! consumer groups, and the wake-ups. Publishers append and subscribers read
//! here directly; nothing on the data path goes through an actor mailbox.
//!
//! # Invariants
//!
//! - Lock order: a group's `inner` mutex, then the topic's `log` mutex.
//!   The `groups` list mutex is a leaf: nothing but tokio's internal
//!   `Notify` lock is taken while it is held (it may itself be taken while
//!   the `log` lock is held, in `join`). No lock is held across an
//!   `.await`, and the dead-letter append happens after every lock of the
//!   source topic is released, so two topics never hold each other's locks.
//! - `deleted` only goes from false to true, under the `log` lock; every
//!   waiter re-checks it under that lock after registering, so no waiter
//!   misses the deletion.
//! - Wake-up protocol (no lost wake-ups, no busy polling): a waiter
//!   (1) enables its `Notified`, (2) increments the waiter count,
//!   (3) re-checks its condition under the `log` (or group) lock, then
//!   awaits. A signaller changes the state under the same lock, releases
//!   it, then reads the waiter count. The mutex orders (2) before the
//!   signaller's read whenever the re-check ran first, so either the
//!   waiter sees the change or the signaller sees the waiter.

use std::collections::{BTreeMap, VecDeque};
use std::ops::Range;
use std::pin::pin;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::{Instant, sleep_until};

use crate::error::{PublishError, TopicError};
use crate::loom::lock;
use crate::loom::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use crate::loom::sync::{Arc, Mutex};
use crate::padded::Padded;

use super::config::{ConsumerConfig, Overflow, StartAt, TopicConfig};
use super::group::{DeadLetter, GroupRules, GroupState, Handout, PendingRow};
use super::log::{Log, Measured, Refusal};
use super::message::{Meta, Record};

/// How many records a subscriber copies out per lock.
pub(crate) const READ_CHUNK: usize = 256;

/// At most this many messages a group member takes per lock.
pub(crate) const PREFETCH: usize = 32;

/// Decrements a waiter count when a wait ends or is cancelled.
struct Registered<'a>(&'a AtomicUsize);

impl<'a> Registered<'a> {
    fn new(count: &'a AtomicUsize) -> Self {
        // SeqCst: ordered before the re-check under the lock (see the
        // module's wake-up protocol).
        count.fetch_add(1, Ordering::SeqCst);
        Self(count)
    }
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        // Relaxed: a stale non-zero count only costs one spurious notify.
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Mutable state of one group, under the group's mutex.
#[derive(Debug)]
pub(crate) struct GroupInner<T> {
    pub(crate) state: GroupState<T>,
    /// id -> (name, still joined); departed owners of pending entries
    /// are kept for `pending()` until their entries are gone.
    pub(crate) members: BTreeMap<u64, (Box<str>, bool)>,
    next_member: u64,
    pub(crate) dead_letter: Option<Arc<TopicCore<T>>>,
    pub(crate) dead_letter_dropped: u64,
}

/// One durable consumer group.
#[derive(Debug)]
pub(crate) struct GroupShared<T> {
    pub(crate) name: Box<str>,
    /// On lines of its own: the members lock it per take and per ack,
    /// while publishers read `waiters` and signal `notify` per append.
    pub(crate) inner: Padded<Mutex<GroupInner<T>>>,
    /// Members waiting for a message; woken one at a time (FIFO), so
    /// members are served in turn.
    notify: Notify,
    waiters: AtomicUsize,
    /// The committed offset, for Block overflow.
    committed: Arc<AtomicU64>,
}

/// A joined group, the member's id and the member's name.
pub(crate) type Joined<T> = (Arc<GroupShared<T>>, u64, Box<str>);

/// A snapshot of the log's counters.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogCounters {
    pub(crate) first: u64,
    pub(crate) next: u64,
    pub(crate) len: usize,
    pub(crate) bytes: u64,
    pub(crate) evicted_total: u64,
}

/// A snapshot of one group's counters.
#[derive(Debug, Clone)]
pub(crate) struct GroupCounters {
    pub(crate) name: String,
    pub(crate) committed: u64,
    pub(crate) delivered: u64,
    pub(crate) in_flight: usize,
    pub(crate) lag: u64,
    pub(crate) redelivered_total: u64,
    pub(crate) dead_lettered_total: u64,
    pub(crate) dead_letter_dropped: u64,
    pub(crate) members: usize,
}

/// The shared state of one topic.
#[derive(Debug)]
pub(crate) struct TopicCore<T> {
    pub(crate) name: Box<str>,
    log: Padded<Mutex<Log<T>>>,
    sizer: fn(&T) -> usize,
    overflow: Overflow,
    deleted: AtomicBool,
    /// Subscribers waiting for new data (all woken per append).
    data: Notify,
    data_waiters: AtomicUsize,
    /// Block-mode publishers waiting for room.
    space: Notify,
    space_waiters: AtomicUsize,
    groups: Mutex<Vec<Arc<GroupShared<T>>>>,
    /// Group members waiting for a message, over all groups: while zero,
    /// an append wakes no group (and takes no `groups` lock).
    group_waiters: Padded<AtomicUsize>,
    /// Mirror of the log's next offset, stored under the `log` lock, so an
    /// idle group member can see "nothing new" without taking that lock.
    next_hint: Padded<AtomicU64>,
    pub(crate) subscribers: AtomicUsize,
    /// Wakes the timer driver when an earlier deadline appears.
    timer: Notify,
    /// The deadline the driver sleeps towards, as nanos since `base`;
    /// `u64::MAX` while idle or rescanning.
    armed: AtomicU64,
    base: Instant,
}

/// Takes a refused payload back out of the `Arc` it was put in before
/// locking (it was never shared).
fn unshare<T>(shared: Arc<T>) -> T {
    Arc::into_inner(shared).expect("never shared")
}

fn refusal<T>(r: Refusal, m: T) -> PublishError<T> {
    match r {
        Refusal::Full => PublishError::Full(m),
        Refusal::TooLarge => PublishError::TooLarge(m),
        Refusal::Duplicate(offset) => PublishError::Duplicate { offset, message: m },
    }
}

impl<T> GroupShared<T> {
    /// Wakes the longest-waiting member, if any.
    fn wake_one(&self) {
        // SeqCst: read after the state change's unlock (wake-up protocol).
        if self.waiters.load(Ordering::SeqCst) > 0 {
            self.notify.notify_one();
        }
    }
}

/// The headers of a dead letter: the original ones plus `original_topic`,
/// `original_offset`, `delivery_count` and `reason`.
fn dead_letter_meta<T>(topic: &str, d: &DeadLetter<T>) -> Meta {
    let mut meta = Meta {
        id: None,
        key: d.record.key().map(Into::into),
        headers: d.record.meta().map(|m| m.headers.clone()).unwrap_or_default(),
    };
    meta.headers.push(("original_topic".into(), topic.into()));
    meta.headers.push(("original_offset".into(), d.record.offset().to_string().into_boxed_str()));
    meta.headers.push(("delivery_count".into(), d.delivery_count.to_string().into_boxed_str()));
    meta.headers.push(("reason".into(), d.reason.as_str().into()));
    meta
}

impl<T: Send + Sync + 'static> TopicCore<T> {
    pub(crate) fn new(name: &str, config: &TopicConfig) -> Result<Self, TopicError> {
        let sizer = config.validate::<T>()?;
        Ok(Self {
            name: name.into(),
            log: Padded(Mutex::new(Log::new(config))),
            sizer,
            overflow: config.overflow,
            deleted: AtomicBool::new(false),
            data: Notify::new(),
            data_waiters: AtomicUsize::new(0),
            space: Notify::new(),
            space_waiters: AtomicUsize::new(0),
            groups: Mutex::new(Vec::new()),
            next_hint: Padded(AtomicU64::new(0)),
            group_waiters: Padded(AtomicUsize::new(0)),
            subscribers: AtomicUsize::new(0),
            timer: Notify::new(),
            armed: AtomicU64::new(u64::MAX),
            base: Instant::now(),
        })
    }

    pub(crate) fn deleted_error(&self) -> TopicError {
        TopicError::Deleted { name: self.name.to_string() }
    }

    pub(crate) fn is_deleted(&self) -> bool {
        // Acquire: pairs with the Release in `delete`.
        self.deleted.load(Ordering::Acquire)
    }

    /// Stores the next offset for lock-free "nothing new" checks.
    fn publish_next(&self, log: &Log<T>) {
        // SeqCst: a waiting member increments its waiter count and then
        // reads this word; the publisher stores it and then reads the
        // count (store-buffer pattern: both sides SeqCst).
        self.next_hint.store(log.next(), Ordering::SeqCst);
    }

    /// Wakes subscribers and one waiting member of every group after an
    /// append (the log lock is released).
    fn wake_readers(&self) {
        // SeqCst: read after the append's unlock (wake-up protocol).
        if self.data_waiters.load(Ordering::SeqCst) > 0 {
            self.data.notify_waiters();
        }
        // SeqCst: read after the append's unlock (wake-up protocol); a
        // waiting member counts itself here before its group's count.
        if self.group_waiters.load(Ordering::SeqCst) > 0 {
            // `notify_one` only takes the Notify's own internal lock, a leaf.
            for g in lock(&self.groups).iter() {
                g.wake_one();
            }
        }
    }

    // ----- publishing -----

    /// Appends one message or refuses it, never waiting.
    pub(crate) fn try_append(&self, payload: T, meta: Meta) -> Result<u64, PublishError<(T, Meta)>> {
        let size = (self.sizer)(&payload);
        // Allocated before locking, to keep the critical section short.
        self.try_append_sized(size, Arc::new(payload), meta)
            .map_err(|e| e.map(|(shared, meta)| (unshare(shared), meta)))
    }

    /// Appends an already shared payload (dead letters), never waiting.
    fn try_append_shared(&self, payload: Arc<T>, meta: Meta) -> bool {
        let size = (self.sizer)(&payload);
        self.try_append_sized(size, payload, meta).is_ok()
    }

    /// Appends one measured payload or refuses it (handing it back), never
    /// waiting.
    fn try_append_sized(&self, size: usize, payload: Arc<T>, meta: Meta) -> Result<u64, PublishError<(Arc<T>, Meta)>> {
        let mut log = lock(&self.log);
        if self.deleted.load(Ordering::Relaxed) {
            drop(log);
            return Err(PublishError::Deleted((payload, meta)));
        }
        let now = Instant::now();
        let offset = match log.append(now, size, &meta) {
            Ok(slot) => slot.commit(payload, meta),
            Err(r) => {
                drop(log);
                return Err(refusal(r, (payload, meta)));
            }
        };
        self.publish_next(&log);
        drop(log);
        self.wake_readers();
        Ok(offset)
    }

    /// Appends a batch at contiguous offsets or refuses all of it.
    pub(crate) fn try_append_batch(&self, payloads: Vec<T>) -> Result<Range<u64>, PublishError<Vec<T>>> {
        // Measured and allocated before locking, to keep the critical
        // section short.
        let items: Vec<Measured<T>> = payloads.into_iter().map(|p| ((self.sizer)(&p), Arc::new(p))).collect();
        let back = |items: Vec<Measured<T>>| items.into_iter().map(|(_, shared)| unshare(shared)).collect();
        let mut log = lock(&self.log);
        if self.deleted.load(Ordering::Relaxed) {
            drop(log);
            return Err(PublishError::Deleted(back(items)));
        }
        let now = Instant::now();
        match log.append_batch(now, items) {
            Ok(range) => {
                self.publish_next(&log);
                drop(log);
                if !range.is_empty() {
                    self.wake_readers();
                }
                Ok(range)
            }
            Err((r, items)) => {
                drop(log);
                Err(refusal(r, back(items)))
            }
        }
    }

    /// Waits until a Block-mode publisher may retry: a group committed
    /// more, the oldest message aged out, or the topic was deleted.
    /// `retry` runs after registering, so no wake-up is missed; its
    /// `Some` ends the wait with that value.
    async fn wait_space<R>(&self, mut retry: impl FnMut() -> Option<R>) -> Result<R, ()> {
        let mut notified = pin!(self.space.notified());
        notified.as_mut().enable();
        let _reg = Registered::new(&self.space_waiters);
        if let Some(r) = retry() {
            return Ok(r);
        }
        let expiry = lock(&self.log).oldest_expiry();
        match expiry {
            Some(at) => {
                tokio::select! {
                    _ = notified => {}
                    _ = sleep_until(at) => {}
                }
            }
            None => notified.await,
        }
        Err(())
    }

    /// Appends, waiting for room in Block mode (other modes never wait).
    pub(crate) async fn append(&self, payload: T, meta: Meta) -> Result<u64, PublishError<(T, Meta)>> {
        self.retry_while_blocked((payload, meta), |(p, m)| self.try_append(p, m)).await
    }

    /// Appends a batch, waiting for room in Block mode.
    pub(crate) async fn append_batch(&self, payloads: Vec<T>) -> Result<Range<u64>, PublishError<Vec<T>>> {
        self.retry_while_blocked(payloads, |p| self.try_append_batch(p)).await
    }

    /// Runs `try_once` on `item`; in Block mode, while it is refused as
    /// `Full`, waits for room and runs it again on the item handed back.
    async fn retry_while_blocked<M, R>(
        &self,
        item: M,
        mut try_once: impl FnMut(M) -> Result<R, PublishError<M>>,
    ) -> Result<R, PublishError<M>> {
        let mut item = Some(item);
        loop {
            let mut attempt = || match try_once(item.take()?) {
                Err(PublishError::Full(back)) if self.overflow == Overflow::Block => {
                    item = Some(back);
                    None
                }
                other => Some(other),
            };
            if let Some(done) = attempt() {
                return done;
            }
            if let Ok(done) = self.wait_space(attempt).await {
                return done;
            }
        }
    }

    // ----- subscribers -----

    /// The offset a reader starting at `start` reads first.
    pub(crate) fn resolve_start(&self, start: StartAt) -> Result<u64, TopicError> {
        let log = lock(&self.log);
        if self.deleted.load(Ordering::Relaxed) {
            return Err(self.deleted_error());
        }
        Ok(log.start_offset(start))
    }

    /// Checks a seek target: `first <= n <= next`.
    pub(crate) fn check_seek(&self, n: u64) -> Result<(), TopicError> {
        let mut log = lock(&self.log);
        if self.deleted.load(Ordering::Relaxed) {
            return Err(self.deleted_error());
        }
        log.expire(Instant::now());
        if n < log.first() || n > log.next() {
            return Err(TopicError::OffsetOutOfRange { first: log.first(), next: log.next() });
        }
        Ok(())
    }

    /// Copies up to `max` records from `*pos` into `out`, advancing `*pos`.
    /// Returns the gap `(from, to)` if `*pos` had been evicted.
    pub(crate) fn read(
        &self,
        pos: &mut u64,
        max: usize,
        out: &mut VecDeque<Record<T>>,
    ) -> Result<Option<(u64, u64)>, TopicError> {
        let mut log = lock(&self.log);
        if self.deleted.load(Ordering::Relaxed) {
            return Err(self.deleted_error());
        }
        // The check skips reading the clock when nothing can expire.
        if log.oldest_expiry().is_some() {
            log.expire(Instant::now());
        }
        let mut gap = None;
        let n = match log.read(*pos, max, out) {
            Ok(n) => n,
            Err(first) => {
                gap = Some((*pos, first));
                *pos = first;
                log.read(first, max, out).unwrap_or(0)
            }
        };
        *pos += n as u64;
        Ok(gap)
    }

    /// Waits until there is something at or after `pos` (or a gap before
    /// it), or the topic is deleted.
    pub(crate) async fn wait_data(&self, pos: u64) {
        let mut notified = pin!(self.data.notified());
        notified.as_mut().enable();
        let _reg = Registered::new(&self.data_waiters);
        {
            let log = lock(&self.log);
            if self.deleted.load(Ordering::Relaxed) || log.next() > pos || pos < log.first() {
                return;
            }
        }
        notified.await;
    }

    // ----- groups -----

    /// Joins (creating if needed) the durable group `name`.
    pub(crate) fn join(
        &self,
        name: &str,
        config: &ConsumerConfig,
        rules: GroupRules,
        dead_letter: Option<Arc<TopicCore<T>>>,
    ) -> Result<Joined<T>, TopicError> {
        let existing = {
            let mut log = lock(&self.log);
            if self.deleted.load(Ordering::Relaxed) {
                return Err(self.deleted_error());
            }
            let mut groups = lock(&self.groups);
            match groups.iter().find(|g| &*g.name == name) {
                Some(g) => g.clone(),
                None => {
                    let cursor = log.start_offset(config.start);
                    let state = GroupState::new(rules, cursor, &mut log);
                    let committed = Arc::new(AtomicU64::new(state.committed()));
                    log.add_floor(committed.clone());
                    let member_name = member_name(name, config, 1);
                    let mut members = BTreeMap::new();
                    members.insert(1, (member_name.clone(), true));
                    let g = Arc::new(GroupShared {
                        name: name.into(),
                        inner: Padded(Mutex::new(GroupInner {
                            state,
                            members,
                            next_member: 2,
                            dead_letter,
                            dead_letter_dropped: 0,
                        })),
                        notify: Notify::new(),
                        waiters: AtomicUsize::new(0),
                        committed,
                    });
                    groups.push(g.clone());
                    return Ok((g, 1, member_name));
                }
            }
        };
        let mut inner = lock(&existing.inner);
        if !inner.members.values().any(|(_, active)| *active) {
            let mut log = lock(&self.log);
            inner.state.set_rules(rules, &mut log);
            inner.dead_letter = dead_letter;
        }
        inner.prune_members();
        let id = inner.next_member;
        inner.next_member += 1;
        let member_name = member_name(name, config, id);
        inner.members.insert(id, (member_name.clone(), true));
        drop(inner);
        Ok((existing, id, member_name))
    }

    /// A member left (its consumer handle was dropped).
    pub(crate) fn leave(&self, g: &GroupShared<T>, member: u64) {
        let mut inner = lock(&g.inner);
        if let Some(m) = inner.members.get_mut(&member) {
            m.1 = false;
        }
        inner.prune_members();
    }

    /// Publishes the group's committed offset (Block overflow) and wakes
    /// blocked publishers if it moved.
    fn publish_commit(&self, g: &GroupShared<T>, inner: &GroupInner<T>) {
        if self.overflow != Overflow::Block {
            // Only Block's eviction floor reads the word.
            return;
        }
        let c = inner.state.committed();
        // SeqCst: the Block publisher stores its registration and then
        // reads this word; we store this word and then read the
        // registration (store-buffer pattern: both sides SeqCst).
        if g.committed.swap(c, Ordering::SeqCst) != c && self.space_waiters.load(Ordering::SeqCst) > 0 {
            self.space.notify_waiters();
        }
    }

    fn nanos(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.base).as_nanos()).unwrap_or(u64::MAX - 1)
    }

    /// Wakes the timer driver if `at` is earlier than what it sleeps for.
    fn arm_timer(&self, at: Option<Instant>) {
        if let Some(at) = at {
            // SeqCst: pairs with the driver's store of `armed` (it stores
            // MAX before scanning, so a deadline pushed during the scan
            // always notifies).
            if self.nanos(at) < self.armed.load(Ordering::SeqCst) {
                self.timer.notify_one();
            }
        }
    }

    /// Sends dead letters to the group's dead-letter topic (no lock held).
    fn dispatch(&self, g: &GroupShared<T>, target: Option<Arc<TopicCore<T>>>, dead: Vec<DeadLetter<T>>) {
        if dead.is_empty() {
            return;
        }
        let dropped = match target {
            Some(t) => {
                let mut dropped = 0;
                for d in &dead {
                    let meta = dead_letter_meta(&self.name, d);
                    if !t.try_append_shared(d.record.payload.clone(), meta) {
                        dropped += 1;
                    }
                }
                dropped
            }
            None => dead.len() as u64,
        };
        if dropped > 0 {
            lock(&g.inner).dead_letter_dropped += dropped;
        }
    }

    /// Tries to hand `member` messages: fires due deadlines, then takes
    /// ready redeliveries, then new data, into `out`. Takes more than one
    /// (up to [`PREFETCH`]) only when plenty are available: at most an
    /// equal share among the group's members, so prefetching never starves
    /// another member. Returns the gap `(from, to)` if the group fell
    /// behind retention (reported once).
    pub(crate) fn take(
        &self,
        g: &GroupShared<T>,
        member: u64,
        out: &mut Vec<Handout<T>>,
    ) -> Result<Option<(u64, u64)>, TopicError> {
        let now = Instant::now();
        let mut dead = Vec::new();
        let (gap, more, target, deadline) = {
            let mut inner = lock(&g.inner);
            // Fast path: nothing new, nothing ready, no deadline due. With
            // `delivered >= next` there can be no gap either.
            if !inner.state.has_ready()
                && inner.state.next_deadline().is_none_or(|d| d > now)
                && inner.state.delivered() >= self.next_hint.load(Ordering::SeqCst)
                && !self.is_deleted()
            {
                return Ok(None);
            }
            let mut log = lock(&self.log);
            if self.deleted.load(Ordering::Relaxed) {
                return Err(self.deleted_error());
            }
            log.expire(now);
            inner.state.fire_timers(now, &mut dead);
            let active = inner.members.values().filter(|m| m.1).count().max(1) as u64;
            let share = (inner.state.available(&log) / active).clamp(1, PREFETCH as u64) as usize;
            let before = out.len();
            let (gap, fresh) = inner.state.next_batch(member, now, &log, share, out);
            let next = log.next();
            // The pending-list bookkeeping needs only the group's lock:
            // release the log lock first, so publishers do not wait on it.
            drop(log);
            inner.state.settle_new(member, now, &mut out[fresh..]);
            let more = inner.state.has_ready() || (inner.state.can_take_new() && inner.state.delivered() < next);
            self.publish_commit(g, &inner);
            let target = if dead.is_empty() { None } else { inner.dead_letter.clone() };
            let deadline = if out.len() > before { inner.state.next_deadline() } else { None };
            (gap, more, target, deadline)
        };
        self.arm_timer(deadline);
        if more {
            g.wake_one();
        }
        self.dispatch(g, target, dead);
        Ok(gap)
    }

    /// Takes messages for `member` into `out`, waiting (without polling)
    /// until at least one is available, a gap is found, or the topic is
    /// deleted.
    pub(crate) async fn take_wait(
        &self,
        g: &GroupShared<T>,
        member: u64,
        out: &mut Vec<Handout<T>>,
    ) -> Result<Option<(u64, u64)>, TopicError> {
        loop {
            let gap = self.take(g, member, out)?;
            if gap.is_some() || !out.is_empty() {
                return Ok(gap);
            }
            let mut notified = pin!(g.notify.notified());
            notified.as_mut().enable();
            let _all = Registered::new(&self.group_waiters);
            let _reg = Registered::new(&g.waiters);
            let gap = self.take(g, member, out)?;
            if gap.is_some() || !out.is_empty() {
                return Ok(gap);
            }
            notified.await;
        }
    }

    /// Returns prefetched deliveries of a departing member for redelivery.
    pub(crate) fn release(&self, g: &GroupShared<T>, handouts: impl Iterator<Item = (u64, u64)>) {
        let mut inner = lock(&g.inner);
        for (offset, token) in handouts {
            inner.state.release(offset, token);
        }
        self.publish_commit(g, &inner);
        drop(inner);
        g.wake_one();
    }

    fn stale(offset: u64) -> TopicError {
        TopicError::Stale { offset }
    }

    /// Acknowledges a delivery.
    pub(crate) fn ack(&self, g: &GroupShared<T>, offset: u64, token: u64) -> Result<(), TopicError> {
        let mut inner = lock(&g.inner);
        if self.is_deleted() {
            return Err(self.deleted_error());
        }
        let was_full = !inner.state.can_take_new();
        inner.state.ack(offset, token).map_err(|_| Self::stale(offset))?;
        self.publish_commit(g, &inner);
        drop(inner);
        if was_full {
            g.wake_one();
        }
        Ok(())
    }

    /// Negative ack: redeliver now or after `delay`; may dead-letter.
    pub(crate) fn nack(
        &self,
        g: &GroupShared<T>,
        offset: u64,
        token: u64,
        delay: Option<Duration>,
    ) -> Result<(), TopicError> {
        let now = Instant::now();
        let mut inner = lock(&g.inner);
        if self.is_deleted() {
            return Err(self.deleted_error());
        }
        let dead = inner.state.nack(offset, token, now, delay).map_err(|_| Self::stale(offset))?;
        self.publish_commit(g, &inner);
        let deadline = inner.state.next_deadline();
        let target = if dead.is_some() { inner.dead_letter.clone() } else { None };
        drop(inner);
        match dead {
            Some(d) => self.dispatch(g, target, vec![d]),
            None if delay.is_some_and(|d| !d.is_zero()) => self.arm_timer(deadline),
            None => g.wake_one(),
        }
        Ok(())
    }

    /// Dead-letters a delivery now.
    pub(crate) fn reject(&self, g: &GroupShared<T>, offset: u64, token: u64) -> Result<(), TopicError> {
        let mut inner = lock(&g.inner);
        if self.is_deleted() {
            return Err(self.deleted_error());
        }
        let was_full = !inner.state.can_take_new();
        let dead = inner.state.reject(offset, token).map_err(|_| Self::stale(offset))?;
        self.publish_commit(g, &inner);
        let target = inner.dead_letter.clone();
        drop(inner);
        self.dispatch(g, target, vec![dead]);
        if was_full {
            g.wake_one();
        }
        Ok(())
    }

    /// Restarts a delivery's ack wait from now; returns the new deadline.
    pub(crate) fn in_progress(&self, g: &GroupShared<T>, offset: u64, token: u64) -> Result<Instant, TopicError> {
        let mut inner = lock(&g.inner);
        if self.is_deleted() {
            return Err(self.deleted_error());
        }
        let deadline = inner.state.in_progress(offset, token, Instant::now()).map_err(|_| Self::stale(offset))?;
        drop(inner);
        self.arm_timer(Some(deadline));
        Ok(deadline)
    }

    /// Claims the entries idle for at least `min_idle`.
    pub(crate) fn claim(
        &self,
        g: &GroupShared<T>,
        member: u64,
        min_idle: Duration,
    ) -> Result<Vec<Handout<T>>, TopicError> {
        let mut inner = lock(&g.inner);
        if self.is_deleted() {
            return Err(self.deleted_error());
        }
        let got = inner.state.claim(member, min_idle, Instant::now());
        let deadline = inner.state.next_deadline();
        drop(inner);
        self.arm_timer(deadline);
        Ok(got)
    }

    /// The group's pending-entry list with owner names.
    pub(crate) fn pending(&self, g: &GroupShared<T>) -> Result<Vec<(PendingRow, Box<str>)>, TopicError> {
        let inner = lock(&g.inner);
        if self.is_deleted() {
            return Err(self.deleted_error());
        }
        Ok(inner
            .state
            .pending(Instant::now())
            .into_iter()
            .map(|row| {
                let owner = inner
                    .members
                    .get(&row.owner)
                    .map_or_else(|| format!("{}-{}", g.name, row.owner).into(), |m| m.0.clone());
                (row, owner)
            })
            .collect())
    }

    /// Fires one group's due deadlines; returns its next deadline.
    fn tick_group(&self, g: &GroupShared<T>, now: Instant) -> Option<Instant> {
        let mut dead = Vec::new();
        let mut inner = lock(&g.inner);
        let readied = inner.state.fire_timers(now, &mut dead);
        self.publish_commit(g, &inner);
        let next = inner.state.next_deadline();
        let target = if dead.is_empty() { None } else { inner.dead_letter.clone() };
        drop(inner);
        if readied {
            g.wake_one();
        }
        self.dispatch(g, target, dead);
        next
    }

    /// Fires ack-wait and nack-delay deadlines of every group when they are
    /// due, so redeliveries and dead letters happen even while no member
    /// is receiving. Runs until the topic is deleted (or is aborted by the
    /// topic actor). Sleeps on the tokio clock; never polls.
    pub(crate) async fn run_timers(self: Arc<Self>) {
        loop {
            let mut notified = pin!(self.timer.notified());
            notified.as_mut().enable();
            if self.is_deleted() {
                return;
            }
            // SeqCst: see `arm_timer`.
            self.armed.store(u64::MAX, Ordering::SeqCst);
            let now = Instant::now();
            let groups = lock(&self.groups).clone();
            let next = groups.iter().filter_map(|g| self.tick_group(g, now)).min();
            match next {
                Some(at) => {
                    self.armed.store(self.nanos(at), Ordering::SeqCst);
                    tokio::select! {
                        _ = notified => {}
                        _ = sleep_until(at) => {}
                    }
                }
                None => notified.await,
            }
        }
    }

    // ----- stats and deletion -----

    pub(crate) fn log_counters(&self) -> LogCounters {
        let mut log = lock(&self.log);
        // The check skips reading the clock when nothing can expire.
        if log.oldest_expiry().is_some() {
            log.expire(Instant::now());
        }
        LogCounters {
            first: log.first(),
            next: log.next(),
            len: log.len(),
            bytes: log.bytes(),
            evicted_total: log.evicted_total(),
        }
    }

    pub(crate) fn group_counters(&self) -> Vec<GroupCounters> {
        let groups = lock(&self.groups).clone();
        groups
            .iter()
            .map(|g| {
                let inner = lock(&g.inner);
                let log = lock(&self.log);
                GroupCounters {
                    name: g.name.to_string(),
                    committed: inner.state.committed(),
                    delivered: inner.state.delivered(),
                    in_flight: inner.state.in_flight(),
                    lag: inner.state.lag(&log),
                    redelivered_total: inner.state.counters.redelivered_total,
                    dead_lettered_total: inner.state.counters.dead_lettered_total,
                    dead_letter_dropped: inner.dead_letter_dropped,
                    members: inner.members.values().filter(|m| m.1).count(),
                }
            })
            .collect()
    }

    /// Closes the topic for good and wakes every waiter.
    pub(crate) fn delete(&self) {
        {
            let _log = lock(&self.log);
            // Release: pairs with the Acquire in `is_deleted`.
            self.deleted.store(true, Ordering::Release);
        }
        self.data.notify_waiters();
        self.space.notify_waiters();
        self.timer.notify_one();
        let groups = lock(&self.groups).clone();
        for g in groups {
            g.notify.notify_waiters();
        }
    }
}

fn member_name(group: &str, config: &ConsumerConfig, id: u64) -> Box<str> {
    match &config.member_name {
        Some(n) => n.as_str().into(),
        None => format!("{group}-{id}").into(),
    }
}

impl<T> GroupInner<T> {
    /// Forgets departed members that own no pending entry, so the member
    /// table stays bounded by live members plus pending entries.
    fn prune_members(&mut self) {
        let owners: std::collections::BTreeSet<u64> =
            self.state.pending(Instant::now()).iter().map(|r| r.owner).collect();
        self.members.retain(|id, (_, active)| *active || owners.contains(id));
    }
}
