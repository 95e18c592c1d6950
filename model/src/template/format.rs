//! Go's `fmt` as templates print: `%v` of every value, `printf`'s verbs, flags, widths and
//! precisions, and the text of a `time.Time`, a `time.Duration` and a `float64`.

use super::Value;
use super::exec::type_name;
use crate::go_json;

/// How Go's `fmt.Sprint` prints `value` (`%v`); Go's invalid value prints as `<no value>`.
pub(super) fn print_value(value: &Value) -> String {
    match value {
        Value::Nil => "<no value>".to_owned(),
        other => verb_v(other),
    }
}

/// Go's `fmt.Sprint` of values: each as `%v` (a nil as `<nil>`), with a space between two
/// neighbours neither of which is a string.
pub(super) fn sprint(args: &[&Value]) -> String {
    let mut out = String::new();
    for (i, arg) in args.iter().enumerate() {
        if i > 0 && !matches!(arg, Value::Str(_)) && !matches!(args[i - 1], Value::Str(_)) {
            out.push(' ');
        }
        out.push_str(&verb_v(arg));
    }
    out
}

/// `%v` of a value inside another (a nil there is `<nil>`).
pub(super) fn verb_v(value: &Value) -> String {
    match value {
        Value::Nil => "<nil>".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(v) => v.to_string(),
        Value::Float(v) => go_float(*v, 'g', None),
        Value::Str(s) => s.clone(),
        Value::Time(t) => go_time(*t),
        Value::Duration(d) => go_duration(*d),
        Value::Struct(fields) => {
            let parts: Vec<String> = fields.iter().map(|(_, v)| verb_v(v)).collect();
            format!("{{{}}}", parts.join(" "))
        }
        Value::Map(map) => {
            let parts: Vec<String> = map
                .entries
                .iter()
                .map(|(k, v)| format!("{k}:{}", verb_v(v)))
                .collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::List(items) => {
            let parts: Vec<String> = items.iter().map(verb_v).collect();
            format!("[{}]", parts.join(" "))
        }
    }
}

/// Go's `strconv.FormatFloat(v, format, precision, 64)` for formats `e`, `f` and `g`
/// (`None`: the fewest digits that read back as `v`).
pub fn go_float(v: f64, format: char, precision: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".to_owned();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_owned();
    }
    match format {
        'f' => match precision {
            Some(p) => format!("{v:.p$}"),
            None => format!("{v}"),
        },
        'e' => exponent_form(v, precision),
        _ => {
            // %g: the exponent form when the exponent is below -4 or at least the precision
            // (6 for the shortest form), with trailing zeros removed.
            let (digits, exp) = decimal_digits(v, precision.map(|p| p.max(1)));
            let eprec = match precision {
                None => 6,
                Some(p) => {
                    let p = p.max(1) as i32;
                    if p > digits.len() as i32 && digits.len() as i32 > exp {
                        digits.len() as i32
                    } else {
                        p
                    }
                }
            };
            let sign = if v.is_sign_negative() { "-" } else { "" };
            if exp < -4 || exp >= eprec {
                let mantissa = if digits.len() > 1 {
                    format!("{}.{}", &digits[..1], &digits[1..])
                } else {
                    digits.clone()
                };
                format!(
                    "{sign}{mantissa}e{}{:02}",
                    if exp < 0 { '-' } else { '+' },
                    exp.abs()
                )
            } else if exp < 0 {
                format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
            } else if digits.len() as i32 > exp + 1 {
                let point = (exp + 1) as usize;
                format!("{sign}{}.{}", &digits[..point], &digits[point..])
            } else {
                format!(
                    "{sign}{digits}{}",
                    "0".repeat((exp + 1) as usize - digits.len())
                )
            }
        }
    }
}

