//! The stream engine: runs tasks, each built from its DataFusion logical plan, on the
//! writes ingest takes.
//!
//! In: a task's [`LogicalPlan`](datafusion_expr::LogicalPlan) from
//! [`condenser_planner::plan::lower`] (its [`TickNode`](condenser_planner::plan::TickNode)s
//! carry each node's typed spec; `where` and `eval` are DataFusion `Filter` and
//! `Projection`), and [`condenser_model::WriteBatch`]es from ingest, handed to a
//! [`TaskRouter`]. Out: each task's results: httpOut tables, influxDBOut writes (routed back
//! in), POSTs, logs, and alert events ([`alerts`]) on a bounded channel to the handlers.
//!
//! - [`Engine`]: the registry of tasks; routes each write, shared, to the tasks whose
//!   database, retention policy and `from()` select it, and writes back what `influxDBOut`
//!   nodes write. `condenser test` drives one directly, in one thread, deterministically.
//! - [`EngineService`]: the daemon's tasks, each on its own thread behind a bounded input
//!   queue that the [`TaskRouter`] fills (one slow task holds up only the writes it
//!   takes), with an [`EngineHandle`] to define tasks and read their results.
//! - [`Task`]: a task's operators wired as its graph (built in `task/build.rs`, one
//!   exhaustive match over the plan's node specs), and the runtime that moves messages
//!   ([`message`]) along its edges.
//! - [`operators`]: one operator per node kind, behind a small [`operators::Operator`]
//!   trait; [`expr`]: lambdas as DataFusion physical expressions under Kapacitor's type
//!   rules.
//! - [`statistics`]: each node's counts and Kapacitor's DOT graph; [`clock`]: the wall clock;
//!   [`go_time`] and [`go_sort`]: Go's time rounding and `sort.Sort`, where Kapacitor's
//!   results depend on them.

pub mod alerts;
pub mod clock;
mod engine;
pub mod error;
pub mod expr;
pub mod go_sort;
pub mod go_time;
pub mod message;
pub mod operators;
pub mod peers;
pub mod points;
pub mod query;
pub mod recording;
pub mod schedule;
mod service;
pub mod statistics;
pub mod store;
pub mod task;

pub use engine::{Dbrp, Engine, Route};
pub use error::{Error, Result};
pub use peers::Peers;
pub use service::{
    EngineConfig, EngineHandle, EngineService, EngineStats, QueueStatistics, Refused, RunningTask,
    TapHandle, TaskHandlers, TaskRouter,
};
pub use task::{Task, TaskEnv};
