//! The strategy planner: which children a failure affects.
//!
//! Pure and index-based, so it is tested on its own: given the strategy,
//! the index (in start order) of the child that exited and will be
//! restarted, and the number of children, it returns the children to stop
//! (reverse start order; the failed one has already stopped) and the
//! children to start again (start order). Temporary children among the
//! stopped siblings are removed, not restarted, as in OTP.

use std::ops::Range;

use super::Strategy;

/// What a restart involves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Plan {
    /// Siblings to stop, in this order (reverse start order).
    pub(crate) stop: Vec<usize>,
    /// Children to start again, in this order (start order), the failed one
    /// included.
    pub(crate) restart: Vec<usize>,
}

fn affected(strategy: Strategy, failed: usize, len: usize) -> Range<usize> {
    match strategy {
        Strategy::OneForOne => failed..failed + 1,
        Strategy::OneForAll => 0..len,
        Strategy::RestForOne => failed..len,
    }
}

/// Plans the restart of child `failed` among `len`; `temporary(i)` tells
/// whether child `i` is Temporary (never restarted).
pub(crate) fn plan(strategy: Strategy, failed: usize, len: usize, temporary: impl Fn(usize) -> bool) -> Plan {
    let range = affected(strategy, failed, len);
    let stop = range.clone().rev().filter(|&i| i != failed).collect();
    let restart = range.filter(|&i| i == failed || !temporary(i)).collect();
    Plan { stop, restart }
}

#[cfg(test)]
mod tests {
    use super::Strategy;
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strategies() {
        let none = |_| false;
        assert_eq!(plan(Strategy::OneForOne, 1, 4, none), Plan { stop: vec![], restart: vec![1] });
        assert_eq!(plan(Strategy::OneForAll, 1, 4, none), Plan { stop: vec![3, 2, 0], restart: vec![0, 1, 2, 3] });
        assert_eq!(plan(Strategy::RestForOne, 1, 4, none), Plan { stop: vec![3, 2], restart: vec![1, 2, 3] });
        // A temporary sibling is stopped but not started again.
        assert_eq!(plan(Strategy::OneForAll, 0, 3, |i| i == 2), Plan { stop: vec![2, 1], restart: vec![0, 1] });
    }

    proptest! {
        #[test]
        fn plans_are_consistent(len in 1usize..12, failed_seed in 0usize..100, temp_mask in 0u32..4096, s in 0u8..3) {
            let failed = failed_seed % len;
            let strategy = [Strategy::OneForOne, Strategy::OneForAll, Strategy::RestForOne][s as usize];
            let temporary = |i: usize| temp_mask & (1 << i) != 0 && i != failed;
            let p = plan(strategy, failed, len, temporary);
            // The failed child is restarted, never stopped again.
            prop_assert!(p.restart.contains(&failed));
            prop_assert!(!p.stop.contains(&failed));
            // Stops go in reverse start order, restarts in start order.
            prop_assert!(p.stop.windows(2).all(|w| w[0] > w[1]));
            prop_assert!(p.restart.windows(2).all(|w| w[0] < w[1]));
            // Every stopped non-temporary sibling comes back; no temporary one does.
            for &i in &p.stop {
                prop_assert_eq!(p.restart.contains(&i), !temporary(i));
            }
            // Children started before the failed one are untouched except by OneForAll.
            if strategy != Strategy::OneForAll {
                prop_assert!(p.stop.iter().chain(&p.restart).all(|&i| i >= failed));
            }
        }
    }
}
