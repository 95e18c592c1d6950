//! The outbox: every event a handler is given waits here, keyed by the handler's name and a
//! sequence number, until the handler delivers it (or fails it for good). A durable outbox
//! (a redb file in the data directory) outlives the process, so a restart while an endpoint
//! is down loses nothing: the handler's worker starts with what it left. An in-memory
//! outbox (`condenser test`) is the same queue without the file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use condenser_model::alert::TopicEvent;
use condenser_model::topic::EventState;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

/// The events: (handler name, sequence number) → the event as JSON.
const EVENTS: TableDefinition<'_, (&str, u64), &[u8]> = TableDefinition::new("handler_outbox");

/// The next sequence number, under the key `next`.
const SEQUENCE: TableDefinition<'_, &str, u64> = TableDefinition::new("handler_outbox_sequence");

/// The last event of each alert id of each topic, `(topic, id) → EventState` as JSON: the
/// alert state a restarted task resumes from.
const ALERT_STATES: TableDefinition<'_, (&str, &str), &[u8]> = TableDefinition::new("alert_states");

/// An outbox that cannot be read or written.
#[derive(Debug, thiserror::Error)]
#[error("the alert outbox {place}: {message}")]
pub struct OutboxError {
    /// The file, or `in memory`.
    place: String,
    /// What went wrong.
    message: String,
}

/// The events handlers have yet to deliver.
pub struct Outbox {
    db: Database,
    /// The file, when the outbox is durable.
    path: Option<PathBuf>,
    /// Serializes appends, so sequence numbers grow in the order events arrive.
    append: Mutex<()>,
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox").field("path", &self.path).finish()
    }
}

