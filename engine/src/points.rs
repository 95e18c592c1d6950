//! Building blocks for the point batches operators take and make: times, tag columns,
//! fields set or kept, rows filtered, and batches of differing schemas concatenated.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, DictionaryArray, Int32Array, RecordBatch, StringArray,
    TimestampNanosecondArray, new_null_array,
};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Int32Type, Schema};
use condenser_model::schema::{TIME_COLUMN, field_field, tag_field, time_data_type};
use condenser_model::{ColumnRole, FieldType};

use crate::error::{Error, Result};
use crate::message::{Batch, Batches, Data, Gathered, Group, Message, Points, Span};

/// The nanosecond times of a batch's `time` column.
pub fn times(data: &RecordBatch) -> Result<&[i64]> {
    let column = data
        .column_by_name(TIME_COLUMN)
        .ok_or_else(|| Error::internal("points without a time column"))?;
    let times = column
        .as_any()
        .downcast_ref::<TimestampNanosecondArray>()
        .ok_or_else(|| Error::internal("a time column that is not nanosecond timestamps"))?;
    Ok(times.values())
}

/// `data` with `f` applied to every time of its `time` column.
pub fn map_times(data: &RecordBatch, f: impl Fn(i64) -> i64) -> Result<RecordBatch> {
    let Ok(index) = data.schema().index_of(TIME_COLUMN) else {
        return Ok(data.clone());
    };
    let mapped: TimestampNanosecondArray = times(data)?
        .iter()
        .map(|t| Some(f(*t)))
        .collect::<TimestampNanosecondArray>()
        .with_timezone("UTC");
    let mut columns = data.columns().to_vec();
    columns[index] = Arc::new(mapped);
    Ok(RecordBatch::try_new(data.schema(), columns)?)
}

/// Concatenates point batches whose schemas may differ (other fields, other tags): the
/// result has every column of any of them, in order of first appearance, with nulls where a
/// batch lacked it. A field that is an integer in some batches and a float in others (which
/// Kapacitor allows point by point) becomes a float column with an
/// [`Integers`](condenser_model::schema::ColumnRole::Integers) companion that says which
/// values were integers.
pub fn concat_points(batches: &[RecordBatch]) -> Result<RecordBatch> {
    let Some(first) = batches.first() else {
        return Ok(RecordBatch::new_empty(Arc::new(Schema::new(vec![
            condenser_model::schema::time_field(),
        ]))));
    };
    if batches.iter().all(|b| b.schema() == first.schema()) {
        return Ok(arrow::compute::concat_batches(&first.schema(), batches)?);
    }
    let number = |t: &DataType| matches!(t, DataType::Int64 | DataType::Float64);
    // A tag and a field of one name are two columns (Kapacitor keeps them apart).
    let is_tag = |f: &Field| ColumnRole::of(f) == Some(ColumnRole::Tag);
    let same_column = |a: &Field, b: &Field| a.name() == b.name() && is_tag(a) == is_tag(b);
    let mut fields: Vec<Arc<Field>> = Vec::new();
    let mut mixed: Vec<String> = Vec::new();
    for (index, batch) in batches.iter().enumerate() {
        for field in batch.schema().fields() {
            match fields.iter_mut().find(|f| same_column(f, field)) {
                Some(existing)
                    if existing.data_type() != field.data_type()
                        && number(existing.data_type())
                        && number(field.data_type()) =>
                {
                    *existing =
                        Arc::new(existing.as_ref().clone().with_data_type(DataType::Float64));
                    if !mixed.contains(field.name()) {
                        mixed.push(field.name().clone());
                    }
                }
                Some(_) => {}
                // The rows before this batch lack the field: its nulls are values no more.
                None if index > 0 && condenser_model::schema::nulls_are_values(field) => {
                    let mut metadata = field.metadata().clone();
                    metadata.remove(condenser_model::schema::NULLS_KEY);
                    fields.push(Arc::new(field.as_ref().clone().with_metadata(metadata)));
                }
                None => fields.push(Arc::clone(field)),
            }
        }
    }
    for name in &mixed {
        let companion = condenser_model::schema::integers_name(name);
        if !fields.iter().any(|f| *f.name() == companion) {
            fields.push(Arc::new(condenser_model::schema::integers_field(name)));
        }
    }
    let schema = Arc::new(Schema::new(fields.clone()));
    let mut aligned = Vec::with_capacity(batches.len());
    for batch in batches {
        let rows = batch.num_rows();
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(fields.len());
        let own = batch.schema();
        for field in &fields {
            let column = (0..own.fields().len())
                .find(|&i| same_column(own.field(i), field))
                .map(|i| batch.column(i));
            columns.push(match column {
                Some(column) if column.data_type() == field.data_type() => Arc::clone(column),
                Some(column)
                    if column.data_type() == &DataType::Int64
                        && field.data_type() == &DataType::Float64 =>
                {
                    arrow::compute::cast(column, &DataType::Float64)?
                }
                // The same name as another type in another batch: absent here.
                Some(_) => new_null_array(field.data_type(), rows),
                None => match integers_companion_of(field, batch) {
                    // A companion the batch lacks: its values were integers if its column
                    // is.
                    Some(integers) => Arc::new(BooleanArray::from(vec![integers; rows])),
                    None => new_null_array(field.data_type(), rows),
                },
            });
        }
        aligned.push(RecordBatch::try_new(Arc::clone(&schema), columns)?);
    }
    Ok(arrow::compute::concat_batches(&schema, &aligned)?)
}

