//! The TICKscript front end and planner.
//!
//! In: TICKscript text (and, for a template, its vars). Out: a validated [`Pipeline`] of
//! nodes with their properties, or [`Diagnostics`] that say what is wrong and where.
//!
//! - [`tick`]: lexer, parser, syntax tree with spans, and the formatter.
//! - [`catalog`]: every node, property, chaining method and alert handler Kapacitor has, and
//!   the functions lambdas may call.
//! - [`pipeline`]: evaluates a program against the catalog into a pipeline, applying
//!   Kapacitor's define-time rules (edge types, argument types, undefined names, template
//!   vars).
//! - [`functions`]: Kapacitor's lambda functions as DataFusion scalar UDFs, defined once for
//!   the planner and the engine.
//! - [`influxql`]: the InfluxQL subset of batch `query()` nodes, parsed and checked.
//! - [`nodes`]: one file per node kind, resolving a node's arguments and properties into
//!   its typed spec (`WindowSpec`, …); the only place properties are read by name.
//! - [`plan`]: lowers a pipeline to a DataFusion logical plan (lambdas as DataFusion
//!   expressions over Kapacitor's functions as scalar UDFs, every node an extension node
//!   carrying its spec, `where` and `eval` as `Filter` and `Projection`) and prints it.
//! - [`template`]: Go's text/template as Kapacitor's templates use it (httpPost URLs, alert ids,
//!   messages and details).
//!
//! The entry points are [`check`] (script to pipeline) and [`plan::lower`] (pipeline to the
//! plan the engine runs).

pub mod catalog;
mod diagnostic;
pub mod functions;
pub mod influxql;
pub mod nodes;
pub mod pipeline;
pub mod plan;
pub use condenser_model::template;
pub mod tick;
mod value_type;

pub use diagnostic::{Diagnostic, Diagnostics, Note, Severity};
pub use pipeline::{DeadmanConfig, Pipeline, TaskType, Vars, check, check_with};
pub use value_type::ValueType;
