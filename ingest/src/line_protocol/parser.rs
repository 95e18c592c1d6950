//! The scanner: one pass over a body, writing each line straight into its table's columns.

use condenser_model::FieldType;
use hashbrown::{DefaultHashBuilder, HashMap};
use memchr::{memchr, memchr3};

use super::ParseOptions;
use super::error::{LineError, LineErrorKind};
use super::escape::{self, Escapes};
use super::table_builder::{FieldValue, TableBuilder};

/// InfluxDB's smallest and largest valid timestamps, in nanoseconds.
const MIN_NANOS: i64 = i64::MIN + 2;
const MAX_NANOS: i64 = i64::MAX - 1;

/// Bytes that end (or escape within) a measurement name.
const MEASUREMENT_SPECIAL: [bool; 256] = special(b", \n\r\\");
/// Bytes that end (or escape within) a tag key, tag value or field key.
const KEY_SPECIAL: [bool; 256] = special(b",= \n\r\\");
/// Bytes that end an unquoted field value.
const VALUE_END: [bool; 256] = special(b", \n\r");

const fn special(bytes: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        table[bytes[i] as usize] = true;
        i += 1;
    }
    table
}

/// Scans a token from `i` to the first unescaped byte marked in `special`. A backslash
/// escapes the byte after it (but never a newline). Returns the end and whether the token
/// holds a backslash (and so may need unescaping).
#[inline]
fn scan_token(buf: &[u8], mut i: usize, special: &[bool; 256]) -> (usize, bool) {
    let mut escaped = false;
    loop {
        let Some(found) = buf[i..].iter().position(|&b| special[usize::from(b)]) else {
            return (buf.len(), escaped);
        };
        i += found;
        if buf[i] != b'\\' {
            return (i, escaped);
        }
        escaped = true;
        i += if i + 1 < buf.len() && buf[i + 1] != b'\n' {
            2
        } else {
            1
        };
        if i >= buf.len() {
            return (buf.len(), escaped);
        }
    }
}

/// True when `i` is at the end of a line (or of the body).
#[inline]
fn at_end(buf: &[u8], i: usize) -> bool {
    i >= buf.len() || buf[i] == b'\n' || buf[i] == b'\r'
}

/// The start of the next line if only blanks (spaces, tabs, a CR) remain on this one.
#[inline]
fn line_end(buf: &[u8], mut i: usize) -> Option<usize> {
    while i < buf.len() && matches!(buf[i], b' ' | b'\t' | b'\r') {
        i += 1;
    }
    if i >= buf.len() {
        Some(buf.len())
    } else if buf[i] == b'\n' {
        Some(i + 1)
    } else {
        None
    }
}

fn parse_integer(digits: &[u8]) -> Option<i64> {
    let (negative, digits) = match digits.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, digits),
    };
    if digits.is_empty() {
        return None;
    }
    let mut value: i64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(digit - b'0');
        value = value.checked_mul(10)?;
        value = if negative {
            value.checked_sub(digit)?
        } else {
            value.checked_add(digit)?
        };
    }
    Some(value)
}

fn parse_unsigned(digits: &[u8]) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    let mut value: u64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    Some(value)
}

/// True when `token` has the shape of an InfluxDB number: an optional minus, digits with at
/// most one point, then an optional exponent (`e` or `E`, a sign, digits); this also keeps
/// out the `inf` and `NaN` spellings Rust's float parser would take.
fn is_number_shape(token: &[u8]) -> bool {
    let mut i = usize::from(token.first() == Some(&b'-'));
    let mut digits = 0;
    let mut point = false;
    while i < token.len() {
        match token[i] {
            b'0'..=b'9' => digits += 1,
            b'.' if !point => point = true,
            b'e' | b'E' if digits > 0 => {
                i += 1;
                if matches!(token.get(i), Some(b'+' | b'-')) {
                    i += 1;
                }
                return token[i..].iter().all(u8::is_ascii_digit);
            }
            _ => return false,
        }
        i += 1;
    }
    digits > 0
}

/// Powers of ten that are exact in an `f64`.
const EXACT_POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The plain decimal (`-97.5`, `3`, `.25`) at the start of `bytes`, up to the first byte
/// that ends a value, with its length; `None` unless the whole token is such a decimal with
/// at most 15 digits and at most 22 of them after the point. Then both the digits and the
/// power of ten are exact in an `f64`, so the one division rounds correctly (Clinger's fast
/// path). Other tokens are left to the general parser.
#[inline]
fn leading_decimal(bytes: &[u8]) -> Option<(f64, usize)> {
    let negative = bytes.first() == Some(&b'-');
    let mut i = usize::from(negative);
    let mut mantissa: u64 = 0;
    let mut count = 0;
    let mut fraction_start = None;
    while i < bytes.len() {
        let byte = bytes[i];
        match byte {
            b'0'..=b'9' => {
                mantissa = mantissa * 10 + u64::from(byte - b'0');
                count += 1;
                if count > 15 {
                    return None;
                }
            }
            b'.' if fraction_start.is_none() => fraction_start = Some(i + 1),
            _ if VALUE_END[usize::from(byte)] => break,
            _ => return None,
        }
        i += 1;
    }
    if count == 0 {
        return None;
    }
    let scale = *EXACT_POWERS_OF_TEN.get(fraction_start.map_or(0, |start| i - start))?;
    let value = mantissa as f64 / scale;
    Some((if negative { -value } else { value }, i))
}

