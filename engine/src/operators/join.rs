//! `join(nodes…)`: joins the messages of several parents that share a group and a time
//! (rounded to `.tolerance()`) into one, prefixing each parent's fields with its `.as()`
//! name and the delimiter. Sets are emitted oldest first, as soon as they are complete or a
//! parent has moved past them; at the end of the input the incomplete ones are emitted
//! too, filled as `.fill()` says (or dropped), as Kapacitor's join does.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch};
use arrow::datatypes::Schema;
use condenser_model::FieldType;
use condenser_model::schema::{ColumnRole, field_field, present_null_field};
use condenser_planner::nodes::{JoinFill, JoinSpec};

use super::{Context, Operator};
use crate::error::Result;
use crate::go_time::round;
use crate::message::{Barrier, Batch, Data, Group, Message, Points, role};
use crate::points::{batch_of, concat_points, time_and_group_tags, times};

/// One parent's message in a set.
#[derive(Debug, Clone)]
enum Value {
    Point {
        name: Arc<str>,
        group: Arc<Group>,
        row: RecordBatch,
    },
    Batch(Batch),
}

impl Value {
    fn name(&self) -> &Arc<str> {
        match self {
            Value::Point { name, .. } => name,
            Value::Batch(b) => &b.name,
        }
    }

    fn group(&self) -> &Arc<Group> {
        match self {
            Value::Point { group, .. } => group,
            Value::Batch(b) => &b.group,
        }
    }
}

/// The messages of one time, one per parent.
#[derive(Debug)]
struct JoinSet {
    time: i64,
    values: Vec<Option<Value>>,
}

impl JoinSet {
    fn ready(&self) -> bool {
        self.values.iter().all(Option::is_some)
    }

    /// The first parent's message the set has (every set has at least one).
    fn first(&self) -> Option<&Value> {
        self.values.iter().flatten().next()
    }
}

/// One group's sets.
#[derive(Debug)]
struct JoinGroup {
    sets: BTreeMap<i64, VecDeque<JoinSet>>,
    /// The latest time each parent gave (`None`: nothing yet).
    head: Vec<Option<i64>>,
}

/// Joins parents.
#[derive(Debug)]
pub struct JoinOperator {
    spec: JoinSpec,
    tolerance: i64,
    /// `.on()` bookkeeping.
    matcher: Matcher,
    groups: HashMap<String, JoinGroup>,
    /// Group ids in order of first appearance, so that the end of input is deterministic.
    order: Vec<String>,
}

impl JoinOperator {
    /// A join with `spec`.
    pub fn new(spec: &JoinSpec) -> Self {
        Self {
            tolerance: spec.tolerance.nanos(),
            spec: spec.clone(),
            matcher: Matcher::default(),
            groups: HashMap::new(),
            order: Vec::new(),
        }
    }

    /// The sets of group `id`, made if new.
    fn group_mut(&mut self, id: &str, src: usize) -> &mut JoinGroup {
        let parents = self.spec.prefixes.len().max(src + 1);
        if !self.groups.contains_key(id) {
            self.order.push(id.to_owned());
        }
        self.groups
            .entry(id.to_owned())
            .or_insert_with(|| JoinGroup {
                sets: BTreeMap::new(),
                head: vec![None; parents],
            })
    }

    /// Drops a deleted group's sets and waiting messages, and its parent's low mark (with
    /// `.deleteAll()`, every low mark).
    fn forget(&mut self, src: usize, id: &str) {
        self.groups.remove(id);
        self.order.retain(|o| o != id);
        self.matcher.matches.remove(id);
        self.matcher.specifics.remove(id);
        if self.spec.delete_all {
            self.matcher.low_marks.clear();
        } else {
            self.matcher.low_marks.remove(&(src, id.to_owned()));
        }
    }

    fn collect(&mut self, src: usize, t: i64, value: Value, out: &mut Vec<Message>) -> Result<()> {
        let group = self.group_mut(&value.group().id, src);
        let sets = group.sets.entry(t).or_default();
        match sets.iter_mut().find(|s| s.values[src].is_none()) {
            Some(set) => set.values[src] = Some(value),
            None => {
                let mut values = vec![None; group.head.len()];
                values[src] = Some(value);
                sets.push_back(JoinSet { time: t, values });
            }
        }
        group.head[src] = Some(t);
        let mut emitted = Vec::new();
        emit(group, Self::only_ready(group), &mut emitted);
        for set in emitted {
            out.extend(self.join(set)?);
        }
        Ok(())
    }