/// For an [`Integers`](condenser_model::schema::ColumnRole::Integers) companion `field`
/// that `batch` lacks: whether the batch's values of its field are integers.
fn integers_companion_of(field: &Field, batch: &RecordBatch) -> Option<bool> {
    use condenser_model::schema::ColumnRole;
    if ColumnRole::of(field) != Some(ColumnRole::Integers) {
        return None;
    }
    let name = condenser_model::schema::field_of_integers(field.name())?;
    Some(batch.column_by_name(name)?.data_type() == &DataType::Int64)
}

/// `data` without the record of which values of field `name` were integers (for a field
/// about to get new values).
pub fn without_integers_of(data: &RecordBatch, name: &str) -> Result<RecordBatch> {
    let companion = condenser_model::schema::integers_name(name);
    match data.schema().index_of(&companion) {
        Ok(index) => {
            let mut data = data.clone();
            data.remove_column(index);
            Ok(data)
        }
        Err(_) => Ok(data.clone()),
    }
}

/// Which rows of float field `name` of `data` were integers, when some were.
pub fn integer_rows<'d>(data: &'d RecordBatch, name: &str) -> Option<&'d BooleanArray> {
    data.column_by_name(&condenser_model::schema::integers_name(name))?
        .as_any()
        .downcast_ref::<BooleanArray>()
}

/// The rows of `data` where `keep` is true.
pub fn keep_rows(data: &RecordBatch, keep: &BooleanArray) -> Result<RecordBatch> {
    Ok(filter_record_batch(data, keep)?)
}

/// The groups of the rows where `keep` is true.
pub fn keep_groups(groups: &[Arc<Group>], keep: &BooleanArray) -> Arc<[Arc<Group>]> {
    groups
        .iter()
        .enumerate()
        .filter(|(row, _)| keep.value(*row))
        .map(|(_, g)| Arc::clone(g))
        .collect()
}

/// The points of `points` where `keep` is true; `None` when none is left.
pub fn keep_points(points: Points, keep: &BooleanArray) -> Result<Option<Points>> {
    if keep.true_count() == 0 {
        return Ok(None);
    }
    if keep.true_count() == keep.len() {
        return Ok(Some(points));
    }
    Ok(Some(Points {
        data: keep_rows(&points.data, keep)?,
        groups: keep_groups(&points.groups, keep),
        name: points.name,
    }))
}

/// The points of `batches` where `keep` (over all their rows) is true, each batch kept
/// (possibly empty).
pub fn keep_batches(batches: Batches, keep: &BooleanArray) -> Result<Batches> {
    let data = keep_rows(batches.points.data()?, keep)?;
    let mut kept = 0;
    let spans = batches
        .spans
        .into_iter()
        .map(|span| {
            let start = kept;
            kept += span.rows.clone().filter(|row| keep.value(*row)).count();
            Span {
                rows: start..kept,
                ..span
            }
        })
        .collect();
    Ok(Batches {
        points: Arc::new(Gathered::from_batch(data)),
        spans,
        name: batches.name,
    })
}

