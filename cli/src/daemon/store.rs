//! [`Store`]: what the daemon keeps across restarts, in one redb file of the data directory.
//!
//! Each kind of record (tasks now; templates, topic handlers and alert state as they come)
//! is a table of JSON values by id. Every change is one committed transaction, so a `kill -9`
//! at any moment leaves each record as it was before the change or as it is after it.

use std::path::{Path, PathBuf};

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A table of records by id.
#[derive(Clone, Copy)]
pub(crate) struct Collection(TableDefinition<'static, &'static str, &'static [u8]>);

impl std::fmt::Debug for Collection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(redb::TableHandle::name(&self.0))
    }
}

impl Collection {
    /// The defined tasks ([`crate::daemon::tasks::TaskRecord`]).
    pub(crate) const TASKS: Collection = Collection(TableDefinition::new("tasks"));
    /// The task templates ([`crate::daemon::tasks::TemplateRecord`]).
    pub(crate) const TEMPLATES: Collection = Collection(TableDefinition::new("templates"));

    /// The topic handlers ([`condenser_handlers::TopicHandlerSpec`]), by `<topic>/<id>`.
    pub(crate) const TOPIC_HANDLERS: Collection =
        Collection(TableDefinition::new("topic_handlers"));

    /// Who the server is ([`crate::daemon::stats::Identity`]), under `identity`.
    pub(crate) const SERVER: Collection = Collection(TableDefinition::new("server"));

    /// The recordings ([`crate::daemon::recordings::RecordingRecord`]; their data are
    /// files).
    pub(crate) const RECORDINGS: Collection = Collection(TableDefinition::new("recordings"));
    /// The replays ([`crate::daemon::recordings::ReplayRecord`]).
    pub(crate) const REPLAYS: Collection = Collection(TableDefinition::new("replays"));

    /// Every collection.
    const ALL: [Collection; 6] = [
        Collection::TASKS,
        Collection::TEMPLATES,
        Collection::TOPIC_HANDLERS,
        Collection::SERVER,
        Collection::RECORDINGS,
        Collection::REPLAYS,
    ];
}

/// Why the store could not read or write.
#[derive(Debug, thiserror::Error)]
#[error("the store {place}: {message}")]
pub(crate) struct StoreError {
    place: String,
    message: String,
}

/// The daemon's durable records.
pub(crate) struct Store {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (or makes) the store in the file `path`.
    pub(crate) fn open(path: &Path) -> Result<Self, StoreError> {
        let db = Database::create(path).map_err(|e| StoreError {
            place: path.display().to_string(),
            message: e.to_string(),
        })?;
        let store = Self {
            db,
            path: path.to_owned(),
        };
        // Make the tables, so that readers find them.
        let txn = store.db.begin_write().map_err(|e| store.error(e))?;
        for collection in Collection::ALL {
            txn.open_table(collection.0).map_err(|e| store.error(e))?;
        }
        txn.commit().map_err(|e| store.error(e))?;
        Ok(store)
    }

    fn error(&self, error: impl std::fmt::Display) -> StoreError {
        StoreError {
            place: self.path.display().to_string(),
            message: error.to_string(),
        }
    }

    /// Stores `record` as `id` of `collection`, replacing what was there; durable when
    /// this returns.
    pub(crate) fn put<T: Serialize>(
        &self,
        collection: Collection,
        id: &str,
        record: &T,
    ) -> Result<(), StoreError> {
        let json = serde_json::to_vec(record).map_err(|e| self.error(e))?;
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        {
            let mut table = txn.open_table(collection.0).map_err(|e| self.error(e))?;
            table
                .insert(id, json.as_slice())
                .map_err(|e| self.error(e))?;
        }
        txn.commit().map_err(|e| self.error(e))
    }

