//! A task's operators, built from its logical plan alone: one exhaustive `match` over the
//! plan nodes' specs, so that a new kind of node fails to compile until it is built here.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use condenser_model::handler::HandlerSpec;
use condenser_planner::nodes::{Lambda as PlanLambda, NodeSpec};
use condenser_planner::plan::{TaskSinks, TickNode};
use datafusion_expr::{Expr, LogicalPlan};

use crate::error::{Error, Result};
use crate::operators::alert::AlertOperator;
use crate::operators::barrier::BarrierOperator;
use crate::operators::change_detect::ChangeDetectOperator;
use crate::operators::combine::CombineOperator;
use crate::operators::default::DefaultOperator;
use crate::operators::delete::DeleteOperator;
use crate::operators::derivative::DerivativeOperator;
use crate::operators::eval::EvalOperator;
use crate::operators::flatten::FlattenOperator;
use crate::operators::from::FromOperator;
use crate::operators::group_by::GroupByOperator;
use crate::operators::http_out::{HttpOutOperator, HttpOutResult};
use crate::operators::http_post::HttpPostOperator;
use crate::operators::influxdb_out::{InfluxDbOutOperator, WriteBack};
use crate::operators::join::JoinOperator;
use crate::operators::log::LogOperator;
use crate::operators::noop::NoOpOperator;
use crate::operators::query::QueryOperator;
use crate::operators::sample::SampleOperator;
use crate::operators::shift::ShiftOperator;
use crate::operators::state_count::StateCountOperator;
use crate::operators::state_duration::StateDurationOperator;
use crate::operators::stats::StatsOperator;
use crate::operators::trickle::TrickleOperator;
use crate::operators::union::UnionOperator;
use crate::operators::where_::WhereOperator;
use crate::operators::window::WindowOperator;
use crate::operators::{Operator, influxql};
use crate::statistics::EmittedByGroup;

/// What a node of a running task is.
pub(super) enum Runner {
    /// The task's source (`stream`): hands writes to its `from()` children.
    Source,
    /// A `from()` node: takes writes.
    From(Box<FromOperator>),
    /// Any other node.
    Operator(Box<dyn Operator>),
}

/// One node of the plan, found by its index.
pub(super) struct PlannedNode {
    /// The node's name in statistics (`window2`).
    pub(super) name: String,
    /// Its parents' indices, in order.
    pub(super) parents: Vec<usize>,
    /// Whether it logs the points it fails on.
    pub(super) quiet: bool,
    /// Its operator.
    pub(super) runner: Runner,
    /// For a node a `stats()` node watches: what it emitted, by group.
    pub(super) emitted_by_group: Option<EmittedByGroup>,
}

/// The operators of a plan, by node index, and what the task shares with its readers.
pub(super) struct Built {
    pub(super) nodes: Vec<PlannedNode>,
    pub(super) http_outs: Vec<(String, HttpOutResult)>,
    pub(super) write_back: WriteBack,
    /// The measurement of each `from()` node, at any depth (`None` for every measurement).
    pub(super) from_measurements: Vec<Option<String>>,
    /// The handlers of each alert node's own topic.
    pub(super) alert_handlers: Vec<(String, Vec<HandlerSpec>)>,
    /// The query nodes of a batch task: each one's index and spec, in pipeline order.
    pub(super) queries: Vec<(usize, condenser_planner::nodes::QuerySpec)>,
}

/// Builds the operators of `plan`, a task in `env`.
pub(super) fn build(plan: &LogicalPlan, env: &super::TaskEnv) -> Result<Built> {
    let mut found = Found::default();
    found.walk(plan)?;
    let source = found
        .source
        .ok_or_else(|| Error::internal("a task's plan without a source"))?;
    let count = found.nodes.keys().next_back().map_or(1, |last| last + 1);
    if found.nodes.len() + 1 != count {
        return Err(Error::internal("a task's plan misses some of its nodes"));
    }
    let mut shared = Shared {
        env: env.clone(),
        ..Shared::default()
    };
    let from_measurements = found
        .nodes
        .values()
        .filter_map(|node| match &node.spec {
            NodeSpec::From(spec) => Some(spec.measurement.clone()),
            _ => None,
        })
        .collect();
    let queries = found
        .nodes
        .iter()
        .filter_map(|(&id, node)| match &node.spec {
            NodeSpec::Query(spec) => Some((id, spec.as_ref().clone())),
            _ => None,
        })
        .collect();
    let mut nodes = vec![PlannedNode {
        name: format!("{source}0"),
        parents: Vec::new(),
        quiet: false,
        runner: Runner::Source,
        emitted_by_group: None,
    }];
    for (&id, node) in &found.nodes {
        let parents = node
            .parents()
            .into_iter()
            .map(node_index)
            .collect::<Result<Vec<_>>>()?;
        let runner = runner(node, &parents, &mut shared)?;
        debug_assert_eq!(id, nodes.len());
        nodes.push(PlannedNode {
            name: node.name(),
            parents,
            quiet: node.quiet,
            runner,
            emitted_by_group: None,
        });
    }
    for (id, emitted) in shared.watched {
        if let Some(node) = nodes.get_mut(id) {
            node.emitted_by_group = Some(emitted);
        }
    }
    Ok(Built {
        nodes,
        http_outs: shared.http_outs,
        write_back: shared.write_back,
        from_measurements,
        alert_handlers: shared.alert_handlers,
        queries,
    })
}

