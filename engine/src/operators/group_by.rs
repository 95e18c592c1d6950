//! `groupBy(tags…)` (and `from().groupBy()`): gives each point the group of its tag values.
//!
//! A group named by tags has each of them, with the empty value for a tag the point lacks
//! (as Kapacitor's group tags have it); `*` groups by the tags each point has.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Int32Type};
use condenser_model::schema::ColumnRole;
use condenser_planner::nodes::{Dimensions, GroupBySpec};

use super::{Context, Operator};
use crate::error::Result;
use crate::message::{Batch, Data, FastMap, Group, Message, role, tag_value};
use crate::points::{concat_points, times};

/// Assigns groups, keeping one shared [`Group`] per distinct group.
///
/// Each grouping tag's values get small ids: a dictionary-encoded column (as ingest makes
/// them) is looked up once per dictionary value, not once per row. A row's group is found
/// by its ids, so only a new group costs building its tags and id; a row whose ids are
/// those of the same row of the write before (one Telegraf flush after another lists its
/// series in the same order) or of the row before takes that row's group without a lookup.
#[derive(Debug, Default)]
pub struct Grouper {
    dimensions: Dimensions,
    groups: HashMap<String, Arc<Group>>,
    keyers: Vec<Keyer>,
    /// Groups forgotten since the keyers' caches were last cleared.
    forgotten: usize,
}

/// The groups of one set of grouping columns (and the measurement when grouping by it), by
/// the ids of their values.
#[derive(Debug)]
struct Keyer {
    name: Option<String>,
    columns: Vec<String>,
    /// Each column's values seen, with their ids (0 is an absent tag).
    values: Vec<FastMap<Box<str>, u32>>,
    /// Each column's last dictionary and the ids of its values: writes of the same series
    /// (a Telegraf flush after another) come with equal dictionaries.
    last_dictionary: Vec<Option<(ArrayRef, Vec<u32>)>>,
    /// The groups, by the value ids of their rows.
    groups: FastMap<Box<[u32]>, Arc<Group>>,
    /// The value ids of the last batch's rows, column by column, and their groups.
    last_ids: Vec<Vec<u32>>,
    /// The groups of the last rows, shared by every message whose rows have the same keys,
    /// so a state table downstream can know them again at a glance.
    last_groups: Arc<[Arc<Group>]>,
}

impl Keyer {
    /// Clears what the keyer learned, so that it holds no forgotten group or value.
    fn reset(&mut self) {
        self.values.iter_mut().for_each(FastMap::clear);
        self.last_dictionary.iter_mut().for_each(|d| *d = None);
        self.groups.clear();
        self.last_ids.clear();
        self.last_groups = Vec::new().into();
    }

    /// The id of every row's value in `column`, the keyer's column `index`.
    fn value_ids(&mut self, index: usize, column: &ArrayRef) -> Vec<u32> {
        let (values, last) = (&mut self.values[index], &mut self.last_dictionary[index]);
        let mut id_of = |value: &str| -> u32 {
            if let Some(&id) = values.get(value) {
                return id;
            }
            let id = values.len() as u32 + 1;
            values.insert(value.into(), id);
            id
        };
        if let DataType::Dictionary(key, value) = column.data_type()
            && **key == DataType::Int32
            && **value == DataType::Utf8
        {
            let dictionary = column.as_dictionary::<Int32Type>();
            let ids = match last {
                Some((seen, ids)) if seen.as_ref() == dictionary.values().as_ref() => ids,
                _ => {
                    let ids = dictionary
                        .values()
                        .as_string::<i32>()
                        .iter()
                        .map(|v| v.map_or(0, &mut id_of))
                        .collect();
                    &last.insert((Arc::clone(dictionary.values()), ids)).1
                }
            };
            let keys = dictionary.keys();
            return (0..keys.len())
                .map(|row| {
                    if keys.is_valid(row) {
                        ids[keys.value(row) as usize]
                    } else {
                        0
                    }
                })
                .collect();
        }
        (0..column.len())
            .map(|row| tag_value(column, row).map_or(0, |v| id_of(&v)))
            .collect()
    }
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

