//! [`Engine`]: the registry of running tasks, and the one path every write takes to them.

use std::sync::Arc;

use condenser_model::WriteBatch;
use datafusion_expr::LogicalPlan;

use crate::alerts::AlertContext;
use crate::error::{Error, Result};
use crate::message::Batch;
use crate::operators::http_out::HttpOutResult;
use crate::task::{Selection, Task, TaskEnv};

/// How many times the writes of influxDBOut nodes may come back in from one write before the
/// engine calls it a loop.
pub(crate) const MAX_WRITE_BACK_GENERATIONS: usize = 100;

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

/// Which writes a task takes: those to one of its databases and retention policies (every
/// one when it names none) that one of its `from()`s selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The databases and retention policies it takes writes from (all when empty).
    pub dbrps: Vec<Dbrp>,
    /// What its `from()`s select.
    pub selection: Selection,
}

impl Route {
    /// The route of `task`, taking writes to `dbrps`.
    pub fn new(task: &Task, dbrps: Vec<Dbrp>) -> Self {
        Self {
            dbrps,
            selection: task.selection(),
        }
    }

    /// Whether the task takes `write`.
    pub fn takes(&self, write: &WriteBatch) -> bool {
        let dbrp = self.dbrps.is_empty()
            || self
                .dbrps
                .iter()
                .any(|d| *d.database == *write.db && *d.retention_policy == *write.rp);
        dbrp && self
            .selection
            .selects(&write.db, &write.rp, &write.measurement)
    }
}

/// A task in the registry.
#[derive(Debug)]
struct Registered {
    id: String,
    task: Task,
    route: Route,
}

impl Registered {
    fn takes(&self, write: &WriteBatch) -> bool {
        self.route.takes(write)
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
    alerts: AlertContext,
}

impl Engine {
    /// An engine without tasks, whose alerts go nowhere (they are counted).
    pub fn new() -> Self {
        Self::default()
    }

    /// An engine without tasks whose alert nodes send their events as `alerts` says.
    pub fn with_alerts(alerts: AlertContext) -> Self {
        Self {
            tasks: Vec::new(),
            alerts,
        }
    }

    /// Defines task `id` from its plan (replacing a task of that id), taking writes to
    /// `dbrps` (every database when empty).
    pub fn define(&mut self, id: &str, plan: &LogicalPlan, dbrps: Vec<Dbrp>) -> Result<()> {
        let env = TaskEnv {
            name: id.to_owned(),
            alerts: self.alerts.clone(),
            // Offline, the wall clock says nothing of a group's life.
            group_expiry: None,
        };
        let task = Task::build(plan, &env)?;
        let registered = Registered {
            id: id.to_owned(),
            route: Route::new(&task, dbrps),
            task,
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
                .map(|written| Arc::new(written.write))
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

    /// Hands `batch`, a result of query `query` (an index of its [`Task::queries`]) of
    /// batch task `task`, to that query node at wall-clock time `now`; what influxDBOut
    /// nodes write as a result is routed as writes are.
    pub fn take_batch(&mut self, task: &str, query: usize, batch: Batch, now: i64) -> Result<()> {
        let registered = self
            .tasks
            .iter_mut()
            .find(|t| t.id == task)
            .ok_or_else(|| Error::UnknownTask(task.to_owned()))?;
        if !registered.task.take_batch(query, batch, now) {
            return Err(Error::Data(format!("task {task:?} has no query {query}")));
        }
        self.route_write_back(now)
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
            .map(|written| written.write)
            .collect();
        for write in writes {
            self.write(Arc::new(write), now)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use condenser_ingest::line_protocol::{ParseOptions, parse};
    use condenser_model::{Precision, WriteBatch};
    use condenser_planner::{TaskType, check};
    use serde_json::Value;

    use super::{Dbrp, Engine};
    use crate::error::Error;

    fn define(engine: &mut Engine, id: &str, script: &str, dbrps: Vec<Dbrp>) {
        let checked = check(script, TaskType::Stream, None).unwrap();
        let plan = condenser_planner::plan::lower(&checked.pipeline).unwrap();
        engine.define(id, &plan, dbrps).unwrap();
    }

    /// Writes one line of line protocol (time in seconds) to `db`.`rp`.
    fn write(engine: &mut Engine, db: &str, rp: &str, line: &str) -> crate::error::Result<()> {
        let parsed = parse(line.as_bytes(), ParseOptions::new(Precision::Second, 0)).unwrap();
        for table in parsed.tables {
            let measurement: Arc<str> = Arc::from(table.measurement.as_str());
            let write =
                WriteBatch::try_new(db.into(), rp.into(), measurement, table.batch).unwrap();
            engine.write(Arc::new(write), 0)?;
        }
        Ok(())
    }

    /// The values of task `id`'s httpOut('out'), series by series.
    fn values(engine: &Engine, id: &str) -> Vec<Value> {
        let json = engine.http_out(id, "out").unwrap().unwrap().to_json();
        json["series"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| s["values"].clone())
            .collect()
    }

    #[test]
    fn writes_reach_the_tasks_of_their_database_and_retention_policy() {
        let mut engine = Engine::new();
        let script = "stream|from().measurement('cpu')|httpOut('out')";
        define(&mut engine, "a", script, vec![Dbrp::new("db", "rp")]);
        define(&mut engine, "b", script, vec![Dbrp::new("other", "rp")]);
        write(&mut engine, "db", "rp", "cpu v=1 1").unwrap();
        write(&mut engine, "db", "rp", "mem v=2 2").unwrap();
        assert_eq!(values(&engine, "a").len(), 1);
        assert!(values(&engine, "b").is_empty());
        assert!(engine.delete("a"));
        assert!(matches!(
            engine.http_out("a", "out"),
            Err(Error::UnknownTask(id)) if id == "a"
        ));
    }

    #[test]
    fn what_influxdb_out_writes_comes_back_to_the_tasks_of_its_database() {
        let mut engine = Engine::new();
        define(
            &mut engine,
            "double",
            "stream|from().measurement('cpu')|eval(lambda: \"v\" * 2.0).as('v')\
             |influxDBOut().database('derived').retentionPolicy('rp').measurement('doubled')",
            vec![Dbrp::new("db", "rp")],
        );
        define(
            &mut engine,
            "watch",
            "stream|from().measurement('doubled')|httpOut('out')",
            vec![Dbrp::new("derived", "rp")],
        );
        write(&mut engine, "db", "rp", "cpu v=21 1").unwrap();
        assert_eq!(
            values(&engine, "watch"),
            [serde_json::json!([["1970-01-01T00:00:01Z", 42.0]])]
        );
    }

    #[test]
    fn a_task_writing_into_its_own_input_is_stopped_as_a_loop() {
        let mut engine = Engine::new();
        define(
            &mut engine,
            "loop",
            "stream|from().measurement('cpu')|influxDBOut().database('db').retentionPolicy('rp')",
            vec![Dbrp::new("db", "rp")],
        );
        let error = write(&mut engine, "db", "rp", "cpu v=1 1").unwrap_err();
        assert!(error.to_string().contains("without end"), "{error}");
    }
}
