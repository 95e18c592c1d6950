//! A task's thread: takes its input queue in order, ticks its wall-clock nodes, answers
//! the daemon's questions about it, and routes what its `influxDBOut` nodes write.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use condenser_model::WriteBatch;
use datafusion_expr::LogicalPlan;
use tokio::sync::{mpsc, oneshot};

use super::router::{QueueCounters, TaskRouter};
use super::{RunningTask, TaskHandlers};
use crate::engine::{Dbrp, MAX_WRITE_BACK_GENERATIONS, Route};
use crate::error::Result;
use crate::operators::http_out::HttpOutResult;
use crate::task::{Task, TaskEnv};

/// How often the wall-clock nodes of a task (barrier, stats) are ticked.
const TICK: Duration = Duration::from_millis(50);

/// What a task's input queue carries, in order.
#[derive(Debug)]
pub(crate) enum TaskInput {
    /// The batches of one write the task takes, `hops` influxDBOut generations away from
    /// a write to ingest.
    Write {
        batches: Vec<Arc<WriteBatch>>,
        hops: usize,
    },
    /// Answer once every input before this one was taken.
    Flush(oneshot::Sender<()>),
    /// The result of an httpOut node, once every write before was taken: what a reader
    /// sees follows what it wrote.
    HttpOut {
        name: String,
        reply: oneshot::Sender<Option<HttpOutResult>>,
    },
}

/// What the daemon asks of a task, out of the queue's order.
#[derive(Debug)]
pub(crate) enum TaskCommand {
    Running(oneshot::Sender<RunningTask>),
    /// Stop now, leaving what is queued.
    Stop,
}

/// What a task thread is started with.
pub(crate) struct Start {
    pub(crate) plan: Box<LogicalPlan>,
    pub(crate) env: TaskEnv,
    pub(crate) dbrps: Vec<Dbrp>,
    pub(crate) inputs: mpsc::Receiver<TaskInput>,
    pub(crate) commands: mpsc::UnboundedReceiver<TaskCommand>,
    pub(crate) router: TaskRouter,
    /// How long what the task's influxDBOut nodes write may wait for room in other tasks'
    /// queues before it is dropped (and counted).
    pub(crate) write_back_timeout: Duration,
    /// The task's queue counters, where it tells how many groups it forgot.
    pub(crate) counters: Arc<QueueCounters>,
    /// Told the task's alert handlers and route once it is built, or why it cannot be.
    pub(crate) ready: oneshot::Sender<Result<(TaskHandlers, Route)>>,
    /// The store a batch task's queries read.
    pub(crate) store: crate::store::Store,
    /// The InfluxDB servers its queries and influxDBOut nodes may go to.
    pub(crate) peers: Option<Arc<dyn crate::peers::Peers>>,
}

/// A batch task's query and when it next runs.
struct Scheduled {
    /// Its index among the task's queries.
    query: usize,
    spec: condenser_planner::nodes::QuerySpec,
    schedule: crate::schedule::Schedule,
    /// When it next runs (wall clock, nanoseconds).
    next: i64,
}

/// What the thread waited for.
enum Wake {
    Input(TaskInput),
    Command(TaskCommand),
    Timer,
    Closed,
}

