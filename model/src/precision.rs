//! Timestamp precisions of the write APIs.

use std::fmt;
use std::str::FromStr;

use crate::Error;

/// The unit of the integer timestamps in a line-protocol body (`precision=` of `/write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    /// Nanoseconds (`n`, `ns`); the default.
    #[default]
    Nanosecond,
    /// Microseconds (`u`, `us`, `µ`, `µs`).
    Microsecond,
    /// Milliseconds (`ms`).
    Millisecond,
    /// Seconds (`s`).
    Second,
    /// Minutes (`m`).
    Minute,
    /// Hours (`h`).
    Hour,
}

impl Precision {
    /// Nanoseconds in one unit of this precision.
    pub const fn nanos_per_unit(self) -> i64 {
        match self {
            Precision::Nanosecond => 1,
            Precision::Microsecond => 1_000,
            Precision::Millisecond => 1_000_000,
            Precision::Second => 1_000_000_000,
            Precision::Minute => 60_000_000_000,
            Precision::Hour => 3_600_000_000_000,
        }
    }

    /// A timestamp in this precision as nanoseconds, or `None` when that overflows `i64`.
    pub fn to_nanos(self, value: i64) -> Option<i64> {
        value.checked_mul(self.nanos_per_unit())
    }

    /// Nanoseconds rounded down to a whole number of this precision's units.
    pub fn truncate(self, nanos: i64) -> i64 {
        let unit = self.nanos_per_unit();
        nanos.div_euclid(unit) * unit
    }
}

impl FromStr for Precision {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "" | "n" | "ns" => Precision::Nanosecond,
            "u" | "us" | "µ" | "µs" => Precision::Microsecond,
            "ms" => Precision::Millisecond,
            "s" => Precision::Second,
            "m" => Precision::Minute,
            "h" => Precision::Hour,
            other => {
                return Err(Error::InvalidPrecision {
                    given: other.to_owned(),
                });
            }
        })
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Precision::Nanosecond => "ns",
            Precision::Microsecond => "us",
            Precision::Millisecond => "ms",
            Precision::Second => "s",
            Precision::Minute => "m",
            Precision::Hour => "h",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_parses_to_its_unit() {
        for (name, nanos) in [
            ("", 1),
            ("n", 1),
            ("ns", 1),
            ("u", 1_000),
            ("us", 1_000),
            ("µ", 1_000),
            ("ms", 1_000_000),
            ("s", 1_000_000_000),
            ("m", 60_000_000_000),
            ("h", 3_600_000_000_000),
        ] {
            let precision: Precision = name.parse().unwrap();
            assert_eq!(precision.nanos_per_unit(), nanos, "{name}");
        }
    }

    #[test]
    fn unknown_name_is_an_error_naming_it() {
        let err = "x".parse::<Precision>().unwrap_err();
        assert!(err.to_string().contains("\"x\""), "{err}");
    }

    #[test]
    fn conversion_detects_overflow_and_truncates_down() {
        assert_eq!(Precision::Second.to_nanos(2), Some(2_000_000_000));
        assert_eq!(Precision::Hour.to_nanos(i64::MAX / 2), None);
        assert_eq!(Precision::Second.truncate(1_999_999_999), 1_000_000_000);
        assert_eq!(Precision::Second.truncate(-1), -1_000_000_000);
    }
}
