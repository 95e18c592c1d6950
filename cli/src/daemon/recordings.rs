//! [`Recordings`]: Kapacitor's recordings and replays on the daemon. A stream recording
//! copies, until its stop time, the writes a task takes into a file of the data directory
//! (`recordings/<id>.srpl`: database, retention policy and a line of line protocol per
//! point, as Kapacitor's test recordings, at nanosecond precision). A batch recording runs a
//! batch task's queries over a past time range, as their schedules would have, and keeps
//! what each gave (`recordings/<id>.<query>.brpl`, batches as JSON objects, as Kapacitor's
//! test recordings); a query recording runs one InfluxQL query, kept as a stream or a
//! batch recording. Either can be replayed offline with `condenser test`. A replay runs a task on
//! a recording in an engine of its own, its alert nodes' topics those of the replay's task
//! master (`<replay id>:<task>:<node>`), their handlers the task's, run by handlers of the
//! replay's own that deliver every event before the replay is finished.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use condenser_engine::Engine;
use condenser_engine::alerts::{AlertContext, AlertSink};
use condenser_handlers::{HandlerService, Outbox, ServiceConfig, ServicesConfig};
use serde::{Deserialize, Serialize};

use super::store::{Collection, Store, StoreError};
use super::tasks::{TaskError, Tasks, glob_match};
use crate::control::proto;

/// Where a recording or a replay is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Progress {
    /// It goes on.
    Running,
    /// It ended well.
    Finished,
    /// It ended with an error.
    Failed,
}

impl Progress {
    fn as_str(self) -> &'static str {
        match self {
            Progress::Running => "running",
            Progress::Finished => "finished",
            Progress::Failed => "failed",
        }
    }
}

/// What a recording holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum RecordingKind {
    /// Points, for stream tasks.
    #[default]
    Stream,
    /// Batches, for batch tasks: one file a query.
    Batch,
}

/// A recording, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct RecordingRecord {
    /// Its id.
    pub(crate) id: String,
    /// Stream or batch.
    #[serde(default)]
    pub(crate) kind: RecordingKind,
    /// Bytes of data.
    pub(crate) size: u64,
    /// When it started; once done, when it ended.
    pub(crate) date: i64,
    /// Why it failed.
    pub(crate) error: String,
    /// Where it is.
    pub(crate) status: Progress,
}

impl RecordingRecord {
    /// The recording as the control plane's message.
    pub(crate) fn to_proto(&self) -> proto::Recording {
        proto::Recording {
            id: self.id.clone(),
            r#type: match self.kind {
                RecordingKind::Stream => "stream",
                RecordingKind::Batch => "batch",
            }
            .to_owned(),
            size: self.size,
            date: self.date,
            error: self.error.clone(),
            status: self.status.as_str().to_owned(),
            progress: if self.status == Progress::Running {
                0.0
            } else {
                1.0
            },
        }
    }
}

/// A replay, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ReplayRecord {
    /// Its id.
    pub(crate) id: String,
    /// The task replayed.
    pub(crate) task: String,
    /// The recording replayed.
    pub(crate) recording: String,
    /// Whether points keep their recorded times.
    pub(crate) recording_time: bool,
    /// Whether points are paced as recorded.
    pub(crate) real_clock: bool,
    /// When it started; once done, when it ended.
    pub(crate) date: i64,
    /// Why it failed.
    pub(crate) error: String,
    /// Where it is.
    pub(crate) status: Progress,
    /// How much of the recording it replayed, 0 to 1.
    pub(crate) progress: f64,
}

impl ReplayRecord {
    /// The replay as the control plane's message.
    pub(crate) fn to_proto(&self) -> proto::ReplayStatus {
        proto::ReplayStatus {
            id: self.id.clone(),
            task: self.task.clone(),
            recording: self.recording.clone(),
            recording_time: self.recording_time,
            clock: if self.real_clock { "real" } else { "fast" }.to_owned(),
            date: self.date,
            error: self.error.clone(),
            status: self.status.as_str().to_owned(),
            progress: self.progress,
        }
    }
}

/// Why a recording or replay operation was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RecordingError {
    /// No recording, replay or task of that id (the message says which).
    #[error("{0}")]
    NotFound(String),
    /// What was asked for is not valid.
    #[error("{0}")]
    Invalid(String),
    /// The store or the data directory failed.
    #[error("{0}")]
    Io(String),
}

