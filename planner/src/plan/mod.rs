//! A validated pipeline lowered to a DataFusion [`LogicalPlan`].
//!
//! The source (`stream`, `batch`) is a table scan whose schema is `time` and every column a
//! lambda of the task reads; a field's type is known only when points arrive, so those
//! columns are typed `Null` ("any") and Kapacitor's functions accept them. Then, node by
//! node in pipeline order:
//! - `where()` and `from().where()` become a `Filter` (several `.where()`s are ANDed),
//! - `eval()` becomes a `Projection` that passes the other columns through,
//! - every other node, stateful or not, becomes a [`Stage`] extension node labelled with its
//!   Kapacitor name (`window2`) and its TICKscript call.
//!
//! A node with several children appears once under each; a task with several ends (sinks)
//! is rooted at a `task` stage over all of them. [`explain`] prints the plan indented, as
//! DataFusion's `EXPLAIN` does.

pub mod expr;
pub mod functions;
mod stage;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};
use datafusion_common::DFSchema;
use datafusion_expr::Expr;
use datafusion_expr::logical_plan::builder::LogicalTableSource;
use datafusion_expr::logical_plan::{Extension, LogicalPlan, LogicalPlanBuilder};

pub use expr::lower_lambda;
pub use stage::Stage;

use crate::pipeline::{Arg, Node, NodeId, Pipeline, Value, format_duration};
use crate::tick::format_expression;
use crate::{Diagnostic, Diagnostics};

