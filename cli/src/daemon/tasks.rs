//! [`Tasks`]: the daemon's defined tasks, the one implementation behind Kapacitor's HTTP API
//! (and the control plane): define, update, enable, disable, list, show and delete, each
//! stored before it is answered, and the enabled ones running in the engine.
//!
//! A task is checked as Kapacitor checks it when it is defined (a TICKscript error is
//! refused with its line, column and caret). A stored task whose script no longer starts
//! (after an upgrade, say) is loaded disabled with its error kept, never dropped.

use std::collections::BTreeMap;
use std::sync::Arc;

use condenser_engine::{Dbrp, EngineHandle};
use condenser_handlers::HandlerService;
use condenser_planner::{DeadmanConfig, TaskType, check_with};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use tokio::sync::Mutex;

use super::store::{Collection, Store, StoreError};
use crate::control::proto;

/// A task's kind, as Kapacitor names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TaskKind {
    /// Its script starts with `stream`.
    Stream,
    /// Its script starts with `batch`.
    Batch,
}

impl TaskKind {
    /// The control plane's type.
    pub(crate) fn to_proto(self) -> proto::TaskType {
        match self {
            TaskKind::Stream => proto::TaskType::Stream,
            TaskKind::Batch => proto::TaskType::Batch,
        }
    }

    /// The control plane's type; `None` for unspecified.
    pub(crate) fn from_proto(kind: proto::TaskType) -> Option<Self> {
        match kind {
            proto::TaskType::Stream => Some(TaskKind::Stream),
            proto::TaskType::Batch => Some(TaskKind::Batch),
            proto::TaskType::Unspecified => None,
        }
    }

    fn planner(self) -> TaskType {
        match self {
            TaskKind::Stream => TaskType::Stream,
            TaskKind::Batch => TaskType::Batch,
        }
    }
}

/// Whether a task should run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TaskStatus {
    /// It runs (or should: see the task's error).
    Enabled,
    /// It is kept but does not run.
    Disabled,
}

impl TaskStatus {
    /// The control plane's status.
    pub(crate) fn to_proto(self) -> proto::TaskStatus {
        match self {
            TaskStatus::Enabled => proto::TaskStatus::Enabled,
            TaskStatus::Disabled => proto::TaskStatus::Disabled,
        }
    }

    /// The control plane's status; `None` for unspecified.
    pub(crate) fn from_proto(status: proto::TaskStatus) -> Option<Self> {
        match status {
            proto::TaskStatus::Enabled => Some(TaskStatus::Enabled),
            proto::TaskStatus::Disabled => Some(TaskStatus::Disabled),
            proto::TaskStatus::Unspecified => None,
        }
    }
}

/// A database and retention policy, as the API writes them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct DbrpRecord {
    /// The database.
    pub(crate) db: String,
    /// The retention policy.
    pub(crate) rp: String,
}

/// A defined task, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TaskRecord {
    /// Its id.
    pub(crate) id: String,
    /// Stream or batch.
    pub(crate) kind: TaskKind,
    /// The databases and retention policies it reads.
    pub(crate) dbrps: Vec<DbrpRecord>,
    /// Its TICKscript, as defined.
    pub(crate) script: String,
    /// Whether it should run.
    pub(crate) status: TaskStatus,
    /// Why it does not run although enabled (empty when it runs or is disabled).
    #[serde(default)]
    pub(crate) error: String,
    /// The template it was made from (empty for none).
    #[serde(default)]
    pub(crate) template_id: String,
    /// The values it gives its script's vars, in Kapacitor's JSON (`{"x": {"type": "int",
    /// "value": 1}}`; empty for none).
    #[serde(default)]
    pub(crate) vars: Json,
    /// When it was defined, in nanoseconds since the epoch.
    pub(crate) created: i64,
    /// When it last changed.
    pub(crate) modified: i64,
    /// When it was last enabled (`None`: never).
    #[serde(default)]
    pub(crate) last_enabled: Option<i64>,
}

/// What a define or an update asks for; a field left out keeps the task's value (a new
/// task's defaults: disabled, the script's `dbrp` statements). The kind is the script's.
#[derive(Debug, Clone, Default)]
pub(crate) struct TaskChange {
    /// The databases and retention policies.
    pub(crate) dbrps: Option<Vec<DbrpRecord>>,
    /// The TICKscript (ignored for a task made from a template: the template's counts).
    pub(crate) script: Option<String>,
    /// Enabled or disabled.
    pub(crate) status: Option<TaskStatus>,
    /// The template to make the task from.
    pub(crate) template_id: Option<String>,
    /// The values of its script's vars, in Kapacitor's JSON.
    pub(crate) vars: Option<Json>,
}

