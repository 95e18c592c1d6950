//! InfluxDB line protocol → Arrow record batches, in one pass over the body.
//!
//! [`parse`] scans a body line by line and appends each value straight into the Arrow
//! buffers of its measurement's table: no per-line structs or maps, and no copies but for
//! tokens that hold escapes. A bad line is reported with its number and reason
//! ([`LineError`]) and leaves no trace in the tables; every good line of the body is kept.
//!
//! Syntax accepted (that of InfluxDB 1.x and 2.x):
//!
//! ```text
//! measurement[,tag_key=tag_value...] field_key=field_value[,field_key=field_value...] [timestamp]
//! ```
//!
//! * Escapes as in [`escape`]; fields are floats (`1`, `-1.5`, `1e-5`), integers (`1i`),
//!   unsigneds (`1u`), strings (`"a \"b\""`, may span lines) and booleans (`t`, `T`, `true`,
//!   `True`, `TRUE`, `f`, `F`, `false`, `False`, `FALSE`).
//! * The timestamp is an integer in the body's [`Precision`]; a line without one gets the
//!   receive time ([`ParseOptions::default_time`]).
//! * Blank lines, lines starting with `#`, leading blanks and CRLF line ends are fine.
//! * Within one body, a field keeps the type of its first good line in its measurement; a
//!   line that gives it another type is rejected (only that line).
//! * A key may not be both a tag and a field of one measurement, and neither may be `time`.

pub mod error;
pub mod escape;
mod parser;
mod table_builder;
mod write;

use arrow::record_batch::RecordBatch;
use condenser_model::Precision;

pub use error::{LineError, LineErrorKind};
pub use write::write_lines;

use crate::{Error, Result};

/// How to read a body: its timestamp precision and the time of lines without a timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    /// The unit of the body's timestamps.
    pub precision: Precision,
    /// The time, in nanoseconds, given to lines without a timestamp.
    pub default_time: i64,
}

impl ParseOptions {
    /// Options for a body received at `receive_time` (nanoseconds since the epoch), whose
    /// lines without timestamp get that time rounded down to `precision`, as InfluxDB does.
    pub fn new(precision: Precision, receive_time: i64) -> Self {
        Self {
            precision,
            default_time: precision.truncate(receive_time),
        }
    }
}

/// The points of one measurement of a body.
#[derive(Debug, Clone)]
pub struct ParsedTable {
    /// The measurement.
    pub measurement: String,
    /// Its points, following [`condenser_model::schema`].
    pub batch: RecordBatch,
}

/// What a body holds: a table per measurement, and the lines that were rejected.
#[derive(Debug, Clone)]
pub struct ParsedBody {
    /// One table per measurement with at least one good line, in order of first appearance.
    pub tables: Vec<ParsedTable>,
    /// The rejected lines, in body order.
    pub errors: Vec<LineError>,
    /// The number of good lines (points).
    pub points: usize,
}

/// Parses a whole line-protocol body into Arrow tables.
///
/// Bad lines never fail the call: they are listed in [`ParsedBody::errors`]. The only error
/// is an internal one (an Arrow array that could not be built), which would be a bug.
pub fn parse(body: &[u8], options: ParseOptions) -> Result<ParsedBody> {
    let scanned = parser::scan(body, options);
    let mut tables = Vec::with_capacity(scanned.tables.len());
    for table in scanned.tables {
        if table.rows() == 0 {
            continue;
        }
        let measurement = table.measurement().to_owned();
        let batch = table.finish().map_err(|source| Error::Internal {
            context: format!("building the Arrow table of measurement {measurement:?}"),
            source,
        })?;
        tables.push(ParsedTable { measurement, batch });
    }
    Ok(ParsedBody {
        tables,
        errors: scanned.errors,
        points: scanned.points,
    })
}

#[cfg(test)]
mod tests;

/// Parses `body` and panics if the result breaks a promise of [`parse`]: that it never
/// fails on user input, that every line is either a point or an error, that errors are in
/// body order, and that every table follows the model's conventions. Used by the fuzz
/// target (`ingest/fuzz`) and by the property tests.
#[doc(hidden)]
pub fn check_promises(body: &[u8]) {
    let parsed = parse(body, ParseOptions::new(Precision::Nanosecond, 0))
        .expect("parse never fails on user input");
    let physical_lines = body.split(|&b| b == b'\n').count();
    assert!(parsed.points + parsed.errors.len() <= physical_lines);
    let rows: usize = parsed.tables.iter().map(|t| t.batch.num_rows()).sum();
    assert_eq!(rows, parsed.points);
    assert!(
        parsed
            .errors
            .windows(2)
            .all(|w| w[0].line_number < w[1].line_number)
    );
    assert!(
        parsed
            .errors
            .iter()
            .all(|e| e.line_number >= 1 && e.line_number <= physical_lines)
    );
    for table in parsed.tables {
        assert!(table.batch.num_rows() > 0);
        condenser_model::WriteBatch::try_new(
            "db".into(),
            "rp".into(),
            table.measurement.into(),
            table.batch,
        )
        .expect("tables follow the model's conventions");
    }
}
