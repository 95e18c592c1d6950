//! What handler templates see of an event (a `.post()` URL, `.email().toTemplates()`, a
//! `.pagerDuty2().link()`): Kapacitor's template data, its `ID`, `Message`, `Details`,
//! `Level`, `Time`, `Duration`, `Name`, `TaskName`, `Category`, `Group`, `Tags`, `Fields`,
//! `Recoverable` and `PreviousLevel`.

use condenser_model::alert::TopicEvent;
use condenser_model::template::Value;

/// The template data of `published`.
pub fn template_data(published: &TopicEvent) -> Value {
    let event = &published.event;
    Value::structure([
        ("ID", Value::Str(event.id.clone())),
        ("Message", Value::Str(event.message.clone())),
        ("Details", Value::Str(event.details.clone())),
        ("Time", Value::Time(event.time)),
        ("Duration", Value::Duration(event.duration)),
        ("Level", Value::Str(event.level.as_str().to_owned())),
        (
            "PreviousLevel",
            Value::Str(event.previous_level.as_str().to_owned()),
        ),
        ("Recoverable", Value::Bool(event.recoverable)),
        ("Name", Value::Str(published.name.clone())),
        ("TaskName", Value::Str(published.task.clone())),
        ("Category", Value::Str(published.category.clone())),
        ("Group", Value::Str(published.group.clone())),
        ("Tags", tags_value(published)),
        ("Fields", fields_value(published)),
    ])
}

/// The event's `Fields` as a template value (Go's `map[string]interface{}`).
pub fn fields_value(published: &TopicEvent) -> Value {
    Value::interfaces(
        fields(published)
            .into_iter()
            .map(|(name, value)| (name.to_owned(), json_value(value))),
    )
}

/// The fields of the event's first row, by name: its columns but `time` and the tags, in
/// column order.
pub fn fields(published: &TopicEvent) -> Vec<(&str, &serde_json::Value)> {
    let Some(series) = published.event.data.series.first() else {
        return Vec::new();
    };
    let Some(row) = series.values.first() else {
        return Vec::new();
    };
    series
        .columns
        .iter()
        .zip(row)
        .filter(|(column, _)| {
            *column != "time" && !published.tags.iter().any(|(k, _)| k == *column)
        })
        .map(|(column, value)| (column.as_str(), value))
        .collect()
}

/// The event's `Tags` as a template value (Go's `map[string]string`).
pub fn tags_value(published: &TopicEvent) -> Value {
    Value::strings(published.tags.iter().cloned())
}

/// A JSON value of a result row as the template value Go would hold.
fn json_value(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or_default()),
        },
        serde_json::Value::String(s) => Value::Str(s.clone()),
        _ => Value::Nil,
    }
}
