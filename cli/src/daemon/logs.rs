//! [`LogStream`]: the daemon's log lines, as Kapacitor's `logs` and `watch` stream them. A
//! [`LogLayer`] in the daemon's tracing subscriber turns each event into a [`LogLine`] (the
//! fields of the spans it happened in first: a task's thread runs in a `task` span) and
//! hands it to whoever listens; nothing is formatted while no one does.

use std::fmt::Write as _;
use std::sync::Arc;

use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// One log line: its time, level, message and fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LogLine {
    /// When, in nanoseconds since the epoch.
    pub(crate) time: i64,
    /// `debug`, `info`, `warn` or `error`.
    pub(crate) level: &'static str,
    /// The message.
    pub(crate) message: String,
    /// The spans' fields, outermost first, then the event's.
    pub(crate) fields: Vec<(String, String)>,
}

/// How severe each level name is, for `lvl=info+`.
fn severity(level: &str) -> u8 {
    match level {
        "debug" => 0,
        "info" => 1,
        "warn" => 2,
        _ => 3,
    }
}

impl LogLine {
    /// Whether the line passes every filter, as Kapacitor's: `msg=…`, `lvl=error` (that
    /// level), `lvl=info+` (that level or above), or `key=value` of a field.
    pub(crate) fn matches(&self, filters: &[(String, String)]) -> bool {
        filters.iter().all(|(key, value)| match key.as_str() {
            "msg" => self.message == *value,
            "lvl" => match value.strip_suffix('+') {
                Some(least) => severity(self.level) >= severity(least),
                None => self.level == value,
            },
            _ => self.fields.iter().any(|(k, v)| k == key && v == value),
        })
    }

    /// The line as logfmt, as Kapacitor writes it: `ts=… lvl=… msg=… key=value…` and a
    /// newline; a value with a space or a quote is quoted.
    pub(crate) fn logfmt(&self) -> String {
        let quoted = |text: &str| {
            if text.contains([' ', '"', '=']) || text.is_empty() {
                format!("{text:?}")
            } else {
                text.to_owned()
            }
        };
        let mut line = format!(
            "ts={} lvl={} msg={}",
            condenser_model::time::rfc3339_nano(self.time),
            self.level,
            quoted(&self.message)
        );
        for (key, value) in &self.fields {
            let _ = write!(line, " {key}={}", quoted(value));
        }
        line.push('\n');
        line
    }

    /// The line as a JSON object and a newline (what Chronograf asks for).
    pub(crate) fn json(&self) -> String {
        let mut object = serde_json::Map::new();
        object.insert(
            "ts".into(),
            condenser_model::time::rfc3339_nano(self.time).into(),
        );
        object.insert("lvl".into(), self.level.into());
        object.insert("msg".into(), self.message.clone().into());
        for (key, value) in &self.fields {
            object.insert(key.clone(), value.clone().into());
        }
        format!("{}\n", serde_json::Value::Object(object))
    }
}

/// Where the daemon's log lines go to whoever listens. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct LogStream {
    sender: broadcast::Sender<Arc<LogLine>>,
}

impl Default for LogStream {
    fn default() -> Self {
        // A listener that falls this far behind loses the oldest lines (and is told).
        let (sender, _) = broadcast::channel(4096);
        Self { sender }
    }
}

impl LogStream {
    /// The lines from now on.
    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<LogLine>> {
        self.sender.subscribe()
    }

    /// The layer that feeds the stream.
    pub(crate) fn layer(&self) -> LogLayer {
        LogLayer(self.clone())
    }
}

/// The tracing layer that turns events into [`LogLine`]s for a [`LogStream`].
#[derive(Debug)]
pub(crate) struct LogLayer(LogStream);

/// A span's fields, kept in its extensions.
#[derive(Debug, Default)]
struct SpanFields(Vec<(String, String)>);

