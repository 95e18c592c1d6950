//! From a parsed script to a validated pipeline: Kapacitor's define-time evaluation.
//!
//! [`check`] walks the program as Kapacitor's `tick.Evaluate` does: `var`s are bound once,
//! names inside lambdas are replaced by their values, `|name()` creates a child node through
//! the [catalog](crate::catalog), `.name()` sets a property with arguments checked against
//! its Go parameter types, and edge types are checked as nodes are linked. Then the rules
//! Kapacitor applies to a finished pipeline run (see [`crate::nodes::rules`]). What comes out is a
//! [`Pipeline`]: the nodes with their arguments and property settings, ready to be lowered
//! to a plan.

mod constant;
mod eval;
mod lambda;
mod vars;

use std::collections::BTreeMap;

pub use constant::evaluate_with;
pub use eval::{DEADMAN_ID, DEADMAN_MESSAGE, DeadmanConfig, check, check_with};
pub(crate) use lambda::binary_type;
pub use vars::{Var, Vars};

use crate::catalog::{Edge, Object};
use crate::tick::Span;
use crate::tick::ast::Expr;
use crate::value_type::ValueType;

/// What feeds a task: points one at a time, or batches from queries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskType {
    /// A stream task: its script starts with `stream`.
    Stream,
    /// A batch task: its script starts with `batch`.
    Batch,
}

impl TaskType {
    /// `stream` or `batch`.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskType::Stream => "stream",
            TaskType::Batch => "batch",
        }
    }

    /// The type a script is written for: batch when it names `batch` as a source, stream
    /// otherwise.
    pub fn infer(program: &crate::tick::Program) -> TaskType {
        fn mentions_batch(expr: &Expr) -> bool {
            use crate::tick::ast::ExprKind;
            match &expr.kind {
                ExprKind::Ident(name) => name == "batch",
                ExprKind::Chain { left, .. } => mentions_batch(left),
                _ => false,
            }
        }
        use crate::tick::ast::Statement;
        let batch = program.statements.iter().any(|s| match s {
            Statement::Var { value, .. } => mentions_batch(value),
            Statement::Expr(expr) => mentions_batch(expr),
            _ => false,
        });
        if batch {
            TaskType::Batch
        } else {
            TaskType::Stream
        }
    }
}

/// The index of a node in [`Pipeline::nodes`]; the source (`stream` or `batch`) is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

/// A value given to a property or chaining method, after variables are resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    String(String),
    /// A duration in nanoseconds.
    Duration(i64),
    /// A regex (its pattern, already checked to compile).
    Regex(String),
    /// A lambda: its expression, with every variable replaced by its value.
    Lambda(Box<Expr>),
    /// A list.
    List(Vec<Value>),
    /// `*`.
    Star,
    /// A double-quoted reference (valid only where a node wants one, such as `dbrp`).
    Reference(String),
    /// A node of the pipeline (arguments of `join` and `union`).
    Node(NodeId),
    /// `time(10s)` as an argument of `groupBy`: a time dimension and its offset.
    TimeDimension {
        /// The length of the time buckets, in nanoseconds.
        length: i64,
        /// Their offset, in nanoseconds.
        offset: i64,
    },
}

impl Value {
    /// The TICKscript type of the value, when it has one (`None` for nodes and time
    /// dimensions).
    pub fn value_type(&self) -> Option<ValueType> {
        Some(match self {
            Value::Int(_) => ValueType::Int,
            Value::Float(_) => ValueType::Float,
            Value::Bool(_) => ValueType::Bool,
            Value::String(_) => ValueType::String,
            Value::Duration(_) => ValueType::Duration,
            Value::Regex(_) => ValueType::Regex,
            Value::Lambda(_) => ValueType::Lambda,
            Value::List(_) => ValueType::List,
            Value::Star => ValueType::Star,
            Value::Reference(_) | Value::Node(_) | Value::TimeDimension { .. } => return None,
        })
    }

    /// How the value is described in a message: `int 10`, `string 'cpu'`, `a lambda`.
    pub fn describe(&self) -> String {
        match self {
            Value::Int(v) => format!("int {v}"),
            Value::Float(v) => format!("float {v}"),
            Value::Bool(v) => format!("bool {}", if *v { "TRUE" } else { "FALSE" }),
            Value::String(v) => format!("string '{v}'"),
            Value::Duration(v) => format!("duration {}", format_duration(*v)),
            Value::Regex(v) => format!("regex /{v}/"),
            Value::Lambda(_) => "a lambda".to_owned(),
            Value::List(_) => "a list".to_owned(),
            Value::Star => "*".to_owned(),
            Value::Reference(v) => format!("the double-quoted reference \"{v}\""),
            Value::Node(_) => "a node".to_owned(),
            Value::TimeDimension { .. } => "a time dimension".to_owned(),
        }
    }
}

