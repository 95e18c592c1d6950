//! `groupBy(tags…)` (and `from().groupBy()`): gives each point the group of its tag values.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::RecordBatch;

use super::{Operator, concat_points};
use crate::message::{Batch, Group, Message, role, tag_value};
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
    /// How many distinct groups it has seen.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether it has seen no group yet.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// A grouper by `dimensions`.
    pub fn new(dimensions: Dimensions) -> Self {
        Self {
            dimensions,
            groups: HashMap::new(),
        }
    }

    /// The group of every row of `data`, points of measurement `name`.
    pub fn assign(&mut self, name: &str, data: &RecordBatch) -> Vec<Arc<Group>> {
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
    last_time: Option<i64>,
    pending: Vec<Pending>,
}

impl GroupByOperator {
    /// Groups by `dimensions`.
    pub fn new(dimensions: Dimensions) -> Self {
        Self {
            grouper: Grouper::new(dimensions),
            last_time: None,
            pending: Vec::new(),
        }
    }
}

impl Operator for GroupByOperator {
    fn cardinality(&self) -> usize {
        self.grouper.len()
    }

    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(mut points) => {
                let name = Arc::clone(&points.name);
                points.groups = self.grouper.assign(&name, &points.data);
                out.push(Message::Points(points));
            }
            Message::Batch(batch) => {
                // Kapacitor gathers regrouped points until a batch with another time
                // begins, then emits each new group's batch, its points in time order.
                if self.last_time != Some(batch.tmax) {
                    self.flush(out);
                    self.last_time = Some(batch.tmax);
                }
                let groups = self.grouper.assign(&batch.name, &batch.data);
                for (row, group) in groups.into_iter().enumerate() {
                    let slice = batch.data.slice(row, 1);
                    match self.pending.iter_mut().find(|p| p.group.id == group.id) {
                        Some(pending) => pending.rows.push(slice),
                        None => self.pending.push(Pending {
                            name: Arc::clone(&batch.name),
                            group,
                            tmax: batch.tmax,
                            rows: vec![slice],
                        }),
                    }
                }
            }
        }
    }
}

impl GroupByOperator {
    fn flush(&mut self, out: &mut Vec<Message>) {
        for pending in self.pending.drain(..) {
            let data = concat_points(&pending.rows);
            let order = arrow::compute::sort_to_indices(
                data.column_by_name(condenser_model::schema::TIME_COLUMN)
                    .expect("time column"),
                None,
                None,
            )
            .expect("times sort");
            let data = arrow::compute::take_record_batch(&data, &order).expect("sorted batch");
            out.push(Message::Batch(Batch {
                name: pending.name,
                group: pending.group,
                tmax: pending.tmax,
                data,
            }));
        }
    }
}

/// A regrouped batch being gathered.
#[derive(Debug)]
struct Pending {
    name: Arc<str>,
    group: Arc<Group>,
    tmax: i64,
    rows: Vec<RecordBatch>,
}