    /// Removes `id` from `collection`; whether it was there. Durable when this returns.
    pub(crate) fn delete(&self, collection: Collection, id: &str) -> Result<bool, StoreError> {
        let txn = self.db.begin_write().map_err(|e| self.error(e))?;
        let existed = {
            let mut table = txn.open_table(collection.0).map_err(|e| self.error(e))?;
            table.remove(id).map_err(|e| self.error(e))?.is_some()
        };
        txn.commit().map_err(|e| self.error(e))?;
        Ok(existed)
    }

    /// A consistent copy of every collection, as of one moment, written to a new store at
    /// `path` (which must not exist): the store of a backup, ready to be the
    /// `condenser.redb` of a data directory.
    pub(crate) fn backup(&self, path: &Path) -> Result<(), StoreError> {
        let copy = Database::builder()
            .create(path)
            .map_err(|e| self.error(format!("backup {}: {e}", path.display())))?;
        let read = self.db.begin_read().map_err(|e| self.error(e))?;
        let write = copy.begin_write().map_err(|e| self.error(e))?;
        for collection in Collection::ALL {
            let from = read.open_table(collection.0).map_err(|e| self.error(e))?;
            let mut to = write.open_table(collection.0).map_err(|e| self.error(e))?;
            for entry in from.iter().map_err(|e| self.error(e))? {
                let (id, record) = entry.map_err(|e| self.error(e))?;
                to.insert(id.value(), record.value())
                    .map_err(|e| self.error(e))?;
            }
        }
        write.commit().map_err(|e| self.error(e))
    }

    /// Every record of `collection`, by id in id order. A record that no longer decodes is
    /// an error naming it (never skipped).
    pub(crate) fn all<T: DeserializeOwned>(
        &self,
        collection: Collection,
    ) -> Result<Vec<(String, T)>, StoreError> {
        let txn = self.db.begin_read().map_err(|e| self.error(e))?;
        let table = txn.open_table(collection.0).map_err(|e| self.error(e))?;
        let mut records = Vec::new();
        for entry in table.iter().map_err(|e| self.error(e))? {
            let (id, json) = entry.map_err(|e| self.error(e))?;
            let record = serde_json::from_slice(json.value())
                .map_err(|e| self.error(format!("record {:?}: {e}", id.value())))?;
            records.push((id.value().to_owned(), record));
        }
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_backup_is_a_store_with_every_record() {
        let dir =
            std::env::temp_dir().join(format!("condenser-store-backup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::open(&dir.join("a.redb")).unwrap();
        store.put(Collection::TASKS, "t", &vec![1]).unwrap();
        store.put(Collection::TEMPLATES, "m", &vec![2]).unwrap();
        store.backup(&dir.join("copy.redb")).unwrap();
        drop(store);
        let copy = Store::open(&dir.join("copy.redb")).unwrap();
        let tasks: Vec<(String, Vec<i32>)> = copy.all(Collection::TASKS).unwrap();
        let templates: Vec<(String, Vec<i32>)> = copy.all(Collection::TEMPLATES).unwrap();
        assert_eq!(
            (tasks, templates),
            (vec![("t".into(), vec![1])], vec![("m".into(), vec![2])])
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn records_survive_reopening_and_deletes_are_kept() {
        let dir = std::env::temp_dir().join(format!("condenser-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("store.redb");
        let _ = std::fs::remove_file(&path);
        {
            let store = Store::open(&path).unwrap();
            store.put(Collection::TASKS, "b", &vec![2]).unwrap();
            store.put(Collection::TASKS, "a", &vec![1]).unwrap();
            store.put(Collection::TASKS, "c", &vec![3]).unwrap();
            assert!(store.delete(Collection::TASKS, "c").unwrap());
            assert!(!store.delete(Collection::TASKS, "c").unwrap());
        }
        let store = Store::open(&path).unwrap();
        let all: Vec<(String, Vec<i32>)> = store.all(Collection::TASKS).unwrap();
        assert_eq!(all, [("a".to_owned(), vec![1]), ("b".to_owned(), vec![2])]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
