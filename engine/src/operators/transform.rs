//! The InfluxQL transformations `difference`, `elapsed`, `cumulativeSum` and
//! `movingAverage`: one output point per input point (once they have enough history),
//! with the group's tags, the point's time and the result as the only field. On a stream
//! the history is per group; in a batch it starts afresh with each batch.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type, Schema};
use condenser_model::FieldType;
use condenser_model::schema::field_field;

use super::{Operator, batch_state_key, concat_points, forget_group_state, time_and_group_tags};
use crate::message::{Batch, Group, Message, Points, times};

/// Which transformation a node applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Transform {
    /// The change from the previous value (the field's type).
    Difference,
    /// Time since the previous point, in units of this many nanoseconds (an integer).
    Elapsed(i64),
    /// The running sum (the field's type).
    CumulativeSum,
    /// The mean of the last n values (a float).
    MovingAverage(usize),
}

/// The resolved properties of a transformation node.
#[derive(Debug, Clone)]
pub struct TransformSpec {
    /// The transformation.
    pub transform: Transform,
    /// The field it reads.
    pub field: String,
    /// The output field.
    pub as_name: String,
}

/// One group's history.
#[derive(Debug, Default)]
struct History {
    previous: Option<(i64, f64, i64)>,
    sum: (f64, i64),
    window: VecDeque<f64>,
}

/// A value that is an integer or a float, as the input field was.
#[derive(Debug, Clone, Copy)]
enum Number {
    Int(i64),
    Float(f64),
}

/// Applies a transformation.
#[derive(Debug)]
pub struct TransformOperator {
    spec: TransformSpec,
    histories: HashMap<String, History>,
}

impl TransformOperator {
    /// A node with `spec`.
    pub fn new(spec: TransformSpec) -> Self {
        Self {
            spec,
            histories: HashMap::new(),
        }
    }

    /// The output of one input value at `t`, if any.
    fn step(&mut self, key: &str, t: i64, value: Number) -> Option<Number> {
        let history = self.histories.entry(key.to_owned()).or_default();
        let (as_float, as_int) = match value {
            Number::Int(i) => (i as f64, i),
            Number::Float(f) => (f, f as i64),
        };
        let previous = history.previous.replace((t, as_float, as_int));
        match self.spec.transform {
            Transform::Difference => previous.map(|(_, pf, pi)| match value {
                Number::Int(i) => Number::Int(i.wrapping_sub(pi)),
                Number::Float(f) => Number::Float(f - pf),
            }),
            Transform::Elapsed(unit) => {
                previous.map(|(pt, _, _)| Number::Int((t - pt) / unit.max(1)))
            }
            Transform::CumulativeSum => Some(match value {
                Number::Int(i) => {
                    history.sum.1 = history.sum.1.wrapping_add(i);
                    Number::Int(history.sum.1)
                }
                Number::Float(f) => {
                    history.sum.0 += f;
                    Number::Float(history.sum.0)
                }
            }),
            Transform::MovingAverage(n) => {
                history.window.push_back(as_float);
                if history.window.len() > n {
                    history.window.pop_front();
                }
                (history.window.len() == n)
                    .then(|| Number::Float(history.window.iter().sum::<f64>() / n as f64))
            }
        }
    }

    /// Transforms the rows of `data`; `key` gives each row's history.
    fn apply(
        &mut self,
        data: &RecordBatch,
        key: impl Fn(usize) -> String,
    ) -> Vec<(usize, i64, Number)> {
        let Some(column) = data.column_by_name(&self.spec.field).cloned() else {
            return Vec::new();
        };
        let point_times = times(data).to_vec();
        let mut out = Vec::new();
        for (row, t) in point_times.into_iter().enumerate() {
            if column.is_null(row) {
                continue;
            }
            let value = match column.data_type() {
                DataType::Int64 => Number::Int(column.as_primitive::<Int64Type>().value(row)),
                DataType::Float64 => Number::Float(column.as_primitive::<Float64Type>().value(row)),
                _ => continue,
            };
            if let Some(result) = self.step(&key(row), t, value) {
                out.push((row, t, result));
            }
        }
        out
    }
}

/// Points with the group's tags, the given times and one field.
fn build(group: &Group, field: &str, results: &[(usize, i64, Number)]) -> RecordBatch {
    let times: Vec<i64> = results.iter().map(|r| r.1).collect();
    let (mut fields, mut columns) = time_and_group_tags(times, group);
    let (values, field_type): (ArrayRef, FieldType) = match results.first().map(|r| r.2) {
        Some(Number::Int(_)) => (
            Arc::new(Int64Array::from_iter_values(results.iter().map(
                |r| match r.2 {
                    Number::Int(i) => i,
                    Number::Float(f) => f as i64,
                },
            ))),
            FieldType::Integer,
        ),
        _ => (
            Arc::new(Float64Array::from_iter_values(results.iter().map(
                |r| match r.2 {
                    Number::Int(i) => i as f64,
                    Number::Float(f) => f,
                },
            ))),
            FieldType::Float,
        ),
    };
    fields.push(field_field(field, field_type));
    columns.push(values);
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("transformed points")
}

impl Operator for TransformOperator {
    fn cardinality(&self) -> usize {
        self.histories.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(points) => {
                let groups = std::sync::Arc::clone(&points.groups);
                let results = self.apply(&points.data, |row| groups[row].id.clone());
                for result in &results {
                    let group = &groups[result.0];
                    out.push(Message::Points(Points {
                        name: Arc::clone(&points.name),
                        data: build(group, &self.spec.as_name, std::slice::from_ref(result)),
                        groups: vec![Arc::clone(group)].into(),
                    }));
                }
            }
            Message::Batches(batches) => self.process_each(batches, out),
            Message::Batch(batch) => {
                let key = batch_state_key(&batch.group.id);
                self.histories.remove(&key);
                let results = self.apply(&batch.data, |_| key.clone());
                self.histories.remove(&key);
                let data = if results.is_empty() {
                    concat_points(&[batch.data.slice(0, 0)])
                } else {
                    build(&batch.group, &self.spec.as_name, &results)
                };
                out.push(Message::Batch(Batch { data, ..batch }));
            }
            Message::DeleteGroup(group) => {
                forget_group_state(&mut self.histories, &group.id);
                out.push(Message::DeleteGroup(group));
            }
            signal @ Message::Barrier(_) => out.push(signal),
        }
    }
}
