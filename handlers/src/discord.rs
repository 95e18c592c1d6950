//! `.discord()`: each event's message posted to a Discord workspace's webhook as
//! Kapacitor's `services/discord` posts it: one embed coloured by level, titled by the
//! script's rendered `.embedTitle()`, with the event's time when the workspace asks for
//! it, and the script's (or the workspace's) username and avatar.

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::DiscordHandlerSpec;
use condenser_model::template::Template;
use serde::Serialize;

use crate::config::{DiscordConfig, ServicesConfig};
use crate::{Failure, Handler, http};

/// Posts events to Discord.
#[derive(Debug)]
pub struct DiscordHandler {
    workspace: DiscordConfig,
    username: String,
    avatar_url: String,
    embed_title: Template,
    client: reqwest::blocking::Client,
}

impl DiscordHandler {
    /// A handler for `spec`'s workspace of `services`; an error when there is no such
    /// workspace, its TLS files cannot be read, or the embed title is not a template.
    pub fn new(spec: &DiscordHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let workspace = services.discord.workspace(&spec.workspace)?.clone();
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
            username: or(&spec.username, &workspace.username),
            avatar_url: or(&spec.avatar_url, &workspace.avatar_url),
            embed_title: Template::parse(&spec.embed_title)
                .map_err(|e| format!("invalid embed title: {e}"))?,
            workspace,
            client,
        })
    }
}

/// The body: Go writes a map, so its keys are sorted.
#[derive(Serialize)]
struct Body<'a> {
    avatar_url: &'a str,
    embeds: [Embed<'a>; 1],
    username: &'a str,
}

/// An embed, in the order of Kapacitor's struct.
#[derive(Serialize)]
struct Embed<'a> {
    color: u32,
    title: &'a str,
    description: &'a str,
    timestamp: String,
}

/// Discord's embed colour of a level.
fn color(level: Level) -> u32 {
    match level {
        Level::Critical => 0xF95F53,
        Level::Warning => 0xF48D38,
        Level::Ok | Level::Info => 0x7A65F2,
    }
}

/// Go's `time.RFC3339` of a UTC time: whole seconds.
fn rfc3339(nanos: i64) -> String {
    let (date, clock, _) = condenser_model::time::parts(nanos);
    format!("{date}T{clock}Z")
}

impl Handler for DiscordHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        // Kapacitor drops the event when the title does not render, before anything else.
        let title = self
            .embed_title
            .render(&crate::event_data::template_data(published))
            .map_err(|e| Failure::permanent(format!("failed to render the embed title: {e}")))?;
        if !self.workspace.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let event = &published.event;
        let body = http::go_json_line(&Body {
            avatar_url: &self.avatar_url,
            embeds: [Embed {
                color: color(event.level),
                title: &title,
                description: &event.message,
                timestamp: match self.workspace.timestamp {
                    true => rfc3339(event.time),
                    false => String::new(),
                },
            }],
            username: &self.username,
        });
        let request = self
            .client
            .post(&self.workspace.url)
            .header("Content-Type", "application/json")
            .body(body);
        http::send(
            request,
            "discord",
            |status| status == reqwest::StatusCode::NO_CONTENT,
            |refusal| {
                http::decoded_string(&refusal.body, "error").unwrap_or_else(|| {
                    format!(
                        "failed to understand Discord response. code: {} content: {}",
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
    fn timestamps_are_whole_seconds() {
        assert_eq!(rfc3339(1_704_164_645_123_000_000), "2024-01-02T03:04:05Z");
    }
}
