//! What flows along a task's edges: points (a stream edge) and batches (a batch edge), both
//! as Arrow record batches that follow [`condenser_model::schema`].

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch};
use arrow::datatypes::{DataType, Schema};
use condenser_model::schema::{ColumnRole, TIME_COLUMN};

/// A group: the measurement (when grouped by it) and the values of the group-by tags.
/// Points of one group are windowed and aggregated together.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Group {
    /// Kapacitor's group id: a stable text key of the group.
    pub id: String,
    /// The group-by tags and their values, sorted by key.
    pub tags: Vec<(String, String)>,
    /// The measurement, when the grouping is by measurement too.
    pub name: Option<String>,
}

impl Group {
    /// The group of points that are not grouped at all.
    pub fn none() -> Arc<Group> {
        Arc::new(Group {
            id: String::new(),
            tags: Vec::new(),
            name: None,
        })
    }

    /// The group of these tags (sorted here), by measurement when `name` is given. As in
    /// Kapacitor, the id of a measurement-only group is the measurement, and a newline (which
    /// no measurement holds) parts it from the tags otherwise.
    pub fn new(mut tags: Vec<(String, String)>, name: Option<String>) -> Group {
        tags.sort();
        let mut id = match &name {
            Some(name) if tags.is_empty() => name.clone(),
            Some(name) => format!("{name}\n"),
            None => String::new(),
        };
        for (i, (k, v)) in tags.iter().enumerate() {
            if i > 0 {
                id.push(',');
            }
            id.push_str(k);
            id.push('=');
            id.push_str(v);
        }
        Group { id, tags, name }
    }
}

/// The group of each row of a message, shared by the messages a grouper gives it to.
pub type RowGroups = Arc<[Arc<Group>]>;

/// A hash map with a fast, non-cryptographic hasher, for keys the task's data makes.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// A value for each group, found by the group's instance (an address compare) before its
/// id (a hash of text): operators see the same few shared [`Group`]s over and over.
///
/// A removed entry leaves a hole, so indices stay put and removal costs no shifting; the
/// holes are swept out when they outnumber the entries.
#[derive(Debug, Clone)]
pub struct GroupTable<T> {
    entries: Vec<Option<Entry<T>>>,
    live: usize,
    by_id: FastMap<String, usize>,
    /// The entry of each instance seen, by address; the entry keeps the instance alive.
    by_instance: FastMap<usize, usize>,
    /// The groups of a message's rows and the index of each row's entry, kept by the
    /// operator for the next message with the same slice (a grouper hands the same one
    /// while the same series arrive in the same order); forgotten on any removal.
    rows: Option<(RowGroups, Vec<usize>)>,
}

#[derive(Debug, Clone)]
struct Entry<T> {
    group: Arc<Group>,
    value: T,
    /// The instances of the group looked up so far.
    instances: Vec<Arc<Group>>,
}

impl<T> Default for GroupTable<T> {
    fn default() -> Self {
        Self {
            entries: Vec::new(),
            live: 0,
            by_id: FastMap::default(),
            by_instance: FastMap::default(),
            rows: None,
        }
    }
}

