//! `changeDetect(fields…)`: keeps a point when one of the fields differs from the last kept
//! point of its group (the first point of a group always).

use std::collections::HashMap;
use std::fmt;

use arrow::array::Array;
use arrow::util::display::array_value_to_string;
use condenser_planner::nodes::ChangeDetectSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Data, Group, Message};
use crate::points::filter_data;

/// Detects changes.
#[derive(Debug)]
pub struct ChangeDetectOperator {
    spec: ChangeDetectSpec,
    /// The last kept values of each group, as (type, text) per field (empty before one).
    previous: HashMap<String, Vec<Option<(String, String)>>>,
}

impl ChangeDetectOperator {
    /// A node with `spec`.
    pub fn new(spec: &ChangeDetectSpec) -> Self {
        Self {
            spec: spec.clone(),
            previous: HashMap::new(),
        }
    }
}

/// Whether row `row` of `data` changes one of `fields` from `last` (the values of the last
/// kept point, empty before one), which it then becomes. A field the point lacks is no
/// change (Kapacitor logs it).
fn changed(
    fields: &[String],
    last: &mut Vec<Option<(String, String)>>,
    data: &arrow::array::RecordBatch,
    row: usize,
) -> Result<bool> {
    let mut current: Vec<Option<(String, String)>> = Vec::with_capacity(fields.len());
    for field in fields {
        current.push(match data.column_by_name(field) {
            Some(column) if column.is_valid(row) => Some((
                column.data_type().to_string(),
                array_value_to_string(column, row)?,
            )),
            _ => None,
        });
    }
    let changed = current
        .iter()
        .enumerate()
        .any(|(i, value)| value.is_some() && last.get(i).is_none_or(|last| last != value));
    if changed {
        *last = current;
    }
    Ok(changed)
}

impl fmt::Display for ChangeDetectOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeDetect: {}", self.spec)
    }
}

impl Operator for ChangeDetectOperator {
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
        let fields = &self.spec.fields;
        let batches = match data {
            Data::Points(points) => {
                let previous = &mut self.previous;
                let kept = filter_data(Data::Points(points), |group, data, row| {
                    let last = previous.entry(group.id.clone()).or_default();
                    changed(fields, last, data, row)
                })?;
                out.extend(kept.map(Message::from));
                return Ok(());
            }
            Data::Batch(batch) => vec![batch],
            Data::Batches(batches) => batches.split()?,
        };
        // Each batch is compared within itself, from its first point.
        for batch in batches {
            let mut last = Vec::new();
            let kept = filter_data(Data::Batch(batch), |_, data, row| {
                changed(fields, &mut last, data, row)
            })?;
            out.extend(kept.map(Message::from));
        }
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.previous.remove(&group.id);
    }
}
