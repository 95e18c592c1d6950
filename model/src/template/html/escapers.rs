//! The functions `html/template` puts at the end of an action's pipeline, one for each
//! kind of place an action's output lands: HTML text and attribute values, URLs, JavaScript
//! values and strings, CSS values and strings.
//!
//! Each takes what the pipeline made (a value of the data, or the string an earlier one
//! made) and gives the text to write; a value unsafe where it lands becomes `ZgotmplZ`.

use crate::template::Value;
use crate::template::format::{go_float, go_json, sprint};

/// What html/template writes in place of a value that is unsafe where it lands.
const FAILSAFE: &str = "ZgotmplZ";

/// One of html/template's escaping functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::template) enum Escaper {
    /// The arguments of `{{ html a b }}` or `{{ urlquery a b }}` printed as one string, so the
    /// escaper can take them from a pipe (`fmt.Sprint`, nil as `<nil>`).
    EvalArgs,
    /// In HTML text.
    HtmlText,
    /// In the body of `<textarea>` or `<title>`.
    Rcdata,
    /// In a quoted attribute value.
    Attr,
    /// In an unquoted attribute value: white space and `=` escaped too.
    NoSpace,
    /// Where a tag's attribute name goes: a plain name or `ZgotmplZ`.
    HtmlName,
    /// In a comment: nothing.
    Comment,
    /// At the start of a URL: `#ZgotmplZ` for a scheme other than http, https or mailto.
    UrlFilter,
    /// In a URL's path: percent-encodes what may not stand in a URL, keeps the rest.
    UrlNormalizer,
    /// In a URL's query: percent-encodes everything but unreserved characters.
    UrlQuery,
    /// In a `srcset`: each URL filtered and normalized, commas kept.
    Srcset,
    /// In JavaScript: a JavaScript expression of the value (JSON).
    JsVal,
    /// In a JavaScript string.
    JsStr,
    /// In a JavaScript template literal.
    JsTmplLit,
    /// In a JavaScript regexp.
    JsRegexp,
    /// In a CSS string.
    Css,
    /// In a CSS value: the value if harmless, else `ZgotmplZ`.
    CssValue,
}

impl Escaper {
    /// Go's name of the function.
    pub(in crate::template) fn name(self) -> &'static str {
        match self {
            Escaper::EvalArgs => "_eval_args_",
            Escaper::HtmlText => "_html_template_htmlescaper",
            Escaper::Rcdata => "_html_template_rcdataescaper",
            Escaper::Attr => "_html_template_attrescaper",
            Escaper::NoSpace => "_html_template_nospaceescaper",
            Escaper::HtmlName => "_html_template_htmlnamefilter",
            Escaper::Comment => "_html_template_commentescaper",
            Escaper::UrlFilter => "_html_template_urlfilter",
            Escaper::UrlNormalizer => "_html_template_urlnormalizer",
            Escaper::UrlQuery => "_html_template_urlescaper",
            Escaper::Srcset => "_html_template_srcsetescaper",
            Escaper::JsVal => "_html_template_jsvalescaper",
            Escaper::JsStr => "_html_template_jsstrescaper",
            Escaper::JsTmplLit => "_html_template_jstmpllitescaper",
            Escaper::JsRegexp => "_html_template_jsregexpescaper",
            Escaper::Css => "_html_template_cssescaper",
            Escaper::CssValue => "_html_template_cssvaluefilter",
        }
    }

    /// The builtin (`html`, `urlquery`) that escapes as safely, which a pipeline ending in
    /// it uses in this escaper's place.
    pub(super) fn builtin(self) -> Option<&'static str> {
        match self {
            Escaper::Attr | Escaper::HtmlText | Escaper::Rcdata => Some("html"),
            Escaper::UrlQuery | Escaper::UrlNormalizer => Some("urlquery"),
            _ => None,
        }
    }

    /// Whether this escaper changes nothing after `previous` (whose output is already safe
    /// here).
    pub(super) fn redundant_after(self, previous: Escaper) -> bool {
        matches!(
            (previous, self),
            (Escaper::Comment, Escaper::Attr | Escaper::HtmlText)
                | (
                    Escaper::Css | Escaper::JsRegexp | Escaper::JsStr | Escaper::JsTmplLit,
                    Escaper::Attr
                )
                | (Escaper::UrlQuery, Escaper::UrlNormalizer)
        )
    }

    /// The text of `args` (what the pipeline piped in, after any arguments of its own)
    /// escaped.
    pub(in crate::template) fn apply(self, args: &[&Value]) -> Value {
        let text = match self {
            Escaper::EvalArgs => match args {
                [Value::Str(s)] => s.clone(),
                _ => sprint(args),
            },
            Escaper::JsVal => js_value(args),
            other => other.escape(&stringify(args)),
        };
        Value::Str(text)
    }

    /// `text` escaped (every escaper but [`Escaper::EvalArgs`] and [`Escaper::JsVal`],
    /// which read values).
    fn escape(self, text: &str) -> String {
        match self {
            Escaper::EvalArgs | Escaper::JsVal => text.to_owned(),
            Escaper::HtmlText | Escaper::Rcdata | Escaper::Attr => html_replace(text, false),
            Escaper::NoSpace if text.is_empty() => FAILSAFE.to_owned(),
            Escaper::NoSpace => html_replace(text, true),
            Escaper::HtmlName => html_name(text),
            Escaper::Comment => String::new(),
            Escaper::UrlFilter if !is_safe_url(text) => format!("#{FAILSAFE}"),
            Escaper::UrlFilter => text.to_owned(),
            Escaper::UrlNormalizer => {
                let mut out = String::with_capacity(text.len());
                push_url(text, true, &mut out);
                out
            }
            Escaper::UrlQuery => {
                let mut out = String::with_capacity(text.len());
                push_url(text, false, &mut out);
                out
            }
            Escaper::Srcset => srcset(text),
            Escaper::JsStr => js_replace(text, js_string_escape),
            Escaper::JsTmplLit => js_replace(text, |c| match c {
                '$' => Some("\\u0024"),
                '{' => Some("\\u007b"),
                '}' => Some("\\u007d"),
                c => js_string_escape(c),
            }),
            Escaper::JsRegexp if text.is_empty() => "(?:)".to_owned(),
            Escaper::JsRegexp => js_replace(text, js_regexp_escape),
            Escaper::Css => css_escape(text),
            Escaper::CssValue => css_value(text),
        }
    }
}

