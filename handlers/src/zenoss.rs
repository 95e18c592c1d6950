//! `.zenoss()`: each event sent to Zenoss' JSON-RPC event router as Kapacitor's
//! `services/zenoss` sends it: one `add_event` call (or the router, method, type and tid
//! the script or section names) whose data is the rendered summary (the alert's message
//! when empty), device, component, event class and key, collector and message, the level's
//! severity from `severity-map`, and the script's custom fields over them; with the
//! section's basic-auth credentials.

use std::collections::BTreeMap;

use condenser_model::alert::TopicEvent;
use condenser_model::handler::{OptionValue, ZenossHandlerSpec};
use condenser_model::template::{Template, Value};
use serde::Serialize;

use crate::config::{ServicesConfig, ZenossConfig, ZenossSeverity};
use crate::{Failure, Handler, http};

/// How many bytes of the summary Zenoss keeps.
const SUMMARY_CUTOFF: usize = 256;
/// …of the message.
const MESSAGE_CUTOFF: usize = 4096;

/// Sends events to Zenoss.
#[derive(Debug)]
pub struct ZenossHandler {
    section: ZenossConfig,
    /// The section's URL; `None` when the service is off.
    url: Option<reqwest::Url>,
    action: String,
    method: String,
    type_: String,
    tid: i64,
    summary: Template,
    device: Template,
    component: Template,
    event_class_key: Template,
    event_class: Template,
    collector: Template,
    message: Template,
    custom_fields: Vec<(String, CustomField)>,
    client: reqwest::blocking::Client,
}

/// A custom field: a template, or a value sent as it is.
#[derive(Debug)]
enum CustomField {
    Template(Template),
    Value(serde_json::Value),
}

impl ZenossHandler {
    /// A handler for `spec` with the `[zenoss]` section of `services`; an error when a
    /// template does not parse, or the service is on and its URL is not one.
    pub fn new(spec: &ZenossHandlerSpec, services: &ServicesConfig) -> Result<Self, String> {
        let section = services.zenoss.clone();
        let parse = |name: &str, text: &str| {
            Template::parse(text).map_err(|e| format!("invalid {name} template: {e}"))
        };
        let url = match section.enabled {
            true => Some(
                reqwest::Url::parse(&section.url)
                    .map_err(|e| format!("invalid url {:?}: {e}", section.url))?,
            ),
            false => None,
        };
        let or = |own: &str, section: &str| if own.is_empty() { section } else { own }.to_owned();
        let custom_fields = spec
            .custom_fields
            .iter()
            .map(|(key, value)| {
                let field = match value {
                    OptionValue::String(text) => CustomField::Template(parse(key, text)?),
                    value => CustomField::Value(
                        serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
                    ),
                };
                Ok((key.clone(), field))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            url,
            action: or(&spec.action, &section.action),
            method: or(&spec.method, &section.method),
            type_: or(&spec.type_, &section.type_),
            tid: if spec.tid == 0 { section.tid } else { spec.tid },
            summary: parse("summary", &spec.summary)?,
            device: parse("device", &spec.device)?,
            component: parse("component", &spec.component)?,
            event_class_key: parse("evclasskey", &spec.event_class_key)?,
            event_class: parse("evclass", &spec.event_class)?,
            collector: parse("collector", &spec.collector)?,
            message: parse("message", &spec.message)?,
            custom_fields,
            client: http::client(http::DEFAULT_TIMEOUT, &http::Tls::default())?,
            section,
        })
    }
}

/// The request, in the order of Kapacitor's struct.
#[derive(Serialize)]
struct Body<'a> {
    action: &'a str,
    method: &'a str,
    data: [BTreeMap<&'a str, serde_json::Value>; 1],
    #[serde(rename = "type")]
    type_: &'a str,
    tid: i64,
}