impl From<StoreError> for RecordingError {
    fn from(error: StoreError) -> Self {
        RecordingError::Io(error.to_string())
    }
}

/// Kapacitor's rule for ids.
fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The id asked for, or a random one; refused when not an id.
fn id_or_random(id: &str, what: &str) -> Result<String, RecordingError> {
    if id.is_empty() {
        return Ok(crate::replay::random_id());
    }
    if !valid_id(id) {
        return Err(RecordingError::Invalid(format!(
            "{what} ID must contain only letters, numbers, '-', '.' and '_'. {id:?}"
        )));
    }
    Ok(id.to_owned())
}

fn now() -> i64 {
    condenser_engine::clock::system_now()
}

#[derive(Debug, Default)]
struct State {
    recordings: BTreeMap<String, RecordingRecord>,
    replays: BTreeMap<String, ReplayRecord>,
}

/// What the recording and replay threads share.
struct Shared {
    store: Arc<Store>,
    dir: PathBuf,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn save_recording(&self, record: RecordingRecord) {
        if let Err(error) = self.store.put(Collection::RECORDINGS, &record.id, &record) {
            tracing::error!(recording = %record.id, %error, "a recording's state is not stored");
        }
        self.state().recordings.insert(record.id.clone(), record);
    }

    fn save_replay(&self, record: ReplayRecord) {
        if let Err(error) = self.store.put(Collection::REPLAYS, &record.id, &record) {
            tracing::error!(replay = %record.id, %error, "a replay's state is not stored");
        }
        self.state().replays.insert(record.id.clone(), record);
    }

    fn path(&self, recording: &str) -> PathBuf {
        self.dir.join(format!("{recording}.srpl"))
    }

    /// The file of query `query`'s batches in batch recording `recording`.
    fn batch_path(&self, recording: &str, query: usize) -> PathBuf {
        self.dir.join(format!("{recording}.{query}.brpl"))
    }

    /// The files of batch recording `recording`, one a query, in order.
    fn batch_paths(&self, recording: &str) -> Vec<PathBuf> {
        (0..)
            .map(|query| self.batch_path(recording, query))
            .take_while(|path| path.exists())
            .collect()
    }

    /// Saves `running` as it ended: finished with `size` bytes, or failed.
    fn finish_recording(&self, mut running: RecordingRecord, ended: anyhow::Result<u64>) {
        match ended {
            Ok(size) => {
                running.size = size;
                running.status = Progress::Finished;
            }
            Err(error) => {
                running.status = Progress::Failed;
                running.error = error.to_string();
            }
        }
        running.date = now();
        self.save_recording(running);
    }
}

/// The daemon's recordings and replays.
pub(crate) struct Recordings {
    shared: Arc<Shared>,
    tasks: Arc<Tasks>,
    services: Arc<ServicesConfig>,
    alerts: AlertContext,
}

impl std::fmt::Debug for Recordings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recordings")
            .field("dir", &self.shared.dir)
            .finish()
    }
}

impl Recordings {
    /// The recordings and replays of `store`, their data under `dir`; those that were running
    /// when the daemon stopped are failed. Replays' alert nodes share what `alerts` says
    /// with the daemon's tasks (who the server is, the global handlers), their handlers
    /// sending through `services`.
    pub(crate) fn load(
        store: Arc<Store>,
        dir: PathBuf,
        tasks: Arc<Tasks>,
        services: Arc<ServicesConfig>,
        alerts: AlertContext,
    ) -> Result<Self, RecordingError> {
        std::fs::create_dir_all(&dir)
            .map_err(|e| RecordingError::Io(format!("creating {}: {e}", dir.display())))?;
        let mut state = State::default();
        let stopped = "the daemon stopped before it ended";
        for (id, mut record) in store.all::<RecordingRecord>(Collection::RECORDINGS)? {
            if record.status == Progress::Running {
                record.status = Progress::Failed;
                stopped.clone_into(&mut record.error);
                store.put(Collection::RECORDINGS, &id, &record)?;
            }
            state.recordings.insert(id, record);
        }
        for (id, mut record) in store.all::<ReplayRecord>(Collection::REPLAYS)? {
            if record.status == Progress::Running {
                record.status = Progress::Failed;
                stopped.clone_into(&mut record.error);
                store.put(Collection::REPLAYS, &id, &record)?;
            }
            state.replays.insert(id, record);
        }
        Ok(Self {
            shared: Arc::new(Shared {
                store,
                dir,
                state: Mutex::new(state),
            }),
            tasks,
            services,
            alerts,
        })
    }

