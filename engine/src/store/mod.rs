//! [`Store`]: the embedded columnar store batch tasks query. Every write the engine takes is
//! kept, as the same Arrow record batch the stream tasks saw (shared, not copied), per
//! database, retention policy and measurement, for a retention (by the points' time against
//! the wall clock) and under a memory cap: past either, the oldest writes go first, and
//! what went is counted. With a directory it is kept on disk too ([`persist`]): written out
//! every few seconds as Parquet files, read back at start, pruned by time.

mod persist;

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use arrow::array::RecordBatch;
use condenser_model::WriteBatch;

use crate::points::times;

/// How much the store keeps, and where on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// Writes whose newest point is older than this (against the wall clock) go.
    pub retention: std::time::Duration,
    /// The most memory the kept record batches may take, in bytes; past it the oldest
    /// writes go.
    pub max_bytes: u64,
    /// The directory of its Parquet files, when it is kept on disk too.
    pub dir: Option<std::path::PathBuf>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            retention: std::time::Duration::from_secs(3600),
            max_bytes: 1 << 30,
            dir: None,
        }
    }
}

/// How often a store kept on disk writes out what came since.
const PERSIST_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// What the store holds and dropped, for `/metrics`.
#[derive(Debug, Default)]
pub struct StoreCounters {
    /// Points kept now.
    pub points: AtomicU64,
    /// Bytes kept now.
    pub bytes: AtomicU64,
    /// Points dropped because they were older than the retention.
    pub expired_points: AtomicU64,
    /// Points dropped to stay under the memory cap.
    pub evicted_points: AtomicU64,
}

/// One kept write.
#[derive(Debug, Clone)]
struct Chunk {
    batch: RecordBatch,
    min_time: i64,
    max_time: i64,
    bytes: u64,
    /// Its place in the order of arrival, across every measurement.
    seq: u64,
}

/// The kept writes of one measurement, in arrival order.
#[derive(Debug, Default)]
struct Table {
    chunks: VecDeque<Chunk>,
}

/// A measurement's key: database, retention policy, measurement.
type Key = (Arc<str>, Arc<str>, Arc<str>);

#[derive(Debug, Default)]
struct Inner {
    tables: HashMap<Key, Table>,
    /// Every chunk's key and sequence number, oldest first: the order of eviction.
    arrivals: VecDeque<(Key, u64)>,
    next_seq: u64,
    bytes: u64,
    /// When the retention is next looked over.
    next_sweep: i64,
    /// The chunks from this sequence number on are not on disk yet.
    persisted: u64,
}

/// The recent writes, queryable by measurement and time. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Store {
    inner: Arc<RwLock<Inner>>,
    config: StoreConfig,
    counters: Arc<StoreCounters>,
    /// Held while writing out, one write-out at a time.
    persisting: Arc<std::sync::Mutex<()>>,
}

/// Points of one measurement, as a query reads them.
#[derive(Debug, Clone)]
pub struct Scanned {
    /// The measurement.
    pub measurement: Arc<str>,
    /// Its kept writes that have points in the range, each cut to those points, in arrival
    /// order.
    pub batches: Vec<RecordBatch>,
}

impl Store {
    /// An empty store keeping what `config` says (in memory only: see [`Store::open`]).
    pub fn new(config: StoreConfig) -> Self {
        Self {
            config: StoreConfig {
                dir: None,
                ..config
            },
            ..Self::default()
        }
    }

