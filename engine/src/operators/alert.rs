//! `alert()`: a level for each point (or batch) of a group, events when Kapacitor would send
//! them, and the points of those events passed on with the level, id, message and duration
//! added where the script asks.
//!
//! Per group it keeps Kapacitor's alert state: the levels of the last `.history()` points,
//! whether the level just changed, whether it flaps, and when the episode began and was
//! last sent. A point's level is the first of CRITICAL, WARNING, INFO (from the current
//! level up) whose lambda holds; else the current level stays while its reset does not
//! hold; else the first lower level that holds; else OK. A lambda that fails counts as not
//! holding (and as an error of the node), a reset that fails as holding.
//!
//! Vectorized: each level's lambda is evaluated once per message over all its rows, as a
//! boolean array, and one pass over the rows walks the group states. Templates are rendered
//! only for the rows that make an event. A lambda with a stateful function (`sigma()`,
//! `count()`) is evaluated row by row instead, in Kapacitor's order, since what it returns
//! depends on which rows it saw; as in Kapacitor, its state is the node's, not a group's.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, RecordBatch, StringArray};
use condenser_model::alert::TopicEvent;
use condenser_model::template::Value as TemplateValue;
use condenser_model::topic::{EventState, Topics};
use condenser_model::{AlertData, AlertEvent, FieldType, Level, Series};
use condenser_planner::nodes::AlertSpec;
use serde_json::Value as Json;
use smallvec::SmallVec;

use super::http_out::{batch_row, point_row};
use super::{Context, Operator};
use crate::alerts::AlertContext;
use crate::error::{Error, Result};
use crate::expr::Lambda;
use crate::message::{Batch, Data, Group, GroupTable, Message, Points};
use crate::points::{set_field, set_tag, times};

/// Go's zero `time.Time`, long before any point: "never" for the times a state keeps.
const NEVER: i64 = i64::MIN;

/// The alert node.
pub struct AlertOperator {
    spec: AlertSpec,
    /// The task's name (`.TaskName`).
    task: String,
    /// Lambdas of INFO, WARNING, CRITICAL, then their resets.
    lambdas: [Option<Lambda>; 6],
    /// Whether some lambda is stateful, so that rows are evaluated one by one.
    row_by_row: bool,
    states: GroupTable<AlertState>,
    alerts: AlertContext,
    /// The inhibitors the node's groups added, to remove when it stops.
    inhibitor_ids: Vec<u64>,
    /// Kapacitor's counters of the node: events triggered (in all and by level) and
    /// inhibited.
    triggered: std::cell::Cell<[u64; 4]>,
    inhibited: std::cell::Cell<u64>,
}

impl fmt::Debug for AlertOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlertOperator")
            .field("spec", &self.spec)
            .field("groups", &self.states.len())
            .finish()
    }
}

/// One group's alert state (Kapacitor's `alertState`).
#[derive(Debug)]
struct AlertState {
    /// The levels of the last points, a ring; `index` is the newest. Kapacitor's default
    /// history of 21 fits inline, so a state is one allocation-free record.
    history: SmallVec<[Level; 24]>,
    index: usize,
    changed: bool,
    flapping: bool,
    expired: bool,
    first_triggered: i64,
    last_triggered: i64,
    /// The ids of the group's inhibitors, one per `.inhibit()`.
    inhibitors: Vec<u64>,
}

impl AlertState {
    fn new(history: usize, inhibitors: Vec<u64>) -> Self {
        Self {
            history: smallvec::smallvec![Level::Ok; history],
            index: 0,
            changed: false,
            flapping: false,
            expired: false,
            first_triggered: NEVER,
            last_triggered: NEVER,
            inhibitors,
        }
    }

    fn current(&self) -> Level {
        self.history[self.index]
    }

    fn previous(&self) -> Level {
        let len = self.history.len();
        self.history[(self.index + len - 1) % len]
    }

