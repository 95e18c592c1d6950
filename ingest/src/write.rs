//! [`Writer`]: the one write path behind every listener (HTTP and UDP).
//!
//! A body is parsed on a blocking thread, then its batches are handed over whole to a
//! [`WriteRoute`]: in the daemon, the engine's router, which puts them in the bounded input
//! queues of the tasks that take them. When a queue stays full past the hand-off timeout
//! the write is refused ([`WriteRefused::Busy`]) and nothing of it is kept, so the writer
//! can send it again without duplicating points.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use condenser_model::{Precision, WriteBatch};
use tokio::sync::mpsc;

use crate::line_protocol::{self, LineError, ParseOptions};
use crate::metrics::IngestMetrics;

/// A channel of accepted writes, one message per write: the simplest [`WriteRoute`].
pub type WriteSender = mpsc::Sender<Vec<WriteBatch>>;

/// What [`WriteRoute::hand_over`] returns.
pub type HandOver<'a> = Pin<Box<dyn Future<Output = Result<(), WriteRefused>> + Send + 'a>>;

/// Where a [`Writer`] hands the batches of each accepted write.
pub trait WriteRoute: Send + Sync + fmt::Debug + 'static {
    /// Hands `batches` (one write, one batch per measurement) over whole, waiting at most
    /// `timeout` for room; when refused, nothing of the write was kept.
    fn hand_over(&self, batches: Vec<WriteBatch>, timeout: Duration) -> HandOver<'_>;
}

impl WriteRoute for WriteSender {
    fn hand_over(&self, batches: Vec<WriteBatch>, timeout: Duration) -> HandOver<'_> {
        Box::pin(async move {
            self.send_timeout(batches, timeout)
                .await
                .map_err(|error| match error {
                    mpsc::error::SendTimeoutError::Timeout(_) => WriteRefused::Busy {
                        behind: "the engine".into(),
                        waited: timeout,
                    },
                    mpsc::error::SendTimeoutError::Closed(_) => WriteRefused::Closed,
                })
        })
    }
}

/// Now, in nanoseconds since the epoch: the receive time of a body.
pub fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Where a body is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteTarget {
    /// The database.
    pub db: Arc<str>,
    /// The retention policy.
    pub rp: Arc<str>,
    /// The unit of the body's timestamps.
    pub precision: Precision,
}

/// What became of an accepted write.
#[derive(Debug, Clone, Default)]
pub struct WriteReport {
    /// Points handed to the engine.
    pub points: usize,
    /// Lines rejected (their points were not kept; every other line was).
    pub rejected: Vec<LineError>,
}

/// Why a write was refused as a whole (nothing of it was kept).
#[derive(Debug, thiserror::Error)]
pub enum WriteRefused {
    /// What the write goes to did not take it within the hand-off timeout: try again later.
    #[error("{behind} is behind: write not accepted within {waited:?}, retry later")]
    Busy {
        /// Who is behind (a task, the engine).
        behind: String,
        /// How long the write waited.
        waited: Duration,
    },
    /// The engine has stopped (the daemon is shutting down).
    #[error("the engine is not running")]
    Closed,
    /// A bug in ingest.
    #[error(transparent)]
    Internal(#[from] crate::Error),
}

/// Parses bodies and hands their batches to the engine. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Writer {
    route: Arc<dyn WriteRoute>,
    metrics: Arc<IngestMetrics>,
    handoff_timeout: Duration,
}

impl Writer {
    /// A writer handing writes to `route`, counting into `metrics`, waiting at most
    /// `handoff_timeout` for room.
    pub fn new(
        route: impl WriteRoute,
        metrics: Arc<IngestMetrics>,
        handoff_timeout: Duration,
    ) -> Self {
        Self {
            route: Arc::new(route),
            metrics,
            handoff_timeout,
        }
    }

    /// The counters this writer updates.
    pub fn metrics(&self) -> &Arc<IngestMetrics> {
        &self.metrics
    }