    /// Starts recording what stream task `task` takes until `stop` (nanoseconds since the
    /// epoch), as recording `id` (a random one when empty).
    pub(crate) async fn record_stream(
        &self,
        id: &str,
        task: &str,
        stop: i64,
    ) -> Result<RecordingRecord, RecordingError> {
        let id = id_or_random(id, "recording")?;
        let route = self.tasks.route_of(task).await.map_err(|e| match e {
            TaskError::NotFound(message) => RecordingError::NotFound(message),
            other => RecordingError::Invalid(other.to_string()),
        })?;
        if self.shared.state().recordings.contains_key(&id) {
            return Err(RecordingError::Invalid(format!(
                "recording {id} already exists"
            )));
        }
        let path = self.shared.path(&id);
        let file = std::fs::File::create(&path)
            .map_err(|e| RecordingError::Io(format!("creating {}: {e}", path.display())))?;
        let record = RecordingRecord {
            id: id.clone(),
            kind: RecordingKind::Stream,
            size: 0,
            date: now(),
            error: String::new(),
            status: Progress::Running,
        };
        self.shared.save_recording(record.clone());
        let (tap, writes) = self.tasks.engine().router().tap(route);
        let shared = Arc::clone(&self.shared);
        let running = record.clone();
        std::thread::Builder::new()
            .name(format!("recording {id}"))
            .spawn(move || {
                let recorded = record_until(file, &writes, stop);
                drop(tap);
                shared.finish_recording(running, recorded.map_err(Into::into));
            })
            .map_err(|e| RecordingError::Io(e.to_string()))?;
        Ok(record)
    }

    /// A new running recording `id` (a random one when empty) of `kind`, saved.
    fn begin(&self, id: &str, kind: RecordingKind) -> Result<RecordingRecord, RecordingError> {
        let id = id_or_random(id, "recording")?;
        if self.shared.state().recordings.contains_key(&id) {
            return Err(RecordingError::Invalid(format!(
                "recording {id} already exists"
            )));
        }
        let record = RecordingRecord {
            id,
            kind,
            size: 0,
            date: now(),
            error: String::new(),
            status: Progress::Running,
        };
        self.shared.save_recording(record.clone());
        Ok(record)
    }

    /// Starts recording, as recording `id`, what batch task `task`'s queries give when run
    /// over `[start, stop)` as their schedules would have run them.
    pub(crate) async fn record_batch(
        &self,
        id: &str,
        task: &str,
        start: i64,
        stop: i64,
    ) -> Result<RecordingRecord, RecordingError> {
        let (record, plan, _) = self.tasks.plan_of(task).await.map_err(|e| match e {
            TaskError::NotFound(message) => RecordingError::NotFound(message),
            other => RecordingError::Invalid(other.to_string()),
        })?;
        let env = condenser_engine::TaskEnv {
            name: record.id.clone(),
            ..condenser_engine::TaskEnv::default()
        };
        let built = condenser_engine::Task::build(&plan, &env)
            .map_err(|e| RecordingError::Invalid(e.to_string()))?;
        if !built.is_batch() {
            return Err(RecordingError::Invalid(format!(
                "task {task} is not a batch task"
            )));
        }
        let queries: Vec<condenser_planner::nodes::QuerySpec> = built
            .queries()
            .iter()
            .map(|(_, spec)| spec.clone())
            .collect();
        let recording = self.begin(id, RecordingKind::Batch)?;
        self.run_recording(&recording, move |shared, store, peers, id| {
            let mut size = 0u64;
            for (index, spec) in queries.iter().enumerate() {
                let path = shared.batch_path(id, index);
                let query = || -> anyhow::Result<u64> {
                    let schedule = condenser_engine::schedule::Schedule::of(spec)
                        .map_err(|e| anyhow::anyhow!(e))?;
                    let mut text = String::new();
                    for (from, to) in
                        schedule.runs(spec.period.nanos(), spec.offset.nanos(), start, stop, now())
                    {
                        let batches =
                            condenser_engine::query::run_on(spec, peers, store, from, to, now())?;
                        for batch in &batches {
                            condenser_engine::recording::write_batch_recording(batch, &mut text);
                        }
                    }
                    std::fs::write(&path, &text)?;
                    Ok(text.len() as u64)
                };
                size += query()?;
            }
            Ok(size)
        })?;
        Ok(recording)
    }