/// How the escapers read their arguments: one string as it is; else the values printed as
/// `fmt.Sprint` prints them, nil ones skipped.
fn stringify(args: &[&Value]) -> String {
    match args {
        [Value::Str(s)] => s.clone(),
        _ => {
            let present: Vec<&Value> = args
                .iter()
                .copied()
                .filter(|v| !matches!(v, Value::Nil))
                .collect();
            sprint(&present)
        }
    }
}

/// `text` with HTML's specials written as character references: for a quoted attribute or
/// text (`&`, `<`, `>`, `"`, `'`, `+`; NUL as U+FFFD), or with `unquoted`, for an unquoted
/// attribute (white space, `=` and `` ` `` too, and Unicode's noncharacters).
fn html_replace(text: &str, unquoted: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let escape = match c {
            '\0' if unquoted => "&#xfffd;",
            '\0' => "\u{FFFD}",
            '"' => "&#34;",
            '&' => "&amp;",
            '\'' => "&#39;",
            '+' => "&#43;",
            '<' => "&lt;",
            '>' => "&gt;",
            '\t' if unquoted => "&#9;",
            '\n' if unquoted => "&#10;",
            '\x0b' if unquoted => "&#11;",
            '\x0c' if unquoted => "&#12;",
            '\r' if unquoted => "&#13;",
            ' ' if unquoted => "&#32;",
            '=' if unquoted => "&#61;",
            '`' if unquoted => "&#96;",
            '\u{FDD0}'..='\u{FDEF}' | '\u{FFF0}'..='\u{FFFF}' if unquoted => {
                out.push_str(&format!("&#x{:x};", u32::from(c)));
                continue;
            }
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(escape);
    }
    out
}

/// An attribute name: lower-cased letters and digits of a plain attribute, else
/// `ZgotmplZ` (which also stands for an empty name).
fn html_name(text: &str) -> String {
    let name = text.to_lowercase();
    let plain = !name.is_empty()
        && attr_content(&name) == AttrContent::Plain
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if plain { name } else { FAILSAFE.to_owned() }
}

/// Whether a URL's scheme (what precedes its first `:`, if no `/` does) is safe to follow:
/// none, http, https or mailto.
fn is_safe_url(url: &str) -> bool {
    match url.split_once(':') {
        Some((scheme, _)) if !scheme.contains('/') => ["http", "https", "mailto"]
            .iter()
            .any(|safe| scheme.eq_ignore_ascii_case(safe)),
        _ => true,
    }
}