    /// Hands `batches` (built elsewhere: Arrow Flight's `DoPut`) over as one write to
    /// database `db`, counted as a body's points are; the points handed over.
    pub async fn write_batches(
        &self,
        db: &str,
        batches: Vec<WriteBatch>,
    ) -> Result<usize, WriteRefused> {
        let counters = self.metrics.database(db);
        let points: usize = batches.iter().map(WriteBatch::num_points).sum();
        if points == 0 {
            return Ok(0);
        }
        if let Err(refused) = self.route.hand_over(batches, self.handoff_timeout).await {
            if let WriteRefused::Busy { .. } = refused {
                counters.add_refused();
            }
            return Err(refused);
        }
        counters.add_points(points as u64);
        Ok(points)
    }

    /// Writes one line-protocol body received at `receive_time` (nanoseconds since the epoch).
    pub async fn write(
        &self,
        target: &WriteTarget,
        body: Bytes,
        receive_time: i64,
    ) -> Result<WriteReport, WriteRefused> {
        let counters = self.metrics.database(&target.db);
        counters.add_bytes(body.len() as u64);
        if body.is_empty() {
            return Ok(WriteReport::default());
        }
        let options = ParseOptions::new(target.precision, receive_time);
        let parsed = tokio::task::spawn_blocking(move || line_protocol::parse(&body, options))
            .await
            .map_err(|join| crate::Error::Internal {
                context: "parsing a write body".into(),
                source: arrow::error::ArrowError::ExternalError(Box::new(join)),
            })??;
        let mut batches = Vec::with_capacity(parsed.tables.len());
        for table in parsed.tables {
            let batch = WriteBatch::try_new(
                Arc::clone(&target.db),
                Arc::clone(&target.rp),
                table.measurement.into(),
                table.batch,
            )
            .map_err(|err| crate::Error::Internal {
                context: "checking a parsed batch".into(),
                source: arrow::error::ArrowError::ExternalError(Box::new(err)),
            })?;
            batches.push(batch);
        }
        if !batches.is_empty()
            && let Err(refused) = self.route.hand_over(batches, self.handoff_timeout).await
        {
            if let WriteRefused::Busy { .. } = refused {
                counters.add_refused();
            }
            return Err(refused);
        }
        counters.add_points(parsed.points as u64);
        counters.add_rejected(parsed.errors.len() as u64);
        Ok(WriteReport {
            points: parsed.points,
            rejected: parsed.errors,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> WriteTarget {
        WriteTarget {
            db: "db".into(),
            rp: "autogen".into(),
            precision: Precision::Nanosecond,
        }
    }

    #[tokio::test]
    async fn a_full_channel_refuses_the_write_whole_after_the_timeout() {
        let (sender, mut receiver) = mpsc::channel(1);
        let writer = Writer::new(sender, Arc::default(), Duration::from_millis(20));
        let first = writer
            .write(&target(), Bytes::from_static(b"cpu v=1 1\nmem v=1 1\n"), 0)
            .await
            .unwrap();
        assert_eq!(first.points, 2);
        let refused = writer
            .write(&target(), Bytes::from_static(b"cpu v=2 2\n"), 0)
            .await
            .unwrap_err();
        assert!(matches!(refused, WriteRefused::Busy { .. }), "{refused}");
        let counters = writer.metrics().database("db");
        assert_eq!(counters.points_accepted(), 2);
        assert_eq!(counters.writes_refused(), 1);

        // The first write arrived whole, as one message; the refused one never did.
        let batches = receiver.recv().await.unwrap();
        let measurements: Vec<_> = batches.iter().map(|b| &*b.measurement).collect();
        assert_eq!(measurements, ["cpu", "mem"]);
        assert!(receiver.try_recv().is_err());

        // Once the engine has caught up, the retried write goes through.
        writer
            .write(&target(), Bytes::from_static(b"cpu v=2 2\n"), 0)
            .await
            .unwrap();
        assert_eq!(receiver.recv().await.unwrap()[0].num_points(), 1);
    }

    #[tokio::test]
    async fn a_stopped_engine_refuses_writes() {
        let (sender, receiver) = mpsc::channel(1);
        drop(receiver);
        let writer = Writer::new(sender, Arc::default(), Duration::from_millis(20));
        let refused = writer
            .write(&target(), Bytes::from_static(b"cpu v=1 1\n"), 0)
            .await
            .unwrap_err();
        assert!(matches!(refused, WriteRefused::Closed), "{refused}");
    }
}
