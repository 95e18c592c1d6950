//! `.teams()`: each event posted to a Microsoft Teams channel's incoming webhook as
//! Kapacitor's `services/teams` posts it: a `MessageCard` titled by the level and the
//! alert's id (or, without an id, its topic), the message as its text, a summary of the
//! title and message cut at 70 bytes and always followed by `...`, and a theme colour by
//! level.

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::TeamsHandlerSpec;

use crate::config::ServicesConfig;
use crate::{Failure, Handler, http};

/// How many bytes of the summary Kapacitor keeps.
const SUMMARY_CUTOFF: usize = 70;

/// Posts events to Teams.
#[derive(Debug)]
pub struct TeamsHandler {
    /// The channel's webhook; `None` when the service is off.
    url: Option<reqwest::Url>,
    client: reqwest::blocking::Client,
}

impl TeamsHandler {
    /// A handler for `spec` with the `[teams]` section of `services`; an error when the
    /// service is on and the channel's URL is not one.
    pub fn new(spec: &TeamsHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = &services.teams;
        let url = match spec.channel_url.as_str() {
            "" => section.channel_url.as_str(),
            url => url,
        };
        let url = match section.enabled {
            true => {
                Some(reqwest::Url::parse(url).map_err(|e| format!("invalid url {url:?}: {e}"))?)
            }
            false => None,
        };
        Ok(Self {
            url,
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
        })
    }
}

/// Teams' theme colour of a level.
fn color(level: Level) -> &'static str {
    match level {
        Level::Warning => "FFA533",
        Level::Critical => "CC4A31",
        Level::Ok | Level::Info => "34CC25",
    }
}

/// The card, as Go's `json.Marshal` writes Kapacitor's `Card` struct (no newline); written
/// by hand because the summary may end in the stray bytes of a character cut in two.
fn card(published: &TopicEvent) -> String {
    let event = &published.event;
    let level = event.level.as_str();
    let (title, summary) = match (event.id.as_str(), published.topic.as_str()) {
        ("", "") => (level.to_owned(), format!("{level}: {}", event.message)),
        ("", topic) => {
            let title = format!("{level}: [{topic}]");
            let summary = format!("{title} - {}", event.message);
            (title, summary)
        }
        (id, _) => {
            let title = format!("{level}: [{id}]");
            let summary = format!("{title} - {}", event.message);
            (title, summary)
        }
    };
    let text = |s: &str| condenser_model::go_json::to_string(s);
    format!(
        r#"{{"@type":"MessageCard","@context":"http://schema.org/extensions","title":{},"text":{},"summary":{},"themeColor":"{}"}}"#,
        text(&title),
        text(&event.message),
        http::go_json_cut(&summary, SUMMARY_CUTOFF, "..."),
        color(event.level)
    )
}

impl Handler for TeamsHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let Some(url) = &self.url else {
            return Err(Failure::permanent("service is not enabled"));
        };
        let request = self
            .client
            .post(url.clone())
            .header("Content-Type", "application/json")
            .body(card(published));
        http::send(
            request,
            "teams",
            |status| status == reqwest::StatusCode::OK || status == reqwest::StatusCode::NO_CONTENT,
            |refusal| {
                http::decoded_string(&refusal.body, "error").unwrap_or_else(|| {
                    format!(
                        "failed to understand Teams response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                })
            },
        )
        .map(drop)
    }
}