/// What the templates see: Kapacitor gives them no `Fields` and no `Group`.
fn template_data(published: &TopicEvent) -> Value {
    let event = &published.event;
    Value::structure([
        ("Name", Value::Str(published.name.clone())),
        ("TaskName", Value::Str(published.task.clone())),
        ("ID", Value::Str(event.id.clone())),
        ("Message", Value::Str(event.message.clone())),
        ("Details", Value::Str(event.details.clone())),
        ("Time", Value::Time(event.time)),
        ("Duration", Value::Duration(event.duration)),
        ("Level", Value::Str(event.level.as_str().to_owned())),
        ("Recoverable", Value::Bool(event.recoverable)),
        ("Tags", crate::event_data::tags_value(published)),
    ])
}

/// The first `max` bytes of `text` as Kapacitor sends them: it cuts the bytes, and its JSON
/// round trip turns each stray byte of a character cut in two into U+FFFD.
fn cut(text: &str, max: usize) -> String {
    let (whole, stray) = http::cut(text, max);
    format!("{whole}{}", "\u{FFFD}".repeat(stray))
}

/// A severity as Kapacitor sends it: a number goes through a float (its JSON round trip).
fn severity_value(severity: &ZenossSeverity) -> serde_json::Value {
    match severity {
        ZenossSeverity::Text(text) => text.as_str().into(),
        ZenossSeverity::Int(v) => (*v as f64).into(),
        ZenossSeverity::Float(v) => (*v).into(),
    }
}

/// A JSON value as Go decodes it into `interface{}`: every number a float.
fn as_go_decodes(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Number(n) => n.as_f64().map_or(serde_json::Value::Null, Into::into),
        serde_json::Value::Array(items) => items.into_iter().map(as_go_decodes).collect(),
        serde_json::Value::Object(map) => map
            .into_iter()
            .map(|(k, v)| (k, as_go_decodes(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
        other => other,
    }
}

impl Handler for ZenossHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let Some(url) = &self.url else {
            return Err(Failure::permanent("service is not enabled"));
        };
        let event = &published.event;
        let data = template_data(published);
        // Kapacitor ignores the templates' execution errors and sends what they wrote.
        let render = |template: &Template| template.render_partial(&data);
        let mut summary = render(&self.summary);
        if summary.is_empty() {
            summary.clone_from(&event.message);
        }
        let mut collector = render(&self.collector);
        if collector.is_empty() {
            collector.clone_from(&self.section.collector);
        }
        let message = cut(&render(&self.message), MESSAGE_CUTOFF);
        let mut fields: BTreeMap<&str, serde_json::Value> = BTreeMap::from([
            ("summary", cut(&summary, SUMMARY_CUTOFF).into()),
            ("device", render(&self.device).into()),
            ("component", render(&self.component).into()),
            (
                "severity",
                severity_value(self.section.severity_map.of(event.level)),
            ),
            ("evclasskey", render(&self.event_class_key).into()),
            ("evclass", render(&self.event_class).into()),
        ]);
        if !collector.is_empty() {
            fields.insert("collector", collector.into());
        }
        if !message.is_empty() {
            fields.insert("message", message.into());
        }
        // Custom fields replace standard ones; a rendered object or array that is JSON is
        // sent as that JSON.
        for (key, field) in &self.custom_fields {
            let value = match field {
                CustomField::Template(template) => {
                    let text = render(template);
                    let parsed = (text.starts_with('{') || text.starts_with('['))
                        .then(|| serde_json::from_str::<serde_json::Value>(&text).ok())
                        .flatten();
                    match parsed {
                        Some(json) => as_go_decodes(json),
                        None => text.into(),
                    }
                }
                CustomField::Value(value) => value.clone(),
            };
            fields.insert(key, value);
        }
        let body = condenser_model::go_json::to_string(&Body {
            action: &self.action,
            method: &self.method,
            data: [fields],
            type_: &self.type_,
            tid: self.tid,
        });
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
            "zenoss",
            |status| status == reqwest::StatusCode::OK,
            |refusal| {
                http::decoded_string(&refusal.body, "error").unwrap_or_else(|| {
                    format!(
                        "failed to understand Zenoss response. code: {} content: {}",
                        refusal.status.as_u16(),
                        refusal.body
                    )
                })
            },
        )
        .map(drop)
    }
}
