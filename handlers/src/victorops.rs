//! `.victorOps()`: each event sent to VictorOps' REST endpoint as Kapacitor's
//! `services/victorops` sends it: `POST <url>/<api-key>/<routing-key>` with the level as
//! the message type (OK as `RECOVERY`), the alert's id as the entity, the message, the time
//! in seconds, and the data as JSON text (or, with `json-data = true`, as JSON).

use condenser_model::Level;
use condenser_model::alert::{AlertData, TopicEvent};
use condenser_model::handler::VictorOpsHandlerSpec;
use serde::Serialize;

use crate::config::{ServicesConfig, VictorOpsConfig};
use crate::{Failure, Handler, http};

/// Sends events to VictorOps.
#[derive(Debug)]
pub struct VictorOpsHandler {
    section: VictorOpsConfig,
    /// `<url>/<api-key>/<routing-key>`.
    url: String,
    client: reqwest::blocking::Client,
}

impl VictorOpsHandler {
    /// A handler for `spec` with the `[victorops]` section of `services`.
    pub fn new(spec: &VictorOpsHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.victorops.clone();
        let base = reqwest::Url::parse(&section.url).map_err(|e| format!("invalid URL: {e}"))?;
        let routing_key = match spec.routing_key.as_str() {
            "" => section.routing_key.as_str(),
            key => key,
        };
        Ok(Self {
            url: http::joined_url(&base, &[&section.api_key, routing_key], None),
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
            section,
        })
    }
}

/// The body: Go writes a map, so its keys are sorted.
#[derive(Serialize)]
struct Body<'a> {
    data: Data<'a>,
    entity_id: &'a str,
    message_type: &'a str,
    monitoring_tool: &'static str,
    state_message: &'a str,
    timestamp: i64,
}

/// The event's data: JSON text, or (`json-data`) the JSON itself.
#[derive(Serialize)]
#[serde(untagged)]
enum Data<'a> {
    Text(String),
    Json(&'a AlertData),
}

impl Handler for VictorOpsHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.section.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let event = &published.event;
        let message_type = match event.level {
            Level::Ok => "RECOVERY",
            level => level.as_str(),
        };
        let data = if self.section.json_data {
            Data::Json(&event.data)
        } else {
            Data::Text(condenser_model::go_json::to_string(&event.data))
        };
        let body = http::go_json_line(&Body {
            data,
            entity_id: &event.id,
            message_type,
            monitoring_tool: "kapacitor",
            state_message: &event.message,
            timestamp: event.time.div_euclid(1_000_000_000),
        });
        let request = self
            .client
            .post(&self.url)
            .header("Content-Type", "application/json")
            .body(body);
        http::send(
            request,
            "victorops",
            |status| status == reqwest::StatusCode::OK,
            |refusal| {
                if refusal.status == reqwest::StatusCode::NOT_FOUND {
                    return "URL or API key not found: 404".to_owned();
                }
                http::decoded_string(&refusal.body, "message").unwrap_or_else(|| {
                    format!(
                        "failed to understand VictorOps response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                })
            },
        )
        .map(drop)
    }
}
