//! Property tests: the log and the group state machine against small
//! reference models, over random publish / receive / ack / nack / reject /
//! advance sequences.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

use proptest::prelude::*;
use tokio::time::Instant;

use crate::loom::sync::Arc;

use super::config::{Overflow, TopicConfig};
use super::group::{DeadReason, GroupRules, GroupState, Handout, Next};
use super::log::{Log, Refusal};
use super::message::Meta;

#[derive(Debug, Clone)]
enum LogOp {
    Publish(usize),
    Batch(Vec<usize>),
    Advance(u64),
}

fn log_op() -> impl Strategy<Value = LogOp> {
    prop_oneof![
        4 => (1usize..40).prop_map(LogOp::Publish),
        1 => proptest::collection::vec(1usize..40, 1..6).prop_map(LogOp::Batch),
        1 => (0u64..8).prop_map(LogOp::Advance),
    ]
}

/// The obvious model: a deque of (offset, size, time).
#[derive(Debug, Default)]
struct LogModel {
    entries: VecDeque<(u64, usize, u64)>,
    next: u64,
    evicted: u64,
}

impl LogModel {
    fn bytes(&self) -> usize {
        self.entries.iter().map(|e| e.1).sum()
    }

    fn expire(&mut self, now: u64, max_age: u64) {
        while self.entries.front().is_some_and(|e| e.2 + max_age <= now) {
            self.entries.pop_front();
            self.evicted += 1;
        }
    }

    fn append(
        &mut self,
        sizes: &[usize],
        now: u64,
        (max_m, max_b, max_age, reject): (usize, usize, u64, bool),
    ) -> Result<std::ops::Range<u64>, Refusal> {
        let add: usize = sizes.iter().sum();
        if add > max_b || sizes.len() > max_m {
            return Err(Refusal::TooLarge);
        }
        self.expire(now, max_age);
        let over = |m: &Self| m.entries.len() + sizes.len() > max_m || m.bytes() + add > max_b;
        if over(self) && reject {
            return Err(Refusal::Full);
        }
        while over(self) {
            self.entries.pop_front();
            self.evicted += 1;
        }
        let start = self.next;
        for &s in sizes {
            self.entries.push_back((self.next, s, now));
            self.next += 1;
        }
        Ok(start..self.next)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn log_matches_model(
        max_m in 1usize..8,
        max_b in 20usize..120,
        max_age in 1u64..20,
        reject in any::<bool>(),
        ops in proptest::collection::vec(log_op(), 1..60),
    ) {
        // Retention, overflow and offset assignment must match the model exactly.
        let t0 = Instant::now();
        let config = TopicConfig::default()
            .max_messages(max_m)
            .max_bytes(max_b as u64)
            .max_age(Duration::from_secs(max_age))
            .overflow(if reject { Overflow::RejectNew } else { Overflow::DropOldest });
        let mut log: Log<u64> = Log::new(&config);
        let mut model = LogModel::default();
        let mut now = 0u64;
        let limits = (max_m, max_b, max_age, reject);
        for op in ops {
            let at = t0 + Duration::from_secs(now);
            match op {
                LogOp::Publish(size) => {
                    let real = log
                        .append(at, size, &Meta::default())
                        .map(|slot| slot.commit(Arc::new(0), Meta::default()));
                    let want = model.append(&[size], now, limits).map(|r| r.start);
                    prop_assert_eq!(real, want);
                }
                LogOp::Batch(sizes) => {
                    let items = sizes.iter().map(|&s| (s, Arc::new(0u64))).collect();
                    let real = log.append_batch(at, items).map_err(|e| e.0);
                    prop_assert_eq!(real, model.append(&sizes, now, limits));
                }
                LogOp::Advance(s) => {
                    now += s;
                    log.expire(t0 + Duration::from_secs(now));
                    model.expire(now, max_age);
                }
            }
            prop_assert_eq!(log.first(), model.entries.front().map_or(model.next, |e| e.0));
            prop_assert_eq!(log.next(), model.next);
            prop_assert_eq!(log.len(), model.entries.len());
            prop_assert_eq!(log.bytes() as usize, model.bytes());
            prop_assert_eq!(log.evicted_total(), model.evicted);
            prop_assert_eq!(log.evicted_total() + log.len() as u64, log.next());
        }
    }
}

#[derive(Debug, Clone)]
enum GroupOp {
    Publish,
    Recv(u64),
    /// A member takes up to n at once, as `TopicCore::take` does.
    RecvBatch(u64, usize),
    Ack(usize),
    Nack(usize),
    NackAfter(usize),
    Reject(usize),
    Claim(u64),
    Advance(u64),
}

fn group_op() -> impl Strategy<Value = GroupOp> {
    prop_oneof![
        4 => Just(GroupOp::Publish),
        4 => (0u64..3).prop_map(GroupOp::Recv),
        2 => (0u64..3, 1usize..6).prop_map(|(m, n)| GroupOp::RecvBatch(m, n)),
        3 => any::<usize>().prop_map(GroupOp::Ack),
        1 => any::<usize>().prop_map(GroupOp::Nack),
        1 => any::<usize>().prop_map(GroupOp::NackAfter),
        1 => any::<usize>().prop_map(GroupOp::Reject),
        1 => (0u64..3).prop_map(GroupOp::Claim),
        2 => (0u64..15).prop_map(GroupOp::Advance),
    ]
}

/// How an offset left the group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Done {
    Acked,
    Dead,
    Gapped,
}