/// A task template, as the store keeps it: a script whose vars tasks made from it set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct TemplateRecord {
    /// Its id.
    pub(crate) id: String,
    /// Stream or batch.
    pub(crate) kind: TaskKind,
    /// Its TICKscript.
    pub(crate) script: String,
    /// When it was defined, in nanoseconds since the epoch.
    pub(crate) created: i64,
    /// When it last changed.
    pub(crate) modified: i64,
}

/// What defining or changing a template asks for; a field left out keeps its value.
#[derive(Debug, Clone, Default)]
pub(crate) struct TemplateChange {
    /// Stream or batch (a new template's is its script's).
    pub(crate) kind: Option<TaskKind>,
    /// The TICKscript.
    pub(crate) script: Option<String>,
}

/// A template as `show-template` sees it: its record, its static DOT graph, and the vars
/// tasks made from it may set (by name, in Kapacitor's JSON, with their defaults).
#[derive(Debug, Clone)]
pub(crate) struct TemplateView {
    /// The stored template.
    pub(crate) record: TemplateRecord,
    /// Its static DOT graph.
    pub(crate) dot: String,
    /// Its vars.
    pub(crate) vars: Json,
    /// Why its script no longer checks (empty when it does).
    pub(crate) error: String,
}

/// A task as `show` and `list` see it: its record, whether it runs, and its DOT graph (with
/// the nodes' statistics while it runs).
#[derive(Debug, Clone)]
pub(crate) struct TaskView {
    /// The stored task.
    pub(crate) record: TaskRecord,
    /// Its DOT graph (empty when it neither runs nor checks).
    pub(crate) dot: String,
    /// Its nodes' statistics while it runs in the engine (`None`: it does not run).
    pub(crate) nodes: Option<Vec<condenser_engine::statistics::NodeStatistics>>,
    /// Points (or batches) a second its source took in lately (0 when it does not run).
    pub(crate) throughput: f64,
}

impl TaskView {
    /// The task as the control plane's message (and, through it, Kapacitor's JSON).
    pub(crate) fn to_proto(&self) -> proto::Task {
        let record = &self.record;
        proto::Task {
            id: record.id.clone(),
            r#type: record.kind.to_proto().into(),
            dbrps: record
                .dbrps
                .iter()
                .map(|d| proto::Dbrp {
                    db: d.db.clone(),
                    rp: d.rp.clone(),
                })
                .collect(),
            script: record.script.clone(),
            status: record.status.to_proto().into(),
            executing: self.nodes.is_some(),
            error: record.error.clone(),
            template_id: record.template_id.clone(),
            vars_json: vars_text(&record.vars),
            created: record.created,
            modified: record.modified,
            last_enabled: record.last_enabled,
            dot: self.dot.clone(),
            throughput: self.throughput,
            nodes: self
                .nodes
                .iter()
                .flatten()
                .map(|node| proto::NodeStatistics {
                    name: node.name.clone(),
                    collected: node.collected,
                    emitted: node.emitted,
                    errors: node.errors,
                    working_cardinality: node.working_cardinality as u64,
                    avg_exec_time_ns: node.average_exec_time().as_nanos() as u64,
                    counters: node
                        .counters
                        .iter()
                        .map(|&(name, value)| (name.to_owned(), value))
                        .collect(),
                })
                .collect(),
        }
    }
}

/// Vars as the control plane carries them: Kapacitor's JSON text (empty for none).
fn vars_text(vars: &Json) -> String {
    match vars {
        Json::Object(map) if !map.is_empty() => vars.to_string(),
        _ => String::new(),
    }
}

impl TemplateView {
    /// The template as the control plane's message.
    pub(crate) fn to_proto(&self) -> proto::Template {
        let record = &self.record;
        proto::Template {
            id: record.id.clone(),
            r#type: record.kind.to_proto().into(),
            script: record.script.clone(),
            vars_json: vars_text(&self.vars),
            dot: self.dot.clone(),
            error: self.error.clone(),
            created: record.created,
            modified: record.modified,
        }
    }
}

/// Why a task operation was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TaskError {
    /// No task has the id (the message says what could not be done).
    #[error("{0}")]
    NotFound(String),
    /// The task is stored but could not start (its error is kept with it).
    #[error("{0}")]
    StartFailed(String),
    /// What was asked for is not a valid task.
    #[error("{0}")]
    Invalid(String),
    /// The store failed; nothing changed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine stopped.
    #[error("the engine stopped")]
    Stopped,
}

/// The daemon's tasks.
pub(crate) struct Tasks {
    store: Arc<Store>,
    engine: EngineHandle,
    handlers: Arc<HandlerService>,
    deadman: DeadmanConfig,
    /// The tasks and templates; held across a change so that changes happen one at a time.
    state: Mutex<State>,
    /// The handler topics each running task registered, to deregister when it stops.
    topics: std::sync::Mutex<BTreeMap<String, Vec<String>>>,
}

