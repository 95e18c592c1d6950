//! `.pushover()`: each event's message sent as a Pushover notification as Kapacitor's
//! `services/pushover` sends it: a form POSTed to the messages API with the token, the
//! user key, the message, the level as the priority (-2 for OK up to 1 for CRITICAL), and
//! the script's device, title, URL, URL title and sound where given.

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::PushoverHandlerSpec;

use crate::config::{PushoverConfig, ServicesConfig};
use crate::{Failure, Handler, http};

/// Sends events to Pushover.
#[derive(Debug)]
pub struct PushoverHandler {
    section: PushoverConfig,
    spec: PushoverHandlerSpec,
    client: reqwest::blocking::Client,
}

impl PushoverHandler {
    /// A handler for `spec` with the `[pushover]` section of `services`.
    pub fn new(spec: &PushoverHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.pushover.clone();
        let mut spec = spec.clone();
        if spec.user_key.is_empty() {
            spec.user_key.clone_from(&section.user_key);
        }
        Ok(Self {
            section,
            spec,
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
        })
    }

    /// The form, as Go's `url.Values.Encode()` writes it: keys sorted, the optional ones
    /// only when given.
    fn form(&self, message: &str, level: Level) -> String {
        let priority = match level {
            Level::Ok => "-2",
            Level::Info => "-1",
            Level::Warning => "0",
            Level::Critical => "1",
        };
        let spec = &self.spec;
        let fields = [
            ("device", spec.device.as_str(), false),
            ("message", message, true),
            ("priority", priority, true),
            ("sound", &spec.sound, false),
            ("title", &spec.title, false),
            ("token", &self.section.token, true),
            ("url", &spec.url, false),
            ("url_title", &spec.url_title, false),
            ("user", &spec.user_key, true),
        ];
        fields
            .iter()
            .filter(|(_, value, always)| *always || !value.is_empty())
            .map(|(key, value, _)| format!("{key}={}", http::go_query_escape(value)))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// What a refusal says, as Kapacitor reads Pushover's answer: the body must be JSON (else
/// the decoding error is the message), its `errors` joined, or its `error` if it has one.
fn refusal_message(status: u16, body: &str) -> String {
    match errors_of(body) {
        Err(message) => message,
        Ok(errors) => http::decoded_string(body, "error").unwrap_or_else(|| {
            format!(
                "failed to understand Pushover response. code: {status} content: {}",
                errors.join(", ")
            )
        }),
    }
}

/// The `errors` of a JSON body as Go's `json.Unmarshal` reads them into a struct with an
/// `Errors []string` field, or Go's error when it cannot.
fn errors_of(body: &str) -> Result<Vec<String>, String> {
    let value = go_json_value(body)?;
    /// How Go names a JSON value's kind in a type error.
    fn kind(value: &serde_json::Value) -> &'static str {
        match value {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "bool",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        }
    }
    let object = match value {
        serde_json::Value::Object(object) => object,
        serde_json::Value::Null => return Ok(Vec::new()),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type struct {{ Errors []string \"json:\\\"errors\\\"\" }}",
                kind(&other)
            ));
        }
    };
    let Some((_, errors)) = object
        .iter()
        .rfind(|(key, _)| key.eq_ignore_ascii_case("errors"))
    else {
        return Ok(Vec::new());
    };
    match errors {
        serde_json::Value::Null => Ok(Vec::new()),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                serde_json::Value::String(text) => Ok(text.clone()),
                serde_json::Value::Null => Ok(String::new()),
                other => Err(format!(
                    "json: cannot unmarshal {} into Go struct field .errors of type string",
                    kind(other)
                )),
            })
            .collect(),
        other => Err(format!(
            "json: cannot unmarshal {} into Go struct field .errors of type []string",
            kind(other)
        )),
    }
}

/// `body` as one JSON value, or Go's `encoding/json` syntax error for it (the common ones
/// worded as Go words them: an empty or cut body, a bad first character, something after
/// the value).
fn go_json_value(body: &str) -> Result<serde_json::Value, String> {
    let invalid = |c: char, context: &str| {
        let quoted = match c {
            '\'' => "'\\''".to_owned(),
            c if c.is_ascii_graphic() || c == ' ' => format!("'{c}'"),
            c => format!("{:?}", c.to_string()).replace('"', "'"),
        };
        format!("invalid character {quoted} {context}")
    };
    let start = body.trim_start_matches([' ', '\t', '\n', '\r']);
    let Some(first) = start.chars().next() else {
        return Err("unexpected end of JSON input".to_owned());
    };
    if !matches!(first, '{' | '[' | '"' | '-' | '0'..='9' | 't' | 'f' | 'n') {
        return Err(invalid(first, "looking for beginning of value"));
    }
    let mut values = serde_json::Deserializer::from_str(start).into_iter::<serde_json::Value>();
    match values.next() {
        Some(Ok(value)) => {
            let rest = start[values.byte_offset()..].trim_start_matches([' ', '\t', '\n', '\r']);
            match rest.chars().next() {
                Some(c) => Err(invalid(c, "after top-level value")),
                None => Ok(value),
            }
        }
        Some(Err(error)) if error.is_eof() => Err("unexpected end of JSON input".to_owned()),
        Some(Err(error)) => Err(error.to_string()),
        None => Err("unexpected end of JSON input".to_owned()),
    }
}

impl Handler for PushoverHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.section.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let form = self.form(&published.event.message, published.event.level);
        let request = self
            .client
            .post(&self.section.url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form);
        http::send(
            request,
            "pushover",
            |status| status == reqwest::StatusCode::OK,
            |refusal| refusal_message(refusal.status.as_u16(), &refusal.body),
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_read_the_body_as_kapacitor_does() {
        assert_eq!(
            refusal_message(
                400,
                r#"{"user":"invalid","errors":["user identifier is invalid","token is invalid"],"status":0}"#
            ),
            "failed to understand Pushover response. code: 400 content: user identifier is invalid, token is invalid"
        );
        assert_eq!(refusal_message(400, r#"{"error":"x","errors":[]}"#), "x");
        assert_eq!(refusal_message(500, ""), "unexpected end of JSON input");
        assert_eq!(
            refusal_message(500, "  {\"errors\":"),
            "unexpected end of JSON input"
        );
        assert_eq!(
            refusal_message(502, "<html>"),
            "invalid character '<' looking for beginning of value"
        );
        assert_eq!(
            refusal_message(502, "{} x"),
            "invalid character 'x' after top-level value"
        );
        assert_eq!(
            refusal_message(400, r#"{"errors":"bad"}"#),
            "json: cannot unmarshal string into Go struct field .errors of type []string"
        );
        assert_eq!(
            refusal_message(400, r#"{"errors":[1]}"#),
            "json: cannot unmarshal number into Go struct field .errors of type string"
        );
        assert_eq!(
            refusal_message(400, "[]"),
            r#"json: cannot unmarshal array into Go value of type struct { Errors []string "json:\"errors\"" }"#
        );
    }
}