    /// Forgets group `id` (it expired): its memory goes once enough groups are forgotten
    /// (the value caches are then cleared and learn the live groups again).
    pub fn forget(&mut self, id: &str) {
        if self.groups.remove(id).is_none() {
            return;
        }
        self.forgotten += 1;
        if self.forgotten > self.groups.len() / 2 + 64 {
            self.forgotten = 0;
            self.keyers.iter_mut().for_each(Keyer::reset);
        }
    }

    /// A grouper by `dimensions`.
    pub fn new(dimensions: Dimensions) -> Self {
        Self {
            dimensions,
            ..Self::default()
        }
    }

    /// The group of every row of `data`, points of measurement `name`.
    pub fn assign(&mut self, name: &str, data: &RecordBatch) -> Result<Arc<[Arc<Group>]>> {
        self.assign_by(name, data, false)
    }

    /// The group of every row of `data`, by measurement too when `by_name` (a grouping by
    /// measurement upstream that a `groupBy()` keeps).
    pub fn assign_by(
        &mut self,
        name: &str,
        data: &RecordBatch,
        by_name: bool,
    ) -> Result<Arc<[Arc<Group>]>> {
        let schema = data.schema();
        let tag_index = |n: &str| {
            schema
                .index_of(n)
                .ok()
                .filter(|&i| role(&schema, i) == ColumnRole::Tag)
        };
        // Each grouping tag and its column, if the points have it.
        let tag_columns: Vec<(String, Option<usize>)> = if self.dimensions.star {
            (0..schema.fields().len())
                .filter(|&i| role(&schema, i) == ColumnRole::Tag)
                .map(|i| (schema.field(i).name().clone(), Some(i)))
                .filter(|(n, _)| !self.dimensions.exclude.contains(n))
                .collect()
        } else {
            let mut names: Vec<String> = self
                .dimensions
                .tags
                .iter()
                .filter(|t| !self.dimensions.exclude.contains(t))
                .cloned()
                .collect();
            names.sort();
            names.dedup();
            names
                .into_iter()
                .map(|n| {
                    let index = tag_index(&n);
                    (n, index)
                })
                .collect()
        };
        let by_name = (self.dimensions.by_measurement || by_name).then(|| name.to_owned());
        if tag_columns.is_empty() {
            let group = intern(&mut self.groups, Group::new(Vec::new(), by_name));
            return Ok(vec![group; data.num_rows()].into());
        }
        let names: Vec<String> = tag_columns.iter().map(|(n, _)| n.clone()).collect();
        let keyer = match self
            .keyers
            .iter()
            .position(|k| k.name == by_name && k.columns == names)
        {
            Some(keyer) => keyer,
            None => {
                self.keyers.push(Keyer {
                    name: by_name.clone(),
                    values: vec![FastMap::default(); names.len()],
                    last_dictionary: vec![None; names.len()],
                    columns: names,
                    groups: FastMap::default(),
                    last_ids: Vec::new(),
                    last_groups: Vec::new().into(),
                });
                self.keyers.len() - 1
            }
        };
        let keyer = &mut self.keyers[keyer];
        let rows = data.num_rows();
        let ids: Vec<Vec<u32>> = tag_columns
            .iter()
            .enumerate()
            .map(|(index, (_, column))| match column {
                Some(i) => keyer.value_ids(index, data.column(*i)),
                None => vec![0; rows],
            })
            .collect();
        if ids == keyer.last_ids {
            return Ok(Arc::clone(&keyer.last_groups));
        }
        let same = |a: &[Vec<u32>], b: &[Vec<u32>], row: usize, other: usize| {
            a.iter().zip(b).all(|(a, b)| b.get(other) == Some(&a[row]))
        };
        let star = self.dimensions.star;
        let mut assigned: Vec<Arc<Group>> = Vec::with_capacity(rows);
        let mut key = vec![0; ids.len()];
        for row in 0..rows {
            if row < keyer.last_groups.len() && same(&ids, &keyer.last_ids, row, row) {
                assigned.push(Arc::clone(&keyer.last_groups[row]));
                continue;
            }
            if row > 0 && same(&ids, &ids, row, row - 1) {
                assigned.push(Arc::clone(&assigned[row - 1]));
                continue;
            }
            for (key, column) in key.iter_mut().zip(&ids) {
                *key = column[row];
            }
            if let Some(group) = keyer.groups.get(key.as_slice()) {
                assigned.push(Arc::clone(group));
                continue;
            }
            let value =
                |column: &Option<usize>| column.and_then(|i| tag_value(data.column(i), row));
            let tags: Vec<(String, String)> = tag_columns
                .iter()
                .filter_map(|(n, column)| match (value(column), star) {
                    (Some(v), _) => Some((n.clone(), v)),
                    // A named tag the point lacks has the empty value.
                    (None, false) => Some((n.clone(), String::new())),
                    (None, true) => None,
                })
                .collect();
            let group = intern(&mut self.groups, Group::new(tags, by_name.clone()));
            keyer
                .groups
                .insert(key.as_slice().into(), Arc::clone(&group));
            assigned.push(group);
        }
        keyer.last_ids = ids;
        keyer.last_groups = assigned.into();
        Ok(Arc::clone(&keyer.last_groups))
    }
}

