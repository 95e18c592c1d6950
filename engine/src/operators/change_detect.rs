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
    /// The last kept values of each group, as (type, text) per field.
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

impl fmt::Display for ChangeDetectOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ChangeDetect: {}", self.spec)
    }
}

impl Operator for ChangeDetectOperator {
    fn takes_batches(&self) -> bool {
        true
    }

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
        let previous = &mut self.previous;
        let kept = filter_data(data, |group, data, row| {
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
            let last = previous.get(&group.id);
            // A missing field never counts as a change (Kapacitor logs and skips it).
            let changed = current
                .iter()
                .enumerate()
                .any(|(i, value)| value.is_some() && last.is_none_or(|last| last[i] != *value));
            if changed {
                previous.insert(group.id.clone(), current);
            }
            Ok(changed)
        })?;
        out.extend(kept.map(Message::from));
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.previous.remove(&group.id);
    }
}
