//! `influxDBOut()`: writes what reaches it as points, to a database and retention policy,
//! under its measurement (or `.measurement()`), with its tags plus `.tag()`s, times cut to
//! `.precision()`. The writes go to the task's write-back queue, which whoever runs the
//! task hands to ingest (the local ingest path); the messages pass on unchanged.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use condenser_model::WriteBatch;
use condenser_model::schema::ColumnRole;
use condenser_planner::nodes::InfluxDbOutSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Group, Message, role};
use crate::points::{map_times, push_group_tags};

/// A write an influxDBOut node made, and how it asks to be sent to an InfluxDB.
#[derive(Debug, Clone)]
pub struct Written {
    /// The points.
    pub write: WriteBatch,
    /// The InfluxDB it goes to (`.cluster()`; empty: the default one).
    pub cluster: Arc<str>,
    /// `.writeConsistency()` (empty: the server's default).
    pub consistency: Arc<str>,
    /// `.buffer()`: send once this many points wait.
    pub buffer: usize,
    /// `.flushInterval()`: or once the oldest has waited this long.
    pub flush_interval: std::time::Duration,
    /// `.create()`: the database is created on the InfluxDB before it is written.
    pub create: bool,
}

/// The writes influxDBOut nodes made, in order, until taken.
#[derive(Debug, Clone, Default)]
pub struct WriteBack(Arc<Mutex<Vec<Written>>>);

impl WriteBack {
    /// Takes the writes made since the last call.
    pub fn take(&self) -> Vec<Written> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn push(&self, write: Written) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(write);
    }
}

/// Writes messages back as points.
#[derive(Debug)]
pub struct InfluxDbOutOperator {
    spec: InfluxDbOutSpec,
    database: Arc<str>,
    retention_policy: Arc<str>,
    measurement: Option<Arc<str>>,
    writes: WriteBack,
}

impl InfluxDbOutOperator {
    /// A node with `spec` writing to `writes`.
    pub fn new(spec: &InfluxDbOutSpec, writes: WriteBack) -> Self {
        Self {
            database: spec.database.as_str().into(),
            retention_policy: spec.retention_policy.as_str().into(),
            measurement: spec.measurement.as_deref().map(Arc::from),
            spec: spec.clone(),
            writes,
        }
    }

    /// Writes `data` (points of measurement `name`, with `group`'s tags where a batch lacks
    /// them as columns).
    fn write(
        &self,
        name: &Arc<str>,
        data: &RecordBatch,
        group: Option<&Group>,
        ctx: &mut Context<'_>,
    ) -> Result<()> {
        if data.num_rows() == 0 {
            return Ok(());
        }
        let schema = data.schema();
        let mut fields: Vec<Field> = Vec::new();
        let mut columns: Vec<ArrayRef> = Vec::new();
        for (i, field) in schema.fields().iter().enumerate() {
            let overridden = match role(&schema, i) {
                ColumnRole::Tag => self.spec.tags.iter().any(|(k, _)| k == field.name()),
                // Points are written with one type per field: a mixed field as floats.
                ColumnRole::Integers => true,
                ColumnRole::Time | ColumnRole::Field => false,
            };
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
        )?;
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)?;
        let precision = self.spec.precision.nanos_per_unit();
        let batch = if precision > 1 {
            map_times(&batch, |t| t.div_euclid(precision) * precision)?
        } else {
            batch
        };
        let measurement = self.measurement.clone().unwrap_or_else(|| Arc::clone(name));
        match WriteBatch::try_new(
            Arc::clone(&self.database),
            Arc::clone(&self.retention_policy),
            measurement,
            batch,
        ) {
            Ok(write) => self.writes.push(Written {
                write,
                cluster: self.spec.cluster.as_str().into(),
                consistency: self.spec.write_consistency.as_str().into(),
                buffer: usize::try_from(self.spec.buffer).unwrap_or(1).max(1),
                flush_interval: self.spec.flush_interval.to_std().unwrap_or_default(),
                create: self.spec.create,
            }),
            // Points that are no valid write (a field named like a tag) are not written.
            Err(error) => ctx.fail_points(
                data.num_rows(),
                &format_args!("the points cannot be written: {error}"),
            ),
        }
        Ok(())
    }
}

impl fmt::Display for InfluxDbOutOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InfluxDBOut: {}", self.spec)
    }
}

impl Operator for InfluxDbOutOperator {
    fn takes_batches(&self) -> bool {
        true
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match &data {
            Data::Points(points) => self.write(&points.name, &points.data, None, ctx)?,
            Data::Batch(batch) => self.write(&batch.name, &batch.data, Some(&batch.group), ctx)?,
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.write(&batch.name, &batch.data, Some(&batch.group), ctx)?;
                }
            }
        }
        out.push(data.into());
        Ok(())
    }
}
