//! The InfluxQL transformations `difference`, `elapsed`, `cumulativeSum` and
//! `movingAverage`: one output point per input point (once they have enough history),
//! with the group's tags, the point's time and the result as the only field. On a stream
//! the history is per group; in a batch it starts afresh with each batch.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use condenser_model::FieldType;
use condenser_model::schema::field_field;
use condenser_planner::nodes::InfluxQlSpec;

use crate::error::Result;
use crate::message::{Batch, Data, Group, Message, Points};
use crate::operators::{Context, Operator};
use crate::points::{
    batch_of, batch_state_key, concat_points, forget_group_state, time_and_group_tags, times,
};

/// Which transformation a node applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Transform {
    /// The change from the previous value (the field's type).
    Difference,
    /// Time since the previous point, in units of this many nanoseconds (an integer).
    Elapsed(i64),
    /// The running sum (the field's type).
    CumulativeSum,
    /// The mean of the last n values (a float).
    MovingAverage(i64),
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
pub(super) struct TransformOperator {
    spec: InfluxQlSpec,
    transform: Transform,
    histories: HashMap<String, History>,
}

impl TransformOperator {
    /// A node with `spec`, which is `transform`.
    pub(super) fn new(spec: &InfluxQlSpec, transform: Transform) -> Self {
        Self {
            spec: spec.clone(),
            transform,
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
        match self.transform {
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
                let n = usize::try_from(n).unwrap_or(0).max(1);
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
    ) -> Result<Vec<(usize, i64, Number)>> {
        let Some(column) = data.column_by_name(&self.spec.field).cloned() else {
            return Ok(Vec::new());
        };
        let point_times = times(data)?.to_vec();
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
        Ok(out)
    }
}

/// Points with the group's tags, the given times and one field.
fn build(group: &Group, field: &str, results: &[(usize, i64, Number)]) -> Result<RecordBatch> {
    let times: Vec<i64> = results.iter().map(|r| r.1).collect();
    let (mut fields, mut columns) = time_and_group_tags(times, group)?;
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
    batch_of(fields, columns)
}

impl fmt::Display for TransformOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InfluxQL: {}", self.spec)
    }
}

impl Operator for TransformOperator {
    fn cardinality(&self) -> usize {
        self.histories.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                let groups = Arc::clone(&points.groups);
                let results = self.apply(&points.data, |row| groups[row].id.clone())?;
                for result in &results {
                    let group = &groups[result.0];
                    out.push(Message::Points(Points {
                        name: Arc::clone(&points.name),
                        data: build(group, &self.spec.as_name, std::slice::from_ref(result))?,
                        groups: vec![Arc::clone(group)].into(),
                    }));
                }
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, out)?;
                }
            }
            Data::Batch(batch) => self.batch(batch, out)?,
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        forget_group_state(&mut self.histories, &group.id);
    }
}

impl TransformOperator {
    /// A batch's transformation starts afresh.
    fn batch(&mut self, batch: Batch, out: &mut Vec<Message>) -> Result<()> {
        let key = batch_state_key(&batch.group.id);
        self.histories.remove(&key);
        let results = self.apply(&batch.data, |_| key.clone())?;
        self.histories.remove(&key);
        let data = if results.is_empty() {
            concat_points(&[batch.data.slice(0, 0)])?
        } else {
            build(&batch.group, &self.spec.as_name, &results)?
        };
        out.push(Message::Batch(Batch { data, ..batch }));
        Ok(())
    }
}