/// Lowers `pipeline` to a logical plan; errors name the node (or lambda) that cannot be
/// lowered.
pub fn lower(pipeline: &Pipeline) -> Result<LogicalPlan, Diagnostics> {
    let mut errors = Vec::new();
    let mut columns = Vec::new();
    for node in &pipeline.nodes {
        for arg in node_lambdas(node) {
            match lambda_of(arg) {
                Some(Ok(expr)) => expr::referenced_columns(&expr, &mut columns),
                Some(Err(error)) => errors.push(error),
                None => {}
            }
        }
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    let mut plans: Vec<Option<LogicalPlan>> = Vec::with_capacity(pipeline.nodes.len());
    for node in &pipeline.nodes {
        let plan =
            lower_node(pipeline, node, &plans, &columns).map_err(|e| Diagnostics(vec![e]))?;
        plans.push(Some(plan));
    }
    let sinks: Vec<&Node> = pipeline
        .nodes
        .iter()
        .filter(|n| pipeline.children(n.id).next().is_none())
        .collect();
    match sinks.as_slice() {
        [only] => Ok(plans[only.id.0].take().expect("every node is lowered")),
        _ => {
            let inputs: Vec<LogicalPlan> = sinks
                .iter()
                .map(|n| plans[n.id.0].clone().expect("every node is lowered"))
                .collect();
            let schema = merged_schema(&inputs).map_err(|e| {
                Diagnostics(vec![Diagnostic::error(
                    pipeline.nodes[0].span,
                    e.to_string(),
                )])
            })?;
            Ok(extension(Stage {
                node: NodeId(0),
                kind: "task".to_owned(),
                label: format!("task: {} ends", sinks.len()),
                exprs: Vec::new(),
                inputs,
                schema,
            }))
        }
    }
}

/// The plan as DataFusion's `EXPLAIN` prints it: one line a node, children indented.
pub fn explain(plan: &LogicalPlan) -> String {
    format!("{}\n", plan.display_indent())
}

/// The arguments and settings of `node` that may hold lambdas, in script order.
fn node_lambdas(node: &Node) -> impl Iterator<Item = &Arg> {
    node.args
        .iter()
        .chain(node.settings.iter().flat_map(|s| s.args.iter()))
        .chain(node.handlers.iter().flat_map(|h| {
            h.args
                .iter()
                .chain(h.settings.iter().flat_map(|s| s.args.iter()))
        }))
}

/// The lowered lambda of an argument, if it is one.
fn lambda_of(arg: &Arg) -> Option<Result<Expr, Diagnostic>> {
    match &arg.value {
        Value::Lambda(expr) => Some(lower_lambda(expr)),
        _ => None,
    }
}

fn lower_node(
    pipeline: &Pipeline,
    node: &Node,
    plans: &[Option<LogicalPlan>],
    columns: &[String],
) -> Result<LogicalPlan, Diagnostic> {
    let fail = |e: datafusion_common::DataFusionError| {
        Diagnostic::error(node.span, format!("{}() cannot be planned: {e}", node.name))
    };
    let input = |i: usize| -> LogicalPlan {
        plans[node.parents[i].0]
            .clone()
            .expect("parents come before their children")
    };
    let lambda = |arg: &Arg| lambda_of(arg).transpose().map(Option::unwrap_or_default);
    match node.name.as_str() {
        "stream" | "batch" => {
            let mut fields = vec![Field::new(
                "time",
                DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                false,
            )];
            fields.extend(
                columns
                    .iter()
                    .filter(|c| *c != "time")
                    .map(|c| Field::new(c, DataType::Null, true)),
            );
            let source = LogicalTableSource::new(Arc::new(Schema::new(fields)));
            LogicalPlanBuilder::scan(node.name.as_str(), Arc::new(source), None)
                .and_then(LogicalPlanBuilder::build)
                .map_err(fail)
        }
        "where" => {
            let predicate = lambda(&node.args[0])?;
            LogicalPlanBuilder::from(input(0))
                .filter(predicate)
                .and_then(LogicalPlanBuilder::build)
                .map_err(fail)
        }
        "eval" => {
            let names: Vec<String> = node
                .setting("As")
                .map(|s| {
                    s.args
                        .iter()
                        .filter_map(|a| match &a.value {
                            Value::String(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let input = input(0);
            let mut exprs: Vec<Expr> = input
                .schema()
                .columns()
                .into_iter()
                .filter(|c| !names.contains(&c.name))
                .map(Expr::Column)
                .collect();
            for (arg, name) in node.args.iter().zip(&names) {
                exprs.push(lambda(arg)?.alias(name));
            }
            LogicalPlanBuilder::from(input)
                .project(exprs)
                .and_then(LogicalPlanBuilder::build)
                .map_err(fail)
        }
        _ => {
            let inputs: Vec<LogicalPlan> = (0..node.parents.len()).map(input).collect();
            let schema = merged_schema(&inputs).map_err(fail)?;
            // from().where() is a Filter over the from stage; every other lambda of a node
            // belongs to its stage.
            let filters: Vec<Expr> = if node.name == "from" {
                node.settings_of("Where")
                    .map(|s| lambda(&s.args[0]))
                    .collect::<Result<_, _>>()?
            } else {
                Vec::new()
            };
            let exprs = if node.name == "from" {
                Vec::new()
            } else {
                node_lambdas(node)
                    .filter_map(lambda_of)
                    .collect::<Result<_, _>>()?
            };
            let stage = extension(Stage {
                node: node.id,
                kind: node.name.clone(),
                label: label(pipeline, node),
                exprs,
                inputs,
                schema,
            });
            match filters.into_iter().reduce(Expr::and) {
                None => Ok(stage),
                Some(predicate) => LogicalPlanBuilder::from(stage)
                    .filter(predicate)
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(fail),
            }
        }
    }
}

fn extension(stage: Stage) -> LogicalPlan {
    LogicalPlan::Extension(Extension {
        node: Arc::new(stage),
    })
}

/// The columns of several inputs, each name once (the first input's type wins), without
/// table qualifiers.
fn merged_schema(inputs: &[LogicalPlan]) -> datafusion_common::Result<Arc<DFSchema>> {
    let mut fields: Vec<Arc<Field>> = Vec::new();
    for input in inputs {
        for field in input.schema().fields() {
            if !fields.iter().any(|f| f.name() == field.name()) {
                fields.push(Arc::clone(field));
            }
        }
    }
    Ok(Arc::new(DFSchema::from_unqualified_fields(
        Fields::from(fields),
        Default::default(),
    )?))
}

/// `window2: window().period(10s).every(10s)`: the node's Kapacitor name, then its call and
/// properties as TICKscript (from()'s `.where()` is the Filter above it).
fn label(pipeline: &Pipeline, node: &Node) -> String {
    let mut out = format!(
        "{}{}: {}({})",
        node.name,
        node.id.0,
        node.name,
        args_text(pipeline, &node.args)
    );
    for setting in &node.settings {
        if node.name == "from" && setting.name == "Where" {
            continue;
        }
        out.push_str(&format!(
            ".{}({})",
            crate::catalog::script_name(setting.name),
            args_text(pipeline, &setting.args)
        ));
    }
    for handler in &node.handlers {
        out.push_str(&format!(
            ".{}({})",
            crate::catalog::script_name(handler.property),
            args_text(pipeline, &handler.args)
        ));
        for setting in &handler.settings {
            out.push_str(&format!(
                ".{}({})",
                crate::catalog::script_name(setting.name),
                args_text(pipeline, &setting.args)
            ));
        }
    }
    out
}

fn args_text(pipeline: &Pipeline, args: &[Arg]) -> String {
    args.iter()
        .map(|a| value_text(pipeline, &a.value))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A value as TICKscript.
fn value_text(pipeline: &Pipeline, value: &Value) -> String {
    match value {
        Value::Int(v) => v.to_string(),
        Value::Float(v) => format!("{v:?}"),
        Value::Bool(v) => if *v { "TRUE" } else { "FALSE" }.to_owned(),
        // On one line: runs of white space (a query's line breaks) print as one space.
        Value::String(v) => format!(
            "'{}'",
            v.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .replace('\\', "\\\\")
                .replace('\'', "\\'")
        ),
        Value::Duration(v) => format_duration(*v),
        Value::Regex(v) => format!("/{v}/"),
        Value::Lambda(expr) => format!("lambda: {}", format_expression(expr)),
        Value::List(items) => items
            .iter()
            .map(|v| value_text(pipeline, v))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Star => "*".to_owned(),
        Value::Reference(v) => format!("\"{v}\""),
        Value::Node(id) => format!("{}{}", pipeline.nodes[id.0].name, id.0),
        Value::TimeDimension { length, offset } if *offset == 0 => {
            format!("time({})", format_duration(*length))
        }
        Value::TimeDimension { length, offset } => {
            format!(
                "time({}, {})",
                format_duration(*length),
                format_duration(*offset)
            )
        }
    }
}
