//! [`EngineService`]: the daemon's tasks, each on a thread of its own behind a bounded input
//! queue, and the [`TaskRouter`] that hands every ingested write to the queues of the tasks
//! that take it.
//!
//! A write is handed over whole or not at all: the router waits, up to the write timeout,
//! for room in the queue of each task the write goes to, then puts it in all of them; a task
//! that stays behind refuses the writes it takes (the writer answers 503 with Retry-After)
//! while writes it does not take go on. Each task thread runs its task outside any async
//! runtime (an `httpPost` may block), ticks its wall-clock nodes, and routes what its
//! `influxDBOut` nodes write through the router, so those writes come back in as writes
//! to ingest do.

mod router;
mod runner;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::Duration;

use datafusion_expr::LogicalPlan;
use tokio::sync::{Mutex, mpsc, oneshot};

use router::{QueueCounters, RouteEntry};
pub use router::{QueueStatistics, Refused, TapHandle, TaskRouter};
use runner::{Start, TaskCommand, TaskInput};

use crate::alerts::AlertContext;
use crate::engine::Dbrp;
use crate::error::{Error, Result};
use crate::operators::http_out::HttpOutResult;
use crate::task::TaskEnv;

/// The alert handlers of a task: each alert node's own topic and the handlers it names.
pub type TaskHandlers = Vec<(String, Vec<condenser_model::handler::HandlerSpec>)>;

/// What `show` sees of a running task.
#[derive(Debug, Clone)]
pub struct RunningTask {
    /// The task as a DOT graph with its nodes' statistics.
    pub dot: String,
    /// The statistics of each node, in pipeline order.
    pub nodes: Vec<crate::statistics::NodeStatistics>,
    /// Points (or batches) its source took in a second, lately.
    pub throughput: f64,
}

/// A database, retention policy and measurement.
type Series = (Arc<str>, Arc<str>, Arc<str>);

/// Counters of what the engine has taken from ingest; read by `/metrics` and Kapacitor's
/// `debug/vars`.
#[derive(Debug, Default)]
pub struct EngineStats {
    writes: AtomicU64,
    batches: AtomicU64,
    points: AtomicU64,
    errors: AtomicU64,
    /// Points taken by database, retention policy and measurement (Kapacitor's `ingress`).
    ingress: std::sync::Mutex<std::collections::BTreeMap<Series, u64>>,
}

impl EngineStats {
    /// Write requests taken.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Write batches taken (one per measurement of a request).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Points taken.
    pub fn points(&self) -> u64 {
        self.points.load(Ordering::Relaxed)
    }

    /// influxDBOut writes that were dropped: a task they go to stayed behind, or they came
    /// back without end.
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// Points taken, by database, retention policy and measurement, in that order.
    pub fn ingress(&self) -> Vec<(String, String, String, u64)> {
        self.ingress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|((db, rp, m), &points)| (db.to_string(), rp.to_string(), m.to_string(), points))
            .collect()
    }

    /// Counts the points of `batches`, one write taken.
    pub(crate) fn took(&self, batches: &[Arc<condenser_model::WriteBatch>]) {
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.batches
            .fetch_add(batches.len() as u64, Ordering::Relaxed);
        let mut ingress = self
            .ingress
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for batch in batches {
            let points = batch.num_points() as u64;
            self.points.fetch_add(points, Ordering::Relaxed);
            let key = (
                Arc::clone(&batch.db),
                Arc::clone(&batch.rp),
                Arc::clone(&batch.measurement),
            );
            *ingress.entry(key).or_default() += points;
        }
    }
}

/// How the engine's tasks run: their queues, and the expiry of their idle groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineConfig {
    /// Writes each task's input queue holds before writers wait.
    pub queue_capacity: usize,
    /// How long what a task's influxDBOut nodes write may wait for room in another task's
    /// queue before it is dropped (and counted in [`EngineStats::errors`]).
    pub write_back_timeout: Duration,
    /// Forget a group of a task no `from()` or `groupBy()` emitted for this long (`None`:
    /// keep every group, as Kapacitor does).
    pub group_expiry: Option<Duration>,
    /// What the embedded store batch tasks query keeps.
    pub store: crate::store::StoreConfig,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            queue_capacity: 256,
            write_back_timeout: Duration::from_secs(5),
            group_expiry: None,
            store: crate::store::StoreConfig::default(),
        }
    }
}

