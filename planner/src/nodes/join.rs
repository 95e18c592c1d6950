//! `join(others…)`: the points of several parents that share a group and a time become one.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, Quoted, unsupported};
use crate::Diagnostic;
use crate::pipeline::Value;

/// What a join does with a set that lacks a parent's point when it is emitted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum JoinFill {
    /// Incomplete sets are dropped (an inner join); Kapacitor's `none`.
    None,
    /// Missing fields are absent (a full outer join); Kapacitor's `'null'`.
    Null,
    /// Missing fields take this integer (a full outer join).
    Int(i64),
    /// Missing fields take this float (a full outer join).
    Float(f64),
}

/// The resolved properties of a `join()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct JoinSpec {
    /// `.as()`: each parent's prefix for its fields, in the order of the parents.
    pub prefixes: Vec<String>,
    /// `.on()`: join on these tags only, a subset of the groups' tags.
    pub on: Vec<String>,
    /// `.delimiter()`: between a prefix and a field name (default `.`).
    pub delimiter: String,
    /// `.streamName()`: the measurement of the joined points (default the first parent's).
    pub stream_name: Option<String>,
    /// `.tolerance()`: points this close in time belong together (times are rounded to it).
    pub tolerance: Duration,
    /// `.fill()`.
    pub fill: JoinFill,
    /// `.deleteAll()`: a delete of a group resets every parent's low mark.
    pub delete_all: bool,
    /// Whether the parents give batches rather than points.
    pub wants_batches: bool,
}

impl JoinSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let fill = match props
            .last("Fill")
            .map(|s| (s, s.args.first().map(|a| &a.value)))
        {
            None => JoinFill::None,
            Some((_, Some(Value::String(s)))) if s == "none" => JoinFill::None,
            Some((_, Some(Value::String(s)))) if s == "null" => JoinFill::Null,
            Some((_, Some(Value::Int(i)))) => JoinFill::Int(*i),
            Some((_, Some(Value::Float(f)))) => JoinFill::Float(*f),
            Some((setting, _)) => {
                return Err(unsupported(
                    setting.span,
                    "join().fill() other than none, null or a number".to_owned(),
                ));
            }
        };
        Ok(JoinSpec {
            prefixes: props.strings("As").unwrap_or_default(),
            on: props.strings("On").unwrap_or_default(),
            delimiter: props.string("Delimiter").unwrap_or_else(|| ".".to_owned()),
            stream_name: props.string("StreamName"),
            tolerance: props.duration("Tolerance").unwrap_or_default(),
            fill,
            delete_all: props.flag("DeleteAll"),
            wants_batches: props.wants_batches(),
        })
    }
}

impl fmt::Display for JoinSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stream_name = self.stream_name.as_deref().map(Quoted);
        let delimiter = Quoted(&self.delimiter);
        let fill: Option<String> = match self.fill {
            JoinFill::None => None,
            JoinFill::Null => Some("'null'".to_owned()),
            JoinFill::Int(i) => Some(i.to_string()),
            JoinFill::Float(v) => Some(format!("{v:?}")),
        };
        Call::new(f, "join", &[])
            .strings("as", &self.prefixes)
            .strings("on", &self.on)
            .opt(
                "delimiter",
                (self.delimiter != ".").then_some(&delimiter as &dyn fmt::Display),
            )
            .opt(
                "streamName",
                stream_name.as_ref().map(|q| q as &dyn fmt::Display),
            )
            .duration("tolerance", self.tolerance)
            .opt("fill", fill.as_ref().map(|v| v as &dyn fmt::Display))
            .flag("deleteAll", self.delete_all)
            .end()
    }
}
