//! The stream engine.
//!
//! In: [`condenser_model::WriteBatch`]es from ingest, over a bounded channel ([`Writes`]).
//! Out: the results of tasks (httpOut tables, alert events for the handlers).
//!
//! The entry type is [`Router`]: it takes every write from ingest, in order, and hands each
//! batch to the tasks whose database, retention policy and measurement match. Tasks and their
//! operators arrive with the stream engine work; today the router counts what it receives, so
//! the whole ingest path (parse, hand over, back-pressure) is real and observable.

pub mod clock;
pub mod go_time;
pub mod lambda;
pub mod message;
pub mod operators;
pub mod router;
pub mod statistics;
pub mod task;
pub mod template;

pub use router::{Router, RouterStats, Writes};
pub use task::Task;
