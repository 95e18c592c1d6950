//! `where(lambda)`: keeps the points (and the points of batches) for which the lambda —
//! the plan's `Filter` beneath the node — is true.

use std::fmt;
use std::sync::Arc;

use condenser_planner::nodes::Lambda as PlanLambda;

use super::{Context, Operator};
use crate::error::Result;
use crate::expr::Lambda;
use crate::message::{Batch, Data, Group, Message};
use crate::points::{keep_batches, keep_points, keep_rows};

/// Filters points by a lambda.
#[derive(Debug)]
pub struct WhereOperator {
    predicate: Lambda,
}

impl WhereOperator {
    /// Keeps what `predicate` holds for.
    pub fn new(predicate: &PlanLambda) -> Self {
        Self {
            predicate: Lambda::new(predicate),
        }
    }
}

impl fmt::Display for WhereOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Where: {}", self.predicate)
    }
}

/// Why a predicate dropped points it failed on.
pub(crate) fn failure(lambda: &Lambda) -> impl fmt::Display + '_ {
    fmt::from_fn(move |f| write!(f, "{lambda} failed (a missing field or mismatched types)"))
}

impl Operator for WhereOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                let groups = Arc::clone(&points.groups);
                let (mask, failed) = self
                    .predicate
                    .mask(&points.data, || groups.iter().collect())?;
                ctx.fail_points(failed, &failure(&self.predicate));
                if let Some(kept) = keep_points(points, &mask)? {
                    out.push(Message::Points(kept));
                }
            }
            Data::Batch(batch) => {
                let group = Arc::clone(&batch.group);
                let rows = batch.data.num_rows();
                let (mask, failed) = self.predicate.mask(&batch.data, || vec![&group; rows])?;
                ctx.fail_points(failed, &failure(&self.predicate));
                out.push(Message::Batch(Batch {
                    data: keep_rows(&batch.data, &mask)?,
                    ..batch
                }));
            }
            Data::Batches(batches) => {
                let all = batches.points.data()?.clone();
                let mut row_groups: Vec<&Arc<Group>> = Vec::with_capacity(all.num_rows());
                for span in &batches.spans {
                    row_groups.extend(std::iter::repeat_n(&span.group, span.rows.len()));
                }
                let (mask, failed) = self.predicate.mask(&all, || row_groups)?;
                ctx.fail_points(failed, &failure(&self.predicate));
                out.push(Message::Batches(keep_batches(batches, &mask)?));
            }
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.predicate.forget_group(&group.id);
    }

    fn cardinality(&self) -> usize {
        self.predicate.cardinality()
    }
}