/// Reference model of one group: the live token and count per offset.
#[derive(Debug, Default)]
struct GroupModel {
    /// offset -> (live token, delivery count)
    live: BTreeMap<u64, (u64, u32)>,
    done: BTreeMap<u64, Done>,
    /// Next offset never handed out.
    cursor: u64,
    /// A gap a batch receive met after handing out messages: the cursor
    /// moved past it, and the next receive reports it.
    gap: Option<(u64, u64)>,
}

impl GroupModel {
    fn gapped(&mut self, from: u64, to: u64, first: u64) -> Result<(), TestCaseError> {
        match self.gap.take() {
            Some(kept) => prop_assert_eq!((from, to), kept),
            None => {
                prop_assert_eq!(from, self.cursor);
                self.cursor = to;
            }
        }
        prop_assert!(to <= first);
        for o in from..to {
            self.finish(o, Done::Gapped)?;
        }
        Ok(())
    }

    fn finish(&mut self, offset: u64, how: Done) -> Result<(), TestCaseError> {
        prop_assert!(self.live.remove(&offset).is_some() || how == Done::Gapped);
        prop_assert!(self.done.insert(offset, how).is_none(), "offset {} finished twice", offset);
        Ok(())
    }
}

/// A delivery a member holds: (offset, token).
type Held = (u64, u64);

/// Checks a handout against the model and records it as held.
fn delivered(
    h: &Handout<u64>,
    model: &mut GroupModel,
    held: &mut Vec<Held>,
    max_pending: usize,
) -> Result<(), TestCaseError> {
    let o = h.record.offset();
    match model.live.get(&o) {
        Some(&(_, count)) => prop_assert_eq!(h.delivery_count, count + 1),
        None => {
            prop_assert_eq!(o, model.cursor, "new offsets in order");
            prop_assert_eq!(h.delivery_count, 1);
            prop_assert!(model.live.len() < max_pending);
            model.cursor = o + 1;
        }
    }
    prop_assert!(!model.done.contains_key(&o));
    model.live.insert(o, (h.token, h.delivery_count));
    held.push((o, h.token));
    Ok(())
}

