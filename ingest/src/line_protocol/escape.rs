//! Backslash escapes of line protocol.
//!
//! A backslash before one of the bytes that its token escapes stands for that byte; a
//! backslash before anything else is a literal backslash (and the byte after it is kept as
//! well). The escaped bytes are, as in InfluxDB:
//!
//! | token | `\` escapes |
//! |---|---|
//! | measurement | `,` space `\` |
//! | tag key, tag value, field key | `,` `=` space `\` |
//! | string field value | `"` `\` |

/// Which token's escapes apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escapes {
    /// A measurement name.
    Measurement,
    /// A tag key, tag value or field key.
    Key,
    /// A string field value (between its quotes).
    String,
}

impl Escapes {
    fn escapes(self, byte: u8) -> bool {
        match self {
            Escapes::Measurement => matches!(byte, b',' | b' ' | b'\\'),
            Escapes::Key => matches!(byte, b',' | b'=' | b' ' | b'\\'),
            Escapes::String => matches!(byte, b'"' | b'\\'),
        }
    }
}

/// The token's bytes with escapes resolved: `raw` itself when it holds no backslash (no copy),
/// else the unescaped bytes written into `scratch`.
#[inline]
pub(crate) fn resolve<'a>(
    raw: &'a [u8],
    has_backslash: bool,
    escapes: Escapes,
    scratch: &'a mut Vec<u8>,
) -> &'a [u8] {
    if !has_backslash {
        return raw;
    }
    scratch.clear();
    let mut i = 0;
    while i < raw.len() {
        if raw[i] == b'\\' && i + 1 < raw.len() && escapes.escapes(raw[i + 1]) {
            scratch.push(raw[i + 1]);
            i += 2;
        } else {
            scratch.push(raw[i]);
            i += 1;
        }
    }
    scratch
}

/// Appends `text` to `out` with the escapes of `escapes` applied: the inverse of [`resolve`].
pub fn escape_into(text: &str, escapes: Escapes, out: &mut String) {
    for c in text.chars() {
        if c.is_ascii() && escapes.escapes(c as u8) {
            out.push('\\');
        }
        out.push(c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unescape(raw: &str, escapes: Escapes) -> String {
        let mut scratch = Vec::new();
        String::from_utf8(resolve(raw.as_bytes(), true, escapes, &mut scratch).to_vec()).unwrap()
    }

    #[test]
    fn each_token_resolves_its_own_escapes_only() {
        assert_eq!(
            unescape(r"a\,b\ c\\d\=e", Escapes::Measurement),
            r"a,b c\d\=e"
        );
        assert_eq!(unescape(r"a\,b\ c\\d\=e", Escapes::Key), r"a,b c\d=e");
        assert_eq!(
            unescape(r#"a\"b\\c\,d\n"#, Escapes::String),
            r#"a"b\c\,d\n"#
        );
    }

    #[test]
    fn escaping_inverts_resolving() {
        for escapes in [Escapes::Measurement, Escapes::Key, Escapes::String] {
            let text = r#"we,ird = "te\xt"\"#;
            let mut escaped = String::new();
            escape_into(text, escapes, &mut escaped);
            assert_eq!(unescape(&escaped, escapes), text, "{escapes:?}");
        }
    }
}
