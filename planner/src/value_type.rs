//! The types of TICKscript values, with Kapacitor's names for them.

use std::fmt;

/// The type of a value in TICKscript: of a literal, a variable, a lambda's result or a
/// function's argument. The names are Kapacitor's (`ast.ValueType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// A 64-bit float.
    Float,
    /// A 64-bit signed integer.
    Int,
    /// A string.
    String,
    /// A boolean.
    Bool,
    /// A regular expression.
    Regex,
    /// A point in time (only inside lambdas: the `"time"` reference, `now()`).
    Time,
    /// A duration.
    Duration,
    /// A lambda expression.
    Lambda,
    /// A list of values.
    List,
    /// The star `*`.
    Star,
    /// A missing field or tag (inside lambdas).
    Missing,
}

impl ValueType {
    /// Kapacitor's word for the type (`float`, `int`, `boolean`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::Float => "float",
            ValueType::Int => "int",
            ValueType::String => "string",
            ValueType::Bool => "boolean",
            ValueType::Regex => "regex",
            ValueType::Time => "time",
            ValueType::Duration => "duration",
            ValueType::Lambda => "lambda",
            ValueType::List => "list",
            ValueType::Star => "star",
            ValueType::Missing => "missing",
        }
    }

    /// The type named by a template variable declaration (`var x float`) or by the `type` of
    /// a vars file entry; Kapacitor writes `bool` there, not `boolean`.
    pub fn from_declaration(word: &str) -> Option<ValueType> {
        Some(match word {
            "int" => ValueType::Int,
            "float" => ValueType::Float,
            "bool" => ValueType::Bool,
            "string" => ValueType::String,
            "regex" => ValueType::Regex,
            "duration" => ValueType::Duration,
            "lambda" => ValueType::Lambda,
            "list" => ValueType::List,
            "star" => ValueType::Star,
            _ => return None,
        })
    }

    /// The word a declaration uses for the type (`bool`, not `boolean`).
    pub fn declaration_word(self) -> &'static str {
        match self {
            ValueType::Bool => "bool",
            other => other.as_str(),
        }
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
