//! Every node kind's resolved properties: one file per node kind, named as the node
//! (`window.rs`, `group_by.rs`, `where_.rs`), the same names as the engine's operators.
//!
//! In: a validated pipeline [`Node`]. Out: its [`NodeSpec`], a typed value (durations as
//! [`Duration`]s, lambdas as DataFusion expressions, lists as vectors) that the plan's
//! extension node carries and the engine builds its operator from. This module is the only
//! place a node's arguments and properties are read by name ([`Properties`]).
//!
//! A property Condenser does not run is an error at definition, naming it: every setting of
//! a node must be read by its resolver, and [`Properties::finish`] refuses one that was not.
//! A node kind Condenser does not run (UDFs, …) is an error the same way.
//!
//! Kapacitor's define-time rules over finished pipelines (each node's `validate()`) live
//! beside the resolvers, in [`rules`], and read properties by name too.
//!
//! Where a node's work is relational (the predicate of `where()` and of `from().where()`, the
//! expressions of `eval()`), [`resolve`] hands it out apart from the spec, and the plan holds
//! it as a DataFusion `Filter` or `Projection` directly beneath the node.

mod alert;
mod barrier;
mod change_detect;
mod combine;
mod default;
mod delete;
mod derivative;
mod eval;
mod flatten;
mod from;
mod group_by;
mod http_out;
mod http_post;
mod influxdb_out;
mod influxql;
mod join;
mod log;
mod query;
pub(crate) mod rules;
mod sample;
mod shift;
mod state_count;
mod state_duration;
mod stats;
mod trickle;
mod union;
mod where_;
mod window;

use std::fmt;

use condenser_model::Duration;
use datafusion_expr::Expr;

pub use alert::{AlertSpec, DEFAULT_DETAILS, DEFAULT_ID, DEFAULT_MESSAGE, Inhibit};
pub use barrier::BarrierSpec;
pub use change_detect::ChangeDetectSpec;
pub use combine::CombineSpec;
pub use default::{DefaultSpec, DefaultValue};
pub use delete::DeleteSpec;
pub use derivative::DerivativeSpec;
pub use eval::{EvalSpec, Keep};
pub use flatten::FlattenSpec;
pub use from::FromSpec;
pub use group_by::{Dimensions, GroupBySpec};
pub use http_out::HttpOutSpec;
pub use http_post::HttpPostSpec;
pub use influxdb_out::InfluxDbOutSpec;
pub use influxql::{HoltWintersSpec, InfluxQlFunction, InfluxQlSpec};
pub use join::{JoinFill, JoinSpec};
pub use log::{LogLevel, LogSpec};
pub use query::{QueryDimension, QueryFill, QueryLanguage, QuerySpec};
pub use sample::{SampleRate, SampleSpec};
pub use shift::ShiftSpec;
pub use state_count::StateCountSpec;
pub use state_duration::StateDurationSpec;
pub use stats::StatsSpec;
pub use trickle::TrickleSpec;
pub use union::UnionSpec;
pub use where_::WhereSpec;
pub use window::WindowSpec;

use crate::Diagnostic;
use crate::catalog::{Edge, script_name};
use crate::pipeline::{Arg, Handler, Node, Setting, Value};
use crate::tick::Span;

