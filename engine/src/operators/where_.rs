//! `where(lambda)`: keeps the points for which the lambda is true.

use arrow::compute::filter_record_batch;

use super::Operator;
use crate::lambda::{Lambda, LambdaState, Stateful, predicate_mask};
use crate::message::{Batch, Message, Points};

/// Filters points (and the points of batches) by a lambda.
#[derive(Debug)]
pub struct WhereOperator {
    predicate: Lambda,
    quiet: bool,
    state: LambdaState,
}

impl WhereOperator {
    /// Keeps what `predicate` holds for; `quiet` does not log the points it fails on.
    pub fn new(predicate: Lambda, quiet: bool) -> Self {
        Self {
            predicate,
            quiet,
            state: LambdaState::default(),
        }
    }
}

/// Keeps the rows of `points` for which `predicate` is true; `None` when none is left.
/// Stateful functions (`count()`, `sigma()`) keep their state in `state` when given.
pub fn filter_points(
    predicate: &Lambda,
    points: Points,
    state: Option<&mut LambdaState>,
    quiet: bool,
) -> Option<Points> {
    let mut ctx = state
        .filter(|_| predicate.is_stateful())
        .map(|state| Stateful {
            groups: points.groups.iter().map(|g| g.id.clone()).collect(),
            state,
        });
    let mask = predicate_mask(
        &predicate.evaluate_in(&points.data, &mut ctx),
        "where",
        quiet,
    );
    if mask.true_count() == 0 {
        return None;
    }
    let groups = points
        .groups
        .iter()
        .zip(mask.iter())
        .filter(|(_, keep)| keep.unwrap_or(false))
        .map(|(g, _)| std::sync::Arc::clone(g))
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
                if let Some(kept) =
                    filter_points(&self.predicate, points, Some(&mut self.state), self.quiet)
                {
                    out.push(Message::Points(kept));
                }
            }
            Message::Batches(batches) => self.process_each(batches, out),
            Message::Batch(batch) => {
                let mut ctx = self.predicate.is_stateful().then(|| Stateful {
                    groups: vec![batch.group.id.clone(); batch.data.num_rows()],
                    state: &mut self.state,
                });
                let mask = predicate_mask(
                    &self.predicate.evaluate_in(&batch.data, &mut ctx),
                    "where",
                    self.quiet,
                );
                out.push(Message::Batch(Batch {
                    data: filter_record_batch(&batch.data, &mask)
                        .expect("mask of the batch's length"),
                    ..batch
                }));
            }
            Message::DeleteGroup(group) => {
                self.state.forget(&group.id);
                out.push(Message::DeleteGroup(group));
            }
            signal @ Message::Barrier(_) => out.push(signal),
        }
    }
}
