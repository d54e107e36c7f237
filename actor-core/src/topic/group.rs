//! The state machine of one durable consumer group: the delivery cursor,
//! the pending-entry list (PEL), ack deadlines, redelivery and dead-letter
//! decisions. Pure: the caller passes the clock and the log.
//!
//! # States of a pending entry
//!
//! ```text
//!   new offset --deliver--> InFlight --ack--> (removed, committed)
//!                             |  ^  \--reject--> dead letter (rejected)
//!          ack_wait expires / |  | redeliver or claim (count + 1, new token)
//!          nack               v  |
//!                           Ready ---- count >= max_deliver --> dead letter
//!   nack_after(d) --> Delayed --d elapsed--> Ready (same check)
//! ```
//!
//! # Invariants
//!
//! - An offset is in `pending` at most once, owned by one member with one
//!   token: no offset is in flight at two members at once.
//! - `committed() == min(pending offsets, delivered)`: every offset below
//!   it was acked, dead-lettered, filtered out, or evicted before delivery
//!   (reported as a gap).
//! - `ready` holds exactly the pending offsets in state `Ready`.
//! - `timers` holds a live entry for every `InFlight`/`Delayed` slot (plus
//!   stale ones, dropped lazily and compacted when they outnumber live
//!   slots), so the heap stays `O(pending)`. One entry may cover the new
//!   records a member took together (same deadline, consecutive tokens);
//!   a slot is live for an entry when its token is among the entry's and
//!   its deadline is the entry's.

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, VecDeque};
use std::ops::Deref;
use std::time::Duration;

use tokio::time::Instant;

use super::filter::KeyFilter;
use super::log::Log;
use super::message::Record;
use crate::loom::sync::Arc;

/// A record the group holds for a delivery (in its pending slot, in the
/// member's hands). New records a member takes in one go share one
/// allocation, so holding, handing out and settling them costs reference
/// counts private to the group, not the payload's own count (which every
/// group and subscriber of the topic shares, across threads). A pending
/// slot keeps the records of its batch alive until the batch is settled
/// and dropped (at most [`PREFETCH`](super::core::PREFETCH) of them).
pub(crate) struct Held<T> {
    batch: Arc<[Record<T>]>,
    index: u32,
}

impl<T> Held<T> {
    fn batch(batch: &Arc<[Record<T>]>, index: usize) -> Self {
        Held { batch: batch.clone(), index: index as u32 }
    }

    #[cfg(test)]
    fn one(record: Record<T>) -> Self {
        Held { batch: Arc::new([record]), index: 0 }
    }
}

impl<T> Clone for Held<T> {
    fn clone(&self) -> Self {
        Held { batch: self.batch.clone(), index: self.index }
    }
}

impl<T> Deref for Held<T> {
    type Target = Record<T>;

    fn deref(&self) -> &Record<T> {
        &self.batch[self.index as usize]
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for Held<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// Why a message was dead-lettered (the `reason` header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DeadReason {
    MaxDeliver,
    Rejected,
}

impl DeadReason {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DeadReason::MaxDeliver => "max_deliver",
            DeadReason::Rejected => "rejected",
        }
    }
}

/// A message leaving the group for the dead-letter topic.
#[derive(Debug)]
pub(crate) struct DeadLetter<T> {
    pub(crate) record: Held<T>,
    pub(crate) delivery_count: u32,
    pub(crate) reason: DeadReason,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    InFlight { deadline: Instant },
    Ready,
    Delayed { until: Instant },
}

#[derive(Debug)]
struct Slot<T> {
    record: Held<T>,
    owner: u64,
    delivery_count: u32,
    token: u64,
    /// Last delivery, claim or in-progress signal (for `idle`).
    touched: Instant,
    state: SlotState,
}

/// At most this many new records share one allocation (see [`Held`]).
const CHUNK: usize = 32;

/// A deadline for the pending slots with offsets in `lo..=hi` whose token
/// is in `token..token + tokens` (ordered by deadline first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    at: Instant,
    lo: u64,
    hi: u64,
    token: u64,
    tokens: u64,
}

/// A message handed to a member.
#[derive(Debug)]
pub(crate) struct Handout<T> {
    pub(crate) record: Held<T>,
    pub(crate) token: u64,
    pub(crate) delivery_count: u32,
    /// When its ack wait runs out (the slot's `InFlight` deadline).
    pub(crate) deadline: Instant,
}

