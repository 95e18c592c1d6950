//! The daemon's own parts beside ingest, the engine and the handlers: the durable store,
//! the defined tasks, and Kapacitor's HTTP API over them.

pub(crate) mod auth;
pub(crate) mod kapacitor_api;
pub(crate) mod store;
pub(crate) mod tasks;
