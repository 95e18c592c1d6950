//! The conversions `bool()`, `int()`, `float()`, `string()` and `duration()`, as Go's
//! `strconv` and Kapacitor convert.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, DurationNanosecondArray, Int64Array, StringArray,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, DurationNanosecondType, Float64Type, Int64Type, TimeUnit};
use condenser_model::Duration;

/// `Some(result)` when `name` is a conversion: the result, or `None` when its argument is of
/// a type it does not take.
pub(super) fn call(name: &str, args: &[ArrayRef], rows: usize) -> Option<Option<ArrayRef>> {
    Some(match (name, args) {
        ("bool", [x]) => to_bool(x),
        ("int", [x]) => to_int(x),
        ("float", [x]) => to_float(x),
        ("string", [x]) => to_string(x),
        ("duration", [x]) => {
            (matches!(x.data_type(), DataType::Duration(_))).then(|| Arc::clone(x))
        }
        ("duration", [x, unit]) => to_duration(x, unit, rows),
        ("bool" | "int" | "float" | "string" | "duration", _) => None,
        _ => return None,
    })
}

fn to_bool(x: &ArrayRef) -> Option<ArrayRef> {
    Some(match x.data_type() {
        DataType::Boolean => Arc::clone(x),
        // Kapacitor converts 0 and 1 only; any other number fails the point.
        DataType::Int64 => Arc::new(
            x.as_primitive::<Int64Type>()
                .iter()
                .map(|v| match v? {
                    0 => Some(false),
                    1 => Some(true),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        DataType::Float64 => Arc::new(
            x.as_primitive::<Float64Type>()
                .iter()
                .map(|v| match v? {
                    0.0 => Some(false),
                    1.0 => Some(true),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        // Go's strconv.ParseBool.
        DataType::Utf8 => Arc::new(
            x.as_string::<i32>()
                .iter()
                .map(|v| match v? {
                    "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
                    "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
                    _ => None,
                })
                .collect::<BooleanArray>(),
        ),
        _ => return None,
    })
}

fn to_int(x: &ArrayRef) -> Option<ArrayRef> {
    Some(match x.data_type() {
        DataType::Int64 => Arc::clone(x),
        // Go's int64(f): towards zero; out of range, Go gives the minimum int64 (amd64).
        DataType::Float64 => Arc::new(x.as_primitive::<Float64Type>().unary::<_, Int64Type>(|v| {
            // 2^63: the first float past i64::MAX.
            const LIMIT: f64 = 9_223_372_036_854_775_808.0;
            if v.is_nan() || !(-LIMIT..LIMIT).contains(&v) {
                i64::MIN
            } else {
                v as i64
            }
        })),
        DataType::Boolean => cast(x, &DataType::Int64).ok()?,
        // Go's strconv.ParseInt(s, 10, 64): an optional sign and decimal digits only.
        DataType::Utf8 => Arc::new(
            x.as_string::<i32>()
                .iter()
                .map(|v| parse_go_int(v?))
                .collect::<Int64Array>(),
        ),
        _ => return None,
    })
}

fn parse_go_int(text: &str) -> Option<i64> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn to_float(x: &ArrayRef) -> Option<ArrayRef> {
    Some(match x.data_type() {
        DataType::Float64 => Arc::clone(x),
        DataType::Int64 | DataType::Boolean => cast(x, &DataType::Float64).ok()?,
        // Go's strconv.ParseFloat(s, 64).
        DataType::Utf8 => Arc::new(
            x.as_string::<i32>()
                .iter()
                .map(|v| parse_go_float(v?))
                .collect::<arrow::array::Float64Array>(),
        ),
        _ => return None,
    })
}

/// Go's `strconv.ParseFloat`: decimal (with exponent), `inf`/`infinity`/`nan` in any case,
/// with an optional sign; no white space.
fn parse_go_float(text: &str) -> Option<f64> {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), "inf" | "infinity" | "nan") {
        return text.to_ascii_lowercase().parse().ok();
    }
    if unsigned.is_empty()
        || !unsigned
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-' | b'_'))
    {
        return None;
    }
    unsigned
        .parse::<f64>()
        .ok()
        .map(|v| if text.starts_with('-') { -v } else { v })
}

fn to_string(x: &ArrayRef) -> Option<ArrayRef> {
    Some(match x.data_type() {
        DataType::Utf8 => Arc::clone(x),
        DataType::Dictionary(_, _) => cast(x, &DataType::Utf8).ok()?,
        DataType::Int64 => cast(x, &DataType::Utf8).ok()?,
        // Go's strconv.FormatBool.
        DataType::Boolean => Arc::new(
            x.as_boolean()
                .iter()
                .map(|v| v.map(|v| if v { "true" } else { "false" }))
                .collect::<StringArray>(),
        ),
        // Go's strconv.FormatFloat(f, 'f', -1, 64): the shortest exact digits, no exponent.
        DataType::Float64 => Arc::new(
            x.as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.map(go_float_string))
                .collect::<StringArray>(),
        ),
        // InfluxQL's duration format (`90s`, `2m`), as Kapacitor's string() prints one.
        DataType::Duration(TimeUnit::Nanosecond) => Arc::new(
            x.as_primitive::<DurationNanosecondType>()
                .iter()
                .map(|v| v.map(|v| Duration::from_nanos(v).to_string()))
                .collect::<StringArray>(),
        ),
        _ => return None,
    })
}

/// A float as Go's `strconv.FormatFloat(f, 'f', -1, 64)` writes it.
pub(crate) fn go_float_string(v: f64) -> String {
    if v.is_nan() {
        "NaN".to_owned()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        v.to_string()
    }
}

/// `duration(x, unit)`: an integer times the unit, a float times the unit (truncated to
/// nanoseconds), or a string parsed as an InfluxQL duration (the unit unused).
fn to_duration(x: &ArrayRef, unit: &ArrayRef, rows: usize) -> Option<ArrayRef> {
    if !matches!(unit.data_type(), DataType::Duration(TimeUnit::Nanosecond)) {
        return None;
    }
    let units = unit.as_primitive::<DurationNanosecondType>();
    let unit_at = |row: usize| units.is_valid(row).then(|| units.value(row));
    let out: DurationNanosecondArray = match x.data_type() {
        DataType::Int64 => {
            let x = x.as_primitive::<Int64Type>();
            (0..rows)
                .map(|r| Some(x.is_valid(r).then(|| x.value(r))?.wrapping_mul(unit_at(r)?)))
                .collect()
        }
        DataType::Float64 => {
            let x = x.as_primitive::<Float64Type>();
            (0..rows)
                .map(|r| Some((x.is_valid(r).then(|| x.value(r))? * unit_at(r)? as f64) as i64))
                .collect()
        }
        DataType::Utf8 => {
            let x = x.as_string::<i32>();
            (0..rows)
                .map(|r| parse_influxql_duration(x.is_valid(r).then(|| x.value(r))?))
                .collect()
        }
        _ => return None,
    };
    Some(Arc::new(out))
}

/// InfluxQL's `ParseDuration`: one or more `<integer><unit>` parts (`1h30m`), units `ns`,
/// `u`/`µ`, `ms`, `s`, `m`, `h`, `d`, `w`; a bare `0`.
fn parse_influxql_duration(text: &str) -> Option<i64> {
    if text == "0" {
        return Some(0);
    }
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if rest.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    while !rest.is_empty() {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: i64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let (unit, length) = match rest.as_bytes() {
            [b'n', b's', ..] => (1, 2),
            [b'm', b's', ..] => (1_000_000, 2),
            [b'u', ..] => (1_000, 1),
            _ if rest.starts_with('µ') => (1_000, 'µ'.len_utf8()),
            [b's', ..] => (1_000_000_000, 1),
            [b'm', ..] => (60_000_000_000, 1),
            [b'h', ..] => (3_600_000_000_000, 1),
            [b'd', ..] => (86_400_000_000_000, 1),
            [b'w', ..] => (604_800_000_000_000, 1),
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit)?)?;
        rest = &rest[length..];
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_parse_as_go_parses_them() {
        assert_eq!(parse_go_int("+12"), Some(12));
        assert_eq!(parse_go_int(" 12"), None);
        assert_eq!(parse_go_int("1.5"), None);
        assert_eq!(parse_go_float("1e3"), Some(1000.0));
        assert_eq!(parse_go_float("-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_go_float("1 "), None);
        assert_eq!(parse_influxql_duration("1h30m"), Some(5_400_000_000_000));
        assert_eq!(parse_influxql_duration("5x"), None);
        assert_eq!(go_float_string(100.0), "100");
        assert_eq!(go_float_string(0.1), "0.1");
    }
}
