//! `combine(lambdas…)`: within a group, every combination of points that share a time
//! (rounded to `.tolerance()`) in which each lambda matches a different point becomes one
//! point, fields and non-group tags prefixed with the `.as()` names.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, TimestampNanosecondArray};
use arrow::datatypes::Field;
use condenser_model::schema::{ColumnRole, TIME_COLUMN, tag_field, time_data_type};
use condenser_planner::nodes::CombineSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::expr::Lambda;
use crate::message::{Batch, Data, Group, Message, Points, role};
use crate::points::{TimeBuffer, TimeBuffers, batch_of, concat_points, times};

/// Combines points. In a batch, the points of each time combine when the time changes and
/// at the batch's end.
#[derive(Debug)]
pub struct CombineOperator {
    spec: CombineSpec,
    expressions: Vec<Lambda>,
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
    pub fn new(spec: &CombineSpec) -> Self {
        Self {
            expressions: spec.expressions.iter().map(Lambda::new).collect(),
            spec: spec.clone(),
            buffers: TimeBuffers::default(),
        }
    }

    fn combine(
        &mut self,
        buffer: &TimeBuffer,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let k = self.expressions.len();
        let n = buffer.rows.len();
        match combinations(n, k) {
            Some(count) if count <= self.spec.max => {}
            _ => return Ok(()),
        }
        let data = concat_points(&buffer.rows)?;
        let mut matches: Vec<Vec<bool>> = Vec::with_capacity(k);
        for expression in &mut self.expressions {
            let (mask, failed) = expression.mask(&data, || vec![&buffer.group; n])?;
            ctx.fail_points(failed, &super::where_::failure(expression));
            matches.push(mask.iter().map(|v| v == Some(true)).collect());
        }
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
                out.push(Message::Points(self.merge(buffer, &set)?));
            }
            // The next combination in lexicographic order.
            let Some(i) = (0..k).rev().find(|&i| indices[i] != i + n - k) else {
                return Ok(());
            };
            indices[i] += 1;
            for j in i + 1..k {
                indices[j] = indices[j - 1] + 1;
            }
        }
    }

    fn merge(&self, buffer: &TimeBuffer, set: &[usize]) -> Result<Points> {
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
                    // The combined fields are named anew, each its own column.
                    ColumnRole::Time | ColumnRole::Integers => continue,
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
        Ok(Points {
            name: Arc::clone(&buffer.name),
            data: batch_of(fields, columns)?,
            groups: vec![Arc::clone(&buffer.group)].into(),
        })
    }

    /// The points of a batch, combined time by time.
    fn batch(&mut self, batch: Batch, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let tolerance = self.spec.tolerance.nanos();
        let mut buffers = TimeBuffers::default();
        for (row, &t) in times(&batch.data)?.iter().enumerate() {
            let t = crate::go_time::round(t, tolerance);
            let slice = batch.data.slice(row, 1);
            if let Some(finished) = buffers.push(&batch.name, &batch.group, t, slice) {
                self.combine(&finished, ctx, out)?;
            }
        }
        if let Some(last) = buffers.take(&batch.group) {
            self.combine(&last, ctx, out)?;
        }
        Ok(())
    }
}

impl fmt::Display for CombineOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Combine: {}", self.spec)
    }
}

impl Operator for CombineOperator {
    fn cardinality(&self) -> usize {
        self.buffers.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let points = match data {
            Data::Points(points) => points,
            Data::Batch(batch) => return self.batch(batch, ctx, out),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, ctx, out)?;
                }
                return Ok(());
            }
        };
        let tolerance = self.spec.tolerance.nanos();
        for (row, t) in times(&points.data)?.to_vec().into_iter().enumerate() {
            let t = crate::go_time::round(t, tolerance);
            let group = Arc::clone(&points.groups[row]);
            let slice = points.data.slice(row, 1);
            if let Some(finished) = self.buffers.push(&points.name, &group, t, slice) {
                self.combine(&finished, ctx, out)?;
            }
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.buffers.forget(&group.id);
        for expression in &mut self.expressions {
            expression.forget_group(&group.id);
        }
    }
}
