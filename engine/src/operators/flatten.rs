//! `flatten()`: the points of a group that share a time (rounded to `.tolerance()`) become
//! one point whose fields are named by the points' `.on()` tag values, the delimiter and
//! the original field name (left out with `.dropOriginalFieldName()`).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use condenser_model::schema::ColumnRole;

use super::{Operator, TimeBuffers, buffered_points, time_and_group_tags};
use crate::message::{Group, Message, Points, role, tag_value, times};

/// The resolved properties of a `flatten()` node.
#[derive(Debug, Clone)]
pub struct FlattenSpec {
    /// `.on()`: the tags whose values name the fields.
    pub on: Vec<String>,
    /// `.delimiter()` (default `.`).
    pub delimiter: String,
    /// `.tolerance()`, nanoseconds.
    pub tolerance: i64,
    /// `.dropOriginalFieldName()`.
    pub drop_original_field_name: bool,
}

/// Flattens points.
#[derive(Debug)]
pub struct FlattenOperator {
    spec: FlattenSpec,
    buffers: TimeBuffers,
}

impl FlattenOperator {
    /// A node with `spec`.
    pub fn new(spec: FlattenSpec) -> Self {
        Self {
            spec,
            buffers: TimeBuffers::default(),
        }
    }

    fn flatten(
        &self,
        name: &Arc<str>,
        group: &Arc<Group>,
        time: i64,
        rows: &[RecordBatch],
    ) -> Option<Points> {
        let (mut fields, mut columns) = time_and_group_tags(vec![time], group);
        let mut named: Vec<(String, Field, ArrayRef)> = Vec::new();
        'points: for row in rows {
            let schema = row.schema();
            let mut prefix = Vec::with_capacity(self.spec.on.len());
            for tag in &self.spec.on {
                match row.column_by_name(tag).and_then(|c| tag_value(c, 0)) {
                    Some(v) => prefix.push(v),
                    // Kapacitor logs a point missing a tag and leaves it out.
                    None => continue 'points,
                }
            }
            let prefix = prefix.join(&self.spec.delimiter);
            for (i, field) in schema.fields().iter().enumerate() {
                if role(&schema, i) != ColumnRole::Field || row.column(i).is_null(0) {
                    continue;
                }
                let name = if self.spec.drop_original_field_name {
                    prefix.clone()
                } else if prefix.is_empty() {
                    field.name().clone()
                } else {
                    format!("{prefix}{}{}", self.spec.delimiter, field.name())
                };
                named.retain(|(n, _, _)| *n != name);
                named.push((
                    name.clone(),
                    field.as_ref().clone().with_name(name),
                    Arc::clone(row.column(i)),
                ));
            }
        }
        if named.is_empty() {
            return None;
        }
        for (_, field, column) in named {
            fields.push(field);
            columns.push(column);
        }
        Some(Points {
            name: Arc::clone(name),
            data: RecordBatch::try_new(Arc::new(Schema::new(fields)), columns).ok()?,
            groups: vec![Arc::clone(group)].into(),
        })
    }
}

impl Operator for FlattenOperator {
    fn cardinality(&self) -> usize {
        self.buffers.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        let Some(points) = buffered_points(message, &mut self.buffers, out) else {
            return;
        };
        for (row, t) in times(&points.data).to_vec().into_iter().enumerate() {
            let t = crate::go_time::round(t, self.spec.tolerance);
            let group = Arc::clone(&points.groups[row]);
            let slice = points.data.slice(row, 1);
            if let Some(finished) = self.buffers.push(&points.name, &group, t, slice)
                && let Some(point) = self.flatten(
                    &finished.name,
                    &finished.group,
                    finished.time,
                    &finished.rows,
                )
            {
                out.push(Message::Points(point));
            }
        }
    }
}