    /// Records a point's (or batch's) level at time `t`.
    fn add(&mut self, t: i64, level: Level, spec: &AlertSpec) {
        self.changed = self.current() != level;
        self.index = (self.index + 1) % self.history.len();
        self.history[self.index] = level;
        if let Some((low, high)) = spec.flapping {
            let change = self.percent_change();
            if self.flapping && change < low {
                self.flapping = false;
            } else if !self.flapping && change > high {
                self.flapping = true;
            }
        }
        let window = spec.state_changes_only_duration.nanos();
        self.expired =
            !self.changed && window != 0 && t.saturating_sub(self.last_triggered) >= window;
    }

    /// Kapacitor's measure of how often the level changed over the history, weighting the
    /// newer changes more (it visits the pairs of the ring as Kapacitor does, the wrapped
    /// one included).
    fn percent_change(&self) -> f64 {
        const WEIGHT_DIFF: f64 = 1.5;
        const MAX_WEIGHT: f64 = 1.2;
        let len = self.history.len();
        let mut weight = MAX_WEIGHT / WEIGHT_DIFF;
        let step = (MAX_WEIGHT - weight) / (len - 1) as f64;
        let mut changes = 0.0;
        for i in 0..len - 1 {
            let current = (i + self.index) % len;
            let previous = if current == 0 { len - 1 } else { current - 1 };
            if self.history[current] != self.history[previous] {
                changes += weight;
            }
            weight += step;
        }
        changes / (len - 1) as f64
    }

    /// Whether the point just added is one to send, before `.noRecoveries()`.
    fn suppressed(&self, spec: &AlertSpec) -> bool {
        (spec.flapping.is_some() && self.flapping)
            || (spec.state_changes_only && !self.changed && !self.expired)
    }

    /// An event is made at `t`: the episode starts if the point before was OK; the
    /// group's inhibitors follow its level.
    fn triggered(&mut self, t: i64, alerts: &AlertContext) {
        self.last_triggered = t;
        if self.previous() == Level::Ok {
            self.first_triggered = t;
        }
        let inhibiting = self.current() != Level::Ok;
        for &id in &self.inhibitors {
            alerts.inhibitors.set(id, inhibiting);
        }
    }

    fn duration(&self) -> i64 {
        self.last_triggered.saturating_sub(self.first_triggered)
    }
}

/// A row that makes an event: its level and the event's duration.
struct Emitted {
    row: usize,
    level: Level,
    duration: i64,
}

/// What the templates and the event of one point see.
struct EventInput<'a> {
    name: &'a str,
    group: &'a Group,
    /// The point's (a batch's: its group's) tags.
    tags: Vec<(String, String)>,
    fields: TemplateFields,
    level: Level,
    time: i64,
    duration: i64,
    /// The point (or batch) as an InfluxQL result row.
    row: Json,
}

/// The rendered event of one point: its id and message go into the data too.
struct Rendered {
    id: String,
    message: String,
}

impl AlertOperator {
    /// An alert node of task `task` with `spec`, sending events through `alerts`.
    pub fn new(spec: &AlertSpec, task: &str, alerts: AlertContext) -> Self {
        let lambda = |l: &Option<condenser_planner::nodes::Lambda>| l.as_ref().map(Lambda::new);
        let lambdas = [
            lambda(&spec.levels[0]),
            lambda(&spec.levels[1]),
            lambda(&spec.levels[2]),
            lambda(&spec.resets[0]),
            lambda(&spec.resets[1]),
            lambda(&spec.resets[2]),
        ];
        let row_by_row = lambdas.iter().flatten().any(Lambda::is_stateful);
        Self {
            spec: spec.clone(),
            task: task.to_owned(),
            lambdas,
            row_by_row,
            states: GroupTable::default(),
            alerts,
            inhibitor_ids: Vec::new(),
            triggered: std::cell::Cell::default(),
            inhibited: std::cell::Cell::default(),
        }
    }

