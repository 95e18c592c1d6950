//! `derivative(field)`: the rate of change of a field between consecutive points of a group
//! (per `.unit()`, default 1s), added to each point as `.as()` (default `derivative`).
//! `.nonNegative()` drops negative changes. In a batch, the first point only primes it.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use condenser_model::FieldType;

use super::{Operator, keep_groups, keep_rows, set_field};
use crate::message::{Batch, Message, Points, times};

/// The resolved properties of a `derivative()` node.
#[derive(Debug, Clone)]
pub struct DerivativeSpec {
    /// The field.
    pub field: String,
    /// The output field.
    pub as_name: String,
    /// `.unit()`, nanoseconds.
    pub unit: i64,
    /// `.nonNegative()`.
    pub non_negative: bool,
}

/// Computes derivatives.
#[derive(Debug)]
pub struct DerivativeOperator {
    spec: DerivativeSpec,
    previous: HashMap<String, (i64, f64)>,
}

impl DerivativeOperator {
    /// A node with `spec`.
    pub fn new(spec: DerivativeSpec) -> Self {
        Self {
            spec,
            previous: HashMap::new(),
        }
    }

    /// Derivatives of the rows of `data`, each row's group key given by `key`; rows that
    /// emit nothing are dropped, and the mask says which rows are kept.
    fn apply(
        &mut self,
        data: &RecordBatch,
        key: impl Fn(usize) -> String,
    ) -> (RecordBatch, Vec<bool>) {
        let values: Option<ArrayRef> = data
            .column_by_name(&self.spec.field)
            .filter(|c| matches!(c.data_type(), DataType::Int64 | DataType::Float64))
            .and_then(|c| cast(c, &DataType::Float64).ok());
        let point_times = times(data);
        let mut keep = vec![false; data.num_rows()];
        let mut out = vec![0.0; data.num_rows()];
        if let Some(values) = values {
            let values = values.as_primitive::<Float64Type>();
            for row in 0..data.num_rows() {
                if values.is_null(row) {
                    continue;
                }
                let (t, v) = (point_times[row], values.value(row));
                let previous = self.previous.insert(key(row), (t, v));
                let Some((pt, pv)) = previous else { continue };
                let elapsed = (t - pt) as f64;
                if elapsed == 0.0 {
                    continue;
                }
                let diff = v - pv;
                if self.spec.non_negative && diff < 0.0 {
                    continue;
                }
                out[row] = diff / (elapsed / self.spec.unit as f64);
                keep[row] = true;
            }
        }
        let with = set_field(
            data,
            &self.spec.as_name,
            FieldType::Float,
            Arc::new(Float64Array::from(out)),
        );
        let kept = keep_rows(&with, &keep);
        (kept, keep)
    }
}

impl Operator for DerivativeOperator {
    fn cardinality(&self) -> usize {
        self.previous.len()
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
                self.previous.remove(&batch.group.id);
                let id = batch.group.id.clone();
                let (data, _) = self.apply(&batch.data, |_| id.clone());
                self.previous.remove(&batch.group.id);
                out.push(Message::Batch(Batch { data, ..batch }));
            }
            Message::DeleteGroup(group) => {
                self.previous.remove(&group.id);
                out.push(Message::DeleteGroup(group));
            }
            signal @ Message::Barrier(_) => out.push(signal),
        }
    }
}