/// The outcome of asking the group for the next message.
#[derive(Debug)]
pub(crate) enum Next<T> {
    Deliver(Handout<T>),
    /// Offsets `from..to` were evicted before the group read them; the
    /// cursor moved to `to`. Reported once.
    Gap {
        from: u64,
        to: u64,
    },
    /// Nothing to hand out now.
    Empty,
}

/// Why an ack-family call was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stale;

/// A snapshot row of the pending-entry list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PendingRow {
    pub(crate) offset: u64,
    pub(crate) owner: u64,
    pub(crate) idle: Duration,
    pub(crate) delivery_count: u32,
}

/// Settings the state machine needs.
#[derive(Debug, Clone)]
pub(crate) struct GroupRules {
    pub(crate) ack_wait: Duration,
    pub(crate) max_deliver: Option<u32>,
    pub(crate) max_ack_pending: usize,
    pub(crate) filter: Option<KeyFilter>,
}

/// Counters for stats.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct GroupCounters {
    pub(crate) redelivered_total: u64,
    pub(crate) dead_lettered_total: u64,
}

/// The pending-entry list: slots by offset, in offset order.
///
/// New deliveries always take an offset above every pending one (the
/// cursor only moves forward), so an insert is a push at the back, and
/// acks, which mostly come in delivery order, mostly remove at the front.
/// A removed slot leaves a tombstone; tombstones at either end are popped
/// at once and the rest are compacted away when they outnumber the live
/// slots, so the list stays `O(live)` and every operation is `O(log n)`
/// amortised (no per-entry allocation, no shifting on in-order acks).
#[derive(Debug)]
struct PendingList<T> {
    entries: VecDeque<(u64, Option<Slot<T>>)>,
    live: usize,
}

impl<T> Default for PendingList<T> {
    fn default() -> Self {
        Self { entries: VecDeque::new(), live: 0 }
    }
}

impl<T> PendingList<T> {
    fn index(&self, offset: u64) -> Option<usize> {
        // In-order acks hit the front: check it before searching.
        match self.entries.front() {
            Some(&(o, _)) if o == offset => Some(0),
            _ => self.entries.binary_search_by_key(&offset, |e| e.0).ok(),
        }
    }

    fn len(&self) -> usize {
        self.live
    }

    fn first_offset(&self) -> Option<u64> {
        // The ends are never tombstones.
        self.entries.front().map(|e| e.0)
    }

    fn get(&self, offset: &u64) -> Option<&Slot<T>> {
        self.index(*offset).and_then(|i| self.entries[i].1.as_ref())
    }

    fn get_mut(&mut self, offset: &u64) -> Option<&mut Slot<T>> {
        self.index(*offset).and_then(|i| self.entries[i].1.as_mut())
    }

    /// Adds a slot for `offset` (not pending). Normally above every pending
    /// offset: a push at the back.
    fn insert(&mut self, offset: u64, slot: Slot<T>) {
        match self.entries.back() {
            Some(&(last, _)) if last >= offset => {
                let i = self.entries.partition_point(|e| e.0 < offset);
                if self.entries[i].0 == offset {
                    self.live -= usize::from(self.entries[i].1.is_some());
                    self.entries[i].1 = Some(slot);
                } else {
                    self.entries.insert(i, (offset, Some(slot)));
                }
            }
            _ => self.entries.push_back((offset, Some(slot))),
        }
        self.live += 1;
    }

    fn remove(&mut self, offset: &u64) -> Option<Slot<T>> {
        let i = self.index(*offset)?;
        let slot = self.entries[i].1.take()?;
        self.removed();
        Some(slot)
    }

    /// Removes the slot for `offset`, dropping it in place.
    fn discard(&mut self, offset: &u64) -> bool {
        match self.index(*offset) {
            Some(i) if self.entries[i].1.is_some() => {
                self.entries[i].1 = None;
                self.removed();
                true
            }
            _ => false,
        }
    }

    /// Accounts for a slot just taken out, leaving a tombstone.
    fn removed(&mut self) {
        self.live -= 1;
        while self.entries.front().is_some_and(|e| e.1.is_none()) {
            self.entries.pop_front();
        }
        while self.entries.back().is_some_and(|e| e.1.is_none()) {
            self.entries.pop_back();
        }
        if self.entries.len() > 2 * self.live + 32 {
            // Amortised O(1): at least `live + 32` removals since the last.
            self.entries.retain(|e| e.1.is_some());
        }
    }

