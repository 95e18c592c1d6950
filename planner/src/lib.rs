//! The TICKscript front end and planner.
//!
//! In: TICKscript text. Out: a validated pipeline of nodes and, for each task, a DataFusion
//! `LogicalPlan` whose stateful nodes are extension nodes the engine turns into operators.
//!
//! This crate is the home of the lexer, parser, AST, node catalog and lowering; it is filled
//! in by the TICKscript front-end work. Until then it exposes nothing, and no task can be
//! defined: the daemon only ingests.
