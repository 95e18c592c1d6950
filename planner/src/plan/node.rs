//! The extension nodes of a task's plan: [`TickNode`], one per TICKscript node with its
//! typed spec, and [`TaskSinks`], the root over a task's several ends.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use crate::catalog::Edge;
use crate::nodes::NodeSpec;
use crate::pipeline::NodeId;
use crate::tick::Span;

/// A TICKscript node in a plan: which node of the pipeline it is, its typed spec and its
/// inputs.
///
/// A node appears once under each of its children (a plan is a tree); its [`id`] tells the
/// copies apart from other nodes. Where the node's work is relational, that part is the
/// plan node directly beneath it ([`TickNode::relational`]): `where()`'s and
/// `from().where()`'s `Filter`, `eval()`'s `Projection`; the node's parents are beneath
/// that.
///
/// [`id`]: TickNode::id
#[derive(Debug, Clone)]
pub struct TickNode {
    /// Its index in the pipeline (the source is 0).
    pub id: NodeId,
    /// Its typed properties.
    pub spec: NodeSpec,
    /// `.quiet()`: it does not log the points it fails on.
    pub quiet: bool,
    /// The edge it wants from its parents.
    pub wants: Edge,
    /// The edge it gives its children.
    pub provides: Edge,
    /// Where the script creates it.
    pub span: Span,
    /// Its inputs: its relational part, if it has one, else its parents' plans in the order
    /// of its parents.
    pub inputs: Vec<LogicalPlan>,
    /// The columns known after it.
    pub schema: DFSchemaRef,
}

impl TickNode {
    /// Kapacitor's name of the node: its kind and index (`window2`).
    pub fn name(&self) -> String {
        format!("{}{}", self.spec.name(), self.id.0)
    }

    /// The node's own relational part: the `Filter` of `where()` and `from().where()`, the
    /// `Projection` of `eval()`.
    pub fn relational(&self) -> Option<&LogicalPlan> {
        let first = self.inputs.first()?;
        match (&self.spec, first) {
            (NodeSpec::Where(_), LogicalPlan::Filter(_))
            | (NodeSpec::From(_), LogicalPlan::Filter(_))
            | (NodeSpec::Eval(_), LogicalPlan::Projection(_)) => Some(first),
            _ => None,
        }
    }

    /// The plans of the node's parents, in the order of its parents.
    pub fn parents(&self) -> Vec<&LogicalPlan> {
        match self.relational() {
            Some(relational) => relational.inputs(),
            None => self.inputs.iter().collect(),
        }
    }
}

impl PartialEq for TickNode {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id && self.spec == other.spec && self.inputs == other.inputs
    }
}

impl Eq for TickNode {}

impl Hash for TickNode {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
        self.inputs.hash(state);
    }
}

impl PartialOrd for TickNode {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.id.partial_cmp(&other.id)
    }
}

impl UserDefinedLogicalNodeCore for TickNode {
    fn name(&self) -> &str {
        self.spec.name()
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.spec
            .lambdas()
            .into_iter()
            .map(|l| l.expr.clone())
            .collect()
    }

    /// `window2: window().period(10s).every(10s)`: the node's name, then the node as
    /// TICKscript with the properties it resolved to.
    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.spec)?;
        if self.quiet {
            f.write_str(".quiet()")?;
        }
        Ok(())
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(TickNode {
            spec: self.spec.with_exprs(&exprs),
            inputs,
            ..self.clone()
        })
    }
}

/// The root of a task with several ends (nodes without children): each end's plan.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TaskSinks {
    /// The plans of the ends, in pipeline order.
    pub inputs: Vec<LogicalPlan>,
    /// Every column known at any end.
    pub schema: DFSchemaRef,
}

impl PartialOrd for TaskSinks {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        self.inputs.len().partial_cmp(&other.inputs.len())
    }
}

impl UserDefinedLogicalNodeCore for TaskSinks {
    fn name(&self) -> &str {
        "task"
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        Vec::new()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "task: {} ends", self.inputs.len())
    }

    fn with_exprs_and_inputs(&self, _exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(TaskSinks {
            inputs,
            ..self.clone()
        })
    }
}