impl Outbox {
    /// Opens the outbox in the file `path` (made if missing, with its directory).
    pub fn open(path: &Path) -> Result<Self, OutboxError> {
        let error = |message: String| OutboxError {
            place: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| error(e.to_string()))?;
        }
        let db = Database::create(path).map_err(|e| error(e.to_string()))?;
        Self::with(db, Some(path.to_owned()))
    }

    /// An outbox that lives as long as the process.
    pub fn in_memory() -> Result<Self, OutboxError> {
        let db = Database::builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|e| OutboxError {
                place: "in memory".to_owned(),
                message: e.to_string(),
            })?;
        Self::with(db, None)
    }

    fn with(db: Database, path: Option<PathBuf>) -> Result<Self, OutboxError> {
        let outbox = Self {
            db,
            path,
            append: Mutex::new(()),
        };
        // Make the tables, so that readers find them.
        outbox.write(|_, _, _| Ok(()))?;
        Ok(outbox)
    }

    /// Whether the outbox outlives the process.
    pub fn is_durable(&self) -> bool {
        self.path.is_some()
    }

    fn error(&self, error: impl std::fmt::Display) -> OutboxError {
        OutboxError {
            place: self
                .path
                .as_ref()
                .map_or_else(|| "in memory".to_owned(), |p| p.display().to_string()),
            message: error.to_string(),
        }
    }

    /// Runs `change` in one write transaction over the tables, committed when it returns
    /// `Ok`.
    fn write<T>(
        &self,
        change: impl FnOnce(
            &mut redb::Table<'_, (&str, u64), &[u8]>,
            &mut redb::Table<'_, &str, u64>,
            &mut redb::Table<'_, (&str, &str), &[u8]>,
        ) -> Result<T, redb::Error>,
    ) -> Result<T, OutboxError> {
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        let value = {
            let mut events = txn.open_table(EVENTS).map_err(|e| self.error(e))?;
            let mut sequence = txn.open_table(SEQUENCE).map_err(|e| self.error(e))?;
            let mut states = txn.open_table(ALERT_STATES).map_err(|e| self.error(e))?;
            change(&mut events, &mut sequence, &mut states).map_err(|e| self.error(e))?
        };
        txn.commit().map_err(|e| self.error(e))?;
        Ok(value)
    }

    /// Stores each `(handler, event)`, all in one transaction: either all wait in the outbox
    /// when this returns, or none.
    pub fn append(&self, entries: &[(&str, &TopicEvent)]) -> Result<(), OutboxError> {
        self.append_with_states(entries, &[])
    }

    /// [`Outbox::append`], and in the same transaction the alert state each published event
    /// leaves in its topic (`(topic, id, state)`).
    pub fn append_with_states(
        &self,
        entries: &[(&str, &TopicEvent)],
        states: &[(&str, &str, &EventState)],
    ) -> Result<(), OutboxError> {
        if entries.is_empty() && states.is_empty() {
            return Ok(());
        }
        let _order = self
            .append
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let encoded: Vec<Vec<u8>> = entries
            .iter()
            .map(|(_, event)| serde_json::to_vec(event))
            .collect::<Result<_, _>>()
            .map_err(|e| self.error(e))?;
        let encoded_states: Vec<Vec<u8>> = states
            .iter()
            .map(|(_, _, state)| serde_json::to_vec(state))
            .collect::<Result<_, _>>()
            .map_err(|e| self.error(e))?;
        self.write(|events, sequence, alert_states| {
            let mut next = sequence.get("next")?.map_or(0, |v| v.value());
            for ((handler, _), json) in entries.iter().zip(&encoded) {
                events.insert((*handler, next), json.as_slice())?;
                next += 1;
            }
            sequence.insert("next", next)?;
            for ((topic, id, _), json) in states.iter().zip(&encoded_states) {
                alert_states.insert((*topic, *id), json.as_slice())?;
            }
            Ok(())
        })
    }

    /// Every stored alert state: `(topic, id, state)`, by topic and id.
    pub fn alert_states(&self) -> Result<Vec<(String, String, EventState)>, OutboxError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(ALERT_STATES).map_err(|e| self.error(e))?;
        let mut states = Vec::new();
        for entry in table.iter().map_err(|e| self.error(e))? {
            let (key, json) = entry.map_err(|e| self.error(e))?;
            let (topic, id) = key.value();
            let state = serde_json::from_slice(json.value()).map_err(|e| self.error(e))?;
            states.push((topic.to_owned(), id.to_owned(), state));
        }
        Ok(states)
    }

    /// Forgets the stored alert states of `topic` (its task was deleted).
    pub fn forget_alert_states(&self, topic: &str) -> Result<(), OutboxError> {
        self.write(|_, _, states| {
            let ids: Vec<String> = states
                .range((topic, "")..)?
                .map_while(|entry| {
                    let (key, _) = entry.ok()?;
                    let (t, id) = key.value();
                    (t == topic).then(|| id.to_owned())
                })
                .collect();
            for id in ids {
                states.remove((topic, id.as_str()))?;
            }
            Ok(())
        })
    }

    /// The first event waiting for `handler` whose sequence number is `from` or more.
    pub fn first(
        &self,
        handler: &str,
        from: u64,
    ) -> Result<Option<(u64, TopicEvent)>, OutboxError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let events = txn.open_table(EVENTS).map_err(|e| self.error(e))?;
        let mut range = events
            .range((handler, from)..=(handler, u64::MAX))
            .map_err(|e| self.error(e))?;
        let Some(entry) = range.next() else {
            return Ok(None);
        };
        let (key, json) = entry.map_err(|e| self.error(e))?;
        let (_, seq) = key.value();
        let event = serde_json::from_slice(json.value()).map_err(|e| self.error(e))?;
        Ok(Some((seq, event)))
    }

    /// Forgets event `seq` of `handler`: delivered, or failed for good.
    pub fn remove(&self, handler: &str, seq: u64) -> Result<(), OutboxError> {
        self.write(|events, _, _| {
            events.remove((handler, seq))?;
            Ok(())
        })
    }

    /// How many events wait for `handler`.
    pub fn pending(&self, handler: &str) -> Result<u64, OutboxError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let events = txn.open_table(EVENTS).map_err(|e| self.error(e))?;
        let range = events
            .range((handler, 0)..=(handler, u64::MAX))
            .map_err(|e| self.error(e))?;
        Ok(range.count() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use condenser_model::{AlertEvent, Level};

    fn event(id: &str) -> TopicEvent {
        TopicEvent {
            topic: "t".into(),
            task: "task".into(),
            name: "cpu".into(),
            group: String::new(),
            category: String::new(),
            tags: Vec::new(),
            event: AlertEvent {
                id: id.into(),
                message: format!("{id} is CRITICAL"),
                details: String::new(),
                time: 1_000_000_000,
                duration: 0,
                level: Level::Critical,
                data: Default::default(),
                previous_level: Level::Ok,
                recoverable: true,
            },
        }
    }

    #[test]
    fn events_wait_per_handler_in_order_and_outlive_the_process_in_a_file() {
        let dir = std::env::temp_dir().join(format!("condenser-outbox-{}", std::process::id()));
        let path = dir.join("alerts.redb");
        let _ = std::fs::remove_dir_all(&dir);
        {
            let outbox = Outbox::open(&path).unwrap();
            assert!(outbox.is_durable());
            let (a, b, c) = (event("a"), event("b"), event("c"));
            outbox
                .append(&[("t/post0", &a), ("t/log0", &a), ("t/post0", &b)])
                .unwrap();
            outbox.append(&[("t/post0", &c)]).unwrap();
            let (seq, first) = outbox.first("t/post0", 0).unwrap().unwrap();
            assert_eq!(first, a);
            outbox.remove("t/post0", seq).unwrap();
            assert_eq!(outbox.pending("t/post0").unwrap(), 2);
        }
        let outbox = Outbox::open(&path).unwrap();
        let (seq, next) = outbox.first("t/post0", 0).unwrap().unwrap();
        assert_eq!(next.event.id, "b");
        let (last_seq, last) = outbox.first("t/post0", seq + 1).unwrap().unwrap();
        assert_eq!(last.event.id, "c");
        assert!(outbox.first("t/post0", last_seq + 1).unwrap().is_none());
        assert_eq!(outbox.first("t/log0", 0).unwrap().unwrap().1.event.id, "a");
        assert_eq!(outbox.pending("t/other0").unwrap(), 0);
        outbox.append(&[("t/post0", &event("d"))]).unwrap();
        let (d_seq, _) = outbox.first("t/post0", last_seq + 1).unwrap().unwrap();
        assert!(
            d_seq > last_seq,
            "sequence numbers keep growing after a restart"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_in_memory_outbox_is_the_same_queue_without_the_file() {
        let outbox = Outbox::in_memory().unwrap();
        assert!(!outbox.is_durable());
        outbox.append(&[("t/log0", &event("a"))]).unwrap();
        assert_eq!(outbox.pending("t/log0").unwrap(), 1);
    }
}
