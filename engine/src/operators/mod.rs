//! Operators: one per TICKscript node, named as the nodes are. Each takes whole messages
//! (record batches of points, or batches) and appends what it emits.

pub mod barrier;
pub mod change_detect;
pub mod combine;
pub mod default;
pub mod derivative;
pub mod eval;
pub mod flatten;
pub mod from;
pub mod group_by;
pub mod holt_winters;
pub mod http_out;
pub mod http_post;
pub mod influxdb_out;
pub mod influxql;
pub mod join;
pub mod log;
pub mod noop;
pub mod sample;
pub mod shift;
pub mod state_tracking;
pub mod transform;
pub mod union;
pub mod where_;
pub mod window;

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, new_null_array};
use arrow::datatypes::{DataType, Field, Schema};

use crate::message::{Batches, Message};

/// A running node of a task.
pub trait Operator: Send {
    /// Processes one message, appending what the node emits to `out`.
    fn process(&mut self, message: Message, out: &mut Vec<Message>);

    /// Processes one message from the parent at position `parent` among the node's
    /// parents; only nodes with several parents (join) tell them apart.
    fn process_from(&mut self, parent: usize, message: Message, out: &mut Vec<Message>) {
        let _ = parent;
        self.process(message, out);
    }

    /// Whether the node takes [`Message::Batches`] whole; the task hands a node that does not
    /// one [`Message::Batch`] at a time.
    fn takes_batches(&self) -> bool {
        false
    }

    /// Processes each batch of `batches` in turn, as [`Message::Batch`]es: what a node that
    /// does not take them whole does should they reach it.
    fn process_each(&mut self, batches: Batches, out: &mut Vec<Message>) {
        for batch in batches.split() {
            self.process(Message::Batch(batch), out);
        }
    }

    /// Called once when the input has ended, to emit what the node still holds (join's
    /// incomplete sets). Most nodes hold nothing that must come out.
    fn finish(&mut self, out: &mut Vec<Message>) {
        let _ = out;
    }

    /// Called as the wall clock moves on ([`crate::clock::now`] is `now`), to emit what is
    /// due by real time (a barrier's idle timer). Most nodes do not look at the clock.
    fn tick(&mut self, now: i64, out: &mut Vec<Message>) {
        let _ = (now, out);
    }

    /// Whether the node acts on the wall clock, so that the task ticks it.
    fn ticks(&self) -> bool {
        false
    }

    /// How many groups the node keeps state for (Kapacitor's `working_cardinality`);
    /// nodes that keep none have 0.
    fn cardinality(&self) -> usize {
        0
    }
}

/// `data` with `f` applied to every time of its `time` column.
pub fn map_times(data: &RecordBatch, f: impl Fn(i64) -> i64) -> RecordBatch {
    use arrow::array::{AsArray, TimestampNanosecondArray};
    use arrow::datatypes::TimestampNanosecondType;
    let Ok(index) = data.schema().index_of(condenser_model::schema::TIME_COLUMN) else {
        return data.clone();
    };
    let times = data.column(index).as_primitive::<TimestampNanosecondType>();
    let mapped: TimestampNanosecondArray = times
        .unary::<_, TimestampNanosecondType>(f)
        .with_timezone_opt(times.timezone().map(str::to_owned));
    let mut columns = data.columns().to_vec();
    columns[index] = Arc::new(mapped);
    RecordBatch::try_new(data.schema(), columns).expect("same schema")
}

/// Concatenates point batches whose schemas may differ (other fields, other tags): the
/// result has every column of any of them, in order of first appearance, with nulls where a
/// batch lacked it.
pub fn concat_points(batches: &[RecordBatch]) -> RecordBatch {
    let first = &batches[0];
    if batches.iter().all(|b| b.schema() == first.schema()) {
        return arrow::compute::concat_batches(&first.schema(), batches)
            .expect("batches of one schema concatenate");
    }
    let mut fields: Vec<Arc<Field>> = Vec::new();
    for batch in batches {
        for field in batch.schema().fields() {
            match fields.iter_mut().find(|f| f.name() == field.name()) {
                // A field that is an integer in some points and a float in others (which
                // Kapacitor allows point by point) becomes a float column.
                Some(existing)
                    if existing.data_type() != field.data_type()
                        && matches!(existing.data_type(), DataType::Int64 | DataType::Float64)
                        && matches!(field.data_type(), DataType::Int64 | DataType::Float64) =>
                {
                    *existing =
                        Arc::new(existing.as_ref().clone().with_data_type(DataType::Float64));
                }
                Some(_) => {}
                None => fields.push(Arc::clone(field)),
            }
        }
    }
    let schema = Arc::new(Schema::new(fields.clone()));
    let aligned: Vec<RecordBatch> = batches
        .iter()
        .map(|batch| {
            let columns: Vec<ArrayRef> = fields
                .iter()
                .map(|field| match batch.column_by_name(field.name()) {
                    Some(column) if column.data_type() == field.data_type() => Arc::clone(column),
                    Some(column)
                        if column.data_type() == &DataType::Int64
                            && field.data_type() == &DataType::Float64 =>
                    {
                        arrow::compute::cast(column, &DataType::Float64)
                            .expect("integers cast to floats")
                    }
                    _ => new_null_array(field.data_type(), batch.num_rows()),
                })
                .collect();
            RecordBatch::try_new(Arc::clone(&schema), columns).expect("aligned columns")
        })
        .collect();
    arrow::compute::concat_batches(&schema, &aligned).expect("aligned batches concatenate")
}

