//! Template vars: the values a template task's `var name type` declarations receive, in
//! Kapacitor's JSON shape `{"name": {"type": "float", "value": 90}}`.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Value;
use crate::diagnostic::Diagnostic;
use crate::tick::Span;
use crate::tick::ast::{Expr, ExprKind};
use crate::value_type::ValueType;

/// One var as the JSON gives it: a type word and a value.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Var {
    /// `int`, `float`, `bool`, `string`, `regex`, `duration`, `lambda`, `list` or `star`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// The value: a JSON number, string or bool; a duration as nanoseconds or as `"10s"`; a
    /// lambda or regex as its text; a list as an array of vars.
    #[serde(default)]
    pub value: serde_json::Value,
    /// What the var is for (kept, not used).
    #[serde(default)]
    pub description: String,
}

/// The vars of a template task, by name.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vars(BTreeMap<String, Var>);

impl Vars {
    /// Reads vars from Kapacitor's JSON shape; every var's type word is checked here, its
    /// value when the script uses it.
    pub fn from_json(text: &str) -> Result<Vars, String> {
        let vars: BTreeMap<String, Var> =
            serde_json::from_str(text).map_err(|e| format!("invalid vars JSON: {e}"))?;
        for (name, var) in &vars {
            if ValueType::from_declaration(&var.type_name).is_none() {
                return Err(format!(
                    "var {name:?} has unknown type {:?} (use int, float, bool, string, regex, \
                     duration, lambda, list or star)",
                    var.type_name
                ));
            }
        }
        Ok(Vars(vars))
    }

    /// The var named `name`.
    pub fn get(&self, name: &str) -> Option<&Var> {
        self.0.get(name)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The vars as Kapacitor answers with them: every var with its `type`, `value` and
    /// `description`, a duration in nanoseconds, a lambda as its expression. A value that
    /// does not fit its type is left as given (checking the script says why).
    pub fn to_json(&self) -> serde_json::Value {
        let vars = self.0.iter().map(|(name, var)| {
            let json = match var.to_value(name, Span::default()) {
                Ok(value) => super::TemplateVar {
                    value_type: var.value_type(),
                    description: var.description.clone(),
                    value: Some(value),
                }
                .to_json(),
                Err(_) => serde_json::json!({
                    "type": var.type_name,
                    "value": var.value,
                    "description": var.description,
                }),
            };
            (name.clone(), json)
        });
        serde_json::Value::Object(vars.collect())
    }
}

impl Var {
    /// Its declared type (checked when the vars were read).
    pub fn value_type(&self) -> ValueType {
        ValueType::from_declaration(&self.type_name).unwrap_or(ValueType::Star)
    }

    /// Its value as the script sees it; `span` is where the script names the var.
    pub(crate) fn to_value(&self, name: &str, span: Span) -> Result<Value, Diagnostic> {
        let bad = |expected: &str| {
            Diagnostic::error(
                span,
                format!(
                    "invalid value for var {name:?} of type {}: expected {expected}, got {}",
                    self.type_name, self.value
                ),
            )
        };
        let json = &self.value;
        Ok(match self.value_type() {
            ValueType::Int => Value::Int(json.as_i64().ok_or_else(|| bad("an integer"))?),
            ValueType::Float => Value::Float(json.as_f64().ok_or_else(|| bad("a number"))?),
            ValueType::Bool => Value::Bool(json.as_bool().ok_or_else(|| bad("true or false"))?),
            ValueType::String => {
                Value::String(json.as_str().ok_or_else(|| bad("a string"))?.to_owned())
            }
            ValueType::Duration => match json {
                serde_json::Value::Number(n) => {
                    Value::Duration(n.as_i64().ok_or_else(|| bad("nanoseconds"))?)
                }
                serde_json::Value::String(s) => Value::Duration(
                    crate::tick::parse_duration(s)
                        .ok_or_else(|| bad("a duration such as \"10s\""))?,
                ),
                _ => return Err(bad("nanoseconds or a duration such as \"10s\"")),
            },
            ValueType::Regex => {
                let pattern = json.as_str().ok_or_else(|| bad("a regex pattern"))?;
                regex::Regex::new(pattern).map_err(|e| bad(&format!("a valid regex ({e})")))?;
                Value::Regex(pattern.to_owned())
            }
            ValueType::Lambda => {
                let text = json.as_str().ok_or_else(|| bad("a lambda expression"))?;
                Value::Lambda(Box::new(
                    parse_lambda(text)
                        .map_err(|e| bad(&format!("a lambda expression ({})", e.message)))?,
                ))
            }
            ValueType::List => {
                let items = json.as_array().ok_or_else(|| bad("a list of vars"))?;
                let mut values = Vec::with_capacity(items.len());
                for item in items {
                    let var: Var = serde_json::from_value(item.clone())
                        .map_err(|_| bad("a list of {\"type\": …, \"value\": …} objects"))?;
                    if ValueType::from_declaration(&var.type_name).is_none() {
                        return Err(bad("list items of a known type"));
                    }
                    values.push(var.to_value(name, span)?);
                }
                Value::List(values)
            }
            ValueType::Star | ValueType::Time | ValueType::Missing => Value::Star,
        })
    }
}

/// Parses the text of a lambda var (with or without its `lambda:`), as the body of a lambda.
fn parse_lambda(text: &str) -> Result<Expr, Diagnostic> {
    let body = text.trim();
    let body = body.strip_prefix("lambda:").unwrap_or(body);
    let source = format!("var x = lambda: {body}");
    let program = crate::tick::parse(&source)?;
    match program.statements.as_slice() {
        [crate::tick::ast::Statement::Var { value, .. }] => match &value.kind {
            ExprKind::Lambda(body) => Ok((**body).clone()),
            _ => Err(Diagnostic::error(Span::default(), "not a lambda")),
        },
        _ => Err(Diagnostic::error(
            Span::default(),
            "not a single lambda expression",
        )),
    }
}
