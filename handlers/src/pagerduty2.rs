//! `.pagerDuty2()`: each event sent to PagerDuty's Events API v2 as Kapacitor's
//! `services/pagerduty2` sends it: a `trigger` (or, at OK, a `resolve`) deduplicated by the
//! alert's id, the message as the summary, the `host` tag as the source, the task as the
//! class, the data as `custom_details.result`, and the script's links rendered.

use condenser_model::Level;
use condenser_model::alert::{AlertData, TopicEvent};
use condenser_model::handler::PagerDuty2HandlerSpec;
use condenser_model::template::Template;
use serde::Serialize;

use crate::config::{PagerDuty2Config, ServicesConfig};
use crate::{Failure, Handler, http};

/// Sends events to PagerDuty.
#[derive(Debug)]
pub struct PagerDuty2Handler {
    section: PagerDuty2Config,
    routing_key: String,
    /// Each link's href and text templates (no text: the href).
    links: Vec<(Template, Option<Template>)>,
    client_url: String,
    client: reqwest::blocking::Client,
}

impl PagerDuty2Handler {
    /// A handler for `spec` with the `[pagerduty2]` section of `services`.
    pub fn new(spec: &PagerDuty2HandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.pagerduty2.clone();
        let links = spec
            .links
            .iter()
            .map(|link| {
                let text = match link.text.as_str() {
                    "" => None,
                    text => Some(Template::parse(text)?),
                };
                Ok((Template::parse(&link.href)?, text))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            routing_key: match spec.routing_key.as_str() {
                "" => section.routing_key.clone(),
                key => key.to_owned(),
            },
            links,
            client_url: services.api_url.clone(),
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
            section,
        })
    }
}

/// The body, in the order of Kapacitor's structs; every field is sent.
#[derive(Serialize)]
struct Body<'a> {
    routing_key: &'a str,
    event_action: &'static str,
    dedup_key: &'a str,
    payload: Payload<'a>,
    images: Option<[(); 0]>,
    links: Option<Vec<Link>>,
    client: &'static str,
    client_url: &'a str,
}

#[derive(Serialize)]
struct Payload<'a> {
    summary: &'a str,
    source: &'a str,
    severity: &'static str,
    timestamp: String,
    class: &'a str,
    component: &'static str,
    group: &'static str,
    custom_details: CustomDetails<'a>,
}

#[derive(Serialize)]
struct CustomDetails<'a> {
    result: &'a AlertData,
}

#[derive(Serialize)]
struct Link {
    href: String,
    text: String,
}

/// PagerDuty's severity and action of a level: OK resolves.
fn severity(level: Level) -> (&'static str, &'static str) {
    match level {
        Level::Warning => ("warning", "trigger"),
        Level::Critical => ("critical", "trigger"),
        Level::Info => ("info", "trigger"),
        Level::Ok => ("info", "resolve"),
    }
}

/// A time as Kapacitor writes PagerDuty's timestamps: nine digits of fraction, always.
fn timestamp(nanos: i64) -> String {
    let (date, clock, _) = condenser_model::time::parts(nanos);
    format!("{date}T{clock}.{:09}Z", nanos.rem_euclid(1_000_000_000))
}

impl Handler for PagerDuty2Handler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        if !self.section.enabled {
            return Err(Failure::permanent("service is not enabled"));
        }
        let event = &published.event;
        let data = crate::event_data::template_data(published);
        let render = |template: &Template| {
            template
                .render(&data)
                .map_err(|e| Failure::permanent(format!("rendering a link: {e}")))
        };
        let mut links = Vec::new();
        for (href, text) in &self.links {
            let href = render(href)?;
            let text = match text {
                Some(text) => render(text)?,
                None => href.clone(),
            };
            links.push(Link { href, text });
        }
        let (severity, event_action) = severity(event.level);
        let source = published
            .tags
            .iter()
            .find(|(k, _)| k == "host")
            .map_or("unknown", |(_, v)| v.as_str());
        let body = http::go_json_line(&Body {
            routing_key: &self.routing_key,
            event_action,
            dedup_key: &event.id,
            payload: Payload {
                summary: &event.message,
                source,
                severity,
                timestamp: timestamp(event.time),
                class: &published.task,
                component: "",
                group: "",
                custom_details: CustomDetails {
                    result: &event.data,
                },
            },
            images: None,
            links: (!links.is_empty()).then_some(links),
            client: "kapacitor",
            client_url: &self.client_url,
        });
        let request = self
            .client
            .post(&self.section.url)
            .header("Content-Type", "application/json")
            .header("Accept", "application/vnd.pagerduty+json;version=2")
            .body(body);
        http::send(
            request,
            "pagerduty2",
            |status| status == reqwest::StatusCode::OK || status == reqwest::StatusCode::ACCEPTED,
            |refusal| {
                #[derive(serde::Deserialize, Default)]
                #[serde(default)]
                struct Answer {
                    status: String,
                    message: String,
                    errors: Vec<String>,
                }
                let mut answer = Answer {
                    message: format!(
                        "failed to understand PagerDuty2 response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    ),
                    ..Answer::default()
                };
                if let Ok(sent) = serde_json::from_str::<Answer>(&refusal.body) {
                    answer.status = sent.status;
                    if !sent.message.is_empty() {
                        answer.message = sent.message;
                    }
                    answer.errors = sent.errors;
                }
                format!(
                    "Status: {}, Message: {} Errors: [{}]",
                    answer.status,
                    answer.message,
                    answer.errors.join(" ")
                )
            },
        )
        .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_always_have_nine_digits_of_fraction() {
        assert_eq!(timestamp(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(
            timestamp(1_704_164_645_123_000_000),
            "2024-01-02T03:04:05.123000000Z"
        );
    }
}
