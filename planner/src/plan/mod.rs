//! A validated pipeline lowered to a DataFusion [`LogicalPlan`]: the contract between the
//! planner and the engine, which builds a task's operators from the plan alone.
//!
//! The source (`stream`, `batch`) is a table scan whose schema is `time` and every column a
//! lambda of the task reads; a field's type is known only when points arrive, so those
//! columns are typed `Null` ("any") and Kapacitor's functions accept them. Then, node by
//! node in pipeline order, each node becomes a [`TickNode`] extension node carrying its
//! typed [`NodeSpec`](crate::nodes::NodeSpec). A node's relational part sits directly
//! beneath it as plain DataFusion: `where()` and `from().where()` a `Filter` (several
//! `.where()`s ANDed), `eval()` a `Projection` that passes the other columns through.
//!
//! A node with several children appears once under each; a task with several ends (sinks)
//! is rooted at a [`TaskSinks`] node over all of them. [`explain`] prints the plan indented,
//! as DataFusion's `EXPLAIN` does.

pub mod expr;
mod node;

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Fields, Schema, TimeUnit};
use datafusion_common::DFSchema;
use datafusion_expr::logical_plan::builder::LogicalTableSource;
use datafusion_expr::logical_plan::{Extension, LogicalPlan, LogicalPlanBuilder};
use datafusion_expr::{Expr, ExprSchemable, Projection};

pub use expr::lower_lambda;
pub use node::{TaskSinks, TickNode};

use crate::nodes::{self, Relational, Resolved};
use crate::pipeline::{Node, Pipeline};
use crate::{Diagnostic, Diagnostics};

/// Lowers `pipeline` to a logical plan; errors name the node, property or lambda that
/// cannot be lowered, with its place in the script.
pub fn lower(pipeline: &Pipeline) -> Result<LogicalPlan, Diagnostics> {
    let mut errors = Vec::new();
    let mut resolved: Vec<Option<Resolved>> = vec![None];
    for node in pipeline.nodes.iter().skip(1) {
        match nodes::resolve(node) {
            Ok(r) => resolved.push(Some(r)),
            Err(error) => {
                errors.push(error);
                resolved.push(None);
            }
        }
    }
    if !errors.is_empty() {
        return Err(Diagnostics(errors));
    }
    let mut columns = Vec::new();
    for r in resolved.iter().flatten() {
        for lambda in relational_lambdas(r).chain(r.spec.lambdas()) {
            expr::referenced_columns(&lambda.expr, &mut columns);
        }
    }
    let mut plans: Vec<LogicalPlan> = Vec::with_capacity(pipeline.nodes.len());
    for (node, resolved) in pipeline.nodes.iter().zip(resolved) {
        let plan = match resolved {
            None => source(node, &columns),
            Some(resolved) => lower_node(node, resolved, &plans),
        }
        .map_err(|e| Diagnostics(vec![e]))?;
        plans.push(plan);
    }
    let sinks: Vec<&Node> = pipeline
        .nodes
        .iter()
        .filter(|n| pipeline.children(n.id).next().is_none())
        .collect();
    match sinks.as_slice() {
        [only] => Ok(plans.swap_remove(only.id.0)),
        _ => {
            let inputs: Vec<LogicalPlan> = sinks.iter().map(|n| plans[n.id.0].clone()).collect();
            let schema = merged_schema(&inputs).map_err(|e| {
                Diagnostics(vec![Diagnostic::error(
                    pipeline.nodes[0].span,
                    e.to_string(),
                )])
            })?;
            Ok(extension(TaskSinks { inputs, schema }))
        }
    }
}

/// The plan as DataFusion's `EXPLAIN` prints it: one line a node, children indented; then
/// the plan of each batch query, under its node's name.
pub fn explain(plan: &LogicalPlan) -> String {
    use datafusion_common::tree_node::{TreeNode, TreeNodeRecursion};
    let mut out = format!("{}\n", plan.display_indent());
    let mut queries: Vec<(usize, String)> = Vec::new();
    let _ = plan.apply(|node| {
        if let LogicalPlan::Extension(extension) = node
            && let Some(tick) = extension.node.as_any().downcast_ref::<TickNode>()
            && let nodes::NodeSpec::Query(spec) = &tick.spec
            && let Some(query) = &spec.plan
            && !queries.iter().any(|(id, _)| *id == tick.id.0)
        {
            queries.push((tick.id.0, format!("{}\n", query.display_indent())));
        }
        Ok(TreeNodeRecursion::Continue)
    });
    queries.sort();
    for (id, query) in queries {
        out.push_str(&format!("\nquery{id} runs:\n{query}"));
    }
    out
}