/// Builds the task and runs it until it is stopped or its queue is let go of and drained.
pub(crate) fn run(start: Start) {
    let Start {
        plan,
        env,
        dbrps,
        mut inputs,
        mut commands,
        router,
        write_back_timeout,
        counters,
        ready,
        store,
        peers,
    } = start;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            let _ = ready.send(Err(crate::Error::External {
                service: "the operating system".into(),
                message: format!("a task cannot wait for input: {error}"),
            }));
            return;
        }
    };
    let id = env.name.clone();
    // Everything the task logs says which task (and, in Kapacitor's words, which master).
    let _span =
        tracing::info_span!("task", service = "kapacitor", task_master = "main", task = %id)
            .entered();
    let task = match Task::build(&plan, &env) {
        Ok(task) => task,
        Err(error) => {
            let _ = ready.send(Err(error));
            return;
        }
    };
    drop(plan);
    let route = Route::new(&task, dbrps);
    if ready
        .send(Ok((task.alert_handlers().to_vec(), route.clone())))
        .is_err()
    {
        return;
    }
    let mut runner = Runner {
        id,
        task,
        route,
        router,
        write_back_timeout,
        throughput: Throughput::default(),
        runtime,
        peers,
    };
    let started = crate::clock::system_now();
    let mut scheduled: Vec<Scheduled> = Vec::new();
    for (query, (_, spec)) in runner.task.queries().iter().enumerate() {
        match crate::schedule::Schedule::of(spec) {
            Ok(schedule) => scheduled.push(Scheduled {
                query,
                spec: spec.clone(),
                next: schedule.first(started),
                schedule,
            }),
            Err(error) => tracing::error!(%error, "a query that cannot be scheduled"),
        }
    }
    let ticks = runner.task.ticks();
    let mut commands_open = true;
    let mut next_tick = Instant::now() + TICK;
    loop {
        // Only the waiting happens on the runtime; the task runs outside it.
        let wake = runner.runtime.block_on(async {
            tokio::select! {
                // A command (show, stop) is not kept waiting behind a long queue.
                biased;
                command = commands.recv(), if commands_open => {
                    command.map_or(Wake::Timer, Wake::Command)
                }
                input = inputs.recv() => input.map_or(Wake::Closed, Wake::Input),
                () = tokio::time::sleep_until(next_tick.into()), if ticks => Wake::Timer,
                () = tokio::time::sleep_until(next_run(&scheduled).into()), if !scheduled.is_empty() => Wake::Timer,
            }
        });
        match wake {
            Wake::Input(TaskInput::Write { batches, hops }) => {
                runner.write(batches, hops);
            }
            Wake::Input(TaskInput::Flush(reply)) => {
                let _ = reply.send(());
            }
            Wake::Input(TaskInput::HttpOut { name, reply }) => {
                let _ = reply.send(runner.task.http_out(&name).cloned());
            }
            Wake::Command(TaskCommand::Stop) | Wake::Closed => break,
            Wake::Command(command) => runner.answer(command),
            Wake::Timer => commands_open = !commands.is_closed(),
        }
        runner.run_due(&mut scheduled, &store);
        runner.throughput.sample(&runner.task);
        if ticks && Instant::now() >= next_tick {
            runner.task.tick(crate::clock::system_now());
            runner.write_back(0);
            counters
                .expired_groups
                .store(runner.task.expired_groups(), Ordering::Relaxed);
            next_tick = Instant::now() + TICK;
        }
    }
    tracing::debug!(task = %runner.id, "task stopped");
}

/// When the first of `scheduled` is due, as an instant.
fn next_run(scheduled: &[Scheduled]) -> Instant {
    let next = scheduled.iter().map(|s| s.next).min().unwrap_or(i64::MAX);
    let wait = next.saturating_sub(crate::clock::system_now()).max(0);
    Instant::now() + Duration::from_nanos(u64::try_from(wait).unwrap_or(u64::MAX).min(1 << 50))
}

/// A running task and what it needs to route its writes.
struct Runner {
    id: String,
    task: Task,
    route: Route,
    router: TaskRouter,
    write_back_timeout: Duration,
    throughput: Throughput,
    runtime: tokio::runtime::Runtime,
    peers: Option<Arc<dyn crate::peers::Peers>>,
}

