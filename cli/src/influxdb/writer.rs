//! What influxDBOut nodes write to one InfluxDB, on a thread of its own: kept per database,
//! retention policy and consistency until `.buffer()` points wait or the oldest has waited
//! `.flushInterval()`, then sent as one write, tried again on a failure that may pass.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use condenser_engine::operators::influxdb_out::Written;
use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::{Client, PeerCounters};

/// How many times a write is tried, and the wait before the first retry (doubled each
/// time).
const ATTEMPTS: u32 = 4;
const FIRST_RETRY: Duration = Duration::from_millis(200);

enum Command {
    Write(Written),
    Flush(Sender<()>),
}

/// The way to a writer thread.
#[derive(Debug)]
pub(super) struct WriterHandle {
    commands: Sender<Command>,
}

impl WriterHandle {
    /// Hands `written` over (never waits: the queue is unbounded, the writer batches).
    pub(super) fn send(&self, written: &Written) {
        let _ = self.commands.send(Command::Write(written.clone()));
    }

    /// Waits until what was handed over before has been sent or has failed.
    pub(super) fn flush(&self) {
        let (reply, done) = crossbeam_channel::bounded(1);
        if self.commands.send(Command::Flush(reply)).is_ok() {
            let _ = done.recv();
        }
    }
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Write(_) => "Write",
            Command::Flush(_) => "Flush",
        })
    }
}

/// Starts the writer of the InfluxDB `name`.
pub(super) fn start(client: Client, counters: Arc<PeerCounters>, name: &str) -> WriterHandle {
    let (commands, receiver) = crossbeam_channel::unbounded();
    let name = name.to_owned();
    let spawned = std::thread::Builder::new()
        .name(format!("influxdb-{name}"))
        .spawn(move || run(&client, &counters, &receiver, &name));
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start the InfluxDB writer");
    }
    WriterHandle { commands }
}

/// Points waiting for one database, retention policy and consistency.
#[derive(Default)]
struct Pending {
    lines: String,
    points: u64,
    since: Option<Instant>,
    buffer: usize,
    flush_interval: Duration,
}

fn run(client: &Client, counters: &PeerCounters, commands: &Receiver<Command>, name: &str) {
    let mut pending: HashMap<(String, String, String), Pending> = HashMap::new();
    // The databases `.create()` made sure of.
    let mut created: std::collections::HashSet<String> = std::collections::HashSet::new();
    loop {
        let deadline = pending
            .values()
            .filter_map(|p| p.since.map(|since| since + p.flush_interval))
            .min();
        let command = match deadline {
            Some(deadline) => commands.recv_deadline(deadline),
            None => commands.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match command {
            Ok(Command::Write(written)) => {
                if written.create && created.insert(written.write.db.to_string()) {
                    let create = format!(
                        "CREATE DATABASE \"{}\"",
                        written.write.db.replace('\\', "\\\\").replace('"', "\\\"")
                    );
                    if let Err(error) = client.query(None, &create) {
                        tracing::error!(influxdb = name, %error, "cannot create the database");
                        created.remove(&*written.write.db);
                    }
                }
                let key = (
                    written.write.db.to_string(),
                    written.write.rp.to_string(),
                    written.consistency.to_string(),
                );
                let entry = pending.entry(key.clone()).or_default();
                condenser_ingest::line_protocol::write_lines(
                    &written.write.measurement,
                    &written.write.batch,
                    &mut entry.lines,
                );
                entry.points += written.write.num_points() as u64;
                entry.since.get_or_insert_with(Instant::now);
                entry.buffer = if entry.buffer == 0 {
                    written.buffer
                } else {
                    entry.buffer.min(written.buffer)
                };
                entry.flush_interval = if entry.flush_interval.is_zero() {
                    written.flush_interval
                } else {
                    entry.flush_interval.min(written.flush_interval)
                };
                if entry.points >= entry.buffer as u64
                    && let Some(full) = pending.remove(&key)
                {
                    send(client, counters, name, &key, full);
                }
            }
            Ok(Command::Flush(reply)) => {
                for (key, batch) in pending.drain() {
                    send(client, counters, name, &key, batch);
                }
                let _ = reply.send(());
            }
            Err(RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                let due: Vec<_> = pending
                    .iter()
                    .filter(|(_, p)| p.since.is_some_and(|since| since + p.flush_interval <= now))
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in due {
                    if let Some(batch) = pending.remove(&key) {
                        send(client, counters, name, &key, batch);
                    }
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                for (key, batch) in pending.drain() {
                    send(client, counters, name, &key, batch);
                }
                return;
            }
        }
    }
}

/// Sends one write, trying again while the failure may pass; counts what became of it.
fn send(
    client: &Client,
    counters: &PeerCounters,
    name: &str,
    (db, rp, consistency): &(String, String, String),
    pending: Pending,
) {
    if pending.points == 0 {
        return;
    }
    let mut wait = FIRST_RETRY;
    for attempt in 1..=ATTEMPTS {
        match client.write(db, rp, consistency, &pending.lines) {
            Ok(()) => {
                counters
                    .points_written
                    .fetch_add(pending.points, Ordering::Relaxed);
                return;
            }
            Err(error) if error.retry && attempt < ATTEMPTS => {
                tracing::warn!(influxdb = name, db, rp, %error, attempt, "write failed; trying again");
                std::thread::sleep(wait);
                wait *= 2;
            }
            Err(error) => {
                tracing::error!(influxdb = name, db, rp, %error, points = pending.points, "points not written");
                counters
                    .write_errors
                    .fetch_add(pending.points, Ordering::Relaxed);
                return;
            }
        }
    }
}