    /// Starts recording, as recording `id`, what InfluxQL `query` gives (from the InfluxDB
    /// named `cluster`, the default one where its database lives, or the embedded store):
    /// as points (`stream`) or batches (`batch`).
    pub(crate) fn record_query(
        &self,
        id: &str,
        query: &str,
        kind: &str,
        cluster: &str,
    ) -> Result<RecordingRecord, RecordingError> {
        let kind = match kind {
            "stream" => RecordingKind::Stream,
            "batch" => RecordingKind::Batch,
            other => {
                return Err(RecordingError::Invalid(format!(
                    "invalid recording type {other:?}: stream or batch"
                )));
            }
        };
        let spec = query_spec(query, cluster)?;
        let recording = self.begin(id, kind)?;
        self.run_recording(&recording, move |shared, store, peers, id| {
            let batches = run_query(&spec, peers, store)?;
            let (path, text) = match kind {
                RecordingKind::Batch => {
                    let mut text = String::new();
                    for batch in &batches {
                        condenser_engine::recording::write_batch_recording(batch, &mut text);
                    }
                    (shared.batch_path(id, 0), text)
                }
                RecordingKind::Stream => (shared.path(id), stream_lines(&spec, &batches)),
            };
            std::fs::write(&path, &text)?;
            Ok(text.len() as u64)
        })?;
        Ok(recording)
    }

    /// Runs `work` for `recording` on a thread of its own, with the store and the InfluxDB
    /// servers queries read; the recording ends as `work` returns: finished with the bytes
    /// it says, or failed with its error.
    fn run_recording(
        &self,
        recording: &RecordingRecord,
        work: impl FnOnce(
            &Shared,
            &condenser_engine::store::Store,
            Option<&dyn condenser_engine::Peers>,
            &str,
        ) -> anyhow::Result<u64>
        + Send
        + 'static,
    ) -> Result<(), RecordingError> {
        let shared = Arc::clone(&self.shared);
        let store = self.tasks.engine().store().clone();
        let peers = self.tasks.engine().peers();
        let running = recording.clone();
        std::thread::Builder::new()
            .name(format!("recording {}", recording.id))
            .spawn(move || {
                let recorded = work(&shared, &store, peers.as_deref(), &running.id);
                shared.finish_recording(running, recorded);
            })
            .map(|_| ())
            .map_err(|e| RecordingError::Io(e.to_string()))
    }

    /// Recording `id`.
    pub(crate) fn recording(&self, id: &str) -> Result<RecordingRecord, RecordingError> {
        self.shared
            .state()
            .recordings
            .get(id)
            .cloned()
            .ok_or_else(|| {
                RecordingError::NotFound("error finding recording: no recording exists".to_owned())
            })
    }

    /// The recordings whose ids match `pattern` (every one when empty), newest first.
    pub(crate) fn recordings(&self, pattern: &str) -> Vec<RecordingRecord> {
        let mut listed: Vec<RecordingRecord> = self
            .shared
            .state()
            .recordings
            .values()
            .filter(|r| pattern.is_empty() || glob_match(pattern, &r.id))
            .cloned()
            .collect();
        listed.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
        listed
    }

    /// Deletes recording `id` and its data (nothing to do when there is none).
    pub(crate) fn delete_recording(&self, id: &str) -> Result<(), RecordingError> {
        if self.shared.state().recordings.remove(id).is_some() {
            self.shared.store.delete(Collection::RECORDINGS, id)?;
            let _ = std::fs::remove_file(self.shared.path(id));
            for path in self.shared.batch_paths(id) {
                let _ = std::fs::remove_file(path);
            }
        }
        Ok(())
    }

