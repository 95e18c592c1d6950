//! `stateCount(lambda)` and `stateDuration(lambda)`: how many consecutive points of a group
//! (or for how long) the lambda has been true, added as a field; -1 when it is false. A
//! point on which the lambda fails is dropped. In a batch the count starts afresh.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::DataType;
use condenser_model::FieldType;

use super::{Operator, batch_state_key, forget_group_state, keep_groups, keep_rows, set_field};
use crate::lambda::Lambda;
use crate::message::{Batch, Message, Points, times};

/// What a state node measures.
#[derive(Debug, Clone, Copy)]
pub enum StateMeasure {
    /// Consecutive points in the state (an integer).
    Count,
    /// Time in the state, in units of this many nanoseconds (a float).
    Duration(i64),
}

/// The resolved properties of a state node.
#[derive(Debug, Clone)]
pub struct StateSpec {
    /// The state.
    pub predicate: Lambda,
    /// The output field.
    pub as_name: String,
    /// Count or duration.
    pub measure: StateMeasure,
}

/// Tracks a state per group.
#[derive(Debug)]
pub struct StateOperator {
    spec: StateSpec,
    /// Per group: points in the state so far, and when the state began.
    trackers: HashMap<String, (i64, Option<i64>)>,
}

impl StateOperator {
    /// A node with `spec`.
    pub fn new(spec: StateSpec) -> Self {
        Self {
            spec,
            trackers: HashMap::new(),
        }
    }

    fn apply(
        &mut self,
        data: &RecordBatch,
        key: impl Fn(usize) -> String,
    ) -> (RecordBatch, Vec<bool>) {
        let result = self.spec.predicate.evaluate(data);
        let point_times = times(data).to_vec();
        let mut keep = vec![false; data.num_rows()];
        let mut counts = Vec::with_capacity(data.num_rows());
        let mut durations = Vec::with_capacity(data.num_rows());
        for (row, t) in point_times.into_iter().enumerate() {
            let in_state = match result.data_type() {
                DataType::Boolean if result.is_valid(row) => result.as_boolean().value(row),
                _ => {
                    counts.push(0);
                    durations.push(0.0);
                    continue;
                }
            };
            keep[row] = true;
            let tracker = self.trackers.entry(key(row)).or_insert((0, None));
            if in_state {
                tracker.0 += 1;
                let start = *tracker.1.get_or_insert(t);
                counts.push(tracker.0);
                let unit = match self.spec.measure {
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
        let (column, field_type): (ArrayRef, FieldType) = match self.spec.measure {
            StateMeasure::Count => (Arc::new(Int64Array::from(counts)), FieldType::Integer),
            StateMeasure::Duration(_) => {
                (Arc::new(Float64Array::from(durations)), FieldType::Float)
            }
        };
        let with = set_field(data, &self.spec.as_name, field_type, column);
        let kept = keep_rows(&with, &keep);
        (kept, keep)
    }
}

impl Operator for StateOperator {
    fn cardinality(&self) -> usize {
        self.trackers.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(points) => {
                let groups = std::sync::Arc::clone(&points.groups);
                let (data, keep) = self.apply(&points.data, |row| groups[row].id.clone());
                if data.num_rows() == 0 {
                    return;
                }
                let groups = keep_groups(&groups, &keep);
                out.push(Message::Points(Points {
                    data,
                    groups,
                    ..points
                }));
            }
            Message::Batches(batches) => self.process_each(batches, out),
            Message::Batch(batch) => {
                let key = batch_state_key(&batch.group.id);
                self.trackers.remove(&key);
                let (data, _) = self.apply(&batch.data, |_| key.clone());
                out.push(Message::Batch(Batch { data, ..batch }));
            }
            Message::DeleteGroup(group) => {
                forget_group_state(&mut self.trackers, &group.id);
                out.push(Message::DeleteGroup(group));
            }
            signal @ Message::Barrier(_) => out.push(signal),
        }
    }
}
