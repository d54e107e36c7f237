//! The offset log of one topic: append, retention, overflow, deduplication
//! and reads. A pure state machine; [`TopicCore`](super::core) puts it
//! behind a mutex and adds the waiting.
//!
//! # Invariants
//!
//! - `entries[i].offset == first + i` and `first + entries.len() == next`:
//!   offsets have no holes.
//! - `bytes` is the sum of the retained entries' sizes, `<= max_bytes`.
//! - `entries.len() <= max_messages`.
//! - `published_total == next` (every offset ever assigned) and
//!   `published_total == evicted_total + entries.len()` (nothing
//!   disappears uncounted).
//! - `published_at` is non-decreasing along the log (appends take the
//!   clock under the lock), so a start time is found by binary search.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;
use std::time::Duration;

use tokio::time::Instant;

use crate::loom::sync::Arc;
use crate::loom::sync::atomic::{AtomicU64, Ordering};

use super::config::{Overflow, StartAt, TopicConfig};
use super::filter::KeyFilter;
use super::message::{Meta, Record};

/// Why an append changed nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Over a limit and the overflow mode refuses (RejectNew, or Block with
    /// un-committed messages in the way).
    Full,
    /// Larger than `max_bytes` (or a batch longer than `max_messages`).
    TooLarge,
    /// The id was published within the dedup window at this offset.
    Duplicate(u64),
}

/// A payload with its size, ready to append.
pub(crate) type Measured<T> = (usize, Arc<T>);

/// Per-filter match counters, so a filtered group's lag costs O(1).
#[derive(Debug)]
struct FilterCount {
    filter: KeyFilter,
    /// Matching messages appended since registration (plus those retained
    /// at registration).
    matched_total: u64,
    /// Matching messages among those counted above that were evicted.
    matched_evicted: u64,
}

/// The retained messages and their counters.
#[derive(Debug)]
pub(crate) struct Log<T> {
    entries: VecDeque<Record<T>>,
    first: u64,
    next: u64,
    bytes: u64,
    evicted_total: u64,
    max_messages: usize,
    max_bytes: u64,
    max_age: Option<Duration>,
    overflow: Overflow,
    dedup_window: Option<Duration>,
    /// id -> offset of its first publish.
    dedup: HashMap<Box<str>, u64>,
    /// (publish time, id) in publish order, to expire `dedup`.
    dedup_order: VecDeque<(Instant, Box<str>)>,
    filters: Vec<Option<FilterCount>>,
    /// Committed offsets of the durable groups (Block overflow).
    floors: Vec<Arc<AtomicU64>>,
}

impl<T> Log<T> {
    pub(crate) fn new(config: &TopicConfig) -> Self {
        Self {
            entries: VecDeque::new(),
            first: 0,
            next: 0,
            bytes: 0,
            evicted_total: 0,
            max_messages: config.max_messages,
            max_bytes: config.max_bytes,
            max_age: config.max_age,
            overflow: config.overflow,
            dedup_window: config.dedup_window,
            dedup: HashMap::new(),
            dedup_order: VecDeque::new(),
            filters: Vec::new(),
            floors: Vec::new(),
        }
    }

    /// First retained offset (== `next` when empty).
    pub(crate) fn first(&self) -> u64 {
        self.first
    }

    /// Next offset to assign.
    pub(crate) fn next(&self) -> u64 {
        self.next
    }

    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    pub(crate) fn evicted_total(&self) -> u64 {
        self.evicted_total
    }

    /// When the oldest retained message ages out, if `max_age` is set.
    pub(crate) fn oldest_expiry(&self) -> Option<Instant> {
        let age = self.max_age?;
        self.entries.front().map(|e| e.published_at + age)
    }

    /// Registers a durable group's committed-offset word for Block.
    pub(crate) fn add_floor(&mut self, floor: Arc<AtomicU64>) {
        self.floors.push(floor);
    }

