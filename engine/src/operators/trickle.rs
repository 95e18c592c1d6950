//! `trickle()`: each point of each batch goes on as a point of the stream, in the batch's
//! group, with its own tags and time.

use std::fmt;
use std::sync::Arc;

use condenser_planner::nodes::TrickleSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, Message, Points};

/// Turns batches into points.
#[derive(Debug)]
pub struct TrickleOperator {
    spec: TrickleSpec,
}

impl TrickleOperator {
    /// A node with `spec`.
    pub fn new(spec: &TrickleSpec) -> Self {
        Self { spec: *spec }
    }
}

fn points(batch: Batch) -> Option<Message> {
    let rows = batch.data.num_rows();
    (rows > 0).then(|| {
        Message::Points(Points {
            name: batch.name,
            groups: vec![Arc::clone(&batch.group); rows].into(),
            data: batch.data,
        })
    })
}

impl fmt::Display for TrickleOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Trickle: {}", self.spec)
    }
}

impl Operator for TrickleOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => out.push(Message::Points(points)),
            Data::Batch(batch) => out.extend(points(batch)),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    out.extend(points(batch));
                }
            }
        }
        Ok(())
    }
}
