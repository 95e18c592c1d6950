//! [`TaskRouter`]: hands each write to the input queues of the tasks that take it, whole or
//! not at all.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use condenser_model::WriteBatch;
use tokio::sync::mpsc;

use super::EngineStats;
use super::runner::TaskInput;
use crate::engine::Route;

/// Why a write was not handed over.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// A task the write goes to had no room in its queue within the timeout; no task got
    /// any of the write.
    #[error("task {task:?} is behind: write not accepted within {waited:?}, retry later")]
    Busy {
        /// The task that is behind.
        task: String,
        /// How long the write waited for room.
        waited: Duration,
    },
    /// The engine has stopped (the daemon is shutting down).
    #[error("the engine is not running")]
    Closed,
}

/// What a task's input queue saw; read by `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct QueueCounters {
    writes: AtomicU64,
    points: AtomicU64,
    waits: AtomicU64,
    wait_nanos: AtomicU64,
    refused: AtomicU64,
    /// Groups the task forgot as idle (set by the task's thread).
    pub(crate) expired_groups: AtomicU64,
}

/// A task's input queue, as `/metrics` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStatistics {
    /// The task.
    pub task: String,
    /// Writes in the queue now.
    pub depth: usize,
    /// Writes the queue holds before writers wait.
    pub capacity: usize,
    /// Writes put in the queue.
    pub writes: u64,
    /// Points put in the queue.
    pub points: u64,
    /// Writes that found the queue full and waited for room.
    pub waits: u64,
    /// Time writes spent waiting for room, in seconds.
    pub wait_seconds: f64,
    /// Writes refused because the queue stayed full.
    pub refused: u64,
    /// Groups the task forgot because they were idle past the engine's group expiry.
    pub expired_groups: u64,
}

/// A running task as the router sees it: what it takes and its queue.
#[derive(Debug, Clone)]
pub(crate) struct RouteEntry {
    pub(crate) id: Arc<str>,
    pub(crate) route: Route,
    pub(crate) queue: mpsc::Sender<TaskInput>,
    pub(crate) counters: Arc<QueueCounters>,
}

/// A copy of the writes a route takes, for a recording.
#[derive(Debug)]
struct Tap {
    id: u64,
    route: Route,
    sender: std::sync::mpsc::Sender<Arc<WriteBatch>>,
}

/// While kept, the writes a route takes are copied to its receiver (a recording); dropped,
/// the copying stops.
#[derive(Debug)]
pub struct TapHandle {
    router: TaskRouter,
    id: u64,
}

impl Drop for TapHandle {
    fn drop(&mut self) {
        let mut taps = match self.router.inner.taps.write() {
            Ok(taps) => taps,
            Err(poisoned) => poisoned.into_inner(),
        };
        taps.retain(|t| t.id != self.id);
    }
}

#[derive(Debug, Default)]
struct RouterInner {
    /// The recordings' copies.
    taps: RwLock<Vec<Tap>>,
    next_tap: AtomicU64,
    /// The running tasks in the order they were defined; replaced whole on a change, so a
    /// write routes over one consistent set without holding the lock.
    routes: RwLock<Arc<Vec<RouteEntry>>>,
    closed: AtomicBool,
    stats: Arc<EngineStats>,
    /// Where every write routed is kept for batch queries.
    store: crate::store::Store,
}

/// The routing of writes to the running tasks' input queues. Cheap to clone.
///
/// A write goes to every task whose [`Route`] takes it, each task getting the batches it
/// takes as one message, shared (one `Arc` per batch, no copy per task). It waits for room
/// in each of those queues until a deadline; if one stays full, the write is refused whole
/// and no task gets any of it, so the writer can send it again. Writes no full queue takes
/// go on: one slow task holds up only the writes it takes.
#[derive(Debug, Clone, Default)]
pub struct TaskRouter {
    inner: Arc<RouterInner>,
}

impl TaskRouter {
    pub(crate) fn new(stats: Arc<EngineStats>, store: crate::store::Store) -> Self {
        Self {
            inner: Arc::new(RouterInner {
                stats,
                store,
                ..RouterInner::default()
            }),
        }
    }

    /// Hands `batches` (one write) to the tasks that take them, waiting at most `timeout`
    /// for room in their queues.
    pub async fn hand_over(
        &self,
        batches: Vec<WriteBatch>,
        timeout: Duration,
    ) -> Result<(), Refused> {
        if self.inner.closed.load(Ordering::Acquire) {
            return Err(Refused::Closed);
        }
        let batches: Vec<Arc<WriteBatch>> = batches.into_iter().map(Arc::new).collect();
        self.route(&batches, 0, None, timeout).await?;
        self.inner.stats.took(&batches);
        self.copy_to_taps(&batches);
        Ok(())
    }