    /// Registers a filter and counts the retained matching messages below
    /// `cursor`; returns (slot, matched below cursor).
    pub(crate) fn add_filter(&mut self, filter: KeyFilter, cursor: u64) -> (usize, u64) {
        let mut total = 0;
        let mut below = 0;
        for e in &self.entries {
            if filter.matches(e.key()) {
                total += 1;
                if e.offset < cursor {
                    below += 1;
                }
            }
        }
        let count = FilterCount { filter, matched_total: total, matched_evicted: 0 };
        let slot = match self.filters.iter().position(Option::is_none) {
            Some(i) => {
                self.filters[i] = Some(count);
                i
            }
            None => {
                self.filters.push(Some(count));
                self.filters.len() - 1
            }
        };
        (slot, below)
    }

    pub(crate) fn remove_filter(&mut self, slot: usize) {
        if let Some(f) = self.filters.get_mut(slot) {
            *f = None;
        }
    }

    /// (matched_total, matched_evicted) of a registered filter.
    pub(crate) fn filter_counts(&self, slot: usize) -> (u64, u64) {
        match self.filters.get(slot) {
            Some(Some(f)) => (f.matched_total, f.matched_evicted),
            _ => (0, 0),
        }
    }

    /// Evicts messages older than `max_age`; returns how many.
    pub(crate) fn expire(&mut self, now: Instant) -> u64 {
        let Some(age) = self.max_age else { return 0 };
        let mut n = 0;
        while self.entries.front().is_some_and(|e| e.published_at + age <= now) {
            self.evict_front();
            n += 1;
        }
        n
    }

    fn evict_front(&mut self) {
        if let Some(e) = self.entries.pop_front() {
            self.first += 1;
            self.bytes -= e.size as u64;
            self.evicted_total += 1;
            for f in self.filters.iter_mut().flatten() {
                if f.filter.matches(e.key()) {
                    f.matched_evicted += 1;
                }
            }
        }
    }

    fn expire_dedup(&mut self, now: Instant) {
        let Some(window) = self.dedup_window else {
            return;
        };
        while let Some((at, _)) = self.dedup_order.front() {
            if *at + window > now && self.dedup_order.len() <= self.max_messages {
                break;
            }
            if let Some((_, id)) = self.dedup_order.pop_front() {
                self.dedup.remove(&id);
            }
        }
    }

    /// Lowest committed offset over the durable groups (`next` if none).
    fn floor(&self) -> u64 {
        self.floors
            .iter()
            // Acquire: pairs with the group's Release store of its commit,
            // so evicting below it never races ahead of the ack.
            .map(|f| f.load(Ordering::Acquire))
            .min()
            .unwrap_or(self.next)
    }

    /// Makes room for `count` messages of `bytes` total, per the overflow
    /// mode. Refuses without changing anything except age and
    /// already-committed evictions.
    fn make_room(&mut self, count: usize, bytes: u64, now: Instant) -> Result<(), Refusal> {
        if bytes > self.max_bytes || count > self.max_messages {
            return Err(Refusal::TooLarge);
        }
        self.expire(now);
        let over = |log: &Self| log.entries.len() + count > log.max_messages || log.bytes + bytes > log.max_bytes;
        if !over(self) {
            return Ok(());
        }
        match self.overflow {
            Overflow::RejectNew => Err(Refusal::Full),
            Overflow::DropOldest => {
                while over(self) {
                    self.evict_front();
                }
                Ok(())
            }
            Overflow::Block => {
                let floor = self.floor();
                while over(self) {
                    if self.entries.front().is_some_and(|e| e.offset < floor) {
                        self.evict_front();
                    } else {
                        return Err(Refusal::Full);
                    }
                }
                Ok(())
            }
        }
    }

    fn push(&mut self, now: Instant, size: usize, payload: Arc<T>, meta: Meta) -> u64 {
        let offset = self.next;
        if !self.filters.is_empty() {
            let key = meta.key.as_deref();
            for f in self.filters.iter_mut().flatten() {
                if f.filter.matches(key) {
                    f.matched_total += 1;
                }
            }
        }
        if let (Some(_), Some(id)) = (self.dedup_window, &meta.id) {
            self.dedup.insert(id.clone(), offset);
            self.dedup_order.push_back((now, id.clone()));
        }
        self.entries.push_back(Record::new(offset, now, size, payload, meta));
        self.bytes += size as u64;
        self.next += 1;
        offset
    }

