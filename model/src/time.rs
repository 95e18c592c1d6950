//! Times as Go prints them: the calendar date of a Unix time and Go's `time.RFC3339Nano`.

/// The proleptic Gregorian date (year, month, day) of a day counted from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// The date and time of day of `nanos` (since the Unix epoch, UTC) as
/// `2006-01-02`, `15:04:05` and the fraction of its second without trailing zeros (empty
/// for a whole second).
pub fn parts(nanos: i64) -> (String, String, String) {
    let seconds = nanos.div_euclid(1_000_000_000);
    let fraction = nanos.rem_euclid(1_000_000_000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let date = format!("{year:04}-{month:02}-{day:02}");
    let clock = format!(
        "{:02}:{:02}:{:02}",
        second_of_day / 3600,
        second_of_day / 60 % 60,
        second_of_day % 60
    );
    let fraction = if fraction > 0 {
        format!(".{}", format!("{fraction:09}").trim_end_matches('0'))
    } else {
        String::new()
    };
    (date, clock, fraction)
}

/// Go's `time.RFC3339Nano` of a UTC time: `1971-01-01T00:00:10.5Z`.
pub fn rfc3339_nano(nanos: i64) -> String {
    let (date, clock, fraction) = parts(nanos);
    format!("{date}T{clock}{fraction}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_go_prints_them() {
        assert_eq!(rfc3339_nano(0), "1970-01-01T00:00:00Z");
        assert_eq!(
            rfc3339_nano(31_536_010_500_000_000),
            "1971-01-01T00:00:10.5Z"
        );
        assert_eq!(rfc3339_nano(-1), "1969-12-31T23:59:59.999999999Z");
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
    }
}