    /// The topic of the node's own handlers, as Kapacitor names it:
    /// `<task master>:<task>:<node>` (`main:cpu_alert:alert2`; a replay's task master is
    /// the replay's id).
    pub fn own_topic(alerts: &AlertContext, task: &str, node: &str) -> String {
        format!("{}:{task}:{node}", alerts.task_master())
    }

    /// The index of `group`'s state. A new group's is made with its inhibitors, and resumes
    /// the level its alert id has in the node's topics (the id rendered from the group's
    /// first message: `name`, `tags` and time `t`), as Kapacitor's does.
    fn state_of(
        &mut self,
        group: &Arc<Group>,
        first: FirstMessage<'_>,
        node: &str,
    ) -> Result<usize> {
        let before = self.states.len();
        let (spec, alerts, ids) = (&self.spec, &self.alerts, &mut self.inhibitor_ids);
        let index = self.states.index_or_insert_with(group, || {
            let inhibitors: Vec<u64> = spec
                .inhibits
                .iter()
                .map(|inhibit| {
                    let tags = inhibit
                        .tags
                        .iter()
                        .map(|t| {
                            let value = group.tags.iter().find(|(k, _)| k == t);
                            (t.clone(), value.map(|(_, v)| v.clone()).unwrap_or_default())
                        })
                        .collect();
                    alerts.inhibitors.add(&inhibit.category, tags)
                })
                .collect();
            ids.extend(&inhibitors);
            AlertState::new(spec.history, inhibitors)
        });
        if self.states.len() > before {
            self.restore(index, group, first, node)?;
        }
        Ok(index)
    }

    /// Resumes the new state `index` of `group` from the topics: the last event of its id
    /// in the node's own topic (when it has handlers) or else in its `.topic()`, the two
    /// made to agree when they differ.
    fn restore(
        &mut self,
        index: usize,
        group: &Group,
        first: FirstMessage<'_>,
        node: &str,
    ) -> Result<()> {
        let own = (!self.spec.handlers.is_empty())
            .then(|| Self::own_topic(&self.alerts, &self.task, node));
        if own.is_none() && self.spec.topic.is_none() {
            return Ok(());
        }
        let data = self.template_data(first.name, group, (first.tags)());
        let id = render(&self.spec.id, "id", &data)?;
        let (level, time) = {
            let mut topics = self.alerts.topics.lock();
            let find = |topics: &Topics, name: &Option<String>| {
                let topic = topics.topic(name.as_deref()?)?;
                topic.event(&id).cloned()
            };
            let (own_state, named_state) = (find(&topics, &own), find(&topics, &self.spec.topic));
            let level = |state: &Option<EventState>| state.as_ref().map_or(Level::Ok, |s| s.level);
            if level(&own_state) != level(&named_state) {
                match (&own_state, &named_state, &own, &self.spec.topic) {
                    (Some(state), Some(_), _, Some(named)) => {
                        topics.update(named, &id, state.clone())
                    }
                    (None, Some(state), Some(own), _) => topics.update(own, &id, state.clone()),
                    _ => {}
                }
            }
            own_state
                .or(named_state)
                .map_or((Level::Ok, NEVER), |s| (s.level, s.time))
        };
        if level != Level::Ok {
            let spec = &self.spec;
            let state = self
                .states
                .get_mut(index)
                .ok_or_else(|| Error::internal("an alert lost a group's state"))?;
            state.add(first.time, level, spec);
            state.triggered(time, &self.alerts);
        }
        Ok(())
    }

    fn state(&mut self, index: usize) -> Result<&mut AlertState> {
        self.states
            .get_mut(index)
            .ok_or_else(|| Error::internal("an alert lost a group's state"))
    }

