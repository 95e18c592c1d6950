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
        ("Tags", Value::strings(published.tags.iter().cloned())),
        ("Fields", Value::interfaces(fields(published))),
    ])
}

/// The fields of the event's first row: its columns but `time` and the tags.
fn fields(published: &TopicEvent) -> Vec<(String, Value)> {
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
        .map(|(column, value)| (column.clone(), json_value(value)))
        .collect()
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
