//! The control plane's messages (generated from `proto/condenser/v1/control.proto`) and the
//! one way a task is written as Kapacitor's JSON: by Kapacitor's HTTP API and by the client
//! verbs' `--json`.

use serde_json::{Map, Value as Json, json};

/// The generated messages, client and server of `condenser.v1.Control`.
#[allow(
    missing_docs,
    unreachable_pub,
    rust_2018_idioms,
    clippy::all,
    clippy::clone_on_ref_ptr
)]
pub(crate) mod proto {
    tonic::include_proto!("condenser.v1");
}

use proto::{Task, TaskStatus, TaskType, Template};

/// Kapacitor's API base path.
pub(crate) const KAPACITOR_BASE: &str = "/kapacitor/v1";

/// Go's zero `time.Time`, which Kapacitor writes for a task never enabled.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

/// Go's `time.Time` in JSON: RFC 3339 with nanoseconds, UTC.
fn time_json(nanos: i64) -> Json {
    Json::String(condenser_model::time::rfc3339_nano(nanos))
}

/// Vars carried as Kapacitor's JSON text, as JSON (`{}` for none).
pub(crate) fn vars_json(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|_| json!({}))
}

/// `stream` or `batch`.
pub(crate) fn type_name(task: &Task) -> &'static str {
    kind_name(task.r#type())
}

fn kind_name(kind: TaskType) -> &'static str {
    match kind {
        TaskType::Batch => "batch",
        TaskType::Stream | TaskType::Unspecified => "stream",
    }
}

/// `enabled` or `disabled`.
pub(crate) fn status_name(task: &Task) -> &'static str {
    match task.status() {
        TaskStatus::Enabled => "enabled",
        TaskStatus::Disabled | TaskStatus::Unspecified => "disabled",
    }
}

/// A script formatted as `kapacitor show` prints it; as written when it does not parse.
pub(crate) fn formatted_script(script: &str) -> String {
    match condenser_planner::tick::parse(script) {
        Ok(program) => condenser_planner::tick::format(&program),
        Err(_) => script.to_owned(),
    }
}

/// Every field of `task` by the name Kapacitor's API gives it; its script formatted when
/// `formatted`, its statistics `null` when it does not run and `listed` (a list's item),
/// `{}` otherwise.
pub(crate) fn task_fields(task: &Task, formatted: bool, listed: bool) -> Vec<(&'static str, Json)> {
    let dbrps: Vec<Json> = task
        .dbrps
        .iter()
        .map(|d| json!({"db": d.db, "rp": d.rp}))
        .collect();
    let stats = if task.executing {
        let node_stats: Map<String, Json> = task
            .nodes
            .iter()
            .map(|node| {
                let mut stats = Map::new();
                stats.insert("avg_exec_time_ns".to_owned(), json!(node.avg_exec_time_ns));
                stats.insert("errors".to_owned(), json!(node.errors));
                stats.insert(
                    "working_cardinality".to_owned(),
                    json!(node.working_cardinality),
                );
                for (name, value) in &node.counters {
                    stats.insert(name.clone(), json!(value));
                }
                stats.insert("collected".to_owned(), json!(node.collected));
                stats.insert("emitted".to_owned(), json!(node.emitted));
                (node.name.clone(), Json::Object(stats))
            })
            .collect();
        json!({"task-stats": {"throughput": task.throughput}, "node-stats": node_stats})
    } else if listed {
        Json::Null
    } else {
        json!({})
    };
    let script = if formatted {
        formatted_script(&task.script)
    } else {
        task.script.clone()
    };
    let mut fields = vec![
        (
            "link",
            json!({"rel": "self", "href": format!("{KAPACITOR_BASE}/tasks/{}", task.id)}),
        ),
        ("id", Json::String(task.id.clone())),
        ("type", Json::String(type_name(task).to_owned())),
        ("dbrps", Json::Array(dbrps)),
        ("script", Json::String(script)),
        ("vars", vars_json(&task.vars_json)),
        ("dot", Json::String(task.dot.clone())),
        ("status", Json::String(status_name(task).to_owned())),
        ("executing", Json::Bool(task.executing)),
        ("error", Json::String(task.error.clone())),
        ("stats", stats),
        ("created", time_json(task.created)),
        ("modified", time_json(task.modified)),
        (
            "last-enabled",
            task.last_enabled
                .map_or_else(|| Json::String(ZERO_TIME.to_owned()), time_json),
        ),
    ];
    // A list leaves out the template of a task made from none, as Kapacitor's does.
    if !listed || !task.template_id.is_empty() {
        fields.push(("template-id", Json::String(task.template_id.clone())));
    }
    fields
}

