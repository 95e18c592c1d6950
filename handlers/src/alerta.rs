//! `.alerta()`: each event sent to Alerta's `POST <url>/alert` as Kapacitor's
//! `services/alerta` sends it: the rendered resource, event, environment, group, value,
//! services, correlated events and attributes, the level as the severity (`ok`,
//! `informational`, `warning`, `critical`), the message as the text, the tags as `k=v`,
//! the data as `rawData` and the timeout in seconds, authorized by `<prefix> <token>`.

use std::collections::BTreeMap;

use condenser_model::Level;
use condenser_model::alert::{AlertData, TopicEvent};
use condenser_model::handler::{AlertaHandlerSpec, OptionValue};
use condenser_model::template::{Template, Value};
use serde::Serialize;

use crate::config::{AlertaConfig, ServicesConfig};
use crate::{Failure, Handler, http};

/// Sends events to Alerta.
#[derive(Debug)]
pub struct AlertaHandler {
    section: AlertaConfig,
    /// `<url>/alert`; `None` when the service is off.
    url: Option<String>,
    token: String,
    token_prefix: String,
    origin: String,
    resource: Template,
    event: Template,
    environment: Template,
    group: Template,
    value: Template,
    services: Vec<Template>,
    correlate: Vec<Template>,
    attributes: Vec<(String, Attribute)>,
    /// Whole seconds.
    timeout: i64,
    client: reqwest::blocking::Client,
}

/// An attribute: a template, or a value sent as it is.
#[derive(Debug)]
enum Attribute {
    Template(Template),
    Value(OptionValue),
}

impl AlertaHandler {
    /// A handler for `spec` with the `[alerta]` section of `services`; an error when a
    /// template does not parse, or the service is on and its URL is not one.
    pub fn new(spec: &AlertaHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.alerta.clone();
        let parse = |name: &str, text: &str| {
            Template::parse(text).map_err(|e| format!("invalid {name} template: {e}"))
        };
        let url = match section.enabled {
            true => {
                let base = reqwest::Url::parse(&section.url)
                    .map_err(|e| format!("invalid url {:?}: {e}", section.url))?;
                Some(http::joined_url(&base, &["alert"], None))
            }
            false => None,
        };
        let or = |own: &str, section: &str| if own.is_empty() { section } else { own }.to_owned();
        let token_prefix = match (spec.token_prefix.as_str(), section.token_prefix.as_str()) {
            ("", "") => "Bearer".to_owned(),
            ("", prefix) | (prefix, _) => prefix.to_owned(),
        };
        let attributes = spec
            .attributes
            .iter()
            .map(|(key, value)| {
                let attribute = match value {
                    OptionValue::String(text) => Attribute::Template(parse("attribute", text)?),
                    value => Attribute::Value(value.clone()),
                };
                Ok((key.clone(), attribute))
            })
            .collect::<Result<_, String>>()?;
        let list = |name: &str, texts: &[String]| {
            texts
                .iter()
                .map(|t| parse(name, t))
                .collect::<Result<Vec<_>, String>>()
        };
        Ok(Self {
            url,
            token: or(&spec.token, &section.token),
            token_prefix,
            origin: or(&spec.origin, &section.origin),
            resource: parse("resource", &spec.resource)?,
            event: parse("event", &spec.event)?,
            environment: parse("environment", &spec.environment)?,
            group: parse("group", &spec.group)?,
            value: parse("value", &spec.value)?,
            services: list("service", &spec.service)?,
            correlate: list("correlate", &spec.correlate)?,
            attributes,
            timeout: spec.timeout.nanos() / 1_000_000_000,
            client: {
                let tls = http::Tls {
                    insecure_skip_verify: section.insecure_skip_verify,
                    ..http::Tls::default()
                };
                http::client(http::DEFAULT_TIMEOUT, &tls)?
            },
            section,
        })
    }
}

/// The body: Go writes a map, so its keys are sorted; the lists and attributes only when
/// there are some.
#[derive(Serialize)]
struct Body<'a> {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    attributes: BTreeMap<&'a str, OptionValue>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    correlate: Vec<String>,
    environment: &'a str,
    event: &'a str,
    group: &'a str,
    origin: &'a str,
    #[serde(rename = "rawData")]
    raw_data: &'a AlertData,
    resource: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    service: Vec<String>,
    severity: &'static str,
    tags: Vec<String>,
    text: &'a str,
    timeout: i64,
    value: &'a str,
}

/// Alerta's severity of a level.
fn severity(level: Level) -> &'static str {
    match level {
        Level::Ok => "ok",
        Level::Info => "informational",
        Level::Warning => "warning",
        Level::Critical => "critical",
    }
}

/// What the event template sees: Kapacitor gives it less than the others.
fn event_data(published: &TopicEvent) -> Value {
    Value::structure([
        ("ID", Value::Str(published.event.id.clone())),
        ("Name", Value::Str(published.name.clone())),
        ("TaskName", Value::Str(published.task.clone())),
        ("Group", Value::Str(published.group.clone())),
        ("Tags", crate::event_data::tags_value(published)),
    ])
}

impl Handler for AlertaHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let data = crate::event_data::template_data(published);
        // Kapacitor drops the event when a template does not render.
        let render = |name: &str, template: &Template, data: &Value| {
            template.render(data).map_err(|e| {
                Failure::permanent(format!("failed to render the {name} template: {e}"))
            })
        };
        // No template means the measurement, for both lists.
        let render_list = |name: &str, templates: &[Template]| match templates {
            [] => Ok(vec![published.name.clone()]),
            templates => templates.iter().map(|t| render(name, t, &data)).collect(),
        };
        let resource = render("resource", &self.resource, &data)?;
        let event_name = render("event", &self.event, &event_data(published))?;
        let environment = render("environment", &self.environment, &data)?;
        let group = render("group", &self.group, &data)?;
        let value = render("value", &self.value, &data)?;
        let service = render_list("service", &self.services)?;
        let correlate = render_list("correlate", &self.correlate)?;
        let mut attributes = BTreeMap::new();
        for (key, attribute) in &self.attributes {
            let value = match attribute {
                Attribute::Template(template) => {
                    OptionValue::String(render("attribute", template, &data)?)
                }
                Attribute::Value(value) => value.clone(),
            };
            attributes.insert(key.as_str(), value);
        }
        if resource.is_empty() || event_name.is_empty() {
            return Err(Failure::permanent(
                "Resource and Event are required to send an alert",
            ));
        }
        let Some(url) = &self.url else {
            return Err(Failure::permanent("service is not enabled"));
        };
        let event = &published.event;
        // Kapacitor lists the tags in Go's map order, which is random; Condenser's are in
        // key order.
        let tags = published
            .tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let body = http::go_json_line(&Body {
            attributes,
            correlate,
            environment: if environment.is_empty() {
                &self.section.environment
            } else {
                &environment
            },
            event: &event_name,
            group: &group,
            origin: &self.origin,
            raw_data: &event.data,
            resource: &resource,
            service,
            severity: severity(event.level),
            tags,
            text: &event.message,
            timeout: self.timeout,
            value: &value,
        });
        let request = self
            .client
            .post(url)
            .header(
                "Authorization",
                format!("{} {}", self.token_prefix, self.token),
            )
            .header("Content-Type", "application/json")
            .body(body);
        http::send(
            request,
            "alerta",
            |status| status == reqwest::StatusCode::CREATED,
            |refusal| {
                http::decoded_string(&refusal.body, "message").unwrap_or_else(|| {
                    format!(
                        "failed to understand Alerta response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                })
            },
        )
        .map(drop)
    }
}