/// [`leading_decimal`] of a whole token.
#[cfg(test)]
fn simple_decimal(token: &[u8]) -> Option<f64> {
    leading_decimal(token).and_then(|(value, len)| (len == token.len()).then_some(value))
}

fn number(token: &[u8]) -> Result<FieldValue<'static>, LineErrorKind> {
    let out_of_range = |kind, digits: &[u8]| LineErrorKind::IntegerOutOfRange {
        kind,
        digits: String::from_utf8_lossy(digits).into_owned(),
    };
    match token.split_last() {
        Some((b'i', digits)) => {
            let magnitude = digits.strip_prefix(b"-").unwrap_or(digits);
            if magnitude.is_empty() || !magnitude.iter().all(u8::is_ascii_digit) {
                return Err(LineErrorKind::InvalidNumber);
            }
            parse_integer(digits)
                .map(FieldValue::Integer)
                .ok_or_else(|| out_of_range(FieldType::Integer, digits))
        }
        Some((b'u', digits)) => {
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(LineErrorKind::InvalidNumber);
            }
            parse_unsigned(digits)
                .map(FieldValue::Unsigned)
                .ok_or_else(|| out_of_range(FieldType::Unsigned, digits))
        }
        _ => {
            if !is_number_shape(token) {
                return Err(LineErrorKind::InvalidNumber);
            }
            std::str::from_utf8(token)
                .ok()
                .and_then(|text| text.parse::<f64>().ok())
                .filter(|value| value.is_finite())
                .map(FieldValue::Float)
                .ok_or(LineErrorKind::InvalidFloat)
        }
    }
}

fn boolean(token: &[u8]) -> Result<FieldValue<'static>, LineErrorKind> {
    match token {
        b"t" | b"T" | b"true" | b"True" | b"TRUE" => Ok(FieldValue::Boolean(true)),
        b"f" | b"F" | b"false" | b"False" | b"FALSE" => Ok(FieldValue::Boolean(false)),
        _ => Err(LineErrorKind::InvalidBoolean),
    }
}

/// Scans a string value from just after its opening quote; returns the closing quote's
/// position, whether the string holds a backslash, and how many newlines it holds.
fn string(buf: &[u8], mut i: usize) -> Result<(usize, bool, usize), LineErrorKind> {
    let mut escaped = false;
    let mut newlines = 0;
    while i < buf.len() {
        let Some(found) = memchr3(b'"', b'\\', b'\n', &buf[i..]) else {
            break;
        };
        let at = i + found;
        match buf[at] {
            b'"' => return Ok((at, escaped, newlines)),
            b'\\' => {
                escaped = true;
                if buf.get(at + 1) == Some(&b'\n') {
                    newlines += 1;
                }
                i = at + 2;
            }
            _ => {
                newlines += 1;
                i = at + 1;
            }
        }
    }
    Err(LineErrorKind::UnbalancedQuotes)
}

/// What a body's scan leaves behind.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// One table per measurement, in order of first appearance (some may have no rows).
    pub(crate) tables: Vec<TableBuilder>,
    /// The rejected lines, in body order.
    pub(crate) errors: Vec<LineError>,
    /// Lines accepted.
    pub(crate) points: usize,
}

/// The state of one body's scan.
struct BodyScanner<'a> {
    buf: &'a [u8],
    options: ParseOptions,
    body_is_utf8: bool,
    tables: Vec<TableBuilder>,
    table_index: HashMap<Box<[u8]>, usize>,
    hasher: DefaultHashBuilder,
    key_scratch: Vec<u8>,
    value_scratch: Vec<u8>,
    /// Newlines inside string values of the line just parsed.
    string_newlines: usize,
    /// The table the current line writes to.
    current: Option<usize>,
    /// The table the previous line wrote to: consecutive lines often share a measurement.
    last_table: Option<usize>,
}

/// The position of the newline that ends the physical line holding `i` (or the body's end).
fn physical_line_end(buf: &[u8], i: usize) -> usize {
    memchr(b'\n', &buf[i..]).map_or(buf.len(), |n| i + n)
}