/// Appends `text` percent-encoded (lower-case hex, byte by byte of its UTF-8): all but
/// unreserved characters, or with `normalize` all but what a URL may hold as it is
/// (reserved characters and existing `%xx` escapes are kept).
fn push_url(text: &str, normalize: bool, out: &mut String) {
    let bytes = text.as_bytes();
    let mut written = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let keep = match b {
            b'!' | b'#' | b'$' | b'&' | b'*' | b'+' | b',' | b'/' | b':' | b';' | b'=' | b'?'
            | b'@' | b'[' | b']' => normalize,
            b'-' | b'.' | b'_' | b'~' => true,
            b'%' => {
                normalize
                    && bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                    && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
            }
            b => b.is_ascii_alphanumeric(),
        };
        if !keep {
            push_ascii(&bytes[written..i], out);
            out.push_str(&format!("%{b:02x}"));
            written = i + 1;
        }
    }
    push_ascii(&bytes[written..], out);
}

/// Appends bytes kept by [`push_url`], which are all ASCII.
fn push_ascii(bytes: &[u8], out: &mut String) {
    out.extend(bytes.iter().map(|&b| char::from(b)));
}

/// A `srcset` value: each comma-separated candidate's URL filtered and normalized, when its
/// descriptor is only letters, digits and spaces; else `#ZgotmplZ` for the candidate.
fn srcset(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, candidate) in text.split(',').enumerate() {
        if i > 0 {
            out.push(',');
        }
        let is_space = |c: char| matches!(c, '\t' | '\n' | '\x0c' | '\r' | ' ');
        let start = candidate.len() - candidate.trim_start_matches(is_space).len();
        let end = candidate[start..]
            .find(is_space)
            .map_or(candidate.len(), |n| n + start);
        let url = &candidate[start..end];
        let descriptor = &candidate[end..];
        if is_safe_url(url)
            && descriptor
                .chars()
                .all(|c| is_space(c) || c.is_ascii_alphanumeric())
        {
            out.push_str(&candidate[..start]);
            push_url(url, true, &mut out);
            out.push_str(descriptor);
        } else {
            out.push('#');
            out.push_str(FAILSAFE);
        }
    }
    out
}

/// A JavaScript expression of a value: Go's `encoding/json` of it (a `time.Duration` as
/// its text), set off by spaces when it starts or ends like an identifier or a number;
/// several values are the string they print as. What JSON cannot hold is `null` after a
/// comment saying so.
fn js_value(args: &[&Value]) -> String {
    let json = match args {
        [Value::Duration(d)] => Ok(go_json(&Value::Str(crate::template::go_duration(*d)))),
        [value] => marshal(value),
        _ => Ok(go_json(&Value::Str(sprint(args)))),
    };
    let json = match json {
        Ok(json) => json,
        Err(error) => return format!(" /* {error} */null "),
    };
    let ident =
        |c: Option<char>| c.is_some_and(|c| c == '$' || c == '_' || c.is_ascii_alphanumeric());
    if ident(json.chars().next()) || ident(json.chars().last()) {
        format!(" {json} ")
    } else {
        json
    }
}

/// `encoding/json`'s `Marshal` of a value: an error for a float JSON cannot hold.
fn marshal(value: &Value) -> Result<String, String> {
    fn check(value: &Value) -> Result<(), String> {
        match value {
            Value::Float(v) if !v.is_finite() => Err(format!(
                "json: unsupported value: {}",
                go_float(*v, 'g', None)
            )),
            Value::Struct(fields) => fields.iter().try_for_each(|(_, v)| check(v)),
            Value::Map(map) => map.entries.values().try_for_each(check),
            Value::List(items) => items.iter().try_for_each(check),
            _ => Ok(()),
        }
    }
    check(value)?;
    Ok(go_json(value))
}

/// `text` with the characters `escape` names replaced, and control characters, U+2028 and
/// U+2029 written as JavaScript escapes.
fn js_replace(text: &str, escape: impl Fn(char) -> Option<&'static str>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\0'..='\x1f' | '\u{2028}' | '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => match escape(c) {
                Some(escaped) => out.push_str(escaped),
                None => out.push(c),
            },
        }
    }
    out
}

/// In a JavaScript string: quotes, the HTML specials (as hex, so the string may also stand
/// in an attribute), `+`, `/` and `\`.
fn js_string_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\u0022",
        '`' => "\\u0060",
        '&' => "\\u0026",
        '\'' => "\\u0027",
        '+' => "\\u002b",
        '/' => "\\/",
        '<' => "\\u003c",
        '>' => "\\u003e",
        '\\' => "\\\\",
        _ => return None,
    })
}

