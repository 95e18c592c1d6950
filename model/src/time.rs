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
    let mut out = String::with_capacity(30);
    push_rfc3339_nano(nanos, &mut out);
    out
}

/// Appends [`rfc3339_nano`] of `nanos` to `out`.
pub fn push_rfc3339_nano(nanos: i64, out: &mut String) {
    let seconds = nanos.div_euclid(1_000_000_000);
    let fraction = nanos.rem_euclid(1_000_000_000);
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let digits = |out: &mut String, value: i64, width: u32| {
        for place in (0..width).rev() {
            out.push(char::from(b'0' + (value / 10_i64.pow(place) % 10) as u8));
        }
    };
    if (0..10_000).contains(&year) {
        digits(out, year, 4);
    } else {
        out.push_str(&format!("{year:04}"));
    }
    out.push('-');
    digits(out, i64::from(month), 2);
    out.push('-');
    digits(out, i64::from(day), 2);
    out.push('T');
    digits(out, second_of_day / 3600, 2);
    out.push(':');
    digits(out, second_of_day / 60 % 60, 2);
    out.push(':');
    digits(out, second_of_day % 60, 2);
    if fraction > 0 {
        out.push('.');
        let mut fraction = fraction;
        let mut width = 9;
        while fraction % 10 == 0 {
            fraction /= 10;
            width -= 1;
        }
        digits(out, fraction, width);
    }
    out.push('Z');
}

/// The day counted from 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`), the inverse of [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Nanoseconds since the Unix epoch of an RFC 3339 time (`1971-01-01T00:00:10.5Z`,
/// `2024-01-01T01:00:00+01:00`); `None` when it is not one.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let number = |s: &str| -> Option<i64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut date_parts = date.splitn(3, '-');
    let year = number(date_parts.next()?)?;
    let month = u32::try_from(number(date_parts.next()?)?).ok()?;
    let day = u32::try_from(number(date_parts.next()?)?).ok()?;
    if rest.len() < 8 || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, mut rest) = rest.split_at(8);
    let mut clock_parts = clock.splitn(3, ':');
    let hour = number(clock_parts.next()?)?;
    let minute = number(clock_parts.next()?)?;
    let second = number(clock_parts.next()?)?;
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        nanos = number(&fraction[..digits])? * 10i64.pow(9 - digits as u32);
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ => {
            let sign = match rest.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            let (h, m) = rest[1..].split_once(':')?;
            sign * (number(h)? * 3600 + number(m)? * 60)
        }
    };
    let seconds =
        days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    seconds.checked_mul(1_000_000_000)?.checked_add(nanos)
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
        assert_eq!(days_from_civil(2024, 1, 1), 19_723);
        for nanos in [0, 31_536_010_500_000_000, -1, 1_700_000_000_123_456_789] {
            assert_eq!(parse_rfc3339(&rfc3339_nano(nanos)), Some(nanos));
        }
        assert_eq!(
            parse_rfc3339("1970-01-01T01:00:00+01:00"),
            Some(0),
            "an offset east of UTC"
        );
        assert_eq!(parse_rfc3339("1970-01-01"), None);
    }
}