/// What the nodes of a task share as they are built.
#[derive(Default)]
struct Shared {
    /// The httpOut nodes' results, by name.
    http_outs: Vec<(String, HttpOutResult)>,
    /// Where influxDBOut nodes write.
    write_back: WriteBack,
    /// The nodes stats() nodes watch, with their counts by group.
    watched: BTreeMap<usize, EmittedByGroup>,
    /// The task's name and what its alert nodes share.
    env: super::TaskEnv,
    /// The handlers of each alert node's own topic.
    alert_handlers: Vec<(String, Vec<HandlerSpec>)>,
}

/// The operator of `node`, whose parents are `parents`: the one place that maps a node kind
/// to its operator.
fn runner(node: &TickNode, parents: &[usize], shared: &mut Shared) -> Result<Runner> {
    let operator: Box<dyn Operator> = match &node.spec {
        NodeSpec::From(spec) => {
            return Ok(Runner::From(Box::new(FromOperator::new(
                spec,
                own_filter(node)?.as_ref(),
            ))));
        }
        NodeSpec::Query(spec) => {
            // A schedule that cannot run is an error at definition, as in Kapacitor.
            crate::schedule::Schedule::of(spec).map_err(|message| {
                Error::Script(condenser_planner::Diagnostics(vec![
                    condenser_planner::Diagnostic::error(node.span, message),
                ]))
            })?;
            Box::new(QueryOperator::new(spec))
        }
        NodeSpec::Stats(spec) => {
            let parent = *parents
                .first()
                .ok_or_else(|| Error::internal("a stats() node without the node it watches"))?;
            let emitted = Arc::clone(
                shared
                    .watched
                    .entry(parent)
                    .or_insert_with(|| Arc::new(Mutex::new(Default::default()))),
            );
            Box::new(StatsOperator::new(spec, emitted))
        }
        NodeSpec::Where(_) => {
            let predicate = own_filter(node)?
                .ok_or_else(|| Error::internal("a where() node without its Filter"))?;
            Box::new(WhereOperator::new(&predicate))
        }
        NodeSpec::Eval(spec) => Box::new(EvalOperator::new(spec, &own_projection(node)?)),
        NodeSpec::GroupBy(spec) => Box::new(GroupByOperator::new(spec)),
        NodeSpec::Window(spec) => Box::new(WindowOperator::new(spec)),
        NodeSpec::InfluxQl(spec) => influxql::operator(spec),
        NodeSpec::Derivative(spec) => Box::new(DerivativeOperator::new(spec)),
        NodeSpec::Default(spec) => Box::new(DefaultOperator::new(spec)),
        NodeSpec::Delete(spec) => Box::new(DeleteOperator::new(spec)),
        NodeSpec::Shift(spec) => Box::new(ShiftOperator::new(spec)),
        NodeSpec::Sample(spec) => Box::new(SampleOperator::new(spec)),
        NodeSpec::ChangeDetect(spec) => Box::new(ChangeDetectOperator::new(spec)),
        NodeSpec::StateCount(spec) => Box::new(StateCountOperator::new(spec)),
        NodeSpec::StateDuration(spec) => Box::new(StateDurationOperator::new(spec)),
        NodeSpec::Join(spec) => Box::new(JoinOperator::new(spec)),
        NodeSpec::Union(spec) => Box::new(UnionOperator::new(spec, parents.len())),
        NodeSpec::Combine(spec) => Box::new(CombineOperator::new(spec)),
        NodeSpec::Flatten(spec) => Box::new(FlattenOperator::new(spec)),
        NodeSpec::Barrier(spec) => Box::new(BarrierOperator::new(spec)),
        NodeSpec::Log(spec) => Box::new(LogOperator::new(spec)),
        NodeSpec::Trickle(spec) => Box::new(TrickleOperator::new(spec)),
        NodeSpec::NoOp => Box::new(NoOpOperator),
        NodeSpec::HttpOut(spec) => {
            let result = HttpOutResult::default();
            shared.http_outs.push((spec.name.clone(), result.clone()));
            Box::new(HttpOutOperator::new(spec, result))
        }
        NodeSpec::HttpPost(spec) => Box::new(HttpPostOperator::try_new(spec)?),
        NodeSpec::InfluxDbOut(spec) => {
            Box::new(InfluxDbOutOperator::new(spec, shared.write_back.clone()))
        }
        NodeSpec::Alert(spec) => {
            let env = &shared.env;
            let globals = &env.alerts.globals;
            let mut spec = spec.clone();
            globals.add_to(&mut spec.handlers);
            spec.state_changes_only |= globals.state_changes_only;
            let spec = &spec;
            if !spec.handlers.is_empty() {
                shared.alert_handlers.push((
                    AlertOperator::own_topic(&env.alerts, &env.name, &node.name()),
                    spec.handlers.clone(),
                ));
            }
            Box::new(AlertOperator::new(spec, &env.name, env.alerts.clone()))
        }
    };
    Ok(Runner::Operator(operator))
}

