//! The extension node of a stateful pipeline node in a DataFusion plan.

use std::cmp::Ordering;
use std::fmt;

use datafusion_common::{DFSchemaRef, Result};
use datafusion_expr::{Expr, LogicalPlan, UserDefinedLogicalNodeCore};

use crate::pipeline::NodeId;

/// A node that keeps state between batches (window, groupBy, an InfluxQL function, join,
/// …): DataFusion carries it through a plan as an opaque extension node; the engine runs it
/// with its own operator.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Stage {
    /// The pipeline node it stands for.
    pub node: NodeId,
    /// The node's name in the script (`window`).
    pub kind: String,
    /// The one line `EXPLAIN` prints: the node's Kapacitor name and its TICKscript call.
    pub label: String,
    /// The node's lambdas, lowered.
    pub exprs: Vec<Expr>,
    /// Its parents' plans, in the order of the node's parents.
    pub inputs: Vec<LogicalPlan>,
    /// The columns known after it.
    pub schema: DFSchemaRef,
}

impl PartialOrd for Stage {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        (self.node, &self.kind, &self.label).partial_cmp(&(other.node, &other.kind, &other.label))
    }
}

impl UserDefinedLogicalNodeCore for Stage {
    fn name(&self) -> &str {
        &self.kind
    }

    fn inputs(&self) -> Vec<&LogicalPlan> {
        self.inputs.iter().collect()
    }

    fn schema(&self) -> &DFSchemaRef {
        &self.schema
    }

    fn expressions(&self) -> Vec<Expr> {
        self.exprs.clone()
    }

    fn fmt_for_explain(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label)
    }

    fn with_exprs_and_inputs(&self, exprs: Vec<Expr>, inputs: Vec<LogicalPlan>) -> Result<Self> {
        Ok(Stage {
            exprs,
            inputs,
            ..self.clone()
        })
    }
}
