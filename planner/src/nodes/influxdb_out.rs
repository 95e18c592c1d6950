//! `influxDBOut()`: writes each point (and each batch's points) to a database.

use std::fmt;

use condenser_model::Precision;

use super::{Call, Properties, Quoted, string_of, unsupported};
use crate::Diagnostic;

/// The resolved properties of an `influxDBOut()` node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InfluxDbOutSpec {
    /// `.database()`.
    pub database: String,
    /// `.retentionPolicy()`.
    pub retention_policy: String,
    /// `.measurement()`: the measurement written (default: the data's).
    pub measurement: Option<String>,
    /// `.precision()`: times are cut down to this unit (default nanoseconds).
    pub precision: Precision,
    /// `.tag(key, value)`: tags added to every point (a later key replaces a value).
    pub tags: Vec<(String, String)>,
    /// `.create()`: the database is created on the InfluxDB written to (the local ingest
    /// path takes writes to any database, so there it exists already).
    pub create: bool,
    /// `.cluster()`: the configured InfluxDB written to (empty: the default one, or the
    /// local ingest path when none is configured).
    pub cluster: String,
    /// `.writeConsistency()`: the consistency asked of an InfluxDB cluster (empty: its
    /// default).
    pub write_consistency: String,
    /// `.buffer()`: an InfluxDB write is sent once this many points wait (default 1000).
    pub buffer: i64,
    /// `.flushInterval()`: or once the oldest has waited this long (default 10s).
    pub flush_interval: condenser_model::Duration,
}

impl InfluxDbOutSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        let span = props.span();
        let mut required = |name: &str, script: &str| {
            props.string(name).ok_or_else(|| {
                unsupported(
                    span,
                    format!(
                        "influxDBOut() without .{script}() (writing back where the point came from)"
                    ),
                )
            })
        };
        let database = required("Database", "database")?;
        let retention_policy = required("RetentionPolicy", "retentionPolicy")?;
        let precision_span = props.last("Precision").map_or(span, |s| s.span);
        let precision = match props.string("Precision").as_deref() {
            None | Some("") => Precision::Nanosecond,
            Some(name) => name.parse().map_err(|_| {
                Diagnostic::error(
                    precision_span,
                    format!("invalid precision {name:?}: expected one of ns, u, ms, s, m, h"),
                )
            })?,
        };
        let mut tags = Vec::new();
        for setting in props.all("Tag") {
            if let [key, value] = setting.args.as_slice() {
                super::default::upsert(
                    &mut tags,
                    string_of(key).unwrap_or_default().to_owned(),
                    string_of(value).unwrap_or_default().to_owned(),
                );
            }
        }
        Ok(InfluxDbOutSpec {
            database,
            retention_policy,
            measurement: props.string("Measurement"),
            precision,
            tags,
            create: props.flag("Create"),
            cluster: props.string("Cluster").unwrap_or_default(),
            write_consistency: props.string("WriteConsistency").unwrap_or_default(),
            buffer: props.int("Buffer").unwrap_or(1000).max(1),
            flush_interval: props
                .duration("FlushInterval")
                .filter(|d| d.is_positive())
                .unwrap_or(condenser_model::Duration::from_nanos(10_000_000_000)),
        })
    }
}

impl fmt::Display for InfluxDbOutSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let measurement = self.measurement.as_deref().map(Quoted);
        let precision = self.precision.to_string();
        let precision = Quoted(&precision);
        let mut call = Call::new(f, "influxDBOut", &[])
            .prop("database", &[&Quoted(&self.database)])
            .prop("retentionPolicy", &[&Quoted(&self.retention_policy)])
            .opt(
                "measurement",
                measurement.as_ref().map(|q| q as &dyn fmt::Display),
            )
            .opt(
                "precision",
                (self.precision != Precision::Nanosecond)
                    .then_some(&precision as &dyn fmt::Display),
            );
        for (key, value) in &self.tags {
            call = call.prop("tag", &[&Quoted(key), &Quoted(value)]);
        }
        let cluster = Quoted(&self.cluster);
        let consistency = Quoted(&self.write_consistency);
        call.flag("create", self.create)
            .opt(
                "cluster",
                (!self.cluster.is_empty()).then_some(&cluster as &dyn fmt::Display),
            )
            .opt(
                "writeConsistency",
                (!self.write_consistency.is_empty()).then_some(&consistency as &dyn fmt::Display),
            )
            .end()
    }
}
