//! The alert verbs: `list topics`, `show-topic`, `list topic-handlers`,
//! `show-topic-handler`, `define-topic-handler`, `delete topics` and
//! `delete topic-handlers`, as control-plane calls, printing what Kapacitor's `kapacitor`
//! prints.

use std::path::Path;

use serde_json::Value as Json;

use super::{ClientError, Control, patterns_or_all, print_json, rfc822};
use crate::control::{event_json, handler_json, proto, topic_json};

/// The topics matching `pattern` (every one when empty), by id.
fn topics(control: &Control, pattern: &str) -> Result<Vec<proto::Topic>, ClientError> {
    let request = proto::ListTopicsRequest {
        pattern: pattern.to_owned(),
        min_level: "OK".to_owned(),
    };
    Ok(control
        .call(|mut c| async move { c.list_topics(request).await })?
        .topics)
}

/// The handlers of `topic` matching `pattern`, by id.
fn handlers(
    control: &Control,
    topic: &str,
    pattern: &str,
) -> Result<Vec<proto::TopicHandler>, ClientError> {
    let request = proto::ListTopicHandlersRequest {
        topic: topic.to_owned(),
        pattern: pattern.to_owned(),
    };
    Ok(control
        .call(|mut c| async move { c.list_topic_handlers(request).await })?
        .handlers)
}

/// `list topics [PATTERN…]`: Kapacitor's table of ids, levels and collected counts.
pub(crate) fn list_topics(
    control: &Control,
    patterns: &[String],
    as_json: bool,
) -> Result<(), ClientError> {
    let mut listed = Vec::new();
    for pattern in patterns_or_all(patterns) {
        listed.extend(topics(control, pattern)?);
    }
    if as_json {
        print_json(listed.iter().map(topic_json));
        return Ok(());
    }
    let id_width = listed.iter().map(|t| t.id.len()).max().unwrap_or(0).max(2) + 1;
    let level_width = listed
        .iter()
        .map(|t| t.level.len())
        .max()
        .unwrap_or(0)
        .max(8)
        + 1;
    let row = |id: &str, level: &str, collected: &str| {
        println!("{id:<id_width$}{level:<level_width$}{collected:>10}");
    };
    row("ID", "Level", "Collected");
    for topic in &listed {
        row(&topic.id, &topic.level, &topic.collected.to_string());
    }
    Ok(())
}

/// `show-topic ID`: the topic's level, collected count, handlers and events by time.
pub(crate) fn show_topic(control: &Control, id: &str, as_json: bool) -> Result<(), ClientError> {
    let request = proto::GetTopicRequest {
        id: id.to_owned(),
        min_level: "OK".to_owned(),
    };
    let topic = control.call(|mut c| async move { c.get_topic(request).await })?;
    if as_json {
        let mut json = topic_json(&topic);
        json["events"] = Json::Array(topic.events.iter().map(|e| event_json(id, e)).collect());
        json["handlers"] = topic
            .handler_ids
            .iter()
            .map(|h| Json::from(h.as_str()))
            .collect();
        println!("{json}");
        return Ok(());
    }
    println!("ID: {}", topic.id);
    println!("Level: {}", topic.level);
    println!("Collected: {}", topic.collected);
    println!("Handlers: [{}]", topic.handler_ids.join(", "));
    println!("Events:");
    let event_width = topic
        .events
        .iter()
        .map(|e| e.id.len())
        .max()
        .unwrap_or(0)
        .max(5)
        + 1;
    let message_width = topic
        .events
        .iter()
        .map(|e| e.message.len())
        .max()
        .unwrap_or(0)
        .max(7)
        + 1;
    let row = |event: &str, level: &str, message: &str, date: &str| {
        println!("{event:<event_width$}{level:<9}{message:<message_width$}{date:<23}");
    };
    row("Event", "Level", "Message", "Date");
    for event in &topic.events {
        let date = rfc822(&condenser_model::time::rfc3339_nano(event.time));
        row(&event.id, &event.level, &event.message, &date);
    }
    Ok(())
}

