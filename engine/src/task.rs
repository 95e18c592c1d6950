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
use crate::operators::barrier::{BarrierOperator, BarrierSpec};
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
use crate::operators::influxdb_out::{InfluxDbOutOperator, InfluxDbOutSpec, WriteBack};
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
    /// A `stats()` node: no input, it reads its source node's counts on the wall clock.
    Stats(StatsSchedule),
    /// Any other node.
    Operator(Box<dyn Operator>),
}

/// When a `stats()` node emits, and about which node.
#[derive(Debug, Clone, Copy)]
struct StatsSchedule {
    /// The node whose emitted counts it reports (the node it was called on).
    source: usize,
    /// The interval, nanoseconds.
    interval: i64,
    /// `.align()`: emit on multiples of the interval, with rounded times.
    align: bool,
    /// When it emits next (wall clock); set when the task starts.
    due: Option<i64>,
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
    write_back: WriteBack,
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
        let write_back = WriteBack::default();
        for node in &pipeline.nodes {
            let runner = match build(node, &mut http_outs, &write_back) {
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
        // Only the nodes a stats() node watches count what they emit by group.
        for id in 0..nodes.len() {
            if let Runner::Stats(schedule) = nodes[id].runner {
                nodes[schedule.source].stats.emitted_by_group = Some(Default::default());
            }
        }
        Ok(Task {
            nodes,
            http_outs,
            write_back,
        })
    }

    /// Processes one write, in order after the previous ones, at the system's wall-clock
    /// time.
    pub fn write(&mut self, write: &WriteBatch) {
        self.write_at(write, crate::clock::system_now());
    }

    /// Processes one write with the wall clock reading `now` (nanoseconds since the epoch).
    pub fn write_at(&mut self, write: &WriteBatch, now: i64) {
        crate::clock::at(now, || self.ingest(write));
    }

    /// Lets the nodes that act on the wall clock (barrier, stats) emit what is due at `now`
    /// (nanoseconds since the epoch); whoever runs the task calls it as time goes by.
    pub fn tick(&mut self, now: i64) {
        crate::clock::at(now, || {
            for id in 0..self.nodes.len() {
                let mut out = Vec::new();
                let started = Instant::now();
                match &mut self.nodes[id].runner {
                    Runner::Operator(operator) if operator.ticks() => {
                        operator.tick(now, &mut out);
                    }
                    Runner::Stats(schedule) => {
                        let schedule = *schedule;
                        out = self.stats_points(id, schedule, now);
                    }
                    _ => continue,
                }
                let stats = &mut self.nodes[id].stats;
                stats.exec_time += started.elapsed();
                stats.record_emitted(&out);
                for message in out {
                    self.deliver(id, message);
                }
            }
        });
    }

    /// What stats() node `id` emits at `now`: when due, one point per group its source
    /// emitted, with the count as the integer field `emitted` (one point with 0 before any).
    fn stats_points(&mut self, id: usize, schedule: StatsSchedule, now: i64) -> Vec<Message> {
        use crate::message::{Group, Points};
        let due = match schedule.due {
            Some(due) => due,
            None => {
                // The first tick starts the schedule.
                let start = if schedule.align {
                    crate::go_time::truncate(now, schedule.interval)
                } else {
                    now
                };
                let due = start + schedule.interval;
                self.set_stats_due(id, due);
                due
            }
        };
        if now < due {
            return Vec::new();
        }
        let mut next = due + schedule.interval;
        if next <= now {
            next = now + schedule.interval;
        }
        self.set_stats_due(id, next);
        let time = if schedule.align {
            crate::go_time::round(now, schedule.interval)
        } else {
            now
        };
        let counts: Vec<(std::sync::Arc<Group>, u64)> =
            match &self.nodes[schedule.source].stats.emitted_by_group {
                Some(by_group) if !by_group.is_empty() => by_group
                    .iter()
                    .map(|(g, n)| (std::sync::Arc::clone(g), *n))
                    .collect(),
                _ => vec![(Group::none(), 0)],
            };
        counts
            .into_iter()
            .map(|(group, emitted)| {
                let (mut fields, mut columns) =
                    crate::operators::time_and_group_tags(vec![time], &group);
                fields.push(condenser_model::schema::field_field(
                    "emitted",
                    condenser_model::FieldType::Integer,
                ));
                columns.push(std::sync::Arc::new(arrow::array::Int64Array::from(vec![
                    i64::try_from(emitted).unwrap_or(i64::MAX),
                ])));
                let schema = std::sync::Arc::new(arrow::datatypes::Schema::new(fields));
                Message::Points(Points {
                    name: "stats".into(),
                    data: arrow::array::RecordBatch::try_new(schema, columns)
                        .expect("columns of one row"),
                    groups: vec![group].into(),
                })
            })
            .collect()
    }

    fn set_stats_due(&mut self, id: usize, due: i64) {
        if let Runner::Stats(schedule) = &mut self.nodes[id].runner {
            schedule.due = Some(due);
        }
    }

    fn ingest(&mut self, write: &WriteBatch) {
        let children = self.nodes[0].children.clone();
        if children.len() > 1 && write.batch.num_rows() > 1 {
            // Several from() branches may meet again (union, join): hand each point to
            // every branch before the next point, so that they see the data's order.
            for row in 0..write.batch.num_rows() {
                let point = WriteBatch {
                    batch: write.batch.slice(row, 1),
                    ..write.clone()
                };
                self.ingest(&point);
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
        let count = message.count();
        let mut message = Some(message);
        for (i, &child) in children.iter().enumerate() {
            // A stats() node is called on a node but takes none of its data.
            if matches!(self.nodes[child].runner, Runner::Stats(_)) {
                continue;
            }
            let mut out = Vec::new();
            let parent = self.nodes[child]
                .parents
                .iter()
                .position(|p| *p == from)
                .unwrap_or(0);
            // The last child takes the message itself; the others a copy.
            let input = if i + 1 == children.len() {
                message.take().expect("the message until its last child")
            } else {
                message.clone().expect("the message until its last child")
            };
            let started = Instant::now();
            if let Runner::Operator(operator) = &mut self.nodes[child].runner {
                match input {
                    Message::Batches(batches) if !operator.takes_batches() => {
                        for batch in batches.split() {
                            operator.process_from(parent, Message::Batch(batch), &mut out);
                        }
                    }
                    input => operator.process_from(parent, input, &mut out),
                }
            }
            self.nodes[child]
                .stats
                .record(count, &out, started.elapsed());
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
                    Runner::Source | Runner::From(_) | Runner::Stats(_) => 0,
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

    /// Takes the writes the task's influxDBOut nodes made since the last call, for the
    /// local ingest path.
    pub fn take_writes(&self) -> Vec<WriteBatch> {
        self.write_back.take()
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

/// Whether the boolean property `name` is set: `.name()` and `.name(TRUE)` set it,
/// `.name(FALSE)` does not, as in Kapacitor.
fn flag(node: &Node, name: &str) -> bool {
    node.setting(name)
        .is_some_and(|s| !matches!(s.args.as_slice(), [only] if only.value == Value::Bool(false)))
}

/// Whether `.quiet()` was set: the node does not log the points it fails on.
fn quiet(node: &Node) -> bool {
    node.setting("Quiet").is_some()
}

/// The runner of one node: the one place that maps node names to operators.
fn build(
    node: &Node,
    http_outs: &mut Vec<(String, HttpOutResult)>,
    write_back: &WriteBack,
) -> Result<Runner, Diagnostic> {
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
                &[
                    "As",
                    "On",
                    "Delimiter",
                    "StreamName",
                    "Tolerance",
                    "Fill",
                    "DeleteAll",
                ],
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
                delete_all: flag(node, "DeleteAll"),
                on: node
                    .setting("On")
                    .map(|s| strings(&s.args))
                    .unwrap_or_default(),
            })))
        }
        "barrier" => {
            only(node, &["Idle", "Period", "Delete"])?;
            Runner::Operator(Box::new(BarrierOperator::new(BarrierSpec {
                idle: duration_arg(node.setting("Idle")),
                period: duration_arg(node.setting("Period")),
                delete: flag(node, "Delete"),
            })))
        }
        "stats" => {
            only(node, &["Align"])?;
            let interval = match node.args.first().map(|a| &a.value) {
                Some(Value::Duration(d)) if *d > 0 => *d,
                _ => {
                    return Err(Diagnostic::error(
                        node.span,
                        "stats node must have positive interval".to_owned(),
                    ));
                }
            };
            Runner::Stats(StatsSchedule {
                source: node.parents[0].0,
                interval,
                align: node.setting("Align").is_some(),
                due: None,
            })
        }
        "influxDBOut" => {
            only(
                node,
                &[
                    "Database",
                    "RetentionPolicy",
                    "Measurement",
                    "Precision",
                    "Tag",
                ],
            )?;
            let required = |name: &str| {
                string_arg(node.setting(name)).ok_or_else(|| {
                    unsupported(
                        node.span,
                        format!(
                            "influxDBOut() without .{}() (writing back where the point came from)",
                            condenser_planner::catalog::script_name(name)
                        ),
                    )
                })
            };
            let precision = match string_arg(node.setting("Precision")).as_deref() {
                None | Some("" | "n" | "ns") => 1,
                Some("u" | "us" | "µ" | "µs") => 1_000,
                Some("ms") => 1_000_000,
                Some("s") => 1_000_000_000,
                Some("m") => 60_000_000_000,
                Some("h") => 3_600_000_000_000,
                Some(other) => {
                    let setting = node.setting("Precision").expect("a precision was given");
                    return Err(Diagnostic::error(
                        setting.span,
                        format!("invalid precision {other:?}: expected one of ns, u, ms, s, m, h"),
                    ));
                }
            };
            Runner::Operator(Box::new(InfluxDbOutOperator::new(
                InfluxDbOutSpec {
                    database: required("Database")?.into(),
                    retention_policy: required("RetentionPolicy")?.into(),
                    measurement: string_arg(node.setting("Measurement")).map(Into::into),
                    precision,
                    tags: node
                        .settings_of("Tag")
                        .map(|s| strings(&s.args))
                        .filter_map(|kv| match kv.as_slice() {
                            [k, v] => Some((k.clone(), v.clone())),
                            _ => None,
                        })
                        .collect(),
                },
                write_back.clone(),
            )))
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
            let drop = flag(node, "DropOriginalFieldName");
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