    /// Checks one message of `size` bytes and makes room for it, or refuses
    /// and changes nothing (beyond age and committed evictions). The
    /// payload and metadata go in through [`AppendSlot::commit`] once the
    /// append is certain, so on refusal they are still the caller's to hand
    /// back.
    pub(crate) fn append(&mut self, now: Instant, size: usize, meta: &Meta) -> Result<AppendSlot<'_, T>, Refusal> {
        if let (Some(_), Some(id)) = (self.dedup_window, &meta.id) {
            self.expire_dedup(now);
            if let Some(&offset) = self.dedup.get(id) {
                return Err(Refusal::Duplicate(offset));
            }
        }
        self.make_room(1, size as u64, now)?;
        Ok(AppendSlot { log: self, now, size })
    }

    /// Appends a batch of `(size, payload)` atomically at contiguous
    /// offsets, or refuses all and hands the items back.
    pub(crate) fn append_batch(
        &mut self,
        now: Instant,
        items: Vec<Measured<T>>,
    ) -> Result<Range<u64>, (Refusal, Vec<Measured<T>>)> {
        let bytes: u64 = items.iter().map(|&(s, _)| s as u64).sum();
        if let Err(r) = self.make_room(items.len(), bytes, now) {
            return Err((r, items));
        }
        let start = self.next;
        for (size, payload) in items {
            self.push(now, size, payload, Meta::default());
        }
        Ok(start..self.next)
    }

    /// Copies up to `max` records from `from` into `out`. `Err(first)` if
    /// `from` was evicted (the caller reports the gap).
    pub(crate) fn read(&self, from: u64, max: usize, out: &mut VecDeque<Record<T>>) -> Result<usize, u64> {
        if from < self.first {
            return Err(self.first);
        }
        let start = (from - self.first) as usize;
        let before = out.len();
        out.extend(self.entries.range(start.min(self.entries.len())..).take(max).cloned());
        Ok(out.len() - before)
    }

    /// The record at `offset`, if retained.
    pub(crate) fn get(&self, offset: u64) -> Option<&Record<T>> {
        offset.checked_sub(self.first).and_then(|i| self.entries.get(i as usize))
    }

    /// The first offset published at or after `at` (`next` if none).
    pub(crate) fn offset_at(&self, at: Instant) -> u64 {
        self.first + self.entries.partition_point(|e| e.published_at < at) as u64
    }

    /// The offset a reader starting at `start` reads first.
    pub(crate) fn start_offset(&self, start: StartAt) -> u64 {
        match start {
            StartAt::Earliest => self.first,
            StartAt::Latest => self.next,
            StartAt::Offset(n) => n,
            StartAt::Time(at) => self.offset_at(at),
        }
    }
}

/// Room reserved by [`Log::append`]; `commit` writes the message.
#[derive(Debug)]
pub(crate) struct AppendSlot<'a, T> {
    log: &'a mut Log<T>,
    now: Instant,
    size: usize,
}

