//! Durations as TICKscripts write them: signed nanoseconds (Go's `time.Duration`).

use std::fmt;

/// A span of time in nanoseconds, as Go's `time.Duration`: it may be zero or negative
/// (Kapacitor accepts `period(-10s)` at definition), unlike [`std::time::Duration`].
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
pub struct Duration(i64);

impl Duration {
    /// No time at all.
    pub const ZERO: Duration = Duration(0);

    /// One second.
    pub const SECOND: Duration = Duration(1_000_000_000);

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: i64) -> Duration {
        Duration(nanos)
    }

    /// Its length in nanoseconds.
    pub const fn nanos(self) -> i64 {
        self.0
    }

    /// Whether it is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Whether it is longer than zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// As a [`std::time::Duration`]; `None` when negative.
    pub fn to_std(self) -> Option<std::time::Duration> {
        u64::try_from(self.0)
            .ok()
            .map(std::time::Duration::from_nanos)
    }
}

/// As Kapacitor prints a duration in a script: the largest unit that divides it exactly
/// (`90s` is `90s`, `120s` is `2m`, zero is `0s`).
impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(i64, &str); 7] = [
            (7 * 86_400 * 1_000_000_000, "w"),
            (86_400 * 1_000_000_000, "d"),
            (3_600 * 1_000_000_000, "h"),
            (60 * 1_000_000_000, "m"),
            (1_000_000_000, "s"),
            (1_000_000, "ms"),
            (1_000, "u"),
        ];
        let nanos = self.0;
        if nanos == 0 {
            return f.write_str("0s");
        }
        for (unit, suffix) in UNITS {
            if nanos % unit == 0 {
                return write!(f, "{}{suffix}", nanos / unit);
            }
        }
        write!(f, "{nanos}ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_in_the_largest_exact_unit() {
        let text = |nanos| Duration::from_nanos(nanos).to_string();
        assert_eq!(text(0), "0s");
        assert_eq!(text(90_000_000_000), "90s");
        assert_eq!(text(120_000_000_000), "2m");
        assert_eq!(text(-10_000_000_000), "-10s");
        assert_eq!(text(1_500), "1500ns");
        assert_eq!(text(7 * 86_400 * 1_000_000_000), "1w");
    }
}