/// The lambdas of a node's relational part.
fn relational_lambdas(resolved: &Resolved) -> Box<dyn Iterator<Item = &nodes::Lambda> + '_> {
    match &resolved.relational {
        None => Box::new(std::iter::empty()),
        Some(Relational::Filter(lambda)) => Box::new(std::iter::once(lambda)),
        Some(Relational::Projection(named)) => Box::new(named.iter().map(|(_, l)| l)),
    }
}

/// The task's source: a table scan named `stream` or `batch` of `time` and every column a
/// lambda reads.
fn source(node: &Node, columns: &[String]) -> Result<LogicalPlan, Diagnostic> {
    let source = LogicalTableSource::new(source_schema(columns));
    LogicalPlanBuilder::scan(node.name.as_str(), Arc::new(source), None)
        .and_then(LogicalPlanBuilder::build)
        .map_err(|e| cannot_plan(node, e))
}

/// The schema of a source of points: `time`, then each of `columns` typed `Null` (a
/// field's type is known only when points arrive).
pub(crate) fn source_schema(columns: &[String]) -> Arc<Schema> {
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
    Arc::new(Schema::new(fields))
}

fn cannot_plan(node: &Node, e: datafusion_common::DataFusionError) -> Diagnostic {
    Diagnostic::error(node.span, format!("{}() cannot be planned: {e}", node.name))
}

/// The plan of `node`: its [`TickNode`] over its relational part, if any, over its parents'
/// plans.
fn lower_node(
    node: &Node,
    resolved: Resolved,
    plans: &[LogicalPlan],
) -> Result<LogicalPlan, Diagnostic> {
    let fail = |e| cannot_plan(node, e);
    let parents: Vec<LogicalPlan> = node.parents.iter().map(|p| plans[p.0].clone()).collect();
    let inputs = match resolved.relational {
        None => parents,
        Some(Relational::Filter(predicate)) => {
            let [parent] = <[LogicalPlan; 1]>::try_from(parents).map_err(|_| {
                Diagnostic::error(node.span, "internal error: a filter over several parents")
            })?;
            vec![
                LogicalPlanBuilder::from(parent)
                    .filter(predicate.expr)
                    .and_then(LogicalPlanBuilder::build)
                    .map_err(fail)?,
            ]
        }
        Some(Relational::Projection(named)) => {
            let [parent] = <[LogicalPlan; 1]>::try_from(parents).map_err(|_| {
                Diagnostic::error(
                    node.span,
                    "internal error: a projection over several parents",
                )
            })?;
            // The other columns pass through, then each result. A result's type is what
            // DataFusion can tell of it, or open (`Null`): Kapacitor types it per point.
            let input = parent.schema();
            let mut exprs: Vec<Expr> = Vec::new();
            let mut fields: Vec<Arc<Field>> = Vec::new();
            for (qualifier, field) in input.iter() {
                if !named.iter().any(|(name, _)| name == field.name()) {
                    exprs.push(Expr::Column(datafusion_common::Column::new(
                        qualifier.cloned(),
                        field.name(),
                    )));
                    fields.push(Arc::clone(field));
                }
            }
            for (name, lambda) in named {
                let data_type = lambda.expr.get_type(input).unwrap_or(DataType::Null);
                fields.push(Arc::new(Field::new(&name, data_type, true)));
                exprs.push(lambda.expr.alias(name));
            }
            let schema =
                DFSchema::from_unqualified_fields(Fields::from(fields), Default::default())
                    .map_err(fail)?;
            vec![LogicalPlan::Projection(
                Projection::try_new_with_schema(exprs, Arc::new(parent), Arc::new(schema))
                    .map_err(fail)?,
            )]
        }
    };
    let schema = merged_schema(&inputs).map_err(fail)?;
    Ok(extension(TickNode {
        id: node.id,
        spec: resolved.spec,
        quiet: resolved.quiet,
        wants: node.wants,
        provides: node.provides,
        span: node.span,
        inputs,
        schema,
    }))
}

fn extension(node: impl datafusion_expr::UserDefinedLogicalNodeCore) -> LogicalPlan {
    LogicalPlan::Extension(Extension {
        node: Arc::new(node),
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