    fn points(
        &mut self,
        points: Points,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        let data = &points.data;
        let point_times = times(data)?;
        let mut levels = LevelEvaluation::new(self, data)?;
        let (mut emitted, mut rendered) = (Vec::new(), Vec::new());
        // The rows' states as the last message with the same groups found them, else
        // found (or made) row by row.
        let known = self.states.take_row_indices(&points.groups);
        let mut found = Vec::with_capacity(if known.is_some() { 0 } else { data.num_rows() });
        for (row, &t) in point_times.iter().enumerate() {
            let index = match &known {
                Some(indices) => indices[row],
                None => {
                    let first = FirstMessage {
                        name: &points.name,
                        tags: &|| tags_and_fields(&point_row(&points, row)).0,
                        time: t,
                    };
                    let index = self.state_of(&points.groups[row], first, ctx.node())?;
                    found.push(index);
                    index
                }
            };
            let current = self.state(index)?.current();
            let level = levels.level(&mut self.lambdas, data, row, current, ctx)?;
            let spec = &self.spec;
            let Some(state) = self.states.get_mut(index) else {
                return Err(Error::internal("an alert lost a group's state"));
            };
            state.add(t, level, spec);
            if state.suppressed(spec) || (level == Level::Ok && !state.changed) {
                continue;
            }
            state.triggered(t, &self.alerts);
            if spec.no_recoveries && level == Level::Ok {
                continue;
            }
            let e = Emitted {
                row,
                level,
                duration: state.duration(),
            };
            // Published at once, in order: a group made by a later row resumes from it.
            let point = point_row(&points, row);
            let (tags, fields) = tags_and_fields(&point);
            let input = EventInput {
                name: &points.name,
                group: &points.groups[row],
                tags,
                fields,
                level,
                time: t,
                duration: e.duration,
                row: point,
            };
            rendered.push(self.event(input, ctx.node())?);
            emitted.push(e);
        }
        self.states
            .keep_row_indices(&points.groups, known.unwrap_or(found));
        if emitted.is_empty() {
            return Ok(());
        }
        let rows: Vec<u32> = emitted.iter().map(|e| e.row as u32).collect();
        let indices = arrow::array::UInt32Array::from(rows);
        let columns = data
            .columns()
            .iter()
            .map(|c| arrow::compute::take(c, &indices, None))
            .collect::<std::result::Result<Vec<ArrayRef>, _>>()?;
        let kept = RecordBatch::try_new(data.schema(), columns)?;
        let groups: Arc<[Arc<Group>]> = emitted
            .iter()
            .map(|e| Arc::clone(&points.groups[e.row]))
            .collect();
        let augmented = self.augment(&kept, &emitted, &rendered)?;
        out.push(Message::Points(Points {
            name: points.name,
            data: augmented,
            groups,
        }));
        Ok(())
    }