/// [`filter_data`] with a state per run of rows: one per group across points (kept in
/// `states`, by group id), a fresh one for each batch, which starts afresh as Kapacitor's
/// batch nodes do. The kept data goes to `out`.
pub fn filter_with_state<S: Default>(
    data: Data,
    states: &mut std::collections::HashMap<String, S>,
    mut keep: impl FnMut(&mut S, &RecordBatch, usize) -> Result<bool>,
    out: &mut Vec<crate::message::Message>,
) -> Result<()> {
    let batches = match data {
        Data::Points(points) => {
            let kept = filter_data(Data::Points(points), |group, data, row| {
                keep(states.entry(group.id.clone()).or_default(), data, row)
            })?;
            out.extend(kept.map(crate::message::Message::from));
            return Ok(());
        }
        Data::Batch(batch) => vec![batch],
        Data::Batches(batches) => batches.split()?,
    };
    for batch in batches {
        let mut state = S::default();
        let kept = filter_data(Data::Batch(batch), |_, data, row| {
            keep(&mut state, data, row)
        })?;
        out.extend(kept.map(crate::message::Message::from));
    }
    Ok(())
}

/// Keeps the rows of `data` for which `keep(group, batch, row)` is true, in order: points
/// with no row left are dropped (`None`), a batch is kept, possibly empty.
pub fn filter_data(
    data: Data,
    mut keep: impl FnMut(&Arc<Group>, &RecordBatch, usize) -> Result<bool>,
) -> Result<Option<Data>> {
    Ok(match data {
        Data::Points(points) => {
            let mut mask = Vec::with_capacity(points.data.num_rows());
            for row in 0..points.data.num_rows() {
                mask.push(keep(&points.groups[row], &points.data, row)?);
            }
            keep_points(points, &BooleanArray::from(mask))?.map(Data::Points)
        }
        Data::Batch(batch) => {
            let mut mask = Vec::with_capacity(batch.data.num_rows());
            for row in 0..batch.data.num_rows() {
                mask.push(keep(&batch.group, &batch.data, row)?);
            }
            let data = keep_rows(&batch.data, &BooleanArray::from(mask))?;
            Some(Data::Batch(Batch { data, ..batch }))
        }
        Data::Batches(batches) => {
            let all = batches.points.data()?;
            let mut mask = vec![false; all.num_rows()];
            for span in &batches.spans {
                for row in span.rows.clone() {
                    mask[row] = keep(&span.group, all, row)?;
                }
            }
            let mask = BooleanArray::from(mask);
            Some(Data::Batches(keep_batches(batches, &mask)?))
        }
    })
}