/// Starts the daemon's engine.
#[derive(Debug)]
pub struct EngineService;

impl EngineService {
    /// An engine without tasks, its alert nodes sending events as `alerts` says and its
    /// tasks running as `config` says.
    pub fn start(alerts: AlertContext, config: EngineConfig) -> EngineHandle {
        Self::start_with_peers(alerts, config, None)
    }

    /// As [`EngineService::start`], the tasks' batch queries and influxDBOut writes going
    /// to the InfluxDB servers of `peers` where they have one.
    pub fn start_with_peers(
        alerts: AlertContext,
        config: EngineConfig,
        peers: Option<Arc<dyn crate::peers::Peers>>,
    ) -> EngineHandle {
        let stats = Arc::new(EngineStats::default());
        let store = crate::store::Store::open(config.store.clone(), crate::clock::system_now())
            .unwrap_or_else(|error| {
                tracing::error!(%error, "the store on disk could not be read; it starts empty");
                crate::store::Store::new(config.store.clone())
            });
        EngineHandle {
            router: TaskRouter::new(Arc::clone(&stats), store.clone()),
            store,
            peers,
            tasks: Mutex::new(Vec::new()),
            alerts,
            config,
            stats,
        }
    }
}

/// A task's thread, as the handle keeps it.
#[derive(Debug)]
struct TaskThread {
    id: String,
    queue: mpsc::Sender<TaskInput>,
    commands: mpsc::UnboundedSender<TaskCommand>,
    thread: thread::JoinHandle<()>,
}

impl TaskThread {
    /// Stops the task now (what is queued is left) and waits for its thread.
    async fn stop(self) {
        let _ = self.commands.send(TaskCommand::Stop);
        let id = self.id;
        let thread = self.thread;
        if tokio::task::spawn_blocking(move || thread.join().is_err())
            .await
            .unwrap_or(true)
        {
            tracing::error!(task = %id, "the task's thread panicked");
        }
    }
}

/// The daemon's way to its tasks: define and delete them, read their results, and the
/// [`TaskRouter`] that ingest hands writes to. One handle is kept by the daemon.
#[derive(Debug)]
pub struct EngineHandle {
    router: TaskRouter,
    /// The running tasks, in the order they were defined; held across a define or delete
    /// so that changes happen one at a time.
    tasks: Mutex<Vec<TaskThread>>,
    alerts: AlertContext,
    config: EngineConfig,
    stats: Arc<EngineStats>,
    /// The embedded store every routed write is kept in.
    store: crate::store::Store,
    /// The InfluxDB servers the tasks' queries and writes may go to.
    peers: Option<Arc<dyn crate::peers::Peers>>,
}

impl EngineHandle {
    /// The embedded store batch tasks query.
    pub fn store(&self) -> &crate::store::Store {
        &self.store
    }

    /// The InfluxDB servers batch queries and influxDBOut go to, if any.
    pub fn peers(&self) -> Option<Arc<dyn crate::peers::Peers>> {
        self.peers.clone()
    }

    /// Where ingest hands writes.
    pub fn router(&self) -> TaskRouter {
        self.router.clone()
    }