/// The resolved properties of one node, by node kind. Adding a variant fails to compile
/// until the engine builds an operator for it.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeSpec {
    /// `query()` or `queryFlux()`: a batch task's source.
    Query(Box<QuerySpec>),
    /// `from()`.
    From(FromSpec),
    /// `where()`.
    Where(WhereSpec),
    /// `eval()`.
    Eval(EvalSpec),
    /// `groupBy()`.
    GroupBy(GroupBySpec),
    /// `window()`.
    Window(WindowSpec),
    /// An InfluxQL function: `count()`, `mean()`, `top()`, `derivative`'s cousins
    /// `difference()`, `elapsed()`, `movingAverage()`, `cumulativeSum()`, `holtWinters()`, ….
    InfluxQl(InfluxQlSpec),
    /// `derivative()`.
    Derivative(DerivativeSpec),
    /// `default()`.
    Default(DefaultSpec),
    /// `delete()`.
    Delete(DeleteSpec),
    /// `shift()`.
    Shift(ShiftSpec),
    /// `sample()`.
    Sample(SampleSpec),
    /// `changeDetect()`.
    ChangeDetect(ChangeDetectSpec),
    /// `stateCount()`.
    StateCount(StateCountSpec),
    /// `stateDuration()`.
    StateDuration(StateDurationSpec),
    /// `join()`.
    Join(JoinSpec),
    /// `union()`.
    Union(UnionSpec),
    /// `combine()`.
    Combine(CombineSpec),
    /// `flatten()`.
    Flatten(FlattenSpec),
    /// `barrier()`.
    Barrier(BarrierSpec),
    /// `stats()`.
    Stats(StatsSpec),
    /// `trickle()`.
    Trickle(TrickleSpec),
    /// `log()`.
    Log(LogSpec),
    /// `httpOut()`.
    HttpOut(HttpOutSpec),
    /// `httpPost()`.
    HttpPost(HttpPostSpec),
    /// `influxDBOut()`.
    InfluxDbOut(InfluxDbOutSpec),
    /// `alert()`.
    Alert(Box<AlertSpec>),
    /// The node Kapacitor links under a node that `stats()` (or `deadman()`) watches when it
    /// has no children yet, so that what it emits has somewhere to go; no script writes it.
    NoOp,
}

impl NodeSpec {
    /// Kapacitor's name of the node kind as a script calls it (`window`, `mean`,
    /// `stateCount`); a node's name in statistics is this and its index (`window2`).
    pub fn name(&self) -> &'static str {
        match self {
            NodeSpec::Query(spec) => spec.name(),
            NodeSpec::From(_) => "from",
            NodeSpec::Where(_) => "where",
            NodeSpec::Eval(_) => "eval",
            NodeSpec::GroupBy(_) => "groupby",
            NodeSpec::Window(_) => "window",
            NodeSpec::InfluxQl(spec) => spec.function.name(),
            NodeSpec::Derivative(_) => "derivative",
            NodeSpec::Default(_) => "default",
            NodeSpec::Delete(_) => "delete",
            NodeSpec::Shift(_) => "shift",
            NodeSpec::Sample(_) => "sample",
            NodeSpec::ChangeDetect(_) => "changeDetect",
            NodeSpec::StateCount(_) => "state_count",
            NodeSpec::StateDuration(_) => "state_duration",
            NodeSpec::Join(_) => "join",
            NodeSpec::Union(_) => "union",
            NodeSpec::Combine(_) => "combine",
            NodeSpec::Flatten(_) => "flatten",
            NodeSpec::Barrier(_) => "barrier",
            NodeSpec::Stats(_) => "stats",
            NodeSpec::Trickle(_) => "trickle",
            NodeSpec::Log(_) => "log",
            NodeSpec::HttpOut(_) => "http_out",
            NodeSpec::HttpPost(_) => "http_post",
            NodeSpec::InfluxDbOut(_) => "influxdb_out",
            NodeSpec::Alert(_) => "alert",
            NodeSpec::NoOp => "noop",
        }
    }

    /// The lambdas the spec holds (a node's Filter or Projection holds the others).
    pub fn lambdas(&self) -> Vec<&Lambda> {
        match self {
            NodeSpec::StateCount(spec) => vec![&spec.predicate],
            NodeSpec::StateDuration(spec) => vec![&spec.predicate],
            NodeSpec::Combine(spec) => spec.expressions.iter().collect(),
            NodeSpec::Alert(spec) => spec.lambdas().collect(),
            _ => Vec::new(),
        }
    }

    /// The spec with its lambdas' expressions replaced by `exprs`, in the order of
    /// [`NodeSpec::lambdas`] (DataFusion's plan rewrites hand them back so).
    pub fn with_exprs(&self, exprs: &[Expr]) -> NodeSpec {
        let mut spec = self.clone();
        let lambdas: Vec<&mut Lambda> = match &mut spec {
            NodeSpec::StateCount(spec) => vec![&mut spec.predicate],
            NodeSpec::StateDuration(spec) => vec![&mut spec.predicate],
            NodeSpec::Combine(spec) => spec.expressions.iter_mut().collect(),
            NodeSpec::Alert(spec) => spec.lambdas_mut().collect(),
            _ => Vec::new(),
        };
        for (lambda, expr) in lambdas.into_iter().zip(exprs) {
            lambda.expr = expr.clone();
        }
        spec
    }
}

