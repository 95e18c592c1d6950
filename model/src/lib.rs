//! The shared vocabulary of Condenser: what a point looks like as Arrow data.
//!
//! Everything after ingest speaks these types. Ingest turns line protocol (or Arrow Flight
//! data) into a [`WriteBatch`]: one Arrow `RecordBatch` of points of one measurement, written
//! to one database and retention policy. The engine routes write batches to tasks; the
//! handlers receive [`AlertEvent`]s ([`alert`]), serialized as Kapacitor's handlers send them.
//!
//! # The Arrow shape of points ([`schema`])
//!
//! * `time` is the first column, `Timestamp(Nanosecond, "UTC")`, never null.
//! * Tags follow, sorted by key, as dictionary-encoded strings (`Dictionary(Int32, Utf8)`);
//!   a null is a point that lacks the tag.
//! * Fields follow, sorted by key, typed `Float64`, `Int64`, `UInt64`, `Utf8` or `Boolean`
//!   (InfluxDB's float, integer, unsigned, string and boolean); a null is a point that lacks
//!   the field.
//! * Each column's role is marked in its Arrow field metadata under [`schema::ROLE_KEY`]
//!   (`"time"`, `"tag"` or `"field"`), so a tag and a string field are never confused.
//!
//! Go's `text/template` ([`template`]) and `encoding/json` ([`go_json`]) live here too:
//! the planner parses alert and URL templates with them, the engine and handlers render.
//!
//! No tokio and no DataFusion here: this crate is the contract between the others.

pub mod alert;
pub mod duration;
pub mod error;
pub mod go_json;
pub mod handler;
pub mod precision;
pub mod schema;
pub mod template;
pub mod time;
pub mod topic;
pub mod write_batch;

pub use alert::{AlertData, AlertEvent, Level, Series};
pub use duration::Duration;
pub use error::{Error, Result};
pub use precision::Precision;
pub use schema::{ColumnRole, FieldType};
pub use write_batch::WriteBatch;
