//! What the HTTP handlers share: a client with a timeout and the TLS a section asks for,
//! and how an answer becomes a [`Failure`] (a refused connection, a timeout, a 5xx or a 429
//! may pass and is retried; another 4xx is not).

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder};

use crate::Failure;

/// How long a request may take when nothing else says.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The TLS a section asks for: certificate authorities and a client certificate (PEM
/// files), or no verification at all.
#[derive(Debug, Default)]
pub(crate) struct Tls<'a> {
    pub(crate) ca: &'a str,
    pub(crate) cert: &'a str,
    pub(crate) key: &'a str,
    pub(crate) insecure_skip_verify: bool,
}

/// A client whose requests time out after `timeout`.
pub(crate) fn client(timeout: Duration, tls: &Tls<'_>) -> Result<Client, String> {
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"));
    let mut builder = Client::builder()
        .timeout(timeout)
        .danger_accept_invalid_certs(tls.insecure_skip_verify);
    if !tls.ca.is_empty() {
        let ca = reqwest::Certificate::from_pem(&read(tls.ca)?)
            .map_err(|e| format!("Could not load TLS CA: {e}"))?;
        builder = builder.add_root_certificate(ca);
    }
    match (tls.cert.is_empty(), tls.key.is_empty()) {
        (true, true) => {}
        (false, true) => {
            return Err("Must provide both key and cert files: only cert file provided.".into());
        }
        (true, false) => {
            return Err("Must provide both key and cert files: only key file provided.".into());
        }
        (false, false) => {
            let mut pem = read(tls.cert)?;
            pem.extend(read(tls.key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| format!("Could not load TLS client key/certificate: {e}"))?;
            builder = builder.identity(identity);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// An answer that was not a success.
pub(crate) struct Refusal {
    /// Its status.
    pub(crate) status: reqwest::StatusCode,
    /// Its body.
    pub(crate) body: String,
}

/// Sends `request` (to `what`, for messages) and returns the body of an answer whose
/// status `accept` takes; any other answer is a [`Refusal`] made into a failure by
/// `describe`, retried when a 5xx or 429.
pub(crate) fn send(
    request: RequestBuilder,
    what: &str,
    accept: impl Fn(reqwest::StatusCode) -> bool,
    describe: impl FnOnce(Refusal) -> String,
) -> Result<String, Failure> {
    let response = request
        .send()
        .map_err(|e| Failure::transient(format!("{what}: {e}")))?;
    let status = response.status();
    let body = response.text().unwrap_or_default();
    if accept(status) {
        return Ok(body);
    }
    let message = describe(Refusal { status, body });
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(Failure::transient(message))
    } else {
        Err(Failure::permanent(message))
    }
}

/// A body as Go's `json.Encoder` writes it: Go's JSON, then a newline.
pub(crate) fn go_json_line<T: serde::Serialize>(value: &T) -> String {
    let mut body = condenser_model::go_json::to_string(value);
    body.push('\n');
    body
}

/// The string `key` holds in the JSON object `body` starts with, as Go's `json.Decoder`
/// fills a struct's string field from it: the key matched ignoring ASCII case, the last
/// match winning; `None` when the body does not start with a JSON value, or the key is
/// missing or not a string (Kapacitor then keeps its own message).
pub(crate) fn decoded_string(body: &str, key: &str) -> Option<String> {
    use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};

    /// Walks an object's entries in order, keeping the last string of `key`.
    struct Field<'k>(&'k str);

    impl<'de> Visitor<'de> for Field<'_> {
        type Value = Option<String>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a JSON value")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(name) = map.next_key::<String>()? {
                if name.eq_ignore_ascii_case(self.0) {
                    if let serde_json::Value::String(text) = map.next_value()? {
                        found = Some(text);
                    }
                } else {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }

        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }

    // Go's decoder reads only the first value; what follows it does not matter.
    let mut deserializer = serde_json::Deserializer::from_str(body);
    deserializer.deserialize_any(Field(key)).ok().flatten()
}

