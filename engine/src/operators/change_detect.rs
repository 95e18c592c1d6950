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
use crate::points::filter_with_state;

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
/// change (Kapacitor logs it); a field present without a value (a join's `.fill('null')`)
/// is Go's nil, as is a field the last kept point lacked, so nil after nil is no change.
fn changed(
    fields: &[String],
    last: &mut Vec<Option<(String, String)>>,
    data: &arrow::array::RecordBatch,
    row: usize,
) -> Result<bool> {
    let mut current: Vec<Option<(String, String)>> = Vec::with_capacity(fields.len());
    let mut changed = false;
    for (i, field) in fields.iter().enumerate() {
        let schema = data.schema();
        let (present, value) = match schema.index_of(field) {
            Ok(index) => {
                let (meta, column) = (schema.field(index), data.column(index));
                let value = column.is_valid(row).then(|| {
                    array_value_to_string(column, row)
                        .map(|text| (column.data_type().to_string(), text))
                });
                (
                    column.is_valid(row) || condenser_model::schema::nulls_are_values(meta),
                    value.transpose()?,
                )
            }
            Err(_) => (false, None),
        };
        changed |= present && last.get(i).cloned().flatten() != value;
        current.push(value);
    }
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
        // Points compare with their group's last kept point; a batch within itself.
        filter_with_state(
            data,
            &mut self.previous,
            |last, data, row| changed(fields, last, data, row),
            out,
        )
    }

    fn forget_group(&mut self, group: &Group) {
        self.previous.remove(&group.id);
    }
}