/// In a JavaScript regexp: as in a string, and the regexp's own specials with `\`.
fn js_regexp_escape(c: char) -> Option<&'static str> {
    Some(match c {
        '"' => "\\u0022",
        '$' => "\\$",
        '&' => "\\u0026",
        '\'' => "\\u0027",
        '(' => "\\(",
        ')' => "\\)",
        '*' => "\\*",
        '+' => "\\u002b",
        '-' => "\\-",
        '.' => "\\.",
        '/' => "\\/",
        '<' => "\\u003c",
        '>' => "\\u003e",
        '?' => "\\?",
        '[' => "\\[",
        '\\' => "\\\\",
        ']' => "\\]",
        '^' => "\\^",
        '{' => "\\{",
        '|' => "\\|",
        '}' => "\\}",
        _ => return None,
    })
}

/// In a CSS string: specials as hex escapes, followed by a space where the next character
/// (or the string's end) would read as part of the escape.
fn css_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let escape = match c {
            '\0' => "\\0",
            '\t' => "\\9",
            '\n' => "\\a",
            '\x0c' => "\\c",
            '\r' => "\\d",
            '"' => "\\22",
            '&' => "\\26",
            '\'' => "\\27",
            '(' => "\\28",
            ')' => "\\29",
            '+' => "\\2b",
            '/' => "\\2f",
            ':' => "\\3a",
            ';' => "\\3b",
            '<' => "\\3c",
            '>' => "\\3e",
            '\\' => "\\\\",
            '{' => "\\7b",
            '}' => "\\7d",
            c => {
                out.push(c);
                continue;
            }
        };
        out.push_str(escape);
        let ambiguous = chars.peek().is_none_or(|&n| {
            n.is_ascii_hexdigit() || matches!(n, '\t' | '\n' | '\x0c' | '\r' | ' ')
        });
        if c != '\\' && ambiguous {
            out.push(' ');
        }
    }
    out
}

