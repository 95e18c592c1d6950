//! `.opsGenie2()`: each event sent to OpsGenie's Alert API v2 as Kapacitor's
//! `services/opsgenie2` sends it: an alert created at INFO, WARNING or CRITICAL (priority
//! P5, P3, P1), aliased by the alert's id in URL-safe base64, its data as JSON text in the
//! description (or the event's details, with `details = true`), the first series' tags and
//! measurement in its details, the teams and users as responders; at OK, a note added to
//! (or the closing of) the alert of that alias.

use std::collections::BTreeMap;

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::OpsGenie2HandlerSpec;
use serde::Serialize;

use crate::config::{OpsGenie2Config, ServicesConfig};
use crate::{Failure, Handler, http};

/// What a recovery does when neither the script nor the section names a valid action.
const DEFAULT_RECOVERY_ACTION: &str = "notes";

/// Sends events to OpsGenie.
#[derive(Debug)]
pub struct OpsGenie2Handler {
    section: OpsGenie2Config,
    /// The section's URL, which recoveries' URLs are made from.
    base: reqwest::Url,
    teams: Vec<String>,
    recipients: Vec<String>,
    /// `close` or `notes`.
    recovery_action: String,
    client: reqwest::blocking::Client,
}

impl OpsGenie2Handler {
    /// A handler for `spec` with the `[opsgenie2]` section of `services`.
    pub fn new(spec: &OpsGenie2HandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.opsgenie2.clone();
        let base = reqwest::Url::parse(&section.url)
            .map_err(|e| format!("invalid URL {:?}: {e}", section.url))?;
        let or = |own: &[String], section: &[String]| {
            if own.is_empty() { section } else { own }.to_vec()
        };
        // An action that is neither `close` nor `notes` falls back to the section's, then to
        // `notes`, silently, as in Kapacitor.
        let valid = |action: &str| matches!(action, "close" | "notes");
        let recovery_action = [spec.recovery_action.as_str(), &section.recovery_action]
            .into_iter()
            .find(|action| valid(action))
            .unwrap_or(DEFAULT_RECOVERY_ACTION)
            .to_owned();
        Ok(Self {
            base,
            teams: or(&spec.teams, &section.teams),
            recipients: or(&spec.recipients, &section.recipients),
            recovery_action,
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
            section,
        })
    }
}

/// The body of an alert: Go writes a map, so its keys are sorted.
#[derive(Serialize)]
struct Create<'a> {
    alias: &'a str,
    description: String,
    details: BTreeMap<&'a str, &'a str>,
    entity: &'a str,
    message: &'a str,
    note: &'static str,
    priority: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    responders: Vec<Responder<'a>>,
}

/// A responder: each a map in Go, its keys sorted.
#[derive(Serialize)]
#[serde(untagged)]
enum Responder<'a> {
    Team {
        name: &'a str,
        #[serde(rename = "type")]
        kind: &'static str,
    },
    User {
        #[serde(rename = "type")]
        kind: &'static str,
        username: &'a str,
    },
}

/// The body of a recovery.
#[derive(Serialize)]
struct Recover<'a> {
    note: &'a str,
}

/// OpsGenie's priority of a level above OK.
fn priority(level: Level) -> &'static str {
    match level {
        Level::Info => "P5",
        Level::Warning => "P3",
        Level::Critical => "P1",
        Level::Ok => "",
    }
}

/// `bytes` in base64 with the URL-safe alphabet and `=` padding (Go's
/// `base64.URLEncoding`).
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

impl Handler for OpsGenie2Handler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.section.enabled {
            return Err(Failure::permanent(
                "failed to prepare API request: service is not enabled",
            ));
        }
        let event = &published.event;
        let alias = base64_url(event.id.as_bytes());
        let (url, body) = if event.level == Level::Ok {
            let url = http::joined_url(
                &self.base,
                &[&alias, &self.recovery_action],
                Some("identifierType=alias"),
            );
            let body = http::go_json_line(&Recover {
                note: &event.message,
            });
            (url, body)
        } else {
            let description = if self.section.details && !event.details.is_empty() {
                event.details.clone()
            } else {
                condenser_model::go_json::to_string(&event.data)
            };
            let mut details = BTreeMap::from([
                ("Monitoring Tool", "Kapacitor"),
                ("Level", event.level.as_str()),
            ]);
            // Kapacitor's "task name" is the first series' measurement, and its tags may
            // replace the two above.
            if let Some(series) = event.data.series.first() {
                for (key, value) in &series.tags {
                    details.insert(key, value);
                }
                details.insert("Kapacitor Task Name", &series.name);
            }
            let teams = self
                .teams
                .iter()
                .map(|name| Responder::Team { name, kind: "team" });
            let users = self.recipients.iter().map(|username| Responder::User {
                kind: "user",
                username,
            });
            let body = http::go_json_line(&Create {
                alias: &alias,
                description,
                details,
                entity: &event.id,
                message: &event.message,
                note: "",
                priority: priority(event.level),
                responders: teams.chain(users).collect(),
            });
            (self.section.url.clone(), body)
        };
        let request = self
            .client
            .post(url)
            .header("Content-Type", "application/json")
            .header(
                "Authorization",
                format!("GenieKey {}", self.section.api_key),
            )
            .body(body);
        http::send(
            request,
            "failed to execute API request",
            |status| status == reqwest::StatusCode::ACCEPTED,
            |refusal| {
                let message = http::decoded_string(&refusal.body, "message").unwrap_or_else(|| {
                    format!(
                        "failed to understand OpsGenie response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                });
                format!("opsgenie error: {message}")
            },
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_are_url_safe_base64_with_padding() {
        assert_eq!(base64_url(b"id"), "aWQ=");
        assert_eq!(base64_url(b"cpu:nil"), "Y3B1Om5pbA==");
        assert_eq!(base64_url(b"abc"), "YWJj");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8=");
        assert_eq!(base64_url(b""), "");
    }
}