/// The one shared instance of `group` among `groups`.
fn intern(groups: &mut HashMap<String, Arc<Group>>, group: Group) -> Arc<Group> {
    match groups.get(&group.id) {
        Some(shared) => Arc::clone(shared),
        None => {
            let shared = Arc::new(group);
            groups.insert(shared.id.clone(), Arc::clone(&shared));
            shared
        }
    }
}

/// Regroups points.
#[derive(Debug)]
pub struct GroupByOperator {
    spec: GroupBySpec,
    grouper: Grouper,
    last_time: Option<i64>,
    pending: Vec<Pending>,
}

impl GroupByOperator {
    /// A `groupBy()` node with `spec`.
    pub fn new(spec: &GroupBySpec) -> Self {
        Self {
            grouper: Grouper::new(spec.dimensions.clone()),
            spec: spec.clone(),
            last_time: None,
            pending: Vec::new(),
        }
    }

    /// Emits the regrouped batches gathered so far, each new group's points in time order.
    fn flush(&mut self, out: &mut Vec<Message>) -> Result<()> {
        for pending in self.pending.drain(..) {
            let data = concat_points(&pending.rows)?;
            let order = arrow::compute::sort_to_indices(
                &arrow::array::TimestampNanosecondArray::from(times(&data)?.to_vec()),
                None,
                None,
            )?;
            let data = arrow::compute::take_record_batch(&data, &order)?;
            out.push(Message::Batch(Batch {
                name: pending.name,
                group: pending.group,
                tmax: pending.tmax,
                data,
            }));
        }
        Ok(())
    }
}

impl fmt::Display for GroupByOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GroupBy: {}", self.spec)
    }
}

impl Operator for GroupByOperator {
    fn cardinality(&self) -> usize {
        self.grouper.len()
    }

    fn process(
        &mut self,
        _input: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(mut points) => {
                // Kapacitor's groupBy() can add the measurement to a group, never remove it.
                let by_name = points.groups.first().is_some_and(|g| g.name.is_some());
                let name = Arc::clone(&points.name);
                points.groups = self.grouper.assign_by(&name, &points.data, by_name)?;
                out.push(Message::Points(points));
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, out)?;
                }
            }
            Data::Batch(batch) => self.batch(batch, out)?,
        }
        Ok(())
    }

    /// A barrier emits the gathered batches (as a batch of another time would) and goes on.
    fn barrier(
        &mut self,
        _input: usize,
        barrier: crate::message::Barrier,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        if self.last_time != Some(barrier.time) {
            self.flush(out)?;
            self.last_time = Some(barrier.time);
        }
        out.push(Message::Barrier(barrier));
        Ok(())
    }

    fn forget_group(&mut self, group: &Group) {
        self.pending.retain(|p| p.group.id != group.id);
        self.grouper.forget(&group.id);
    }

    fn assigns_groups(&self) -> bool {
        true
    }
}

impl GroupByOperator {
    /// Kapacitor gathers regrouped points until a batch with another time begins, then
    /// emits each new group's batch, its points in time order.
    fn batch(&mut self, batch: Batch, out: &mut Vec<Message>) -> Result<()> {
        if self.last_time != Some(batch.tmax) {
            self.flush(out)?;
            self.last_time = Some(batch.tmax);
        }
        let by_name = batch.group.name.is_some();
        let groups = self.grouper.assign_by(&batch.name, &batch.data, by_name)?;
        for (row, group) in groups.iter().cloned().enumerate() {
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
        Ok(())
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