/// A CSS value, its escapes decoded: as it is when it holds no quote, bracket, `;`, `@`,
/// `/`, `\`, `<`, `>`, `` ` ``, NUL, `--`, and no `expression` or `mozbinding` among its
/// name characters; else `ZgotmplZ`.
fn css_value(text: &str) -> String {
    let decoded = super::transition::decode_css(text.as_bytes());
    let mut name = Vec::new();
    for (i, &b) in decoded.iter().enumerate() {
        match b {
            0 | b'"' | b'\'' | b'(' | b')' | b'/' | b';' | b'@' | b'[' | b'\\' | b']' | b'`'
            | b'{' | b'}' | b'<' | b'>' => return FAILSAFE.to_owned(),
            b'-' if i > 0 && decoded[i - 1] == b'-' => return FAILSAFE.to_owned(),
            b if b.is_ascii() && is_css_name_char(char::from(b)) => {
                name.push(b.to_ascii_lowercase())
            }
            _ => {}
        }
    }
    let contains = |word: &[u8]| name.windows(word.len()).any(|w| w == word);
    if contains(b"expression") || contains(b"mozbinding") {
        return FAILSAFE.to_owned();
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

/// A character of a CSS name (letters, digits, `-`, `_`, and beyond ASCII).
pub(super) fn is_css_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || c == '-'
        || c == '_'
        || matches!(c, '\u{80}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

/// What an attribute's value holds, which decides how it is escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AttrContent {
    /// Plain text.
    Plain,
    /// Text that changes how a page is fetched or read (`charset`, `type`, …): plain for
    /// the value, but no name an action may write.
    Unsafe,
    /// A URL.
    Url,
    /// CSS.
    Css,
    /// JavaScript.
    Js,
    /// A `srcset`.
    Srcset,
    /// HTML (`srcdoc`).
    Html,
}

/// What the value of the attribute `name` (lower case) holds: by HTML's attributes, then
/// `on…` (an event handler) and names with `src`, `uri` or `url` (URLs); `data-x` is read as
/// `x`, `ns:x` as `x` except that any `xmlns:` is a URL.
pub(super) fn attr_content(name: &str) -> AttrContent {
    let name = if let Some(rest) = name.strip_prefix("data-") {
        rest
    } else if let Some((prefix, rest)) = name.split_once(':') {
        if prefix == "xmlns" {
            return AttrContent::Url;
        }
        rest
    } else {
        name
    };
    if let Ok(i) = ATTRIBUTES.binary_search_by(|(n, _)| n.cmp(&name)) {
        return ATTRIBUTES[i].1;
    }
    if name.starts_with("on") {
        AttrContent::Js
    } else if name.contains("src") || name.contains("uri") || name.contains("url") {
        AttrContent::Url
    } else {
        AttrContent::Plain
    }
}

/// HTML's attributes and what their values hold, sorted by name.
const ATTRIBUTES: [(&str, AttrContent); 113] = {
    use AttrContent::{Css, Html, Plain, Srcset, Unsafe, Url};
    [
        ("accept", Plain),
        ("accept-charset", Unsafe),
        ("action", Url),
        ("alt", Plain),
        ("archive", Url),
        ("async", Unsafe),
        ("autocomplete", Plain),
        ("autofocus", Plain),
        ("autoplay", Plain),
        ("background", Url),
        ("border", Plain),
        ("challenge", Unsafe),
        ("charset", Unsafe),
        ("checked", Plain),
        ("cite", Url),
        ("class", Plain),
        ("classid", Url),
        ("codebase", Url),
        ("cols", Plain),
        ("colspan", Plain),
        ("content", Unsafe),
        ("contenteditable", Plain),
        ("contextmenu", Plain),
        ("controls", Plain),
        ("coords", Plain),
        ("crossorigin", Unsafe),
        ("data", Url),
        ("datetime", Plain),
        ("default", Plain),
        ("defer", Unsafe),
        ("dir", Plain),
        ("dirname", Plain),
        ("disabled", Plain),
        ("draggable", Plain),
        ("dropzone", Plain),
        ("enctype", Unsafe),
        ("for", Plain),
        ("form", Unsafe),
        ("formaction", Url),
        ("formenctype", Unsafe),
        ("formmethod", Unsafe),
        ("formnovalidate", Unsafe),
        ("formtarget", Plain),
        ("headers", Plain),
        ("height", Plain),
        ("hidden", Plain),
        ("high", Plain),
        ("href", Url),
        ("hreflang", Plain),
        ("http-equiv", Unsafe),
        ("icon", Url),
        ("id", Plain),
        ("ismap", Plain),
        ("keytype", Unsafe),
        ("kind", Plain),
        ("label", Plain),
        ("lang", Plain),
        ("language", Unsafe),
        ("list", Plain),
        ("longdesc", Url),
        ("loop", Plain),
        ("low", Plain),
        ("manifest", Url),
        ("max", Plain),
        ("maxlength", Plain),
        ("media", Plain),
        ("mediagroup", Plain),
        ("method", Unsafe),
        ("min", Plain),
        ("multiple", Plain),
        ("name", Plain),
        ("novalidate", Unsafe),
        ("open", Plain),
        ("optimum", Plain),
        ("pattern", Unsafe),
        ("placeholder", Plain),
        ("poster", Url),
        ("preload", Plain),
        ("profile", Url),
        ("pubdate", Plain),
        ("radiogroup", Plain),
        ("readonly", Plain),
        ("rel", Unsafe),
        ("required", Plain),
        ("reversed", Plain),
        ("rows", Plain),
        ("rowspan", Plain),
        ("sandbox", Unsafe),
        ("scope", Plain),
        ("scoped", Plain),
        ("seamless", Plain),
        ("selected", Plain),
        ("shape", Plain),
        ("size", Plain),
        ("sizes", Plain),
        ("span", Plain),
        ("spellcheck", Plain),
        ("src", Url),
        ("srcdoc", Html),
        ("srclang", Plain),
        ("srcset", Srcset),
        ("start", Plain),
        ("step", Plain),
        ("style", Css),
        ("tabindex", Plain),
        ("target", Plain),
        ("title", Plain),
        ("type", Unsafe),
        ("usemap", Url),
        ("value", Unsafe),
        ("width", Plain),
        ("wrap", Plain),
        ("xmlns", Url),
    ]
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_sorted_for_binary_search_and_read_by_their_kind() {
        assert!(ATTRIBUTES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(attr_content("href"), AttrContent::Url);
        assert_eq!(attr_content("data-href"), AttrContent::Url);
        assert_eq!(attr_content("xmlns:svg"), AttrContent::Url);
        assert_eq!(attr_content("svg:style"), AttrContent::Css);
        assert_eq!(attr_content("onclick"), AttrContent::Js);
        assert_eq!(attr_content("imgurl"), AttrContent::Url);
        assert_eq!(attr_content("title"), AttrContent::Plain);
        assert_eq!(attr_content("charset"), AttrContent::Unsafe);
    }
}
