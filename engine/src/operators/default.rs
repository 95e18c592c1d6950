//! `default()`: gives fields and tags that a point lacks a value.

use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use arrow::compute::{cast, is_null, kernels::zip::zip};
use arrow::datatypes::{DataType, Schema};
use condenser_model::FieldType;
use condenser_model::schema::{field_field, tag_data_type, tag_field};
use condenser_planner::nodes::{DefaultSpec, DefaultValue};

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, Message, Points};

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
            Data::Points(points) => out.push(Message::Points(Points {
                data: self.apply(&points.data)?,
                ..points
            })),
            Data::Batch(batch) => out.push(Message::Batch(Batch {
                data: self.apply(&batch.data)?,
                ..batch
            })),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    out.push(Message::Batch(Batch {
                        data: self.apply(&batch.data)?,
                        ..batch
                    }));
                }
            }
        }
        Ok(())
    }
}
