//! `default()`: fields and tags given to points that lack them.

use std::fmt;

use super::{Call, Properties, Quoted, string_of};
use crate::Diagnostic;
use crate::pipeline::Value;

/// A field's default value, of one of the field types.
#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// A float.
    Float(f64),
    /// An integer.
    Int(i64),
    /// A string.
    String(String),
    /// A boolean.
    Bool(bool),
}

impl fmt::Display for DefaultValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DefaultValue::Float(v) => write!(f, "{v:?}"),
            DefaultValue::Int(v) => write!(f, "{v}"),
            DefaultValue::String(v) => Quoted(v).fmt(f),
            DefaultValue::Bool(v) => f.write_str(if *v { "TRUE" } else { "FALSE" }),
        }
    }
}

/// The resolved properties of a `default()` node: `.field(name, value)` and
/// `.tag(name, value)`, each name once (a later setting of a name replaces its value).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DefaultSpec {
    /// Fields and their default values.
    pub fields: Vec<(String, DefaultValue)>,
    /// Tags and their default values.
    pub tags: Vec<(String, String)>,
}

impl DefaultSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let mut spec = DefaultSpec::default();
        for setting in props.all("Field") {
            let [name, value] = setting.args.as_slice() else {
                continue;
            };
            let name = string_of(name).unwrap_or_default().to_owned();
            let value = match &value.value {
                Value::Float(v) => DefaultValue::Float(*v),
                Value::Int(v) => DefaultValue::Int(*v),
                Value::String(v) => DefaultValue::String(v.clone()),
                Value::Bool(v) => DefaultValue::Bool(*v),
                other => {
                    return Err(Diagnostic::error(
                        value.span,
                        format!(
                            "a default field value must be a float, integer, string or \
                             boolean, not {}",
                            other.describe()
                        ),
                    ));
                }
            };
            upsert(&mut spec.fields, name, value);
        }
        for setting in props.all("Tag") {
            if let [name, value] = setting.args.as_slice() {
                let (name, value) = (string_of(name), string_of(value));
                upsert(
                    &mut spec.tags,
                    name.unwrap_or_default().to_owned(),
                    value.unwrap_or_default().to_owned(),
                );
            }
        }
        Ok(spec)
    }
}

/// Sets `name` to `value` in a list of pairs, replacing an earlier value.
pub(super) fn upsert<V>(pairs: &mut Vec<(String, V)>, name: String, value: V) {
    match pairs.iter_mut().find(|(n, _)| *n == name) {
        Some(pair) => pair.1 = value,
        None => pairs.push((name, value)),
    }
}

impl fmt::Display for DefaultSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut call = Call::new(f, "default", &[]);
        for (name, value) in &self.fields {
            call = call.prop("field", &[&Quoted(name), value]);
        }
        for (name, value) in &self.tags {
            call = call.prop("tag", &[&Quoted(name), &Quoted(value)]);
        }
        call.end()
    }
}
