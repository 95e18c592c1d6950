//! `shift(duration)`: moves every point (and every batch) in time.

use super::{Operator, map_times};
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
}

impl Operator for ShiftOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        out.push(match message {
            Message::Points(points) => Message::Points(Points {
                data: map_times(&points.data, |t| t + self.shift),
                ..points
            }),
            Message::Batch(batch) => Message::Batch(Batch {
                data: map_times(&batch.data, |t| t + self.shift),
                tmax: batch.tmax + self.shift,
                ..batch
            }),
            signal => signal,
        });
    }
}
