//! `where(lambda)`: keeps the points for which the lambda is true.

use arrow::compute::filter_record_batch;
use condenser_planner::tick::ast::Expr;

use super::Operator;
use crate::lambda::{evaluate, is_true};
use crate::message::{Batch, Message, Points};

/// Filters points (and the points of batches) by a lambda.
#[derive(Debug)]
pub struct WhereOperator {
    predicate: Expr,
}

impl WhereOperator {
    /// Keeps what `predicate` holds for.
    pub fn new(predicate: Expr) -> Self {
        Self { predicate }
    }
}

/// Keeps the rows of `points` for which `predicate` is true; `None` when none is left.
pub fn filter_points(predicate: &Expr, points: Points) -> Option<Points> {
    let mask = is_true(&evaluate(predicate, &points.data));
    if mask.true_count() == 0 {
        return None;
    }
    let groups = points
        .groups
        .into_iter()
        .zip(mask.iter())
        .filter_map(|(g, keep)| keep.unwrap_or(false).then_some(g))
        .collect();
    Some(Points {
        name: points.name,
        data: filter_record_batch(&points.data, &mask).expect("mask of the batch's length"),
        groups,
    })
}

impl Operator for WhereOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(points) => {
                if let Some(kept) = filter_points(&self.predicate, points) {
                    out.push(Message::Points(kept));
                }
            }
            Message::Batch(batch) => {
                let mask = is_true(&evaluate(&self.predicate, &batch.data));
                out.push(Message::Batch(Batch {
                    data: filter_record_batch(&batch.data, &mask)
                        .expect("mask of the batch's length"),
                    ..batch
                }));
            }
        }
    }
}