impl std::fmt::Debug for Tasks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tasks").field("store", &self.store).finish()
    }
}

/// The daemon's tasks and templates, by id.
#[derive(Debug, Default)]
struct State {
    tasks: BTreeMap<String, TaskRecord>,
    templates: BTreeMap<String, TemplateRecord>,
}

/// Kapacitor's rule for ids: letters, digits, `-`, `_` and `.`.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl Tasks {
    /// The tasks of `store`, the enabled ones started in `engine` with their handlers
    /// registered in `handlers`; one that cannot start is kept disabled with its error.
    pub(crate) async fn load(
        store: Arc<Store>,
        engine: EngineHandle,
        handlers: Arc<HandlerService>,
        deadman: DeadmanConfig,
    ) -> Result<Self, TaskError> {
        let stored: Vec<(String, TaskRecord)> = store.all(Collection::TASKS)?;
        let templates: Vec<(String, TemplateRecord)> = store.all(Collection::TEMPLATES)?;
        let tasks = Self {
            store,
            engine,
            handlers,
            deadman,
            state: Mutex::new(State {
                tasks: BTreeMap::new(),
                templates: templates.into_iter().collect(),
            }),
            topics: std::sync::Mutex::default(),
        };
        let mut state = tasks.state.lock().await;
        let records = &mut state.tasks;
        for (id, mut record) in stored {
            if record.status == TaskStatus::Enabled {
                match tasks.start(&record).await {
                    Ok(()) => record.error.clear(),
                    Err(TaskError::Invalid(error)) => {
                        tracing::error!(task = %id, %error, "a stored task cannot start; it is kept disabled");
                        record.status = TaskStatus::Disabled;
                        record.error = error;
                        tasks.store.put(Collection::TASKS, &id, &record)?;
                    }
                    Err(error) => return Err(error),
                }
            }
            records.insert(id, record);
        }
        drop(state);
        Ok(tasks)
    }

    /// The engine the tasks run in.
    pub(crate) fn engine(&self) -> &EngineHandle {
        &self.engine
    }

    /// Gives the engine back, for the daemon to stop it once nothing else writes.
    pub(crate) fn into_engine(self) -> EngineHandle {
        self.engine
    }

    /// Checks `record`'s script with its vars and lowers it to a plan with its dbrps.
    fn plan(
        &self,
        record: &TaskRecord,
    ) -> Result<(datafusion_expr::LogicalPlan, Vec<Dbrp>), TaskError> {
        let plan = self.lower(&record.id, record.kind, &record.script, Some(&record.vars))?;
        let dbrps = record
            .dbrps
            .iter()
            .map(|d| Dbrp::new(d.db.as_str(), d.rp.as_str()))
            .collect();
        Ok((plan, dbrps))
    }

    /// Checks `script` (of task or template `id`) as `kind`, with `vars` when given (as
    /// [`Tasks::check`]), and lowers it to a plan.
    fn lower(
        &self,
        id: &str,
        kind: TaskKind,
        script: &str,
        vars: Option<&Json>,
    ) -> Result<datafusion_expr::LogicalPlan, TaskError> {
        let vars = vars.map(task_vars).transpose()?;
        let checked = check_with(script, kind.planner(), vars.as_ref(), &self.deadman)
            .map_err(|d| TaskError::Invalid(d.render(script, id)))?;
        condenser_planner::plan::lower(&checked.pipeline)
            .map_err(|d| TaskError::Invalid(d.render(script, id)))
    }

    /// `record` built as a task that does not run (for its graph and its alert topics);
    /// `None` when it does not build.
    fn idle_task(&self, record: &TaskRecord) -> Option<condenser_engine::Task> {
        self.idle(&record.id, record.kind, &record.script, Some(&record.vars))
    }

    /// A script built as task `id` that does not run; `None` when it does not build.
    fn idle(
        &self,
        id: &str,
        kind: TaskKind,
        script: &str,
        vars: Option<&Json>,
    ) -> Option<condenser_engine::Task> {
        let plan = self.lower(id, kind, script, vars).ok()?;
        let env = condenser_engine::TaskEnv {
            name: id.to_owned(),
            ..condenser_engine::TaskEnv::default()
        };
        condenser_engine::Task::build(&plan, &env).ok()
    }

    /// Starts `record` in the engine and registers its alert handlers.
    async fn start(&self, record: &TaskRecord) -> Result<(), TaskError> {
        let (plan, dbrps) = self.plan(record)?;
        // Replays hand queryFlux() recorded results; the daemon would have to run Flux.
        if flux_query(&plan) {
            return Err(TaskError::Invalid(
                "queryFlux() cannot run in the daemon: Condenser does not run Flux queries \
                 (replay a recording with condenser test instead)"
                    .to_owned(),
            ));
        }
        let handlers = self
            .engine
            .define(&record.id, plan, dbrps)
            .await
            .map_err(|error| match error {
                condenser_engine::Error::Stopped => TaskError::Stopped,
                condenser_engine::Error::Script(d) => {
                    TaskError::Invalid(d.render(&record.script, &record.id))
                }
                other => TaskError::Invalid(other.to_string()),
            })?;
        let mut registered: Vec<String> = Vec::new();
        for (topic, specs) in &handlers {
            if let Err(error) = self.handlers.register(topic, specs) {
                for topic in registered {
                    self.handlers.deregister(&topic);
                }
                let _ = self.engine.delete(&record.id).await;
                return Err(TaskError::Invalid(error.to_string()));
            }
            registered.push(topic.clone());
        }
        self.topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(record.id.clone(), registered);
        Ok(())
    }

    /// Stops task `id` in the engine and forgets its handlers.
    async fn stop(&self, id: &str) -> Result<(), TaskError> {
        self.engine
            .delete(id)
            .await
            .map_err(|_| TaskError::Stopped)?;
        let topics = self
            .topics
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(id)
            .unwrap_or_default();
        // Deregistering waits for the handlers to finish what they hold: off the runtime.
        let handlers = Arc::clone(&self.handlers);
        tokio::task::spawn_blocking(move || {
            for topic in topics {
                handlers.deregister(&topic);
            }
        })
        .await
        .map_err(|_| TaskError::Stopped)?;
        Ok(())
    }

    /// The kind `script` is written for (batch when it names `batch` as a source) and the
    /// dbrps of its `dbrp` statements; a script that does not parse is refused.
    /// With `vars` (a task's), every var the script declares by type must be given; without
    /// (a template), they check with their type's zero value.
    fn inspect(
        &self,
        id: &str,
        script: &str,
        vars: Option<&Json>,
    ) -> Result<(TaskKind, Vec<DbrpRecord>), TaskError> {
        let (kind, pipeline) = self.check(id, script, vars)?;
        Ok((kind, script_dbrps(&pipeline)))
    }

    /// Checks `script` (of task or template `id`) as its kind, with `vars` when given.
    fn check(
        &self,
        id: &str,
        script: &str,
        vars: Option<&Json>,
    ) -> Result<(TaskKind, condenser_planner::Pipeline), TaskError> {
        let program = condenser_planner::tick::parse(script)
            .map_err(|d| TaskError::Invalid(d.render(script, id)))?;
        let kind = match TaskType::infer(&program) {
            TaskType::Stream => TaskKind::Stream,
            TaskType::Batch => TaskKind::Batch,
        };
        let vars = vars.map(task_vars).transpose()?;
        let checked =
            check_with(script, kind.planner(), vars.as_ref(), &self.deadman).map_err(|d| {
                TaskError::Invalid(format!("invalid TICKscript: {}", d.render(script, id)))
            })?;
        Ok((kind, checked.pipeline))
    }
}