impl<T> AppendSlot<'_, T> {
    pub(crate) fn commit(self, payload: Arc<T>, meta: Meta) -> u64 {
        self.log.push(self.now, self.size, payload, meta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log(config: TopicConfig) -> Log<u64> {
        Log::new(&config)
    }

    fn put(l: &mut Log<u64>, now: Instant, v: u64) -> Result<u64, Refusal> {
        let slot = l.append(now, 8, &Meta::default())?;
        Ok(slot.commit(Arc::new(v), Meta::default()))
    }

    #[test]
    fn offsets_have_no_holes() {
        // Holes would make consumers skip or double-read offsets.
        let now = Instant::now();
        let mut l = log(TopicConfig::default());
        assert_eq!(put(&mut l, now, 1), Ok(0));
        let batch = [2, 3, 4].map(|v| (8, Arc::new(v))).to_vec();
        assert_eq!(l.append_batch(now, batch).map_err(|e| e.0), Ok(1..4));
        assert_eq!(put(&mut l, now, 5), Ok(4));
        let mut out = VecDeque::new();
        assert_eq!(l.read(0, 10, &mut out), Ok(5));
        let got: Vec<u64> = out.iter().map(|r| r.offset).collect();
        assert_eq!(got, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn drop_oldest_counts_evictions() {
        // Silent eviction would break the "nothing disappears" rule.
        let now = Instant::now();
        let mut l = log(TopicConfig::default().max_messages(3));
        for v in 0..5 {
            put(&mut l, now, v).unwrap();
        }
        assert_eq!((l.first(), l.next(), l.len(), l.evicted_total()), (2, 5, 3, 2));
        let mut out = VecDeque::new();
        assert_eq!(l.read(0, 10, &mut out), Err(2));
    }

    #[test]
    fn reject_new_and_too_large_change_nothing() {
        // A refused message must not take an offset or evict anything.
        let now = Instant::now();
        let mut l = log(TopicConfig::default().max_messages(2).max_bytes(16).overflow(Overflow::RejectNew));
        put(&mut l, now, 0).unwrap();
        put(&mut l, now, 1).unwrap();
        assert_eq!(put(&mut l, now, 2), Err(Refusal::Full));
        assert_eq!(l.append(now, 17, &Meta::default()).err(), Some(Refusal::TooLarge));
        assert_eq!((l.first(), l.next(), l.evicted_total()), (0, 2, 0));
    }

    #[test]
    fn block_evicts_only_committed() {
        // Block must never evict a message a group has not committed.
        let now = Instant::now();
        let mut l = log(TopicConfig::default().max_messages(2).overflow(Overflow::Block));
        let floor = Arc::new(AtomicU64::new(0));
        l.add_floor(floor.clone());
        put(&mut l, now, 0).unwrap();
        put(&mut l, now, 1).unwrap();
        assert_eq!(put(&mut l, now, 2), Err(Refusal::Full));
        floor.store(1, Ordering::Release);
        assert_eq!(put(&mut l, now, 2), Ok(2));
        assert_eq!(put(&mut l, now, 3), Err(Refusal::Full));
        assert_eq!(l.evicted_total(), 1);
    }

    #[test]
    fn age_and_dedup_windows() {
        // Expired messages must be evicted; ids within the window refused.
        let t0 = Instant::now();
        let mut l = log(TopicConfig::default().max_age(Duration::from_secs(10)).dedup_window(Duration::from_secs(5)));
        let meta = Meta { id: Some("a".into()), ..Meta::default() };
        let o = l.append(t0, 8, &meta).unwrap().commit(Arc::new(1), meta.clone());
        assert_eq!(o, 0);
        assert_eq!(l.append(t0 + Duration::from_secs(4), 8, &meta).err(), Some(Refusal::Duplicate(0)));
        let later = t0 + Duration::from_secs(5);
        assert_eq!(l.append(later, 8, &meta).unwrap().commit(Arc::new(2), meta.clone()), 1);
        assert_eq!(l.offset_at(later), 1);
        assert_eq!(l.expire(t0 + Duration::from_secs(10)), 1);
        assert_eq!((l.first(), l.evicted_total()), (1, 1));
    }

    #[test]
    fn filter_counts_follow_appends_and_evictions() {
        // Wrong counters would report a wrong lag for filtered groups.
        let now = Instant::now();
        let mut l = log(TopicConfig::default().max_messages(2));
        let (slot, below) = l.add_filter(KeyFilter::parse("a.*").unwrap(), 0);
        assert_eq!(below, 0);
        for key in ["a.x", "b.x", "a.y"] {
            let meta = Meta { key: Some(key.into()), ..Meta::default() };
            l.append(now, 8, &meta).unwrap().commit(Arc::new(0), meta.clone());
        }
        assert_eq!(l.filter_counts(slot), (2, 1));
    }
}
