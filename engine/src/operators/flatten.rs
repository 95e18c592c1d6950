//! `flatten()`: the points of a group that share a time (rounded to `.tolerance()`) become
//! one point whose fields are named by the points' `.on()` tag values, the delimiter and
//! the original field name (left out with `.dropOriginalFieldName()`). On a batch edge each
//! batch's points are flattened time by time into a batch of flat points.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::Field;
use condenser_model::schema::ColumnRole;
use condenser_planner::nodes::FlattenSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Barrier, Batch, Data, Group, Message, Points, role, tag_value};
use crate::points::{TimeBuffers, batch_of, concat_points, time_and_group_tags, times};

/// Flattens points.
#[derive(Debug)]
pub struct FlattenOperator {
    spec: FlattenSpec,
    buffers: TimeBuffers,
    /// The prefix of the last point left out for a missing tag, which Kapacitor puts in
    /// front of the next point's.
    left_prefix: String,
}

impl FlattenOperator {
    /// A node with `spec`.
    pub fn new(spec: &FlattenSpec) -> Self {
        Self {
            spec: spec.clone(),
            buffers: TimeBuffers::default(),
            left_prefix: String::new(),
        }
    }

    /// The flat point of `rows`, the points of `group` at `time`; `None` when they have no
    /// field to carry.
    ///
    /// A point missing an `.on()` tag is logged and left out, as in Kapacitor, and as in
    /// Kapacitor the tag values already written for it stay at the front of the next
    /// point's prefix (Kapacitor reuses one prefix buffer for the node and resets it only
    /// after a point's fields are named).
    fn flatten(
        &mut self,
        group: &Arc<Group>,
        time: i64,
        rows: &[RecordBatch],
    ) -> Result<Option<RecordBatch>> {
        let (mut fields, mut columns) = time_and_group_tags(vec![time], group)?;
        let mut named: Vec<(String, Field, ArrayRef)> = Vec::new();
        let delimiter = &self.spec.delimiter;
        'points: for row in rows {
            let schema = row.schema();
            let mut prefix = std::mem::take(&mut self.left_prefix);
            for (i, tag) in self.spec.on.iter().enumerate() {
                match row.column_by_name(tag).and_then(|c| tag_value(c, 0)) {
                    Some(v) => {
                        if i > 0 {
                            prefix.push_str(delimiter);
                        }
                        prefix.push_str(&v);
                    }
                    None => {
                        self.left_prefix = prefix;
                        continue 'points;
                    }
                }
            }
            for (i, field) in schema.fields().iter().enumerate() {
                if role(&schema, i) != ColumnRole::Field || row.column(i).is_null(0) {
                    continue;
                }
                let name = if self.spec.drop_original_field_name {
                    prefix.clone()
                } else if prefix.is_empty() {
                    field.name().clone()
                } else {
                    format!("{prefix}{delimiter}{}", field.name())
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
            return Ok(None);
        }
        for (_, field, column) in named {
            fields.push(field);
            columns.push(column);
        }
        Ok(Some(batch_of(fields, columns)?))
    }

    /// A batch's points flattened time by time, as a batch of the same group and time.
    fn batch(&mut self, batch: Batch, out: &mut Vec<Message>) -> Result<()> {
        let tolerance = self.spec.tolerance.nanos();
        let mut flat = Vec::new();
        let mut pending: Option<(i64, Vec<RecordBatch>)> = None;
        for (row, &t) in times(&batch.data)?.iter().enumerate() {
            let t = crate::go_time::round(t, tolerance);
            match &mut pending {
                Some((time, rows)) if *time == t => rows.push(batch.data.slice(row, 1)),
                _ => {
                    if let Some((time, rows)) = pending.take() {
                        flat.extend(self.flatten(&batch.group, time, &rows)?);
                    }
                    pending = Some((t, vec![batch.data.slice(row, 1)]));
                }
            }
        }
        // The batch's last time goes out even without a field to carry (Kapacitor emits
        // it at the batch's end unconditionally): a point of its time and tags.
        if let Some((time, rows)) = pending {
            match self.flatten(&batch.group, time, &rows)? {
                Some(point) => flat.push(point),
                None => {
                    let (fields, columns) = time_and_group_tags(vec![time], &batch.group)?;
                    flat.push(batch_of(fields, columns)?);
                }
            }
        }
        let data = if flat.is_empty() {
            batch.data.slice(0, 0)
        } else {
            concat_points(&flat)?
        };
        out.push(Message::Batch(Batch { data, ..batch }));
        Ok(())
    }

    /// Emits the flat point of `rows`; whether there was one.
    fn emit(
        &mut self,
        name: &Arc<str>,
        group: &Arc<Group>,
        time: i64,
        rows: &[RecordBatch],
        out: &mut Vec<Message>,
    ) -> Result<bool> {
        let Some(data) = self.flatten(group, time, rows)? else {
            return Ok(false);
        };
        out.push(Message::Points(Points {
            name: Arc::clone(name),
            data,
            groups: vec![Arc::clone(group)].into(),
        }));
        Ok(true)
    }
}

impl fmt::Display for FlattenOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flatten: {}", self.spec)
    }
}

impl Operator for FlattenOperator {
    fn cardinality(&self) -> usize {
        self.buffers.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let points = match data {
            Data::Points(points) => points,
            Data::Batch(batch) => return self.batch(batch, out),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, out)?;
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
                let emitted = self.emit(
                    &finished.name,
                    &finished.group,
                    finished.time,
                    &finished.rows,
                    out,
                )?;
                // Kapacitor keeps the later of the two times as the buffer's after it
                // emits: a point older than the buffer it ends goes out at the newer time.
                if emitted && finished.time > t {
                    self.buffers.set_time(&group, finished.time);
                }
            }
        }
        Ok(())
    }

    /// A barrier past the group's buffered time emits the buffered points, flattened.
    fn barrier(
        &mut self,
        _input: usize,
        barrier: Barrier,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        if let Some(buffer) = self.buffers.take_before(&barrier.group, barrier.time) {
            self.emit(&buffer.name, &buffer.group, buffer.time, &buffer.rows, out)?;
        }
        out.push(Message::Barrier(barrier));
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.buffers.forget(&group.id);
    }
}