    /// Starts replaying recording `recording` against task `task`, as replay `id` (a
    /// random one when empty).
    pub(crate) async fn replay(
        &self,
        id: &str,
        task: &str,
        recording: &str,
        recording_time: bool,
        real_clock: bool,
    ) -> Result<ReplayRecord, RecordingError> {
        let id = id_or_random(id, "replay")?;
        let (record, plan, dbrps) = self.tasks.plan_of(task).await.map_err(|e| match e {
            TaskError::NotFound(message) => {
                RecordingError::NotFound(format!("task load: {message}"))
            }
            other => RecordingError::Invalid(other.to_string()),
        })?;
        let found = self.shared.state().recordings.get(recording).cloned();
        let Some(found) = found else {
            return Err(RecordingError::NotFound(
                "recording not found: no recording exists".to_owned(),
            ));
        };
        if found.status != Progress::Finished {
            return Err(RecordingError::Invalid(format!(
                "recording {recording} is {}, not finished",
                found.status.as_str()
            )));
        }
        let replay = ReplayRecord {
            id: id.clone(),
            task: record.id.clone(),
            recording: recording.to_owned(),
            recording_time,
            real_clock,
            date: now(),
            error: String::new(),
            status: Progress::Running,
            progress: 0.0,
        };
        self.shared.save_replay(replay.clone());
        let shared = Arc::clone(&self.shared);
        let services = Arc::clone(&self.services);
        let alerts = AlertContext {
            task_master: Some(id.clone()),
            ..self.alerts.clone()
        };
        let paths = match found.kind {
            RecordingKind::Stream => Recorded::Stream(self.shared.path(recording)),
            RecordingKind::Batch => Recorded::Batch(self.shared.batch_paths(recording)),
        };
        let mut running = replay.clone();
        std::thread::Builder::new()
            .name(format!("replay {id}"))
            .spawn(move || {
                let replayed = replay_recording(
                    &paths,
                    &record.id,
                    &plan,
                    dbrps,
                    alerts,
                    &services,
                    (recording_time, real_clock),
                    |progress| {
                        running.progress = progress;
                        shared
                            .state()
                            .replays
                            .insert(running.id.clone(), running.clone());
                    },
                );
                match replayed {
                    Ok(()) => {
                        running.status = Progress::Finished;
                        running.progress = 1.0;
                    }
                    Err(error) => {
                        running.status = Progress::Failed;
                        running.error = error.to_string();
                    }
                }
                running.date = now();
                shared.save_replay(running);
            })
            .map_err(|e| RecordingError::Io(e.to_string()))?;
        Ok(replay)
    }

    /// Replay `id`.
    pub(crate) fn replay_status(&self, id: &str) -> Result<ReplayRecord, RecordingError> {
        self.shared.state().replays.get(id).cloned().ok_or_else(|| {
            RecordingError::NotFound("could not find replay: no replay exists".to_owned())
        })
    }

    /// The replays whose ids match `pattern` (every one when empty), newest first.
    pub(crate) fn replays(&self, pattern: &str) -> Vec<ReplayRecord> {
        let mut listed: Vec<ReplayRecord> = self
            .shared
            .state()
            .replays
            .values()
            .filter(|r| pattern.is_empty() || glob_match(pattern, &r.id))
            .cloned()
            .collect();
        listed.sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.id.cmp(&b.id)));
        listed
    }

    /// Forgets replay `id` (a running one runs on, as in Kapacitor).
    pub(crate) fn delete_replay(&self, id: &str) -> Result<(), RecordingError> {
        if self.shared.state().replays.remove(id).is_some() {
            self.shared.store.delete(Collection::REPLAYS, id)?;
        }
        Ok(())
    }
}

/// Writes what `writes` brings to `file` until `stop`: per point its database, retention
/// policy and line; the bytes written.
fn record_until(
    file: std::fs::File,
    writes: &std::sync::mpsc::Receiver<Arc<condenser_model::WriteBatch>>,
    stop: i64,
) -> std::io::Result<u64> {
    let mut out = std::io::BufWriter::new(file);
    let mut size = 0u64;
    let mut lines = String::new();
    loop {
        let left = stop - now();
        if left <= 0 {
            break;
        }
        let wait = Duration::from_nanos(left as u64).min(Duration::from_millis(100));
        let batch = match writes.recv_timeout(wait) {
            Ok(batch) => batch,
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        };
        lines.clear();
        condenser_ingest::line_protocol::write_lines(&batch.measurement, &batch.batch, &mut lines);
        for line in lines.lines() {
            let record = format!("{}\n{}\n{line}\n", batch.db, batch.rp);
            out.write_all(record.as_bytes())?;
            size += record.len() as u64;
        }
    }
    out.flush()?;
    Ok(size)
}

