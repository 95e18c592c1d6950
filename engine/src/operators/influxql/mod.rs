//! The InfluxQL function nodes (`count`, `sum`, `mean`, `min`, `max`, `first`, `last`,
//! `spread`): reduce the points of each batch (or of each run of equal-time points of a
//! stream) to one point, with Kapacitor's (InfluxQL's) reducers.
//!
//! Batches that closed together (a window's emissions for one incoming message) are reduced
//! in one pass: `count`, `sum` and `mean` of floats through DataFusion's groups accumulators,
//! whose arithmetic is InfluxQL's (sums add in row order, means divide the sum by the count),
//! each batch one group of the accumulator; the other reducers take them one by one.
//!
//! Integers stay integers where InfluxQL keeps them: `count` is an integer, `sum`, `min`,
//! `max`, `first`, `last` and `spread` keep the field's type, `mean` is a float. Sums add in
//! arrival order, as Kapacitor's do, so floats come out bit for bit the same.

mod holt_winters;
mod transform;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, RecordBatch, TimestampNanosecondArray,
};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type, Schema};
use condenser_model::FieldType;
use condenser_model::schema::{TIME_COLUMN, field_field};
use condenser_planner::nodes::{InfluxQlFunction, InfluxQlSpec};

use super::{Context, Operator};
use crate::error::{Error, Result};
use crate::message::{Batch, Batches, Data, Group, Message, Points};
use crate::points::{
    batch_of, concat_points, push_group_tags, push_groups_tags, time_and_group_tags, time_column,
    times,
};
use holt_winters::HoltWinters;
use transform::{Transform, TransformOperator};

/// The operator of an InfluxQL function node: a transformation (`difference`, `elapsed`,
/// `cumulativeSum`, `movingAverage`) emits a point per point, every other function reduces
/// a batch (or a run of equal-time points) to a point or a batch.
pub fn operator(spec: &InfluxQlSpec) -> Box<dyn Operator> {
    let transform = match &spec.function {
        InfluxQlFunction::Difference => Some(Transform::Difference),
        InfluxQlFunction::Elapsed(unit) => Some(Transform::Elapsed(unit.nanos())),
        InfluxQlFunction::CumulativeSum => Some(Transform::CumulativeSum),
        InfluxQlFunction::MovingAverage(n) => Some(Transform::MovingAverage(*n)),
        _ => None,
    };
    match transform {
        Some(transform) => Box::new(TransformOperator::new(spec, transform)),
        None => Box::new(InfluxQlOperator::new(spec)),
    }
}

/// What `spec`'s function gives for `data`, one group's points, at `time`: each row's time
/// and value (for a batch query's time buckets); empty when it gives nothing.
pub(crate) fn reduce_rows(
    spec: &InfluxQlSpec,
    data: &RecordBatch,
    time: i64,
) -> Result<Vec<(i64, serde_json::Value)>> {
    let operator = InfluxQlOperator::new(spec);
    let name: Arc<str> = Arc::from("");
    let Some(message) = operator.reduce(&name, &Group::none(), time, data, Input::Batch)? else {
        return Ok(Vec::new());
    };
    let data = match &message {
        Message::Points(points) => &points.data,
        Message::Batch(batch) => &batch.data,
        _ => return Ok(Vec::new()),
    };
    let (Some(column), Ok(point_times)) = (data.column_by_name(&spec.as_name), times(data)) else {
        return Ok(Vec::new());
    };
    Ok(point_times
        .iter()
        .enumerate()
        .map(|(row, t)| (*t, super::http_out::json_value(column, row)))
        .collect())
}

/// Which reducer a node applies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reducer {
    /// The number of points with the field.
    Count,
    /// The sum.
    Sum,
    /// The arithmetic mean.
    Mean,
    /// The smallest value (a selector: the point itself).
    Min,
    /// The largest value (a selector).
    Max,
    /// The earliest point (a selector).
    First,
    /// The latest point (a selector).
    Last,
    /// Largest minus smallest.
    Spread,
    /// The middle value (the mean of the two middle ones for an even count).
    Median,
    /// The most frequent value (the smallest of equally frequent ones).
    Mode,
    /// The sample standard deviation.
    Stddev,
    /// The point at a percentile of the values (a selector).
    Percentile(f64),
    /// The largest N values, as a batch.
    Top(usize),
    /// The smallest N values, as a batch.
    Bottom(usize),
    /// Each distinct value once, as a batch.
    Distinct,
    /// A Holt-Winters forecast, as a batch.
    HoltWinters(HoltWinters),
}