/// The significant digits of `|v|` (trailing zeros removed) and its decimal exponent: the
/// fewest that read back as `v`, or `precision` digits rounded.
fn decimal_digits(v: f64, precision: Option<usize>) -> (String, i32) {
    let text = match precision {
        None => format!("{:e}", v.abs()),
        Some(p) => format!("{:.*e}", p - 1, v.abs()),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let mut digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    while digits.len() > 1 && digits.ends_with('0') {
        digits.pop();
    }
    (digits, exp.parse().unwrap_or(0))
}

/// `%e`: `d.ddde±dd`.
fn exponent_form(v: f64, precision: Option<usize>) -> String {
    let text = match precision {
        Some(p) => format!("{:.*e}", p, v),
        None => format!("{:e}", v),
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    format!(
        "{mantissa}e{}{:02}",
        if exp < 0 { '-' } else { '+' },
        exp.abs()
    )
}

/// Go's `time.Time.String()` of a UTC time: `2006-01-02 15:04:05.999999999 +0000 UTC`.
pub fn go_time(nanos: i64) -> String {
    let (date, clock, fraction) = crate::time::parts(nanos);
    format!("{date} {clock}{fraction} +0000 UTC")
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `1.5ms`, `0s`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".to_owned();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    let fraction = |value: u64, unit: u64| {
        let whole = value / unit;
        let rest = value % unit;
        if rest == 0 {
            whole.to_string()
        } else {
            let width = unit.ilog10() as usize;
            let digits = format!("{rest:0width$}");
            format!("{whole}.{}", digits.trim_end_matches('0'))
        }
    };
    if n < 1_000 {
        return format!("{sign}{n}ns");
    }
    if n < 1_000_000 {
        return format!("{sign}{}µs", fraction(n, 1_000));
    }
    if n < 1_000_000_000 {
        return format!("{sign}{}ms", fraction(n, 1_000_000));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = n / 60_000_000_000 % 60;
    let seconds = fraction(n % 60_000_000_000, 1_000_000_000);
    let mut text = sign.to_owned();
    if hours > 0 {
        text.push_str(&format!("{hours}h"));
    }
    if hours > 0 || minutes > 0 {
        text.push_str(&format!("{minutes}m"));
    }
    text.push_str(&format!("{seconds}s"));
    text
}

/// One `%…` directive's flags, width and precision.
#[derive(Default)]
struct Spec {
    minus: bool,
    plus: bool,
    space: bool,
    zero: bool,
    sharp: bool,
    width: Option<usize>,
    precision: Option<usize>,
}

/// Go's `fmt.Sprintf(format, args…)`, with its `%!verb(type=value)` for a bad verb and
/// `%!verb(MISSING)` for a missing argument.
pub(super) fn sprintf(format: &str, args: &[&Value]) -> String {
    let mut out = String::new();
    let mut chars = format.chars().peekable();
    let mut next = 0;
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&flag) = chars.peek() {
            match flag {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                '#' => spec.sharp = true,
                _ => break,
            }
            chars.next();
        }
        let number = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>| {
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0) * 10 + d as usize);
                chars.next();
            }
            n
        };
        spec.width = number(&mut chars);
        if chars.peek() == Some(&'.') {
            chars.next();
            spec.precision = Some(number(&mut chars).unwrap_or(0));
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next += 1;
        out.push_str(&directive(verb, &spec, arg));
    }
    if next < args.len() {
        let extra: Vec<String> = args[next..]
            .iter()
            .map(|a| format!("{}={}", type_name(a), verb_v(a)))
            .collect();
        out.push_str(&format!("%!(EXTRA {})", extra.join(", ")));
    }
    out
}