/// The `dbrp` statements of a checked script.
fn script_dbrps(pipeline: &condenser_planner::Pipeline) -> Vec<DbrpRecord> {
    pipeline
        .dbrps
        .iter()
        .map(|(db, rp)| DbrpRecord {
            db: db.clone(),
            rp: rp.clone(),
        })
        .collect()
}

/// A task's vars for the planner; refused when they are not Kapacitor's vars JSON.
fn task_vars(vars: &Json) -> Result<condenser_planner::Vars, TaskError> {
    match vars {
        Json::Null => Ok(condenser_planner::Vars::default()),
        vars => condenser_planner::Vars::from_json(&vars.to_string()).map_err(TaskError::Invalid),
    }
}

impl Tasks {
    /// Defines task `id`, as Kapacitor's `POST /tasks` does: refused when it exists or is
    /// not a valid task; stored (disabled unless asked otherwise), then started if enabled.
    /// A task that is stored but cannot start keeps its error, and the error is returned.
    pub(crate) async fn create(
        &self,
        id: &str,
        change: TaskChange,
        now: i64,
    ) -> Result<TaskRecord, TaskError> {
        if !valid_id(id) {
            return Err(TaskError::Invalid(format!(
                "task ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
            )));
        }
        let mut state = self.state.lock().await;
        if state.tasks.contains_key(id) {
            return Err(TaskError::Invalid(format!("task {id} already exists")));
        }
        let template_id = change.template_id.filter(|t| !t.is_empty());
        let script = match &template_id {
            Some(template) => state
                .templates
                .get(template)
                .map(|t| t.script.clone())
                .ok_or_else(|| unknown_template(template))?,
            None => change
                .script
                .filter(|s| !s.is_empty())
                .ok_or_else(|| TaskError::Invalid("must provide TICKscript".to_owned()))?,
        };
        let vars = normalized_vars(change.vars)?;
        let (kind, script_dbrps) = self.inspect(id, &script, Some(&vars))?;
        let given = change.dbrps.unwrap_or_default();
        let dbrps = match (script_dbrps.is_empty(), given.is_empty()) {
            (true, true) => return Err(TaskError::Invalid("must specify dbrp".to_owned())),
            (false, false) => {
                return Err(TaskError::Invalid(
                    "cannot specify dbrp in both implicitly and explicitly".to_owned(),
                ));
            }
            (false, true) => script_dbrps,
            (true, false) => given,
        };
        let status = change.status.unwrap_or(TaskStatus::Disabled);
        let mut record = TaskRecord {
            id: id.to_owned(),
            kind,
            dbrps,
            script,
            status,
            error: String::new(),
            template_id: template_id.unwrap_or_default(),
            vars,
            created: now,
            modified: now,
            last_enabled: (status == TaskStatus::Enabled).then_some(now),
        };
        self.store.put(Collection::TASKS, id, &record)?;
        let started = if status == TaskStatus::Enabled {
            self.start_or_keep_error(&mut record).await
        } else {
            Ok(())
        };
        state.tasks.insert(id.to_owned(), record.clone());
        started.map(|()| record)
    }

