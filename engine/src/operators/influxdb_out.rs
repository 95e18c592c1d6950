//! `influxDBOut()`: writes what reaches it as points, to a database and retention policy,
//! under its measurement (or `.measurement()`), with its tags plus `.tag()`s, times cut to
//! `.precision()`. The writes go to the task's write-back queue, which whoever runs the
//! task hands to ingest (the local ingest path); the messages pass on unchanged.

use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use condenser_model::WriteBatch;
use condenser_model::schema::ColumnRole;

use super::{Operator, map_times, push_group_tags};
use crate::message::{Group, Message, role};

/// The writes influxDBOut nodes made, in order, until taken.
#[derive(Debug, Clone, Default)]
pub struct WriteBack(Arc<Mutex<Vec<WriteBatch>>>);

impl WriteBack {
    /// Takes the writes made since the last call.
    pub fn take(&self) -> Vec<WriteBatch> {
        std::mem::take(&mut *self.0.lock().expect("write-back lock"))
    }

    fn push(&self, write: WriteBatch) {
        self.0.lock().expect("write-back lock").push(write);
    }
}

/// The resolved properties of an `influxDBOut()` node.
#[derive(Debug, Clone)]
pub struct InfluxDbOutSpec {
    /// `.database()`.
    pub database: Arc<str>,
    /// `.retentionPolicy()`.
    pub retention_policy: Arc<str>,
    /// `.measurement()`: the measurement written instead of the data's.
    pub measurement: Option<Arc<str>>,
    /// `.precision()` as nanoseconds per unit (1 for nanoseconds).
    pub precision: i64,
    /// `.tag(key, value)`s, added to (or replacing) the points' tags.
    pub tags: Vec<(String, String)>,
}

/// Writes messages back as points.
#[derive(Debug)]
pub struct InfluxDbOutOperator {
    spec: InfluxDbOutSpec,
    writes: WriteBack,
}

impl InfluxDbOutOperator {
    /// A node with `spec` writing to `writes`.
    pub fn new(spec: InfluxDbOutSpec, writes: WriteBack) -> Self {
        Self { spec, writes }
    }

    /// Writes `data` (points of measurement `name`, with `group`'s tags where a batch lacks
    /// them as columns).
    fn write(&self, name: &Arc<str>, data: &RecordBatch, group: Option<&Group>) {
        if data.num_rows() == 0 {
            return;
        }
        let schema = data.schema();
        let mut fields: Vec<Field> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            let overridden = role(&schema, i) == ColumnRole::Tag
                && self.spec.tags.iter().any(|(k, _)| k == field.name());
            if !overridden {
                fields.push(field.as_ref().clone());
                columns.push(Arc::clone(data.column(i)));
            }
        }
        let mut added: Vec<(String, String)> = self.spec.tags.clone();
        if let Some(group) = group {
            added.extend(
                group
                    .tags
                    .iter()
                    .filter(|(k, _)| {
                        schema.index_of(k).is_err() && !self.spec.tags.iter().any(|(t, _)| t == k)
                    })
                    .cloned(),
            );
        }
        push_group_tags(
            &mut fields,
            &mut columns,
            &Group::new(added, None),
            data.num_rows(),
        );
        let Ok(batch) = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns) else {
            crate::statistics::record_errors(data.num_rows() as u64);
            return;
        };
        let precision = self.spec.precision;
        let batch = if precision > 1 {
            map_times(&batch, |t| t.div_euclid(precision) * precision)
        } else {
            batch
        };
        let measurement = self
            .spec
            .measurement
            .clone()
            .unwrap_or_else(|| Arc::clone(name));
        match WriteBatch::try_new(
            Arc::clone(&self.spec.database),
            Arc::clone(&self.spec.retention_policy),
            measurement,
            batch,
        ) {
            Ok(write) => self.writes.push(write),
            Err(error) => {
                tracing::error!(%error, "influxDBOut: the points cannot be written");
                crate::statistics::record_errors(data.num_rows() as u64);
            }
        }
    }
}

impl Operator for InfluxDbOutOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match &message {
            Message::Points(points) => self.write(&points.name, &points.data, None),
            Message::Batch(batch) => self.write(&batch.name, &batch.data, Some(&batch.group)),
            Message::Batches(batches) => {
                for index in 0..batches.spans.len() {
                    let batch = batches.batch(index);
                    self.write(&batch.name, &batch.data, Some(&batch.group));
                }
            }
            Message::Barrier(_) | Message::DeleteGroup(_) => {}
        }
        out.push(message);
    }
}