/// Scans a whole body.
pub(crate) fn scan(buf: &[u8], options: ParseOptions) -> Scanned {
    let mut scanner = BodyScanner {
        buf,
        options,
        body_is_utf8: simdutf8::basic::from_utf8(buf).is_ok(),
        tables: Vec::new(),
        table_index: HashMap::new(),
        hasher: DefaultHashBuilder::default(),
        key_scratch: Vec::new(),
        value_scratch: Vec::new(),
        string_newlines: 0,
        current: None,
        last_table: None,
    };
    let mut errors = Vec::new();
    let mut points = 0;
    let mut line_number = 0;
    let mut pos = 0;
    while pos < buf.len() {
        line_number += 1;
        let mut start = pos;
        while start < buf.len() && matches!(buf[start], b' ' | b'\t' | b'\r') {
            start += 1;
        }
        if start == buf.len() {
            break;
        }
        if matches!(buf[start], b'\n' | b'#') {
            pos = physical_line_end(buf, start) + 1;
            continue;
        }
        match scanner.line(start) {
            Ok(next) => {
                points += 1;
                line_number += scanner.string_newlines;
                pos = next;
            }
            Err(kind) => {
                if let Some(table) = scanner.current {
                    scanner.tables[table].rollback();
                }
                let physical_end = physical_line_end(buf, start);
                let text = &buf[start..physical_end];
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                errors.push(LineError::new(line_number, text, kind));
                pos = physical_end + 1;
            }
        }
    }
    Scanned {
        tables: scanner.tables,
        errors,
        points,
    }
}

