//! `default()`: gives fields and tags that a point lacks a value.

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::{cast, is_null, kernels::zip::zip};
use arrow::datatypes::{DataType, Schema};
use condenser_model::FieldType;
use condenser_model::schema::{
    field_field, integers_field, integers_name, tag_data_type, tag_field,
};
use condenser_planner::nodes::{DefaultSpec, DefaultValue};

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, Group, Message, Points};

/// Fills in fields and tags.
#[derive(Debug)]
pub struct DefaultOperator {
    spec: DefaultSpec,
}

impl DefaultOperator {
    /// A node with `spec`.
    pub fn new(spec: &DefaultSpec) -> Self {
        Self { spec: spec.clone() }
    }

    fn apply(&self, data: &RecordBatch) -> Result<RecordBatch> {
        let rows = data.num_rows();
        let schema = data.schema();
        let mut fields: Vec<_> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        let mut columns = data.columns().to_vec();
        let mut set = |name: &str, field, default: ArrayRef| -> Result<()> {
            match fields
                .iter()
                .position(|f: &arrow::datatypes::Field| f.name() == name)
            {
                Some(i) if columns[i].data_type() == default.data_type() => {
                    let absent: BooleanArray = is_null(&columns[i])?;
                    columns[i] = zip(&absent, &default, &columns[i])?;
                }
                // A column of another type that no row has a value of: the default replaces
                // it (`split` makes such runs).
                Some(i) if columns[i].logical_null_count() == rows => {
                    fields[i] = field;
                    columns[i] = default;
                }
                // Integers and floats in one field: a float column whose companion marks
                // the integers, as ingest makes it.
                Some(i) if numbers(columns[i].data_type(), default.data_type()) => {
                    let absent: BooleanArray = is_null(&columns[i])?;
                    let floats = cast(&columns[i], &DataType::Float64)?;
                    let filled = zip(&absent, &cast(&default, &DataType::Float64)?, &floats)?;
                    let companion = integers_name(name);
                    let before = fields.iter().position(|f| *f.name() == companion);
                    let integers: BooleanArray = (0..rows)
                        .map(|row| {
                            let was = if columns[i].data_type() == &DataType::Int64 {
                                true
                            } else {
                                before.is_some_and(|c| {
                                    let c = columns[c].as_boolean();
                                    c.is_valid(row) && c.value(row)
                                })
                            };
                            let defaulted = default.data_type() == &DataType::Int64;
                            Some(if absent.value(row) { defaulted } else { was })
                        })
                        .collect();
                    fields[i] = field_field(name, FieldType::Float);
                    columns[i] = filled;
                    match before {
                        Some(c) => columns[c] = Arc::new(integers),
                        None => {
                            fields.push(integers_field(name));
                            columns.push(Arc::new(integers));
                        }
                    }
                }
                Some(_) => {}
                None => {
                    fields.push(field);
                    columns.push(default);
                }
            }
            Ok(())
        };
        for (name, value) in &self.spec.fields {
            let (array, field_type): (ArrayRef, FieldType) = match value {
                DefaultValue::Float(v) => (
                    Arc::new(Float64Array::from(vec![*v; rows])),
                    FieldType::Float,
                ),
                DefaultValue::Int(v) => (
                    Arc::new(Int64Array::from(vec![*v; rows])),
                    FieldType::Integer,
                ),
                DefaultValue::String(v) => (
                    Arc::new(StringArray::from(vec![v.as_str(); rows])),
                    FieldType::String,
                ),
                DefaultValue::Bool(v) => (
                    Arc::new(BooleanArray::from(vec![*v; rows])),
                    FieldType::Boolean,
                ),
            };
            set(name, field_field(name, field_type), array)?;
        }
        for (name, value) in &self.spec.tags {
            let default: ArrayRef = Arc::new(StringArray::from(vec![value.as_str(); rows]));
            match fields.iter().position(|f| f.name() == name) {
                // An absent or empty tag takes the default.
                Some(i) => {
                    let current = cast(&columns[i], &DataType::Utf8)?;
                    let strings = current.as_string::<i32>();
                    let absent: BooleanArray = (0..rows)
                        .map(|r| Some(strings.is_null(r) || strings.value(r).is_empty()))
                        .collect();
                    let filled = zip(&absent, &default, &current)?;
                    columns[i] = cast(&filled, &tag_data_type())?;
                }
                None => {
                    fields.push(tag_field(name));
                    columns.push(cast(&default, &tag_data_type())?);
                }
            }
        }
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    }
}