/// `task` as Kapacitor's `GET /tasks/<id>` writes it.
pub(crate) fn task_json(task: &Task, formatted: bool) -> Json {
    Json::Object(
        task_fields(task, formatted, false)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

/// Every field of `template` by the name Kapacitor's API gives it; its script formatted
/// when `formatted`.
pub(crate) fn template_fields(template: &Template, formatted: bool) -> Vec<(&'static str, Json)> {
    let script = if formatted {
        formatted_script(&template.script)
    } else {
        template.script.clone()
    };
    vec![
        (
            "link",
            json!({"rel": "self", "href": format!("{KAPACITOR_BASE}/templates/{}", template.id)}),
        ),
        ("id", Json::String(template.id.clone())),
        (
            "type",
            Json::String(kind_name(template.r#type()).to_owned()),
        ),
        ("script", Json::String(script)),
        ("vars", vars_json(&template.vars_json)),
        ("dot", Json::String(template.dot.clone())),
        ("error", Json::String(template.error.clone())),
        ("created", time_json(template.created)),
        ("modified", time_json(template.modified)),
    ]
}

/// The link Kapacitor gives an object: `{"rel": …, "href": …}`.
fn link(rel: &str, href: String) -> Json {
    json!({"rel": rel, "href": href})
}

/// The path of topic `id` in Kapacitor's API.
pub(crate) fn topic_path(id: &str) -> String {
    format!("{KAPACITOR_BASE}/alerts/topics/{id}")
}

/// `topic` as Kapacitor's `GET /alerts/topics/<id>` writes it.
pub(crate) fn topic_json(topic: &proto::Topic) -> Json {
    let path = topic_path(&topic.id);
    json!({
        "link": link("self", path.clone()),
        "id": topic.id,
        "level": topic.level,
        "collected": topic.collected,
        "events-link": link("events", format!("{path}/events")),
        "handlers-link": link("handlers", format!("{path}/handlers")),
    })
}

/// `event` of `topic` as Kapacitor writes it (its duration as Go prints one).
pub(crate) fn event_json(topic: &str, event: &proto::Event) -> Json {
    json!({
        "link": link("self", format!("{}/events/{}", topic_path(topic), event.id)),
        "id": event.id,
        "state": {
            "message": event.message,
            "details": event.details,
            "time": condenser_model::time::rfc3339_nano(event.time),
            "duration": condenser_model::template::go_duration(event.duration),
            "level": event.level,
        },
    })
}

/// `handler` as Kapacitor's `GET /alerts/topics/<t>/handlers/<id>` writes it (no topic).
pub(crate) fn handler_json(handler: &proto::TopicHandler) -> Json {
    let options: Json = serde_json::from_str(&handler.options_json).unwrap_or(Json::Null);
    let options = match options {
        Json::Object(map) if map.is_empty() => Json::Null,
        other => other,
    };
    json!({
        "link": link(
            "self",
            format!("{}/handlers/{}", topic_path(&handler.topic), handler.id)
        ),
        "id": handler.id,
        "kind": handler.kind,
        "options": options,
        "match": handler.r#match,
    })
}

/// `recording` as Kapacitor's `GET /recordings/<id>` writes it.
pub(crate) fn recording_fields(recording: &proto::Recording) -> Vec<(&'static str, Json)> {
    vec![
        (
            "link",
            link(
                "self",
                format!("{KAPACITOR_BASE}/recordings/{}", recording.id),
            ),
        ),
        ("id", json!(recording.id)),
        ("type", json!(recording.r#type)),
        ("size", json!(recording.size)),
        ("date", time_json(recording.date)),
        ("error", json!(recording.error)),
        ("status", json!(recording.status)),
        ("progress", json!(recording.progress)),
    ]
}

/// `replay` as Kapacitor's `GET /replays/<id>` writes it.
pub(crate) fn replay_fields(replay: &proto::ReplayStatus) -> Vec<(&'static str, Json)> {
    vec![
        (
            "link",
            link("self", format!("{KAPACITOR_BASE}/replays/{}", replay.id)),
        ),
        ("id", json!(replay.id)),
        ("task", json!(replay.task)),
        ("recording", json!(replay.recording)),
        ("recording-time", json!(replay.recording_time)),
        ("clock", json!(replay.clock)),
        ("date", time_json(replay.date)),
        ("error", json!(replay.error)),
        ("status", json!(replay.status)),
        ("progress", json!(replay.progress)),
        ("stats", json!({})),
    ]
}

/// An object of `fields`.
pub(crate) fn object(fields: Vec<(&'static str, Json)>) -> Json {
    Json::Object(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}
