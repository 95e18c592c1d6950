//! [`Writer`]: the one write path behind every listener (HTTP and UDP).
//!
//! A body is parsed on a blocking thread, then its batches are handed to the engine as one
//! message on a bounded channel. When the channel stays full past the hand-off timeout the
//! write is refused ([`WriteRefused::Busy`]) and nothing of it is kept, so the writer can
//! send it again without duplicating points.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use condenser_model::{Precision, WriteBatch};
use tokio::sync::mpsc;

use crate::line_protocol::{self, LineError, ParseOptions};
use crate::metrics::IngestMetrics;

/// The sending end of the ingest → engine channel: one message per accepted write.
pub type WriteSender = mpsc::Sender<Vec<WriteBatch>>;

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
    /// The engine did not take the write within the hand-off timeout: try again later.
    #[error("the engine is behind: write not accepted within {0:?}, retry later")]
    Busy(Duration),
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
    sender: WriteSender,
    metrics: Arc<IngestMetrics>,
    handoff_timeout: Duration,
}

impl Writer {
    /// A writer sending to `sender`, counting into `metrics`, waiting at most
    /// `handoff_timeout` for room on the channel.
    pub fn new(
        sender: WriteSender,
        metrics: Arc<IngestMetrics>,
        handoff_timeout: Duration,
    ) -> Self {
        Self {
            sender,
            metrics,
            handoff_timeout,
        }
    }

    /// The counters this writer updates.
    pub fn metrics(&self) -> &Arc<IngestMetrics> {
        &self.metrics
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
        if !batches.is_empty() {
            match self
                .sender
                .send_timeout(batches, self.handoff_timeout)
                .await
            {
                Ok(()) => {}
                Err(mpsc::error::SendTimeoutError::Timeout(_)) => {
                    counters.add_refused();
                    return Err(WriteRefused::Busy(self.handoff_timeout));
                }
                Err(mpsc::error::SendTimeoutError::Closed(_)) => return Err(WriteRefused::Closed),
            }
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
        assert!(matches!(refused, WriteRefused::Busy(_)), "{refused}");
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