/// One line: the node as TICKscript, with the properties it resolved to.
impl fmt::Display for NodeSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeSpec::Query(spec) => spec.fmt(f),
            NodeSpec::From(spec) => spec.fmt(f),
            NodeSpec::Where(spec) => spec.fmt(f),
            NodeSpec::Eval(spec) => spec.fmt(f),
            NodeSpec::GroupBy(spec) => spec.fmt(f),
            NodeSpec::Window(spec) => spec.fmt(f),
            NodeSpec::InfluxQl(spec) => spec.fmt(f),
            NodeSpec::Derivative(spec) => spec.fmt(f),
            NodeSpec::Default(spec) => spec.fmt(f),
            NodeSpec::Delete(spec) => spec.fmt(f),
            NodeSpec::Shift(spec) => spec.fmt(f),
            NodeSpec::Sample(spec) => spec.fmt(f),
            NodeSpec::ChangeDetect(spec) => spec.fmt(f),
            NodeSpec::StateCount(spec) => spec.fmt(f),
            NodeSpec::StateDuration(spec) => spec.fmt(f),
            NodeSpec::Join(spec) => spec.fmt(f),
            NodeSpec::Union(spec) => spec.fmt(f),
            NodeSpec::Combine(spec) => spec.fmt(f),
            NodeSpec::Flatten(spec) => spec.fmt(f),
            NodeSpec::Barrier(spec) => spec.fmt(f),
            NodeSpec::Stats(spec) => spec.fmt(f),
            NodeSpec::Trickle(spec) => spec.fmt(f),
            NodeSpec::Log(spec) => spec.fmt(f),
            NodeSpec::HttpOut(spec) => spec.fmt(f),
            NodeSpec::HttpPost(spec) => spec.fmt(f),
            NodeSpec::InfluxDbOut(spec) => spec.fmt(f),
            NodeSpec::Alert(spec) => spec.fmt(f),
            NodeSpec::NoOp => f.write_str("noop"),
        }
    }
}

/// A lambda of a script: its expression lowered to DataFusion, and the TICKscript it was
/// written as (for plans and messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Lambda {
    /// The expression, over Kapacitor's functions as scalar UDFs
    /// (see [`crate::plan::lower_lambda`]).
    pub expr: Expr,
    /// The expression as TICKscript, without `lambda:`.
    pub text: String,
}

impl fmt::Display for Lambda {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lambda: {}", self.text)
    }
}

/// The relational part of a node, which the plan holds as a DataFusion node directly
/// beneath it.
#[derive(Debug, Clone, PartialEq)]
pub enum Relational {
    /// The points for which the predicate is true go on (`where()`, `from().where()`).
    Filter(Lambda),
    /// Each expression's result is named (`eval(…).as(…)`), in order; each sees the results
    /// before it.
    Projection(Vec<(String, Lambda)>),
}

/// A node resolved: its spec, its relational part if it has one, and `.quiet()`.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    /// The node's typed properties.
    pub spec: NodeSpec,
    /// Its Filter or Projection, if any.
    pub relational: Option<Relational>,
    /// `.quiet()` (every node has it): the node does not log the points it fails on.
    pub quiet: bool,
}

impl From<NodeSpec> for Resolved {
    fn from(spec: NodeSpec) -> Self {
        Resolved {
            spec,
            relational: None,
            quiet: false,
        }
    }
}