/// `base` with `segments` joined to its path as Go's `path.Join` joins them (empty ones
/// skipped, the result cleaned: no `.`, `..` or doubled or trailing slashes), and the query
/// `query` (or, when `None`, `base`'s), written as Go's `url.URL.String()` writes it: the
/// path escaped as Go escapes paths. The fragment is dropped: it is never sent.
pub(crate) fn joined_url(base: &reqwest::Url, segments: &[&str], query: Option<&str>) -> String {
    let mut parts = vec![percent_decoded(base.path())];
    parts.extend(segments.iter().map(|s| (*s).to_owned()));
    let path = go_path_join(&parts);
    let mut origin = base.clone();
    origin.set_path("");
    origin.set_query(None);
    origin.set_fragment(None);
    let mut url = origin.as_str().trim_end_matches('/').to_owned();
    if !path.is_empty() && !path.starts_with('/') {
        url.push('/');
    }
    url.push_str(&go_escaped_path(&path));
    if let Some(query) = query.or(base.query()) {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Go's `path.Join`: the non-empty parts joined by `/`, then cleaned as `path.Clean` does;
/// empty when every part is.
fn go_path_join(parts: &[String]) -> String {
    let parts: Vec<&str> = parts
        .iter()
        .map(String::as_str)
        .skip_while(|p| p.is_empty())
        .collect();
    if parts.is_empty() {
        return String::new();
    }
    let joined = parts.join("/");
    let rooted = joined.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for segment in joined.split('/') {
        match segment {
            "" | "." => {}
            ".." => match kept.last() {
                Some(&last) if last != ".." => {
                    kept.pop();
                }
                _ if !rooted => kept.push(".."),
                _ => {}
            },
            segment => kept.push(segment),
        }
    }
    let cleaned = format!("{}{}", if rooted { "/" } else { "" }, kept.join("/"));
    if cleaned.is_empty() {
        ".".to_owned()
    } else {
        cleaned
    }
}

/// A path as Go's `url.URL` escapes it: letters, digits, `-_.~` and `$&+,/:;=@` as they
/// are, every other byte as `%XX`.
fn go_escaped_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~$&+,/:;=@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `text` with its `%XX` escapes decoded (a URL's path as Go's `url.URL.Path` holds it); an
/// escape that does not decode to UTF-8 stays as it is.
fn percent_decoded(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| text.to_owned())
}

/// A form value as Go's `url.QueryEscape` writes it: letters, digits and `-_.~` as they
/// are, a space as `+`, every other byte as `%XX`.
pub(crate) fn go_query_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b' ' => out.push('+'),
            b if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) => out.push(char::from(b)),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `text[:max]` of a string: the whole characters among its first `max` bytes, and how
/// many bytes of a character cut in two follow them (Go keeps those bytes; its JSON encoder
/// writes each as `\ufffd`).
pub(crate) fn cut(text: &str, max: usize) -> (&str, usize) {
    if text.len() <= max {
        return (text, 0);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], max - end)
}

/// A JSON string as Go's encoder writes a string cut by [`cut`] and followed by `suffix`:
/// each stray byte of the cut character as `\ufffd`.
pub(crate) fn go_json_cut(text: &str, max: usize, suffix: &str) -> String {
    let (whole, stray) = cut(text, max);
    let mut out = String::new();
    condenser_model::go_json::push_string(whole, &mut out);
    out.pop();
    out.push_str(&"\\ufffd".repeat(stray));
    let mut rest = String::new();
    condenser_model::go_json::push_string(suffix, &mut rest);
    out.push_str(&rest[1..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_read_as_gos_decoder_fills_a_struct() {
        assert_eq!(
            decoded_string(r#"{"message":"no"}"#, "message").as_deref(),
            Some("no")
        );
        assert_eq!(
            decoded_string(r#"{"Message":"a","message":""}"#, "message").as_deref(),
            Some("")
        );
        assert_eq!(decoded_string(r#"{"message":5}"#, "message"), None);
        assert_eq!(
            decoded_string(r#"{"message":"x"} trailing"#, "message").as_deref(),
            Some("x")
        );
        assert_eq!(decoded_string("<html>", "message"), None);
        assert_eq!(decoded_string(r#"["message"]"#, "message"), None);
        assert_eq!(decoded_string(r#"{"message":"x","#, "message"), None);
    }

    #[test]
    fn urls_join_and_escape_as_gos_path_and_url_do() {
        let url = |u: &str| reqwest::Url::parse(u).unwrap();
        assert_eq!(
            joined_url(
                &url("https://api.opsgenie.com/v2/alerts/?x=1"),
                &["aWQ=", "close"],
                Some("identifierType=alias")
            ),
            "https://api.opsgenie.com/v2/alerts/aWQ=/close?identifierType=alias"
        );
        assert_eq!(
            joined_url(&url("http://127.0.0.1:80/base?k=v"), &["key one", ""], None),
            "http://127.0.0.1/base/key%20one?k=v"
        );
        assert_eq!(
            joined_url(&url("http://h:9/"), &["", "alert"], None),
            "http://h:9/alert"
        );
        assert_eq!(
            joined_url(&url("http://h/a/b"), &["..", "c!"], None),
            "http://h/a/c%21"
        );
        assert_eq!(go_query_escape("a b/c~*é"), "a+b%2Fc~%2A%C3%A9");
    }

    #[test]
    fn cuts_keep_the_stray_bytes_of_a_split_character_as_go_does() {
        assert_eq!(cut("abc", 5), ("abc", 0));
        assert_eq!(cut("aé", 2), ("a", 1));
        assert_eq!(cut("a€b", 3), ("a", 2));
        assert_eq!(go_json_cut("a€<b", 3, "..."), r#""a\ufffd\ufffd...""#);
        assert_eq!(go_json_cut("a<b", 10, "..."), r#""a\u003cb...""#);
    }
}