impl Reducer {
    /// The reducer of an InfluxQL function that reduces (not a transformation).
    fn of(function: &InfluxQlFunction) -> Reducer {
        match function {
            InfluxQlFunction::Count => Reducer::Count,
            InfluxQlFunction::Sum => Reducer::Sum,
            InfluxQlFunction::Mean => Reducer::Mean,
            InfluxQlFunction::Min => Reducer::Min,
            InfluxQlFunction::Max => Reducer::Max,
            InfluxQlFunction::First => Reducer::First,
            InfluxQlFunction::Last => Reducer::Last,
            InfluxQlFunction::Spread => Reducer::Spread,
            InfluxQlFunction::Median => Reducer::Median,
            InfluxQlFunction::Mode => Reducer::Mode,
            InfluxQlFunction::Stddev => Reducer::Stddev,
            InfluxQlFunction::Percentile(p) => Reducer::Percentile(*p),
            InfluxQlFunction::Top { n, .. } => Reducer::Top(usize::try_from(*n).unwrap_or(0)),
            InfluxQlFunction::Bottom { n, .. } => Reducer::Bottom(usize::try_from(*n).unwrap_or(0)),
            InfluxQlFunction::Distinct => Reducer::Distinct,
            InfluxQlFunction::HoltWinters(hw) => Reducer::HoltWinters(HoltWinters {
                h: usize::try_from(hw.h).unwrap_or(0),
                m: usize::try_from(hw.m).unwrap_or(0),
                interval: hw.interval.nanos(),
                include_fit: hw.with_fit,
            }),
            // The transformations have an operator of their own.
            InfluxQlFunction::Difference
            | InfluxQlFunction::Elapsed(_)
            | InfluxQlFunction::MovingAverage(_)
            | InfluxQlFunction::CumulativeSum => Reducer::Count,
        }
    }

    fn is_selector(self) -> bool {
        matches!(
            self,
            Reducer::Min | Reducer::Max | Reducer::First | Reducer::Last | Reducer::Percentile(_)
        )
    }

    /// Whether a batch with no value of the field still gives a point (`count` 0, `sum` 0):
    /// Kapacitor's `IsEmptyOK`.
    fn empty_ok(self) -> bool {
        matches!(self, Reducer::Count | Reducer::Sum)
    }

    /// Whether the function takes values of this type: every one takes floats and integers,
    /// only `count`, `distinct`, `first` and `last` strings and booleans too (Kapacitor has
    /// no reducer of the others for them, and skips such points).
    fn takes(self, data_type: &DataType) -> bool {
        match data_type {
            DataType::Float64 | DataType::Int64 => true,
            DataType::Utf8 | DataType::Boolean => matches!(
                self,
                Reducer::Count | Reducer::Distinct | Reducer::First | Reducer::Last
            ),
            _ => false,
        }
    }
}

/// What is reduced: a batch (a window) or a stream's run of equal-time points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    Batch,
    Run,
}

/// One group's run of equal-time points (stream input).
#[derive(Debug)]
struct Run {
    name: Arc<str>,
    time: i64,
    rows: Vec<RecordBatch>,
}

/// Applies an InfluxQL reducer.
#[derive(Debug)]
pub struct InfluxQlOperator {
    spec: InfluxQlSpec,
    reducer: Reducer,
    runs: HashMap<String, (Arc<Group>, Run)>,
    /// Each group's name on a batch edge: the measurement of the first batch it came in, as
    /// Kapacitor names every result of the group.
    names: HashMap<String, Arc<str>>,
}

impl InfluxQlOperator {
    /// A node with `spec`.
    pub fn new(spec: &InfluxQlSpec) -> Self {
        Self {
            reducer: Reducer::of(&spec.function),
            spec: spec.clone(),
            runs: HashMap::new(),
            names: HashMap::new(),
        }
    }

    /// The name of `group`'s results, a batch of `name` arriving: its first batch's.
    fn batch_name(&mut self, group: &Group, name: &Arc<str>) -> Arc<str> {
        Arc::clone(
            self.names
                .entry(group.id.clone())
                .or_insert_with(|| Arc::clone(name)),
        )
    }

    /// Reduces the points of one group: to a point, or for top, bottom, distinct and the
    /// Holt-Winters forecasts to a batch. `None` when the function gives nothing.
    fn reduce(
        &self,
        name: &Arc<str>,
        group: &Arc<Group>,
        time: i64,
        data: &RecordBatch,
        input: Input,
    ) -> Result<Option<Message>> {
        Ok(match self.reducer {
            Reducer::HoltWinters(hw) => self
                .forecast(hw, name, group, time, data)?
                .map(Message::Batch),
            Reducer::Top(_) | Reducer::Bottom(_) | Reducer::Distinct => self
                .reduce_to_batch(name, group, time, data)?
                .map(Message::Batch),
            _ => self
                .reduce_to_point(name, group, time, data, input)?
                .map(Message::Points),
        })
    }

