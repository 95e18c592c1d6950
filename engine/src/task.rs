//! A running task: the operators of a validated pipeline, wired as its graph.
//!
//! [`Task::try_new`] turns each pipeline node into its operator with one `match` on the
//! node's name, resolving its properties; a node or property the engine does not run yet is
//! an error naming it and its place in the script, never silently ignored. [`Task::write`]
//! then takes writes in order and pushes what each operator emits to its children, depth
//! first, so every edge sees its messages in order.

use condenser_model::WriteBatch;
use condenser_planner::pipeline::{Node, Pipeline, Setting, Value};
use condenser_planner::{Diagnostic, Diagnostics};

use std::time::Instant;

use crate::lambda::Lambda;
use crate::message::Message;
use crate::operators::Operator;
use crate::operators::change_detect::ChangeDetectOperator;
use crate::operators::combine::{CombineOperator, CombineSpec};
use crate::operators::default::{DefaultOperator, DefaultSpec};
use crate::operators::derivative::{DerivativeOperator, DerivativeSpec};
use crate::operators::eval::{EvalOperator, EvalSpec};
use crate::operators::flatten::{FlattenOperator, FlattenSpec};
use crate::operators::from::{FromOperator, FromSpec};
use crate::operators::group_by::{Dimensions, GroupByOperator};
use crate::operators::holt_winters::HoltWinters;
use crate::operators::http_out::{HttpOutOperator, HttpOutResult};
use crate::operators::http_post::{HttpPostOperator, HttpPostSpec};
use crate::operators::influxql::{InfluxQlOperator, InfluxQlSpec, Reducer};
use crate::operators::join::{JoinFill, JoinOperator, JoinSpec};
use crate::operators::log::{LogLevel, LogOperator};
use crate::operators::noop::NoOpOperator;
use crate::operators::sample::{SampleOperator, SampleRate};
use crate::operators::shift::ShiftOperator;
use crate::operators::state_tracking::{StateMeasure, StateOperator, StateSpec};
use crate::operators::transform::{Transform, TransformOperator, TransformSpec};
use crate::operators::union::UnionOperator;
use crate::operators::where_::WhereOperator;
use crate::operators::window::{WindowOperator, WindowSpec};
use crate::statistics::NodeStatistics;
use crate::template::Template;

/// What a node of a running task is.
enum Runner {
    /// The task's source (`stream`): hands writes to its `from()` children.
    Source,
    /// A `from()` node.
    From(Box<FromOperator>),
    /// Any other node.
    Operator(Box<dyn Operator>),
}

struct TaskNode {
    runner: Runner,
    parents: Vec<usize>,
    children: Vec<usize>,
    stats: NodeStatistics,
}