impl<T> GroupTable<T> {
    /// The index of `group`'s entry, made with `create` if the group is new.
    pub fn index_or_insert_with(
        &mut self,
        group: &Arc<Group>,
        create: impl FnOnce() -> T,
    ) -> usize {
        let address = Arc::as_ptr(group) as usize;
        if let Some(&index) = self.by_instance.get(&address) {
            return index;
        }
        let index = match self.by_id.get(&group.id) {
            Some(&index) => index,
            None => {
                self.entries.push(Some(Entry {
                    group: Arc::clone(group),
                    value: create(),
                    instances: Vec::new(),
                }));
                self.live += 1;
                self.by_id.insert(group.id.clone(), self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        self.by_instance.insert(address, index);
        if let Some(entry) = self.entries[index].as_mut() {
            entry.instances.push(Arc::clone(group));
        }
        index
    }

    /// Removes the entry of the group with `id`, if any. Indices of other entries stay
    /// valid until the next removal.
    pub fn remove(&mut self, id: &str) -> Option<T> {
        let index = self.by_id.remove(id)?;
        let entry = self.entries[index].take()?;
        self.rows = None;
        self.live -= 1;
        for instance in &entry.instances {
            self.by_instance.remove(&(Arc::as_ptr(instance) as usize));
        }
        if self.entries.len() > 64 && self.entries.len() > 2 * self.live {
            self.sweep();
        }
        Some(entry.value)
    }

    /// Drops the holes removals left, renumbering the entries.
    fn sweep(&mut self) {
        self.entries.retain(Option::is_some);
        self.by_id.clear();
        self.by_instance.clear();
        for (index, entry) in self.entries.iter().flatten().enumerate() {
            self.by_id.insert(entry.group.id.clone(), index);
            for instance in &entry.instances {
                self.by_instance
                    .insert(Arc::as_ptr(instance) as usize, index);
            }
        }
    }

    /// The entry indices of the rows of `groups`, when they are the slice last kept with
    /// [`GroupTable::keep_row_indices`] and no entry was removed since; taken out until
    /// kept again.
    pub fn take_row_indices(&mut self, groups: &RowGroups) -> Option<Vec<usize>> {
        match self.rows.take() {
            Some((kept, indices)) if Arc::ptr_eq(&kept, groups) => Some(indices),
            _ => None,
        }
    }

    /// Keeps `indices`, the entry index of each row of `groups`, for the next message with
    /// the same slice.
    pub fn keep_row_indices(&mut self, groups: &RowGroups, indices: Vec<usize>) {
        self.rows = Some((Arc::clone(groups), indices));
    }

    /// The entry at `index` (one the table gave, not removed since).
    pub fn get_mut(&mut self, index: usize) -> Option<&mut T> {
        Some(&mut self.entries.get_mut(index)?.as_mut()?.value)
    }

    /// The group and entry at `index` (one the table gave, not removed since).
    pub fn entry(&self, index: usize) -> Option<(&Arc<Group>, &T)> {
        let entry = self.entries.get(index)?.as_ref()?;
        Some((&entry.group, &entry.value))
    }

    /// The entry of `group`, made with `create` if the group is new.
    pub fn get_or_insert_with(
        &mut self,
        group: &Arc<Group>,
        create: impl FnOnce() -> T,
    ) -> crate::Result<&mut T> {
        let index = self.index_or_insert_with(group, create);
        self.get_mut(index)
            .ok_or_else(|| crate::Error::internal("a group table lost an entry it just made"))
    }

    /// The groups and their entries, in the order the groups were first seen.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<Group>, &T)> {
        self.entries
            .iter()
            .flatten()
            .map(|entry| (&entry.group, &entry.value))
    }

    /// The indices of the entries, in the order the groups were first seen.
    pub fn indices(&self) -> Vec<usize> {
        (0..self.entries.len())
            .filter(|&i| self.entries[i].is_some())
            .collect()
    }

    /// How many groups have an entry.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether no group has an entry.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

/// Points on a stream edge, in arrival order: one measurement, each row with its group.
#[derive(Debug, Clone)]
pub struct Points {
    /// The measurement.
    pub name: Arc<str>,
    /// The points: `time`, tag columns, field columns; a null is an absent tag or field.
    pub data: RecordBatch,
    /// The group of each row.
    pub groups: RowGroups,
}

/// A batch on a batch edge: points of one group that belong together (a window).
#[derive(Debug, Clone)]
pub struct Batch {
    /// The measurement.
    pub name: Arc<str>,
    /// The group.
    pub group: Arc<Group>,
    /// The batch's time (for a window, its end), in nanoseconds.
    pub tmax: i64,
    /// The points, in order.
    pub data: RecordBatch,
}

/// Batches that closed together on a batch edge (the windows one incoming message closed):
/// their points in one [`Gathered`], cut into spans of rows, each span one batch. Nodes that
/// work on all of them at once take them so; the task hands the others one [`Batch`] at a
/// time.
#[derive(Debug, Clone)]
pub struct Batches {
    /// The measurement.
    pub name: Arc<str>,
    /// The points of every batch, batch after batch.
    pub points: Arc<Gathered>,
    /// The batches, in order; their rows follow one another in `points`.
    pub spans: Vec<Span>,
}

/// Points of one schema gathered from the record batches they arrived in, made into one
/// record batch only when it is first asked for: a node that reads one column gathers only
/// that column.
#[derive(Debug)]
pub struct Gathered {
    chunks: Vec<RecordBatch>,
    /// Each point: its chunk and its row there.
    rows: Vec<(usize, usize)>,
    data: std::sync::OnceLock<RecordBatch>,
}

impl Gathered {
    /// The points `rows` (chunk, row) of `chunks`, record batches of one schema.
    pub fn new(chunks: Vec<RecordBatch>, rows: Vec<(usize, usize)>) -> Self {
        Self {
            chunks,
            rows,
            data: std::sync::OnceLock::new(),
        }
    }

    /// Points that are one record batch already.
    pub fn from_batch(data: RecordBatch) -> Self {
        Self {
            chunks: Vec::new(),
            rows: Vec::new(),
            data: std::sync::OnceLock::from(data),
        }
    }

    /// How many points there are.
    pub fn num_rows(&self) -> usize {
        self.data
            .get()
            .map_or(self.rows.len(), RecordBatch::num_rows)
    }

    /// The points as one record batch.
    pub fn data(&self) -> crate::Result<&RecordBatch> {
        if let Some(data) = self.data.get() {
            return Ok(data);
        }
        let chunks: Vec<&RecordBatch> = self.chunks.iter().collect();
        let data = arrow::compute::interleave_record_batch(&chunks, &self.rows)?;
        Ok(self.data.get_or_init(|| data))
    }

    /// The column `name` of the points, if they have it.
    pub fn column(&self, name: &str) -> Option<ArrayRef> {
        if let Some(data) = self.data.get() {
            return data.column_by_name(name).cloned();
        }
        let index = self.chunks.first()?.schema().index_of(name).ok()?;
        let arrays: Vec<&dyn Array> = self
            .chunks
            .iter()
            .map(|c| c.column(index).as_ref())
            .collect();
        arrow::compute::interleave(&arrays, &self.rows).ok()
    }
}

/// One batch of [`Batches`]: its group, its time and its rows.
#[derive(Debug, Clone)]
pub struct Span {
    /// The group.
    pub group: Arc<Group>,
    /// The batch's time (for a window, its end), in nanoseconds.
    pub tmax: i64,
    /// Its rows in [`Batches::data`].
    pub rows: std::ops::Range<usize>,
}

impl Batches {
    /// Batch `index`, a slice of the shared points.
    pub fn batch(&self, index: usize) -> crate::Result<Batch> {
        let span = self
            .spans
            .get(index)
            .ok_or_else(|| crate::Error::internal("a batch index past the batches"))?;
        Ok(Batch {
            name: Arc::clone(&self.name),
            group: Arc::clone(&span.group),
            tmax: span.tmax,
            data: self.points.data()?.slice(span.rows.start, span.rows.len()),
        })
    }

    /// The batches one by one.
    pub fn split(&self) -> crate::Result<Vec<Batch>> {
        (0..self.spans.len())
            .map(|index| self.batch(index))
            .collect()
    }
}

/// The data of a message: what an operator's [`process`](crate::operators::Operator::process)
/// takes.
#[derive(Debug, Clone)]
pub enum Data {
    /// Points (stream edge).
    Points(Points),
    /// A batch (batch edge).
    Batch(Batch),
    /// Several batches at once (batch edge).
    Batches(Batches),
}

impl From<Data> for Message {
    fn from(data: Data) -> Self {
        match data {
            Data::Points(points) => Message::Points(points),
            Data::Batch(batch) => Message::Batch(batch),
            Data::Batches(batches) => Message::Batches(batches),
        }
    }
}

/// One message on an edge.
#[derive(Debug, Clone)]
pub enum Message {
    /// Points (stream edge).
    Points(Points),
    /// A batch (batch edge).
    Batch(Batch),
    /// Several batches at once (batch edge).
    Batches(Batches),
    /// Kapacitor's barrier: no data of `group` older than `time` comes any more.
    Barrier(Barrier),
    /// Kapacitor's delete-group message: nodes forget the group's state.
    DeleteGroup(Arc<Group>),
}

/// A barrier message: a group's data has reached `time`.
#[derive(Debug, Clone)]
pub struct Barrier {
    /// The measurement of the group's data.
    pub name: Arc<str>,
    /// The group.
    pub group: Arc<Group>,
    /// The time data has reached, in nanoseconds.
    pub time: i64,
}

impl Message {
    /// How Kapacitor counts the message on an edge: each point of a stream edge, each batch
    /// of a batch edge.
    pub fn count(&self) -> u64 {
        match self {
            Message::Points(points) => points.data.num_rows() as u64,
            Message::Batch(_) => 1,
            Message::Batches(batches) => batches.spans.len() as u64,
            Message::Barrier(_) | Message::DeleteGroup(_) => 0,
        }
    }

    /// Calls `f` with each group of the message and what it counts for that group.
    pub fn for_each_group(&self, mut f: impl FnMut(&Arc<Group>, u64)) {
        match self {
            Message::Points(points) => {
                let mut start = 0;
                // Rows of one group usually come together: count runs, not rows.
                for row in 1..=points.groups.len() {
                    if row == points.groups.len()
                        || !Arc::ptr_eq(&points.groups[row], &points.groups[start])
                    {
                        f(&points.groups[start], (row - start) as u64);
                        start = row;
                    }
                }
            }
            Message::Batch(batch) => f(&batch.group, 1),
            Message::Batches(batches) => {
                for span in &batches.spans {
                    f(&span.group, 1);
                }
            }
            Message::Barrier(_) | Message::DeleteGroup(_) => {}
        }
    }
}

/// The role of column `index`: time, tag or field.
pub fn role(schema: &Schema, index: usize) -> ColumnRole {
    let field = schema.field(index);
    ColumnRole::of(field).unwrap_or(if field.name() == TIME_COLUMN {
        ColumnRole::Time
    } else {
        ColumnRole::Field
    })
}

/// The string value of tag column `array` at `row`, if present.
pub fn tag_value(array: &ArrayRef, row: usize) -> Option<String> {
    if array.is_null(row) {
        return None;
    }
    match array.data_type() {
        DataType::Utf8 => Some(array.as_string::<i32>().value(row).to_owned()),
        DataType::Dictionary(_, _) => {
            let dict = array.as_dictionary::<arrow::datatypes::Int32Type>();
            let key = dict.keys().value(row) as usize;
            Some(dict.values().as_string::<i32>().value(key).to_owned())
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(host: usize) -> Arc<Group> {
        Arc::new(Group::new(vec![("host".into(), host.to_string())], None))
    }

    #[test]
    fn a_group_table_keeps_first_seen_order_through_removals_and_sweeps() {
        let mut table = GroupTable::default();
        let groups: Vec<Arc<Group>> = (0..100).map(group).collect();
        for (i, g) in groups.iter().enumerate() {
            assert_eq!(table.index_or_insert_with(g, || i), i);
        }
        // Another instance of a group finds the same entry.
        assert_eq!(table.index_or_insert_with(&group(7), || 0), 7);
        for i in (0..100).filter(|i| i % 5 != 0) {
            assert_eq!(table.remove(&groups[i].id), Some(i));
        }
        assert_eq!(table.remove(&groups[1].id), None);
        assert_eq!(table.len(), 20);
        let left: Vec<usize> = table.iter().map(|(_, v)| *v).collect();
        assert_eq!(left, (0..100).step_by(5).collect::<Vec<_>>());
        for i in (0..100).step_by(5) {
            let index = table.index_or_insert_with(&groups[i], || 0);
            assert_eq!(*table.entry(index).unwrap().1, i);
            assert_eq!(table.entry(index).unwrap().0.id, groups[i].id);
        }
        // A removed group comes back new, at the end.
        let index = table.index_or_insert_with(&groups[3], || 1000);
        assert_eq!(*table.get_mut(index).unwrap(), 1000);
        assert_eq!(table.iter().last().map(|(_, v)| *v), Some(1000));
    }
}