    /// Whether some parent has not moved past the oldest set: then only complete sets go.
    fn only_ready(group: &JoinGroup) -> bool {
        let Some(oldest) = group.sets.keys().next().copied() else {
            return false;
        };
        group.head.iter().any(|h| h.is_none_or(|h| h <= oldest))
    }

    /// One output message for a set, or none when a parent is missing and there is no fill.
    fn join(&self, set: JoinSet) -> Result<Option<Message>> {
        let Some(first) = set.first().cloned() else {
            return Ok(None);
        };
        let name: Arc<str> = match &self.spec.stream_name {
            Some(n) if !n.is_empty() => Arc::from(n.as_str()),
            _ => Arc::clone(first.name()),
        };
        // Kapacitor makes the joined message anew, so a group by measurement takes the
        // joined stream's name into its id.
        let group = match &first.group().name {
            Some(by) if by.as_str() != &*name => Arc::new(Group::new(
                first.group().tags.clone(),
                Some(name.to_string()),
            )),
            _ => Arc::clone(first.group()),
        };
        if !self.spec.wants_batches {
            let rows: Vec<Option<&RecordBatch>> = set
                .values
                .iter()
                .map(|v| match v {
                    Some(Value::Point { row, .. }) => Some(row),
                    _ => None,
                })
                .collect();
            let Value::Point { row: first_row, .. } = &first else {
                return Ok(None);
            };
            let Some(data) = self.joined_row(set.time, &group, &rows, first_row)? else {
                return Ok(None);
            };
            return Ok(Some(Message::Points(Points {
                name,
                data,
                groups: vec![group].into(),
            })));
        }
        // Batches: merge the parents' points by (rounded) time, earliest first.
        let batches: Vec<Option<&Batch>> = set
            .values
            .iter()
            .map(|v| match v {
                Some(Value::Batch(b)) => Some(b),
                _ => None,
            })
            .collect();
        let Value::Batch(first_batch) = &first else {
            return Ok(None);
        };
        let mut indexes = vec![0usize; batches.len()];
        let mut rows_out = Vec::new();
        let first_fields = first_batch
            .data
            .slice(0, first_batch.data.num_rows().min(1));
        loop {
            let mut set_time: Option<i64> = None;
            for (i, batch) in batches.iter().enumerate() {
                if let Some(b) = batch
                    && indexes[i] < b.data.num_rows()
                {
                    let t = round(times(&b.data)?[indexes[i]], self.tolerance);
                    set_time = Some(set_time.map_or(t, |s: i64| s.min(t)));
                }
            }
            let Some(set_time) = set_time else { break };
            let mut rows: Vec<Option<RecordBatch>> = vec![None; batches.len()];
            for (i, batch) in batches.iter().enumerate() {
                if let Some(b) = batch
                    && indexes[i] < b.data.num_rows()
                    && round(times(&b.data)?[indexes[i]], self.tolerance) == set_time
                {
                    rows[i] = Some(b.data.slice(indexes[i], 1));
                    indexes[i] += 1;
                }
            }
            let refs: Vec<Option<&RecordBatch>> = rows.iter().map(Option::as_ref).collect();
            if let Some(row) =
                self.joined_row(set_time, &first_batch.group, &refs, &first_fields)?
            {
                rows_out.push(row);
            }
        }
        let data = if rows_out.is_empty() {
            RecordBatch::new_empty(Arc::new(Schema::new(vec![
                condenser_model::schema::time_field(),
            ])))
        } else {
            concat_points(&rows_out)?
        };
        Ok(Some(Message::Batch(Batch {
            name,
            group,
            tmax: set.time,
            data,
        })))
    }

