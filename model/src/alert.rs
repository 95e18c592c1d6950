//! Alerts as they leave the engine: a level, and an event with the JSON Kapacitor's handlers
//! send (`.post()` bodies, `.log()` lines).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An alert's level, lowest first: Kapacitor's `OK`, `INFO`, `WARNING` and `CRITICAL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Level {
    /// No condition holds (a recovery when it follows another level).
    #[default]
    Ok,
    /// `.info()` holds.
    Info,
    /// `.warn()` holds.
    Warning,
    /// `.crit()` holds.
    Critical,
}

impl Level {
    /// Every level, lowest first.
    pub const ALL: [Level; 4] = [Level::Ok, Level::Info, Level::Warning, Level::Critical];

    /// The level as Kapacitor writes it (`levelTag`, `levelField`, templates, JSON).
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Ok => "OK",
            Level::Info => "INFO",
            Level::Warning => "WARNING",
            Level::Critical => "CRITICAL",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Level {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Level {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Level::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(&text))
            .ok_or_else(|| serde::de::Error::custom(format!("unknown alert level {text:?}")))
    }
}

/// One alert event, serialized as Kapacitor's handlers send it: `id`, `message`, `details`,
/// `time` (RFC 3339 with nanoseconds), `duration` (nanoseconds), `level`, `data` (the point
/// or batch as an InfluxQL result, `{"series":[…]}`), `previousLevel`, `recoverable`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertEvent {
    /// The alert's id (its `.id()` template rendered).
    pub id: String,
    /// Its `.message()` rendered.
    pub message: String,
    /// Its `.details()` rendered (HTML-escaped).
    pub details: String,
    /// When: the time of the point or batch, nanoseconds since the Unix epoch.
    #[serde(serialize_with = "rfc3339", deserialize_with = "from_rfc3339")]
    pub time: i64,
    /// How long the alert has been in a level other than OK, in nanoseconds.
    pub duration: i64,
    /// The level.
    pub level: Level,
    /// The data that triggered it, as an InfluxQL result.
    pub data: AlertData,
    /// The level of the event before this one of the same id.
    pub previous_level: Level,
    /// Whether a recovery will be sent (no `.noRecoveries()`).
    pub recoverable: bool,
}

/// The points of an alert, as InfluxQL results show them: `{"series":[…]}`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct AlertData {
    /// One series (a point's, or a batch's).
    pub series: Vec<Series>,
}

/// A series of an InfluxQL result, its keys in Kapacitor's order.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Series {
    /// The measurement.
    pub name: String,
    /// The tags, by key.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub tags: std::collections::BTreeMap<String, String>,
    /// `time`, then the field names.
    pub columns: Vec<String>,
    /// One row per point: its time (RFC 3339) and its values.
    pub values: Vec<Vec<serde_json::Value>>,
}

impl AlertEvent {
    /// The event as Kapacitor's handlers write it: Go's JSON, then a newline (the body of a
    /// `.post()`, a line of a `.log()` file).
    pub fn to_json_line(&self) -> String {
        let mut line = crate::go_json::to_string(self);
        line.push('\n');
        line
    }
}

/// An event on its way from an alert node to the handlers: the topic it is collected into
/// (the node's own, `<task>:<node>`, or the one `.topic()` names) and the task it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopicEvent {
    /// The topic.
    pub topic: String,
    /// The task whose alert node made the event.
    pub task: String,
    /// The measurement of the data (Kapacitor's `EventData.Name`).
    #[serde(default)]
    pub name: String,
    /// The group's id, empty when the data is not grouped (`EventData.Group`).
    #[serde(default)]
    pub group: String,
    /// The alert node's `.category()` (`EventData.Category`).
    #[serde(default)]
    pub category: String,
    /// The tags of the data (`EventData.Tags`).
    #[serde(default)]
    pub tags: Vec<(String, String)>,
    /// The event; its `previous_level` is filled in by the topic.
    pub event: AlertEvent,
}

fn rfc3339<S: Serializer>(nanos: &i64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::time::rfc3339_nano(*nanos))
}

fn from_rfc3339<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let text = String::deserialize(deserializer)?;
    crate::time::parse_rfc3339(&text)
        .ok_or_else(|| serde::de::Error::custom(format!("not an RFC 3339 time: {text:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialize_as_kapacitors_handlers_send_them() {
        let event = AlertEvent {
            id: "kapacitor/cpu/serverA".into(),
            message: "kapacitor/cpu/serverA is CRITICAL".into(),
            details: "details".into(),
            time: 31_536_010_000_000_000,
            duration: 0,
            level: Level::Critical,
            data: AlertData {
                series: vec![Series {
                    name: "cpu".into(),
                    tags: [("host".to_owned(), "serverA".to_owned())].into(),
                    columns: vec!["time".into(), "count".into()],
                    values: vec![vec!["1971-01-01T00:00:10Z".into(), 10.into()]],
                }],
            },
            previous_level: Level::Ok,
            recoverable: true,
        };
        assert_eq!(
            serde_json::to_string(&event).unwrap(),
            r#"{"id":"kapacitor/cpu/serverA","message":"kapacitor/cpu/serverA is CRITICAL","details":"details","time":"1971-01-01T00:00:10Z","duration":0,"level":"CRITICAL","data":{"series":[{"name":"cpu","tags":{"host":"serverA"},"columns":["time","count"],"values":[["1971-01-01T00:00:10Z",10]]}]},"previousLevel":"OK","recoverable":true}"#
        );
        assert!(Level::Critical > Level::Warning && Level::Info > Level::Ok);
    }
}
