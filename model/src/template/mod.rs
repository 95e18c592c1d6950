//! Go's `text/template` (and `html/template`'s contextual escaping) as Kapacitor's templates
//! use it: httpPost URLs, an alert's id, message and details, and `.post()` handler URLs.
//!
//! In: the template's text, parsed when the task is defined ([`Template::parse`]; an error
//! says what was expected where). Out: the text rendered from a [`Value`]
//! ([`Template::render`]): fields (`.Name`, `.Tags.host`), `index`, variables, pipelines,
//! `if`/`else`/`range`/`with`, comparison and logic functions, `len`, `print`, `printf`
//! and `println` with Go's formatting of numbers, maps, times and durations, and Kapacitor's
//! `json` (Go's `encoding/json` of a value: alert details default to `{{ json . }}`).
//! Alert details are `html/template`s ([`Escape::Html`]): the `html` module escapes each
//! action for where in the HTML it lands, before the tree runs.

mod exec;
mod format;
mod html;
mod parse;

use std::collections::BTreeMap;
use std::fmt;

pub use format::{go_duration, go_float, go_format_time, go_time};

/// A value a template reads: what Go's reflection would see in Kapacitor's template data.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Go's nil (a missing entry of a map of interfaces prints as `<no value>`).
    Nil,
    /// A `bool`.
    Bool(bool),
    /// An `int64`.
    Int(i64),
    /// A `float64`.
    Float(f64),
    /// A `string`.
    Str(String),
    /// A `time.Time`, in nanoseconds since the Unix epoch, UTC.
    Time(i64),
    /// A `time.Duration`, in nanoseconds.
    Duration(i64),
    /// A struct: its fields in declaration order (a field it lacks is an error, as in Go).
    Struct(Vec<(String, Value)>),
    /// A map with string keys, which Go ranges over and prints in key order.
    Map(MapValue),
    /// A slice.
    List(Vec<Value>),
}

/// A map with string keys, and the value a missing key gives (Go's zero value of the map's
/// element type: `""` for `map[string]string`, nil for `map[string]interface{}`).
#[derive(Debug, Clone, PartialEq)]
pub struct MapValue {
    /// The entries.
    pub entries: BTreeMap<String, Value>,
    /// What a missing key reads as.
    pub zero: Box<Value>,
}

impl Value {
    /// A `map[string]string`.
    pub fn strings(entries: impl IntoIterator<Item = (String, String)>) -> Value {
        Value::Map(MapValue {
            entries: entries
                .into_iter()
                .map(|(k, v)| (k, Value::Str(v)))
                .collect(),
            zero: Box::new(Value::Str(String::new())),
        })
    }

    /// A `map[string]interface{}`.
    pub fn interfaces(entries: impl IntoIterator<Item = (String, Value)>) -> Value {
        Value::Map(MapValue {
            entries: entries.into_iter().collect(),
            zero: Box::new(Value::Nil),
        })
    }

    /// A struct of `fields`.
    pub fn structure<'a>(fields: impl IntoIterator<Item = (&'a str, Value)>) -> Value {
        Value::Struct(fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }
}

/// How a template escapes what its actions print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Escape {
    /// As `text/template`: printed as is.
    #[default]
    Text,
    /// As `html/template` (alert details): each action escaped for where it lands (HTML
    /// text, an attribute, a URL, JavaScript, CSS); a template it cannot escape fails to
    /// render, with Go's error.
    Html,
}

/// A parsed template, with the text it was parsed from.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    source: String,
    nodes: Vec<parse::Node>,
    /// Why `html/template` refuses to run it (Go reports this when the template is first
    /// executed, not when it is parsed).
    refusal: Option<String>,
}

impl Template {
    /// Parses `text` as a `text/template`; an error says what was expected where.
    pub fn parse(text: &str) -> Result<Template, String> {
        Self::parse_escaped(text, Escape::Text)
    }

    /// Parses `text`, whose actions' output is escaped as `escape` says.
    pub fn parse_escaped(text: &str, escape: Escape) -> Result<Template, String> {
        let mut nodes = parse::parse(text)?;
        let refusal = match escape {
            Escape::Text => None,
            Escape::Html => html::escape(&mut nodes, text).err(),
        };
        Ok(Template {
            source: text.to_owned(),
            nodes,
            refusal,
        })
    }

    /// The text it was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The template rendered from `data` (the template's `.`); an error is Go's execution
    /// error (a field the data lacks, mismatched types in a comparison, …) or, for an
    /// `html/template`, why it cannot be escaped.
    pub fn render(&self, data: &Value) -> Result<String, String> {
        if let Some(refusal) = &self.refusal {
            return Err(refusal.clone());
        }
        exec::render(&self.nodes, data).map_err(|(error, _)| error)
    }

    /// What Go's execution writes from `data`, an execution error or not: on an error, the
    /// text written before it (what Kapacitor sends where it ignores the error, as its
    /// ServiceNow, Zenoss and BigPanda handlers do); nothing for a template that cannot be
    /// escaped.
    pub fn render_partial(&self, data: &Value) -> String {
        if self.refusal.is_some() {
            return String::new();
        }
        match exec::render(&self.nodes, data) {
            Ok(text) | Err((_, text)) => text,
        }
    }
}

impl fmt::Display for Template {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

#[cfg(test)]
mod tests;
