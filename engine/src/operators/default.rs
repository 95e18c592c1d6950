//! `default()` and `delete()`: give absent fields and tags a value, or remove them.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::{cast, is_null, kernels::zip::zip};
use arrow::datatypes::{DataType, Schema};
use condenser_model::FieldType;
use condenser_model::schema::{field_field, tag_data_type, tag_field};
use condenser_planner::pipeline::Value;

use super::Operator;
use crate::message::{Batch, Group, Message, Points};

/// What a `default()` or `delete()` node does to each point.
#[derive(Debug, Clone, Default)]
pub struct DefaultSpec {
    /// `.field(name, value)` of `default()`.
    pub fields: Vec<(String, Value)>,
    /// `.tag(name, value)` of `default()`.
    pub tags: Vec<(String, String)>,
    /// `.field(name)` and `.tag(name)` of `delete()`.
    pub delete: Vec<String>,
}

/// Fills in or removes fields and tags.
#[derive(Debug)]
pub struct DefaultOperator {
    spec: DefaultSpec,
}

impl DefaultOperator {
    /// A node with `spec`.
    pub fn new(spec: DefaultSpec) -> Self {
        Self { spec }
    }

    fn apply(&self, data: &RecordBatch) -> RecordBatch {
        let rows = data.num_rows();
        let schema = data.schema();
        let mut fields: Vec<_> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
        let mut columns = data.columns().to_vec();
        let mut set = |name: &str, field, default: ArrayRef| match fields
            .iter()
            .position(|f: &arrow::datatypes::Field| f.name() == name)
        {
            Some(i) if columns[i].data_type() == default.data_type() => {
                let absent: BooleanArray = is_null(&columns[i]).expect("is_null");
                columns[i] = zip(&absent, &default, &columns[i]).expect("same types");
            }
            Some(_) => {}
            None => {
                fields.push(field);
                columns.push(default);
            }
        };
        for (name, value) in &self.spec.fields {
            let (array, field_type): (ArrayRef, FieldType) = match value {
                Value::Float(v) => (
                    Arc::new(Float64Array::from(vec![*v; rows])),
                    FieldType::Float,
                ),
                Value::Int(v) => (
                    Arc::new(Int64Array::from(vec![*v; rows])),
                    FieldType::Integer,
                ),
                Value::String(v) => (
                    Arc::new(StringArray::from(vec![v.as_str(); rows])),
                    FieldType::String,
                ),
                Value::Bool(v) => (
                    Arc::new(BooleanArray::from(vec![*v; rows])),
                    FieldType::Boolean,
                ),
                _ => continue,
            };
            set(name, field_field(name, field_type), array);
        }
        for (name, value) in &self.spec.tags {
            let default: ArrayRef = Arc::new(StringArray::from(vec![value.as_str(); rows]));
            match fields.iter().position(|f| f.name() == name) {
                // An absent or empty tag takes the default.
                Some(i) => {
                    let current = cast(&columns[i], &DataType::Utf8).expect("tags cast to strings");
                    let strings = current.as_string::<i32>();
                    let absent: BooleanArray = (0..rows)
                        .map(|r| Some(strings.is_null(r) || strings.value(r).is_empty()))
                        .collect();
                    let filled = zip(&absent, &default, &current).expect("same types");
                    columns[i] = cast(&filled, &tag_data_type()).expect("strings cast to tags");
                }
                None => {
                    fields.push(tag_field(name));
                    columns.push(cast(&default, &tag_data_type()).expect("strings cast to tags"));
                }
            }
        }
        let keep: Vec<usize> = (0..fields.len())
            .filter(|&i| !self.spec.delete.contains(fields[i].name()))
            .collect();
        let fields: Vec<_> = keep.iter().map(|&i| fields[i].clone()).collect();
        let columns: Vec<ArrayRef> = keep.iter().map(|&i| Arc::clone(&columns[i])).collect();
        debug_assert!(
            columns
                .iter()
                .all(|c| c.len() == rows && c.data_type() != &DataType::Null)
        );
        RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).expect("columns of one length")
    }
}

impl DefaultOperator {
    /// `group` without the deleted tags: deleting a group-by tag regroups the point.
    fn regroup(&self, group: &Arc<Group>) -> Arc<Group> {
        if !group.tags.iter().any(|(k, _)| self.spec.delete.contains(k)) {
            return Arc::clone(group);
        }
        let tags = group
            .tags
            .iter()
            .filter(|(k, _)| !self.spec.delete.contains(k))
            .cloned()
            .collect();
        Arc::new(Group::new(tags, group.name.clone()))
    }
}

impl Operator for DefaultOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        out.push(match message {
            Message::Points(points) => Message::Points(Points {
                data: self.apply(&points.data),
                groups: points.groups.iter().map(|g| self.regroup(g)).collect(),
                ..points
            }),
            Message::Batch(batch) => Message::Batch(Batch {
                data: self.apply(&batch.data),
                group: self.regroup(&batch.group),
                ..batch
            }),
            signal => signal,
        });
    }
}