    /// The field's column when its type is one the function takes, and the rows that have a
    /// value: what Kapacitor aggregates (a point without the field is skipped). Where the
    /// field has integers and floats, the first value's type is the reducer's, as in
    /// Kapacitor, and the values of the other type are skipped.
    fn values(&self, data: &RecordBatch) -> Result<Option<(ArrayRef, Vec<usize>)>> {
        let Some(column) = data
            .column_by_name(&self.spec.field)
            .filter(|c| self.reducer.takes(c.data_type()))
        else {
            return Ok(None);
        };
        let mut rows: Vec<usize> = (0..data.num_rows())
            .filter(|&r| column.is_valid(r))
            .collect();
        let Some(&first) = rows.first() else {
            return Ok(None);
        };
        let Some(integers) = crate::points::integer_rows(data, &self.spec.field) else {
            return Ok(Some((Arc::clone(column), rows)));
        };
        let integer = |row: usize| integers.is_valid(row) && integers.value(row);
        let first_integer = integer(first);
        rows.retain(|&row| integer(row) == first_integer);
        let column = if first_integer {
            arrow::compute::cast(column, &DataType::Int64)?
        } else {
            Arc::clone(column)
        };
        Ok(Some((column, rows)))
    }

    /// Top, bottom and distinct: the chosen points, each with its tags and the value as
    /// the output field, at the batch's time or with `.usePointTimes()` their own. Top and
    /// bottom come by rank, distinct's values by time, then value.
    fn reduce_to_batch(
        &self,
        name: &Arc<str>,
        group: &Arc<Group>,
        time: i64,
        data: &RecordBatch,
    ) -> Result<Option<Batch>> {
        let spec = &self.spec;
        // A batch without a value of the field gives nothing (Kapacitor keeps no reduce
        // context for it).
        let Some((ref column, rows)) = self.values(data)? else {
            return Ok(None);
        };
        let point_times = times(data)?;
        let value = |r: usize| -> f64 {
            match column.data_type() {
                DataType::Int64 => column.as_primitive::<Int64Type>().value(r) as f64,
                DataType::Float64 => column.as_primitive::<Float64Type>().value(r),
                _ => f64::NAN,
            }
        };
        let (chosen, point_time): (Vec<usize>, bool) = match self.reducer {
            Reducer::Top(n) | Reducer::Bottom(n) => {
                // InfluxQL's top and bottom emit by rank: the best first; equal values
                // earliest first.
                let top = matches!(self.reducer, Reducer::Top(_));
                let mut sorted = rows;
                sorted.sort_by(|a, b| {
                    let by_value = value(*a).total_cmp(&value(*b));
                    let by_value = if top { by_value.reverse() } else { by_value };
                    by_value.then(point_times[*a].cmp(&point_times[*b]))
                });
                sorted.truncate(n);
                (sorted, spec.use_point_times)
            }
            _ => {
                // Each value once, at its first point; InfluxQL orders them by time, then
                // by value.
                let mut seen = std::collections::HashSet::new();
                let mut chosen = Vec::new();
                for r in rows {
                    let key = arrow::util::display::array_value_to_string(column, r)?;
                    if seen.insert(key) {
                        chosen.push(r);
                    }
                }
                if matches!(column.data_type(), DataType::Int64 | DataType::Float64) {
                    chosen.sort_by(|a, b| {
                        point_times[*a]
                            .cmp(&point_times[*b])
                            .then(value(*a).total_cmp(&value(*b)))
                    });
                }
                (chosen, spec.use_point_times)
            }
        };
        let indices =
            arrow::array::UInt32Array::from(chosen.iter().map(|r| *r as u32).collect::<Vec<_>>());
        let schema = data.schema();
        let mut fields = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        let mut tmax = time;
        for (i, field) in schema.fields().iter().enumerate() {
            match crate::message::role(&schema, i) {
                condenser_model::schema::ColumnRole::Time => {
                    let values: Vec<i64> = chosen
                        .iter()
                        .map(|r| if point_time { point_times[*r] } else { time })
                        .collect();
                    tmax = values.iter().copied().fold(tmax, i64::max);
                    fields.push(field.as_ref().clone());
                    columns.push(Arc::new(
                        TimestampNanosecondArray::from(values).with_timezone("UTC"),
                    ));
                }
                // A chosen point keeps its tags, over the group's (Kapacitor merges them), so
                // a point without a group-by tag has the group's value of it, "" or not.
                condenser_model::schema::ColumnRole::Tag if self.reducer != Reducer::Distinct => {
                    let taken = arrow::compute::take(data.column(i), &indices, None)?;
                    let taken = match group.tags.iter().find(|(k, _)| k == field.name()) {
                        Some((_, value)) if taken.null_count() > 0 => fill_tag(&taken, value)?,
                        _ => taken,
                    };
                    fields.push(field.as_ref().clone());
                    columns.push(taken);
                }
                _ => {}
            }
        }
        if self.reducer == Reducer::Distinct {
            push_group_tags(&mut fields, &mut columns, group, chosen.len())?;
        } else {
            let missing = Group {
                tags: group
                    .tags
                    .iter()
                    .filter(|(k, _)| schema.index_of(k).is_err())
                    .cloned()
                    .collect(),
                ..group.as_ref().clone()
            };
            push_group_tags(&mut fields, &mut columns, &missing, chosen.len())?;
        }
        let values = arrow::compute::take(column, &indices, None)?;
        let Some(field_type) = FieldType::from_data_type(values.data_type()) else {
            return Ok(None);
        };
        fields.push(field_field(&spec.as_name, field_type));
        columns.push(values);
        Ok(Some(Batch {
            name: Arc::clone(name),
            group: Arc::clone(group),
            tmax,
            data: batch_of(fields, columns)?,
        }))
    }