    /// Changes task `id`, as Kapacitor's `PATCH /tasks/<id>` does: what `change` leaves out
    /// stays; a changed running task restarts; a status change starts or stops it. A task
    /// made from a template takes the template's script.
    pub(crate) async fn update(
        &self,
        id: &str,
        change: TaskChange,
        now: i64,
    ) -> Result<TaskRecord, TaskError> {
        let mut state = self.state.lock().await;
        let original =
            state.tasks.get(id).cloned().ok_or_else(|| {
                TaskError::NotFound("task does not exist, cannot update".to_owned())
            })?;
        let mut record = original.clone();
        if let Some(vars) = change.vars.filter(|v| !is_empty_vars(v)) {
            record.vars = normalized_vars(Some(vars))?;
        }
        let given = change.dbrps.unwrap_or_default();
        let asked_template = change.template_id.filter(|t| !t.is_empty());
        let template = asked_template
            .clone()
            .or_else(|| (!record.template_id.is_empty()).then(|| record.template_id.clone()));
        if let Some(template) = template {
            let script = state
                .templates
                .get(&template)
                .map(|t| t.script.clone())
                .ok_or_else(|| unknown_template(asked_template.as_deref().unwrap_or(&template)))?;
            record.script = script;
            record.template_id = template;
        } else {
            let old_script_dbrps = self
                .inspect(id, &original.script, None)
                .map(|(_, dbrps)| dbrps)
                .unwrap_or_default();
            if let Some(script) = change.script.filter(|s| !s.is_empty()) {
                record.script = script;
            }
            let new_script_dbrps = self
                .inspect(id, &record.script, None)
                .map(|(_, dbrps)| dbrps)
                .unwrap_or_default();
            if record.script != original.script
                && !old_script_dbrps.is_empty()
                && new_script_dbrps.is_empty()
                && given.is_empty()
            {
                return Err(TaskError::Invalid("must specify dbrp".to_owned()));
            }
        }
        let (kind, script_dbrps) = self.inspect(id, &record.script, Some(&record.vars))?;
        match (script_dbrps.is_empty(), given.is_empty()) {
            (false, false) => {
                return Err(TaskError::Invalid(
                    "cannot specify dbrp in implicitly and explicitly".to_owned(),
                ));
            }
            (false, true) => record.dbrps = script_dbrps,
            (true, false) => record.dbrps = given,
            (true, true) => {}
        }
        record.kind = kind;
        if let Some(status) = change.status {
            record.status = status;
        }
        record.modified = now;
        let record = self.replace(&original, record).await?;
        state.tasks.insert(id.to_owned(), record.0.clone());
        record.1.map(|()| record.0)
    }

    /// Stores `record` in the place of `original` (the same task), stopping and starting
    /// it as its status and definition changed; the stored record, and whether it started
    /// when it should.
    async fn replace(
        &self,
        original: &TaskRecord,
        mut record: TaskRecord,
    ) -> Result<(TaskRecord, Result<(), TaskError>), TaskError> {
        let status_changed = record.status != original.status;
        if status_changed && record.status == TaskStatus::Enabled {
            record.last_enabled = Some(record.modified);
        }
        let was_running = original.status == TaskStatus::Enabled && original.error.is_empty();
        let definition_changed = record.script != original.script
            || record.dbrps != original.dbrps
            || record.kind != original.kind
            || record.vars != original.vars;
        if was_running && (record.status == TaskStatus::Disabled || definition_changed) {
            self.stop(&record.id).await?;
        }
        if record.status == TaskStatus::Disabled {
            record.error.clear();
        }
        self.store.put(Collection::TASKS, &record.id, &record)?;
        let started = if record.status == TaskStatus::Enabled
            && (status_changed || definition_changed || !was_running)
        {
            self.start_or_keep_error(&mut record).await
        } else {
            Ok(())
        };
        Ok((record, started))
    }