    fn batch(&mut self, batch: Batch, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let first = FirstMessage {
            name: &batch.name,
            tags: &|| batch.group.tags.clone(),
            time: batch.tmax,
        };
        // An empty batch makes its group's state too (which resumes from the topics).
        let index = self.state_of(&batch.group, first, ctx.node())?;
        if batch.data.num_rows() == 0 {
            return Ok(());
        }
        let current = self.state(index)?.current();
        let data = &batch.data;
        let point_times = times(data)?;
        let mut levels = LevelEvaluation::new(self, data)?;
        let (mut lowest, mut highest, mut highest_row) = (Level::Critical, Level::Ok, None);
        for row in 0..data.num_rows() {
            let level = levels.level(&mut self.lambdas, data, row, current, ctx)?;
            lowest = lowest.min(level);
            if level > highest || highest_row.is_none() {
                highest = level;
                highest_row = Some(row);
            }
        }
        let highest_row = highest_row.unwrap_or(0);
        let level = if self.spec.all { lowest } else { highest };
        let t = if self.spec.all || level == Level::Ok {
            batch.tmax
        } else {
            point_times[highest_row]
        };
        let spec = &self.spec;
        let Some(state) = self.states.get_mut(index) else {
            return Err(Error::internal("an alert lost a group's state"));
        };
        state.add(t, level, spec);
        // A batch's recovery is sent even while the level flaps, as in Kapacitor.
        let send = (state.changed && level == Level::Ok)
            || (level != Level::Ok && !state.suppressed(spec));
        if !send {
            return Ok(());
        }
        state.triggered(t, &self.alerts);
        if spec.no_recoveries && level == Level::Ok {
            return Ok(());
        }
        let duration = state.duration();
        let point = Points {
            name: Arc::clone(&batch.name),
            data: data.slice(highest_row, 1),
            groups: vec![Arc::clone(&batch.group)].into(),
        };
        let (_, fields) = tags_and_fields(&point_row(&point, 0));
        let input = EventInput {
            name: &batch.name,
            group: &batch.group,
            tags: batch.group.tags.clone(),
            fields,
            level,
            time: t,
            duration,
            row: batch_row(&batch),
        };
        let rendered = self.event(input, ctx.node())?;
        let emitted: Vec<Emitted> = (0..data.num_rows())
            .map(|row| Emitted {
                row,
                level,
                duration,
            })
            .collect();
        let rendered_rows: Vec<Rendered> = (0..data.num_rows())
            .map(|_| Rendered {
                id: rendered.id.clone(),
                message: rendered.message.clone(),
            })
            .collect();
        let augmented = self.augment(data, &emitted, &rendered_rows)?;
        // The level and id tags become dimensions of the batch's group, as in Kapacitor.
        let mut tags = batch.group.tags.clone();
        for (name, value) in [
            (&self.spec.level_tag, level.as_str()),
            (&self.spec.id_tag, rendered.id.as_str()),
        ] {
            if let Some(name) = name {
                tags.retain(|(k, _)| k != name);
                tags.push((name.clone(), value.to_owned()));
            }
        }
        let group = if tags == batch.group.tags {
            batch.group
        } else {
            Arc::new(Group::new(tags, batch.group.name.clone()))
        };
        out.push(Message::Batch(Batch {
            data: augmented,
            group,
            ..batch
        }));
        Ok(())
    }

    /// Renders the event of `input`, publishes it (unless inhibited), and returns its id
    /// and message for the data.
    fn event(&self, input: EventInput<'_>, node: &str) -> Result<Rendered> {
        let mut data = self.template_data(input.name, input.group, input.tags.clone());
        let id = render(&self.spec.id, "id", &data)?;
        for (name, value) in [
            ("ID", TemplateValue::Str(id.clone())),
            ("Fields", TemplateValue::interfaces(input.fields)),
            ("Level", TemplateValue::Str(input.level.as_str().to_owned())),
            ("Time", TemplateValue::Time(input.time)),
            ("Duration", TemplateValue::Duration(input.duration)),
        ] {
            add_field(&mut data, name, value);
        }
        let message = render(&self.spec.message, "message", &data)?;
        add_field(&mut data, "Message", TemplateValue::Str(message.clone()));
        let details = render(&self.spec.details, "details", &data)?;
        if self
            .alerts
            .inhibitors
            .inhibits(&self.spec.category, &input.tags)
        {
            self.inhibited.set(self.inhibited.get() + 1);
            return Ok(Rendered { id, message });
        }
        let mut triggered = self.triggered.get();
        triggered[input.level as usize] += 1;
        self.triggered.set(triggered);
        let mut topics = Vec::new();
        if !self.spec.handlers.is_empty() {
            topics.push(Self::own_topic(&self.alerts, &self.task, node));
        }
        topics.extend(self.spec.topic.iter().cloned());
        if topics.is_empty() {
            // Nothing collects the event: only the point goes on.
            return Ok(Rendered { id, message });
        }
        let event = AlertEvent {
            id: id.clone(),
            message: message.clone(),
            details,
            time: input.time,
            duration: input.duration,
            level: input.level,
            data: AlertData {
                series: vec![series(&input.row)],
            },
            previous_level: Level::Ok,
            recoverable: !self.spec.no_recoveries,
        };
        for topic in topics {
            let mut published = TopicEvent {
                topic,
                task: self.task.clone(),
                name: input.name.to_owned(),
                group: input.group.id.clone(),
                category: self.spec.category.clone(),
                tags: input.tags.clone(),
                event: event.clone(),
            };
            self.alerts.topics.lock().collect(&mut published);
            if let Err(undelivered) = self.alerts.sink.send(published) {
                tracing::error!(node, id = %event.id, %undelivered, "alert event not delivered");
            }
        }
        Ok(Rendered { id, message })
    }

