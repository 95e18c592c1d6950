//! Kapacitor's service tests: a test alert sent through one configured service (`slack`,
//! `smtp`, …) at once, to check its configuration, and whether it got through.

use condenser_model::Level;
use condenser_model::alert::{AlertData, AlertEvent, TopicEvent};
use serde_json::{Map, Value, json};

use crate::config::ServicesConfig;
use crate::topic_handler::{TopicAction, TopicHandlerSpec};

/// The services a test reaches, by kapacitor.conf's section names, in order.
pub const SERVICES: [&str; 14] = [
    "alerta",
    "bigpanda",
    "discord",
    "opsgenie2",
    "pagerduty2",
    "pushover",
    "sensu",
    "servicenow",
    "slack",
    "smtp",
    "teams",
    "telegram",
    "victorops",
    "zenoss",
];

/// The options of a test of `service` when none are given: the test alert's id, message
/// and level (the handler's own options may be given too, under Kapacitor's names).
pub fn default_options(service: &str) -> Value {
    json!({
        "id": "testServiceTest",
        "message": format!("test {service} message"),
        "level": "CRITICAL",
    })
}

/// Sends a test alert through `service` as `services` configure it, with `options` (the
/// alert's `id`, `message`, `level` and `details`, and the handler's options): `Ok` when it
/// got through, else why not.
pub fn test_service(
    service: &str,
    options: &Map<String, Value>,
    services: &ServicesConfig,
) -> Result<(), String> {
    if !SERVICES.contains(&service) {
        return Err(format!("service {service:?} not found"));
    }
    let defaults = default_options(service);
    let text = |key: &str| {
        options
            .get(key)
            .or_else(|| defaults.get(key))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let level = match text("level").to_ascii_uppercase().as_str() {
        "OK" => Level::Ok,
        "INFO" => Level::Info,
        "WARNING" => Level::Warning,
        "CRITICAL" => Level::Critical,
        other => return Err(format!("unknown alert level '{other}'")),
    };
    let handler_options: Map<String, Value> = options
        .iter()
        .filter(|(key, _)| !["id", "message", "level", "details"].contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let spec = TopicHandlerSpec {
        id: "service-test".to_owned(),
        topic: "service-test".to_owned(),
        kind: service.to_owned(),
        options: handler_options,
        match_expression: String::new(),
    };
    let TopicAction::Deliver(handler) = spec.resolve()?.action else {
        return Err(format!("{service} is not a service that sends alerts"));
    };
    let mut handler = crate::build(&handler, services).map_err(|e| e.to_string())?;
    let published = TopicEvent {
        topic: "service-test".to_owned(),
        task: "service-test".to_owned(),
        name: String::new(),
        group: String::new(),
        category: String::new(),
        tags: Vec::new(),
        event: AlertEvent {
            id: text("id"),
            message: text("message"),
            details: text("details"),
            time: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
            duration: 0,
            level,
            data: AlertData::default(),
            previous_level: Level::Ok,
            recoverable: true,
        },
    };
    handler
        .handle(&published)
        .map_err(|failure| failure.message)
}
