//! Ingest: what writers send, turned into Arrow.
//!
//! In: InfluxDB line protocol over HTTP (`/write` of the 1.x API, `/api/v2/write` of the 2.x
//! API, gzip or plain), UDP datagrams, and Arrow record batches over Flight's `DoPut`. Out:
//! [`condenser_model::WriteBatch`]es, one per measurement of each accepted write, handed
//! whole to a [`WriteRoute`] (in the daemon, the engine's router into the tasks' queues); a
//! write waits while a task it goes to is behind and, past a timeout, is refused with 503
//! rather than dropped.
//!
//! * [`line_protocol`]: the parser that writes straight into Arrow buffers, and the writer
//!   back to line protocol (recordings).
//! * [`flight`]: Arrow Flight's `DoPut`.
//! * [`http`]: the HTTP API (write, ping, metrics) as an axum router.
//! * [`udp`]: UDP listeners, one per configured database.
//! * [`metrics`]: the counters behind `/metrics`.

pub mod error;
pub mod flight;
pub mod http;
pub mod line_protocol;
pub mod metrics;
pub mod udp;
pub mod write;

pub use error::{Error, Result};
pub use write::{WriteRefused, WriteRoute, WriteSender, Writer};
