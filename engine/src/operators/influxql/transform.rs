//! The InfluxQL transformations `difference`, `elapsed`, `cumulativeSum` and
//! `movingAverage`: each point updates its group's reducer, which then emits a point (once
//! it has enough history) with the group's tags, the reducer's time and the result as the
//! only field. On a stream the reducer is per group; in a batch it starts afresh with each
//! batch, and the batch's emitted points form the batch that goes on.
//!
//! As Kapacitor's reducers do: the reducer takes the type of the first point with the
//! field; a later point without the field (or of the other type) updates nothing, but the
//! reducer emits again (its last value, for elapsed, movingAverage and cumulativeSum; a
//! difference is emitted once); a difference skips a point at its last point's time.

use std::collections::HashMap;
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

/// A value that is an integer or a float, as the input field was; `Other` is a string or
/// boolean, which only elapsed takes (it reads no value).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Number {
    Int(i64),
    Float(f64),
    Other(OtherType),
}

/// The types elapsed takes besides numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OtherType {
    String,
    Boolean,
}

impl Number {
    /// The value's type, for InfluxQL's one reducer per type.
    fn same_type(self, other: Number) -> bool {
        std::mem::discriminant(&self) == std::mem::discriminant(&other)
            && match (self, other) {
                (Number::Other(a), Number::Other(b)) => a == b,
                _ => true,
            }
    }

    fn as_float(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(f) => f,
            Number::Other(_) => f64::NAN,
        }
    }
}

/// One group's reducer, as InfluxQL's: its points so far.
#[derive(Debug)]
struct Reducer {
    /// Its first value, whose type it takes.
    first: Number,
    /// The points before the last and the last (time, value).
    prev: Option<(i64, Number)>,
    curr: Option<(i64, Number)>,
    /// Moving average: the ring of the last values, where the next goes, and their sum.
    ring: Vec<Number>,
    pos: usize,
    sum: Number,
}

impl Reducer {
    fn new(first: Number) -> Reducer {
        let ints = matches!(first, Number::Int(_));
        Reducer {
            first,
            prev: None,
            curr: None,
            ring: Vec::new(),
            pos: 0,
            sum: if ints {
                Number::Int(0)
            } else {
                Number::Float(0.0)
            },
        }
    }

    /// Takes a point; a value of the other type is not taken (Kapacitor logs it).
    fn aggregate(&mut self, transform: Transform, t: i64, value: Number) {
        if !value.same_type(self.first) {
            return;
        }
        match transform {
            Transform::Difference => {
                // A point that does not advance the series is skipped.
                if self.curr.is_some_and(|(ct, _)| ct == t) {
                    return;
                }
                self.prev = self.curr.replace((t, value));
            }
            Transform::Elapsed(_) => self.prev = self.curr.replace((t, value)),
            Transform::CumulativeSum => {
                self.sum = add(self.sum, value);
                self.curr = Some((t, self.sum));
            }
            Transform::MovingAverage(n) => {
                let n = usize::try_from(n).unwrap_or(0).max(1);
                if self.ring.len() < n {
                    self.ring.push(value);
                } else {
                    self.sum = sub(self.sum, self.ring[self.pos]);
                    self.ring[self.pos] = value;
                }
                self.sum = add(self.sum, value);
                self.curr = Some((t, value));
                self.pos = (self.pos + 1) % n;
            }
        }
    }

    /// What the reducer emits now, if anything: (time, value).
    fn emit(&mut self, transform: Transform) -> Option<(i64, Number)> {
        match transform {
            Transform::Difference => {
                // The previous point is read once: the next emit needs a new point.
                let (_, pv) = self.prev.take()?;
                let (t, v) = self.curr?;
                Some((t, sub(v, pv)))
            }
            Transform::Elapsed(unit) => {
                let (pt, _) = self.prev?;
                let (t, _) = self.curr?;
                Some((t, Number::Int((t - pt) / unit.max(1))))
            }
            Transform::CumulativeSum => self.curr,
            Transform::MovingAverage(n) => {
                let n = usize::try_from(n).unwrap_or(0).max(1);
                if self.ring.len() < n {
                    return None;
                }
                let (t, _) = self.curr?;
                Some((t, Number::Float(self.sum.as_float() / n as f64)))
            }
        }
    }
}

fn add(a: Number, b: Number) -> Number {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => Number::Int(a.wrapping_add(b)),
        (a, b) => Number::Float(a.as_float() + b.as_float()),
    }
}