    /// Defines task `id` from its plan (replacing a task of that id), taking writes to
    /// `dbrps` (every database when empty), and starts it; the handlers its alert nodes
    /// name, by topic, for the caller to register.
    pub async fn define(
        &self,
        id: &str,
        plan: LogicalPlan,
        dbrps: Vec<Dbrp>,
    ) -> Result<TaskHandlers> {
        let mut tasks = self.tasks.lock().await;
        let (queue, inputs) = mpsc::channel(self.config.queue_capacity.max(1));
        let (commands, commands_receiver) = mpsc::unbounded_channel();
        let (ready, built) = oneshot::channel();
        let counters = Arc::new(QueueCounters::default());
        let start = Start {
            plan: Box::new(plan),
            env: TaskEnv {
                name: id.to_owned(),
                alerts: self.alerts.clone(),
                group_expiry: self.config.group_expiry,
            },
            dbrps,
            inputs,
            commands: commands_receiver,
            router: self.router.clone(),
            write_back_timeout: self.config.write_back_timeout,
            counters: Arc::clone(&counters),
            ready,
            store: self.store.clone(),
            peers: self.peers.clone(),
        };
        let thread = thread::Builder::new()
            .name(format!("task {id}"))
            .spawn(move || runner::run(start))
            .map_err(|error| Error::External {
                service: "the operating system".into(),
                message: format!("cannot start a thread for task {id:?}: {error}"),
            })?;
        let (handlers, route) = match built.await {
            Ok(Ok(built)) => built,
            Ok(Err(error)) => {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
                return Err(error);
            }
            Err(_) => return Err(Error::internal("a task's thread ended before it was built")),
        };
        self.router.insert(RouteEntry {
            id: id.into(),
            route,
            queue: queue.clone(),
            counters,
        });
        let started = TaskThread {
            id: id.to_owned(),
            queue,
            commands,
            thread,
        };
        let replaced = match tasks.iter_mut().find(|t| t.id == id) {
            Some(existing) => Some(std::mem::replace(existing, started)),
            None => {
                tasks.push(started);
                None
            }
        };
        if let Some(replaced) = replaced {
            replaced.stop().await;
        }
        Ok(handlers)
    }

    /// Running task `id`: its DOT graph and its nodes' statistics; `None` when it does
    /// not run.
    pub async fn running(&self, id: &str) -> Result<Option<RunningTask>> {
        let commands = {
            let tasks = self.tasks.lock().await;
            match tasks.iter().find(|t| t.id == id) {
                Some(task) => task.commands.clone(),
                None => return Ok(None),
            }
        };
        let (reply, answer) = oneshot::channel();
        commands
            .send(TaskCommand::Running(reply))
            .map_err(|_| Error::Stopped)?;
        answer.await.map(Some).map_err(|_| Error::Stopped)
    }

