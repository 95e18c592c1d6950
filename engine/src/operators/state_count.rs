//! `stateCount(lambda)`: how many consecutive points of a group the lambda has been true
//! for, added as an integer field; -1 when it is false. A point on which the lambda fails is
//! dropped. In a batch the count starts afresh.
//!
//! [`StateTracker`] is shared with `stateDuration()`, which measures the same state in time.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch};
use condenser_model::FieldType;
use condenser_planner::nodes::{Lambda as PlanLambda, StateCountSpec};

use super::where_::failure;
use super::{Context, Operator};
use crate::error::Result;
use crate::expr::Lambda;
use crate::message::{Batch, Data, Group, Message, Points};
use crate::points::{
    batch_state_key, forget_group_state, keep_groups, keep_rows, set_field, times,
};

/// What a state node measures.
#[derive(Debug, Clone, Copy)]
pub(crate) enum StateMeasure {
    /// Consecutive points in the state (an integer).
    Count,
    /// Time in the state, in units of this many nanoseconds (a float).
    Duration(i64),
}

/// Tracks a state per group: since which point and time a lambda has held.
#[derive(Debug)]
pub(crate) struct StateTracker {
    predicate: Lambda,
    as_name: String,
    measure: StateMeasure,
    /// Per group: points in the state so far, and when the state began.
    trackers: HashMap<String, (i64, Option<i64>)>,
}

impl StateTracker {
    /// A tracker of `predicate`, writing its measure as field `as_name`.
    pub(crate) fn new(predicate: &PlanLambda, as_name: &str, measure: StateMeasure) -> Self {
        Self {
            predicate: Lambda::new(predicate),
            as_name: as_name.to_owned(),
            measure,
            trackers: HashMap::new(),
        }
    }

    /// `data` with the measure of each row, without the rows the lambda failed on, and
    /// which rows are kept.
    fn apply(
        &mut self,
        data: &RecordBatch,
        groups: &[&Arc<Group>],
        key: impl Fn(usize) -> String,
        ctx: &mut Context<'_>,
    ) -> Result<(RecordBatch, BooleanArray)> {
        let result = self.predicate.evaluate(data, || groups.to_vec())?;
        let in_state = match result.data_type() {
            arrow::datatypes::DataType::Boolean => {
                arrow::array::AsArray::as_boolean(&result).clone()
            }
            _ => BooleanArray::new_null(data.num_rows()),
        };
        let point_times = times(data)?;
        let mut keep = Vec::with_capacity(data.num_rows());
        let mut counts = Vec::with_capacity(data.num_rows());
        let mut durations = Vec::with_capacity(data.num_rows());
        for (row, &t) in point_times.iter().enumerate() {
            if in_state.is_null(row) {
                keep.push(false);
                counts.push(0);
                durations.push(0.0);
                continue;
            }
            keep.push(true);
            let tracker = self.trackers.entry(key(row)).or_insert((0, None));
            if in_state.value(row) {
                tracker.0 += 1;
                let start = *tracker.1.get_or_insert(t);
                counts.push(tracker.0);
                let unit = match self.measure {
                    StateMeasure::Duration(unit) => unit.max(1),
                    StateMeasure::Count => 1,
                };
                durations.push((t - start) as f64 / unit as f64);
            } else {
                *tracker = (0, None);
                counts.push(-1);
                durations.push(-1.0);
            }
        }
        let keep = BooleanArray::from(keep);
        ctx.fail_points(keep.false_count(), &failure(&self.predicate));
        let (column, field_type): (ArrayRef, FieldType) = match self.measure {
            StateMeasure::Count => (Arc::new(Int64Array::from(counts)), FieldType::Integer),
            StateMeasure::Duration(_) => {
                (Arc::new(Float64Array::from(durations)), FieldType::Float)
            }
        };
        let with = set_field(data, &self.as_name, field_type, column)?;
        Ok((keep_rows(&with, &keep)?, keep))
    }

    /// Measures the state of each point of `data`.
    pub(crate) fn process(
        &mut self,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                let groups = Arc::clone(&points.groups);
                let rows: Vec<&Arc<Group>> = groups.iter().collect();
                let (data, keep) =
                    self.apply(&points.data, &rows, |row| groups[row].id.clone(), ctx)?;
                if data.num_rows() == 0 {
                    return Ok(());
                }
                out.push(Message::Points(Points {
                    data,
                    groups: keep_groups(&groups, &keep),
                    ..points
                }));
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, ctx, out)?;
                }
            }
            Data::Batch(batch) => self.batch(batch, ctx, out)?,
        }
        Ok(())
    }

    fn batch(&mut self, batch: Batch, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let key = batch_state_key(&batch.group.id);
        self.trackers.remove(&key);
        let rows = vec![&batch.group; batch.data.num_rows()];
        let (data, _) = self.apply(&batch.data, &rows, |_| key.clone(), ctx)?;
        out.push(Message::Batch(Batch { data, ..batch }));
        Ok(())
    }

    /// Forgets a deleted group's state.
    pub(crate) fn forget_group(&mut self, group: &Group) {
        forget_group_state(&mut self.trackers, &group.id);
        self.predicate.forget_group(&group.id);
    }

    /// How many groups it tracks.
    pub(crate) fn cardinality(&self) -> usize {
        self.trackers.len()
    }
}

/// Counts the points a state lasts.
#[derive(Debug)]
pub struct StateCountOperator {
    spec: StateCountSpec,
    tracker: StateTracker,
}

impl StateCountOperator {
    /// A `stateCount()` node with `spec`.
    pub fn new(spec: &StateCountSpec) -> Self {
        Self {
            tracker: StateTracker::new(&spec.predicate, &spec.as_name, StateMeasure::Count),
            spec: spec.clone(),
        }
    }
}

impl fmt::Display for StateCountOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StateCount: {}", self.spec)
    }
}

impl Operator for StateCountOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        self.tracker.process(data, ctx, out)
    }

    fn forget_group(&mut self, group: &Group) {
        self.tracker.forget_group(group);
    }

    fn cardinality(&self) -> usize {
        self.tracker.cardinality()
    }
}
