//! Topic handlers, as Kapacitor defines them in YAML or JSON (`kapacitor
//! define-topic-handler`, `POST /kapacitor/v1/alerts/topics/<topic>/handlers`):
//!
//! ```yaml
//! topic: cpu
//! id: slack-crit
//! kind: slack
//! match: level() == CRITICAL AND changed()
//! options:
//!   channel: '#alerts'
//! ```
//!
//! A handler subscribes to a topic and sees every event published to it that its `match`
//! expression (a lambda's body, without `lambda:`) accepts. Its kind is one of the
//! handlers' ([`HandlerSpec`], its `options` under Kapacitor's option names), or
//! `aggregate` (the events of an interval as one event, published to another topic) or
//! `publish` (each event published to other topics too).

use condenser_model::alert::TopicEvent;
use condenser_model::handler::HandlerSpec;
use condenser_model::{Duration, Level};
use condenser_planner::pipeline::{Value, evaluate_with};
use condenser_planner::tick::ast::{CallKind, Expr, ExprKind};
use condenser_planner::{Diagnostic, tick};
use serde::{Deserialize, Serialize};

/// A topic handler as written: Kapacitor's `HandlerSpec`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicHandlerSpec {
    /// Its id, unique in its topic: letters, digits, `-`, `.` and `_`.
    pub id: String,
    /// The topic it subscribes to.
    pub topic: String,
    /// What it does: a handler kind (`slack`, `smtp`, `post`, …), `aggregate` or `publish`.
    pub kind: String,
    /// The kind's options, under Kapacitor's names.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub options: serde_json::Map<String, serde_json::Value>,
    /// Which events it sees: a lambda's body over the event; empty for all.
    #[serde(default, rename = "match", skip_serializing_if = "String::is_empty")]
    pub match_expression: String,
}

/// What a topic handler does with the events it sees.
#[derive(Debug, Clone, PartialEq)]
pub enum TopicAction {
    /// Delivers them as a handler of its kind does.
    Deliver(HandlerSpec),
    /// Gathers them, and every interval publishes what it gathered as one event.
    Aggregate(AggregateSpec),
    /// Publishes each to these topics too.
    Publish(Vec<String>),
}

/// The options of an `aggregate` handler.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AggregateSpec {
    /// The id of the events it publishes.
    #[serde(default)]
    pub id: String,
    /// How often it publishes (nanoseconds, as Kapacitor's options take durations).
    pub interval: Duration,
    /// The topic it publishes to.
    #[serde(default)]
    pub topic: String,
    /// The message: a Go template over `.Count` and `.Interval`.
    #[serde(default = "default_aggregate_message")]
    pub message: String,
}

fn default_aggregate_message() -> String {
    "Received {{ .Count }} events in the last {{.Interval}}.".to_owned()
}

/// The options of a `publish` handler.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishOptions {
    #[serde(default)]
    topics: Vec<String>,
}

/// A topic handler, checked: ready to subscribe.
#[derive(Debug, Clone)]
pub struct TopicHandler {
    /// As it was written.
    pub spec: TopicHandlerSpec,
    /// What it does.
    pub action: TopicAction,
    /// Which events it sees; `None` for all.
    pub filter: Option<Match>,
}

impl TopicHandlerSpec {
    /// Reads a spec from YAML (JSON is YAML too), as `kapacitor define-topic-handler` reads
    /// its file.
    pub fn from_yaml(text: &str) -> Result<Self, String> {
        serde_yaml::from_str(text).map_err(|e| format!("invalid handler spec: {e}"))
    }

    /// Checks the spec as Kapacitor does when it is defined, and resolves its kind, options
    /// and match expression; an error says what is wrong.
    pub fn resolve(&self) -> Result<TopicHandler, String> {
        let valid = |text: &str, extra: &[char]| {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_alphanumeric() || "-._".contains(c) || extra.contains(&c))
        };
        if !valid(&self.topic, &[':']) {
            return Err(format!(
                "invalid handler spec: handler topic must contain only letters, numbers, ':', \
                 '-', '.' and '_'. {:?}",
                self.topic
            ));
        }
        if !valid(&self.id, &[]) {
            return Err(format!(
                "invalid handler spec: handler ID must contain only letters, numbers, '-', '.' \
                 and '_'. {:?}",
                self.id
            ));
        }
        if self.kind.is_empty() {
            return Err("invalid handler spec: handler Kind must not be empty".to_owned());
        }
        let options = serde_json::Value::Object(self.options.clone());
        let decode_error = |e: serde_json::Error| {
            format!("failed to decode options of the {} handler: {e}", self.kind)
        };
        let action = match self.kind.as_str() {
            "aggregate" => {
                let spec: AggregateSpec = serde_json::from_value(options).map_err(decode_error)?;
                if !spec.interval.is_positive() {
                    return Err(
                        "the aggregate handler's interval must be positive (nanoseconds)"
                            .to_owned(),
                    );
                }
                condenser_model::template::Template::parse(&spec.message)
                    .map_err(|e| format!("invalid aggregate message template: {e}"))?;
                TopicAction::Aggregate(spec)
            }
            "publish" => {
                let options: PublishOptions =
                    serde_json::from_value(options).map_err(decode_error)?;
                TopicAction::Publish(options.topics)
            }
            kind => {
                let spec = serde_json::json!({"kind": kind, "options": options});
                let spec: HandlerSpec = serde_json::from_value(spec).map_err(|e| {
                    if e.to_string().starts_with("unknown variant") {
                        format!("unsupported action kind {kind:?}")
                    } else {
                        decode_error(e)
                    }
                })?;
                TopicAction::Deliver(spec)
            }
        };
        let filter = match self.match_expression.trim() {
            "" => None,
            _ => Some(Match::parse(&self.match_expression)?),
        };
        Ok(TopicHandler {
            spec: self.clone(),
            action,
            filter,
        })
    }
}

