//! The store on disk: what it keeps, written now and then as Parquet files in a directory
//! (one file per measurement and write-out, named `<newest point's time>_<sequence>.parquet`,
//! the database, retention policy and measurement in the file's metadata, the Arrow schema
//! with its column roles embedded), read back at start, and pruned by time: a file whose
//! newest point is past the retention is deleted.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use condenser_model::WriteBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};
use crate::points::{concat_points, times};

const DB_KEY: &str = "condenser.db";
const RP_KEY: &str = "condenser.rp";
const MEASUREMENT_KEY: &str = "condenser.measurement";

fn io(what: &str, path: &Path, error: impl std::fmt::Display) -> Error {
    Error::External {
        service: "the store's directory".into(),
        message: format!("{what} {}: {error}", path.display()),
    }
}

/// A file of the directory: its newest point's time and its sequence number.
fn parse_name(path: &Path) -> Option<(i64, u64)> {
    let name = path.file_name()?.to_str()?.strip_suffix(".parquet")?;
    let (time, seq) = name.rsplit_once('_')?;
    Some((time.parse().ok()?, seq.parse().ok()?))
}

/// The directory's files, oldest sequence first.
fn files(dir: &Path) -> Result<Vec<(PathBuf, i64, u64)>> {
    let mut found = Vec::new();
    let entries = std::fs::read_dir(dir).map_err(|e| io("reading", dir, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if let Some((time, seq)) = parse_name(&path) {
            found.push((path, time, seq));
        }
    }
    found.sort_by_key(|(_, _, seq)| *seq);
    Ok(found)
}

/// Deletes the files whose newest point is before `cutoff`; how many.
pub(super) fn prune(dir: &Path, cutoff: i64) -> Result<usize> {
    let mut deleted = 0;
    for (path, time, _) in files(dir)? {
        if time < cutoff {
            std::fs::remove_file(&path).map_err(|e| io("deleting", &path, e))?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// The writes of the files whose newest point is not before `cutoff` (the others are
/// deleted), in the order they were written; the next free sequence number.
pub(super) fn load(dir: &Path, cutoff: i64) -> Result<(Vec<WriteBatch>, u64)> {
    std::fs::create_dir_all(dir).map_err(|e| io("creating", dir, e))?;
    let mut writes = Vec::new();
    let mut next = 0;
    for (path, time, seq) in files(dir)? {
        next = next.max(seq + 1);
        if time < cutoff {
            std::fs::remove_file(&path).map_err(|e| io("deleting", &path, e))?;
            continue;
        }
        let file = File::open(&path).map_err(|e| io("opening", &path, e))?;
        let builder =
            ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| io("reading", &path, e))?;
        let metadata = builder
            .metadata()
            .file_metadata()
            .key_value_metadata()
            .cloned()
            .unwrap_or_default();
        let value = |key: &str| -> Option<Arc<str>> {
            metadata
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| kv.value.as_deref())
                .map(Arc::from)
        };
        let (Some(db), Some(rp), Some(measurement)) =
            (value(DB_KEY), value(RP_KEY), value(MEASUREMENT_KEY))
        else {
            tracing::warn!(file = %path.display(), "a store file without its measurement; skipped");
            continue;
        };
        let reader = builder.build().map_err(|e| io("reading", &path, e))?;
        for batch in reader {
            let batch = batch.map_err(|e| io("reading", &path, e))?;
            writes.push(
                WriteBatch::try_new(
                    Arc::clone(&db),
                    Arc::clone(&rp),
                    Arc::clone(&measurement),
                    batch,
                )
                .map_err(|e| io("reading", &path, e))?,
            );
        }
    }
    Ok((writes, next))
}

/// Writes the record batches of one measurement as file `seq` (to a temporary name, then
/// renamed: a crash leaves no half file).
pub(super) fn write(
    dir: &Path,
    (db, rp, measurement): (&str, &str, &str),
    batches: &[RecordBatch],
    seq: u64,
) -> Result<()> {
    let data = concat_points(batches)?;
    let Some(&newest) = times(&data)?.iter().max() else {
        return Ok(());
    };
    let path = dir.join(format!("{newest}_{seq}.parquet"));
    let partial = dir.join(format!(".{newest}_{seq}.parquet.partial"));
    let file = File::create(&partial).map_err(|e| io("creating", &partial, e))?;
    let properties = WriterProperties::builder()
        .set_key_value_metadata(Some(vec![
            KeyValue::new(DB_KEY.to_owned(), db.to_owned()),
            KeyValue::new(RP_KEY.to_owned(), rp.to_owned()),
            KeyValue::new(MEASUREMENT_KEY.to_owned(), measurement.to_owned()),
        ]))
        .build();
    let mut writer = ArrowWriter::try_new(file, data.schema(), Some(properties))
        .map_err(|e| io("writing", &partial, e))?;
    writer
        .write(&data)
        .map_err(|e| io("writing", &partial, e))?;
    writer.close().map_err(|e| io("writing", &partial, e))?;
    std::fs::rename(&partial, &path).map_err(|e| io("renaming", &partial, e))?;
    Ok(())
}