/// A stream task, ready to take writes.
pub struct Task {
    nodes: Vec<TaskNode>,
    http_outs: Vec<(String, HttpOutResult)>,
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Task")
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Task {
    /// Builds the operators of `pipeline`, after lowering it to its logical plan (a
    /// pipeline that cannot be planned does not run).
    pub fn try_new(pipeline: &Pipeline) -> Result<Task, Diagnostics> {
        condenser_planner::plan::lower(pipeline)?;
        let mut errors = Vec::new();
        let mut nodes = Vec::with_capacity(pipeline.nodes.len());
        let mut http_outs = Vec::new();
        for node in &pipeline.nodes {
            let runner = match build(node, &mut http_outs) {
                Ok(runner) => runner,
                Err(error) => {
                    errors.push(error);
                    Runner::Operator(Box::new(NoOpOperator))
                }
            };
            nodes.push(TaskNode {
                runner,
                parents: node.parents.iter().map(|p| p.0).collect(),
                children: pipeline.children(node.id).map(|c| c.id.0).collect(),
                stats: NodeStatistics {
                    name: format!("{}{}", node.name, node.id.0),
                    ..NodeStatistics::default()
                },
            });
        }
        if !errors.is_empty() {
            return Err(Diagnostics(errors));
        }
        Ok(Task { nodes, http_outs })
    }

    /// Processes one write, in order after the previous ones.
    pub fn write(&mut self, write: &WriteBatch) {
        let children = self.nodes[0].children.clone();
        if children.len() > 1 && write.batch.num_rows() > 1 {
            // Several from() branches may meet again (union, join): hand each point to
            // every branch before the next point, so that they see the data's order.
            for row in 0..write.batch.num_rows() {
                let point = WriteBatch {
                    batch: write.batch.slice(row, 1),
                    ..write.clone()
                };
                self.write(&point);
            }
            return;
        }
        let source = &mut self.nodes[0].stats;
        source.collected += write.num_points() as u64;
        source.emitted += write.num_points() as u64;
        for child in children {
            let mut out = Vec::new();
            let started = Instant::now();
            if let Runner::From(from) = &mut self.nodes[child].runner {
                from.ingest(write, &mut out);
            }
            let stats = &mut self.nodes[child].stats;
            stats.collected += write.num_points() as u64;
            stats.calls += 1;
            stats.exec_time += started.elapsed();
            stats.errors += crate::statistics::take_errors();
            stats.record_emitted(&out);
            for message in out {
                self.deliver(child, message);
            }
        }
    }

    /// Tells every node that the input has ended, parents before children, delivering
    /// what each still emits.
    pub fn finish(&mut self) {
        for id in 0..self.nodes.len() {
            let mut out = Vec::new();
            if let Runner::Operator(operator) = &mut self.nodes[id].runner {
                operator.finish(&mut out);
            }
            self.nodes[id].stats.record_emitted(&out);
            for message in out {
                self.deliver(id, message);
            }
        }
    }

    fn deliver(&mut self, from: usize, message: Message) {
        let children = self.nodes[from].children.clone();
        for child in children {
            let mut out = Vec::new();
            let parent = self.nodes[child]
                .parents
                .iter()
                .position(|p| *p == from)
                .unwrap_or(0);
            let started = Instant::now();
            if let Runner::Operator(operator) = &mut self.nodes[child].runner {
                operator.process_from(parent, message.clone(), &mut out);
            }
            self.nodes[child]
                .stats
                .record(&message, &out, started.elapsed());
            for emitted in out {
                self.deliver(child, emitted);
            }
        }
    }

    /// The statistics of every node, in pipeline order.
    pub fn statistics(&self) -> Vec<NodeStatistics> {
        self.nodes
            .iter()
            .map(|node| NodeStatistics {
                working_cardinality: match &node.runner {
                    Runner::Operator(operator) => operator.cardinality(),
                    Runner::Source | Runner::From(_) => 0,
                },
                ..node.stats.clone()
            })
            .collect()
    }

    /// The task as Kapacitor's `show` prints it: a DOT graph of its nodes with their
    /// statistics and its edges with the points they processed.
    pub fn dot(&self, task_name: &str) -> String {
        let nodes: Vec<(NodeStatistics, Vec<usize>)> = self
            .statistics()
            .into_iter()
            .zip(&self.nodes)
            .map(|(stats, node)| (stats, node.children.clone()))
            .collect();
        crate::statistics::dot(task_name, &nodes)
    }

    /// The result of the httpOut node named `name`.
    pub fn http_out(&self, name: &str) -> Option<&HttpOutResult> {
        self.http_outs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r)
    }

    /// The names of the task's httpOut nodes, in script order.
    pub fn http_out_names(&self) -> Vec<&str> {
        self.http_outs.iter().map(|(n, _)| n.as_str()).collect()
    }
}

fn unsupported(span: condenser_planner::tick::Span, what: String) -> Diagnostic {
    Diagnostic::error(
        span,
        format!("{what} is not supported by Condenser's engine yet"),
    )
}

/// Refuses every setting of `node` not in `supported` (Go names).
fn only(node: &Node, supported: &[&str]) -> Result<(), Diagnostic> {
    match node
        .settings
        .iter()
        .find(|s| !supported.contains(&s.name) && s.name != "Quiet")
    {
        Some(setting) => Err(unsupported(
            setting.span,
            format!(
                ".{}() of {}()",
                condenser_planner::catalog::script_name(setting.name),
                node.name
            ),
        )),
        None => Ok(()),
    }
}

fn string_arg(setting: Option<&Setting>) -> Option<String> {
    match setting?.args.first()?.value {
        Value::String(ref s) => Some(s.clone()),
        _ => None,
    }
}