/// A `match` expression: a lambda's body over an event, where a reference (`"host"`) is
/// a tag, `level()` the level (compared with `OK`, `INFO`, `WARNING`, `CRITICAL`),
/// `changed()` whether it differs from the alert's previous level in the topic, `name()`
/// the measurement, `taskName()` the task and `alertDuration()` the duration.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
    source: String,
    expression: Expr,
}

/// The functions a match expression may call.
const MATCH_FUNCTIONS: [&str; 5] = ["level", "changed", "name", "taskName", "alertDuration"];

impl Match {
    /// Parses `source`; an error names what is wrong with its place.
    pub fn parse(source: &str) -> Result<Self, String> {
        let invalid = |d: Diagnostic| {
            let at = tick::Position::of(source, d.span.start);
            format!(
                "invalid match expression: {}:{}: {}",
                at.line, at.column, d.message
            )
        };
        let expression = tick::parse_expression(source).map_err(invalid)?;
        check_calls(&expression).map_err(invalid)?;
        Ok(Self {
            source: source.to_owned(),
            expression,
        })
    }

    /// The expression as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `published` is one the handler sees; an error when the expression cannot be
    /// evaluated on it (a tag it lacks, a result that is not a boolean).
    pub fn matches(&self, published: &TopicEvent) -> Result<bool, String> {
        let names = |expr: &Expr| -> Option<Result<Value, Diagnostic>> {
            let fail = |message: String| Some(Err(Diagnostic::error(expr.span, message)));
            match &expr.kind {
                ExprKind::Reference(tag) => Some(
                    published
                        .tags
                        .iter()
                        .find(|(k, _)| k == tag)
                        .map(|(_, v)| Value::String(v.clone()))
                        .ok_or_else(|| {
                            Diagnostic::error(expr.span, format!("no tag exists for {tag}"))
                        }),
                ),
                ExprKind::Ident(name) => match level_named(name) {
                    Some(level) => Some(Ok(Value::Int(level_number(level)))),
                    None => fail(format!("unknown identifier {name:?}")),
                },
                ExprKind::Call { name, .. } => Some(Ok(match name.name.as_str() {
                    "level" => Value::Int(level_number(published.event.level)),
                    "changed" => {
                        Value::Bool(published.event.level != published.event.previous_level)
                    }
                    "name" => Value::String(published.name.clone()),
                    "taskName" => Value::String(published.task.clone()),
                    "alertDuration" => Value::Duration(published.event.duration),
                    other => return fail(format!("unknown function {other}()")),
                })),
                _ => None,
            }
        };
        match evaluate_with(&self.expression, &names) {
            Ok(Value::Bool(matched)) => Ok(matched),
            Ok(other) => Err(format!(
                "match expression {:?} gives {}, not a bool",
                self.source,
                other.describe()
            )),
            Err(error) => Err(format!(
                "failed to evaluate match expression {:?}: {}",
                self.source, error.message
            )),
        }
    }
}

/// Refuses calls other than the match functions, and arguments to them.
fn check_calls(expr: &Expr) -> Result<(), Diagnostic> {
    match &expr.kind {
        ExprKind::Call {
            kind, name, args, ..
        } => {
            if *kind != CallKind::Global || !MATCH_FUNCTIONS.contains(&name.name.as_str()) {
                return Err(Diagnostic::error(
                    name.span,
                    format!(
                        "{}() is not a function of match expressions (they have {})",
                        name.name,
                        MATCH_FUNCTIONS.map(|f| format!("{f}()")).join(", ")
                    ),
                ));
            }
            if !args.is_empty() {
                return Err(Diagnostic::error(
                    name.span,
                    format!("{} takes no arguments", name.name),
                ));
            }
            Ok(())
        }
        ExprKind::Unary { operand, .. } => check_calls(operand),
        ExprKind::Binary { left, right, .. } => {
            check_calls(left)?;
            check_calls(right)
        }
        _ => Ok(()),
    }
}

/// The level a match expression names in capitals.
fn level_named(name: &str) -> Option<Level> {
    Some(match name {
        "OK" => Level::Ok,
        "INFO" => Level::Info,
        "WARNING" => Level::Warning,
        "CRITICAL" => Level::Critical,
        _ => return None,
    })
}

