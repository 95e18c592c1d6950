//! [`EngineService`]: the daemon's [`Engine`] on a thread of its own, taking every ingested
//! write from the ingest channel in order, and commands from an [`EngineHandle`].
//!
//! The thread waits on both channels and on the next wall-clock tick; it runs the engine
//! outside any async runtime, so operators may block (an `httpPost` request) without
//! stalling one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use condenser_model::WriteBatch;
use datafusion_expr::LogicalPlan;
use tokio::sync::{mpsc, oneshot};

use crate::alerts::AlertContext;
use crate::engine::{Dbrp, Engine};
use crate::error::{Error, Result};
use crate::operators::http_out::HttpOutResult;

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

/// The receiving end of the ingest → engine channel: one message per accepted write request,
/// holding its batches (one per measurement) so a request is handed over whole or not at all.
pub type Writes = mpsc::Receiver<Vec<WriteBatch>>;

/// How often the wall-clock nodes of the tasks (barrier, stats) are ticked.
const TICK: Duration = Duration::from_millis(50);

/// Counters of what the engine has taken from ingest; read by `/metrics`.
#[derive(Debug, Default)]
pub struct EngineStats {
    writes: AtomicU64,
    batches: AtomicU64,
    points: AtomicU64,
    errors: AtomicU64,
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

    /// Writes whose routing failed (an influxDBOut loop).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }
}

/// What the engine thread is asked to do.
enum Command {
    Define {
        id: String,
        plan: Box<LogicalPlan>,
        dbrps: Vec<Dbrp>,
        reply: oneshot::Sender<Result<TaskHandlers>>,
    },
    Running {
        id: String,
        reply: oneshot::Sender<Option<RunningTask>>,
    },
    Delete {
        id: String,
        reply: oneshot::Sender<bool>,
    },
    HttpOut {
        task: String,
        name: String,
        reply: oneshot::Sender<Result<Option<HttpOutResult>>>,
    },
    Tasks {
        reply: oneshot::Sender<Vec<String>>,
    },
    Flush {
        reply: oneshot::Sender<()>,
    },
}

/// Starts the engine thread.
#[derive(Debug)]
pub struct EngineService;

impl EngineService {
    /// Starts an engine without tasks on its own thread, taking `writes`, its alert nodes
    /// sending events as `alerts` says; it stops when every writer and every handle is gone.
    pub fn spawn(writes: Writes, alerts: AlertContext) -> std::io::Result<EngineHandle> {
        let stats = Arc::new(EngineStats::default());
        let (commands, receiver) = mpsc::unbounded_channel();
        let counters = Arc::clone(&stats);
        let thread = thread::Builder::new()
            .name("condenser-engine".into())
            .spawn(move || run(writes, receiver, alerts, &counters))?;
        Ok(EngineHandle {
            commands,
            stats,
            thread: Some(thread),
        })
    }
}

/// What the engine thread waited for.
enum Input {
    Writes(Vec<WriteBatch>),
    Command(Command),
    Tick,
    Closed,
}

