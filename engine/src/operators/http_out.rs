//! `httpOut(name)`: keeps the latest message of each group, to serve as Kapacitor's
//! `models.Result` JSON: one series per group in the order groups were first seen, each
//! replaced by the group's newest message.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, Float64Type, Int64Type, TimestampNanosecondType, UInt64Type};
use condenser_model::schema::ColumnRole;
use condenser_planner::nodes::HttpOutSpec;
use serde_json::{Map, Value, json};

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{
    Barrier, Batch, Batches, Data, Group, GroupTable, Message, Points, role, tag_value,
};

/// The latest message of one group, kept as Arrow and encoded only when read.
#[derive(Debug, Clone)]
enum Latest {
    /// Row `1` of the points `0`.
    Point(Arc<Points>, usize),
    /// A batch.
    Batch(Batch),
    /// Batch `1` of the batches `0`.
    Span(Arc<Batches>, usize),
}

/// A float as Go's `%v` prints a non-finite one: `NaN`, `+Inf`, `-Inf`.
fn go_float(value: f64) -> &'static str {
    if value.is_nan() {
        "NaN"
    } else if value > 0.0 {
        "+Inf"
    } else {
        "-Inf"
    }
}

/// The first NaN or infinite float among `rows` of `data`'s field columns.
fn non_finite_in(data: &arrow::array::RecordBatch, rows: std::ops::Range<usize>) -> Option<f64> {
    data.columns().iter().find_map(|column| {
        let floats = column.as_primitive_opt::<Float64Type>()?;
        rows.clone()
            .filter(|&row| floats.is_valid(row))
            .map(|row| floats.value(row))
            .find(|v| !v.is_finite())
    })
}

impl Latest {
    /// A NaN or infinite value it would serve, if any.
    fn non_finite(&self) -> Option<f64> {
        match self {
            Latest::Point(points, row) => non_finite_in(&points.data, *row..*row + 1),
            Latest::Batch(batch) => non_finite_in(&batch.data, 0..batch.data.num_rows()),
            Latest::Span(batches, index) => {
                let span = batches.spans.get(*index)?;
                non_finite_in(batches.points.data().ok()?, span.rows.clone())
            }
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Latest::Point(points, row) => point_row(points, *row),
            Latest::Batch(batch) => batch_row(batch),
            Latest::Span(batches, index) => batches
                .batch(*index)
                .map_or(Value::Null, |batch| batch_row(&batch)),
        }
    }
}

/// The groups of an httpOut node in the order first seen, each with its latest message
/// (none yet for a group made by a barrier).
#[derive(Debug, Default)]
struct Series {
    entries: GroupTable<Option<Latest>>,
    /// Whether any group ever had an entry (all deleted serves `[]`, never any `null`).
    seen: bool,
}

/// The series an httpOut node serves, shared with whoever reads them.
#[derive(Debug, Clone, Default)]
pub struct HttpOutResult(Arc<Mutex<Series>>);

impl HttpOutResult {
    /// The JSON Kapacitor serves: `{"series": [...]}`, or `{"series": null}` when nothing
    /// has reached the node. JSON has no NaN or infinity: a series holding one makes the
    /// answer an error, `{"error": "json: unsupported value: NaN", "message": …}`, as
    /// Kapacitor's is (an HTTP 500), until the value is replaced.
    pub fn to_json(&self) -> Value {
        let series = self.lock();
        if !series.seen {
            return json!({ "series": null });
        }
        if let Some(value) = series
            .entries
            .iter()
            .find_map(|(_, latest)| latest.as_ref().and_then(Latest::non_finite))
        {
            // Kapacitor's error body: `error`, and since 1.6 the same as `message`.
            let message = format!("json: unsupported value: {}", go_float(value));
            return json!({ "error": message, "message": message });
        }
        json!({ "series": series.entries.iter().map(|(_, s)| s.as_ref().map_or(Value::Null, Latest::to_json)).collect::<Vec<_>>() })
    }
}

