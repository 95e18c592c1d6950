//! `delete()`: removes fields and tags from every point. Deleting a tag the points are
//! grouped by regroups them without it.

use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::{Field, Schema};
use condenser_model::schema::ColumnRole;
use condenser_planner::nodes::DeleteSpec;

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, Group, Message, Points, role};

/// Removes fields and tags.
#[derive(Debug)]
pub struct DeleteOperator {
    spec: DeleteSpec,
}

impl DeleteOperator {
    /// A node with `spec`.
    pub fn new(spec: &DeleteSpec) -> Self {
        Self { spec: spec.clone() }
    }

    fn apply(&self, data: &RecordBatch) -> Result<RecordBatch> {
        let schema = data.schema();
        let (mut fields, mut columns): (Vec<Field>, Vec<ArrayRef>) = (Vec::new(), Vec::new());
        for (i, field) in schema.fields().iter().enumerate() {
            let deleted = match role(&schema, i) {
                ColumnRole::Field => self.spec.fields.contains(field.name()),
                ColumnRole::Tag => self.spec.tags.contains(field.name()),
                ColumnRole::Time => false,
                ColumnRole::Integers => condenser_model::schema::field_of_integers(field.name())
                    .is_some_and(|f| self.spec.fields.iter().any(|d| d == f)),
            };
            if !deleted {
                fields.push(field.as_ref().clone());
                columns.push(Arc::clone(data.column(i)));
            }
        }
        Ok(RecordBatch::try_new(
            Arc::new(Schema::new(fields)),
            columns,
        )?)
    }

    /// `group` without the deleted tags.
    fn regroup(&self, group: &Arc<Group>) -> Arc<Group> {
        if !group.tags.iter().any(|(k, _)| self.spec.tags.contains(k)) {
            return Arc::clone(group);
        }
        let tags = group
            .tags
            .iter()
            .filter(|(k, _)| !self.spec.tags.contains(k))
            .cloned()
            .collect();
        Arc::new(Group::new(tags, group.name.clone()))
    }
}

impl fmt::Display for DeleteOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Delete: {}", self.spec)
    }
}

impl Operator for DeleteOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => out.push(Message::Points(Points {
                data: self.apply(&points.data)?,
                groups: points.groups.iter().map(|g| self.regroup(g)).collect(),
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

impl DeleteOperator {
    fn batch(&self, batch: Batch) -> Result<Message> {
        Ok(Message::Batch(Batch {
            data: self.apply(&batch.data)?,
            group: self.regroup(&batch.group),
            ..batch
        }))
    }
}