    /// One joined point at `time`: the group's tags, then each parent's fields prefixed;
    /// a missing parent takes the fill for each field of `first`, or drops the point.
    fn joined_row(
        &self,
        time: i64,
        group: &Group,
        rows: &[Option<&RecordBatch>],
        first: &RecordBatch,
    ) -> Result<Option<RecordBatch>> {
        let (mut fields, mut columns) = time_and_group_tags(vec![time], group)?;
        for (i, row) in rows.iter().enumerate() {
            let prefix = format!(
                "{}{}",
                self.spec.prefixes.get(i).map_or("", String::as_str),
                self.spec.delimiter
            );
            match row {
                Some(row) => {
                    for (name, column) in field_columns(row) {
                        let Some(field_type) = FieldType::from_data_type(column.data_type()) else {
                            continue;
                        };
                        fields.push(field_field(&format!("{prefix}{name}"), field_type));
                        columns.push(column);
                    }
                }
                None => {
                    let (fill, field_type): (ArrayRef, FieldType) = match self.spec.fill {
                        JoinFill::None => return Ok(None),
                        // The fields of the first present point, named for the missing
                        // parent, each null.
                        JoinFill::Null => {
                            for (name, column) in field_columns(first) {
                                let Some(field_type) =
                                    FieldType::from_data_type(column.data_type())
                                else {
                                    continue;
                                };
                                fields.push(present_null_field(
                                    &format!("{prefix}{name}"),
                                    field_type,
                                ));
                                columns.push(arrow::array::new_null_array(column.data_type(), 1));
                            }
                            continue;
                        }
                        JoinFill::Int(v) => {
                            (Arc::new(Int64Array::from(vec![v])), FieldType::Integer)
                        }
                        JoinFill::Float(v) => {
                            (Arc::new(Float64Array::from(vec![v])), FieldType::Float)
                        }
                    };
                    for (name, _) in field_columns(first) {
                        fields.push(field_field(&format!("{prefix}{name}"), field_type));
                        columns.push(Arc::clone(&fill));
                    }
                }
            }
        }
        Ok(Some(batch_of(fields, columns)?))
    }
}

/// A message waiting for its match under `.on()`.
#[derive(Debug, Clone)]
struct Waiting {
    src: usize,
    time: i64,
    value: Value,
}

/// `.on()` state: which parents have reported, each (parent, on-group)'s latest time, and
/// the messages waiting on each side.
#[derive(Debug, Default)]
struct Matcher {
    reported: Vec<bool>,
    low_marks: HashMap<(usize, String), i64>,
    matches: HashMap<String, VecDeque<Waiting>>,
    specifics: HashMap<String, VecDeque<Waiting>>,
}

impl JoinOperator {
    /// Kapacitor's `matchPoints`: pairs messages grouped by more tags ("specific") with the
    /// messages grouped by exactly the `.on()` tags, at the same rounded time.
    fn match_on(&mut self, src: usize, t: i64, value: Value, out: &mut Vec<Message>) -> Result<()> {
        let parents = self.spec.prefixes.len();
        let m = &mut self.matcher;
        if m.reported.len() < parents {
            m.reported.resize(parents, false);
        }
        m.reported[src] = true;
        let all_reported = m.reported.iter().all(|r| *r);
        let group = value.group();
        let on_tags: Vec<(String, String)> = group
            .tags
            .iter()
            .filter(|(k, _)| self.spec.on.contains(k))
            .cloned()
            .collect();
        let id = Group::new(on_tags, group.name.clone()).id;
        m.low_marks.insert((src, id.clone()), t);
        // The oldest of the parents' last times, as Kapacitor's loop finds it: a parent
        // without a time for the group (Go's zero time) empties the low mark, and an empty
        // low mark takes the next parent's time. Empty (the zero time): nothing is before it.
        let low_mark = all_reported
            .then(|| {
                (0..parents).fold(None, |low: Option<i64>, s| {
                    let last = m.low_marks.get(&(s, id.clone())).copied();
                    match (low, last) {
                        (None, last) => last,
                        (Some(_), None) => None,
                        (Some(low), Some(last)) => Some(low.min(last)),
                    }
                })
            })
            .flatten();
        let mut collect: Vec<(usize, i64, Value)> = Vec::new();
        if let Some(low) = low_mark
            && let Some(buffer) = m.specifics.get_mut(&id)
        {
            while let Some(w) = buffer.pop_front_if(|w| w.time < low) {
                collect.push((w.src, w.time, w.value));
            }
        }
        if group.tags.len() > self.spec.on.len() {
            let mut matched = false;
            if let Some(buffer) = m.matches.get_mut(&id) {
                let mut i = 0;
                while i < buffer.len() {
                    let candidate = &buffer[i];
                    if candidate.time == t {
                        collect.push((src, t, value.clone()));
                        collect.push((
                            candidate.src,
                            t,
                            candidate.value.with_group(Arc::clone(group)),
                        ));
                        matched = true;
                    }
                    if low_mark.is_none_or(|low| candidate.time >= low) {
                        break;
                    }
                    i += 1;
                }
                if all_reported {
                    buffer.drain(..i);
                }
            }
            if !matched {
                if low_mark.is_some_and(|low| t < low) {
                    collect.push((src, t, value));
                } else {
                    m.specifics.entry(id).or_default().push_back(Waiting {
                        src,
                        time: t,
                        value,
                    });
                }
            }
        } else {
            m.matches.entry(id.clone()).or_default().push_back(Waiting {
                src,
                time: t,
                value: value.clone(),
            });
            if let Some(buffer) = m.specifics.get_mut(&id) {
                while let Some(w) = buffer.pop_front_if(|w| w.time == t) {
                    let specific_group = Arc::clone(w.value.group());
                    collect.push((w.src, t, w.value));
                    collect.push((src, t, value.with_group(specific_group)));
                }
            }
        }
        for (src, t, value) in collect {
            self.collect(src, t, value, out)?;
        }
        Ok(())
    }
}