impl HttpOutResult {
    /// The series; a reader that panicked cannot have left them half-written (every
    /// update is one assignment), so a poisoned lock is still read.
    fn lock(&self) -> MutexGuard<'_, Series> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Series {
    /// The group's entry, made empty if it has none.
    fn entry(&mut self, group: &Arc<Group>) -> Result<&mut Option<Latest>> {
        self.seen = true;
        self.entries.get_or_insert_with(group, || None)
    }
}

/// Serves the latest message of each group.
#[derive(Debug)]
pub struct HttpOutOperator {
    spec: HttpOutSpec,
    result: HttpOutResult,
}

impl HttpOutOperator {
    /// A node with `spec`, whose series are readable through `result`.
    pub fn new(spec: &HttpOutSpec, result: HttpOutResult) -> Self {
        Self {
            spec: spec.clone(),
            result,
        }
    }
}

impl fmt::Display for HttpOutOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpOut: {}", self.spec)
    }
}

impl Operator for HttpOutOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        {
            let mut series = self.result.lock();
            match &data {
                Data::Points(points) => {
                    let shared = Arc::new(points.clone());
                    for (row, group) in points.groups.iter().enumerate() {
                        *series.entry(group)? = Some(Latest::Point(Arc::clone(&shared), row));
                    }
                }
                Data::Batch(batch) => {
                    *series.entry(&batch.group)? = Some(Latest::Batch(batch.clone()))
                }
                Data::Batches(batches) => {
                    let shared = Arc::new(batches.clone());
                    for (index, span) in batches.spans.iter().enumerate() {
                        *series.entry(&span.group)? =
                            Some(Latest::Span(Arc::clone(&shared), index));
                    }
                }
            }
        }
        out.push(data.into());
        Ok(())
    }

    /// A barrier makes the group's entry, empty until data comes.
    fn barrier(
        &mut self,
        _input: usize,
        barrier: Barrier,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        self.result.lock().entry(&barrier.group)?;
        out.push(Message::Barrier(barrier));
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.result.lock().entries.remove(&group.id);
    }
}

/// One point as a Kapacitor row: its name, all its tags, `time` and its fields sorted.
pub(crate) fn point_row(points: &Points, row: usize) -> Value {
    let schema = points.data.schema();
    let mut tags = Map::new();
    let mut fields: Vec<(String, Value)> = Vec::new();
    let mut time = Value::Null;
    for (i, field) in schema.fields().iter().enumerate() {
        let column = points.data.column(i);
        match role(&schema, i) {
            ColumnRole::Time => time = json_value(column, row),
            ColumnRole::Tag => {
                if let Some(v) = tag_value(column, row) {
                    tags.insert(field.name().clone(), Value::String(v));
                }
            }
            ColumnRole::Field => {
                if column.is_valid(row) || condenser_model::schema::nulls_are_values(field) {
                    let value = field_value(&points.data, field.name(), column, row);
                    fields.push((field.name().clone(), value));
                }
            }
            ColumnRole::Integers => {}
        }
    }
    fields.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut columns = vec![Value::String("time".into())];
    let mut values = vec![time];
    for (name, value) in fields {
        columns.push(Value::String(name));
        values.push(value);
    }
    row_object(&points.name, tags, columns, vec![Value::Array(values)])
}

