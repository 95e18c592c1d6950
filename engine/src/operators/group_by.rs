//! `groupBy(tags…)` (and `from().groupBy()`): gives each point the group of its tag values.

use std::collections::HashMap;
use std::sync::Arc;

use super::Operator;
use crate::message::{Group, Message, Points, role, tag_value};
use condenser_model::schema::ColumnRole;

/// What points are grouped by.
#[derive(Debug, Clone, Default)]
pub struct Dimensions {
    /// The tag names (empty with `star`).
    pub tags: Vec<String>,
    /// `*`: every tag of the point.
    pub star: bool,
    /// Tags left out of `*`.
    pub exclude: Vec<String>,
    /// Group by measurement too.
    pub by_name: bool,
}

/// Assigns groups, keeping one shared [`Group`] per distinct group.
#[derive(Debug, Default)]
pub struct Grouper {
    dimensions: Dimensions,
    groups: HashMap<String, Arc<Group>>,
}

impl Grouper {
    /// A grouper by `dimensions`.
    pub fn new(dimensions: Dimensions) -> Self {
        Self {
            dimensions,
            groups: HashMap::new(),
        }
    }

    /// The group of every row of `points`.
    pub fn assign(&mut self, name: &str, points: &Points) -> Vec<Arc<Group>> {
        let data = &points.data;
        let schema = data.schema();
        let tag_columns: Vec<(String, usize)> = (0..schema.fields().len())
            .filter(|&i| role(&schema, i) == ColumnRole::Tag)
            .map(|i| (schema.field(i).name().clone(), i))
            .filter(|(n, _)| {
                if self.dimensions.star {
                    !self.dimensions.exclude.contains(n)
                } else {
                    self.dimensions.tags.contains(n)
                }
            })
            .collect();
        let by_name = self.dimensions.by_name.then(|| name.to_owned());
        (0..data.num_rows())
            .map(|row| {
                let tags: Vec<(String, String)> = tag_columns
                    .iter()
                    .filter_map(|(n, i)| tag_value(data.column(*i), row).map(|v| (n.clone(), v)))
                    .collect();
                let group = Group::new(tags, by_name.clone());
                Arc::clone(
                    self.groups
                        .entry(group.id.clone())
                        .or_insert_with(|| Arc::new(group)),
                )
            })
            .collect()
    }
}

/// Regroups points.
#[derive(Debug)]
pub struct GroupByOperator {
    grouper: Grouper,
}

impl GroupByOperator {
    /// Groups by `dimensions`.
    pub fn new(dimensions: Dimensions) -> Self {
        Self {
            grouper: Grouper::new(dimensions),
        }
    }
}

impl Operator for GroupByOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(mut points) => {
                let name = Arc::clone(&points.name);
                points.groups = self.grouper.assign(&name, &points);
                out.push(Message::Points(points));
            }
            // Regrouping batches is refused when the task is built.
            Message::Batch(batch) => out.push(Message::Batch(batch)),
        }
    }
}
