//! Delays between restarts of one child.

use std::time::Duration;

use crate::error::ConfigError;

/// How long a supervisor waits before restarting a child that failed again.
///
/// `Backoff::none()` (the default) restarts at once, as OTP does.
/// `Backoff::exponential(base, cap)` waits `base`, `2 × base`, `4 × base`, …
/// up to `cap` for consecutive failures of the same child; with jitter (on by
/// default) each delay is drawn from `[d/2, d]`, deterministically per child
/// and attempt, so restarted siblings do not move in lockstep. A child that
/// ran for at least `reset_after` (default `4 × cap`) before failing starts
/// again from `base`.
///
/// # Examples
///
/// ```
/// use actor_core::Backoff;
/// use std::time::Duration;
///
/// let b = Backoff::exponential(Duration::from_millis(10), Duration::from_secs(1))
///     .without_jitter()
///     .reset_after(Duration::from_secs(30));
/// assert_eq!(b.delay(1, 0), Duration::from_millis(10));
/// assert_eq!(b.delay(3, 0), Duration::from_millis(40));
/// assert_eq!(b.delay(30, 0), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backoff {
    kind: Kind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Kind {
    #[default]
    None,
    Exponential {
        base: Duration,
        cap: Duration,
        jitter: bool,
        reset_after: Option<Duration>,
    },
}

impl Backoff {
    /// Restart at once.
    pub fn none() -> Self {
        Backoff { kind: Kind::None }
    }

    /// Doubling delays from `base` up to `cap`, with jitter.
    pub fn exponential(base: Duration, cap: Duration) -> Self {
        Backoff { kind: Kind::Exponential { base, cap, jitter: true, reset_after: None } }
    }

    /// Exact delays, no jitter (for reproducible schedules).
    pub fn without_jitter(mut self) -> Self {
        if let Kind::Exponential { jitter, .. } = &mut self.kind {
            *jitter = false;
        }
        self
    }

    /// How long a child must run before its failure count resets.
    pub fn reset_after(mut self, stable: Duration) -> Self {
        if let Kind::Exponential { reset_after, .. } = &mut self.kind {
            *reset_after = Some(stable);
        }
        self
    }

    /// The stable period after which a child's failure count resets.
    pub fn stable_period(&self) -> Option<Duration> {
        match self.kind {
            Kind::None => None,
            Kind::Exponential { cap, reset_after, .. } => Some(reset_after.unwrap_or(cap.saturating_mul(4))),
        }
    }

    /// The delay before the `attempt`-th consecutive restart (from 1) of the
    /// child whose jitter seed is `seed`.
    pub fn delay(&self, attempt: u32, seed: u64) -> Duration {
        match self.kind {
            Kind::None => Duration::ZERO,
            Kind::Exponential { base, cap, jitter, .. } => {
                let shift = attempt.saturating_sub(1).min(31);
                let d = base.saturating_mul(1u32 << shift).min(cap);
                if !jitter {
                    return d;
                }
                let r = splitmix64(seed ^ u64::from(attempt).wrapping_mul(0x9E37_79B9_7F4A_7C15));
                let half = d / 2;
                half + Duration::from_nanos(r % (d.as_nanos() as u64 - half.as_nanos() as u64 + 1))
            }
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if let Kind::Exponential { base, cap, reset_after, .. } = self.kind {
            if base.is_zero() {
                return Err(ConfigError::ZeroDuration { what: "backoff base" });
            }
            if cap < base {
                return Err(ConfigError::Invalid {
                    what: "backoff cap",
                    value: format!("{cap:?} is below the base {base:?}"),
                });
            }
            if reset_after.is_some_and(|d| d.is_zero()) {
                return Err(ConfigError::ZeroDuration { what: "backoff reset period" });
            }
        }
        Ok(())
    }
}

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_half_to_full() {
        let b = Backoff::exponential(Duration::from_millis(8), Duration::from_millis(100));
        for attempt in 1..10 {
            for seed in 0..50 {
                let full = Backoff::exponential(Duration::from_millis(8), Duration::from_millis(100))
                    .without_jitter()
                    .delay(attempt, seed);
                let d = b.delay(attempt, seed);
                assert!(d >= full / 2 && d <= full, "{d:?} outside [{:?}, {full:?}]", full / 2);
            }
        }
    }

    #[test]
    fn bad_configs_are_errors() {
        assert!(Backoff::exponential(Duration::ZERO, Duration::from_secs(1)).validate().is_err());
        assert!(Backoff::exponential(Duration::from_secs(2), Duration::from_secs(1)).validate().is_err());
        assert!(Backoff::none().validate().is_ok());
    }
}