fn sub(a: Number, b: Number) -> Number {
    match (a, b) {
        (Number::Int(a), Number::Int(b)) => Number::Int(a.wrapping_sub(b)),
        (a, b) => Number::Float(a.as_float() - b.as_float()),
    }
}

/// One group's state: the measurement its output is named after (the group's first
/// point's) and its reducer, made by the first point with the field.
#[derive(Debug)]
struct History {
    name: Arc<str>,
    reducer: Option<Reducer>,
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

    /// Runs the rows of `data` (points of measurement `name`) through their reducers; `key`
    /// gives each row's reducer. What they emit, in order.
    fn apply(
        &mut self,
        name: &Arc<str>,
        data: &RecordBatch,
        key: impl Fn(usize) -> String,
    ) -> Result<Vec<Emitted>> {
        let elapsed = matches!(self.transform, Transform::Elapsed(_));
        let column = data
            .column_by_name(&self.spec.field)
            .filter(|c| match c.data_type() {
                DataType::Int64 | DataType::Float64 => true,
                // Elapsed reads only the times: a string or boolean field will do.
                DataType::Utf8 | DataType::Boolean => elapsed,
                _ => false,
            })
            .cloned();
        let point_times = times(data)?;
        let integers = crate::points::integer_rows(data, &self.spec.field);
        let transform = self.transform;
        let mut out = Vec::new();
        for (row, &t) in point_times.iter().enumerate() {
            let was_integer = integers.is_some_and(|i| i.is_valid(row) && i.value(row));
            let value = column
                .as_ref()
                .filter(|c| c.is_valid(row))
                .map(|c| match c.data_type() {
                    DataType::Int64 => Number::Int(c.as_primitive::<Int64Type>().value(row)),
                    DataType::Float64 if was_integer => {
                        Number::Int(c.as_primitive::<Float64Type>().value(row) as i64)
                    }
                    DataType::Float64 => Number::Float(c.as_primitive::<Float64Type>().value(row)),
                    DataType::Boolean => Number::Other(OtherType::Boolean),
                    _ => Number::Other(OtherType::String),
                });
            let history = self.histories.entry(key(row)).or_insert_with(|| History {
                name: Arc::clone(name),
                reducer: None,
            });
            let reducer = match (&mut history.reducer, value) {
                (Some(reducer), _) => reducer,
                // No reducer until a point has the field.
                (None, None) => continue,
                (None, Some(first)) => history.reducer.insert(Reducer::new(first)),
            };
            if let Some(value) = value {
                reducer.aggregate(transform, t, value);
            }
            if let Some((time, result)) = reducer.emit(transform) {
                out.push(Emitted {
                    row,
                    name: Arc::clone(&history.name),
                    time,
                    value: result,
                });
            }
        }
        Ok(out)
    }

    /// A batch's transformation starts afresh.
    fn batch(&mut self, batch: Batch, out: &mut Vec<Message>) -> Result<()> {
        let key = batch_state_key(&batch.group.id);
        self.histories.remove(&key);
        let results = self.apply(&batch.name, &batch.data, |_| key.clone())?;
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

/// A value a transformation emitted: for the point at `row`, under measurement `name`.
struct Emitted {
    row: usize,
    name: Arc<str>,
    time: i64,
    value: Number,
}

/// Points with the group's tags, the given times and one field.
fn build(group: &Group, field: &str, results: &[Emitted]) -> Result<RecordBatch> {
    let times: Vec<i64> = results.iter().map(|r| r.time).collect();
    let (mut fields, mut columns) = time_and_group_tags(times, group)?;
    let (values, field_type): (ArrayRef, FieldType) = match results.first().map(|r| r.value) {
        Some(Number::Int(_)) => (
            Arc::new(Int64Array::from_iter_values(results.iter().map(
                |r| match r.value {
                    Number::Int(i) => i,
                    Number::Float(f) => f as i64,
                    // What the transforms emit is a number.
                    Number::Other(_) => 0,
                },
            ))),
            FieldType::Integer,
        ),
        _ => (
            Arc::new(Float64Array::from_iter_values(
                results.iter().map(|r| r.value.as_float()),
            )),
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
                let results =
                    self.apply(&points.name, &points.data, |row| groups[row].id.clone())?;
                for result in &results {
                    let group = &groups[result.row];
                    out.push(Message::Points(Points {
                        name: Arc::clone(&result.name),
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
