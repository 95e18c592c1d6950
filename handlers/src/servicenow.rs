//! `.serviceNow()`: each event sent to ServiceNow's event management API as Kapacitor's
//! `services/servicenow` sends it: one record with the source, the rendered node, type,
//! resource, metric name and message key (the alert's id when that renders empty), the
//! level as the severity (`5` for OK and INFO, `4`, `1`), the message as the description,
//! and the additional information as JSON text, each cut at ServiceNow's byte limits;
//! with the section's basic-auth credentials.

use std::collections::BTreeMap;

use condenser_model::Level;
use condenser_model::alert::TopicEvent;
use condenser_model::handler::{OptionValue, ServiceNowHandlerSpec};
use condenser_model::template::{Template, Value, go_duration, go_float};

use crate::config::{ServiceNowConfig, ServicesConfig};
use crate::{Failure, Handler, http};

/// How many bytes of the source, node, type, resource and metric name ServiceNow keeps.
const USUAL_CUTOFF: usize = 100;
/// …of the message key.
const MESSAGE_KEY_CUTOFF: usize = 1024;
/// …of the description.
const DESCRIPTION_CUTOFF: usize = 4000;

/// Sends events to ServiceNow.
#[derive(Debug)]
pub struct ServiceNowHandler {
    section: ServiceNowConfig,
    /// The events API; `None` when the service is off.
    url: Option<reqwest::Url>,
    source: String,
    node: Template,
    type_: Template,
    resource: Template,
    metric_name: Template,
    message_key: Template,
    additional_info: Vec<(String, Info)>,
    client: reqwest::blocking::Client,
}

/// One piece of additional information: a template, or text made of a value once.
#[derive(Debug)]
enum Info {
    Template(Template),
    Text(String),
}

impl ServiceNowHandler {
    /// A handler for `spec` with the `[servicenow]` section of `services`; an error when a
    /// template does not parse, or the service is on and the URL is not one.
    pub fn new(spec: &ServiceNowHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.servicenow.clone();
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
        let additional_info = spec
            .additional_info
            .iter()
            .map(|(key, value)| {
                // Go's `%v` of what is not a string.
                let info = match value {
                    OptionValue::String(text) => Info::Template(parse("additional_info", text)?),
                    OptionValue::Int(v) => Info::Text(v.to_string()),
                    OptionValue::Float(v) => Info::Text(go_float(*v, 'g', None)),
                    OptionValue::Bool(v) => Info::Text(v.to_string()),
                    OptionValue::Duration(v) => Info::Text(go_duration(v.nanos())),
                };
                Ok((key.clone(), info))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            url,
            source: match spec.source.as_str() {
                "" => section.source.clone(),
                source => source.to_owned(),
            },
            node: parse("node", &spec.node)?,
            type_: parse("type", &spec.type_)?,
            resource: parse("resource", &spec.resource)?,
            metric_name: parse("metricName", &spec.metric_name)?,
            message_key: parse("messageKey", &spec.message_key)?,
            additional_info,
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
            section,
        })
    }
}

/// What the templates see: Kapacitor gives them the alert's id, the measurement, the
/// task, the fields and the tags only.
fn template_data(published: &TopicEvent) -> Value {
    Value::structure([
        ("ID", Value::Str(published.event.id.clone())),
        ("Name", Value::Str(published.name.clone())),
        ("TaskName", Value::Str(published.task.clone())),
        ("Fields", crate::event_data::fields_value(published)),
        ("Tags", crate::event_data::tags_value(published)),
    ])
}

/// ServiceNow's severity of a level.
fn severity(level: Level) -> &'static str {
    match level {
        Level::Ok | Level::Info => "5",
        Level::Warning => "4",
        Level::Critical => "1",
    }
}

impl Handler for ServiceNowHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let Some(url) = &self.url else {
            return Err(Failure::permanent("service is not enabled"));
        };
        let event = &published.event;
        let data = template_data(published);
        // Kapacitor ignores a template's execution error and sends what it wrote.
        let render = |template: &Template| template.render_partial(&data);
        let info: BTreeMap<&str, String> = self
            .additional_info
            .iter()
            .map(|(key, info)| {
                let text = match info {
                    Info::Template(template) => render(template),
                    Info::Text(text) => text.clone(),
                };
                (key.as_str(), text)
            })
            .collect();
        let mut message_key = render(&self.message_key);
        if message_key.is_empty() {
            message_key.clone_from(&event.id);
        }
        // Kapacitor's record: its fields in order, each but the source left out when empty,
        // each cut at its limit in bytes.
        let mut record = vec![format!(
            "\"source\":{}",
            http::go_json_cut(&self.source, USUAL_CUTOFF, "")
        )];
        let additional_info = match info.is_empty() {
            true => String::new(),
            false => condenser_model::go_json::to_string(&info),
        };
        for (key, text, cutoff) in [
            ("node", render(&self.node), USUAL_CUTOFF),
            ("type", render(&self.type_), USUAL_CUTOFF),
            ("resource", render(&self.resource), USUAL_CUTOFF),
            ("metric_name", render(&self.metric_name), USUAL_CUTOFF),
            ("message_key", message_key, MESSAGE_KEY_CUTOFF),
            ("severity", severity(event.level).to_owned(), usize::MAX),
            ("description", event.message.clone(), DESCRIPTION_CUTOFF),
            ("additional_info", additional_info, usize::MAX),
        ] {
            if !text.is_empty() {
                record.push(format!(
                    "\"{key}\":{}",
                    http::go_json_cut(&text, cutoff, "")
                ));
            }
        }
        let body = format!("{{\"records\":[{{{}}}]}}", record.join(","));
        let mut request = self
            .client
            .post(url.clone())
            .header("Content-Type", "application/json")
            .body(body);
        if !self.section.username.is_empty() && !self.section.password.is_empty() {
            request = request.basic_auth(&self.section.username, Some(&self.section.password));
        }
        http::send(
            request,
            "servicenow",
            |status| status == reqwest::StatusCode::OK,
            |refusal| {
                http::decoded_string(&refusal.body, "error").unwrap_or_else(|| {
                    format!(
                        "failed to understand ServiceNow response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                })
            },
        )
        .map(drop)
    }
}