impl Value {
    /// The same message in another group (a matched message joins the specific one's).
    fn with_group(&self, group: Arc<Group>) -> Value {
        match self {
            Value::Point { name, row, .. } => Value::Point {
                name: Arc::clone(name),
                group,
                row: row.clone(),
            },
            Value::Batch(b) => Value::Batch(Batch { group, ..b.clone() }),
        }
    }
}

/// The present fields of a one-row batch, by name.
fn field_columns(row: &RecordBatch) -> Vec<(String, ArrayRef)> {
    let schema = row.schema();
    (0..schema.fields().len())
        .filter(|&i| {
            role(&schema, i) == ColumnRole::Field && row.num_rows() > 0 && row.column(i).is_valid(0)
        })
        .map(|i| (schema.field(i).name().clone(), row.column(i).slice(0, 1)))
        .collect()
}

/// Takes the sets to emit from the oldest time: the complete ones, or with `only_ready`
/// false all of them, then again while the oldest time allows.
fn emit(group: &mut JoinGroup, only_ready: bool, emitted: &mut Vec<JoinSet>) {
    let Some(oldest) = group.sets.keys().next().copied() else {
        return;
    };
    if let Some(sets) = group.sets.get_mut(&oldest) {
        while let Some(set) = sets.pop_front_if(|set| set.ready() || !only_ready) {
            emitted.push(set);
        }
        if sets.is_empty() {
            group.sets.remove(&oldest);
        }
    }
    if !only_ready {
        let only_ready = JoinOperator::only_ready(group);
        emit(group, only_ready, emitted);
    }
}

impl fmt::Display for JoinOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Join: {}", self.spec)
    }
}

impl JoinOperator {
    fn message(
        &mut self,
        parent: usize,
        t: i64,
        value: Value,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        if self.spec.on.is_empty() {
            self.collect(parent, t, value, out)
        } else {
            self.match_on(parent, t, value, out)
        }
    }
}

impl Operator for JoinOperator {
    fn cardinality(&self) -> usize {
        self.groups.len()
    }

    fn process(
        &mut self,
        parent: usize,
        data: Data,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                for (row, t) in times(&points.data)?.to_vec().into_iter().enumerate() {
                    let value = Value::Point {
                        name: Arc::clone(&points.name),
                        group: Arc::clone(&points.groups[row]),
                        row: points.data.slice(row, 1),
                    };
                    let t = round(t, self.tolerance);
                    self.message(parent, t, value, out)?;
                }
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    let t = round(batch.tmax, self.tolerance);
                    self.message(parent, t, Value::Batch(batch), out)?;
                }
            }
            Data::Batch(batch) => {
                let t = round(batch.tmax, self.tolerance);
                self.message(parent, t, Value::Batch(batch), out)?;
            }
        }
        Ok(())
    }

    /// A barrier moves its parent's head: sets older than every head go out.
    fn barrier(
        &mut self,
        parent: usize,
        barrier: Barrier,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let t = round(barrier.time, self.tolerance);
        let group = self.group_mut(&barrier.group.id, parent);
        group.head[parent] = Some(t);
        let mut emitted = Vec::new();
        emit(group, Self::only_ready(group), &mut emitted);
        for set in emitted {
            out.extend(self.join(set)?);
        }
        out.push(Message::Barrier(barrier));
        Ok(())
    }

    fn delete_group(
        &mut self,
        parent: usize,
        group: Arc<Group>,
        _ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        self.forget(parent, &group.id);
        out.push(Message::DeleteGroup(group));
        Ok(())
    }

    fn finish(&mut self, _ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        for id in self.order.clone() {
            let mut emitted = Vec::new();
            if let Some(group) = self.groups.get_mut(&id) {
                while !group.sets.is_empty() {
                    emit(group, false, &mut emitted);
                }
            }
            for set in emitted {
                out.extend(self.join(set)?);
            }
        }
        Ok(())
    }
}
