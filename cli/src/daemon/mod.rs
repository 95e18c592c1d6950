//! The daemon's own parts beside ingest, the engine and the handlers: the durable store,
//! the defined tasks and templates, the alert topics and topic handlers, and the two faces
//! over them: the control plane's gRPC service and
//! Kapacitor's HTTP API.

pub(crate) mod alerts;
pub(crate) mod auth;
pub(crate) mod control_service;
pub(crate) mod kapacitor_api;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod tasks;