    /// The Holt-Winters forecast of a group's points, as a batch at the forecast times.
    fn forecast(
        &self,
        hw: HoltWinters,
        name: &Arc<str>,
        group: &Arc<Group>,
        time: i64,
        data: &RecordBatch,
    ) -> Result<Option<Batch>> {
        let Some((ref column, _)) = self.values(data)? else {
            return Ok(None);
        };
        let values = arrow::compute::cast(column, &DataType::Float64)?;
        let values = values.as_primitive::<Float64Type>();
        let point_times = times(data)?;
        let points: Vec<(i64, f64)> = (0..data.num_rows())
            .filter(|&r| values.is_valid(r))
            .map(|r| (point_times[r], values.value(r)))
            .collect();
        let forecast = hw.emit(&points);
        let tmax = forecast.iter().map(|p| p.0).fold(time, i64::max);
        let (mut fields, mut columns) =
            time_and_group_tags(forecast.iter().map(|p| p.0).collect(), group)?;
        fields.push(field_field(&self.spec.as_name, FieldType::Float));
        columns.push(Arc::new(Float64Array::from(
            forecast.iter().map(|p| p.1).collect::<Vec<_>>(),
        )));
        Ok(Some(Batch {
            name: Arc::clone(name),
            group: Arc::clone(group),
            tmax,
            data: batch_of(fields, columns)?,
        }))
    }

    /// Reduces batches that closed together: all of them at once through a DataFusion
    /// groups accumulator when the reducer has one with InfluxQL's semantics, else one by one.
    fn reduce_batches(&mut self, batches: Batches, out: &mut Vec<Message>) -> Result<()> {
        // Groups named after an earlier batch of another measurement go one by one.
        let mut same_names = true;
        for span in &batches.spans {
            same_names &= *self.batch_name(&span.group, &batches.name) == *batches.name;
        }
        let accumulated = if same_names {
            self.accumulate(&batches)?
        } else {
            None
        };
        match accumulated {
            Some(points) => out.extend(points.map(Message::Points)),
            None => {
                for batch in batches.split()? {
                    let name = self.batch_name(&batch.group, &batch.name);
                    out.extend(self.reduce(
                        &name,
                        &batch.group,
                        batch.tmax,
                        &batch.data,
                        Input::Batch,
                    )?);
                }
            }
        }
        Ok(())
    }