    /// Stops and removes task `id` (what is queued for it is dropped); whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        let mut tasks = self.tasks.lock().await;
        self.router.remove(id);
        let Some(position) = tasks.iter().position(|t| t.id == id) else {
            return Ok(false);
        };
        tasks.remove(position).stop().await;
        Ok(true)
    }

    /// The ids of the tasks, in the order they were defined.
    pub async fn tasks(&self) -> Result<Vec<String>> {
        Ok(self
            .tasks
            .lock()
            .await
            .iter()
            .map(|t| t.id.clone())
            .collect())
    }

    /// The result of httpOut node `name` of task `task` (shared: it follows the task),
    /// once the task has taken every write handed over before this call.
    pub async fn http_out(&self, task: &str, name: &str) -> Result<Option<HttpOutResult>> {
        let queue = {
            let tasks = self.tasks.lock().await;
            let thread = tasks
                .iter()
                .find(|t| t.id == task)
                .ok_or_else(|| Error::UnknownTask(task.to_owned()))?;
            thread.queue.clone()
        };
        let (reply, answer) = oneshot::channel();
        queue
            .send(TaskInput::HttpOut {
                name: name.to_owned(),
                reply,
            })
            .await
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }

    /// Waits until every task has taken every write handed over before this call.
    pub async fn flush(&self) -> Result<()> {
        let queues: Vec<_> = self
            .tasks
            .lock()
            .await
            .iter()
            .map(|t| t.queue.clone())
            .collect();
        for queue in queues {
            let (reply, answer) = oneshot::channel();
            if queue.send(TaskInput::Flush(reply)).await.is_ok() {
                answer.await.map_err(|_| Error::Stopped)?;
            }
        }
        Ok(())
    }

    /// The engine's counters.
    pub fn stats(&self) -> Arc<EngineStats> {
        Arc::clone(&self.stats)
    }

    /// Refuses writes from now on, lets every task take what is queued for it, and waits
    /// for them to stop.
    pub fn join(self) {
        self.router.close();
        for task in self.tasks.into_inner() {
            drop(task.queue);
            drop(task.commands);
            if task.thread.join().is_err() {
                tracing::error!(task = %task.id, "the task's thread panicked");
            }
        }
        // A store kept on disk writes out what it took last.
        if let Err(error) = self.store.persist(crate::clock::system_now()) {
            tracing::error!(%error, "the store could not be written out");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use condenser_ingest::line_protocol::{ParseOptions, parse};
    use condenser_model::{Precision, WriteBatch};
    use condenser_planner::{TaskType, check};
    use serde_json::json;

    use super::*;

    fn plan(script: &str) -> LogicalPlan {
        let checked = check(script, TaskType::Stream, None).unwrap();
        condenser_planner::plan::lower(&checked.pipeline).unwrap()
    }

    /// The batches of one write of `body` (times in seconds) to `db`.autogen.
    fn batches(db: &str, body: &str) -> Vec<WriteBatch> {
        parse(body.as_bytes(), ParseOptions::new(Precision::Second, 0))
            .unwrap()
            .tables
            .into_iter()
            .map(|table| {
                WriteBatch::try_new(
                    db.into(),
                    "autogen".into(),
                    table.measurement.as_str().into(),
                    table.batch,
                )
                .unwrap()
            })
            .collect()
    }

    const SECOND: Duration = Duration::from_secs(1);

    #[tokio::test]
    async fn writes_reach_every_task_that_selects_them() {
        let engine = EngineService::start(AlertContext::default(), EngineConfig::default());
        let router = engine.router();
        engine
            .define(
                "cpu_mean",
                plan("stream|from().measurement('cpu').groupBy('host')|window().period(10s).every(10s)|mean('v')|httpOut('mean')"),
                vec![Dbrp::new("telegraf", "autogen")],
            )
            .await
            .unwrap();
        engine
            .define(
                "mem_last",
                plan("stream|from().measurement('mem')|httpOut('last')"),
                Vec::new(),
            )
            .await
            .unwrap();
        let body = "cpu,host=a v=1 0\ncpu,host=a v=3 5\nmem v=7 6\ncpu,host=a v=9 10\n";
        router
            .hand_over(batches("telegraf", body), SECOND)
            .await
            .unwrap();
        // Another database: the dbrp of cpu_mean excludes it, mem_last takes every one.
        router
            .hand_over(
                batches("other", "cpu,host=a v=100 11\nmem v=8 12\n"),
                SECOND,
            )
            .await
            .unwrap();
        engine.flush().await.unwrap();
        let mean = engine.http_out("cpu_mean", "mean").await.unwrap().unwrap();
        assert_eq!(
            mean.to_json(),
            json!({"series": [{"name": "cpu", "tags": {"host": "a"}, "columns": ["time", "mean"],
                               "values": [["1970-01-01T00:00:10Z", 2.0]]}]})
        );
        let last = engine.http_out("mem_last", "last").await.unwrap().unwrap();
        assert_eq!(
            last.to_json()["series"][0]["values"],
            json!([["1970-01-01T00:00:12Z", 8.0]])
        );
        assert_eq!(engine.tasks().await.unwrap(), ["cpu_mean", "mem_last"]);
        assert!(matches!(
            engine.http_out("nosuch", "x").await,
            Err(Error::UnknownTask(_))
        ));
        assert_eq!(engine.stats().points(), 6);
        let queues = router.queues();
        assert_eq!(queues.len(), 2);
        assert_eq!((queues[0].task.as_str(), queues[0].points), ("cpu_mean", 3));
        assert_eq!((queues[1].task.as_str(), queues[1].points), ("mem_last", 2));
        assert!(engine.delete("mem_last").await.unwrap());
        assert!(!engine.delete("mem_last").await.unwrap());
        assert_eq!(router.queues().len(), 1);
        engine.join();
        assert_eq!(
            router
                .hand_over(batches("telegraf", "cpu v=1 20"), SECOND)
                .await,
            Err(Refused::Closed)
        );
    }

    #[tokio::test]
    async fn influxdb_out_writes_come_back_to_other_tasks_and_loops_are_cut() {
        let engine = EngineService::start(AlertContext::default(), EngineConfig::default());
        engine
            .define(
                "double",
                plan("stream|from().measurement('cpu')|eval(lambda: \"v\" * 2.0).as('v')\
                      |influxDBOut().database('derived').retentionPolicy('autogen').measurement('doubled')"),
                vec![Dbrp::new("db", "autogen")],
            )
            .await
            .unwrap();
        engine
            .define(
                "watch",
                plan("stream|from().measurement('doubled')|httpOut('out')"),
                vec![Dbrp::new("derived", "autogen")],
            )
            .await
            .unwrap();
        engine
            .define(
                "loop",
                plan("stream|from().measurement('echo')|influxDBOut().database('db').retentionPolicy('autogen')"),
                vec![Dbrp::new("db", "autogen")],
            )
            .await
            .unwrap();
        let router = engine.router();
        router
            .hand_over(batches("db", "cpu v=21 1\necho v=1 1\n"), SECOND)
            .await
            .unwrap();
        engine.flush().await.unwrap();
        // The write-back went through double's queue to watch's: flush again for it.
        engine.flush().await.unwrap();
        let out = engine.http_out("watch", "out").await.unwrap().unwrap();
        assert_eq!(
            out.to_json()["series"][0]["values"],
            json!([["1970-01-01T00:00:01Z", 42.0]])
        );
        assert_eq!(engine.stats().errors(), 1, "the echo loop is cut once");
        engine.join();
    }

    #[tokio::test]
    async fn a_task_that_stays_behind_refuses_only_the_writes_it_takes() {
        // A server that takes connections and never answers: the POSTing task blocks.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let engine = EngineService::start(
            AlertContext::default(),
            EngineConfig {
                queue_capacity: 1,
                ..EngineConfig::default()
            },
        );
        engine
            .define(
                "slow",
                plan(&format!(
                    "stream|from().measurement('cpu')|httpPost('{url}').timeout(30s)"
                )),
                Vec::new(),
            )
            .await
            .unwrap();
        engine
            .define(
                "fast",
                plan("stream|from().measurement('mem')|httpOut('out')"),
                Vec::new(),
            )
            .await
            .unwrap();
        let router = engine.router();
        let short = Duration::from_millis(50);
        // The first write is taken (the task blocks on it), the next waits in the queue.
        router
            .hand_over(batches("db", "cpu v=1 1"), short)
            .await
            .unwrap();
        let mut accepted = 0;
        let refused = loop {
            let second = 2 + accepted;
            assert!(second < 20, "the slow task never refused a write");
            let body = format!("cpu v=1 {second}\nmem v={second} {second}\n");
            match router.hand_over(batches("db", &body), short).await {
                Ok(()) => accepted += 1,
                Err(refused) => break refused,
            }
        };
        assert!(
            matches!(&refused, Refused::Busy { task, .. } if task == "slow"),
            "{refused:?}"
        );
        // What the slow task does not take goes on.
        router
            .hand_over(batches("db", "mem v=100 100"), short)
            .await
            .unwrap();
        let queues = router.queues();
        let (slow, fast) = (&queues[0], &queues[1]);
        assert_eq!(slow.task, "slow");
        assert_eq!((slow.depth, slow.capacity, slow.refused), (1, 1, 1));
        assert!(slow.waits >= 1 && slow.wait_seconds > 0.0, "{slow:?}");
        // The refused write reached no task: fast took the accepted writes' points only.
        assert_eq!(fast.points, accepted + 1);
        // Once the endpoint is gone the slow task catches up.
        drop(listener);
        engine.flush().await.unwrap();
        assert!(engine.delete("slow").await.unwrap());
        engine.join();
    }
}