fn duration_arg(setting: Option<&Setting>) -> i64 {
    match setting.and_then(|s| s.args.first()).map(|a| &a.value) {
        Some(Value::Duration(d)) => *d,
        _ => 0,
    }
}

fn strings(args: &[condenser_planner::pipeline::Arg]) -> Vec<String> {
    args.iter()
        .filter_map(|a| match &a.value {
            Value::String(s) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

fn dimensions(args: &[condenser_planner::pipeline::Arg]) -> Dimensions {
    Dimensions {
        star: args.iter().any(|a| a.value == Value::Star),
        tags: strings(args),
        exclude: Vec::new(),
        by_name: false,
    }
}

/// The compiled lambda of an argument; an error when it is none or cannot be compiled.
fn lambda(arg: &condenser_planner::pipeline::Arg) -> Result<Lambda, Diagnostic> {
    match &arg.value {
        Value::Lambda(expr) => Lambda::from_script(expr),
        other => Err(Diagnostic::error(
            arg.span,
            format!("expected a lambda, got {}", other.describe()),
        )),
    }
}

/// The compiled lambdas among `args`.
fn lambdas(args: &[condenser_planner::pipeline::Arg]) -> Result<Vec<Lambda>, Diagnostic> {
    args.iter()
        .filter(|a| matches!(a.value, Value::Lambda(_)))
        .map(lambda)
        .collect()
}

/// Whether `.quiet()` was set: the node does not log the points it fails on.
fn quiet(node: &Node) -> bool {
    node.setting("Quiet").is_some()
}

/// The runner of one node: the one place that maps node names to operators.
fn build(node: &Node, http_outs: &mut Vec<(String, HttpOutResult)>) -> Result<Runner, Diagnostic> {
    if !node.handlers.is_empty() {
        return Err(unsupported(
            node.span,
            format!("{}() with alert handlers", node.name),
        ));
    }
    Ok(match node.name.as_str() {
        "stream" => Runner::Source,
        "from" => {
            only(
                node,
                &[
                    "Database",
                    "RetentionPolicy",
                    "Measurement",
                    "Where",
                    "GroupBy",
                    "GroupByMeasurement",
                    "Truncate",
                    "Round",
                ],
            )?;
            let mut dims = node
                .setting("GroupBy")
                .map(|s| dimensions(&s.args))
                .unwrap_or_default();
            dims.by_name = node.setting("GroupByMeasurement").is_some();
            Runner::From(Box::new(FromOperator::new(FromSpec {
                database: string_arg(node.setting("Database")),
                retention_policy: string_arg(node.setting("RetentionPolicy")),
                measurement: string_arg(node.setting("Measurement")),
                // Each `.where()` is ANDed to the ones before, as in Kapacitor.
                predicate: node
                    .settings_of("Where")
                    .map(|s| lambda(&s.args[0]))
                    .collect::<Result<Vec<_>, _>>()?
                    .into_iter()
                    .reduce(Lambda::and),
                dimensions: dims,
                quiet: quiet(node),
                truncate: duration_arg(node.setting("Truncate")),
                round: duration_arg(node.setting("Round")),
            })))
        }
        "where" => {
            only(node, &[])?;
            let predicate = lambda(&node.args[0])?;
            Runner::Operator(Box::new(WhereOperator::new(predicate, quiet(node))))
        }
        "eval" => {
            only(node, &["As", "Tags", "Keep"])?;
            let keep = node.setting("Keep").map(|s| strings(&s.args));
            Runner::Operator(Box::new(EvalOperator::new(EvalSpec {
                expressions: lambdas(&node.args)?,
                names: node
                    .setting("As")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
                tags: node
                    .setting("Tags")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
                keep,
                quiet: quiet(node),
            })))
        }
        "groupBy" => {
            only(node, &["Exclude", "ByMeasurement"])?;
            let mut dims = dimensions(&node.args);
            dims.exclude = node
                .settings_of("Exclude")
                .flat_map(|s| strings(&s.args))
                .collect();
            dims.by_name = node.setting("ByMeasurement").is_some();
            Runner::Operator(Box::new(GroupByOperator::new(dims)))
        }
        "window" => {
            only(
                node,
                &[
                    "Period",
                    "Every",
                    "Align",
                    "FillPeriod",
                    "PeriodCount",
                    "EveryCount",
                ],
            )?;
            let int = |name: &str| match node
                .setting(name)
                .and_then(|s| s.args.first())
                .map(|a| &a.value)
            {
                Some(Value::Int(i)) => *i,
                _ => 0,
            };
            let period = duration_arg(node.setting("Period"));
            if period == 0 && int("PeriodCount") == 0 {
                return Err(Diagnostic::error(
                    node.span,
                    "window node must have either a non zero period or non zero period count",
                ));
            }
            Runner::Operator(Box::new(WindowOperator::new(WindowSpec {
                period,
                every: duration_arg(node.setting("Every")),
                align: node.setting("Align").is_some(),
                fill_period: node.setting("FillPeriod").is_some(),
                period_count: int("PeriodCount"),
                every_count: int("EveryCount"),
            })))
        }
        name if Reducer::of(name).is_some() => {
            only(node, &["As", "UsePointTimes"])?;
            // top(n, field, …) and bottom(n, field, …) name the field second.
            let field_arg = if matches!(name, "top" | "bottom") {
                1
            } else {
                0
            };
            let field = match node.args.get(field_arg).map(|a| &a.value) {
                Some(Value::String(f)) => f.clone(),
                _ => {
                    return Err(unsupported(
                        node.span,
                        format!("{name}() without a field name"),
                    ));
                }
            };
            let reducer = match (
                Reducer::of(name).expect("checked above"),
                node.args.get(1).map(|a| &a.value),
            ) {
                (Reducer::Percentile(_), Some(Value::Float(p))) => Reducer::Percentile(*p),
                (Reducer::HoltWinters(hw), _) => match node.args.as_slice() {
                    [_, h, m, interval] => match (&h.value, &m.value, &interval.value) {
                        (Value::Int(h), Value::Int(m), Value::Duration(interval)) => {
                            Reducer::HoltWinters(HoltWinters {
                                h: usize::try_from(*h).unwrap_or(0),
                                m: usize::try_from(*m).unwrap_or(0),
                                interval: *interval,
                                ..hw
                            })
                        }
                        _ => Reducer::HoltWinters(hw),
                    },
                    _ => Reducer::HoltWinters(hw),
                },
                (Reducer::Top(_), _) | (Reducer::Bottom(_), _) => {
                    let n = match node.args.first().map(|a| &a.value) {
                        Some(Value::Int(n)) => usize::try_from(*n).unwrap_or(0),
                        _ => 0,
                    };
                    if name == "top" {
                        Reducer::Top(n)
                    } else {
                        Reducer::Bottom(n)
                    }
                }
                (reducer, _) => reducer,
            };
            Runner::Operator(Box::new(InfluxQlOperator::new(InfluxQlSpec {
                reducer,
                field,
                // Both Holt-Winters functions are InfluxQL's `holtWinters`.
                as_name: string_arg(node.setting("As")).unwrap_or_else(|| {
                    if name == "holtWintersWithFit" {
                        "holtWinters"
                    } else {
                        name
                    }
                    .to_owned()
                }),
                use_point_times: node.setting("UsePointTimes").is_some(),
            })))
        }
        "httpOut" => {
            only(node, &[])?;
            let result = HttpOutResult::default();
            let name = match node.args.first().map(|a| &a.value) {
                Some(Value::String(n)) => n.clone(),
                _ => String::new(),
            };
            http_outs.push((name, result.clone()));
            Runner::Operator(Box::new(HttpOutOperator::new(result)))
        }
        "derivative" => {
            only(node, &["As", "Unit", "NonNegative"])?;
            let unit = duration_arg(node.setting("Unit"));
            let field = strings(&node.args).into_iter().next().unwrap_or_default();
            Runner::Operator(Box::new(DerivativeOperator::new(DerivativeSpec {
                as_name: string_arg(node.setting("As")).unwrap_or_else(|| field.clone()),
                field,
                unit: if unit == 0 { 1_000_000_000 } else { unit },
                non_negative: node.setting("NonNegative").is_some(),
            })))
        }
        "default" => {
            only(node, &["Field", "Tag"])?;
            let mut spec = DefaultSpec::default();
            for setting in &node.settings {
                match (setting.name, setting.args.as_slice()) {
                    ("Field", [name, value]) => {
                        if let Value::String(name) = &name.value {
                            spec.fields.push((name.clone(), value.value.clone()));
                        }
                    }
                    ("Tag", [name, value]) => {
                        if let (Value::String(name), Value::String(value)) =
                            (&name.value, &value.value)
                        {
                            spec.tags.push((name.clone(), value.clone()));
                        }
                    }
                    _ => {}
                }
            }
            Runner::Operator(Box::new(DefaultOperator::new(spec)))
        }
        "delete" => {
            only(node, &["Field", "Tag"])?;
            let delete = node
                .settings
                .iter()
                .flat_map(|s| strings(&s.args))
                .collect();
            Runner::Operator(Box::new(DefaultOperator::new(DefaultSpec {
                delete,
                ..DefaultSpec::default()
            })))
        }
        "difference" | "elapsed" | "cumulativeSum" | "movingAverage" => {
            only(node, &["As"])?;
            let transform = match (node.name.as_str(), node.args.get(1).map(|a| &a.value)) {
                ("difference", _) => Transform::Difference,
                ("cumulativeSum", _) => Transform::CumulativeSum,
                ("elapsed", Some(Value::Duration(unit))) => Transform::Elapsed(*unit),
                ("movingAverage", Some(Value::Int(n))) if *n > 0 => {
                    Transform::MovingAverage(*n as usize)
                }
                _ => {
                    return Err(unsupported(
                        node.span,
                        format!("{}() with these arguments", node.name),
                    ));
                }
            };
            Runner::Operator(Box::new(TransformOperator::new(TransformSpec {
                transform,
                field: strings(&node.args).into_iter().next().unwrap_or_default(),
                as_name: string_arg(node.setting("As")).unwrap_or_else(|| node.name.clone()),
            })))
        }
        "join" => {
            only(
                node,
                &["As", "On", "Delimiter", "StreamName", "Tolerance", "Fill"],
            )?;
            let fill = match node
                .setting("Fill")
                .and_then(|s| s.args.first())
                .map(|a| &a.value)
            {
                None => JoinFill::None,
                Some(Value::String(s)) if s == "none" => JoinFill::None,
                Some(Value::String(s)) if s == "null" => JoinFill::Null,
                Some(Value::Int(i)) => JoinFill::Int(*i),
                Some(Value::Float(f)) => JoinFill::Float(*f),
                Some(_) => {
                    return Err(unsupported(
                        node.setting("Fill").map_or(node.span, |s| s.span),
                        "join().fill() other than none, null or a number".to_owned(),
                    ));
                }
            };
            Runner::Operator(Box::new(JoinOperator::new(JoinSpec {
                prefixes: node
                    .setting("As")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
                delimiter: string_arg(node.setting("Delimiter")).unwrap_or_else(|| ".".to_owned()),
                stream_name: string_arg(node.setting("StreamName")),
                tolerance: duration_arg(node.setting("Tolerance")),
                fill,
                wants_batches: node.wants == condenser_planner::catalog::Edge::Batch,
                on: node
                    .setting("On")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
            })))
        }
        "shift" => {
            only(node, &[])?;
            let shift = match node.args.first().map(|a| &a.value) {
                Some(Value::Duration(d)) => *d,
                _ => 0,
            };
            Runner::Operator(Box::new(ShiftOperator::new(shift)))
        }
        "stateCount" | "stateDuration" => {
            only(node, &["As", "Unit"])?;
            let count = node.name == "stateCount";
            let unit = duration_arg(node.setting("Unit"));
            Runner::Operator(Box::new(StateOperator::new(StateSpec {
                predicate: lambda(&node.args[0])?,
                as_name: string_arg(node.setting("As")).unwrap_or_else(|| {
                    if count {
                        "state_count"
                    } else {
                        "state_duration"
                    }
                    .to_owned()
                }),
                measure: if count {
                    StateMeasure::Count
                } else {
                    StateMeasure::Duration(if unit == 0 { 1_000_000_000 } else { unit })
                },
            })))
        }
        "combine" => {
            only(node, &["As", "Delimiter", "Tolerance", "Max"])?;
            let max = match node
                .setting("Max")
                .and_then(|s| s.args.first())
                .map(|a| &a.value)
            {
                Some(Value::Int(m)) => *m,
                _ => 10_000,
            };
            Runner::Operator(Box::new(CombineOperator::new(CombineSpec {
                expressions: lambdas(&node.args)?,
                names: node
                    .setting("As")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
                delimiter: string_arg(node.setting("Delimiter")).unwrap_or_else(|| ".".to_owned()),
                tolerance: duration_arg(node.setting("Tolerance")),
                max,
            })))
        }
        "flatten" => {
            only(
                node,
                &["On", "Delimiter", "Tolerance", "DropOriginalFieldName"],
            )?;
            if node.wants == condenser_planner::catalog::Edge::Batch {
                return Err(unsupported(node.span, "flatten() of batches".to_owned()));
            }
            // One argument sets it; none (or several) means TRUE, as in Kapacitor.
            let drop = node.setting("DropOriginalFieldName").is_some_and(
                |s| !matches!(s.args.as_slice(), [only] if only.value == Value::Bool(false)),
            );
            Runner::Operator(Box::new(FlattenOperator::new(FlattenSpec {
                on: node
                    .setting("On")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
                delimiter: string_arg(node.setting("Delimiter")).unwrap_or_else(|| ".".to_owned()),
                tolerance: duration_arg(node.setting("Tolerance")),
                drop_original_field_name: drop,
            })))
        }
        "httpPost" => {
            only(node, &["Header", "CodeField", "Timeout", "Endpoint"])?;
            if node.setting("Endpoint").is_some() {
                return Err(unsupported(
                    node.setting("Endpoint").map_or(node.span, |s| s.span),
                    ".endpoint() of httpPost() (configured endpoints)".to_owned(),
                ));
            }
            let url = strings(&node.args).into_iter().next().unwrap_or_default();
            let url = Template::parse(&url).map_err(|e| Diagnostic::error(node.args[0].span, e))?;
            let headers = node
                .settings_of("Header")
                .filter_map(|s| match s.args.as_slice() {
                    [k, v] => match (&k.value, &v.value) {
                        (Value::String(k), Value::String(v)) => Some((k.clone(), v.clone())),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let timeout = duration_arg(node.setting("Timeout"));
            Runner::Operator(Box::new(HttpPostOperator::new(HttpPostSpec {
                url,
                headers,
                code_field: string_arg(node.setting("CodeField")),
                timeout: std::time::Duration::from_nanos(if timeout > 0 {
                    timeout as u64
                } else {
                    30_000_000_000
                }),
            })))
        }
        "union" => {
            only(node, &["Rename"])?;
            Runner::Operator(Box::new(UnionOperator::new(string_arg(
                node.setting("Rename"),
            ))))
        }
        "sample" => {
            only(node, &[])?;
            let rate = match node.args.first().map(|a| &a.value) {
                Some(Value::Int(n)) => SampleRate::Count(*n),
                Some(Value::Duration(d)) => SampleRate::Duration(*d),
                _ => {
                    return Err(unsupported(
                        node.span,
                        "sample() without a count or duration".to_owned(),
                    ));
                }
            };
            Runner::Operator(Box::new(SampleOperator::new(rate)))
        }
        "changeDetect" => {
            only(node, &[])?;
            Runner::Operator(Box::new(ChangeDetectOperator::new(strings(&node.args))))
        }
        "log" => {
            only(node, &["Level", "Prefix"])?;
            let level = match string_arg(node.setting("Level")) {
                None => LogLevel::Info,
                Some(name) => LogLevel::parse(&name).ok_or_else(|| {
                    Diagnostic::error(
                        node.setting("Level").map_or(node.span, |s| s.span),
                        format!("invalid log level {name:?}: use DEBUG, INFO, WARN or ERROR"),
                    )
                })?,
            };
            let prefix = string_arg(node.setting("Prefix")).unwrap_or_default();
            Runner::Operator(Box::new(LogOperator::new(level, prefix)))
        }
        other => return Err(unsupported(node.span, format!("the {other}() node"))),
    })
}

#[cfg(test)]
mod tests;
