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

    /// Parses a duration as Go's `time.ParseDuration` does (what kapacitor.conf's durations
    /// are): a sequence of decimal numbers, each with a unit (`ns`, `us`, `µs`, `ms`, `s`,
    /// `m`, `h`), optionally signed: `30s`, `1h30m`, `1.5h`, `-2m`, `0`.
    pub fn parse_go(text: &str) -> Result<Duration, String> {
        let invalid = || format!("time: invalid duration {text:?}");
        let (negative, mut rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        if rest == "0" {
            return Ok(Duration::ZERO);
        }
        if rest.is_empty() {
            return Err(invalid());
        }
        let mut total: f64 = 0.0;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(|| format!("time: missing unit in duration {text:?}"))?;
            let number: f64 = rest[..number_len].parse().map_err(|_| invalid())?;
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let unit = match &rest[..unit_len] {
                "ns" => 1.0,
                "us" | "µs" | "μs" => 1e3,
                "ms" => 1e6,
                "s" => 1e9,
                "m" => 60e9,
                "h" => 3600e9,
                other => return Err(format!("time: unknown unit {other:?} in duration {text:?}")),
            };
            rest = &rest[unit_len..];
            total += number * unit;
        }
        if total > i64::MAX as f64 {
            return Err(invalid());
        }
        let nanos = total.round() as i64;
        Ok(Duration(if negative { -nanos } else { nanos }))
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
    fn go_durations_parse_as_time_parse_duration_does() {
        let parse = |t: &str| Duration::parse_go(t).map(Duration::nanos);
        assert_eq!(parse("30s"), Ok(30_000_000_000));
        assert_eq!(parse("1h30m"), Ok(5_400_000_000_000));
        assert_eq!(parse("1.5h"), Ok(5_400_000_000_000));
        assert_eq!(parse("-2m"), Ok(-120_000_000_000));
        assert_eq!(parse("500ms"), Ok(500_000_000));
        assert_eq!(parse("0"), Ok(0));
        assert!(parse("30").unwrap_err().contains("missing unit"));
        assert!(parse("3d").unwrap_err().contains("unknown unit"));
        assert!(parse("").is_err());
    }

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