/// Runs task `task` (its plan and dbrps) on the recording at `path` in an engine of its own
/// whose alerts go as `alerts` says, to handlers of its own on `services` (an outbox in
/// memory, its topics the replay's): when it returns, they have delivered every event (or
/// given up on it). `progress` hears how far it got.
#[allow(clippy::too_many_arguments)]
fn replay_recording(
    path: &Recorded,
    task: &str,
    plan: &datafusion_expr::LogicalPlan,
    dbrps: Vec<condenser_engine::Dbrp>,
    alerts: AlertContext,
    services: &ServicesConfig,
    (recording_time, real_clock): (bool, bool),
    mut progress: impl FnMut(f64),
) -> anyhow::Result<()> {
    let topics = condenser_model::topic::TopicStates::default();
    let handlers = HandlerService::start(
        ServiceConfig::default(),
        services.clone(),
        topics.clone(),
        Outbox::in_memory()?,
    );
    // The replay's events wait for room rather than being dropped: a fast replay delivers
    // every one.
    let alerts = AlertContext {
        sink: AlertSink::waiting(handlers.sender()),
        topics,
        ..alerts
    };
    let replayed = replay_into(
        path,
        task,
        plan,
        dbrps,
        alerts,
        &handlers,
        (recording_time, real_clock),
        &mut progress,
    );
    handlers.close();
    replayed
}

