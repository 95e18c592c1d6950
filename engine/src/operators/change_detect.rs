//! `changeDetect(fields…)`: keeps a point when one of the fields differs from the last kept
//! point of its group (the first point of a group always).

use std::collections::HashMap;

use arrow::array::Array;
use arrow::util::display::array_value_to_string;

use super::{Operator, filter_rows};
use crate::message::Message;

/// Detects changes.
#[derive(Debug)]
pub struct ChangeDetectOperator {
    fields: Vec<String>,
    /// The last kept values of each group, as (type, text) per field.
    previous: HashMap<String, Vec<Option<(String, String)>>>,
}

impl ChangeDetectOperator {
    /// A node watching `fields`.
    pub fn new(fields: Vec<String>) -> Self {
        Self {
            fields,
            previous: HashMap::new(),
        }
    }
}

impl Operator for ChangeDetectOperator {
    fn cardinality(&self) -> usize {
        self.previous.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        if let Message::DeleteGroup(group) = &message {
            self.previous.remove(&group.id);
        }
        let fields = &self.fields;
        let previous = &mut self.previous;
        out.extend(filter_rows(message, |group, data, row| {
            let current: Vec<Option<(String, String)>> = fields
                .iter()
                .map(|f| {
                    let column = data.column_by_name(f)?;
                    column.is_valid(row).then(|| {
                        let text = array_value_to_string(column, row).unwrap_or_default();
                        (column.data_type().to_string(), text)
                    })
                })
                .collect();
            let last = previous.get(&group.id);
            // A missing field never counts as a change (Kapacitor logs and skips it).
            let changed = current
                .iter()
                .enumerate()
                .any(|(i, value)| value.is_some() && last.is_none_or(|last| last[i] != *value));
            if changed {
                previous.insert(group.id.clone(), current);
            }
            changed
        }));
    }
}