    /// Starts stored task `record`; when it cannot start, its error is stored with it (and
    /// returned), as Kapacitor keeps a task's last error.
    async fn start_or_keep_error(&self, record: &mut TaskRecord) -> Result<(), TaskError> {
        match self.start(record).await {
            Ok(()) => {
                if !record.error.is_empty() {
                    record.error.clear();
                    self.store.put(Collection::TASKS, &record.id, record)?;
                }
                Ok(())
            }
            Err(TaskError::Invalid(error)) => {
                record.error.clone_from(&error);
                self.store.put(Collection::TASKS, &record.id, record)?;
                Err(TaskError::StartFailed(error))
            }
            Err(other) => Err(other),
        }
    }

    /// Deletes task `id`, stopping it first; nothing to do when there is none.
    pub(crate) async fn delete(&self, id: &str) -> Result<(), TaskError> {
        // Deleting a task that does not exist is no error, as in Kapacitor.
        let mut state = self.state.lock().await;
        let Some(record) = state.tasks.get(id) else {
            return Ok(());
        };
        if record.status == TaskStatus::Enabled {
            self.stop(id).await?;
        }
        // Its alert nodes' own topics go with it (a new task of the same id starts afresh).
        let topics: Vec<String> = self
            .idle_task(record)
            .map(|task| {
                task.alert_handlers()
                    .iter()
                    .map(|(topic, _)| topic.clone())
                    .collect()
            })
            .unwrap_or_default();
        for topic in &topics {
            self.handlers.forget_topic(topic);
        }
        self.store.delete(Collection::TASKS, id)?;
        state.tasks.remove(id);
        Ok(())
    }

    /// Task `id`'s record and plan, with its dbrps, to run elsewhere (a replay).
    pub(crate) async fn plan_of(
        &self,
        id: &str,
    ) -> Result<(TaskRecord, datafusion_expr::LogicalPlan, Vec<Dbrp>), TaskError> {
        let record = self
            .state
            .lock()
            .await
            .tasks
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound("no task exists".to_owned()))?;
        let (plan, dbrps) = self.plan(&record)?;
        Ok((record, plan, dbrps))
    }

    /// The writes task `id` takes (whether or not it runs), for a recording.
    pub(crate) async fn route_of(&self, id: &str) -> Result<condenser_engine::Route, TaskError> {
        let (record, plan, dbrps) = self.plan_of(id).await?;
        let env = condenser_engine::TaskEnv {
            name: record.id.clone(),
            ..condenser_engine::TaskEnv::default()
        };
        let task = condenser_engine::Task::build(&plan, &env)
            .map_err(|e| TaskError::Invalid(e.to_string()))?;
        Ok(condenser_engine::Route::new(&task, dbrps))
    }

    /// How many tasks there are, and how many of them are enabled.
    pub(crate) async fn counts(&self) -> (u64, u64) {
        let state = self.state.lock().await;
        let enabled = state
            .tasks
            .values()
            .filter(|t| t.status == TaskStatus::Enabled)
            .count();
        (state.tasks.len() as u64, enabled as u64)
    }

    /// Task `id` as `show` sees it.
    pub(crate) async fn get(&self, id: &str) -> Result<TaskView, TaskError> {
        let record = self
            .state
            .lock()
            .await
            .tasks
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound("no task exists".to_owned()))?;
        self.view(record).await
    }

    /// The tasks whose ids match `pattern` (Go's `filepath.Match` glob; every task when
    /// empty), in id order.
    pub(crate) async fn list(&self, pattern: &str) -> Result<Vec<TaskView>, TaskError> {
        let records: Vec<TaskRecord> = self
            .state
            .lock()
            .await
            .tasks
            .values()
            .filter(|r| pattern.is_empty() || glob_match(pattern, &r.id))
            .cloned()
            .collect();
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            views.push(self.view(record).await?);
        }
        Ok(views)
    }

    async fn view(&self, record: TaskRecord) -> Result<TaskView, TaskError> {
        let running = self
            .engine
            .running(&record.id)
            .await
            .map_err(|_| TaskError::Stopped)?;
        let (dot, nodes, throughput) = match running {
            Some(running) => (running.dot, Some(running.nodes), running.throughput),
            None => (
                self.idle_task(&record)
                    .map(|task| task.static_dot(&record.id))
                    .unwrap_or_default(),
                None,
                0.0,
            ),
        };
        Ok(TaskView {
            record,
            dot,
            nodes,
            throughput,
        })
    }
}