/// A batch as a Kapacitor row: its group's tags, `time` then the first point's fields and
/// other tags sorted, one value row per point.
pub fn batch_row(batch: &Batch) -> Value {
    let mut tags = Map::new();
    for (k, v) in &batch.group.tags {
        tags.insert(k.clone(), Value::String(v.clone()));
    }
    let data = &batch.data;
    let schema = data.schema();
    let mut names: Vec<(String, usize)> = Vec::new();
    if data.num_rows() > 0 {
        for (i, field) in schema.fields().iter().enumerate() {
            let present =
                data.column(i).is_valid(0) || condenser_model::schema::nulls_are_values(field);
            let wanted = match role(&schema, i) {
                ColumnRole::Time | ColumnRole::Integers => false,
                ColumnRole::Tag => !tags.contains_key(field.name()),
                ColumnRole::Field => true,
            };
            if present && wanted {
                names.push((field.name().clone(), i));
            }
        }
        // A tag that is also a field shows the field's value in both columns, as Kapacitor's.
        for (name, index) in &mut names {
            if let Some(field) = (0..schema.fields().len())
                .find(|&i| schema.field(i).name() == name && role(&schema, i) == ColumnRole::Field)
            {
                *index = field;
            }
        }
    }
    names.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let time_index = schema.index_of("time").ok();
    let mut rows = Vec::with_capacity(data.num_rows());
    for row in 0..data.num_rows() {
        let mut values = vec![time_index.map_or(Value::Null, |i| json_value(data.column(i), row))];
        for (name, i) in &names {
            values.push(field_value(data, name, data.column(*i), row));
        }
        rows.push(Value::Array(values));
    }
    let columns = if rows.is_empty() {
        Vec::new()
    } else {
        std::iter::once("time".to_owned())
            .chain(names.into_iter().map(|(n, _)| n))
            .map(Value::String)
            .collect()
    };
    row_object(&batch.name, tags, columns, rows)
}

/// The JSON of column `name` (`column`) of `data` at `row`: a float that was an integer
/// is one again.
fn field_value(
    data: &arrow::array::RecordBatch,
    name: &str,
    column: &ArrayRef,
    row: usize,
) -> Value {
    match crate::points::integer_rows(data, name) {
        Some(integers) if integers.is_valid(row) && integers.value(row) && column.is_valid(row) => {
            match column.as_primitive_opt::<Float64Type>() {
                Some(floats) if floats.value(row).fract() == 0.0 => json!(floats.value(row) as i64),
                _ => json_value(column, row),
            }
        }
        _ => json_value(column, row),
    }
}

/// A series object with Kapacitor's key order, leaving out what is empty.
fn row_object(
    name: &str,
    tags: Map<String, Value>,
    columns: Vec<Value>,
    values: Vec<Value>,
) -> Value {
    let mut object = Map::new();
    if !name.is_empty() {
        object.insert("name".into(), Value::String(name.to_owned()));
    }
    if !tags.is_empty() {
        object.insert("tags".into(), Value::Object(tags));
    }
    if !columns.is_empty() {
        object.insert("columns".into(), Value::Array(columns));
    }
    if !values.is_empty() {
        object.insert("values".into(), Value::Array(values));
    }
    Value::Object(object)
}

/// One value as JSON: times as RFC 3339 in UTC, numbers, strings, booleans; null if absent.
pub fn json_value(column: &ArrayRef, row: usize) -> Value {
    if column.is_null(row) {
        return Value::Null;
    }
    match column.data_type() {
        DataType::Timestamp(_, _) => Value::String(rfc3339(
            column.as_primitive::<TimestampNanosecondType>().value(row),
        )),
        DataType::Float64 => json!(column.as_primitive::<Float64Type>().value(row)),
        DataType::Int64 => json!(column.as_primitive::<Int64Type>().value(row)),
        DataType::UInt64 => json!(column.as_primitive::<UInt64Type>().value(row)),
        DataType::Boolean => json!(column.as_boolean().value(row)),
        DataType::Utf8 => json!(column.as_string::<i32>().value(row)),
        DataType::Dictionary(_, _) => tag_value(column, row).map_or(Value::Null, Value::String),
        _ => Value::Null,
    }
}

/// Nanoseconds since the epoch as Go's RFC3339Nano in UTC: `1971-01-01T00:00:10Z`, the
/// fraction only when non-zero, without trailing zeros.
pub fn rfc3339(nanos: i64) -> String {
    condenser_model::time::rfc3339_nano(nanos)
}