    /// Copies, from now on, the writes to ingest that `route` takes (batch by batch) to the
    /// receiver, for as long as the handle is kept.
    pub fn tap(&self, route: Route) -> (TapHandle, std::sync::mpsc::Receiver<Arc<WriteBatch>>) {
        let (sender, receiver) = std::sync::mpsc::channel();
        let id = self.inner.next_tap.fetch_add(1, Ordering::Relaxed);
        let mut taps = match self.inner.taps.write() {
            Ok(taps) => taps,
            Err(poisoned) => poisoned.into_inner(),
        };
        taps.push(Tap { id, route, sender });
        (
            TapHandle {
                router: self.clone(),
                id,
            },
            receiver,
        )
    }

    fn copy_to_taps(&self, batches: &[Arc<WriteBatch>]) {
        let taps = match self.inner.taps.read() {
            Ok(taps) => taps,
            Err(poisoned) => poisoned.into_inner(),
        };
        for tap in taps.iter() {
            for batch in batches.iter().filter(|b| tap.route.takes(b)) {
                let _ = tap.sender.send(Arc::clone(batch));
            }
        }
    }

    /// Hands `batches`, `hops` influxDBOut generations away from the write that caused
    /// them, to the tasks other than `except` that take them.
    pub(crate) async fn route(
        &self,
        batches: &[Arc<WriteBatch>],
        hops: usize,
        except: Option<&str>,
        timeout: Duration,
    ) -> Result<(), Refused> {
        let routes = self.snapshot();
        let deadline = Instant::now() + timeout;
        let mut permits = Vec::new();
        for entry in routes.iter().filter(|e| Some(&*e.id) != except) {
            let taken: Vec<Arc<WriteBatch>> = batches
                .iter()
                .filter(|b| entry.route.takes(b))
                .cloned()
                .collect();
            if taken.is_empty() {
                continue;
            }
            let permit = match entry.queue.try_reserve() {
                Ok(permit) => permit,
                // A task that stopped meanwhile takes nothing.
                Err(mpsc::error::TrySendError::Closed(())) => continue,
                Err(mpsc::error::TrySendError::Full(())) => {
                    let started = Instant::now();
                    let waited =
                        tokio::time::timeout_at(deadline.into(), entry.queue.reserve()).await;
                    let counters = &entry.counters;
                    counters.waits.fetch_add(1, Ordering::Relaxed);
                    counters
                        .wait_nanos
                        .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
                    match waited {
                        Ok(Ok(permit)) => permit,
                        Ok(Err(_)) => continue,
                        Err(_) => {
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                            return Err(Refused::Busy {
                                task: entry.id.to_string(),
                                waited: timeout,
                            });
                        }
                    }
                }
            };
            permits.push((permit, entry, taken));
        }
        for (permit, entry, batches) in permits {
            let points: usize = batches.iter().map(|b| b.num_points()).sum();
            entry.counters.writes.fetch_add(1, Ordering::Relaxed);
            entry
                .counters
                .points
                .fetch_add(points as u64, Ordering::Relaxed);
            permit.send(TaskInput::Write { batches, hops });
        }
        let now = crate::clock::system_now();
        for batch in batches {
            self.inner.store.insert(batch, now);
        }
        Ok(())
    }

    /// The running tasks' queues.
    pub fn queues(&self) -> Vec<QueueStatistics> {
        self.snapshot()
            .iter()
            .map(|entry| {
                let counters = &entry.counters;
                QueueStatistics {
                    task: entry.id.to_string(),
                    depth: entry.queue.max_capacity() - entry.queue.capacity(),
                    capacity: entry.queue.max_capacity(),
                    writes: counters.writes.load(Ordering::Relaxed),
                    points: counters.points.load(Ordering::Relaxed),
                    waits: counters.waits.load(Ordering::Relaxed),
                    wait_seconds: counters.wait_nanos.load(Ordering::Relaxed) as f64 / 1e9,
                    refused: counters.refused.load(Ordering::Relaxed),
                    expired_groups: counters.expired_groups.load(Ordering::Relaxed),
                }
            })
            .collect()
    }

    pub(crate) fn snapshot(&self) -> Arc<Vec<RouteEntry>> {
        match self.inner.routes.read() {
            Ok(routes) => Arc::clone(&routes),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Changes the set of routes with `change`.
    fn change(&self, change: impl FnOnce(&mut Vec<RouteEntry>)) {
        let mut routes = match self.inner.routes.write() {
            Ok(routes) => routes,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = routes.as_ref().clone();
        change(&mut next);
        *routes = Arc::new(next);
    }

    /// Routes to `entry` from now on, in the place of the task of its id, if any.
    pub(crate) fn insert(&self, entry: RouteEntry) {
        self.change(
            |routes| match routes.iter_mut().find(|e| e.id == entry.id) {
                Some(existing) => *existing = entry,
                None => routes.push(entry),
            },
        );
    }

    /// Stops routing to task `id`.
    pub(crate) fn remove(&self, id: &str) {
        self.change(|routes| routes.retain(|e| &*e.id != id));
    }

    /// Refuses writes from now on and lets go of every queue, so the tasks drain them and
    /// stop.
    pub(crate) fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.change(Vec::clear);
    }

    pub(crate) fn stats(&self) -> &Arc<EngineStats> {
        &self.inner.stats
    }
}