    /// The store `config` describes: with a directory, what its files hold within the
    /// retention at `now` is read back (older files are deleted), and from then on what
    /// comes is written out every few seconds, on a thread of its own, and by
    /// [`Store::persist`].
    pub fn open(config: StoreConfig, now: i64) -> crate::Result<Self> {
        let Some(dir) = config.dir.clone() else {
            return Ok(Self::new(config));
        };
        let store = Self {
            config,
            ..Self::default()
        };
        let (writes, next) = persist::load(&dir, store.cutoff(now))?;
        for write in &writes {
            store.insert(write, now);
        }
        {
            let mut inner = store.inner.write().unwrap_or_else(|e| e.into_inner());
            inner.next_seq = inner.next_seq.max(next);
            inner.persisted = inner.next_seq;
        }
        let weak = Arc::downgrade(&store.inner);
        let background = Self {
            inner: Arc::new(RwLock::new(Inner::default())),
            ..store.clone()
        };
        std::thread::Builder::new()
            .name("store-persist".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(PERSIST_EVERY);
                    // The store is gone: so is the need to write it out.
                    let Some(inner) = weak.upgrade() else { return };
                    let store = Self {
                        inner,
                        ..background.clone()
                    };
                    if let Err(error) = store.persist(crate::clock::system_now()) {
                        tracing::error!(%error, "the store could not be written out");
                    }
                }
            })
            .map_err(|e| crate::Error::External {
                service: "the operating system".into(),
                message: format!("cannot start the store's writer: {e}"),
            })?;
        Ok(store)
    }

    /// The oldest newest-point time kept at `now`.
    fn cutoff(&self, now: i64) -> i64 {
        let retention = i64::try_from(self.config.retention.as_nanos()).unwrap_or(i64::MAX);
        now.saturating_sub(retention)
    }

    /// Writes out what came since the last write-out (one Parquet file per measurement) and
    /// deletes the files past the retention at `now`; nothing without a directory.
    pub fn persist(&self, now: i64) -> crate::Result<()> {
        let Some(dir) = &self.config.dir else {
            return Ok(());
        };
        let _one_at_a_time = self.persisting.lock().unwrap_or_else(|e| e.into_inner());
        let (pending, upto) = {
            let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
            let pending: Vec<(Key, u64, Vec<RecordBatch>)> = inner
                .tables
                .iter()
                .filter_map(|(key, table)| {
                    let fresh: Vec<&Chunk> = table
                        .chunks
                        .iter()
                        .filter(|c| c.seq >= inner.persisted)
                        .collect();
                    let first = fresh.first()?.seq;
                    Some((
                        key.clone(),
                        first,
                        fresh.iter().map(|c| c.batch.clone()).collect(),
                    ))
                })
                .collect();
            (pending, inner.next_seq)
        };
        for ((db, rp, measurement), seq, batches) in &pending {
            persist::write(dir, (db, rp, measurement), batches, *seq)?;
        }
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .persisted = upto;
        persist::prune(dir, self.cutoff(now))?;
        Ok(())
    }

    /// Its counters.
    pub fn counters(&self) -> &Arc<StoreCounters> {
        &self.counters
    }

    /// Keeps `write` (its record batch shared), then drops what is past the retention at
    /// `now` (wall clock, nanoseconds) or over the memory cap.
    pub fn insert(&self, write: &WriteBatch, now: i64) {
        let rows = write.batch.num_rows();
        if rows == 0 {
            return;
        }
        let Ok(point_times) = times(&write.batch) else {
            return;
        };
        let (min_time, max_time) = point_times
            .iter()
            .fold((i64::MAX, i64::MIN), |(lo, hi), &t| (lo.min(t), hi.max(t)));
        let bytes = write.batch.get_array_memory_size() as u64;
        let key: Key = (
            Arc::clone(&write.db),
            Arc::clone(&write.rp),
            Arc::clone(&write.measurement),
        );
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        let seq = inner.next_seq;
        inner.next_seq += 1;
        inner.bytes += bytes;
        inner
            .tables
            .entry(key.clone())
            .or_default()
            .chunks
            .push_back(Chunk {
                batch: write.batch.clone(),
                min_time,
                max_time,
                bytes,
                seq,
            });
        inner.arrivals.push_back((key, seq));
        self.counters
            .points
            .fetch_add(rows as u64, Ordering::Relaxed);
        self.drop_old(&mut inner, now);
        self.counters.bytes.store(inner.bytes, Ordering::Relaxed);
    }

    /// Drops the oldest chunks while they are past the retention or the store is over its
    /// cap.
    fn drop_old(&self, inner: &mut Inner, now: i64) {
        let cutoff = self.cutoff(now);
        // Chunks past the retention, from the front of each table (writes come mostly in
        // time order), looked over at most once a second.
        if now >= inner.next_sweep {
            inner.next_sweep = now.saturating_add(1_000_000_000);
            let mut expired = 0u64;
            let mut freed = 0u64;
            for table in inner.tables.values_mut() {
                while table.chunks.front().is_some_and(|c| c.max_time < cutoff) {
                    if let Some(chunk) = table.chunks.pop_front() {
                        expired += chunk.batch.num_rows() as u64;
                        freed += chunk.bytes;
                    }
                }
            }
            if expired > 0 {
                inner.bytes -= freed;
                self.counters.points.fetch_sub(expired, Ordering::Relaxed);
                self.counters
                    .expired_points
                    .fetch_add(expired, Ordering::Relaxed);
            }
        }
        while inner.bytes > self.config.max_bytes {
            let Some((key, seq)) = inner.arrivals.pop_front() else {
                break;
            };
            let Some(table) = inner.tables.get_mut(&key) else {
                continue;
            };
            if table.chunks.front().is_some_and(|c| c.seq == seq)
                && let Some(chunk) = table.chunks.pop_front()
            {
                let rows = chunk.batch.num_rows() as u64;
                inner.bytes -= chunk.bytes;
                self.counters.points.fetch_sub(rows, Ordering::Relaxed);
                self.counters
                    .evicted_points
                    .fetch_add(rows, Ordering::Relaxed);
            }
        }
        // Forget what no longer points at a chunk.
        let live: usize = inner.tables.values().map(|t| t.chunks.len()).sum();
        if inner.arrivals.len() > 2 * live + 64 {
            let tables = &inner.tables;
            inner.arrivals.retain(|(key, seq)| {
                tables
                    .get(key)
                    .is_some_and(|t| t.chunks.iter().any(|c| c.seq == *seq))
            });
        }
        inner.tables.retain(|_, table| !table.chunks.is_empty());
    }

    /// The points of `db`.`rp` in `[start, stop)` of each measurement `measurement`
    /// accepts, measurements in name order.
    pub fn scan(
        &self,
        db: &str,
        rp: &str,
        measurement: &dyn Fn(&str) -> bool,
        start: i64,
        stop: i64,
    ) -> Vec<Scanned> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        let mut found: Vec<Scanned> = Vec::new();
        for ((d, r, m), table) in &inner.tables {
            if **d != *db || **r != *rp || !measurement(m) {
                continue;
            }
            let mut batches = Vec::new();
            for chunk in &table.chunks {
                if chunk.max_time < start || chunk.min_time >= stop {
                    continue;
                }
                if chunk.min_time >= start && chunk.max_time < stop {
                    batches.push(chunk.batch.clone());
                    continue;
                }
                let Ok(point_times) = times(&chunk.batch) else {
                    continue;
                };
                let keep: arrow::array::BooleanArray = point_times
                    .iter()
                    .map(|&t| Some(t >= start && t < stop))
                    .collect();
                if let Ok(cut) = arrow::compute::filter_record_batch(&chunk.batch, &keep) {
                    batches.push(cut);
                }
            }
            if !batches.is_empty() {
                found.push(Scanned {
                    measurement: Arc::clone(m),
                    batches,
                });
            }
        }
        found.sort_by(|a, b| a.measurement.cmp(&b.measurement));
        found
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Float64Array, TimestampNanosecondArray};
    use arrow::datatypes::Schema;
    use condenser_model::FieldType;
    use condenser_model::schema::{field_field, time_field};

    use super::*;

    fn write(measurement: &str, times: &[i64]) -> WriteBatch {
        let schema = Schema::new(vec![time_field(), field_field("v", FieldType::Float)]);
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            vec![
                Arc::new(TimestampNanosecondArray::from(times.to_vec()).with_timezone("UTC")),
                Arc::new(Float64Array::from(vec![1.0; times.len()])),
            ],
        )
        .unwrap();
        WriteBatch::try_new("db".into(), "rp".into(), measurement.into(), batch).unwrap()
    }

    const S: i64 = 1_000_000_000;

    #[test]
    fn scans_cut_writes_to_the_range() {
        let store = Store::default();
        store.insert(&write("cpu", &[S, 2 * S, 3 * S]), 3 * S);
        store.insert(&write("mem", &[2 * S]), 3 * S);
        store.insert(&write("cpu", &[5 * S]), 5 * S);
        let scanned = store.scan("db", "rp", &|m| m == "cpu", 2 * S, 5 * S);
        assert_eq!(scanned.len(), 1);
        let rows: Vec<usize> = scanned[0]
            .batches
            .iter()
            .map(RecordBatch::num_rows)
            .collect();
        assert_eq!(rows, vec![2]);
        assert!(store.scan("other", "rp", &|_| true, 0, 10 * S).is_empty());
        assert_eq!(store.scan("db", "rp", &|_| true, 0, 10 * S).len(), 2);
    }

    #[test]
    fn a_store_on_disk_comes_back_within_its_retention() {
        let dir = std::env::temp_dir().join(format!("condenser-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let config = StoreConfig {
            retention: std::time::Duration::from_secs(100),
            max_bytes: u64::MAX,
            dir: Some(dir.clone()),
        };
        let store = Store::open(config.clone(), 10 * S).unwrap();
        store.insert(&write("cpu", &[S, 2 * S]), 10 * S);
        store.insert(&write("mem", &[50 * S]), 50 * S);
        store.persist(60 * S).unwrap();
        store.insert(&write("cpu", &[70 * S]), 70 * S);
        store.persist(70 * S).unwrap();
        drop(store);
        // At 120 s the first cpu write (newest point 2 s) is past the retention.
        let again = Store::open(config, 120 * S).unwrap();
        let cpu = again.scan("db", "rp", &|m| m == "cpu", 0, 200 * S);
        let rows: Vec<usize> = cpu[0].batches.iter().map(RecordBatch::num_rows).collect();
        assert_eq!(rows, vec![1]);
        let mem = again.scan("db", "rp", &|m| m == "mem", 0, 200 * S);
        assert_eq!(mem[0].batches[0], write("mem", &[50 * S]).batch);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn old_writes_go_past_the_retention_and_the_cap() {
        let store = Store::new(StoreConfig {
            retention: std::time::Duration::from_secs(10),
            max_bytes: u64::MAX,
            dir: None,
        });
        store.insert(&write("cpu", &[S]), S);
        store.insert(&write("cpu", &[20 * S]), 20 * S);
        // Looked over once a second of wall clock.
        store.insert(&write("mem", &[21 * S]), 22 * S);
        assert_eq!(store.counters().expired_points.load(Ordering::Relaxed), 1);
        assert_eq!(store.counters().points.load(Ordering::Relaxed), 2);

        let one = write("cpu", &[S]).batch.get_array_memory_size() as u64;
        let store = Store::new(StoreConfig {
            retention: std::time::Duration::from_secs(3600),
            max_bytes: 2 * one,
            dir: None,
        });
        for t in 1..=3 {
            store.insert(&write("cpu", &[t * S]), t * S);
        }
        assert_eq!(store.counters().evicted_points.load(Ordering::Relaxed), 1);
        let left = store.scan("db", "rp", &|_| true, 0, 10 * S);
        assert_eq!(left[0].batches.len(), 2);
    }
}
