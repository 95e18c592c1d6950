//! `.bigPanda()`: each event sent to BigPanda's alerts API as Kapacitor's
//! `services/bigpanda` sends it: one flat JSON object of strings (and the time in
//! seconds) with the level as the status (`ok` for OK and INFO, `warning`, `critical`), the
//! alert's id as the check, the message as the description, the details unless they are
//! JSON, the task and measurement, the app key, the event's tags and fields (as
//! `auto-attributes` says), then the rendered host and attributes, each later key replacing
//! an earlier one; authorized by the section's token.

use std::collections::BTreeMap;

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::{BigPandaHandlerSpec, OptionValue};
use condenser_model::template::Template;

use crate::config::{BigPandaConfig, ServicesConfig};
use crate::{Failure, Handler, http};

/// Sends events to BigPanda.
#[derive(Debug)]
pub struct BigPandaHandler {
    section: BigPandaConfig,
    /// The alerts API; `None` when the service is off.
    url: Option<reqwest::Url>,
    app_key: String,
    host: Template,
    primary_property: String,
    secondary_property: String,
    attributes: Vec<(String, Attribute)>,
    client: reqwest::blocking::Client,
}

/// An attribute: a template, or a value's JSON text.
#[derive(Debug)]
enum Attribute {
    Template(Template),
    Text(String),
}

impl BigPandaHandler {
    /// A handler for `spec` with the `[bigpanda]` section of `services`; an error when a
    /// template does not parse, or the service is on and the URL is not one.
    pub fn new(spec: &BigPandaHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.bigpanda.clone();
        let parse = |name: &str, text: &str| {
            Template::parse(text).map_err(|e| format!("invalid {name} template: {e}"))
        };
        let url = match spec.url.as_str() {
            "" => section.url.as_str(),
            url => url,
        };
        let url = match section.enabled {
            true => {
                Some(reqwest::Url::parse(url).map_err(|e| format!("invalid url {url:?}: {e}"))?)
            }
            false => None,
        };
        let attributes = spec
            .attributes
            .iter()
            .map(|(key, value)| {
                let attribute = match value {
                    OptionValue::String(text) => Attribute::Template(parse(key, text)?),
                    value => Attribute::Text(condenser_model::go_json::to_string(value)),
                };
                Ok((key.clone(), attribute))
            })
            .collect::<Result<_, String>>()?;
        let client = http::client(
            http::DEFAULT_TIMEOUT,
            &http::Tls {
                insecure_skip_verify: section.insecure_skip_verify,
                ..http::Tls::default()
            },
        )?;
        Ok(Self {
            url,
            app_key: match spec.app_key.as_str() {
                "" => section.app_key.clone(),
                key => key.to_owned(),
            },
            host: parse("host", &spec.host)?,
            primary_property: spec.primary_property.clone(),
            secondary_property: spec.secondary_property.clone(),
            attributes,
            client,
            section,
        })
    }

    /// The body's keys and values, written in Kapacitor's order so that a later key (a tag,
    /// a field, an attribute) replaces an earlier one of the same name.
    fn body(&self, published: &TopicEvent) -> BTreeMap<String, serde_json::Value> {
        let event = &published.event;
        let data = crate::event_data::template_data(published);
        let mut body: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        let mut set = |key: &str, value: serde_json::Value| {
            body.insert(key.to_owned(), value);
        };
        if !event.message.is_empty() {
            set("description", event.message.as_str().into());
        }
        // The default details, `{{ json . }}`, start with `{`: not sent.
        if !event.details.is_empty() {
            let details = html_unescape(&event.details);
            if !details.starts_with('{') {
                set("details", details.into());
            }
        }
        if !event.id.is_empty() {
            set("check", event.id.as_str().into());
        }
        set(
            "task",
            format!("{}:{}", published.task, published.name).into(),
        );
        set("timestamp", event.time.div_euclid(1_000_000_000).into());
        set("status", status(event.level).into());
        if !self.primary_property.is_empty() {
            set("primary_property", self.primary_property.as_str().into());
        }
        if !self.secondary_property.is_empty() {
            set(
                "secondary_property",
                self.secondary_property.as_str().into(),
            );
        }
        set("app_key", self.app_key.as_str().into());
        // Kapacitor's test of `auto-attributes` is a substring one.
        let auto = self.section.auto_attributes.to_lowercase();
        if auto.contains("tags") {
            for (key, value) in &published.tags {
                set(key, value.as_str().into());
            }
        }
        if auto.contains("fields") {
            for (key, value) in crate::event_data::fields(published) {
                let text = match value {
                    serde_json::Value::String(text) => text.clone(),
                    value => condenser_model::go_json::to_string(value),
                };
                set(key, text.into());
            }
        }
        // Kapacitor ignores the templates' execution errors and sends what they wrote; the
        // host is always sent, so an unset `.host()` replaces a `host` tag with "".
        set("host", self.host.render_partial(&data).into());
        for (key, attribute) in &self.attributes {
            let text = match attribute {
                Attribute::Template(template) => template.render_partial(&data),
                Attribute::Text(text) => text.clone(),
            };
            set(key, text.into());
        }
        body
    }
}