/// `data` with field `name` set to `column` (replaced where it exists, else appended; the
/// record of which of its old values were integers goes with them).
pub fn set_field(
    data: &RecordBatch,
    name: &str,
    field_type: FieldType,
    column: ArrayRef,
) -> Result<RecordBatch> {
    let data = &without_integers_of(data, name)?;
    let schema = data.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns = data.columns().to_vec();
    let field = field_field(name, field_type);
    // A tag of the same name is another column (Kapacitor keeps tags and fields apart).
    let index = (0..fields.len())
        .find(|&i| fields[i].name() == name && crate::message::role(&schema, i) != ColumnRole::Tag);
    match index.ok_or(()) {
        Ok(i) => {
            fields[i] = field;
            columns[i] = column;
        }
        Err(_) => {
            fields.push(field);
            columns.push(column);
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// `data` with tag `name` set to `values`, one per row (replaced where the tag exists,
/// else added among the tags in key order).
pub fn set_tag(data: &RecordBatch, name: &str, values: &[&str]) -> Result<RecordBatch> {
    let schema = data.schema();
    let mut fields: Vec<Field> = schema.fields().iter().map(|f| f.as_ref().clone()).collect();
    let mut columns = data.columns().to_vec();
    let column = tag_column((0..values.len() as i32).collect(), values.to_vec())?;
    let index = (0..fields.len())
        .find(|&i| fields[i].name() == name && crate::message::role(&schema, i) == ColumnRole::Tag);
    match index.ok_or(()) {
        Ok(i) => {
            fields[i] = tag_field(name);
            columns[i] = column;
        }
        Err(_) => {
            let tags = |i: &usize| crate::message::role(&schema, *i) == ColumnRole::Tag;
            let at = (0..fields.len())
                .filter(tags)
                .find(|&i| fields[i].name().as_str() > name)
                .or_else(|| (0..fields.len()).rev().find(tags).map(|i| i + 1))
                .unwrap_or(1.min(fields.len()));
            fields.insert(at, tag_field(name));
            columns.insert(at, column);
        }
    }
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// The key under which a node that keeps state by group id (stateDuration, stateCount, the
/// transforms) keeps a batch's state, apart from the group's stream state.
pub fn batch_state_key(id: &str) -> String {
    format!("batch\n{id}")
}

/// Forgets a deleted group's state in a node that keeps it by group id: its stream's and its
/// batches'.
pub fn forget_group_state<V>(state: &mut HashMap<String, V>, id: &str) {
    state.remove(id);
    state.remove(&batch_state_key(id));
}

/// Points of each group gathered until one with another time arrives (combine, flatten).
#[derive(Debug, Default)]
pub struct TimeBuffers {
    buffers: HashMap<String, TimeBuffer>,
}

/// One group's points of one time.
#[derive(Debug)]
pub struct TimeBuffer {
    /// The measurement of the group's first point (Kapacitor names the buffer after it).
    pub name: Arc<str>,
    /// The group.
    pub group: Arc<Group>,
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

    /// Takes the buffer of `group` if it has points older than `time`.
    pub fn take_before(&mut self, group: &Group, time: i64) -> Option<TimeBuffer> {
        let buffer = self.buffers.get_mut(&group.id)?;
        if buffer.time >= time || buffer.rows.is_empty() {
            return None;
        }
        Some(TimeBuffer {
            name: Arc::clone(&buffer.name),
            group: Arc::clone(&buffer.group),
            time: buffer.time,
            rows: std::mem::take(&mut buffer.rows),
        })
    }

    /// Takes the buffer of `group`, if it has points.
    pub fn take(&mut self, group: &Group) -> Option<TimeBuffer> {
        self.buffers
            .remove(&group.id)
            .filter(|b| !b.rows.is_empty())
    }

    /// Records `time` as the time of `group`'s buffer, whatever the time of its points.
    pub fn set_time(&mut self, group: &Group, time: i64) {
        if let Some(buffer) = self.buffers.get_mut(&group.id) {
            buffer.time = time;
        }
    }

    /// Adds a point at (rounded) time `t`; when it starts a new time for its group, the
    /// finished buffer of the previous time is returned.
    pub fn push(
        &mut self,
        name: &Arc<str>,
        group: &Arc<Group>,
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
    group: &Group,
    rows: usize,
) -> Result<()> {
    for (key, value) in &group.tags {
        fields.push(tag_field(key));
        // One dictionary value that every row points at.
        columns.push(tag_column(vec![0; rows], vec![value.as_str()])?);
    }
    Ok(())
}

/// Appends the tags of each row's group as tag columns, one row per group; the groups have
/// the same tag keys (those of one group-by).
pub fn push_groups_tags(
    fields: &mut Vec<Field>,
    columns: &mut Vec<ArrayRef>,
    groups: &[Arc<Group>],
) -> Result<()> {
    let Some(first) = groups.first() else {
        return Ok(());
    };
    for (index, (key, _)) in first.tags.iter().enumerate() {
        fields.push(tag_field(key));
        let values = groups
            .iter()
            .map(|g| g.tags.get(index).map_or("", |(_, v)| v.as_str()))
            .collect();
        columns.push(tag_column((0..groups.len() as i32).collect(), values)?);
    }
    Ok(())
}

/// A tag column: `keys` into the dictionary `values`.
fn tag_column(keys: Vec<i32>, values: Vec<&str>) -> Result<ArrayRef> {
    Ok(Arc::new(DictionaryArray::<Int32Type>::try_new(
        Int32Array::from(keys),
        Arc::new(StringArray::from(values)),
    )?))
}

/// The start of every point an operator makes: a `time` column of `times`, then the
/// group's tags.
pub fn time_and_group_tags(times: Vec<i64>, group: &Group) -> Result<(Vec<Field>, Vec<ArrayRef>)> {
    let rows = times.len();
    let (field, column) = time_column(times);
    let (mut fields, mut columns) = (vec![field], vec![column]);
    push_group_tags(&mut fields, &mut columns, group, rows)?;
    Ok((fields, columns))
}

/// The `time` column of points an operator makes, and its field.
pub fn time_column(times: Vec<i64>) -> (Field, ArrayRef) {
    (
        Field::new(TIME_COLUMN, time_data_type(), false),
        Arc::new(TimestampNanosecondArray::from(times).with_timezone("UTC")),
    )
}

/// A record batch of these fields and columns.
pub fn batch_of(fields: Vec<Field>, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// A batch of the points of one group.
pub fn batch_message(name: &Arc<str>, group: &Arc<Group>, tmax: i64, data: RecordBatch) -> Message {
    Message::Batch(Batch {
        name: Arc::clone(name),
        group: Arc::clone(group),
        tmax,
        data,
    })
}