impl Tasks {
    /// Defines template `id`, as Kapacitor's `POST /templates` does: refused when it exists
    /// or its script does not check (as a template: vars declared by type get their type's
    /// zero value). Its kind is its script's.
    pub(crate) async fn create_template(
        &self,
        id: &str,
        change: TemplateChange,
        now: i64,
    ) -> Result<TemplateView, TaskError> {
        if !valid_id(id) {
            return Err(TaskError::Invalid(format!(
                "template ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
            )));
        }
        let mut state = self.state.lock().await;
        if state.templates.contains_key(id) {
            return Err(TaskError::Invalid(format!("template {id} already exists")));
        }
        let script = change
            .script
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| TaskError::Invalid("must provide TICKscript".to_owned()))?;
        let (kind, _) = self.check(id, &script, None)?;
        let record = TemplateRecord {
            id: id.to_owned(),
            kind,
            script,
            created: now,
            modified: now,
        };
        self.store.put(Collection::TEMPLATES, id, &record)?;
        state.templates.insert(id.to_owned(), record.clone());
        Ok(self.template_view(record))
    }

    /// Changes template `id`, as Kapacitor's `PATCH /templates/<id>` does, and every task
    /// made from it: their script and kind become the template's (their dbrps the script's
    /// when the old or the new script has `dbrp` statements); the running ones restart.
    /// A task that cannot start keeps its error.
    pub(crate) async fn update_template(
        &self,
        id: &str,
        change: TemplateChange,
        now: i64,
    ) -> Result<TemplateView, TaskError> {
        let mut state = self.state.lock().await;
        let original = state.templates.get(id).cloned().ok_or_else(|| {
            TaskError::NotFound("template does not exist, cannot update".to_owned())
        })?;
        let mut template = original.clone();
        if let Some(script) = change.script.filter(|s| !s.trim().is_empty()) {
            template.script = script;
        }
        if let Some(kind) = change.kind {
            template.kind = kind;
        }
        let (_, pipeline) = self.check(id, &template.script, None)?;
        let new_dbrps = script_dbrps(&pipeline);
        let old_dbrps = self
            .inspect(id, &original.script, None)
            .map(|(_, dbrps)| dbrps)
            .unwrap_or_default();
        template.modified = now;
        self.store.put(Collection::TEMPLATES, id, &template)?;
        state.templates.insert(id.to_owned(), template.clone());
        let made: Vec<TaskRecord> = state
            .tasks
            .values()
            .filter(|t| t.template_id == id)
            .cloned()
            .collect();
        for task in made {
            let mut record = task.clone();
            record.script.clone_from(&template.script);
            record.kind = template.kind;
            if !old_dbrps.is_empty() || !new_dbrps.is_empty() {
                record.dbrps.clone_from(&new_dbrps);
            }
            record.modified = now;
            let (record, started) = self.replace(&task, record).await?;
            if let Err(error) = started {
                tracing::error!(task = %record.id, template = %id, %error,
                    "a task made from the changed template cannot start");
            }
            state.tasks.insert(record.id.clone(), record);
        }
        Ok(self.template_view(template))
    }

    /// Deletes template `id` (nothing to do when there is none); the tasks made from it
    /// stay, as in Kapacitor.
    pub(crate) async fn delete_template(&self, id: &str) -> Result<(), TaskError> {
        let mut state = self.state.lock().await;
        if state.templates.remove(id).is_some() {
            self.store.delete(Collection::TEMPLATES, id)?;
        }
        Ok(())
    }

    /// Template `id` as `show-template` sees it.
    pub(crate) async fn get_template(&self, id: &str) -> Result<TemplateView, TaskError> {
        let record = self
            .state
            .lock()
            .await
            .templates
            .get(id)
            .cloned()
            .ok_or_else(|| TaskError::NotFound("no template exists".to_owned()))?;
        Ok(self.template_view(record))
    }

    /// The templates whose ids match `pattern` (every one when empty), in id order.
    pub(crate) async fn list_templates(&self, pattern: &str) -> Vec<TemplateView> {
        let records: Vec<TemplateRecord> = self
            .state
            .lock()
            .await
            .templates
            .values()
            .filter(|t| pattern.is_empty() || glob_match(pattern, &t.id))
            .cloned()
            .collect();
        records.into_iter().map(|r| self.template_view(r)).collect()
    }

    fn template_view(&self, record: TemplateRecord) -> TemplateView {
        let (vars, error) = match self.check(&record.id, &record.script, None) {
            Ok((_, pipeline)) => (
                Json::Object(
                    pipeline
                        .template_vars
                        .iter()
                        .map(|(name, var)| (name.clone(), var.to_json()))
                        .collect(),
                ),
                String::new(),
            ),
            Err(error) => (Json::Object(serde_json::Map::new()), error.to_string()),
        };
        let dot = self
            .idle(&record.id, record.kind, &record.script, None)
            .map(|task| task.static_dot(&record.id))
            .unwrap_or_default();
        TemplateView {
            record,
            dot,
            vars,
            error,
        }
    }
}

