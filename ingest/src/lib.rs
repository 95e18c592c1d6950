//! Ingest: what writers send, turned into Arrow.
//!
//! In: InfluxDB line protocol over HTTP (`/write` of the 1.x API, `/api/v2/write` of the 2.x
//! API, gzip or plain) and UDP datagrams. Out: [`condenser_model::WriteBatch`]es, one per
//! measurement of each accepted write, sent to the engine over a bounded channel
//! ([`WriteSender`]); a write waits while the engine is behind and, past a timeout, is
//! refused with 503 rather than dropped.
//!
//! * [`line_protocol`]: the parser that writes straight into Arrow buffers.
//! * [`http`]: the HTTP API (write, ping, metrics) as an axum router.
//! * [`udp`]: UDP listeners, one per configured database.
//! * [`metrics`]: the counters behind `/metrics`.

pub mod error;
pub mod http;
pub mod line_protocol;
pub mod metrics;
pub mod udp;
pub mod write;

pub use error::{Error, Result};
pub use write::{WriteRefused, WriteRoute, WriteSender, Writer};