    /// The live slots with offsets in `lo..=hi`, in order.
    fn range(&self, lo: u64, hi: u64) -> impl Iterator<Item = (&u64, &Slot<T>)> {
        let start = self.entries.partition_point(|e| e.0 < lo);
        self.entries.range(start..).take_while(move |e| e.0 <= hi).filter_map(|(o, s)| s.as_ref().map(|s| (o, s)))
    }

    fn iter(&self) -> impl Iterator<Item = (&u64, &Slot<T>)> {
        self.entries.iter().filter_map(|(o, s)| s.as_ref().map(|s| (o, s)))
    }
}

/// One consumer group's cursor and pending-entry list.
#[derive(Debug)]
pub(crate) struct GroupState<T> {
    pub(crate) rules: GroupRules,
    /// The next new offset to hand out.
    delivered: u64,
    /// Slot of the filter in the log's filter table.
    filter_slot: Option<usize>,
    /// Matching messages below `delivered` since the filter's registration.
    matched_passed: u64,
    pending: PendingList<T>,
    ready: BTreeSet<u64>,
    timers: BinaryHeap<Reverse<Timer>>,
    next_token: u64,
    gap: Option<(u64, u64)>,
    pub(crate) counters: GroupCounters,
}

impl<T> GroupState<T> {
    /// A group starting at `cursor` (already resolved from `StartAt`).
    pub(crate) fn new(rules: GroupRules, cursor: u64, log: &mut Log<T>) -> Self {
        let mut state = Self {
            rules,
            delivered: cursor,
            filter_slot: None,
            matched_passed: 0,
            pending: PendingList::default(),
            ready: BTreeSet::new(),
            timers: BinaryHeap::new(),
            next_token: 1,
            gap: None,
            counters: GroupCounters::default(),
        };
        state.register_filter(log);
        state
    }

    fn register_filter(&mut self, log: &mut Log<T>) {
        if let Some(slot) = self.filter_slot.take() {
            log.remove_filter(slot);
        }
        if let Some(filter) = self.rules.filter.clone() {
            let (slot, below) = log.add_filter(filter, self.delivered);
            self.filter_slot = Some(slot);
            self.matched_passed = below;
        }
    }

    /// Replaces the rules (a member joined a group with no members).
    pub(crate) fn set_rules(&mut self, rules: GroupRules, log: &mut Log<T>) {
        let refilter = rules.filter != self.rules.filter;
        self.rules = rules;
        if refilter {
            self.register_filter(log);
        }
    }

    /// The Kafka-style committed offset: the next one not yet done.
    pub(crate) fn committed(&self) -> u64 {
        self.pending.first_offset().map_or(self.delivered, |o| o.min(self.delivered))
    }

    /// The next new offset to hand out.
    pub(crate) fn delivered(&self) -> u64 {
        self.delivered
    }

    /// Delivered and not yet acked (in flight, ready or delayed).
    pub(crate) fn in_flight(&self) -> usize {
        self.pending.len()
    }

    /// Messages not yet handed out (matching ones only when filtered).
    pub(crate) fn lag(&self, log: &Log<T>) -> u64 {
        match self.filter_slot {
            Some(slot) => {
                let (total, evicted) = log.filter_counts(slot);
                // Below the first offset, unread matches were evicted.
                let passed =
                    if self.delivered < log.first() { evicted.max(self.matched_passed) } else { self.matched_passed };
                total.saturating_sub(passed)
            }
            None => log.next().saturating_sub(self.delivered),
        }
    }