    /// What the id template sees of a message of `group` named `name` with `tags`; the
    /// message and details templates see more.
    fn template_data(
        &self,
        name: &str,
        group: &Group,
        tags: Vec<(String, String)>,
    ) -> TemplateValue {
        let group = if group.id.is_empty() {
            "nil".to_owned()
        } else {
            group.id.clone()
        };
        let server = &self.alerts.server;
        TemplateValue::structure([
            ("Name", TemplateValue::Str(name.to_owned())),
            ("TaskName", TemplateValue::Str(self.task.clone())),
            ("Group", TemplateValue::Str(group)),
            ("Tags", TemplateValue::strings(tags)),
            (
                "ServerInfo",
                TemplateValue::structure([
                    ("Hostname", TemplateValue::Str(server.hostname.clone())),
                    ("ClusterID", TemplateValue::Str(server.cluster_id.clone())),
                    ("ServerID", TemplateValue::Str(server.server_id.clone())),
                ]),
            ),
        ])
    }

    /// The emitted rows `data` with the level, message, id and duration added as the
    /// script asks.
    fn augment(
        &self,
        data: &RecordBatch,
        emitted: &[Emitted],
        rendered: &[Rendered],
    ) -> Result<RecordBatch> {
        let spec = &self.spec;
        let mut data = data.clone();
        let levels: Vec<&str> = emitted.iter().map(|e| e.level.as_str()).collect();
        let ids: Vec<&str> = rendered.iter().map(|r| r.id.as_str()).collect();
        if let Some(name) = &spec.level_tag {
            data = set_tag(&data, name, &levels)?;
        }
        if let Some(name) = &spec.id_tag {
            data = set_tag(&data, name, &ids)?;
        }
        let strings =
            |values: &[&str]| -> ArrayRef { Arc::new(StringArray::from(values.to_vec())) };
        if let Some(name) = &spec.level_field {
            data = set_field(&data, name, FieldType::String, strings(&levels))?;
        }
        if let Some(name) = &spec.message_field {
            let messages: Vec<&str> = rendered.iter().map(|r| r.message.as_str()).collect();
            data = set_field(&data, name, FieldType::String, strings(&messages))?;
        }
        if let Some(name) = &spec.id_field {
            data = set_field(&data, name, FieldType::String, strings(&ids))?;
        }
        if let Some(name) = &spec.duration_field {
            let durations: ArrayRef = Arc::new(Int64Array::from_iter_values(
                emitted.iter().map(|e| e.duration),
            ));
            data = set_field(&data, name, FieldType::Integer, durations)?;
        }
        Ok(data)
    }
}

impl Drop for AlertOperator {
    fn drop(&mut self) {
        self.alerts
            .inhibitors
            .remove(std::mem::take(&mut self.inhibitor_ids));
    }
}

/// The first message of a group, whose alert id a new group's state resumes.
struct FirstMessage<'a> {
    name: &'a str,
    /// Its tags (a batch's: its group's), found only for a new group.
    tags: &'a dyn Fn() -> Vec<(String, String)>,
    time: i64,
}

/// Adds field `name` to the template data `data`, a struct.
fn add_field(data: &mut TemplateValue, name: &str, value: TemplateValue) {
    if let TemplateValue::Struct(fields) = data {
        fields.push((name.to_owned(), value));
    }
}

/// Renders `template` (the alert's `what`) over `data`.
fn render(
    template: &condenser_model::template::Template,
    what: &str,
    data: &TemplateValue,
) -> Result<String> {
    template
        .render(data)
        .map_err(|e| Error::Data(format!("rendering the alert's {what}: {e}")))
}

