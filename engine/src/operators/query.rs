//! `query()` and `queryFlux()`: a batch task's sources. Whoever runs the task runs the query
//! on its schedule (or replays a recording of its results) and hands the node the batches,
//! one per group; the node passes them on and counts them.

use std::fmt;

use condenser_planner::nodes::QuerySpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Message};

/// Passes on the batches a query gave.
#[derive(Debug)]
pub struct QueryOperator {
    spec: QuerySpec,
    batches: u64,
    points: u64,
}

impl QueryOperator {
    /// The node of `spec`.
    pub fn new(spec: &QuerySpec) -> Self {
        Self {
            spec: spec.clone(),
            batches: 0,
            points: 0,
        }
    }

    /// Its query and schedule.
    pub fn spec(&self) -> &QuerySpec {
        &self.spec
    }
}

impl fmt::Display for QueryOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Query: {}", self.spec)
    }
}

impl Operator for QueryOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match &data {
            Data::Points(points) => {
                self.batches += 1;
                self.points += points.data.num_rows() as u64;
            }
            Data::Batch(batch) => {
                self.batches += 1;
                self.points += batch.data.num_rows() as u64;
            }
            Data::Batches(batches) => {
                self.batches += batches.spans.len() as u64;
                self.points += batches.points.num_rows() as u64;
            }
        }
        out.push(data.into());
        Ok(())
    }

    fn assigns_groups(&self) -> bool {
        true
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        vec![
            ("batches_queried", self.batches),
            ("points_queried", self.points),
        ]
    }
}