impl BodyScanner<'_> {
    /// Parses the line at `start` into its table; returns where the next line starts.
    fn line(&mut self, start: usize) -> Result<usize, LineErrorKind> {
        self.current = None;
        self.string_newlines = 0;
        if !self.body_is_utf8
            && std::str::from_utf8(&self.buf[start..physical_line_end(self.buf, start)]).is_err()
        {
            return Err(LineErrorKind::InvalidUtf8);
        }
        let buf = self.buf;

        // Measurement.
        if matches!(buf[start], b',' | b' ') {
            return Err(LineErrorKind::MissingMeasurement);
        }
        let (mut i, escaped) = scan_token(buf, start, &MEASUREMENT_SPECIAL);
        if at_end(buf, i) {
            return Err(LineErrorKind::MissingFields);
        }
        let mut measurement_scratch = std::mem::take(&mut self.key_scratch);
        let measurement = escape::resolve(
            &buf[start..i],
            escaped,
            Escapes::Measurement,
            &mut measurement_scratch,
        );
        let table = self.table(measurement);
        self.key_scratch = measurement_scratch;
        let table = table?;
        self.current = Some(table);
        let BodyScanner {
            tables,
            hasher,
            key_scratch,
            value_scratch,
            options,
            string_newlines,
            body_is_utf8,
            ..
        } = self;
        let table = &mut tables[table];
        table.begin_line();

        // Tags.
        let mut position = 0;
        while buf[i] == b',' {
            let key_start = i + 1;
            let (key_end, key_escaped) = scan_token(buf, key_start, &KEY_SPECIAL);
            if key_end == key_start {
                return Err(LineErrorKind::MissingTagKey);
            }
            if at_end(buf, key_end) || buf[key_end] != b'=' {
                return Err(LineErrorKind::MissingTagValue);
            }
            let value_start = key_end + 1;
            let (value_end, value_escaped) = scan_token(buf, value_start, &KEY_SPECIAL);
            if value_end == value_start {
                return Err(LineErrorKind::MissingTagValue);
            }
            if at_end(buf, value_end) {
                return Err(LineErrorKind::MissingFields);
            }
            if buf[value_end] == b'=' {
                return Err(LineErrorKind::InvalidTagFormat);
            }
            let key = escape::resolve(
                &buf[key_start..key_end],
                key_escaped,
                Escapes::Key,
                key_scratch,
            );
            let value = escape::resolve(
                &buf[value_start..value_end],
                value_escaped,
                Escapes::Key,
                value_scratch,
            );
            table.push_tag(position, key, value, hasher)?;
            position += 1;
            i = value_end;
        }

        // Fields.
        while i < buf.len() && buf[i] == b' ' {
            i += 1;
        }
        if at_end(buf, i) {
            return Err(LineErrorKind::MissingFields);
        }
        let mut position = 0;
        loop {
            let key_start = i;
            let (key_end, key_escaped) = scan_token(buf, key_start, &KEY_SPECIAL);
            if key_end == key_start {
                return Err(if at_end(buf, key_end) || buf[key_end] == b' ' {
                    LineErrorKind::MissingFields
                } else {
                    LineErrorKind::MissingFieldKey
                });
            }
            if at_end(buf, key_end) || buf[key_end] != b'=' {
                return Err(LineErrorKind::MissingFieldValue);
            }
            let value_start = key_end + 1;
            let value_end;
            let value = match buf.get(value_start).copied() {
                Some(b'"') => {
                    let (end, escaped, newlines) = string(buf, value_start + 1)?;
                    *string_newlines += newlines;
                    value_end = end + 1;
                    FieldValue::String(escape::resolve(
                        &buf[value_start + 1..end],
                        escaped,
                        Escapes::String,
                        value_scratch,
                    ))
                }
                None | Some(b',' | b' ' | b'\n' | b'\r') => {
                    return Err(LineErrorKind::MissingFieldValue);
                }
                Some(b'-' | b'.' | b'0'..=b'9')
                    if let Some((value, len)) = leading_decimal(&buf[value_start..]) =>
                {
                    value_end = value_start + len;
                    FieldValue::Float(value)
                }
                Some(first) => {
                    value_end = value_start
                        + buf[value_start..]
                            .iter()
                            .position(|&b| VALUE_END[b as usize])
                            .unwrap_or(buf.len() - value_start);
                    let token = &buf[value_start..value_end];
                    match first {
                        b'-' | b'.' | b'0'..=b'9' => number(token)?,
                        _ => boolean(token)?,
                    }
                }
            };
            let key = escape::resolve(
                &buf[key_start..key_end],
                key_escaped,
                Escapes::Key,
                key_scratch,
            );
            table.push_field(position, key, value)?;
            position += 1;
            i = value_end;
            if i < buf.len() && buf[i] == b',' {
                i += 1;
                continue;
            }
            if at_end(buf, i) || buf[i] == b' ' {
                break;
            }
            return Err(LineErrorKind::InvalidFieldFormat);
        }

        // Timestamp.
        while i < buf.len() && buf[i] == b' ' {
            i += 1;
        }
        let (time, next) = if let Some(next) = line_end(buf, i) {
            (options.default_time, next)
        } else {
            let digits_start = i;
            if buf[i] == b'-' {
                i += 1;
            }
            while i < buf.len() && buf[i].is_ascii_digit() {
                i += 1;
            }
            let next = line_end(buf, i).ok_or(LineErrorKind::BadTimestamp)?;
            let digits = &buf[digits_start..i];
            let value = parse_integer(digits).ok_or(LineErrorKind::BadTimestamp)?;
            let time = options
                .precision
                .to_nanos(value)
                .filter(|nanos| (MIN_NANOS..=MAX_NANOS).contains(nanos))
                .ok_or(LineErrorKind::TimeOutsideRange)?;
            (time, next)
        };
        if !*body_is_utf8 && *string_newlines > 0 && std::str::from_utf8(&buf[start..next]).is_err()
        {
            return Err(LineErrorKind::InvalidUtf8);
        }
        table.commit(time);
        Ok(next)
    }

    /// The table of `measurement`, created on first sight.
    fn table(&mut self, measurement: &[u8]) -> Result<usize, LineErrorKind> {
        if let Some(last) = self.last_table
            && self.tables[last].measurement().as_bytes() == measurement
        {
            return Ok(last);
        }
        let table = match self.table_index.get(measurement) {
            Some(&table) => table,
            None => {
                let name =
                    std::str::from_utf8(measurement).map_err(|_| LineErrorKind::InvalidUtf8)?;
                self.tables.push(TableBuilder::new(name.into()));
                self.table_index
                    .insert(measurement.into(), self.tables.len() - 1);
                self.tables.len() - 1
            }
        };
        self.last_table = Some(table);
        Ok(table)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn the_decimal_fast_path_rounds_as_the_general_parser(
            text in "-?[0-9]{0,10}(\\.[0-9]{0,12})?",
        ) {
            let expected = text.parse::<f64>().ok();
            if let Some(fast) = simple_decimal(text.as_bytes()) {
                prop_assert_eq!(Some(fast.to_bits()), expected.map(f64::to_bits), "{}", text);
            }
        }
    }

    #[test]
    fn the_decimal_fast_path_leaves_the_hard_cases_to_the_general_parser() {
        assert_eq!(simple_decimal(b"97.5"), Some(97.5));
        assert_eq!(simple_decimal(b"-0"), Some(-0.0));
        assert_eq!(simple_decimal(b"5."), Some(5.0));
        assert_eq!(simple_decimal(b".25"), Some(0.25));
        for hard in [
            "1e5",
            "1234567890123456",
            "0.1234567890123456",
            ".",
            "-",
            "1.2.3",
            "",
        ] {
            assert_eq!(simple_decimal(hard.as_bytes()), None, "{hard}");
        }
    }
}