/// Resolves `node`'s arguments and properties; an error names a property or node kind
/// Condenser does not run, or a value it cannot take, with its place in the script.
pub fn resolve(node: &Node) -> Result<Resolved, Diagnostic> {
    let mut props = Properties::new(node);
    let resolved: Resolved = match node.object.go_type {
        "QueryNode" => NodeSpec::Query(Box::new(QuerySpec::resolve(
            &mut props,
            QueryLanguage::InfluxQl,
        )?))
        .into(),
        "QueryFluxNode" => NodeSpec::Query(Box::new(QuerySpec::resolve(
            &mut props,
            QueryLanguage::Flux,
        )?))
        .into(),
        "FromNode" => from::resolve(&mut props)?,
        "WhereNode" => where_::resolve(&mut props)?,
        "EvalNode" => eval::resolve(&mut props)?,
        "GroupByNode" => NodeSpec::GroupBy(GroupBySpec::resolve(&mut props)?).into(),
        "WindowNode" => NodeSpec::Window(WindowSpec::resolve(&mut props)?).into(),
        "InfluxQLNode" => NodeSpec::InfluxQl(InfluxQlSpec::resolve(&mut props)?).into(),
        "DerivativeNode" => NodeSpec::Derivative(DerivativeSpec::resolve(&mut props)?).into(),
        "DefaultNode" => NodeSpec::Default(DefaultSpec::resolve(&mut props)?).into(),
        "DeleteNode" => NodeSpec::Delete(DeleteSpec::resolve(&mut props)).into(),
        "ShiftNode" => NodeSpec::Shift(ShiftSpec::resolve(&mut props)?).into(),
        "SampleNode" => NodeSpec::Sample(SampleSpec::resolve(&mut props)?).into(),
        "ChangeDetectNode" => NodeSpec::ChangeDetect(ChangeDetectSpec::resolve(&mut props)).into(),
        "StateCountNode" => NodeSpec::StateCount(StateCountSpec::resolve(&mut props)?).into(),
        "StateDurationNode" => {
            NodeSpec::StateDuration(StateDurationSpec::resolve(&mut props)?).into()
        }
        "JoinNode" => NodeSpec::Join(JoinSpec::resolve(&mut props)?).into(),
        "UnionNode" => NodeSpec::Union(UnionSpec::resolve(&mut props)).into(),
        "CombineNode" => NodeSpec::Combine(CombineSpec::resolve(&mut props)?).into(),
        "FlattenNode" => NodeSpec::Flatten(FlattenSpec::resolve(&mut props)).into(),
        "BarrierNode" => NodeSpec::Barrier(BarrierSpec::resolve(&mut props)?).into(),
        "StatsNode" => NodeSpec::Stats(StatsSpec::resolve(&mut props)?).into(),
        "TrickleNode" => NodeSpec::Trickle(TrickleSpec::resolve(&mut props)).into(),
        "LogNode" => NodeSpec::Log(LogSpec::resolve(&mut props)?).into(),
        "HTTPOutNode" => NodeSpec::HttpOut(HttpOutSpec::resolve(&mut props)?).into(),
        "HTTPPostNode" => NodeSpec::HttpPost(HttpPostSpec::resolve(&mut props)?).into(),
        "InfluxDBOutNode" => NodeSpec::InfluxDbOut(InfluxDbOutSpec::resolve(&mut props)?).into(),
        "AlertNode" => NodeSpec::Alert(Box::new(AlertSpec::resolve(&mut props)?)).into(),
        "NoOpNode" => NodeSpec::NoOp.into(),
        _ => return Err(unsupported(node.span, format!("the {}() node", node.name))),
    };
    let quiet = props.quiet();
    props.finish()?;
    Ok(Resolved { quiet, ..resolved })
}

/// An error: `what` is something Condenser does not run yet.
pub(crate) fn unsupported(span: Span, what: String) -> Diagnostic {
    Diagnostic::error(span, format!("{what} is not supported by Condenser yet"))
}

/// A node's arguments and property settings, read by name: the only place a property is
/// read. It remembers which settings were read, so that a setting no resolver reads is an
/// error ([`Properties::finish`]), never silently ignored.
pub(crate) struct Properties<'a> {
    node: &'a Node,
    /// The handler whose settings these are (`.post(…)`'s), or `None` for the node's.
    handler: Option<&'a Handler>,
    read: Vec<bool>,
}

impl<'a> Properties<'a> {
    fn new(node: &'a Node) -> Self {
        Self {
            node,
            handler: None,
            read: vec![false; node.settings.len()],
        }
    }

    /// The settings and arguments of one of the node's alert handlers, read the same way.
    pub(crate) fn of_handler(node: &'a Node, handler: &'a Handler) -> Self {
        Self {
            node,
            handler: Some(handler),
            read: vec![false; handler.settings.len()],
        }
    }