/// Collects fields (and the message) as text.
#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        if field.name() == "message" {
            self.message = value;
        } else {
            self.fields.push((field.name().to_owned(), value));
        }
    }
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for LogLayer {
    fn on_new_span(
        &self,
        attrs: &tracing::span::Attributes<'_>,
        id: &tracing::span::Id,
        ctx: Context<'_, S>,
    ) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.fields));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        if self.0.sender.receiver_count() == 0 {
            return;
        }
        let mut fields = Vec::new();
        if let Some(scope) = ctx.event_scope(event) {
            for span in scope.from_root() {
                if let Some(span_fields) = span.extensions().get::<SpanFields>() {
                    fields.extend(span_fields.0.iter().cloned());
                }
            }
        }
        let mut own = Fields::default();
        event.record(&mut own);
        fields.extend(own.fields);
        let level = match *event.metadata().level() {
            Level::TRACE | Level::DEBUG => "debug",
            Level::INFO => "info",
            Level::WARN => "warn",
            Level::ERROR => "error",
        };
        let _ = self.0.sender.send(Arc::new(LogLine {
            time: condenser_engine::clock::system_now(),
            level,
            message: own.message,
            fields,
        }));
    }
}

impl LogLine {
    /// The line as the control plane's message.
    pub(crate) fn to_proto(&self) -> crate::control::proto::LogLine {
        crate::control::proto::LogLine {
            time: self.time,
            level: self.level.to_owned(),
            message: self.message.clone(),
            fields: self
                .fields
                .iter()
                .map(|(key, value)| crate::control::proto::LogField {
                    key: key.clone(),
                    value: value.clone(),
                })
                .collect(),
        }
    }

    /// A line from the control plane's message.
    pub(crate) fn from_proto(line: crate::control::proto::LogLine) -> Self {
        let level = ["debug", "info", "warn", "error"]
            .into_iter()
            .find(|l| *l == line.level)
            .unwrap_or("error");
        Self {
            time: line.time,
            level,
            message: line.message,
            fields: line.fields.into_iter().map(|f| (f.key, f.value)).collect(),
        }
    }
}

/// The filters of a logs request: each key once, as Kapacitor requires.
pub(crate) fn filters(pairs: Vec<(String, String)>) -> Result<Vec<(String, String)>, String> {
    let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err("query params cannot contain duplicate params".to_owned());
    }
    Ok(pairs)
}

/// The lines of `stream` from now on that pass `filters`, written by `format`; a listener
/// that fell behind is told how many lines it lost.
pub(crate) fn lines<T: Send + 'static>(
    stream: &LogStream,
    filters: Vec<(String, String)>,
    format: impl Fn(&LogLine) -> T + Send + 'static,
) -> impl tokio_stream::Stream<Item = T> + Send + 'static {
    use tokio_stream::StreamExt;
    tokio_stream::wrappers::BroadcastStream::new(stream.subscribe()).filter_map(move |line| {
        match line {
            Ok(line) => line.matches(&filters).then(|| format(&line)),
            Err(tokio_stream::wrappers::errors::BroadcastStreamRecvError::Lagged(lost)) => {
                Some(format(&LogLine {
                    time: condenser_engine::clock::system_now(),
                    level: "error",
                    message: format!("{lost} log lines were lost: the listener fell behind"),
                    fields: Vec::new(),
                }))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(level: &'static str, fields: &[(&str, &str)]) -> LogLine {
        LogLine {
            time: 0,
            level,
            message: "log node".into(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        }
    }

    #[test]
    fn filters_and_formats_are_kapacitor_s() {
        let info = line("info", &[("task", "cpu"), ("row", "a b")]);
        let filter = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            info.matches(&pairs)
        };
        assert!(filter(&[("task", "cpu")]));
        assert!(!filter(&[("task", "mem")]));
        assert!(filter(&[("lvl", "info")]) && filter(&[("lvl", "debug+")]));
        assert!(!filter(&[("lvl", "error+")]) && !filter(&[("lvl", "error")]));
        assert!(filter(&[("msg", "log node"), ("task", "cpu")]));
        assert_eq!(
            info.logfmt(),
            "ts=1970-01-01T00:00:00Z lvl=info msg=\"log node\" task=cpu row=\"a b\"\n"
        );
        assert_eq!(
            info.json(),
            "{\"lvl\":\"info\",\"msg\":\"log node\",\"row\":\"a b\",\"task\":\"cpu\",\"ts\":\"1970-01-01T00:00:00Z\"}\n"
        );
    }
}