    /// The earliest ack or nack deadline, if any (may be stale: a wake at a
    /// stale deadline finds nothing to do and re-arms).
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.timers.peek().map(|Reverse(t)| t.at)
    }

    fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token += 1;
        t
    }

    fn arm(&mut self, at: Instant, offset: u64, token: u64) {
        self.arm_range(Timer { at, lo: offset, hi: offset, token, tokens: 1 });
    }

    fn arm_range(&mut self, timer: Timer) {
        self.timers.push(Reverse(timer));
        if self.timers.len() > 2 * self.pending.len() + 64 {
            // Compaction keeps the heap O(pending); amortised O(1).
            self.timers = self
                .pending
                .iter()
                .filter_map(|(&o, s)| {
                    let at = match s.state {
                        SlotState::InFlight { deadline } => deadline,
                        SlotState::Delayed { until } => until,
                        SlotState::Ready => return None,
                    };
                    Some(Reverse(Timer { at, lo: o, hi: o, token: s.token, tokens: 1 }))
                })
                .collect();
        }
    }

    /// Moves a slot whose wait is over to `Ready`, or out as a dead letter
    /// when it has been delivered `max_deliver` times.
    fn retire_or_ready(&mut self, offset: u64) -> Option<DeadLetter<T>> {
        let count = self.pending.get(&offset)?.delivery_count;
        if self.rules.max_deliver.is_some_and(|m| count >= m) {
            self.ready.remove(&offset);
            let slot = self.pending.remove(&offset)?;
            self.counters.dead_lettered_total += 1;
            return Some(DeadLetter {
                record: slot.record,
                delivery_count: slot.delivery_count,
                reason: DeadReason::MaxDeliver,
            });
        }
        if let Some(slot) = self.pending.get_mut(&offset) {
            slot.state = SlotState::Ready;
            self.ready.insert(offset);
        }
        None
    }

    /// Fires every deadline at or before `now`. Returns the dead letters
    /// and whether any message became ready for redelivery.
    pub(crate) fn fire_timers(&mut self, now: Instant, dead: &mut Vec<DeadLetter<T>>) -> bool {
        if self.next_deadline().is_none_or(|at| at > now) {
            return false;
        }
        // Every live (deadline, offset) that is due, fired in that order.
        let mut due = Vec::new();
        while let Some(&Reverse(t)) = self.timers.peek() {
            if t.at > now {
                break;
            }
            self.timers.pop();
            for (&offset, s) in self.pending.range(t.lo, t.hi) {
                let live = (t.token..t.token + t.tokens).contains(&s.token)
                    && match s.state {
                        SlotState::InFlight { deadline } => deadline == t.at,
                        SlotState::Delayed { until } => until == t.at,
                        SlotState::Ready => false,
                    };
                if live {
                    due.push((t.at, offset));
                }
            }
        }
        due.sort_unstable();
        due.dedup();
        let mut readied = false;
        for (_, offset) in due {
            match self.retire_or_ready(offset) {
                Some(d) => dead.push(d),
                None => readied = true,
            }
        }
        readied
    }

    /// Hands the next message to `member`: a ready redelivery first (lowest
    /// offset), else the next new matching offset, subject to
    /// `max_ack_pending`.
    #[cfg(test)]
    pub(crate) fn next(&mut self, member: u64, now: Instant, log: &Log<T>) -> Next<T> {
        if let Some(next) = self.next_old(member, now, log) {
            return next;
        }
        match self.next_new(log) {
            Some(record) => Next::Deliver(self.deliver_new(member, now, Held::one(record.clone()))),
            None => Next::Empty,
        }
    }

    /// The part of `next` (the one-message form the tests drive) before new
    /// log data: a pending gap, a ready redelivery, `Empty` at
    /// `max_ack_pending`, or a gap before the log's first offset. `None`: go
    /// on with new data.
    fn next_old(&mut self, member: u64, now: Instant, log: &Log<T>) -> Option<Next<T>> {
        if let Some((from, to)) = self.gap.take() {
            return Some(Next::Gap { from, to });
        }
        if let Some(offset) = self.ready.pop_first() {
            if let Some(handout) = self.hand_out_again(offset, member, now) {
                if handout.delivery_count > 1 {
                    self.counters.redelivered_total += 1;
                }
                return Some(Next::Deliver(handout));
            }
        }
        if self.pending.len() >= self.rules.max_ack_pending {
            return Some(Next::Empty);
        }
        if self.delivered < log.first() {
            let (from, to) = (self.delivered, log.first());
            self.delivered = to;
            if let Some(slot) = self.filter_slot {
                self.matched_passed = self.matched_passed.max(log.filter_counts(slot).1);
            }
            return Some(Next::Gap { from, to });
        }
        None
    }

    /// Moves the cursor past the next new matching record (and the
    /// non-matching ones before it) and returns it; `None` at the end.
    fn next_new<'l>(&mut self, log: &'l Log<T>) -> Option<&'l Record<T>> {
        while let Some(record) = log.get(self.delivered) {
            self.delivered += 1;
            if let Some(filter) = &self.rules.filter {
                if !filter.matches(record.key()) {
                    continue;
                }
                self.matched_passed += 1;
            }
            return Some(record);
        }
        None
    }

    /// Makes a new pending slot for `record`, delivered to `member`.
    #[cfg(test)]
    fn deliver_new(&mut self, member: u64, now: Instant, record: Held<T>) -> Handout<T> {
        let mut h = [Handout { record, token: 0, delivery_count: 1, deadline: now }];
        self.settle_new(member, now, &mut h);
        let [h] = h;
        h
    }

    /// Hands `member` up to `max` messages (as the tests' `next` would one by
    /// one). A gap is returned only first; one met later is kept
    /// for the next call. New records taken together share one allocation
    /// (see [`Held`]).
    ///
    /// Returns the gap and the index in `out` from which the handouts are
    /// new records: those are taken from the log (the cursor moved past
    /// them) but not pending yet, so that the log lock can be released
    /// before the bookkeeping. [`settle_new`](Self::settle_new) must run on
    /// them (it sets their tokens and deadlines) before anything else
    /// touches this state.
    #[must_use]
    pub(crate) fn next_batch(
        &mut self,
        member: u64,
        now: Instant,
        log: &Log<T>,
        max: usize,
        out: &mut Vec<Handout<T>>,
    ) -> (Option<(u64, u64)>, usize) {
        let mut left = max.max(1);
        let first = out.len();
        // Redeliveries (and gaps) first, as `next` orders them.
        while left > 0 {
            match self.next_old(member, now, log) {
                Some(Next::Deliver(h)) => out.push(h),
                Some(Next::Gap { from, to }) if out.len() == first => return (Some((from, to)), out.len()),
                Some(Next::Gap { from, to }) => {
                    self.gap = Some((from, to));
                    return (None, out.len());
                }
                Some(Next::Empty) => return (None, out.len()),
                None => break,
            }
            left -= 1;
        }
        // New records, in chunks sharing one allocation each. Nothing can
        // become ready or a gap in between: the caller holds both locks.
        let fresh = out.len();
        let mut room = self.rules.max_ack_pending.saturating_sub(self.pending.len());
        let mut chunk = [0u64; CHUNK];
        while left > 0 && room > 0 {
            let want = left.min(room).min(CHUNK);
            let mut n = 0;
            while n < want {
                match self.next_new(log) {
                    Some(record) => chunk[n] = record.offset,
                    None => break,
                }
                n += 1;
            }
            let retained = |o: u64| log.get(o).expect("retained: the log is locked").clone();
            if n == 0 {
                break;
            }
            let batch: Arc<[Record<T>]> = chunk[..n].iter().map(|&o| retained(o)).collect();
            let handout = |i| Handout { record: Held::batch(&batch, i), token: 0, delivery_count: 1, deadline: now };
            out.extend((0..n).map(handout));
            left -= n;
            room -= n;
            if n < want {
                break;
            }
        }
        (None, fresh)
    }

    /// Makes the new records [`next_batch`](Self::next_batch) took pending
    /// at `member`, with their tokens and ack deadlines.
    pub(crate) fn settle_new(&mut self, member: u64, now: Instant, fresh: &mut [Handout<T>]) {
        let (Some(first), Some(last)) = (fresh.first(), fresh.last()) else {
            return;
        };
        let deadline = now + self.rules.ack_wait;
        // One timer for all: same deadline, consecutive tokens.
        let timer =
            Timer { at: deadline, lo: first.record.offset, hi: last.record.offset, token: self.next_token, tokens: 0 };
        for h in fresh {
            let token = self.token();
            h.token = token;
            h.deadline = deadline;
            self.pending.insert(
                h.record.offset,
                Slot {
                    record: h.record.clone(),
                    owner: member,
                    delivery_count: 1,
                    token,
                    touched: now,
                    state: SlotState::InFlight { deadline },
                },
            );
        }
        self.arm_range(Timer { tokens: self.next_token - timer.token, ..timer });
    }

    /// Messages a member could take now: ready redeliveries plus new
    /// offsets (all offsets for a filtered group: an upper bound).
    pub(crate) fn available(&self, log: &Log<T>) -> u64 {
        self.ready.len() as u64 + log.next().saturating_sub(self.delivered)
    }

    /// Puts a delivery that never reached the user (prefetched by a member
    /// that left) back for redelivery, without counting a delivery.
    pub(crate) fn release(&mut self, offset: u64, token: u64) {
        if self.check(offset, token).is_ok()
            && let Some(slot) = self.pending.get_mut(&offset)
        {
            slot.delivery_count = slot.delivery_count.saturating_sub(1);
            slot.state = SlotState::Ready;
            self.ready.insert(offset);
        }
    }

    fn check(&self, offset: u64, token: u64) -> Result<(), Stale> {
        match self.pending.get(&offset) {
            Some(s) if s.token == token => Ok(()),
            _ => Err(Stale),
        }
    }

    /// Acknowledges a delivery; a late ack (after ack_wait, before the
    /// redelivery) is accepted.
    pub(crate) fn ack(&mut self, offset: u64, token: u64) -> Result<(), Stale> {
        self.check(offset, token)?;
        self.pending.discard(&offset);
        if !self.ready.is_empty() {
            self.ready.remove(&offset);
        }
        Ok(())
    }

    /// Negative ack: redeliver now (`delay == None`) or after `delay`.
    /// Returns a dead letter if the message reached `max_deliver`.
    pub(crate) fn nack(
        &mut self,
        offset: u64,
        token: u64,
        now: Instant,
        delay: Option<Duration>,
    ) -> Result<Option<DeadLetter<T>>, Stale> {
        self.check(offset, token)?;
        match delay {
            Some(d) if !d.is_zero() => {
                let until = now + d;
                if let Some(slot) = self.pending.get_mut(&offset) {
                    slot.state = SlotState::Delayed { until };
                }
                self.ready.remove(&offset);
                self.arm(until, offset, token);
                Ok(None)
            }
            _ => Ok(self.retire_or_ready(offset)),
        }
    }

    /// Dead-letters a delivery now with reason `rejected`.
    pub(crate) fn reject(&mut self, offset: u64, token: u64) -> Result<DeadLetter<T>, Stale> {
        self.check(offset, token)?;
        self.ready.remove(&offset);
        let slot = self.pending.remove(&offset).ok_or(Stale)?;
        self.counters.dead_lettered_total += 1;
        Ok(DeadLetter { record: slot.record, delivery_count: slot.delivery_count, reason: DeadReason::Rejected })
    }

    /// Restarts the ack wait from `now`; returns the new deadline.
    pub(crate) fn in_progress(&mut self, offset: u64, token: u64, now: Instant) -> Result<Instant, Stale> {
        self.check(offset, token)?;
        let deadline = now + self.rules.ack_wait;
        if let Some(slot) = self.pending.get_mut(&offset) {
            slot.state = SlotState::InFlight { deadline };
            slot.touched = now;
        }
        self.ready.remove(&offset);
        self.arm(deadline, offset, token);
        Ok(deadline)
    }

    /// Takes over every in-flight or ready entry idle for at least
    /// `min_idle` (Redis XCLAIM): new owner, new token, count + 1. Entries
    /// waiting out a `nack_after` delay are left alone.
    pub(crate) fn claim(&mut self, member: u64, min_idle: Duration, now: Instant) -> Vec<Handout<T>> {
        let offsets: Vec<u64> = self
            .pending
            .iter()
            .filter(|(_, s)| {
                !matches!(s.state, SlotState::Delayed { .. }) && now.saturating_duration_since(s.touched) >= min_idle
            })
            .map(|(&o, _)| o)
            .collect();
        let mut out = Vec::with_capacity(offsets.len());
        for offset in offsets {
            self.ready.remove(&offset);
            if let Some(handout) = self.hand_out_again(offset, member, now) {
                self.counters.redelivered_total += 1;
                out.push(handout);
            }
        }
        out
    }

    /// Hands the pending `offset` to `member` under a fresh token and ack
    /// deadline (a redelivery or a claim). `None` if it is no longer pending.
    fn hand_out_again(&mut self, offset: u64, member: u64, now: Instant) -> Option<Handout<T>> {
        let token = self.token();
        let deadline = now + self.rules.ack_wait;
        let slot = self.pending.get_mut(&offset)?;
        slot.owner = member;
        slot.delivery_count += 1;
        slot.token = token;
        slot.touched = now;
        slot.state = SlotState::InFlight { deadline };
        let handout = Handout { record: slot.record.clone(), token, delivery_count: slot.delivery_count, deadline };
        self.arm(deadline, offset, token);
        Some(handout)
    }

    /// The pending-entry list, by offset.
    pub(crate) fn pending(&self, now: Instant) -> Vec<PendingRow> {
        self.pending
            .iter()
            .map(|(&offset, s)| PendingRow {
                offset,
                owner: s.owner,
                idle: now.saturating_duration_since(s.touched),
                delivery_count: s.delivery_count,
            })
            .collect()
    }

    /// Whether a member calling `next` could get something now (ignoring
    /// new log data).
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.is_empty() || self.gap.is_some()
    }

    /// Whether new log data could be handed out (not at max_ack_pending).
    pub(crate) fn can_take_new(&self) -> bool {
        self.pending.len() < self.rules.max_ack_pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loom::sync::Arc;
    use crate::topic::config::TopicConfig;
    use crate::topic::message::Meta;

    fn rules() -> GroupRules {
        GroupRules { ack_wait: Duration::from_secs(10), max_deliver: Some(2), max_ack_pending: 2, filter: None }
    }

    fn log_with(n: u64, now: Instant) -> Log<u64> {
        let mut log = Log::new(&TopicConfig::default().max_messages(4));
        for v in 0..n {
            log.append(now, 8, &Meta::default()).unwrap().commit(Arc::new(v), Meta::default());
        }
        log
    }

    fn take(g: &mut GroupState<u64>, m: u64, now: Instant, log: &Log<u64>) -> Handout<u64> {
        match g.next(m, now, log) {
            Next::Deliver(h) => h,
            other => panic!("expected a delivery, got {other:?}"),
        }
    }

    #[test]
    fn ack_commits_and_stale_token_is_refused() {
        // Without token checks a slow member could ack another's redelivery.
        let t0 = Instant::now();
        let mut log = log_with(3, t0);
        let mut g = GroupState::new(rules(), 0, &mut log);
        let a = take(&mut g, 1, t0, &log);
        let b = take(&mut g, 2, t0, &log);
        assert!(matches!(g.next(1, t0, &log), Next::Empty), "max_ack_pending");
        assert_eq!(g.committed(), 0);
        g.ack(b.record.offset, b.token).unwrap();
        assert_eq!(g.committed(), 0);
        let mut dead = Vec::new();
        assert!(g.fire_timers(t0 + Duration::from_secs(10), &mut dead));
        let again = take(&mut g, 2, t0 + Duration::from_secs(10), &log);
        assert_eq!((again.record.offset, again.delivery_count), (0, 2));
        assert_eq!(g.ack(a.record.offset, a.token), Err(Stale));
        g.ack(0, again.token).unwrap();
        assert_eq!(g.committed(), 2);
    }

    #[test]
    fn max_deliver_dead_letters() {
        // A poison message must leave the group instead of looping forever.
        let t0 = Instant::now();
        let mut log = log_with(1, t0);
        let mut g = GroupState::new(rules(), 0, &mut log);
        let a = take(&mut g, 1, t0, &log);
        assert!(g.nack(0, a.token, t0, None).unwrap().is_none());
        let b = take(&mut g, 1, t0, &log);
        let dead = g.nack(0, b.token, t0, None).unwrap().unwrap();
        assert_eq!((dead.delivery_count, dead.reason), (2, DeadReason::MaxDeliver));
        assert_eq!(g.committed(), 1);
        assert_eq!(g.counters.dead_lettered_total, 1);
    }

    #[test]
    fn gap_is_reported_once() {
        // A group behind retention must learn about the loss exactly once.
        let t0 = Instant::now();
        let mut log = log_with(6, t0);
        let mut g = GroupState::new(rules(), 0, &mut log);
        assert!(matches!(g.next(1, t0, &log), Next::Gap { from: 0, to: 2 }));
        assert_eq!(take(&mut g, 1, t0, &log).record.offset, 2);
    }

    #[test]
    fn claim_takes_idle_entries() {
        // XCLAIM semantics: idle entries move to the claimer with a new token.
        let t0 = Instant::now();
        let mut log = log_with(2, t0);
        let mut g = GroupState::new(rules(), 0, &mut log);
        let a = take(&mut g, 1, t0, &log);
        let t1 = t0 + Duration::from_secs(3);
        let _b = take(&mut g, 1, t1, &log);
        let got = g.claim(2, Duration::from_secs(2), t1 + Duration::from_secs(1));
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].record.offset, got[0].delivery_count), (0, 2));
        assert_eq!(g.ack(0, a.token), Err(Stale));
        let rows = g.pending(t1 + Duration::from_secs(1));
        assert_eq!(rows[0].owner, 2);
        assert_eq!(rows[1].owner, 1);
    }
}