    fn settings(&self) -> &'a [Setting] {
        match self.handler {
            Some(handler) => &handler.settings,
            None => &self.node.settings,
        }
    }

    /// The node.
    pub(crate) fn node(&self) -> &'a Node {
        self.node
    }

    /// The arguments of the chaining method that made the node (`window()`'s none,
    /// `mean('value')`'s one), or of the property that made the handler (`.log(path)`'s).
    pub(crate) fn args(&self) -> &'a [Arg] {
        match self.handler {
            Some(handler) => &handler.args,
            None => &self.node.args,
        }
    }

    /// Where the node (or the handler) was written.
    pub(crate) fn span(&self) -> Span {
        self.handler.map_or(self.node.span, |h| h.span)
    }

    /// Whether the node wants batches from its parent (rather than points).
    pub(crate) fn wants_batches(&self) -> bool {
        self.node.wants == Edge::Batch
    }

    /// Every setting of property `name` (Go spelling), in script order.
    pub(crate) fn all(&mut self, name: &str) -> Vec<&'a Setting> {
        self.settings()
            .iter()
            .enumerate()
            .filter(|(_, s)| s.name == name)
            .map(|(i, s)| {
                self.read[i] = true;
                s
            })
            .collect()
    }

    /// The last setting of property `name`: the one that wins.
    pub(crate) fn last(&mut self, name: &str) -> Option<&'a Setting> {
        self.all(name).pop()
    }

    /// The first argument of the last setting of `name`.
    fn value(&mut self, name: &str) -> Option<&'a Arg> {
        self.last(name).and_then(|s| s.args.first())
    }

    /// Whether the boolean property `name` is set: `.name()` and `.name(TRUE)` set it,
    /// `.name(FALSE)` does not, as in Kapacitor.
    pub(crate) fn flag(&mut self, name: &str) -> bool {
        self.last(name).is_some_and(
            |s| !matches!(s.args.as_slice(), [only] if only.value == Value::Bool(false)),
        )
    }

    /// `.quiet()`: the node does not log the points it fails on.
    pub(crate) fn quiet(&mut self) -> bool {
        self.flag("Quiet")
    }

    /// The string value of property `name`.
    pub(crate) fn string(&mut self, name: &str) -> Option<String> {
        self.value(name)
            .and_then(|a| string_of(a).map(str::to_owned))
    }

    /// The duration value of property `name`.
    pub(crate) fn duration(&mut self, name: &str) -> Option<Duration> {
        self.value(name).and_then(duration_of)
    }

    /// The integer value of property `name`.
    pub(crate) fn int(&mut self, name: &str) -> Option<i64> {
        match self.value(name)?.value {
            Value::Int(v) => Some(v),
            _ => None,
        }
    }

    /// The strings the last setting of `name` was given (a list value spread), if it was set.
    pub(crate) fn strings(&mut self, name: &str) -> Option<Vec<String>> {
        self.last(name).map(|s| strings_of(&s.args))
    }

    /// The strings of every setting of `name`, one after the other (properties that append,
    /// such as `groupBy().exclude()`).
    pub(crate) fn appended_strings(&mut self, name: &str) -> Vec<String> {
        self.all(name)
            .into_iter()
            .flat_map(|s| strings_of(&s.args))
            .collect()
    }

    /// The lambda of property `name`, lowered; `None` when it is not set.
    pub(crate) fn lambda(&mut self, name: &str) -> Result<Option<Lambda>, Diagnostic> {
        self.value(name).map(lambda_of).transpose()
    }

    /// Refuses every setting no resolver read: a property Condenser does not run.
    pub(crate) fn finish(self) -> Result<(), Diagnostic> {
        match self.read.iter().position(|read| !read) {
            None => Ok(()),
            Some(i) => {
                let setting = &self.settings()[i];
                let owner = match self.handler {
                    Some(handler) => format!(".{}()", script_name(handler.property)),
                    None => format!("{}()", self.node.name),
                };
                Err(unsupported(
                    setting.span,
                    format!(".{}() of {owner}", script_name(setting.name)),
                ))
            }
        }
    }
}

/// The string an argument holds.
pub(crate) fn string_of(arg: &Arg) -> Option<&str> {
    match &arg.value {
        Value::String(s) => Some(s),
        _ => None,
    }
}

/// The duration an argument holds.
pub(crate) fn duration_of(arg: &Arg) -> Option<Duration> {
    match arg.value {
        Value::Duration(d) => Some(Duration::from_nanos(d)),
        _ => None,
    }
}

