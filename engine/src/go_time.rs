//! Times cut as Go cuts them: Kapacitor aligns windows, rounds join tolerances and
//! truncates `from()` times with Go's `Time.Truncate` and `Time.Round`, which count
//! multiples from Go's zero time (0001-01-01T00:00:00Z), not from the Unix epoch.

/// Nanoseconds from Go's zero time to the Unix epoch.
const ZERO_TIME_TO_EPOCH: i128 = 62_135_596_800 * 1_000_000_000;

/// `t` rounded down to a multiple of `d` since Go's zero time (`t` itself when `d` ≤ 0).
pub fn truncate(t: i64, d: i64) -> i64 {
    if d <= 0 {
        return t;
    }
    let since_zero = t as i128 + ZERO_TIME_TO_EPOCH;
    (since_zero - since_zero.rem_euclid(d as i128) - ZERO_TIME_TO_EPOCH) as i64
}

/// `t` rounded to the nearest multiple of `d` since Go's zero time, halfway up (`t`
/// itself when `d` ≤ 0).
pub fn round(t: i64, d: i64) -> i64 {
    if d <= 0 {
        return t;
    }
    let since_zero = t as i128 + ZERO_TIME_TO_EPOCH;
    let r = since_zero.rem_euclid(d as i128);
    (if r + r < d as i128 {
        since_zero - r
    } else {
        since_zero + (d as i128 - r)
    } - ZERO_TIME_TO_EPOCH) as i64
}