    /// `count`, `sum` (of integers or floats) and `mean` (of floats) of every batch of
    /// `batches`, as one message of points (none when no batch gives a value), or `None` when
    /// the batches need the batch-by-batch path: another reducer or type, a batch without
    /// points or the field, or groups with different tag keys.
    fn accumulate(&self, batches: &Batches) -> Result<Option<Option<Points>>> {
        use datafusion_expr::EmitTo;
        use datafusion_expr::function::AccumulatorArgs;
        use datafusion_functions_aggregate::{average, count, sum};
        let Batches {
            name,
            points,
            spans,
        } = batches;
        // With usePointTimes, an empty batch's count or sum is at the time 0: the batch by
        // batch path knows it.
        if self.spec.use_point_times {
            return Ok(None);
        }
        let Some(column) = points.column(&self.spec.field) else {
            return Ok(None);
        };
        // A field of integers and floats: each batch's reducer takes one type.
        let integers = condenser_model::schema::integers_name(&self.spec.field);
        if points.column(&integers).is_some() {
            return Ok(None);
        }
        let aggregate = match (self.reducer, column.data_type()) {
            (Reducer::Count, _) => count::count_udaf(),
            (Reducer::Sum, DataType::Int64 | DataType::Float64) => sum::sum_udaf(),
            // InfluxQL sums integers as integers before it divides; DataFusion as floats.
            (Reducer::Mean, DataType::Float64) => average::avg_udaf(),
            _ => return Ok(None),
        };
        let Some(first) = spans.first() else {
            return Ok(None);
        };
        let tiled = spans.iter().try_fold(0, |next, span| {
            (span.rows.start == next && !span.rows.is_empty()).then_some(span.rows.end)
        }) == Some(points.num_rows());
        let same_keys = spans.iter().all(|span| {
            span.group.tags.len() == first.group.tags.len()
                && span
                    .group
                    .tags
                    .iter()
                    .zip(&first.group.tags)
                    .all(|(a, b)| a.0 == b.0)
        });
        if !tiled || !same_keys {
            return Ok(None);
        }
        let input = Arc::new(Field::new(
            &self.spec.field,
            column.data_type().clone(),
            true,
        ));
        let args = AccumulatorArgs {
            return_field: aggregate.return_field(&[Arc::clone(&input)])?,
            schema: &Schema::new(vec![Arc::clone(&input)]),
            ignore_nulls: false,
            order_bys: &[],
            is_reversed: false,
            name: aggregate.name(),
            is_distinct: false,
            exprs: &[],
            expr_fields: &[input],
        };
        if !aggregate.groups_accumulator_supported(args.clone()) {
            return Ok(None);
        }
        let mut accumulator = aggregate.create_groups_accumulator(args)?;
        let group_indices: Vec<usize> = spans
            .iter()
            .enumerate()
            .flat_map(|(index, span)| std::iter::repeat_n(index, span.rows.len()))
            .collect();
        accumulator.update_batch(
            std::slice::from_ref(&column),
            &group_indices,
            None,
            spans.len(),
        )?;
        let mut values = accumulator.evaluate(EmitTo::All)?;
        // A batch whose points all lack the field: a count and a sum of 0, no mean.
        if self.reducer == Reducer::Sum && values.null_count() > 0 {
            values = match values.data_type() {
                DataType::Int64 => Arc::new(Int64Array::from_iter_values(
                    values
                        .as_primitive::<Int64Type>()
                        .iter()
                        .map(Option::unwrap_or_default),
                )),
                _ => Arc::new(Float64Array::from_iter_values(
                    values
                        .as_primitive::<Float64Type>()
                        .iter()
                        .map(Option::unwrap_or_default),
                )),
            };
        }
        let kept: Vec<usize> = (0..spans.len()).filter(|&i| values.is_valid(i)).collect();
        if kept.is_empty() {
            return Ok(Some(None));
        }
        if kept.len() < spans.len() {
            let indices =
                arrow::array::UInt32Array::from_iter_values(kept.iter().map(|&i| i as u32));
            values = arrow::compute::take(&values, &indices, None)?;
        }
        let Some(field_type) = FieldType::from_data_type(values.data_type()) else {
            return Ok(None);
        };
        let groups: Arc<[Arc<Group>]> = kept.iter().map(|&i| Arc::clone(&spans[i].group)).collect();
        let (time, times) = time_column(kept.iter().map(|&i| spans[i].tmax).collect());
        let (mut fields, mut columns) = (vec![time], vec![times]);
        push_groups_tags(&mut fields, &mut columns, &groups)?;
        fields.push(field_field(&self.spec.as_name, field_type));
        columns.push(values);
        Ok(Some(Some(Points {
            name: Arc::clone(name),
            data: batch_of(fields, columns)?,
            groups,
        })))
    }