/// Kapacitor's refusal of a task made from a template that does not exist.
fn unknown_template(id: &str) -> TaskError {
    TaskError::Invalid(format!("unknown template {id}: err: no template exists"))
}

/// Whether `vars` gives no var.
fn is_empty_vars(vars: &Json) -> bool {
    match vars {
        Json::Null => true,
        Json::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// A task's vars as Kapacitor answers with them (`null` for none); refused when they are
/// not Kapacitor's vars JSON.
fn normalized_vars(vars: Option<Json>) -> Result<Json, TaskError> {
    match vars {
        Some(vars) if !is_empty_vars(&vars) => Ok(task_vars(&vars)?.to_json()),
        _ => Ok(Json::Null),
    }
}

/// Go's `filepath.Match` on a name without separators: `*` any run, `?` one character,
/// `[…]` a class (with ranges and `^` negation), `\` escaping the next character.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    fn class(p: &[char], c: char) -> Option<(bool, usize)> {
        // p starts after '['; the match and the length of the class up to and with ']'.
        let mut i = 0;
        let negate = p.first() == Some(&'^');
        if negate {
            i += 1;
        }
        let mut matched = false;
        let mut first = true;
        while i < p.len() {
            if p[i] == ']' && !first {
                return Some((matched != negate, i + 1));
            }
            first = false;
            let mut lo = p[i];
            if lo == '\\' {
                i += 1;
                lo = *p.get(i)?;
            }
            let mut hi = lo;
            if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|&c| c != ']') {
                hi = p[i + 2];
                if hi == '\\' {
                    hi = *p.get(i + 3)?;
                    i += 1;
                }
                i += 2;
            }
            if lo <= c && c <= hi {
                matched = true;
            }
            i += 1;
        }
        None
    }
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|k| go(&p[1..], &n[k..])),
            Some('?') => !n.is_empty() && go(&p[1..], &n[1..]),
            Some('[') => match (
                n.first(),
                class(&p[1..], n.first().copied().unwrap_or('\0')),
            ) {
                (Some(_), Some((true, len))) => go(&p[1 + len..], &n[1..]),
                _ => false,
            },
            Some('\\') if p.len() > 1 => n.first() == Some(&p[1]) && go(&p[2..], &n[1..]),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    go(&p, &n)
}

/// Whether a plan has a `queryFlux()` node.
fn flux_query(plan: &datafusion_expr::LogicalPlan) -> bool {
    let flux = match plan {
        datafusion_expr::LogicalPlan::Extension(extension) => extension
            .node
            .as_any()
            .downcast_ref::<condenser_planner::plan::TickNode>()
            .is_some_and(|tick| {
                matches!(&tick.spec, condenser_planner::nodes::NodeSpec::Query(spec)
                    if spec.language == condenser_planner::nodes::QueryLanguage::Flux)
            }),
        _ => false,
    };
    flux || plan.inputs().into_iter().any(flux_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_go_s_filepath_match() {
        assert!(glob_match("*", "cpu_alert"));
        assert!(glob_match("cpu*", "cpu_alert"));
        assert!(!glob_match("cpu*", "mem_alert"));
        assert!(glob_match("?pu_alert", "cpu_alert"));
        assert!(glob_match("[a-c]pu*", "cpu"));
        assert!(!glob_match("[^c]pu*", "cpu"));
        assert!(glob_match("http\\*", "http*"));
        assert!(!glob_match("http", "http-alert"));
    }

    #[test]
    fn ids_are_kapacitor_s() {
        assert!(valid_id("http-alert.v2_b"));
        assert!(!valid_id("a b"));
        assert!(!valid_id(""));
        assert!(!valid_id("a/b"));
    }

    #[test]
    fn a_flux_query_is_found_in_the_plan() {
        let plan = |script: &str| {
            let checked =
                check_with(script, TaskKind::Batch.planner(), None, &Default::default()).unwrap();
            condenser_planner::plan::lower(&checked.pipeline).unwrap()
        };
        assert!(flux_query(&plan(
            "batch|queryFlux('from(bucket: \"b\")').every(1m)|httpOut('x')"
        )));
        assert!(!flux_query(&plan(
            "batch|query('SELECT mean(v) FROM d.r.m').period(1m).every(1m)|httpOut('x')"
        )));
    }
}