/// Whether a column of `column` type and a default of `default` type are an integer and a
/// float.
fn numbers(column: &DataType, default: &DataType) -> bool {
    matches!(
        (column, default),
        (DataType::Float64, DataType::Int64) | (DataType::Int64, DataType::Float64)
    )
}

impl DefaultOperator {
    /// The runs of rows (start, length) to default apart: a point that lacks a field gets
    /// the default value whatever type the field has in other points, which one column
    /// cannot hold, so the rows that lack such a field and the rows that have it go out as
    /// messages of their own, in order.
    fn split(&self, data: &RecordBatch) -> Vec<(usize, usize)> {
        let rows = data.num_rows();
        let conflicting: Vec<ArrayRef> = self
            .spec
            .fields
            .iter()
            .filter_map(|(name, value)| {
                let column = data.column_by_name(name)?;
                let other_type = !matches!(
                    (value, column.data_type()),
                    (DefaultValue::Float(_), DataType::Float64)
                        | (DefaultValue::Int(_), DataType::Int64)
                        | (DefaultValue::String(_), DataType::Utf8)
                        | (DefaultValue::Bool(_), DataType::Boolean)
                );
                let mixed = column.null_count() > 0 && column.null_count() < rows;
                (other_type && mixed).then(|| Arc::clone(column))
            })
            .collect();
        if conflicting.is_empty() {
            return vec![(0, rows)];
        }
        let signature =
            |row: usize| -> Vec<bool> { conflicting.iter().map(|c| c.is_null(row)).collect() };
        let mut runs = Vec::new();
        let mut start = 0;
        for row in 1..=rows {
            if row == rows || signature(row) != signature(start) {
                runs.push((start, row - start));
                start = row;
            }
        }
        runs
    }

    /// The groups of points whose group-by tags may have been defaulted: a group tag
    /// without a value takes the default, and the point is in the group of its new tags (as
    /// Kapacitor's `SetTags` computes the group id anew), which may be a group that exists.
    fn regroup(&self, groups: &[Arc<Group>]) -> Arc<[Arc<Group>]> {
        let defaulted = |group: &Group| {
            group
                .tags
                .iter()
                .any(|(k, v)| v.is_empty() && self.spec.tags.iter().any(|(name, _)| name == k))
        };
        if !groups.iter().any(|g| defaulted(g)) {
            return groups.into();
        }
        let mut last: Option<(&Arc<Group>, Arc<Group>)> = None;
        groups
            .iter()
            .map(|group| {
                if let Some((seen, regrouped)) = &last
                    && Arc::ptr_eq(seen, group)
                {
                    return Arc::clone(regrouped);
                }
                let regrouped = if defaulted(group) {
                    let mut tags = group.tags.clone();
                    for (k, v) in &mut tags {
                        if let Some((_, value)) = self.spec.tags.iter().find(|(name, _)| name == k)
                            && v.is_empty()
                        {
                            v.clone_from(value);
                        }
                    }
                    Arc::new(Group::new(tags, group.name.clone()))
                } else {
                    Arc::clone(group)
                };
                last = Some((group, Arc::clone(&regrouped)));
                regrouped
            })
            .collect()
    }

    /// A batch's points get the defaults, and so do the batch's own tags (Kapacitor sets
    /// them on the batch's beginning); its group stays the same.
    fn batch(&self, batch: Batch) -> Result<Message> {
        let mut tags = batch.group.tags.clone();
        let mut changed = false;
        for (name, value) in &self.spec.tags {
            match tags.iter_mut().find(|(k, _)| k == name) {
                Some((_, v)) if v.is_empty() => {
                    v.clone_from(value);
                    changed = true;
                }
                Some(_) => {}
                None => {
                    tags.push((name.clone(), value.clone()));
                    changed = true;
                }
            }
        }
        let group = if changed {
            Arc::new(Group::new(tags, batch.group.name.clone()))
        } else {
            batch.group
        };
        Ok(Message::Batch(Batch {
            data: self.apply(&batch.data)?,
            group,
            ..batch
        }))
    }
}

impl fmt::Display for DefaultOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Default: {}", self.spec)
    }
}

impl Operator for DefaultOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                for (start, len) in self.split(&points.data) {
                    out.push(Message::Points(Points {
                        name: Arc::clone(&points.name),
                        data: self.apply(&points.data.slice(start, len))?,
                        groups: self.regroup(&points.groups[start..start + len]),
                    }));
                }
            }
            Data::Batch(batch) => out.push(self.batch(batch)?),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    out.push(self.batch(batch)?);
                }
            }
        }
        Ok(())
    }
}
