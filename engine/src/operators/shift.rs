//! `shift(duration)`: moves every point (and every batch) in time.

use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch, TimestampNanosecondArray};
use arrow::datatypes::TimestampNanosecondType;
use condenser_model::schema::TIME_COLUMN;

use super::Operator;
use crate::message::{Batch, Message, Points};

/// Shifts times.
#[derive(Debug)]
pub struct ShiftOperator {
    shift: i64,
}

impl ShiftOperator {
    /// A node shifting by `shift` nanoseconds.
    pub fn new(shift: i64) -> Self {
        Self { shift }
    }

    fn apply(&self, data: &RecordBatch) -> RecordBatch {
        let Ok(index) = data.schema().index_of(TIME_COLUMN) else {
            return data.clone();
        };
        let times = data.column(index).as_primitive::<TimestampNanosecondType>();
        let shifted: TimestampNanosecondArray = times
            .unary::<_, TimestampNanosecondType>(|t| t + self.shift)
            .with_timezone_opt(times.timezone().map(str::to_owned));
        let mut columns = data.columns().to_vec();
        columns[index] = Arc::new(shifted);
        RecordBatch::try_new(data.schema(), columns).expect("same schema")
    }
}

impl Operator for ShiftOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        out.push(match message {
            Message::Points(points) => Message::Points(Points {
                data: self.apply(&points.data),
                ..points
            }),
            Message::Batch(batch) => Message::Batch(Batch {
                data: self.apply(&batch.data),
                tmax: batch.tmax + self.shift,
                ..batch
            }),
        });
    }
}
