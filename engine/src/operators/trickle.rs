//! `trickle()`: each point of each batch goes on as a point of the stream, grouped on the
//! batch's dimensions by its own tags, with its own time.

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

/// The batch's points as points of the stream. Each is grouped on the batch's dimensions
/// by its own tags, as Kapacitor makes a point of a batch point: a point whose tag differs
/// from the batch's (after `default().tag()` made that tag a dimension) is in a group of
/// its own.
fn points(batch: Batch) -> Option<Message> {
    let rows = batch.data.num_rows();
    if rows == 0 {
        return None;
    }
    let dimensions: Vec<(usize, Option<arrow::array::ArrayRef>)> = batch
        .group
        .tags
        .iter()
        .enumerate()
        .map(|(i, (key, _))| {
            let schema = batch.data.schema();
            let column = schema
                .index_of(key)
                .ok()
                .filter(|&c| crate::message::role(&schema, c) == condenser_model::ColumnRole::Tag)
                .map(|c| Arc::clone(batch.data.column(c)));
            (i, column)
        })
        .collect();
    let mut known: Vec<Arc<crate::message::Group>> = vec![Arc::clone(&batch.group)];
    let groups: Vec<Arc<crate::message::Group>> = (0..rows)
        .map(|row| {
            let tags: Vec<(String, String)> = dimensions
                .iter()
                .map(|(i, column)| {
                    let (key, batch_value) = &batch.group.tags[*i];
                    let value = column
                        .as_ref()
                        .and_then(|c| crate::message::tag_value(c, row))
                        .unwrap_or_else(|| batch_value.clone());
                    (key.clone(), value)
                })
                .collect();
            if let Some(group) = known.iter().find(|g| g.tags == tags) {
                return Arc::clone(group);
            }
            let group = Arc::new(crate::message::Group::new(tags, batch.group.name.clone()));
            known.push(Arc::clone(&group));
            group
        })
        .collect();
    Some(Message::Points(Points {
        name: batch.name,
        groups: groups.into(),
        data: batch.data,
    }))
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