/// Keeps the rows of a message for which `keep(group, data, row)` is true, in order; a
/// stream message with no row left is dropped, a batch is kept (possibly empty); signals
/// pass.
pub fn filter_rows(
    message: Message,
    mut keep: impl FnMut(&Arc<crate::message::Group>, &RecordBatch, usize) -> bool,
) -> Option<Message> {
    use arrow::array::BooleanArray;
    use arrow::compute::filter_record_batch;
    match message {
        Message::Points(points) => {
            let mask: Vec<bool> = (0..points.data.num_rows())
                .map(|row| keep(&points.groups[row], &points.data, row))
                .collect();
            if !mask.contains(&true) {
                return None;
            }
            let groups = points
                .groups
                .iter()
                .zip(&mask)
                .filter(|(_, k)| **k)
                .map(|(g, _)| Arc::clone(g))
                .collect();
            let data = filter_record_batch(&points.data, &BooleanArray::from(mask))
                .expect("mask of the batch's length");
            Some(Message::Points(crate::message::Points {
                data,
                groups,
                ..points
            }))
        }
        Message::Batch(batch) => {
            let mask: Vec<bool> = (0..batch.data.num_rows())
                .map(|row| keep(&batch.group, &batch.data, row))
                .collect();
            let data = filter_record_batch(&batch.data, &BooleanArray::from(mask))
                .expect("mask of the batch's length");
            Some(Message::Batch(crate::message::Batch { data, ..batch }))
        }
        Message::Batches(batches) => {
            let all = batches.points.data();
            let mut mask = Vec::with_capacity(all.num_rows());
            let mut spans = Vec::with_capacity(batches.spans.len());
            let mut kept = 0;
            for span in batches.spans {
                let start = kept;
                for row in span.rows.clone() {
                    let keep = keep(&span.group, all, row);
                    kept += usize::from(keep);
                    mask.push(keep);
                }
                spans.push(crate::message::Span {
                    rows: start..kept,
                    ..span
                });
            }
            let data = filter_record_batch(all, &BooleanArray::from(mask))
                .expect("mask of the batch's length");
            Some(Message::Batches(crate::message::Batches {
                points: Arc::new(crate::message::Gathered::from_batch(data)),
                spans,
                ..batches
            }))
        }
        signal @ (Message::Barrier(_) | Message::DeleteGroup(_)) => Some(signal),
    }
}

/// `data` with field `name` set to `column` (replaced where it exists, else appended).
pub fn set_field(
    data: &RecordBatch,
    name: &str,
    field_type: condenser_model::FieldType,
    column: ArrayRef,
) -> RecordBatch {
    let schema = data.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns = data.columns().to_vec();
    let field = condenser_model::schema::field_field(name, field_type);
    match schema.index_of(name) {
        Ok(i) => {
            fields[i] = field;
            columns[i] = column;
        }
        Err(_) => {
            fields.push(field);
            columns.push(column);
        }
    }
    RecordBatch::try_new(Arc::new(Schema::new(fields)), columns)
        .expect("a column of the batch's length")
}

/// The rows of `data` where `keep` is true.
pub fn keep_rows(data: &RecordBatch, keep: &[bool]) -> RecordBatch {
    arrow::compute::filter_record_batch(data, &arrow::array::BooleanArray::from(keep.to_vec()))
        .expect("mask of the batch's length")
}

/// The groups of the rows where `keep` is true.
pub fn keep_groups(
    groups: &[Arc<crate::message::Group>],
    keep: &[bool],
) -> Arc<[Arc<crate::message::Group>]> {
    groups
        .iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(g, _)| Arc::clone(g))
        .collect()
}

/// The key under which a node that keeps state by group id (stateDuration, stateCount, the
/// transforms) keeps a batch's state, apart from the group's stream state.
pub fn batch_state_key(id: &str) -> String {
    format!("batch\n{id}")
}

/// Forgets a deleted group's state in a node that keeps it by group id: its stream's and its
/// batches'.
pub fn forget_group_state<V>(state: &mut std::collections::HashMap<String, V>, id: &str) {
    state.remove(id);
    state.remove(&batch_state_key(id));
}

/// Points of each group gathered until one with another time arrives (combine, flatten).
#[derive(Debug, Default)]
pub struct TimeBuffers {
    buffers: std::collections::HashMap<String, TimeBuffer>,
}