/// The index of the node a plan is: a [`TickNode`]'s id, 0 for the source.
fn node_index(plan: &LogicalPlan) -> Result<usize> {
    match plan {
        LogicalPlan::TableScan(_) => Ok(0),
        LogicalPlan::Extension(extension) => extension
            .node
            .as_any()
            .downcast_ref::<TickNode>()
            .map(|node| node.id.0)
            .ok_or_else(|| Error::internal("a task node's parent is no task node")),
        other => Err(Error::internal(format!(
            "a task node's parent is a {} plan",
            other.display()
        ))),
    }
}

/// The predicate of a node's own `Filter`, if it has one.
fn own_filter(node: &TickNode) -> Result<Option<PlanLambda>> {
    match node.relational() {
        Some(LogicalPlan::Filter(filter)) => Ok(Some(lambda(&filter.predicate))),
        Some(_) => Err(Error::internal(format!(
            "{} has a relational part that is no Filter",
            node.name()
        ))),
        None => Ok(None),
    }
}

/// The named expressions of a node's own `Projection` (its other columns pass through).
fn own_projection(node: &TickNode) -> Result<Vec<(String, PlanLambda)>> {
    match node.relational() {
        Some(LogicalPlan::Projection(projection)) => Ok(projection
            .expr
            .iter()
            .filter_map(|e| match e {
                Expr::Alias(alias) => Some((alias.name.clone(), lambda(&alias.expr))),
                _ => None,
            })
            .collect()),
        _ => Err(Error::internal(format!(
            "{} has no Projection beneath it",
            node.name()
        ))),
    }
}

fn lambda(expr: &Expr) -> PlanLambda {
    PlanLambda {
        expr: expr.clone(),
        text: expr.to_string(),
    }
}

/// The task nodes of a plan, each once (a node appears under each of its children), and
/// the name of its source.
#[derive(Default)]
struct Found<'a> {
    nodes: BTreeMap<usize, &'a TickNode>,
    source: Option<String>,
}

impl<'a> Found<'a> {
    fn walk(&mut self, plan: &'a LogicalPlan) -> Result<()> {
        match plan {
            LogicalPlan::TableScan(scan) => {
                self.source = Some(scan.table_name.to_string());
                Ok(())
            }
            LogicalPlan::Extension(extension) => {
                let any = extension.node.as_any();
                if let Some(node) = any.downcast_ref::<TickNode>() {
                    if self.nodes.insert(node.id.0, node).is_none() {
                        for parent in node.parents() {
                            self.walk(parent)?;
                        }
                    }
                    Ok(())
                } else if let Some(sinks) = any.downcast_ref::<TaskSinks>() {
                    sinks.inputs.iter().try_for_each(|input| self.walk(input))
                } else {
                    Err(Error::internal(format!(
                        "a task's plan has the extension node {}",
                        extension.node.name()
                    )))
                }
            }
            other => Err(Error::internal(format!(
                "a task's plan has a {} node outside a task node",
                other.display()
            ))),
        }
    }
}
