//! [`Engine`]: the registry of running tasks, and the one path every write takes to them.

use std::sync::Arc;

use condenser_model::WriteBatch;
use datafusion_expr::LogicalPlan;

use crate::error::{Error, Result};
use crate::operators::http_out::HttpOutResult;
use crate::task::Task;

/// How many times the writes of influxDBOut nodes may come back in from one write before the
/// engine calls it a loop.
const MAX_WRITE_BACK_GENERATIONS: usize = 100;

/// A database and retention policy a task takes writes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Dbrp {
    /// The database.
    pub database: String,
    /// The retention policy.
    pub retention_policy: String,
}

impl Dbrp {
    /// `database.retention_policy`.
    pub fn new(database: impl Into<String>, retention_policy: impl Into<String>) -> Self {
        Self {
            database: database.into(),
            retention_policy: retention_policy.into(),
        }
    }
}

/// A task in the registry.
#[derive(Debug)]
struct Registered {
    id: String,
    task: Task,
    /// The databases and retention policies it takes writes from (all when empty).
    dbrps: Vec<Dbrp>,
}

impl Registered {
    /// Whether the task takes `write`: its dbrp is one of the task's, and a `from()` of the
    /// task selects its measurement.
    fn takes(&self, write: &WriteBatch) -> bool {
        let dbrp = self.dbrps.is_empty()
            || self
                .dbrps
                .iter()
                .any(|d| *d.database == *write.db && *d.retention_policy == *write.rp);
        dbrp && self.task.selects(&write.db, &write.rp, &write.measurement)
    }
}

/// The running tasks, by id, and the routing of writes to them.
///
/// A write goes to every task whose databases and retention policies include its own and
/// one of whose `from()`s selects it, shared (one `Arc`, no copy per task), in the order
/// writes come. What the tasks' `influxDBOut` nodes write comes back in the same way (the
/// local ingest path) before the next write.
#[derive(Debug, Default)]
pub struct Engine {
    tasks: Vec<Registered>,
}

impl Engine {
    /// An engine without tasks.
    pub fn new() -> Self {
        Self::default()
    }

    /// Defines task `id` from its plan (replacing a task of that id), taking writes to
    /// `dbrps` (every database when empty).
    pub fn define(&mut self, id: &str, plan: &LogicalPlan, dbrps: Vec<Dbrp>) -> Result<()> {
        let task = Task::try_new(plan)?;
        let registered = Registered {
            id: id.to_owned(),
            task,
            dbrps,
        };
        match self.tasks.iter_mut().find(|t| t.id == id) {
            Some(existing) => *existing = registered,
            None => self.tasks.push(registered),
        }
        Ok(())
    }

    /// Removes task `id`; whether it existed.
    pub fn delete(&mut self, id: &str) -> bool {
        let before = self.tasks.len();
        self.tasks.retain(|t| t.id != id);
        self.tasks.len() < before
    }

    /// Task `id`.
    pub fn task(&self, id: &str) -> Option<&Task> {
        self.tasks.iter().find(|t| t.id == id).map(|t| &t.task)
    }

    /// The ids of the tasks, in the order they were defined.
    pub fn task_ids(&self) -> Vec<&str> {
        self.tasks.iter().map(|t| t.id.as_str()).collect()
    }

    /// The result of httpOut node `name` of task `task`, shared: it follows the task.
    pub fn http_out(&self, task: &str, name: &str) -> Result<Option<HttpOutResult>> {
        let task = self
            .task(task)
            .ok_or_else(|| Error::UnknownTask(task.to_owned()))?;
        Ok(task.http_out(name).cloned())
    }

    /// Routes one write at wall-clock time `now`, then the writes the tasks' influxDBOut
    /// nodes make from it, until none come back. An error when they come back without end.
    pub fn write(&mut self, write: Arc<WriteBatch>, now: i64) -> Result<()> {
        let mut generation = vec![write];
        for _ in 0..MAX_WRITE_BACK_GENERATIONS {
            for write in &generation {
                for registered in self.tasks.iter_mut().filter(|t| t.takes(write)) {
                    registered.task.write_at(write, now);
                }
            }
            generation = self
                .tasks
                .iter()
                .flat_map(|t| t.task.take_writes())
                .map(Arc::new)
                .collect();
            if generation.is_empty() {
                return Ok(());
            }
        }
        Err(Error::Data(format!(
            "influxDBOut writes come back into the tasks without end \
             ({MAX_WRITE_BACK_GENERATIONS} generations from one write); the rest were dropped"
        )))
    }

    /// Lets every task's wall-clock nodes emit what is due at `now`; what influxDBOut nodes
    /// write as a result is routed as writes are.
    pub fn tick(&mut self, now: i64) -> Result<()> {
        for registered in &mut self.tasks {
            registered.task.tick(now);
        }
        self.route_write_back(now)
    }

    /// Whether some task acts on the wall clock and must be ticked.
    pub fn ticks(&self) -> bool {
        self.tasks.iter().any(|t| t.task.ticks())
    }

    /// Ends every task's input (a replay's end).
    pub fn finish(&mut self) -> Result<()> {
        for registered in &mut self.tasks {
            registered.task.finish();
        }
        self.route_write_back(crate::clock::system_now())
    }

    fn route_write_back(&mut self, now: i64) -> Result<()> {
        let writes: Vec<WriteBatch> = self
            .tasks
            .iter()
            .flat_map(|t| t.task.take_writes())
            .collect();
        for write in writes {
            self.write(Arc::new(write), now)?;
        }
        Ok(())
    }
}
