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
//! - [`plan`]: lowers a pipeline to a DataFusion logical plan (lambdas as DataFusion
//!   expressions over Kapacitor's functions as scalar UDFs, stateful nodes as extension
//!   nodes) and prints it.
//!
//! The entry point is [`check`].

pub mod catalog;
mod diagnostic;
pub mod pipeline;
pub mod plan;
pub mod tick;
mod value_type;

pub use diagnostic::{Diagnostic, Diagnostics, Note, Severity};
pub use pipeline::{Pipeline, TaskType, Vars, check};
pub use value_type::ValueType;
