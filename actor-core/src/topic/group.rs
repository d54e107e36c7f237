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
//!   slots), so the heap stays `O(pending)`.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
use std::time::Duration;

use tokio::time::Instant;

use super::filter::KeyFilter;
use super::log::Log;
use super::message::Record;

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
    pub(crate) record: Record<T>,
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
    record: Record<T>,
    owner: u64,
    delivery_count: u32,
    token: u64,
    /// Last delivery, claim or in-progress signal (for `idle`).
    touched: Instant,
    state: SlotState,
}

/// A message handed to a member.
#[derive(Debug)]
pub(crate) struct Handout<T> {
    pub(crate) record: Record<T>,
    pub(crate) token: u64,
    pub(crate) delivery_count: u32,
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
    pub(crate) acked_total: u64,
    pub(crate) redelivered_total: u64,
    pub(crate) dead_lettered_total: u64,
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
    pending: BTreeMap<u64, Slot<T>>,
    ready: BTreeSet<u64>,
    timers: BinaryHeap<Reverse<(Instant, u64, u64)>>,
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
            pending: BTreeMap::new(),
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
        self.pending.first_key_value().map_or(self.delivered, |(&o, _)| o.min(self.delivered))
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
        self.timers.peek().map(|Reverse((at, _, _))| *at)
    }

    fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token += 1;
        t
    }

    fn arm(&mut self, at: Instant, offset: u64, token: u64) {
        self.timers.push(Reverse((at, offset, token)));
        if self.timers.len() > 2 * self.pending.len() + 64 {
            // Compaction keeps the heap O(pending); amortised O(1).
            self.timers = self
                .pending
                .iter()
                .filter_map(|(&o, s)| match s.state {
                    SlotState::InFlight { deadline } => Some(Reverse((deadline, o, s.token))),
                    SlotState::Delayed { until } => Some(Reverse((until, o, s.token))),
                    SlotState::Ready => None,
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
        let mut readied = false;
        while let Some(&Reverse((at, offset, token))) = self.timers.peek() {
            if at > now {
                break;
            }
            self.timers.pop();
            let live = self.pending.get(&offset).is_some_and(|s| {
                s.token == token
                    && match s.state {
                        SlotState::InFlight { deadline } => deadline == at,
                        SlotState::Delayed { until } => until == at,
                        SlotState::Ready => false,
                    }
            });
            if live {
                match self.retire_or_ready(offset) {
                    Some(d) => dead.push(d),
                    None => readied = true,
                }
            }
        }
        readied
    }

    /// Hands the next message to `member`: a ready redelivery first (lowest
    /// offset), else the next new matching offset, subject to
    /// `max_ack_pending`.
    pub(crate) fn next(&mut self, member: u64, now: Instant, log: &Log<T>) -> Next<T> {
        if let Some((from, to)) = self.gap.take() {
            return Next::Gap { from, to };
        }
        if let Some(offset) = self.ready.pop_first() {
            let token = self.token();
            let deadline = now + self.rules.ack_wait;
            if let Some(slot) = self.pending.get_mut(&offset) {
                slot.owner = member;
                slot.delivery_count += 1;
                slot.token = token;
                slot.touched = now;
                slot.state = SlotState::InFlight { deadline };
                let handout = Handout { record: slot.record.clone(), token, delivery_count: slot.delivery_count };
                if slot.delivery_count > 1 {
                    self.counters.redelivered_total += 1;
                }
                self.arm(deadline, offset, token);
                return Next::Deliver(handout);
            }
        }
        if self.pending.len() >= self.rules.max_ack_pending {
            return Next::Empty;
        }
        if self.delivered < log.first() {
            let (from, to) = (self.delivered, log.first());
            self.delivered = to;
            if let Some(slot) = self.filter_slot {
                self.matched_passed = self.matched_passed.max(log.filter_counts(slot).1);
            }
            return Next::Gap { from, to };
        }
        while let Some(record) = log.get(self.delivered) {
            self.delivered += 1;
            if let Some(filter) = &self.rules.filter {
                if !filter.matches(record.key()) {
                    continue;
                }
                self.matched_passed += 1;
            }
            let token = self.token();
            let deadline = now + self.rules.ack_wait;
            let offset = record.offset;
            let record = record.clone();
            self.pending.insert(
                offset,
                Slot {
                    record: record.clone(),
                    owner: member,
                    delivery_count: 1,
                    token,
                    touched: now,
                    state: SlotState::InFlight { deadline },
                },
            );
            self.arm(deadline, offset, token);
            return Next::Deliver(Handout { record, token, delivery_count: 1 });
        }
        Next::Empty
    }

    /// Hands `member` up to `max` messages (as [`next`](Self::next) would
    /// one by one). A gap is returned only first; one met later is kept
    /// for the next call.
    pub(crate) fn next_batch(
        &mut self,
        member: u64,
        now: Instant,
        log: &Log<T>,
        max: usize,
        out: &mut Vec<Handout<T>>,
    ) -> Option<(u64, u64)> {
        for _ in 0..max.max(1) {
            match self.next(member, now, log) {
                Next::Deliver(h) => out.push(h),
                Next::Gap { from, to } if out.is_empty() => return Some((from, to)),
                Next::Gap { from, to } => {
                    self.gap = Some((from, to));
                    break;
                }
                Next::Empty => break,
            }
        }
        None
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
        self.pending.remove(&offset);
        self.ready.remove(&offset);
        self.counters.acked_total += 1;
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
            let token = self.token();
            let deadline = now + self.rules.ack_wait;
            if let Some(slot) = self.pending.get_mut(&offset) {
                slot.owner = member;
                slot.delivery_count += 1;
                slot.token = token;
                slot.touched = now;
                slot.state = SlotState::InFlight { deadline };
                out.push(Handout { record: slot.record.clone(), token, delivery_count: slot.delivery_count });
            }
            self.ready.remove(&offset);
            self.counters.redelivered_total += 1;
            self.arm(deadline, offset, token);
        }
        out
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