/// A level as match expressions compare it: OK 0, INFO 1, WARNING 2, CRITICAL 3.
fn level_number(level: Level) -> i64 {
    match level {
        Level::Ok => 0,
        Level::Info => 1,
        Level::Warning => 2,
        Level::Critical => 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(level: Level, previous: Level) -> TopicEvent {
        TopicEvent {
            topic: "cpu".into(),
            task: "cpu_alert".into(),
            name: "cpu".into(),
            group: String::new(),
            category: String::new(),
            tags: vec![("host".into(), "serverA".into())],
            event: condenser_model::AlertEvent {
                id: "cpu:nil".into(),
                message: String::new(),
                details: String::new(),
                time: 0,
                duration: 90_000_000_000,
                level,
                data: Default::default(),
                previous_level: previous,
                recoverable: true,
            },
        }
    }

    #[test]
    fn match_expressions_see_level_changes_tags_names_and_duration() {
        let matches = |source: &str, published: &TopicEvent| {
            Match::parse(source).unwrap().matches(published).unwrap()
        };
        let crit = event(Level::Critical, Level::Ok);
        let still = event(Level::Critical, Level::Critical);
        assert!(matches("level() == CRITICAL AND changed()", &crit));
        assert!(!matches("level() == CRITICAL AND changed()", &still));
        assert!(matches("level() >= WARNING", &still));
        assert!(matches("\"host\" == 'serverA' AND name() == 'cpu'", &crit));
        assert!(matches("taskName() =~ /^cpu_/", &crit));
        assert!(matches("alertDuration() > 1m", &crit));
        assert!(!matches("changed() == TRUE", &still));
    }

    #[test]
    fn bad_match_expressions_are_refused_with_their_place() {
        let refused = |source: &str| Match::parse(source).unwrap_err();
        assert!(
            refused("level() ==").starts_with("invalid match expression: 1:11:"),
            "{}",
            refused("level() ==")
        );
        assert!(refused("strContains(name(), 'c')").contains("strContains() is not a function"));
        assert!(refused("level(1) == OK").contains("level takes no arguments"));
        let failed = Match::parse("\"region\" == 'eu'")
            .unwrap()
            .matches(&event(Level::Ok, Level::Ok))
            .unwrap_err();
        assert!(failed.contains("no tag exists for region"), "{failed}");
        let failed = Match::parse("MAJOR == 1")
            .unwrap()
            .matches(&event(Level::Ok, Level::Ok))
            .unwrap_err();
        assert!(failed.contains("unknown identifier \"MAJOR\""), "{failed}");
    }

    #[test]
    fn specs_resolve_to_a_handler_an_aggregate_or_a_publish() {
        let spec = TopicHandlerSpec::from_yaml(
            "topic: cpu\nid: slack-crit\nkind: slack\nmatch: level() == CRITICAL\noptions:\n  channel: '#alerts'\n",
        )
        .unwrap();
        let handler = spec.resolve().unwrap();
        assert_eq!(
            handler.action,
            TopicAction::Deliver(HandlerSpec::Slack(
                condenser_model::handler::SlackHandlerSpec {
                    channel: "#alerts".into(),
                    ..Default::default()
                }
            ))
        );
        assert_eq!(handler.filter.unwrap().source(), "level() == CRITICAL");

        let json = r#"{"id":"agg","topic":"cpu","kind":"aggregate","options":{"id":"all","interval":60000000000,"topic":"digest"}}"#;
        let TopicAction::Aggregate(aggregate) = TopicHandlerSpec::from_yaml(json)
            .unwrap()
            .resolve()
            .unwrap()
            .action
        else {
            panic!("an aggregate");
        };
        assert_eq!(aggregate.interval.nanos(), 60_000_000_000);
        assert_eq!(
            aggregate.message,
            "Received {{ .Count }} events in the last {{.Interval}}."
        );
        let publish = TopicHandlerSpec::from_yaml(
            "topic: cpu\nid: fanout\nkind: publish\noptions:\n  topics: [ops, dev]\n",
        )
        .unwrap()
        .resolve()
        .unwrap();
        assert_eq!(
            publish.action,
            TopicAction::Publish(vec!["ops".into(), "dev".into()])
        );
    }

    #[test]
    fn bad_specs_are_refused_as_kapacitor_refuses_them() {
        let refused = |yaml: &str| {
            TopicHandlerSpec::from_yaml(yaml)
                .and_then(|s| s.resolve())
                .unwrap_err()
        };
        assert!(refused("topic: cpu\nid: a b\nkind: log\n").contains("handler ID must contain"));
        assert!(refused("topic: ''\nid: a\nkind: log\n").contains("handler topic must contain"));
        assert_eq!(
            refused("topic: cpu\nid: a\nkind: pager\n"),
            "unsupported action kind \"pager\""
        );
        assert!(
            refused("topic: cpu\nid: a\nkind: slack\noptions:\n  chanel: x\n")
                .contains("unknown field `chanel`")
        );
        assert!(
            refused("topic: cpu\nid: a\nkind: aggregate\noptions:\n  interval: '1m'\n")
                .contains("failed to decode options of the aggregate handler")
        );
        assert!(
            refused("topic: cpu\nid: a\nkind: log\nwhat: 1\n").contains("unknown field `what`")
        );
    }
}