fn run(
    mut writes: Writes,
    mut commands: mpsc::UnboundedReceiver<Command>,
    alerts: AlertContext,
    stats: &EngineStats,
) {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            tracing::error!(%error, "the engine cannot wait for input; it stops");
            return;
        }
    };
    let mut engine = Engine::with_alerts(alerts);
    let mut throughput = Throughput::default();
    let mut commands_open = true;
    let mut next_tick = Instant::now() + TICK;
    loop {
        // Only the waiting happens on the runtime; the engine runs outside it.
        let input = runtime.block_on(async {
            tokio::select! {
                // A write sent before a command is taken before it.
                biased;
                write = writes.recv() => write.map_or(Input::Closed, Input::Writes),
                command = commands.recv(), if commands_open => match command {
                    Some(command) => Input::Command(command),
                    None => Input::Tick,
                },
                () = tokio::time::sleep_until(next_tick.into()) => Input::Tick,
            }
        });
        let now = crate::clock::system_now();
        match input {
            Input::Writes(batches) => {
                stats.writes.fetch_add(1, Ordering::Relaxed);
                for batch in batches {
                    stats.batches.fetch_add(1, Ordering::Relaxed);
                    stats
                        .points
                        .fetch_add(batch.num_points() as u64, Ordering::Relaxed);
                    if let Err(error) = engine.write(Arc::new(batch), now) {
                        stats.errors.fetch_add(1, Ordering::Relaxed);
                        tracing::error!(%error, "a write could not be routed whole");
                    }
                }
            }
            Input::Command(command) => handle(&mut engine, &throughput, command),
            Input::Tick => {
                if commands.is_closed() {
                    commands_open = false;
                }
            }
            Input::Closed => break,
        }
        throughput.sample(&engine);
        if Instant::now() >= next_tick {
            if engine.ticks()
                && let Err(error) = engine.tick(crate::clock::system_now())
            {
                tracing::error!(%error, "a tick's writes could not be routed whole");
            }
            next_tick = Instant::now() + TICK;
        }
    }
    tracing::debug!("ingest channel closed; the engine stops");
}

/// Each task's throughput, as Kapacitor measures it: what its source took in over the last
/// second or so.
#[derive(Debug, Default)]
struct Throughput {
    /// When the tasks were last sampled.
    at: Option<Instant>,
    /// Per task: what its source had taken in then, and the rate since the sample before.
    tasks: std::collections::HashMap<String, (u64, f64)>,
}

impl Throughput {
    /// Samples the tasks when a second has passed since the last time.
    fn sample(&mut self, engine: &Engine) {
        let now = Instant::now();
        let elapsed = match self.at {
            Some(at) if now.duration_since(at) < Duration::from_secs(1) => return,
            Some(at) => now.duration_since(at).as_secs_f64(),
            None => 0.0,
        };
        self.at = Some(now);
        let mut tasks = std::collections::HashMap::new();
        for id in engine.task_ids() {
            let Some(task) = engine.task(id) else {
                continue;
            };
            let collected = task.source_collected();
            let rate = match self.tasks.get(id) {
                Some(&(before, _)) if elapsed > 0.0 => {
                    collected.saturating_sub(before) as f64 / elapsed
                }
                _ => 0.0,
            };
            tasks.insert(id.to_owned(), (collected, rate));
        }
        self.tasks = tasks;
    }

    /// Task `id`'s throughput, per second.
    fn of(&self, id: &str) -> f64 {
        self.tasks.get(id).map_or(0.0, |&(_, rate)| rate)
    }
}

fn handle(engine: &mut Engine, throughput: &Throughput, command: Command) {
    // A caller that stopped waiting for the reply no longer needs it.
    match command {
        Command::Define {
            id,
            plan,
            dbrps,
            reply,
        } => {
            let defined = engine.define(&id, &plan, dbrps).map(|()| {
                engine
                    .task(&id)
                    .map(|task| task.alert_handlers().to_vec())
                    .unwrap_or_default()
            });
            let _ = reply.send(defined);
        }
        Command::Running { id, reply } => {
            let _ = reply.send(engine.task(&id).map(|task| RunningTask {
                dot: task.dot(&id, throughput.of(&id)),
                nodes: task.statistics(),
                throughput: throughput.of(&id),
            }));
        }
        Command::Delete { id, reply } => {
            let _ = reply.send(engine.delete(&id));
        }
        Command::HttpOut { task, name, reply } => {
            let _ = reply.send(engine.http_out(&task, &name));
        }
        Command::Tasks { reply } => {
            let _ = reply.send(engine.task_ids().into_iter().map(str::to_owned).collect());
        }
        Command::Flush { reply } => {
            let _ = reply.send(());
        }
    }
}

