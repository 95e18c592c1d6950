//! [`WriteBatch`]: points of one measurement written to one database and retention policy.

use std::sync::Arc;

use arrow::record_batch::RecordBatch;

use crate::schema::{self, ColumnRole, FieldType};
use crate::{Error, Result};

/// Points of one measurement, written to one database and retention policy.
///
/// The batch follows the conventions of [`crate::schema`]: a non-null `time` column first,
/// then tag columns, then field columns, each marked with its role. Cloning is cheap (the
/// names and the Arrow buffers are shared), so one write batch can go to many tasks.
#[derive(Debug, Clone)]
pub struct WriteBatch {
    /// The database written to (`db=` of `/write`).
    pub db: Arc<str>,
    /// The retention policy written to (`rp=`, or the configured default).
    pub rp: Arc<str>,
    /// The measurement every point of the batch belongs to.
    pub measurement: Arc<str>,
    /// The points, one row each.
    pub batch: RecordBatch,
}

impl WriteBatch {
    /// A write batch, after checking that `batch` follows the point conventions.
    pub fn try_new(
        db: Arc<str>,
        rp: Arc<str>,
        measurement: Arc<str>,
        batch: RecordBatch,
    ) -> Result<Self> {
        check_conventions(&batch)?;
        Ok(Self {
            db,
            rp,
            measurement,
            batch,
        })
    }

    /// The number of points (rows) in the batch.
    pub fn num_points(&self) -> usize {
        self.batch.num_rows()
    }
}

fn invalid(reason: impl Into<String>) -> Error {
    Error::InvalidBatch {
        reason: reason.into(),
    }
}

fn check_conventions(batch: &RecordBatch) -> Result<()> {
    let schema = batch.schema();
    let mut fields = schema.fields().iter();
    let time = fields
        .next()
        .ok_or_else(|| invalid("a point batch needs a time column"))?;
    if time.name() != schema::TIME_COLUMN
        || time.data_type() != &schema::time_data_type()
        || ColumnRole::of(time) != Some(ColumnRole::Time)
    {
        return Err(invalid(format!(
            "the first column must be `time` of type {}, marked as time",
            schema::time_data_type()
        )));
    }
    if batch.column(0).null_count() != 0 {
        return Err(invalid("the time column has nulls"));
    }
    for field in fields {
        match ColumnRole::of(field) {
            Some(ColumnRole::Tag) if field.data_type() == &schema::tag_data_type() => {}
            Some(ColumnRole::Field) if FieldType::from_data_type(field.data_type()).is_some() => {}
            _ => {
                return Err(invalid(format!(
                    "column {:?} of type {} is neither a tag (dictionary of strings) nor a \
                     field (float, integer, unsigned, string or boolean) marked with its role",
                    field.name(),
                    field.data_type()
                )));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, DictionaryArray, Float64Array, TimestampNanosecondArray};
    use arrow::datatypes::{Int32Type, Schema};

    fn batch(time: TimestampNanosecondArray) -> RecordBatch {
        // Declared nullable so that Arrow lets a null time through to our own check.
        let time_field = schema::time_field().with_nullable(true);
        let schema = Schema::new(vec![
            time_field,
            schema::tag_field("host"),
            schema::field_field("value", FieldType::Float),
        ]);
        let host: DictionaryArray<Int32Type> = vec!["a", "b"].into_iter().collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(time.with_timezone(schema::TIME_ZONE)),
            Arc::new(host),
            Arc::new(Float64Array::from(vec![1.0, 2.0])),
        ];
        RecordBatch::try_new(Arc::new(schema), columns).unwrap()
    }

    #[test]
    fn accepts_a_conventional_batch() {
        let write = WriteBatch::try_new(
            "db".into(),
            "autogen".into(),
            "cpu".into(),
            batch(TimestampNanosecondArray::from(vec![1, 2])),
        )
        .unwrap();
        assert_eq!(write.num_points(), 2);
    }

    #[test]
    fn rejects_null_times_and_unmarked_columns() {
        let nulls = batch(TimestampNanosecondArray::from(vec![Some(1), None]));
        let err = WriteBatch::try_new("db".into(), "rp".into(), "cpu".into(), nulls).unwrap_err();
        assert!(err.to_string().contains("nulls"), "{err}");

        let plain = RecordBatch::try_new(
            Arc::new(Schema::new(vec![arrow::datatypes::Field::new(
                "time",
                schema::time_data_type(),
                false,
            )])),
            vec![Arc::new(
                TimestampNanosecondArray::from(vec![1]).with_timezone(schema::TIME_ZONE),
            )],
        )
        .unwrap();
        let err = WriteBatch::try_new("db".into(), "rp".into(), "cpu".into(), plain).unwrap_err();
        assert!(err.to_string().contains("marked as time"), "{err}");
    }
}