fn pick(held: &[Held], i: usize) -> Option<Held> {
    (!held.is_empty()).then(|| held[i % held.len()])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn group_matches_model(
        max_m in 2usize..10,
        max_deliver in 1u32..4,
        max_pending in 1usize..5,
        ops in proptest::collection::vec(group_op(), 1..80),
    ) {
        // No offset in flight twice; every published offset is acked,
        // dead-lettered or reported in a gap; stale tokens are refused.
        let t0 = Instant::now();
        let mut log: Log<u64> = Log::new(&TopicConfig::default().max_messages(max_m));
        let ack_wait = Duration::from_secs(10);
        let rules = GroupRules { ack_wait, max_deliver: Some(max_deliver), max_ack_pending: max_pending, filter: None };
        let mut g = GroupState::new(rules, 0, &mut log);
        let mut model = GroupModel::default();
        let mut held: Vec<Held> = Vec::new();
        let mut now = t0;
        let mut dead = Vec::new();

        let mut step = |op: GroupOp, now: &mut Instant, log: &mut Log<u64>, g: &mut GroupState<u64>,
                        model: &mut GroupModel, held: &mut Vec<Held>| -> Result<(), TestCaseError> {
            dead.clear();
            g.fire_timers(*now, &mut dead);
            for d in dead.drain(..) {
                prop_assert_eq!(d.reason, DeadReason::MaxDeliver);
                prop_assert!(d.delivery_count >= max_deliver);
                model.finish(d.record.offset(), Done::Dead)?;
            }
            match op {
                GroupOp::Publish => {
                    log.append(*now, 8, &Meta::default()).unwrap().commit(Arc::new(0), Meta::default());
                }
                GroupOp::RecvBatch(member, n) => {
                    let mut out = Vec::new();
                    let (gap, fresh) = g.next_batch(member, *now, log, n, &mut out);
                    g.settle_new(member, *now, &mut out[fresh..]);
                    prop_assert!(out.len() <= n);
                    if let Some((from, to)) = gap {
                        prop_assert!(out.is_empty());
                        model.gapped(from, to, log.first())?;
                    }
                    for h in &out {
                        delivered(h, model, held, max_pending)?;
                    }
                    if g.delivered() > model.cursor {
                        // A gap met after some handouts is kept for the next call.
                        prop_assert!(model.gap.is_none() && !out.is_empty() && g.has_ready());
                        model.gap = Some((model.cursor, g.delivered()));
                        model.cursor = g.delivered();
                    }
                }
                GroupOp::Recv(member) => match g.next(member, *now, log) {
                    Next::Deliver(h) => delivered(&h, model, held, max_pending)?,
                    Next::Gap { from, to } => model.gapped(from, to, log.first())?,
                    Next::Empty => {}
                },
                GroupOp::Ack(i) => if let Some((o, t)) = pick(held, i) {
                    let valid = model.live.get(&o).is_some_and(|&(tok, _)| tok == t);
                    prop_assert_eq!(g.ack(o, t).is_ok(), valid);
                    if valid { model.finish(o, Done::Acked)?; }
                },
                GroupOp::Nack(i) | GroupOp::NackAfter(i) => if let Some((o, t)) = pick(held, i) {
                    let delay = matches!(op, GroupOp::NackAfter(_)).then(|| Duration::from_secs(3));
                    let live = model.live.get(&o).copied().filter(|&(tok, _)| tok == t);
                    match (g.nack(o, t, *now, delay), live) {
                        (Ok(Some(d)), Some((_, count))) => {
                            prop_assert!(delay.is_none() && count >= max_deliver);
                            prop_assert_eq!(d.record.offset(), o);
                            model.finish(o, Done::Dead)?;
                        }
                        (Ok(None), Some((_, count))) => prop_assert!(delay.is_some() || count < max_deliver),
                        (Err(_), None) => {}
                        (real, want) => prop_assert!(false, "nack {:?} vs model {:?}", real.is_ok(), want),
                    }
                },
                GroupOp::Reject(i) => if let Some((o, t)) = pick(held, i) {
                    let valid = model.live.get(&o).is_some_and(|&(tok, _)| tok == t);
                    match g.reject(o, t) {
                        Ok(d) => {
                            prop_assert!(valid);
                            prop_assert_eq!(d.reason, DeadReason::Rejected);
                            model.finish(o, Done::Dead)?;
                        }
                        Err(_) => prop_assert!(!valid),
                    }
                },
                GroupOp::Claim(member) => {
                    for h in g.claim(member, Duration::from_secs(5), *now) {
                        let o = h.record.offset();
                        let count = model.live.get(&o).map(|c| c.1);
                        prop_assert_eq!(Some(h.delivery_count), count.map(|c| c + 1));
                        model.live.insert(o, (h.token, h.delivery_count));
                        held.push((o, h.token));
                    }
                }
                GroupOp::Advance(s) => *now += Duration::from_secs(s),
            }
            // Invariants after every step.
            let pending: BTreeSet<u64> = g.pending(*now).iter().map(|r| r.offset).collect();
            let live: BTreeSet<u64> = model.live.keys().copied().collect();
            prop_assert_eq!(&pending, &live, "PEL equals the model's live set");
            prop_assert!(g.in_flight() <= max_pending);
            prop_assert_eq!(g.committed(), live.first().copied().unwrap_or(model.cursor).min(model.cursor));
            prop_assert_eq!(log.evicted_total() + log.len() as u64, log.next());
            Ok(())
        };

        for op in ops {
            step(op, &mut now, &mut log, &mut g, &mut model, &mut held)?;
        }
        // Drain: everything still live or unread must end acked, dead or gapped.
        for _ in 0..(4 * (max_deliver as usize + 2) * (log.next() as usize + 2)) {
            if model.live.is_empty() && model.cursor == log.next() && model.gap.is_none() {
                break;
            }
            step(GroupOp::Advance(11), &mut now, &mut log, &mut g, &mut model, &mut held)?;
            held.clear();
            for _ in 0..max_pending {
                step(GroupOp::Recv(0), &mut now, &mut log, &mut g, &mut model, &mut held)?;
            }
            for i in 0..held.len() {
                step(GroupOp::Ack(i), &mut now, &mut log, &mut g, &mut model, &mut held)?;
            }
        }
        prop_assert!(model.live.is_empty());
        prop_assert_eq!(model.cursor, log.next());
        let all: Vec<u64> = model.done.keys().copied().collect();
        prop_assert_eq!(all, (0..log.next()).collect::<Vec<_>>(), "every offset accounted for once");
        let gapped = model.done.values().filter(|d| **d == Done::Gapped).count() as u64;
        prop_assert!(gapped <= log.evicted_total());
        let dead_n = model.done.values().filter(|d| **d == Done::Dead).count() as u64;
        prop_assert_eq!(g.counters.dead_lettered_total, dead_n);
    }
}
