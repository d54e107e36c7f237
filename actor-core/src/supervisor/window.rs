//! The restart-intensity window: one per supervisor, across all children.
//!
//! A restart at `t0` counts against the window at time `t` while
//! `t - t0 < period` (strictly): a restart exactly `period` ago has left it.
//! Recording a restart that makes the count exceed `max` means the
//! supervisor gives up. `max = 0` allows no restart at all.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// Restart times within the last `period`, oldest first.
#[derive(Debug, Clone)]
pub(crate) struct RestartWindow {
    max: u32,
    period: Duration,
    times: VecDeque<Instant>,
}

impl RestartWindow {
    pub(crate) fn new(max: u32, period: Duration) -> Self {
        RestartWindow { max, period, times: VecDeque::new() }
    }

    /// Records a restart at `now`. Returns false if it exceeds the intensity.
    pub(crate) fn record(&mut self, now: Instant) -> bool {
        while let Some(&oldest) = self.times.front() {
            if now.saturating_duration_since(oldest) >= self.period {
                self.times.pop_front();
            } else {
                break;
            }
        }
        self.times.push_back(now);
        // Only the last `max + 1` can matter.
        while self.times.len() > self.max as usize + 1 {
            self.times.pop_front();
        }
        self.times.len() <= self.max as usize
    }

    pub(crate) fn max(&self) -> u32 {
        self.max
    }

    pub(crate) fn period(&self) -> Duration {
        self.period
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reference rule, stated directly: the restart at index `i` is
    /// refused iff more than `max` restarts (itself included) happened in
    /// `(t_i - period, t_i]`.
    fn reference(max: u32, period: u64, times: &[u64]) -> Option<usize> {
        (0..times.len()).find(|&i| {
            let in_window = times[..=i].iter().filter(|&&t| times[i] - t < period).count();
            in_window > max as usize
        })
    }

    proptest! {
        #[test]
        fn matches_reference(max in 0u32..5, period in 1u64..50, gaps in proptest::collection::vec(0u64..30, 1..40)) {
            let base = Instant::now();
            let mut t = 0;
            let times: Vec<u64> = gaps.iter().map(|g| { t += g; t }).collect();
            let mut w = RestartWindow::new(max, Duration::from_millis(period));
            let got = times.iter().position(|&ms| !w.record(base + Duration::from_millis(ms)));
            prop_assert_eq!(got, reference(max, period, &times));
        }
    }

    #[test]
    fn boundary_is_exclusive() {
        // A restart exactly one period ago no longer counts.
        let t0 = Instant::now();
        let mut w = RestartWindow::new(1, Duration::from_secs(5));
        assert!(w.record(t0));
        assert!(w.record(t0 + Duration::from_secs(5)));
        assert!(!w.record(t0 + Duration::from_secs(5) + Duration::from_millis(1)));
    }

    #[test]
    fn zero_intensity_refuses_the_first_restart() {
        let mut w = RestartWindow::new(0, Duration::from_secs(1));
        assert!(!w.record(Instant::now()));
    }
}