/// The daemon's way to the engine thread: define and delete tasks, read their results.
/// Cheap to clone would need care with `join`; one handle is kept by the daemon.
#[derive(Debug)]
pub struct EngineHandle {
    commands: mpsc::UnboundedSender<Command>,
    stats: Arc<EngineStats>,
    thread: Option<thread::JoinHandle<()>>,
}

impl EngineHandle {
    async fn ask<T>(&self, command: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| Error::Stopped)?;
        answer.await.map_err(|_| Error::Stopped)
    }

    /// Defines task `id` from its plan (replacing a task of that id), taking writes to
    /// `dbrps` (every database when empty); the handlers its alert nodes name, by topic,
    /// for the caller to register.
    pub async fn define(
        &self,
        id: &str,
        plan: LogicalPlan,
        dbrps: Vec<Dbrp>,
    ) -> Result<TaskHandlers> {
        self.ask(|reply| Command::Define {
            id: id.to_owned(),
            plan: Box::new(plan),
            dbrps,
            reply,
        })
        .await?
    }

    /// Running task `id`: its DOT graph and its nodes' statistics; `None` when it does
    /// not run.
    pub async fn running(&self, id: &str) -> Result<Option<RunningTask>> {
        self.ask(|reply| Command::Running {
            id: id.to_owned(),
            reply,
        })
        .await
    }

    /// Removes task `id`; whether it existed.
    pub async fn delete(&self, id: &str) -> Result<bool> {
        self.ask(|reply| Command::Delete {
            id: id.to_owned(),
            reply,
        })
        .await
    }

    /// The ids of the tasks, in the order they were defined.
    pub async fn tasks(&self) -> Result<Vec<String>> {
        self.ask(|reply| Command::Tasks { reply }).await
    }

    /// The result of httpOut node `name` of task `task` (shared: it follows the task).
    pub async fn http_out(&self, task: &str, name: &str) -> Result<Option<HttpOutResult>> {
        self.ask(|reply| Command::HttpOut {
            task: task.to_owned(),
            name: name.to_owned(),
            reply,
        })
        .await?
    }

    /// Waits until the engine has taken every write that was on the ingest channel before
    /// this call.
    pub async fn flush(&self) -> Result<()> {
        self.ask(|reply| Command::Flush { reply }).await
    }

    /// The engine's counters.
    pub fn stats(&self) -> Arc<EngineStats> {
        Arc::clone(&self.stats)
    }

    /// Waits until the engine has taken everything sent before all writers were dropped.
    pub fn join(mut self) {
        let (commands, _) = mpsc::unbounded_channel();
        drop(std::mem::replace(&mut self.commands, commands));
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the engine thread panicked");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use bytes::Bytes;
    use condenser_ingest::Writer;
    use condenser_ingest::write::WriteTarget;
    use condenser_model::Precision;
    use condenser_planner::{TaskType, check};
    use serde_json::json;

    use super::*;

    fn plan(script: &str) -> LogicalPlan {
        let checked = check(script, TaskType::Stream, None).unwrap();
        condenser_planner::plan::lower(&checked.pipeline).unwrap()
    }

    #[tokio::test]
    async fn writes_through_ingest_reach_every_task_that_selects_them() {
        let (sender, writes) = mpsc::channel(4);
        let engine = EngineService::spawn(writes, AlertContext::default()).unwrap();
        let writer = Writer::new(sender, Arc::default(), Duration::from_secs(5));
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
        let target = |db: &str| WriteTarget {
            db: db.into(),
            rp: "autogen".into(),
            precision: Precision::Second,
        };
        let body = "cpu,host=a v=1 0\ncpu,host=a v=3 5\nmem v=7 6\ncpu,host=a v=9 10\n";
        writer
            .write(&target("telegraf"), Bytes::from(body), 0)
            .await
            .unwrap();
        // Another database: the dbrp of cpu_mean excludes it, mem_last takes every one.
        writer
            .write(
                &target("other"),
                Bytes::from("cpu,host=a v=100 11\nmem v=8 12\n"),
                0,
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
        drop(writer);
        engine.join();
    }
}