/// The points of `message` for a node that buffers points by group and time (combine,
/// flatten): a deleted group's buffer is dropped and signals go on to `out`; batches never
/// reach such a node (refused when the task is built).
pub fn buffered_points(
    message: Message,
    buffers: &mut TimeBuffers,
    out: &mut Vec<Message>,
) -> Option<crate::message::Points> {
    match message {
        Message::Points(points) => Some(points),
        Message::DeleteGroup(group) => {
            buffers.forget(&group.id);
            out.push(Message::DeleteGroup(group));
            None
        }
        signal @ Message::Barrier(_) => {
            out.push(signal);
            None
        }
        Message::Batch(_) | Message::Batches(_) => None,
    }
}

/// One group's points of one time.
#[derive(Debug)]
pub struct TimeBuffer {
    /// The measurement of the group's first point (Kapacitor names the buffer after it).
    pub name: Arc<str>,
    /// The group.
    pub group: Arc<crate::message::Group>,
    /// The (rounded) time of the points.
    pub time: i64,
    /// The points, one row each.
    pub rows: Vec<RecordBatch>,
}

impl TimeBuffers {
    /// How many groups have a buffer.
    pub fn len(&self) -> usize {
        self.buffers.len()
    }

    /// Whether no group has a buffer.
    pub fn is_empty(&self) -> bool {
        self.buffers.is_empty()
    }

    /// Drops the buffer of group `id` (a deleted group).
    pub fn forget(&mut self, id: &str) {
        self.buffers.remove(id);
    }

    /// Adds a point at (rounded) time `t`; when it starts a new time for its group, the
    /// finished buffer of the previous time is returned.
    pub fn push(
        &mut self,
        name: &Arc<str>,
        group: &Arc<crate::message::Group>,
        t: i64,
        row: RecordBatch,
    ) -> Option<TimeBuffer> {
        let buffer = self
            .buffers
            .entry(group.id.clone())
            .or_insert_with(|| TimeBuffer {
                name: Arc::clone(name),
                group: Arc::clone(group),
                time: t,
                rows: Vec::new(),
            });
        let finished = (buffer.time != t).then(|| TimeBuffer {
            name: Arc::clone(&buffer.name),
            group: Arc::clone(&buffer.group),
            time: buffer.time,
            rows: std::mem::take(&mut buffer.rows),
        });
        buffer.time = t;
        buffer.rows.push(row);
        finished
    }
}

/// Appends the group's tags as tag columns of `rows` rows (a batch's points carry them).
pub fn push_group_tags(
    fields: &mut Vec<Field>,
    columns: &mut Vec<ArrayRef>,
    group: &crate::message::Group,
    rows: usize,
) {
    for (key, value) in &group.tags {
        fields.push(condenser_model::schema::tag_field(key));
        // One dictionary value that every row points at.
        columns.push(tag_column(vec![0; rows], vec![value.as_str()]));
    }
}

/// Appends the tags of each row's group as tag columns, one row per group; the groups have
/// the same tag keys (those of one group-by).
pub fn push_groups_tags(
    fields: &mut Vec<Field>,
    columns: &mut Vec<ArrayRef>,
    groups: &[Arc<crate::message::Group>],
) {
    let Some(first) = groups.first() else {
        return;
    };
    for (index, (key, _)) in first.tags.iter().enumerate() {
        fields.push(condenser_model::schema::tag_field(key));
        let values = groups.iter().map(|g| g.tags[index].1.as_str()).collect();
        columns.push(tag_column((0..groups.len() as i32).collect(), values));
    }
}

/// A tag column: `keys` into the dictionary `values`.
fn tag_column(keys: Vec<i32>, values: Vec<&str>) -> ArrayRef {
    Arc::new(
        arrow::array::DictionaryArray::<arrow::datatypes::Int32Type>::try_new(
            arrow::array::Int32Array::from(keys),
            Arc::new(arrow::array::StringArray::from(values)),
        )
        .expect("keys within the dictionary"),
    )
}

/// The start of every point an operator makes: a `time` column of `times`, then the
/// group's tags.
pub fn time_and_group_tags(
    times: Vec<i64>,
    group: &crate::message::Group,
) -> (Vec<Field>, Vec<ArrayRef>) {
    let rows = times.len();
    let (field, column) = time_column(times);
    let (mut fields, mut columns) = (vec![field], vec![column]);
    push_group_tags(&mut fields, &mut columns, group, rows);
    (fields, columns)
}

/// The `time` column of points an operator makes, and its field.
pub fn time_column(times: Vec<i64>) -> (Field, ArrayRef) {
    (
        Field::new(
            condenser_model::schema::TIME_COLUMN,
            condenser_model::schema::time_data_type(),
            false,
        ),
        Arc::new(arrow::array::TimestampNanosecondArray::from(times).with_timezone("UTC")),
    )
}
