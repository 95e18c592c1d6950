//! JSON as Go's `encoding/json` writes it, which is what Kapacitor's handlers send: floats
//! in their shortest form without a trailing `.0` (`10`, `1e+21`, `1e-7`), and `<`, `>`,
//! `&`, U+2028 and U+2029 escaped inside strings (`\u003c`).
//!
//! [`to_string`] writes any `Serialize` value so (struct fields in declaration order, as
//! serde gives them); [`push_float`] and [`push_string`] write one value, for writers of
//! their own (the templates' `json` function).

use std::io;

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter};

/// `value` as Go's `encoding/json` writes it (without `json.Encoder`'s trailing newline).
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> String {
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    // Writing to a vector fails only on a map with keys that are not strings, which the
    // model's types do not have.
    if value.serialize(&mut serializer).is_err() {
        return "null".to_owned();
    }
    String::from_utf8(out).unwrap_or_default()
}

/// Appends Go's JSON number of a float: `f` form, or `e` form when the exponent is below -6
/// or at least 21 (`1e+21`, `1.5e-7`); `null` for what JSON cannot hold.
pub fn push_float(v: f64, out: &mut String) {
    out.push_str(&float(v));
}

/// Go's JSON number of a float (see [`push_float`]).
pub fn float(v: f64) -> String {
    if !v.is_finite() {
        return "null".to_owned();
    }
    let abs = v.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        let text = format!("{v:e}");
        match text.split_once('e') {
            Some((mantissa, exponent)) if !exponent.starts_with('-') => {
                format!("{mantissa}e+{exponent}")
            }
            _ => text,
        }
    } else {
        format!("{v}")
    }
}

/// Appends a JSON string as Go writes it: `<`, `>`, `&`, U+2028 and U+2029 escaped.
pub fn push_string(s: &str, out: &mut String) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        // What to write for the character at `i`, and how many bytes it takes.
        let (escape, len): (&str, usize) = match bytes[i] {
            b'"' => ("\\\"", 1),
            b'\\' => ("\\\\", 1),
            b'\n' => ("\\n", 1),
            b'\r' => ("\\r", 1),
            b'\t' => ("\\t", 1),
            b'<' | b'>' | b'&' | 0..0x20 => ("", 1),
            0xe2 if bytes.get(i + 1) == Some(&0x80)
                && matches!(bytes.get(i + 2), Some(0xa8 | 0xa9)) =>
            {
                ("", 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        // Every character escaped is ASCII or starts a multi-byte one: `i` is a boundary.
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let code = s[i..].chars().next().map_or(0, u32::from);
            push_unicode_escape(code, out);
        } else {
            out.push_str(escape);
        }
        i += len;
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// Appends `\uXXXX` (lowercase hex) for a character of the Basic Multilingual Plane.
fn push_unicode_escape(code: u32, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push_str("\\u");
    for shift in [12, 8, 4, 0] {
        out.push(char::from(HEX[((code >> shift) & 0xf) as usize]));
    }
}

/// serde_json's formatter with Go's floats and string escapes.
struct GoFormatter;

impl Formatter for GoFormatter {
    fn write_f64<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f64) -> io::Result<()> {
        writer.write_all(float(value).as_bytes())
    }

    fn write_f32<W: ?Sized + io::Write>(&mut self, writer: &mut W, value: f32) -> io::Result<()> {
        self.write_f64(writer, f64::from(value))
    }

    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if matches!(c, '<' | '>' | '&' | '\u{2028}' | '\u{2029}') {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn write_char_escape<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // Go writes \b and \f as \u0008 and \u000c; the rest as serde_json does.
        match escape {
            CharEscape::Backspace => writer.write_all(b"\\u0008"),
            CharEscape::FormFeed => writer.write_all(b"\\u000c"),
            CharEscape::AsciiControl(byte) => write!(writer, "\\u{byte:04x}"),
            CharEscape::Quote => writer.write_all(b"\\\""),
            CharEscape::ReverseSolidus => writer.write_all(b"\\\\"),
            CharEscape::Solidus => writer.write_all(b"\\/"),
            CharEscape::LineFeed => writer.write_all(b"\\n"),
            CharEscape::CarriageReturn => writer.write_all(b"\\r"),
            CharEscape::Tab => writer.write_all(b"\\t"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_and_strings_are_written_as_go_writes_them() {
        let value = serde_json::json!({"a": [10.0, 0.5, 1e21, 1.5e-7, 1e-6, 123456789.0], "s": "a<b>&c\u{2028}\u{8}"});
        assert_eq!(
            to_string(&value),
            r#"{"a":[10,0.5,1e+21,1.5e-7,0.000001,123456789],"s":"a\u003cb\u003e\u0026c\u2028\u0008"}"#
        );
        let mut out = String::new();
        push_string("x&y", &mut out);
        push_float(-2.5e-9, &mut out);
        assert_eq!(out, r#""x\u0026y"-2.5e-9"#);
    }

    #[test]
    fn a_string_is_escaped_as_serde_escapes_it_with_go_s_additions() {
        // Every character that needs an escape, next to multi-byte ones that do not.
        let text = "é\"q\\b\n\r\t\u{1}<>&\u{2028}\u{2029}\u{2027}日本 end";
        let mut ours = String::new();
        push_string(text, &mut ours);
        assert_eq!(ours, to_string(text));
        assert_eq!(
            ours,
            "\"é\\\"q\\\\b\\n\\r\\t\\u0001\\u003c\\u003e\\u0026\\u2028\\u2029\u{2027}日本 end\""
        );
    }
}