    /// Reduces `data` (the points of one group) to one point at `time`; `None` when the
    /// function gives nothing (no values, or values of a type it does not take; an empty
    /// batch still gives `count` 0 and `sum` 0).
    fn reduce_to_point(
        &self,
        name: &Arc<str>,
        group: &Arc<Group>,
        time: i64,
        data: &RecordBatch,
        input: Input,
    ) -> Result<Option<Points>> {
        let spec = &self.spec;
        let Some((ref column, rows)) = self.values(data)? else {
            if input == Input::Batch && self.reducer.empty_ok() {
                // Kapacitor assumes floats when it has no data: a float sum, an int count.
                let zero: ArrayRef = match self.reducer {
                    Reducer::Count => Arc::new(Int64Array::from(vec![0])),
                    _ => Arc::new(Float64Array::from(vec![0.0])),
                };
                // The empty reducer's point has the time 0 (not InfluxQL's "no time"), which
                // usePointTimes shows.
                let time = if spec.use_point_times { 0 } else { time };
                return aggregate_point(name, group, time, &spec.as_name, zero).map(Some);
            }
            return Ok(None);
        };
        let point_times = times(data)?;
        if self.reducer.is_selector() {
            let Some(row) = select(self.reducer, column, &rows, point_times) else {
                return Ok(None);
            };
            let t = if spec.use_point_times {
                point_times[row]
            } else {
                time
            };
            return selected_point(
                name,
                group,
                data.slice(row, 1),
                t,
                &spec.field,
                &spec.as_name,
            )
            .map(Some);
        }
        let Some(value) = self.reduce_values(column, &rows, point_times) else {
            return Ok(None);
        };
        // With usePointTimes, the mode of one point and the median of one float are that
        // point, at its time (InfluxQL's integer median makes a new point without one),
        // and a sum has the time 0 (InfluxQL's sum keeps no time of a point).
        let float = column.data_type() == &DataType::Float64;
        let time = match (self.reducer, rows.as_slice()) {
            (Reducer::Mode, [row]) if spec.use_point_times => point_times[*row],
            (Reducer::Median, [row]) if spec.use_point_times && float => point_times[*row],
            (Reducer::Sum, _) if spec.use_point_times => 0,
            _ => time,
        };
        aggregate_point(name, group, time, &spec.as_name, value).map(Some)
    }

    /// The reducer's value of `rows` of `column`, as a one-row array; `None` when there is
    /// none.
    fn reduce_values(
        &self,
        column: &ArrayRef,
        rows: &[usize],
        point_times: &[i64],
    ) -> Option<ArrayRef> {
        Some(match column.data_type() {
            DataType::Int64 => {
                let values = column.as_primitive::<Int64Type>();
                let v: Vec<i64> = rows.iter().map(|&r| values.value(r)).collect();
                match self.reducer {
                    Reducer::Count => Arc::new(Int64Array::from(vec![v.len() as i64])),
                    Reducer::Sum => Arc::new(Int64Array::from(vec![
                        v.iter().fold(0i64, |a, b| a.wrapping_add(*b)),
                    ])),
                    Reducer::Mean => {
                        let sum = v.iter().fold(0i64, |a, b| a.wrapping_add(*b));
                        Arc::new(Float64Array::from(vec![sum as f64 / v.len() as f64]))
                    }
                    Reducer::Spread => {
                        let (min, max) = (v.iter().min()?, v.iter().max()?);
                        Arc::new(Int64Array::from(vec![max.wrapping_sub(*min)]))
                    }
                    Reducer::Mode => Arc::new(Int64Array::from(vec![mode(
                        v,
                        rows.iter().map(|&r| point_times[r]).collect(),
                    )?])),
                    Reducer::Median | Reducer::Stddev => {
                        let floats: Vec<f64> = v.iter().map(|x| *x as f64).collect();
                        Arc::new(Float64Array::from(vec![float_statistic(
                            self.reducer,
                            floats,
                        )?]))
                    }
                    _ => return None,
                }
            }
            DataType::Float64 => {
                let values = column.as_primitive::<Float64Type>();
                let v: Vec<f64> = rows.iter().map(|&r| values.value(r)).collect();
                match self.reducer {
                    Reducer::Count => Arc::new(Int64Array::from(vec![v.len() as i64])),
                    Reducer::Sum => {
                        Arc::new(Float64Array::from(vec![v.iter().fold(0.0, |a, b| a + b)]))
                    }
                    Reducer::Mean => {
                        let sum = v.iter().fold(0.0, |a, b| a + b);
                        Arc::new(Float64Array::from(vec![sum / v.len() as f64]))
                    }
                    Reducer::Spread => {
                        let min = v.iter().copied().fold(f64::INFINITY, f64::min);
                        let max = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                        Arc::new(Float64Array::from(vec![max - min]))
                    }
                    Reducer::Mode => {
                        let bits: Vec<OrderedF64> = v.into_iter().map(OrderedF64).collect();
                        let times = rows.iter().map(|&r| point_times[r]).collect();
                        Arc::new(Float64Array::from(vec![mode(bits, times)?.0]))
                    }
                    Reducer::Median | Reducer::Stddev => {
                        Arc::new(Float64Array::from(vec![float_statistic(self.reducer, v)?]))
                    }
                    _ => return None,
                }
            }
            // Strings and booleans: only count reaches here.
            _ if self.reducer == Reducer::Count => {
                Arc::new(Int64Array::from(vec![rows.len() as i64]))
            }
            _ => return None,
        })
    }
}

