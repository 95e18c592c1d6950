//! What every handler is ([`Handler`]: one event delivered, or a [`Failure`] that says
//! whether trying again may help) and how failed deliveries are tried again
//! ([`RetryPolicy`]: exponential backoff with jitter).

use std::time::Duration;

use condenser_model::alert::TopicEvent;

/// A handler: delivers one event at a time, on its worker's thread.
pub trait Handler: Send {
    /// Delivers the event of `published`.
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure>;
}

/// A delivery that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Whether trying again may succeed (a refused connection, a 5xx or 429 answer), or
    /// not (a 4xx answer, a program that failed).
    pub retry: bool,
    /// What went wrong.
    pub message: String,
}

impl Failure {
    /// A failure that may pass.
    pub fn transient(message: impl Into<String>) -> Self {
        Self {
            retry: true,
            message: message.into(),
        }
    }

    /// A failure that trying again does not mend.
    pub fn permanent(message: impl Into<String>) -> Self {
        Self {
            retry: false,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// How often, and how long apart, a transient failure is tried again: the first retry
/// after `initial`, each next one after twice as long (at most `max`), each delay moved by
/// up to half of it at random so that many handlers do not retry in step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times a delivery is tried again (0: never).
    pub retries: u32,
    /// The delay before the first retry.
    pub initial: Duration,
    /// The longest delay.
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            retries: 8,
            initial: Duration::from_millis(100),
            max: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries: what Kapacitor's own handlers do.
    pub fn none() -> Self {
        Self {
            retries: 0,
            ..Self::default()
        }
    }

    /// The delay before retry `attempt` (0 for the first), with `jitter` in [0, 1) moving
    /// it by up to half of it either way.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let base = self
            .initial
            .saturating_mul(1u32.checked_shl(attempt.min(31)).unwrap_or(u32::MAX))
            .min(self.max);
        base.mul_f64(0.5 + jitter)
    }
}

/// A number in [0, 1) that differs call to call (the clock's nanoseconds, mixed).
pub(crate) fn jitter() -> f64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut x = u64::from(nanos) ^ 0x9e37_79b9_7f4a_7c15;
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_the_first_up_to_the_longest_moved_by_jitter() {
        let policy = RetryPolicy {
            retries: 3,
            initial: Duration::from_millis(10),
            max: Duration::from_millis(25),
        };
        assert_eq!(policy.delay(0, 0.5), Duration::from_millis(10));
        assert_eq!(policy.delay(1, 0.5), Duration::from_millis(20));
        assert_eq!(policy.delay(5, 0.5), Duration::from_millis(25), "capped");
        assert_eq!(policy.delay(0, 0.0), Duration::from_millis(5));
        assert!(policy.delay(1, 0.999) < Duration::from_millis(30));
        assert_eq!(
            policy.delay(40, 0.5),
            Duration::from_millis(25),
            "no overflow"
        );
        let j = jitter();
        assert!((0.0..1.0).contains(&j));
    }
}