/// Formats nanoseconds as Kapacitor prints a duration: the largest unit that divides it
/// exactly (`90s` is `90s`, `120s` is `2m`, `0` is `0s`).
pub fn format_duration(nanos: i64) -> String {
    condenser_model::Duration::from_nanos(nanos).to_string()
}

/// A value with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Arg {
    /// The value.
    pub value: Value,
    /// Where it was written.
    pub span: Span,
    /// When it was written as a variable's name: where that variable was declared.
    pub declared_at: Option<Span>,
}

/// One `.property(args…)` call, in script order. Properties may be set more than once;
/// each call is kept (Kapacitor: for most the last wins, some append).
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The property's Go name (`Period`).
    pub name: &'static str,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Where the property's name was written.
    pub span: Span,
}

/// An alert handler added to an alert node (`.email(…)`), with its own settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Handler {
    /// The handler's catalog entry (`EmailHandler`).
    pub object: &'static Object,
    /// The alert property that created it (`Email`).
    pub property: &'static str,
    /// The arguments of that property.
    pub args: Vec<Arg>,
    /// The handler's own settings (`.to(…)` after `.email()`).
    pub settings: Vec<Setting>,
    /// Where it was written.
    pub span: Span,
}

/// One node of a pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Its index.
    pub id: NodeId,
    /// How the script names it (`window`, `from`, `mean`, `stream`).
    pub name: String,
    /// Its catalog entry.
    pub object: &'static Object,
    /// Its parents in order: the node it was chained from, then any nodes given as
    /// arguments (`join`, `union`).
    pub parents: Vec<NodeId>,
    /// The edge it wants from its parents.
    pub wants: Edge,
    /// The edge it gives its children.
    pub provides: Edge,
    /// The arguments of the chaining method that created it (`mean('value')`).
    pub args: Vec<Arg>,
    /// Its property settings, in script order.
    pub settings: Vec<Setting>,
    /// Its alert handlers, in script order.
    pub handlers: Vec<Handler>,
    /// Where the chaining method was written (the source: the first mention).
    pub span: Span,
}

impl Node {
    /// The settings of property `name` (Go spelling), in order.
    pub fn settings_of<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Setting> + 'a {
        self.settings.iter().filter(move |s| s.name == name)
    }

    /// The last setting of property `name` (Go spelling): the one that wins.
    pub fn setting(&self, name: &str) -> Option<&Setting> {
        self.settings.iter().rev().find(|s| s.name == name)
    }
}

/// A validated task: its nodes, the `dbrp` statements and the template variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Pipeline {
    /// Stream or batch.
    pub task_type: TaskType,
    /// The nodes; [`NodeId`] indexes this, the source first, children after parents.
    pub nodes: Vec<Node>,
    /// `(database, retention policy)` of each `dbrp` statement.
    pub dbrps: Vec<(String, String)>,
    /// The vars a template task may set, by name: those the script declares by type
    /// (`var x float`) and those it gives a plain value (`var x = 90`, not a node).
    pub template_vars: BTreeMap<String, TemplateVar>,
}

/// A var a template task may set.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateVar {
    /// Its type: declared, or its default's.
    pub value_type: ValueType,
    /// The comment above its declaration.
    pub description: String,
    /// Its default (the script's value), or what the vars gave a var declared by type;
    /// `None` for a var declared by type that the vars do not give.
    pub value: Option<Value>,
}

impl TemplateVar {
    /// The var in Kapacitor's JSON: `{"type": …, "value": …, "description": …}` (a
    /// duration in nanoseconds, a lambda as its expression, `null` for none or a star).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "type": self.value_type.declaration_word(),
            "value": self.value.as_ref().map_or(serde_json::Value::Null, value_json),
            "description": self.description,
        })
    }
}

/// A var's value in Kapacitor's JSON.
fn value_json(value: &Value) -> serde_json::Value {
    use serde_json::{Value as Json, json};
    match value {
        Value::Int(v) => json!(v),
        Value::Float(v) => json!(v),
        Value::Bool(v) => json!(v),
        Value::String(v) | Value::Regex(v) | Value::Reference(v) => json!(v),
        Value::Duration(v) => json!(v),
        Value::Lambda(expr) => json!(crate::tick::format_expression(expr)),
        Value::List(items) => Json::Array(
            items
                .iter()
                .map(|item| {
                    json!({
                        "type": item.value_type().map_or("star", ValueType::declaration_word),
                        "value": value_json(item),
                        "description": "",
                    })
                })
                .collect(),
        ),
        Value::Star | Value::Node(_) | Value::TimeDimension { .. } => Json::Null,
    }
}

impl Pipeline {
    /// The children of `id`, in creation order.
    pub fn children(&self, id: NodeId) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(move |n| n.parents.contains(&id))
    }
}

#[cfg(test)]
mod tests;