/// A float that sorts and compares by total order, for `mode`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OrderedF64(f64);

impl Eq for OrderedF64 {}

impl PartialOrd for OrderedF64 {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for OrderedF64 {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The most frequent value, as InfluxQL's mode chooses it: the points sorted by value as
/// Go sorts them (equal values in Go's order), a value counts once it is seen twice, and
/// among equally frequent values the one whose run starts at the earlier time wins; a
/// single value is the mode.
fn mode<T: Ord + Copy>(values: Vec<T>, times: Vec<i64>) -> Option<T> {
    let mut points: Vec<(T, i64)> = values.into_iter().zip(times).collect();
    crate::go_sort::sort_by(&mut points, |a, b| a.0 < b.0);
    let &(first, first_time) = points.first()?;
    let (mut most, mut most_count, mut most_time) = (first, 0usize, first_time);
    let (mut current, mut count, mut current_time) = (first, 0usize, first_time);
    for &(value, time) in &points {
        if value != current {
            (current, count, current_time) = (value, 1, time);
            continue;
        }
        count += 1;
        if most_count > count || (most_count == count && current_time > most_time) {
            continue;
        }
        (most, most_count, most_time) = (value, count, time);
    }
    Some(most)
}

/// Median or sample standard deviation, as InfluxQL computes them.
fn float_statistic(reducer: Reducer, mut values: Vec<f64>) -> Option<f64> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    if reducer == Reducer::Median {
        values.sort_by(f64::total_cmp);
        return Some(if n % 2 == 1 {
            values[n / 2]
        } else {
            let (low, high) = (values[n / 2 - 1], values[n / 2]);
            low + (high - low) / 2.0
        });
    }
    // One value has no sample deviation: InfluxQL gives NaN.
    if n < 2 {
        return Some(f64::NAN);
    }
    // InfluxQL's order: a running mean, then the squared deviations.
    let mut mean = 0.0;
    for (i, v) in values.iter().enumerate() {
        mean += (v - mean) / (i + 1) as f64;
    }
    let variance = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64;
    Some(variance.sqrt())
}

/// Tag column `tags` with its nulls set to `value`.
fn fill_tag(tags: &ArrayRef, value: &str) -> Result<ArrayRef> {
    let strings = arrow::compute::cast(tags, &DataType::Utf8)?;
    let strings = strings.as_string::<i32>();
    let filled: arrow::array::StringArray =
        strings.iter().map(|v| Some(v.unwrap_or(value))).collect();
    Ok(arrow::compute::cast(
        &filled,
        &condenser_model::schema::tag_data_type(),
    )?)
}

/// The row a selector picks, with InfluxQL's tie-breaks.
fn select(
    reducer: Reducer,
    column: &ArrayRef,
    rows: &[usize],
    point_times: &[i64],
) -> Option<usize> {
    let value = |r: usize| -> f64 {
        match column.data_type() {
            DataType::Int64 => column.as_primitive::<Int64Type>().value(r) as f64,
            DataType::Float64 => column.as_primitive::<Float64Type>().value(r),
            _ => 0.0,
        }
    };
    if let Reducer::Percentile(percentile) = reducer {
        // Sorted by value as Go sorts them: of equal values, Go's order picks the point.
        let mut sorted = rows.to_vec();
        crate::go_sort::sort_by(&mut sorted, |a, b| value(*a) < value(*b));
        let index = (sorted.len() as f64 * percentile / 100.0 + 0.5).floor() as i64 - 1;
        return usize::try_from(index)
            .ok()
            .and_then(|i| sorted.get(i).copied());
    }
    let mut best = *rows.first()?;
    for &r in &rows[1..] {
        let (t, bt, v, bv) = (point_times[r], point_times[best], value(r), value(best));
        let better = match reducer {
            Reducer::Min => v < bv || (v == bv && t < bt),
            Reducer::Max => v > bv || (v == bv && t < bt),
            Reducer::First => t < bt || (t == bt && v > bv),
            _ => t > bt || (t == bt && v > bv),
        };
        if better {
            best = r;
        }
    }
    Some(best)
}

/// A point made of the group's tags and one field.
fn aggregate_point(
    name: &Arc<str>,
    group: &Arc<Group>,
    time: i64,
    field: &str,
    value: ArrayRef,
) -> Result<Points> {
    let (mut fields, mut columns) = time_and_group_tags(vec![time], group)?;
    let field_type = FieldType::from_data_type(value.data_type())
        .ok_or_else(|| Error::internal("a reducer gave a value of no field type"))?;
    fields.push(field_field(field, field_type));
    columns.push(value);
    Ok(Points {
        name: Arc::clone(name),
        data: batch_of(fields, columns)?,
        groups: vec![Arc::clone(group)].into(),
    })
}

/// The selected point, with its field renamed to the output name and its time set.
fn selected_point(
    name: &Arc<str>,
    group: &Arc<Group>,
    row: RecordBatch,
    time: i64,
    field: &str,
    as_name: &str,
) -> Result<Points> {
    let schema = row.schema();
    // A value that was an integer is selected as one.
    let integer = crate::points::integer_rows(&row, field)
        .is_some_and(|integers| integers.is_valid(0) && integers.value(0));
    let mut fields: Vec<Field> = Vec::new();
    let mut columns: Vec<ArrayRef> = Vec::new();
    for (i, f) in schema.fields().iter().enumerate() {
        if crate::message::role(&schema, i) == condenser_model::schema::ColumnRole::Integers {
            continue;
        }
        if f.name() == field && integer {
            fields.push(field_field(as_name, FieldType::Integer));
            columns.push(arrow::compute::cast(row.column(i), &DataType::Int64)?);
        } else if f.name() == field {
            fields.push(f.as_ref().clone().with_name(as_name));
            columns.push(Arc::clone(row.column(i)));
        } else {
            fields.push(f.as_ref().clone());
            columns.push(Arc::clone(row.column(i)));
        }
    }
    let schema = Schema::new(fields.clone());
    let time_index = schema.index_of(TIME_COLUMN)?;
    columns[time_index] = Arc::new(TimestampNanosecondArray::from(vec![time]).with_timezone("UTC"));
    Ok(Points {
        name: Arc::clone(name),
        data: batch_of(fields, columns)?,
        groups: vec![Arc::clone(group)].into(),
    })
}

impl fmt::Display for InfluxQlOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InfluxQL: {}", self.spec)
    }
}