/// One directive's text, padded to its width.
fn directive(verb: char, spec: &Spec, arg: &Value) -> String {
    let signed = |text: String, negative: bool| {
        if negative {
            text
        } else if spec.plus {
            format!("+{text}")
        } else if spec.space {
            format!(" {text}")
        } else {
            text
        }
    };
    let numeric = matches!(
        (verb, arg),
        ('d' | 'x' | 'X' | 'o' | 'b' | 'v', Value::Int(_))
            | ('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'v', Value::Float(_))
    );
    let text = match (verb, arg) {
        ('v', _) => match arg {
            Value::Float(v) => signed(go_float(*v, 'g', spec.precision), *v < 0.0),
            Value::Int(v) => signed(v.to_string(), *v < 0),
            other => verb_v(other),
        },
        ('d', Value::Int(v)) => signed(v.to_string(), *v < 0),
        ('x', Value::Int(v)) => signed(radix(*v, 16, spec.sharp, "0x"), *v < 0),
        ('X', Value::Int(v)) => signed(radix(*v, 16, spec.sharp, "0X").to_uppercase(), *v < 0),
        ('o', Value::Int(v)) => signed(radix(*v, 8, spec.sharp, "0"), *v < 0),
        ('b', Value::Int(v)) => signed(radix(*v, 2, false, ""), *v < 0),
        ('c', Value::Int(v)) => char::from_u32(*v as u32).unwrap_or('\u{FFFD}').to_string(),
        ('f' | 'F', Value::Float(v)) => signed(
            go_float(*v, 'f', Some(spec.precision.unwrap_or(6))),
            *v < 0.0,
        ),
        ('e', Value::Float(v)) => signed(
            exponent_form(*v, Some(spec.precision.unwrap_or(6))),
            *v < 0.0,
        ),
        ('E', Value::Float(v)) => signed(
            exponent_form(*v, Some(spec.precision.unwrap_or(6))).to_uppercase(),
            *v < 0.0,
        ),
        ('g', Value::Float(v)) => signed(go_float(*v, 'g', spec.precision), *v < 0.0),
        ('G', Value::Float(v)) => {
            signed(go_float(*v, 'g', spec.precision).to_uppercase(), *v < 0.0)
        }
        ('s', Value::Str(s)) => match spec.precision {
            Some(p) => s.chars().take(p).collect(),
            None => s.clone(),
        },
        ('s', Value::Bool(_) | Value::Int(_) | Value::Float(_) | Value::Nil) => {
            format!("%!s({}={})", type_name(arg), verb_v(arg))
        }
        ('s', other) => verb_v(other),
        ('q', Value::Str(s)) => go_quote(s),
        ('x', Value::Str(s)) => s.bytes().map(|b| format!("{b:02x}")).collect(),
        ('X', Value::Str(s)) => s.bytes().map(|b| format!("{b:02X}")).collect(),
        ('t', Value::Bool(b)) => b.to_string(),
        (verb, other) => format!("%!{verb}({}={})", type_name(other), verb_v(other)),
    };
    pad(text, spec, numeric)
}

/// `v` in `radix`, with `prefix` when `sharp`.
fn radix(v: i64, radix: u32, sharp: bool, prefix: &str) -> String {
    let magnitude = v.unsigned_abs();
    let digits = match radix {
        16 => format!("{magnitude:x}"),
        8 => format!("{magnitude:o}"),
        _ => format!("{magnitude:b}"),
    };
    let sign = if v < 0 { "-" } else { "" };
    if sharp {
        format!("{sign}{prefix}{digits}")
    } else {
        format!("{sign}{digits}")
    }
}

/// `text` padded to the directive's width: left-justified with `-`, zero-filled after the
/// sign with `0` for numbers, else space-filled on the left.
fn pad(text: String, spec: &Spec, numeric: bool) -> String {
    let Some(width) = spec.width else {
        return text;
    };
    let length = text.chars().count();
    if length >= width {
        return text;
    }
    let fill = width - length;
    if spec.minus {
        format!("{text}{}", " ".repeat(fill))
    } else if spec.zero && numeric {
        let (sign, digits) = match text.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (c.to_string(), text[1..].to_owned()),
            _ => (String::new(), text),
        };
        format!("{sign}{}{digits}", "0".repeat(fill))
    } else {
        format!("{}{text}", " ".repeat(fill))
    }
}

/// Go's `strconv.Quote`: quotes and backslashes escaped, and what Go does not print as is
/// (control characters, white space other than a space, invisible formatting characters)
/// as escapes.
pub(super) fn go_quote(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control()
                || (c.is_whitespace() && c != ' ')
                || matches!(
                    c,
                    '\u{ad}'
                        | '\u{200b}'..='\u{200f}'
                        | '\u{202a}'..='\u{202e}'
                        | '\u{2060}'..='\u{2064}'
                        | '\u{feff}'
                ) =>
            {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `encoding/json` of a value: struct fields in order, map keys sorted, times as
/// RFC 3339 with nanoseconds, durations as integer nanoseconds, `<`, `>` and `&` escaped.
pub(super) fn go_json(value: &Value) -> String {
    let mut out = String::new();
    write_json(value, &mut out);
    out
}

fn write_json(value: &Value, out: &mut String) {
    match value {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(v) | Value::Duration(v) => out.push_str(&v.to_string()),
        Value::Float(v) => go_json::push_float(*v, out),
        Value::Str(s) => go_json::push_string(s, out),
        Value::Time(t) => go_json::push_string(&crate::time::rfc3339_nano(*t), out),
        Value::Struct(fields) => write_object(fields.iter().map(|(k, v)| (k, v)), out),
        Value::Map(map) => write_object(map.entries.iter(), out),
        Value::List(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(v, out);
            }
            out.push(']');
        }
    }
}

/// A JSON object of `entries`, in their order.
fn write_object<'a>(entries: impl Iterator<Item = (&'a String, &'a Value)>, out: &mut String) {
    out.push('{');
    for (i, (k, v)) in entries.enumerate() {
        if i > 0 {
            out.push(',');
        }
        go_json::push_string(k, out);
        out.push(':');
        write_json(v, out);
    }
    out.push('}');
}

/// The calendar parts of a UTC time: year, month (1–12), day, hour, minute, second,
/// nanosecond, weekday (0 is Sunday) and day of the year (1–366).
pub(super) struct Civil {
    pub(super) year: i64,
    pub(super) month: u32,
    pub(super) day: u32,
    pub(super) hour: i64,
    pub(super) minute: i64,
    pub(super) second: i64,
    pub(super) nanosecond: i64,
    pub(super) weekday: usize,
    pub(super) year_day: i64,
}

