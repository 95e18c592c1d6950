//! [`Router`]: the engine's single consumer of ingested writes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use condenser_model::WriteBatch;
use tokio::sync::mpsc;

/// The receiving end of the ingest → engine channel: one message per accepted write request,
/// holding its batches (one per measurement) so a request is handed over whole or not at all.
pub type Writes = mpsc::Receiver<Vec<WriteBatch>>;

/// Counters of what the router has received; read by `/metrics`.
#[derive(Debug, Default)]
pub struct RouterStats {
    writes: AtomicU64,
    batches: AtomicU64,
    points: AtomicU64,
}

impl RouterStats {
    /// Write requests received.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// Write batches received (one per measurement of a request).
    pub fn batches(&self) -> u64 {
        self.batches.load(Ordering::Relaxed)
    }

    /// Points received.
    pub fn points(&self) -> u64 {
        self.points.load(Ordering::Relaxed)
    }
}

/// Takes ingested writes off the channel, in order, on a thread of its own.
#[derive(Debug)]
pub struct Router {
    stats: Arc<RouterStats>,
    thread: thread::JoinHandle<()>,
}

impl Router {
    /// Starts the router thread on `writes`; it stops when every sender is dropped.
    pub fn spawn(mut writes: Writes) -> std::io::Result<Self> {
        let stats = Arc::new(RouterStats::default());
        let counters = Arc::clone(&stats);
        let thread = thread::Builder::new()
            .name("condenser-router".into())
            .spawn(move || {
                while let Some(batches) = writes.blocking_recv() {
                    counters.writes.fetch_add(1, Ordering::Relaxed);
                    for batch in &batches {
                        counters.batches.fetch_add(1, Ordering::Relaxed);
                        counters
                            .points
                            .fetch_add(batch.num_points() as u64, Ordering::Relaxed);
                    }
                }
                tracing::debug!("ingest channel closed; router stops");
            })?;
        Ok(Self { stats, thread })
    }

    /// The router's counters.
    pub fn stats(&self) -> Arc<RouterStats> {
        Arc::clone(&self.stats)
    }

    /// Waits until the router has taken everything sent before all senders were dropped.
    pub fn join(self) {
        if self.thread.join().is_err() {
            tracing::error!("router thread panicked");
        }
    }
}
