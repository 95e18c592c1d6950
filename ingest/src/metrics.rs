//! [`IngestMetrics`]: what was ingested, per database, in Prometheus text format.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The counters of one database.
#[derive(Debug, Default)]
pub struct DatabaseCounters {
    points_accepted: AtomicU64,
    lines_rejected: AtomicU64,
    bytes_received: AtomicU64,
    writes_refused: AtomicU64,
}

impl DatabaseCounters {
    pub(crate) fn add_points(&self, n: u64) {
        self.points_accepted.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_rejected(&self, n: u64) {
        self.lines_rejected.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_bytes(&self, n: u64) {
        self.bytes_received.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn add_refused(&self) {
        self.writes_refused.fetch_add(1, Ordering::Relaxed);
    }

    /// Points handed to the engine.
    pub fn points_accepted(&self) -> u64 {
        self.points_accepted.load(Ordering::Relaxed)
    }

    /// Lines rejected as unparsable or conflicting.
    pub fn lines_rejected(&self) -> u64 {
        self.lines_rejected.load(Ordering::Relaxed)
    }

    /// Body bytes received (after gzip decoding).
    pub fn bytes_received(&self) -> u64 {
        self.bytes_received.load(Ordering::Relaxed)
    }

    /// Writes refused because the engine was behind.
    pub fn writes_refused(&self) -> u64 {
        self.writes_refused.load(Ordering::Relaxed)
    }
}

/// Ingest counters of every database written to since start.
#[derive(Debug, Default)]
pub struct IngestMetrics {
    databases: Mutex<BTreeMap<Arc<str>, Arc<DatabaseCounters>>>,
}

/// Reads one counter of a database.
type CounterReader = fn(&DatabaseCounters) -> u64;

/// The counters rendered, in order: name, help text, reader.
const COUNTERS: [(&str, &str, CounterReader); 4] = [
    (
        "condenser_points_accepted_total",
        "Points accepted by ingest and handed to the engine.",
        DatabaseCounters::points_accepted,
    ),
    (
        "condenser_lines_rejected_total",
        "Lines of line protocol rejected (bad syntax, type conflicts).",
        DatabaseCounters::lines_rejected,
    ),
    (
        "condenser_bytes_received_total",
        "Bytes of line protocol received (after gzip decoding).",
        DatabaseCounters::bytes_received,
    ),
    (
        "condenser_writes_refused_total",
        "Writes refused with 503 because the engine was behind (nothing of them kept).",
        DatabaseCounters::writes_refused,
    ),
];

impl IngestMetrics {
    /// The counters of `db`, created on first use.
    pub fn database(&self, db: &str) -> Arc<DatabaseCounters> {
        let mut databases = self
            .databases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(counters) = databases.get(db) {
            return Arc::clone(counters);
        }
        let counters = Arc::new(DatabaseCounters::default());
        databases.insert(db.into(), Arc::clone(&counters));
        counters
    }

    /// Appends every counter, labelled by database, in Prometheus text format.
    pub fn render(&self, out: &mut String) {
        let databases = self
            .databases
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for (name, help, read) in COUNTERS {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (db, counters) in databases.iter() {
                let _ = writeln!(
                    out,
                    "{name}{{db=\"{}\"}} {}",
                    label_value(db),
                    read(counters)
                );
            }
        }
    }
}

/// A Prometheus label value with `\`, `"` and newlines escaped.
pub fn label_value(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_each_counter_per_database() {
        let metrics = IngestMetrics::default();
        metrics.database("telegraf").add_points(3);
        metrics.database("we\"ird").add_rejected(2);
        let mut out = String::new();
        metrics.render(&mut out);
        assert!(
            out.contains("condenser_points_accepted_total{db=\"telegraf\"} 3\n"),
            "{out}"
        );
        assert!(
            out.contains("condenser_lines_rejected_total{db=\"we\\\"ird\"} 2\n"),
            "{out}"
        );
        assert!(
            out.contains("# TYPE condenser_bytes_received_total counter\n"),
            "{out}"
        );
    }
}