impl Runner {
    /// Runs the queries that are due on `store`, as Kapacitor's query node runs at each
    /// tick: over `[tick - offset - period, tick - offset)`, its batches handed to the node.
    /// A run missed (the task was busy) is skipped.
    fn run_due(&mut self, scheduled: &mut [Scheduled], store: &crate::store::Store) {
        let now = crate::clock::system_now();
        for query in scheduled.iter_mut().filter(|s| s.next <= now) {
            let stop = query.next - query.spec.offset.nanos();
            let start = stop - query.spec.period.nanos();
            let peers = self.peers.as_deref();
            match crate::query::run_on(&query.spec, peers, store, start, stop, now) {
                Ok(batches) => {
                    for batch in batches {
                        self.task.take_batch(query.query, batch, now);
                    }
                }
                Err(error) => {
                    tracing::error!(%error, query = query.spec.text, "error executing query")
                }
            }
            while query.next <= now {
                query.next = query.schedule.next(query.next);
            }
        }
        self.write_back(0);
    }

    /// Takes one write, then routes what its influxDBOut nodes wrote.
    fn write(&mut self, batches: Vec<Arc<WriteBatch>>, hops: usize) {
        let now = crate::clock::system_now();
        for batch in &batches {
            self.task.write_at(batch, now);
        }
        self.write_back(hops);
    }

    /// Routes what the task's influxDBOut nodes wrote, `hops` generations from a write to
    /// ingest: to the other tasks through the router, to this one at once (its own queue
    /// could be full of what it is waiting on).
    fn write_back(&mut self, mut hops: usize) {
        loop {
            let written = self.task.take_writes();
            if written.is_empty() {
                return;
            }
            hops += 1;
            if hops > MAX_WRITE_BACK_GENERATIONS {
                self.router.stats().errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(
                    task = %self.id,
                    "influxDBOut writes come back into the tasks without end \
                     ({MAX_WRITE_BACK_GENERATIONS} generations from one write); the rest were dropped"
                );
                return;
            }
            // What goes to a configured InfluxDB is sent there (it comes back, if at all,
            // through a subscription); the rest takes the local ingest path.
            let written: Vec<Arc<WriteBatch>> = written
                .into_iter()
                .filter(|w| !self.peers.as_ref().is_some_and(|peers| peers.write(w)))
                .map(|w| Arc::new(w.write))
                .collect();
            if written.is_empty() {
                return;
            }
            let routed = self.runtime.block_on(self.router.route(
                &written,
                hops,
                Some(&self.id),
                self.write_back_timeout,
            ));
            if let Err(refused) = routed {
                self.router.stats().errors.fetch_add(1, Ordering::Relaxed);
                tracing::error!(task = %self.id, %refused, "influxDBOut writes were dropped");
            }
            let now = crate::clock::system_now();
            for batch in written.iter().filter(|b| self.route.takes(b)) {
                self.task.write_at(batch, now);
            }
        }
    }

    fn answer(&mut self, command: TaskCommand) {
        // A caller that stopped waiting for the reply no longer needs it.
        match command {
            TaskCommand::Running(reply) => {
                self.throughput.sample(&self.task);
                let throughput = self.throughput.rate;
                let _ = reply.send(RunningTask {
                    dot: self.task.dot(&self.id, throughput),
                    nodes: self.task.statistics(),
                    throughput,
                });
            }
            TaskCommand::Stop => {}
        }
    }
}

/// A task's throughput, as Kapacitor measures it: what its source took in over the last
/// second or so.
#[derive(Debug, Default)]
struct Throughput {
    /// When the task was last sampled, and what its source had taken in then.
    at: Option<(Instant, u64)>,
    /// The rate between the last two samples, per second.
    rate: f64,
}

impl Throughput {
    /// Samples the task when a second has passed since the last time.
    fn sample(&mut self, task: &Task) {
        let now = Instant::now();
        let collected = task.source_collected();
        match self.at {
            Some((at, _)) if now.duration_since(at) < Duration::from_secs(1) => return,
            Some((at, before)) => {
                self.rate =
                    collected.saturating_sub(before) as f64 / now.duration_since(at).as_secs_f64();
            }
            None => {}
        }
        self.at = Some((now, collected));
    }
}