/// The replay itself, its handlers given.
#[allow(clippy::too_many_arguments)]
fn replay_into(
    path: &Recorded,
    task: &str,
    plan: &datafusion_expr::LogicalPlan,
    dbrps: Vec<condenser_engine::Dbrp>,
    alerts: AlertContext,
    handlers: &HandlerService,
    (recording_time, real_clock): (bool, bool),
    progress: &mut impl FnMut(f64),
) -> anyhow::Result<()> {
    let first_at = (!recording_time).then(now);
    let mut engine = Engine::with_alerts(alerts);
    engine.define(task, plan, dbrps)?;
    if let Some(running) = engine.task(task) {
        for (topic, specs) in running.alert_handlers() {
            handlers.register(topic, specs)?;
        }
    }
    let path = match path {
        Recorded::Stream(path) => path,
        Recorded::Batch(paths) => {
            crate::replay::replay_batches(&mut engine, task, paths, first_at, real_clock)?;
            progress(1.0);
            return engine.finish().map_err(Into::into);
        }
    };
    let writes = crate::replay::read_stream_recording(
        path,
        condenser_model::Precision::Nanosecond,
        first_at,
    )?;
    let started = std::time::Instant::now();
    let first_time = writes.first().and_then(|w| batch_time(&w.batch));
    let count = writes.len().max(1);
    let mut result = Ok(());
    for (index, write) in writes.into_iter().enumerate() {
        if real_clock && let (Some(first), Some(time)) = (first_time, batch_time(&write.batch)) {
            let due = Duration::from_nanos(time.saturating_sub(first).max(0) as u64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        if let Err(error) = engine.write(Arc::new(write), now()) {
            result = Err(error.into());
            break;
        }
        let _ = engine.tick(now());
        if index % 1000 == 0 {
            progress(index as f64 / count as f64);
        }
    }
    let finished = engine.finish();
    result.and(finished.map_err(Into::into))
}

/// A recording's files.
#[derive(Debug)]
enum Recorded {
    /// A stream recording's file.
    Stream(PathBuf),
    /// A batch recording's files, one a query.
    Batch(Vec<PathBuf>),
}

/// The spec of a recorded InfluxQL query: its own `GROUP BY` and `fill()` (a task's node
/// would replace them), from the InfluxDB named `cluster`.
fn query_spec(
    query: &str,
    cluster: &str,
) -> Result<condenser_planner::nodes::QuerySpec, RecordingError> {
    use condenser_planner::influxql::{Dimension, Fill};
    use condenser_planner::nodes::{QueryDimension, QueryFill, QueryLanguage, QuerySpec};
    let parsed = condenser_planner::influxql::parse(query)
        .map_err(|e| RecordingError::Invalid(format!("invalid query: {e}")))?;
    let mut group_by = Vec::new();
    for dimension in &parsed.select.dimensions {
        group_by.push(match dimension {
            Dimension::Tag(tag) => QueryDimension::Tag(tag.clone()),
            Dimension::Star => QueryDimension::Star,
            Dimension::Time { interval, offset } => QueryDimension::Time {
                length: condenser_model::Duration::from_nanos(*interval),
                offset: condenser_model::Duration::from_nanos(*offset),
            },
            Dimension::Regex(_) => {
                return Err(RecordingError::Invalid(
                    "GROUP BY a regex is not supported by Condenser yet".to_owned(),
                ));
            }
        });
    }
    let fill = Some(match parsed.select.fill {
        Fill::Null => QueryFill::Null,
        Fill::None => QueryFill::None,
        Fill::Previous => QueryFill::Previous,
        Fill::Linear => QueryFill::Linear,
        Fill::Number(n) => QueryFill::Number(n),
    });
    let mut spec = QuerySpec {
        language: QueryLanguage::InfluxQl,
        text: query.to_owned(),
        influxql: None,
        plan: None,
        period: condenser_model::Duration::ZERO,
        every: condenser_model::Duration::ZERO,
        align: false,
        cron: String::new(),
        offset: condenser_model::Duration::ZERO,
        align_group: false,
        group_by,
        group_by_measurement: false,
        fill,
        cluster: cluster.to_owned(),
        org: String::new(),
        org_id: String::new(),
    };
    spec.plan = Some(
        spec.lower(&parsed)
            .map_err(|e| RecordingError::Invalid(format!("invalid query: {e}")))?,
    );
    spec.influxql = Some(parsed);
    Ok(spec)
}

/// Runs a recorded query as it is written: on the InfluxDB that has its database (sent as
/// written), else on the embedded store over all it keeps up to now.
fn run_query(
    spec: &condenser_planner::nodes::QuerySpec,
    peers: Option<&dyn condenser_engine::Peers>,
    store: &condenser_engine::store::Store,
) -> anyhow::Result<Vec<condenser_engine::message::Batch>> {
    let at = now();
    let db = spec
        .influxql
        .as_ref()
        .and_then(|q| q.select.sources.first())
        .and_then(|s| s.database.clone())
        .unwrap_or_default();
    match peers.and_then(|peers| peers.query(&spec.cluster, &db, &spec.text)) {
        Some(answer) => Ok(condenser_engine::query::batches_of_answer(
            spec,
            &answer.map_err(|e| anyhow::anyhow!(e))?,
            at,
        )?),
        None if !spec.cluster.is_empty() => {
            anyhow::bail!("no InfluxDB named {:?} is configured", spec.cluster)
        }
        None => Ok(condenser_engine::query::run(
            spec,
            store,
            i64::MIN / 4,
            at.saturating_add(1),
            at,
        )?),
    }
}

/// Batches as a stream recording: per point its database, retention policy (the query's
/// measurement's) and line.
fn stream_lines(
    spec: &condenser_planner::nodes::QuerySpec,
    batches: &[condenser_engine::message::Batch],
) -> String {
    let source = spec
        .influxql
        .as_ref()
        .and_then(|q| q.select.sources.first().cloned());
    let db = source
        .as_ref()
        .and_then(|s| s.database.clone())
        .unwrap_or_default();
    let rp = source
        .and_then(|s| s.retention_policy)
        .unwrap_or_else(|| condenser_engine::query::DEFAULT_RETENTION_POLICY.to_owned());
    let mut text = String::new();
    let mut lines = String::new();
    for batch in batches {
        lines.clear();
        condenser_ingest::line_protocol::write_lines(&batch.name, &batch.data, &mut lines);
        for line in lines.lines() {
            text.push_str(&format!("{db}\n{rp}\n{line}\n"));
        }
    }
    text
}

/// The time of a batch's first point.
fn batch_time(batch: &arrow::array::RecordBatch) -> Option<i64> {
    use arrow::array::AsArray as _;
    let times = batch.column_by_name(condenser_model::schema::TIME_COLUMN)?;
    let times = times.as_primitive::<arrow::datatypes::TimestampNanosecondType>();
    (!times.is_empty()).then(|| times.value(0))
}
