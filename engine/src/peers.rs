//! [`Peers`]: the real InfluxDB servers a daemon's tasks read from and write to (its
//! `[[influxdb]]` entries). The engine asks them; the daemon talks to them.

use std::fmt;

use crate::operators::influxdb_out::Written;

/// The InfluxDB servers the tasks know.
pub trait Peers: Send + Sync + fmt::Debug {
    /// Runs InfluxQL `query` on database `db` of the InfluxDB named `cluster` (empty: the
    /// default one), and gives its JSON answer (`{"results": …}`); `None` when no InfluxDB
    /// answers for that cluster and database, so the query runs on the embedded store.
    fn query(
        &self,
        cluster: &str,
        db: &str,
        query: &str,
    ) -> Option<Result<serde_json::Value, String>>;

    /// Takes what an influxDBOut node wrote for the InfluxDB its `.cluster()` names (empty:
    /// the default one), to be sent (batched as its `.buffer()` and `.flushInterval()` say,
    /// retried); `false` when no InfluxDB is configured, so the write goes to the local
    /// ingest path.
    fn write(&self, written: &Written) -> bool;
}
