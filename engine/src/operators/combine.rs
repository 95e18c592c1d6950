//! `combine(lambdas…)`: within a group, every combination of points that share a time
//! (rounded to `.tolerance()`) in which each lambda matches a different point becomes one
//! point, fields and non-group tags prefixed with the `.as()` names.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch, TimestampNanosecondArray};
use arrow::datatypes::{DataType, Field, Schema};
use condenser_model::schema::{ColumnRole, TIME_COLUMN, tag_field, time_data_type};

use super::{Operator, TimeBuffer, TimeBuffers, buffered_points, concat_points};
use crate::lambda::{Lambda, is_true};
use crate::message::{Message, Points, role, times};

/// The resolved properties of a `combine()` node.
#[derive(Debug, Clone)]
pub struct CombineSpec {
    /// The lambdas, one per member of a combination.
    pub expressions: Vec<Lambda>,
    /// `.as()`: one prefix per lambda.
    pub names: Vec<String>,
    /// `.delimiter()` (default `.`).
    pub delimiter: String,
    /// `.tolerance()`, nanoseconds.
    pub tolerance: i64,
    /// `.max()`: the most combinations tried at one time (default 10,000).
    pub max: i64,
}

/// Combines points.
#[derive(Debug)]
pub struct CombineOperator {
    spec: CombineSpec,
    buffers: TimeBuffers,
}

/// `C(n, k)`, or `None` when `n < k`.
fn combinations(n: usize, k: usize) -> Option<i64> {
    (n >= k).then(|| {
        (0..k as i64).fold(1i64, |count, i| {
            count.saturating_mul(n as i64 - i) / (i + 1)
        })
    })
}

impl CombineOperator {
    /// A node with `spec`.
    pub fn new(spec: CombineSpec) -> Self {
        Self {
            spec,
            buffers: TimeBuffers::default(),
        }
    }

    fn combine(&self, buffer: &TimeBuffer, out: &mut Vec<Message>) {
        let k = self.spec.expressions.len();
        let n = buffer.rows.len();
        match combinations(n, k) {
            Some(count) if count <= self.spec.max => {}
            _ => return,
        }
        let data = concat_points(&buffer.rows);
        let matches: Vec<Vec<bool>> = self
            .spec
            .expressions
            .iter()
            .map(|e| {
                is_true(&e.evaluate(&data))
                    .iter()
                    .map(|v| v == Some(true))
                    .collect()
            })
            .collect();
        let mut indices: Vec<usize> = (0..k).collect();
        loop {
            let mut remaining = indices.clone();
            let mut set = Vec::with_capacity(k);
            for matched in &matches {
                match remaining.iter().position(|&i| matched[i]) {
                    Some(p) => set.push(remaining.remove(p)),
                    None => break,
                }
            }
            if set.len() == k {
                out.push(Message::Points(self.merge(buffer, &set)));
            }
            // The next combination in lexicographic order.
            let Some(i) = (0..k).rev().find(|&i| indices[i] != i + n - k) else {
                return;
            };
            indices[i] += 1;
            for j in i + 1..k {
                indices[j] = indices[j - 1] + 1;
            }
        }
    }

    fn merge(&self, buffer: &TimeBuffer, set: &[usize]) -> Points {
        let mut fields = vec![Field::new(TIME_COLUMN, time_data_type(), false)];
        let mut columns: Vec<ArrayRef> = vec![Arc::new(
            TimestampNanosecondArray::from(vec![buffer.time]).with_timezone("UTC"),
        )];
        let mut seen = std::collections::HashSet::new();
        for (member, &index) in set.iter().enumerate() {
            let row = &buffer.rows[index];
            let schema = row.schema();
            let prefix = format!(
                "{}{}",
                self.spec.names.get(member).map_or("", String::as_str),
                self.spec.delimiter
            );
            for (i, field) in schema.fields().iter().enumerate() {
                let column = row.column(i);
                if column.is_null(0) {
                    continue;
                }
                let (name, field) = match role(&schema, i) {
                    ColumnRole::Time => continue,
                    ColumnRole::Tag if buffer.group.tags.iter().any(|(k, _)| k == field.name()) => {
                        (field.name().clone(), tag_field(field.name()))
                    }
                    ColumnRole::Tag => {
                        let name = format!("{prefix}{}", field.name());
                        let field = tag_field(&name);
                        (name, field)
                    }
                    ColumnRole::Field => {
                        let name = format!("{prefix}{}", field.name());
                        (name.clone(), field.as_ref().clone().with_name(name))
                    }
                };
                if seen.insert(name) {
                    fields.push(field);
                    columns.push(Arc::clone(column));
                }
            }
        }
        debug_assert!(
            columns
                .iter()
                .all(|c| c.len() == 1 && c.data_type() != &DataType::Null)
        );
        Points {
            name: Arc::clone(&buffer.name),
            data: RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
                .expect("combined point"),
            groups: vec![Arc::clone(&buffer.group)].into(),
        }
    }
}

impl Operator for CombineOperator {
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
            if let Some(finished) = self.buffers.push(&points.name, &group, t, slice) {
                self.combine(&finished, out);
            }
        }
    }
}