/// The strings among `args`, a list value spread.
pub(crate) fn strings_of(args: &[Arg]) -> Vec<String> {
    fn push(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::String(s) => out.push(s.clone()),
            Value::List(items) => items.iter().for_each(|v| push(v, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for arg in args {
        push(&arg.value, &mut out);
    }
    out
}

/// The lowered lambda of an argument; an error when it holds none or cannot be lowered.
pub(crate) fn lambda_of(arg: &Arg) -> Result<Lambda, Diagnostic> {
    match &arg.value {
        Value::Lambda(expr) => Ok(Lambda {
            expr: crate::plan::lower_lambda(expr)?,
            text: crate::tick::format_expression(expr),
        }),
        other => Err(Diagnostic::error(
            arg.span,
            format!("expected a lambda, got {}", other.describe()),
        )),
    }
}

/// The lambdas among `args`, lowered (a list value spread).
pub(crate) fn lambdas_of(args: &[Arg]) -> Result<Vec<Lambda>, Diagnostic> {
    let mut out = Vec::new();
    for arg in args {
        match &arg.value {
            Value::List(items) => {
                for item in items {
                    out.push(lambda_of(&Arg {
                        value: item.clone(),
                        ..arg.clone()
                    })?);
                }
            }
            _ => out.push(lambda_of(arg)?),
        }
    }
    Ok(out)
}

/// Writes a node as TICKscript on one line: `window().period(10s).every(10s)`.
pub(crate) struct Call<'f, 'a> {
    f: &'f mut fmt::Formatter<'a>,
    result: fmt::Result,
}

impl<'f, 'a> Call<'f, 'a> {
    /// Starts with `name(args…)`.
    pub(crate) fn new(
        f: &'f mut fmt::Formatter<'a>,
        name: &str,
        args: &[&dyn fmt::Display],
    ) -> Self {
        let mut call = Call { f, result: Ok(()) };
        call.result = write!(call.f, "{name}(");
        call.list(args);
        call.write(")");
        call
    }

    fn write(&mut self, text: &str) {
        if self.result.is_ok() {
            self.result = self.f.write_str(text);
        }
    }

    fn list(&mut self, args: &[&dyn fmt::Display]) {
        for (i, arg) in args.iter().enumerate() {
            if i > 0 {
                self.write(", ");
            }
            if self.result.is_ok() {
                self.result = write!(self.f, "{arg}");
            }
        }
    }

    /// `.name(args…)`.
    pub(crate) fn prop(mut self, name: &str, args: &[&dyn fmt::Display]) -> Self {
        self.write(".");
        self.write(name);
        self.write("(");
        self.list(args);
        self.write(")");
        self
    }

    /// `.name(value)` when `value` is given.
    pub(crate) fn opt(self, name: &str, value: Option<&dyn fmt::Display>) -> Self {
        match value {
            Some(value) => self.prop(name, &[value]),
            None => self,
        }
    }

    /// `.name()` when `set`.
    pub(crate) fn flag(self, name: &str, set: bool) -> Self {
        if set { self.prop(name, &[]) } else { self }
    }

    /// `.name(d)` unless `d` is zero.
    pub(crate) fn duration(self, name: &str, d: Duration) -> Self {
        if d.is_zero() {
            self
        } else {
            self.prop(name, &[&d])
        }
    }

    /// `.name('a', 'b')` unless `values` is empty.
    pub(crate) fn strings(self, name: &str, values: &[String]) -> Self {
        if values.is_empty() {
            return self;
        }
        let quoted: Vec<Quoted<'_>> = values.iter().map(|v| Quoted(v)).collect();
        let args: Vec<&dyn fmt::Display> = quoted.iter().map(|q| q as &dyn fmt::Display).collect();
        self.prop(name, &args)
    }

    /// The result of writing.
    pub(crate) fn end(self) -> fmt::Result {
        self.result
    }
}

/// A string as a TICKscript literal: `'cpu'`, on one line (runs of white space, such as a
/// query's line breaks, print as one space).
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = self
            .0
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace('\\', "\\\\")
            .replace('\'', "\\'");
        write!(f, "'{text}'")
    }
}
