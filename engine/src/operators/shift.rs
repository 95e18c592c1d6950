//! `shift(duration)`: moves every point (and every batch) in time.

use std::fmt;

use condenser_planner::nodes::ShiftSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, Message, Points};
use crate::points::map_times;

/// Shifts times.
#[derive(Debug)]
pub struct ShiftOperator {
    spec: ShiftSpec,
}

impl ShiftOperator {
    /// A node with `spec`.
    pub fn new(spec: &ShiftSpec) -> Self {
        Self { spec: *spec }
    }

    fn batch(&self, batch: Batch) -> Result<Message> {
        let shift = self.spec.shift.nanos();
        Ok(Message::Batch(Batch {
            data: map_times(&batch.data, |t| t + shift)?,
            tmax: batch.tmax + shift,
            ..batch
        }))
    }
}

impl fmt::Display for ShiftOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Shift: {}", self.spec)
    }
}

impl Operator for ShiftOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let shift = self.spec.shift.nanos();
        match data {
            Data::Points(points) => out.push(Message::Points(Points {
                data: map_times(&points.data, |t| t + shift)?,
                ..points
            })),
            Data::Batch(batch) => out.push(self.batch(batch)?),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    out.push(self.batch(batch)?);
                }
            }
        }
        Ok(())
    }
}