/// The calendar parts of `nanos` since the epoch, in UTC.
pub(super) fn civil(nanos: i64) -> Civil {
    let seconds = nanos.div_euclid(1_000_000_000);
    let days = seconds.div_euclid(86_400);
    let clock = seconds.rem_euclid(86_400);
    let (year, month, day) = crate::time::civil_from_days(days);
    Civil {
        year,
        month,
        day,
        hour: clock / 3_600,
        minute: clock / 60 % 60,
        second: clock % 60,
        nanosecond: nanos.rem_euclid(1_000_000_000),
        // 1970-01-01 was a Thursday.
        weekday: (days + 4).rem_euclid(7) as usize,
        year_day: days - crate::time::days_from_civil(year, 1, 1) + 1,
    }
}

/// Go's month names.
pub(super) const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Go's weekday names, Sunday first.
pub(super) const WEEKDAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];

/// Go's `time.Time.Format(layout)` of a UTC time: the reference time
/// `Mon Jan 2 15:04:05 MST 2006` written the way the result should look.
pub fn go_format_time(nanos: i64, layout: &str) -> String {
    let c = civil(nanos);
    let month = MONTHS[(c.month as usize + 11) % 12];
    let weekday = WEEKDAYS[c.weekday];
    let hour12 = if c.hour % 12 == 0 { 12 } else { c.hour % 12 };
    let mut out = String::with_capacity(layout.len() + 8);
    let mut rest = layout;
    while let Some(ch) = rest.chars().next() {
        // Fractions: `.000` (fixed) or `.999` (trailing zeros dropped), after `.` or `,`.
        if (ch == '.' || ch == ',')
            && let Some(digit @ ('0' | '9')) = rest[1..].chars().next()
        {
            let run = rest[1..].chars().take_while(|&d| d == digit).count();
            let after = rest[1 + run..].chars().next();
            if !after.is_some_and(|a| a.is_ascii_digit()) {
                let digits = format!("{:09}", c.nanosecond);
                let digits = &digits[..run.min(9)];
                if digit == '0' {
                    out.push(ch);
                    out.push_str(digits);
                } else {
                    let trimmed = digits.trim_end_matches('0');
                    if !trimmed.is_empty() {
                        out.push(ch);
                        out.push_str(trimmed);
                    }
                }
                rest = &rest[1 + run..];
                continue;
            }
        }
        let chunks = [
            ("January", month.to_owned()),
            ("Jan", month[..3].to_owned()),
            ("Monday", weekday.to_owned()),
            ("Mon", weekday[..3].to_owned()),
            ("MST", "UTC".to_owned()),
            ("2006", format!("{:04}", c.year)),
            ("Z07:00:00", "Z".to_owned()),
            ("Z070000", "Z".to_owned()),
            ("Z07:00", "Z".to_owned()),
            ("Z0700", "Z".to_owned()),
            ("Z07", "Z".to_owned()),
            ("-07:00:00", "+00:00:00".to_owned()),
            ("-070000", "+000000".to_owned()),
            ("-07:00", "+00:00".to_owned()),
            ("-0700", "+0000".to_owned()),
            ("-07", "+00".to_owned()),
            ("002", format!("{:03}", c.year_day)),
            ("__2", format!("{:>3}", c.year_day)),
            ("_2", format!("{:>2}", c.day)),
            ("01", format!("{:02}", c.month)),
            ("02", format!("{:02}", c.day)),
            ("03", format!("{hour12:02}")),
            ("04", format!("{:02}", c.minute)),
            ("05", format!("{:02}", c.second)),
            ("06", format!("{:02}", c.year.rem_euclid(100))),
            ("15", format!("{:02}", c.hour)),
            ("PM", if c.hour >= 12 { "PM" } else { "AM" }.to_owned()),
            ("pm", if c.hour >= 12 { "pm" } else { "am" }.to_owned()),
            ("1", format!("{}", c.month)),
            ("2", format!("{}", c.day)),
            ("3", format!("{hour12}")),
            ("4", format!("{}", c.minute)),
            ("5", format!("{}", c.second)),
        ];
        match chunks.iter().find(|(chunk, _)| rest.starts_with(chunk)) {
            Some((chunk, value)) => {
                out.push_str(value);
                rest = &rest[chunk.len()..];
            }
            None => {
                out.push(ch);
                rest = &rest[ch.len_utf8()..];
            }
        }
    }
    out
}