/// `list topic-handlers [TOPIC-PATTERN] [HANDLER-PATTERN…]`: the handlers of the matching
/// topics, with their kinds.
pub(crate) fn list_topic_handlers(
    control: &Control,
    patterns: &[String],
    as_json: bool,
) -> Result<(), ClientError> {
    let topic_pattern = patterns.first().map_or("", String::as_str);
    let handler_patterns = patterns_or_all(patterns.get(1..).unwrap_or_default());
    let mut listed = Vec::new();
    for topic in topics(control, topic_pattern)? {
        for pattern in &handler_patterns {
            listed.extend(handlers(control, &topic.id, pattern)?);
        }
    }
    if as_json {
        print_json(listed.iter().map(|h| {
            let mut json = handler_json(h);
            json["topic"] = Json::from(h.topic.as_str());
            json
        }));
        return Ok(());
    }
    let width = |len: fn(&proto::TopicHandler) -> usize| {
        listed.iter().map(len).max().unwrap_or(0).max(10) + 1
    };
    let (topic_width, id_width, kind_width) = (
        width(|h| h.topic.len()),
        width(|h| h.id.len()),
        width(|h| h.kind.len()),
    );
    let row = |topic: &str, id: &str, kind: &str| {
        println!("{topic:<topic_width$}{id:<id_width$}{kind:<kind_width$}");
    };
    row("Topic", "ID", "Kind");
    for handler in &listed {
        row(&handler.topic, &handler.id, &handler.kind);
    }
    Ok(())
}

/// `show-topic-handler TOPIC ID`: the handler's kind, match and options.
pub(crate) fn show_topic_handler(
    control: &Control,
    topic: &str,
    id: &str,
    as_json: bool,
) -> Result<(), ClientError> {
    let request = proto::GetTopicHandlerRequest {
        topic: topic.to_owned(),
        id: id.to_owned(),
    };
    let handler = control.call(|mut c| async move { c.get_topic_handler(request).await })?;
    let json = handler_json(&handler);
    if as_json {
        println!("{json}");
        return Ok(());
    }
    println!("ID: {}", handler.id);
    println!("Topic: {topic}");
    println!("Kind: {}", handler.kind);
    println!("Match: {}", handler.r#match);
    // Go's json.Marshal of the options: compact, keys sorted, HTML characters escaped.
    println!(
        "Options: {}",
        condenser_model::go_json::to_string(&json["options"])
    );
    Ok(())
}

/// `define-topic-handler FILE`: defines (or replaces) the handler a YAML or JSON file
/// describes (`topic`, `id`, `kind`, `options`, `match`). Prints nothing.
pub(crate) fn define_topic_handler(control: &Control, path: &Path) -> Result<(), ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError(format!("failed to open file {}: {e}", path.display())))?;
    let spec = condenser_handlers::TopicHandlerSpec::from_yaml(&text).map_err(ClientError)?;
    let request = proto::TopicHandler {
        topic: spec.topic,
        id: spec.id,
        kind: spec.kind,
        options_json: Json::Object(spec.options).to_string(),
        r#match: spec.match_expression,
    };
    control.call(|mut c| async move { c.define_topic_handler(request).await })?;
    Ok(())
}

/// `delete topics PATTERN…`: forgets the events of every matching topic.
pub(crate) fn delete_topics(control: &Control, patterns: &[String]) -> Result<(), ClientError> {
    for pattern in patterns {
        for topic in topics(control, pattern)? {
            let request = proto::DeleteTopicRequest { id: topic.id };
            control.call(|mut c| async move { c.delete_topic(request).await })?;
        }
    }
    Ok(())
}

/// `delete topic-handlers TOPIC PATTERN…`: deletes the matching handlers of the topic.
pub(crate) fn delete_topic_handlers(
    control: &Control,
    patterns: &[String],
) -> Result<(), ClientError> {
    let Some((topic, patterns)) = patterns.split_first() else {
        return Ok(());
    };
    for pattern in patterns {
        for handler in handlers(control, topic, pattern)? {
            let request = proto::DeleteTopicHandlerRequest {
                topic: topic.clone(),
                id: handler.id,
            };
            control.call(|mut c| async move { c.delete_topic_handler(request).await })?;
        }
    }
    Ok(())
}
