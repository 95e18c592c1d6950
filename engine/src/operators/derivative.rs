//! `derivative(field)`: the rate of change of a field between consecutive points of a group
//! (per `.unit()`, default 1s), added to each point as `.as()` (default `derivative`).
//! `.nonNegative()` drops negative changes. In a batch, the first point only primes it.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Float64Array, RecordBatch};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type};
use condenser_model::FieldType;
use condenser_planner::nodes::DerivativeSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, Group, Message, Points};
use crate::points::{keep_groups, keep_rows, set_field, times};

/// Computes derivatives.
#[derive(Debug)]
pub struct DerivativeOperator {
    spec: DerivativeSpec,
    previous: HashMap<String, (i64, f64)>,
}

impl DerivativeOperator {
    /// A node with `spec`.
    pub fn new(spec: &DerivativeSpec) -> Self {
        Self {
            spec: spec.clone(),
            previous: HashMap::new(),
        }
    }

    /// Derivatives of the rows of `data`, each row's group key given by `key`; rows that
    /// emit nothing are dropped, and the mask says which rows are kept.
    fn apply(
        &mut self,
        data: &RecordBatch,
        key: impl Fn(usize) -> String,
    ) -> Result<(RecordBatch, BooleanArray)> {
        let values: Option<ArrayRef> = match data
            .column_by_name(&self.spec.field)
            .filter(|c| matches!(c.data_type(), DataType::Int64 | DataType::Float64))
        {
            Some(c) => Some(cast(c, &DataType::Float64)?),
            None => None,
        };
        let point_times = times(data)?;
        let unit = self.spec.unit.nanos() as f64;
        let mut keep = vec![false; data.num_rows()];
        let mut out = vec![0.0; data.num_rows()];
        if let Some(values) = values {
            let values = values.as_primitive::<Float64Type>();
            for row in 0..data.num_rows() {
                if values.is_null(row) {
                    continue;
                }
                let (t, v) = (point_times[row], values.value(row));
                let previous = self.previous.insert(key(row), (t, v));
                let Some((pt, pv)) = previous else { continue };
                let elapsed = (t - pt) as f64;
                if elapsed == 0.0 {
                    continue;
                }
                let diff = v - pv;
                if self.spec.non_negative && diff < 0.0 {
                    continue;
                }
                out[row] = diff / (elapsed / unit);
                keep[row] = true;
            }
        }
        let with = set_field(
            data,
            &self.spec.as_name,
            FieldType::Float,
            Arc::new(Float64Array::from(out)),
        )?;
        let keep = BooleanArray::from(keep);
        Ok((keep_rows(&with, &keep)?, keep))
    }

    fn batch(&mut self, batch: Batch, out: &mut Vec<Message>) -> Result<()> {
        self.previous.remove(&batch.group.id);
        let id = batch.group.id.clone();
        let (data, _) = self.apply(&batch.data, |_| id.clone())?;
        self.previous.remove(&batch.group.id);
        out.push(Message::Batch(Batch { data, ..batch }));
        Ok(())
    }
}

impl fmt::Display for DerivativeOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Derivative: {}", self.spec)
    }
}

impl Operator for DerivativeOperator {
    fn cardinality(&self) -> usize {
        self.previous.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                let groups = Arc::clone(&points.groups);
                let (data, keep) = self.apply(&points.data, |row| groups[row].id.clone())?;
                if data.num_rows() == 0 {
                    return Ok(());
                }
                out.push(Message::Points(Points {
                    data,
                    groups: keep_groups(&groups, &keep),
                    ..points
                }));
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, out)?;
                }
            }
            Data::Batch(batch) => self.batch(batch, out)?,
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.previous.remove(&group.id);
    }
}
