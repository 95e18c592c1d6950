//! `.slack()`: each event's message posted to a Slack workspace's webhook (or
//! `chat.postMessage` with a token), as Kapacitor's `services/slack` posts it: one
//! attachment coloured by level (`good` for OK and INFO, `warning`, `danger`), the
//! script's channel, username and icon emoji or the workspace's.

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::SlackHandlerSpec;
use serde::Serialize;

use crate::config::{ServicesConfig, SlackConfig};
use crate::{Failure, Handler, http};

/// Posts events to Slack.
#[derive(Debug)]
pub struct SlackHandler {
    workspace: SlackConfig,
    channel: String,
    username: String,
    icon_emoji: String,
    client: reqwest::blocking::Client,
}

impl SlackHandler {
    /// A handler for `spec`'s workspace of `services`; an error when there is no such
    /// workspace or its TLS files cannot be read.
    pub fn new(spec: &SlackHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let workspace = services.slack.workspace(&spec.workspace)?.clone();
        let or = |own: &str, section: &str| if own.is_empty() { section } else { own }.to_owned();
        let client = http::client(
            http::DEFAULT_TIMEOUT,
            &http::Tls {
                ca: &workspace.ssl_ca,
                cert: &workspace.ssl_cert,
                key: &workspace.ssl_key,
                insecure_skip_verify: workspace.insecure_skip_verify,
            },
        )?;
        Ok(Self {
            channel: or(&spec.channel, &workspace.channel),
            username: or(&spec.username, &workspace.username),
            icon_emoji: or(&spec.icon_emoji, &workspace.icon_emoji),
            workspace,
            client,
        })
    }
}

/// The body Slack is sent: Go writes a map, so its keys are sorted.
#[derive(Serialize)]
struct Body<'a> {
    attachments: [Attachment<'a>; 1],
    channel: &'a str,
    icon_emoji: &'a str,
    text: &'a str,
    username: &'a str,
}

#[derive(Serialize)]
struct Attachment<'a> {
    fallback: &'a str,
    color: &'a str,
    text: &'a str,
    mrkdwn_in: [&'a str; 1],
}

/// Slack's attachment colour of a level.
fn color(level: Level) -> &'static str {
    match level {
        Level::Warning => "warning",
        Level::Critical => "danger",
        Level::Ok | Level::Info => "good",
    }
}

impl Handler for SlackHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.workspace.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let message = published.event.message.as_str();
        let body = http::go_json_line(&Body {
            attachments: [Attachment {
                fallback: message,
                color: color(published.event.level),
                text: message,
                mrkdwn_in: ["text"],
            }],
            channel: &self.channel,
            icon_emoji: &self.icon_emoji,
            text: "",
            username: &self.username,
        });
        let mut request = self
            .client
            .post(&self.workspace.url)
            .header("Content-Type", "application/json")
            .body(body);
        if !self.workspace.token.is_empty() {
            request = request.bearer_auth(&self.workspace.token);
        }
        http::send(
            request,
            "slack",
            |status| status == reqwest::StatusCode::OK,
            |refusal| {
                #[derive(serde::Deserialize)]
                struct Answer {
                    error: String,
                }
                match serde_json::from_str::<Answer>(&refusal.body) {
                    Ok(answer) if !answer.error.is_empty() => answer.error,
                    _ => format!(
                        "failed to understand Slack response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    ),
                }
            },
        )
        .map(drop)
    }
}