impl Operator for InfluxQlOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn cardinality(&self) -> usize {
        // The groups it has seen: on a stream edge those with a run, on a batch edge every one.
        self.runs.len() + self.names.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Batch(Batch {
                name,
                group,
                tmax,
                data,
            }) => {
                let name = self.batch_name(&group, &name);
                out.extend(self.reduce(&name, &group, tmax, &data, Input::Batch)?);
            }
            Data::Points(points) => {
                // A stream is reduced per group over runs of points with the same time; a
                // run ends when a point of the group with another time arrives.
                let point_times = times(&points.data)?.to_vec();
                for (row, t) in point_times.into_iter().enumerate() {
                    let group = Arc::clone(&points.groups[row]);
                    let slice = points.data.slice(row, 1);
                    let finished = match self.runs.get_mut(&group.id) {
                        Some((_, run)) if run.time == t => {
                            run.rows.push(slice);
                            None
                        }
                        _ => self.runs.insert(
                            group.id.clone(),
                            (
                                Arc::clone(&group),
                                Run {
                                    name: Arc::clone(&points.name),
                                    time: t,
                                    rows: vec![slice],
                                },
                            ),
                        ),
                    };
                    if let Some((group, run)) = finished {
                        let data = concat_points(&run.rows)?;
                        out.extend(self.reduce(&run.name, &group, run.time, &data, Input::Run)?);
                    }
                }
            }
            Data::Batches(batches) => self.reduce_batches(batches, out)?,
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.runs.remove(&group.id);
        self.names.remove(&group.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stddev_sums_in_influxqls_order_to_the_last_bit() {
        // With a plain sum-then-divide mean the result ends in …156; InfluxQL's running mean
        // gives …153, and so must we.
        let values = vec![41.0, 15.1, 29.4, 76.9, 87.3, 4.4, 61.5];
        assert_eq!(
            float_statistic(Reducer::Stddev, values),
            Some(31.307157252585153)
        );
        assert_eq!(
            float_statistic(Reducer::Median, vec![3.0, 1.0, 2.0, 10.0]),
            Some(2.5)
        );
    }
}
