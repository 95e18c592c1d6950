//! What every handler is ([`Handler`]: one event delivered, or a [`Failure`] that says
//! whether trying again may help) and how failed deliveries are tried again
//! ([`RetryPolicy`]: exponential backoff with jitter).

use std::time::Duration;

use condenser_model::AlertEvent;

/// A handler: delivers one event at a time, on its worker's thread.
pub trait Handler: Send {
    /// Delivers `event`.
    fn handle(&mut self, event: &AlertEvent) -> Result<(), Failure>;
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

    /// Delivers `event` with `handler`, trying again after transient failures as the policy
    /// says; how many retries it took, or the last failure.
    pub fn deliver(
        &self,
        handler: &mut dyn Handler,
        event: &AlertEvent,
        mut sleep: impl FnMut(Duration),
    ) -> (u32, Result<(), Failure>) {
        let mut attempt = 0;
        loop {
            match handler.handle(event) {
                Ok(()) => return (attempt, Ok(())),
                Err(failure) if failure.retry && attempt < self.retries => {
                    sleep(self.delay(attempt, jitter()));
                    attempt += 1;
                }
                Err(failure) => return (attempt, Err(failure)),
            }
        }
    }
}

/// A number in [0, 1) that differs call to call (the clock's nanoseconds, mixed).
fn jitter() -> f64 {
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

    struct Flaky {
        failures: Vec<Failure>,
        calls: u32,
    }

    impl Handler for Flaky {
        fn handle(&mut self, _event: &AlertEvent) -> Result<(), Failure> {
            self.calls += 1;
            match self.failures.pop() {
                Some(failure) => Err(failure),
                None => Ok(()),
            }
        }
    }

    fn event() -> AlertEvent {
        AlertEvent {
            id: "a".into(),
            message: String::new(),
            details: String::new(),
            time: 0,
            duration: 0,
            level: condenser_model::Level::Critical,
            data: Default::default(),
            previous_level: condenser_model::Level::Ok,
            recoverable: true,
        }
    }

    #[test]
    fn transient_failures_are_retried_with_growing_delays_and_permanent_ones_not() {
        let policy = RetryPolicy {
            retries: 3,
            initial: Duration::from_millis(10),
            max: Duration::from_millis(25),
        };
        let mut slept = Vec::new();
        let mut handler = Flaky {
            failures: vec![Failure::transient("b"), Failure::transient("a")],
            calls: 0,
        };
        let (retries, result) = policy.deliver(&mut handler, &event(), |d| slept.push(d));
        assert_eq!((retries, result, handler.calls), (2, Ok(()), 3));
        assert!(slept[0] >= Duration::from_millis(5) && slept[0] < Duration::from_millis(15));
        assert!(slept[1] >= Duration::from_millis(10) && slept[1] < Duration::from_millis(30));
        assert_eq!(
            policy.delay(5, 0.5),
            Duration::from_millis(25),
            "capped at max"
        );

        let mut handler = Flaky {
            failures: vec![Failure::permanent("400 Bad Request")],
            calls: 0,
        };
        let (retries, result) = policy.deliver(&mut handler, &event(), |_| {});
        assert_eq!(retries, 0);
        assert_eq!(result.unwrap_err().message, "400 Bad Request");

        let mut handler = Flaky {
            failures: vec![Failure::transient("down"); 5],
            calls: 0,
        };
        let (retries, result) = policy.deliver(&mut handler, &event(), |_| {});
        assert_eq!((retries, handler.calls), (3, 4));
        assert!(result.is_err());
    }
}