/// How the lambdas of one message are evaluated: all rows at once, or row by row.
enum LevelEvaluation {
    /// Each lambda's result over every row (`Some(holds)`, or `None` where it failed),
    /// and each row's level when its group is OK: the highest whose lambda holds, `None`
    /// where a lambda failed before one held (the row then takes the long way, which
    /// reports the failure).
    Vectorized {
        results: [Option<Vec<Option<bool>>>; 6],
        from_ok: Vec<Option<Level>>,
    },
    /// A stateful lambda: each is evaluated on its row when Kapacitor would evaluate it.
    RowByRow,
}

/// The names of the levels above OK, for error messages.
const LEVEL_NAMES: [&str; 6] = [
    "info",
    "warn",
    "crit",
    "infoReset",
    "warnReset",
    "critReset",
];

impl LevelEvaluation {
    fn new(alert: &mut AlertOperator, data: &RecordBatch) -> Result<Self> {
        if alert.row_by_row {
            return Ok(LevelEvaluation::RowByRow);
        }
        let mut results: [Option<Vec<Option<bool>>>; 6] = Default::default();
        for (result, lambda) in results.iter_mut().zip(alert.lambdas.iter_mut()) {
            if let Some(lambda) = lambda {
                *result = Some(booleans(&lambda.evaluate(data, Vec::new)?));
            }
        }
        let from_ok = (0..data.num_rows())
            .map(|row| {
                for level in [Level::Critical, Level::Warning, Level::Info] {
                    match results[level as usize - 1].as_ref().map(|r| r[row]) {
                        Some(Some(true)) => return Some(level),
                        Some(None) => return None,
                        _ => {}
                    }
                }
                Some(Level::Ok)
            })
            .collect();
        Ok(LevelEvaluation::Vectorized { results, from_ok })
    }

    /// Whether lambda `k` holds on `row`: `None` when it is not set, `Some(None)` when it
    /// failed (counted as an error of the node).
    fn holds(
        &mut self,
        lambdas: &mut [Option<Lambda>; 6],
        data: &RecordBatch,
        k: usize,
        row: usize,
        ctx: &mut Context<'_>,
    ) -> Result<Option<Option<bool>>> {
        let result = match self {
            LevelEvaluation::Vectorized { results, .. } => match &results[k] {
                None => return Ok(None),
                Some(values) => values[row],
            },
            LevelEvaluation::RowByRow => match &mut lambdas[k] {
                None => return Ok(None),
                Some(lambda) => {
                    let none = Group::none();
                    let value = lambda.evaluate(&data.slice(row, 1), || vec![&none])?;
                    booleans(&value)[0]
                }
            },
        };
        if result.is_none() {
            ctx.fail(&format_args!(
                "error evaluating expression for level {}",
                LEVEL_NAMES[k]
            ));
        }
        Ok(Some(result))
    }

    /// The first level from `start` down to above `stop` whose lambda holds.
    fn first_match(
        &mut self,
        lambdas: &mut [Option<Lambda>; 6],
        data: &RecordBatch,
        row: usize,
        start: Level,
        stop: Level,
        ctx: &mut Context<'_>,
    ) -> Result<Option<Level>> {
        for level in Level::ALL.into_iter().rev() {
            if level > start || level <= stop {
                continue;
            }
            let k = level as usize - 1;
            if self.holds(lambdas, data, k, row, ctx)? == Some(Some(true)) {
                return Ok(Some(level));
            }
        }
        Ok(None)
    }