/// BigPanda's status of a level.
fn status(level: Level) -> &'static str {
    match level {
        Level::Ok | Level::Info => "ok",
        Level::Warning => "warning",
        Level::Critical => "critical",
    }
}

/// `text` with its HTML character references decoded, as Go's `html.UnescapeString`
/// decodes them: numeric ones (`&#39;`, `&#x27;`) and the named ones HTML templates write
/// and people commonly use (`&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;`; the
/// first five also without their `;`). Another `&` stays as it is.
fn html_unescape(text: &str) -> String {
    const NAMED: [(&str, char); 10] = [
        ("amp;", '&'),
        ("lt;", '<'),
        ("gt;", '>'),
        ("quot;", '"'),
        ("apos;", '\''),
        ("nbsp;", '\u{a0}'),
        ("amp", '&'),
        ("lt", '<'),
        ("gt", '>'),
        ("quot", '"'),
    ];
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        let reference = &rest[at + 1..];
        if let Some((c, used)) = numeric_reference(reference) {
            out.push(c);
            rest = &reference[used..];
        } else if let Some((name, c)) = NAMED.iter().find(|(name, _)| reference.starts_with(name)) {
            out.push(*c);
            rest = &reference[name.len()..];
        } else {
            out.push('&');
            rest = reference;
        }
    }
    out.push_str(rest);
    out
}

/// The character of a numeric reference `#…;` at the start of `text` (its `;` optional),
/// and how many bytes it takes; invalid code points are U+FFFD, and 0x80–0x9F are read as
/// Windows-1252, as HTML5 says.
fn numeric_reference(text: &str) -> Option<(char, usize)> {
    const WINDOWS_1252: [char; 32] = [
        '\u{20AC}', '\u{81}', '\u{201A}', '\u{192}', '\u{201E}', '\u{2026}', '\u{2020}',
        '\u{2021}', '\u{2C6}', '\u{2030}', '\u{160}', '\u{2039}', '\u{152}', '\u{8D}', '\u{17D}',
        '\u{8F}', '\u{90}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}',
        '\u{2014}', '\u{2DC}', '\u{2122}', '\u{161}', '\u{203A}', '\u{153}', '\u{9D}', '\u{17E}',
        '\u{178}',
    ];
    let digits_of = text.strip_prefix('#')?;
    let (radix, digits, prefix) = match digits_of.strip_prefix(['x', 'X']) {
        Some(hex) => (16, hex, 2),
        None => (10, digits_of, 1),
    };
    let count = digits.chars().take_while(|c| c.is_digit(radix)).count();
    if count == 0 {
        return None;
    }
    let value = u32::from_str_radix(&digits[..count], radix).unwrap_or(u32::MAX);
    let semicolon = usize::from(digits[count..].starts_with(';'));
    let c = match value {
        0x80..=0x9F => WINDOWS_1252[(value - 0x80) as usize],
        0 => '\u{FFFD}',
        value => char::from_u32(value).unwrap_or('\u{FFFD}'),
    };
    Some((c, prefix + count + semicolon))
}

impl Handler for BigPandaHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let Some(url) = &self.url else {
            return Err(Failure::permanent("service is not enabled"));
        };
        let body = condenser_model::go_json::to_string(&self.body(published));
        let request = self
            .client
            .post(url.clone())
            .header("Authorization", format!("Bearer {}", self.section.token))
            .header("Content-Type", "application/json")
            .body(body);
        http::send(
            request,
            "bigpanda",
            |status| status == reqwest::StatusCode::CREATED,
            |refusal| {
                http::decoded_string(&refusal.body, "error").unwrap_or_else(|| {
                    format!(
                        "failed to understand BigPanda response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                })
            },
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_are_unescaped_as_gos_html_package_unescapes_them() {
        assert_eq!(
            html_unescape("a &lt;b&gt; &amp;&amp c &#39;d&#x27; &#34;e&quot; &#128; &copy; &"),
            "a <b> && c 'd' \"e\" € &copy; &"
        );
        assert_eq!(html_unescape("&#0;&#xD800;"), "\u{FFFD}\u{FFFD}");
        assert_eq!(html_unescape("{&#34;a&#34;:1}"), "{\"a\":1}");
    }
}