    /// Kapacitor's `determineLevel` of `row`, the group's level being `current`.
    fn level(
        &mut self,
        lambdas: &mut [Option<Lambda>; 6],
        data: &RecordBatch,
        row: usize,
        current: Level,
        ctx: &mut Context<'_>,
    ) -> Result<Level> {
        if let (Level::Ok, LevelEvaluation::Vectorized { from_ok, .. }) = (current, &*self)
            && let Some(level) = from_ok[row]
        {
            return Ok(level);
        }
        // The levels from the current one up, highest first.
        let below = Level::ALL[(current as usize).saturating_sub(1)];
        let up = self.first_match(lambdas, data, row, Level::Critical, below, ctx)?;
        if let Some(level) = up {
            return Ok(level);
        }
        if current != Level::Ok
            && let Some(Some(false)) = self.holds(lambdas, data, current as usize + 2, row, ctx)?
        {
            return Ok(current);
        }
        Ok(self
            .first_match(lambdas, data, row, current, Level::Ok, ctx)?
            .unwrap_or(Level::Ok))
    }
}

/// A lambda's result as a boolean per row; `None` where it failed or is no boolean.
fn booleans(result: &ArrayRef) -> Vec<Option<bool>> {
    match result.as_boolean_opt() {
        Some(values) => values.iter().collect(),
        None => vec![None; result.len()],
    }
}

/// A point's fields as templates see them, by name.
type TemplateFields = Vec<(String, TemplateValue)>;

/// The tags and the fields (for templates) of a point's result row.
fn tags_and_fields(row: &Json) -> (Vec<(String, String)>, TemplateFields) {
    let tags = row
        .get("tags")
        .and_then(Json::as_object)
        .map(|tags| {
            tags.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let columns = row.get("columns").and_then(Json::as_array);
    let values = row
        .get("values")
        .and_then(Json::as_array)
        .and_then(|rows| rows.first())
        .and_then(Json::as_array);
    let fields = match (columns, values) {
        (Some(columns), Some(values)) => columns
            .iter()
            .zip(values)
            .skip(1)
            .map(|(name, value)| {
                (
                    name.as_str().unwrap_or_default().to_owned(),
                    template_value(value),
                )
            })
            .collect(),
        _ => Vec::new(),
    };
    (tags, fields)
}

/// A field's JSON value as a template sees it.
fn template_value(value: &Json) -> TemplateValue {
    match value {
        Json::Bool(b) => TemplateValue::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => TemplateValue::Int(i),
            _ => TemplateValue::Float(n.as_f64().unwrap_or_default()),
        },
        Json::String(s) => TemplateValue::Str(s.clone()),
        _ => TemplateValue::Nil,
    }
}

/// A result row (`point_row`, `batch_row`) as the event's series.
fn series(row: &Json) -> Series {
    let strings = |key: &str| -> Vec<String> {
        row.get(key)
            .and_then(Json::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Series {
        name: row
            .get("name")
            .and_then(Json::as_str)
            .unwrap_or_default()
            .to_owned(),
        tags: row
            .get("tags")
            .and_then(Json::as_object)
            .map(|tags| {
                tags.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        columns: strings("columns"),
        values: row
            .get("values")
            .and_then(Json::as_array)
            .map(|rows| {
                rows.iter()
                    .map(|r| r.as_array().cloned().unwrap_or_default())
                    .collect()
            })
            .unwrap_or_default(),
    }
}

impl fmt::Display for AlertOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Alert: {}", self.spec)
    }
}

impl Operator for AlertOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => self.points(points, ctx, out),
            Data::Batch(batch) => self.batch(batch, ctx, out),
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, ctx, out)?;
                }
                Ok(())
            }
        }
    }

    fn forget_group(&mut self, group: &Group) {
        if let Some(state) = self.states.remove(&group.id) {
            // Kapacitor keeps a deleted group's inhibitors until the node stops; so does
            // Condenser (they stay in `inhibitor_ids`).
            let _ = state;
        }
    }

    fn cardinality(&self) -> usize {
        self.states.len()
    }

    fn counters(&self) -> Vec<(&'static str, u64)> {
        let [oks, infos, warns, crits] = self.triggered.get();
        vec![
            ("alerts_inhibited", self.inhibited.get()),
            ("alerts_triggered", oks + infos + warns + crits),
            ("crits_triggered", crits),
            ("infos_triggered", infos),
            ("oks_triggered", oks),
            ("warns_triggered", warns),
        ]
    }
}
