//! The recording verbs: `record stream`, `replay`, `list recordings|replays` and
//! `delete recordings|replays`, as control-plane calls, printing what Kapacitor's
//! `kapacitor` prints.

use std::time::Duration;

use super::{ClientError, Control, gather, print_json, rfc822};
use crate::control::{object, proto, recording_fields, replay_fields};

/// `record`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct RecordArgs {
    /// stream, batch or query
    pub(crate) kind: String,
    /// The task whose writes are recorded
    #[arg(long)]
    pub(crate) task: Option<String>,
    /// How long to record (`1m`, `30s`)
    #[arg(long)]
    pub(crate) duration: Option<String>,
    /// The recording's id [default: a random one]
    #[arg(long)]
    pub(crate) recording_id: Option<String>,
    /// Print nothing and do not wait for the recording to end
    #[arg(long)]
    pub(crate) no_wait: bool,
    /// (batch) The start of the time range
    #[arg(long)]
    pub(crate) start: Option<String>,
    /// (batch) The end of the time range
    #[arg(long)]
    pub(crate) stop: Option<String>,
    /// (batch) How far back the time range starts
    #[arg(long)]
    pub(crate) past: Option<String>,
    /// (query) The InfluxQL query
    #[arg(long)]
    pub(crate) query: Option<String>,
    /// (query) stream or batch
    #[arg(long = "type")]
    pub(crate) query_type: Option<String>,
    /// (query) The InfluxDB cluster
    #[arg(long)]
    pub(crate) cluster: Option<String>,
}

/// `replay`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct ReplayArgs {
    /// The recording to replay
    #[arg(long)]
    pub(crate) recording: Option<String>,
    /// The task to replay it against
    #[arg(long)]
    pub(crate) task: Option<String>,
    /// Pace the points as they were recorded
    #[arg(long)]
    pub(crate) real_clock: bool,
    /// Keep the points' recorded times (else they are moved to start now)
    #[arg(long)]
    pub(crate) rec_time: bool,
    /// The replay's id [default: a random one]
    #[arg(long)]
    pub(crate) replay_id: Option<String>,
    /// Print nothing and do not wait for the replay to end
    #[arg(long)]
    pub(crate) no_wait: bool,
}

/// How often a waiting verb asks again.
const POLL: Duration = Duration::from_millis(500);

/// `record stream -task T -duration D`, `record batch -task T -start S -stop S` (or `-past
/// D`), `record query -query Q -type stream|batch`: starts the recording, waits for it to
/// end, then prints its id.
pub(crate) fn record(control: &Control, args: &RecordArgs) -> Result<(), ClientError> {
    let id = args.recording_id.clone().unwrap_or_default();
    let now = condenser_engine::clock::system_now();
    let nanos = |text: &str, what: &str| -> Result<i64, ClientError> {
        crate::config::parse_duration(text)
            .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
            .map_err(|e| ClientError(format!("invalid {what} {text:?}: {e}")))
    };
    let time = |text: &str, what: &str| -> Result<i64, ClientError> {
        condenser_model::time::parse_rfc3339(text)
            .ok_or_else(|| ClientError(format!("invalid {what} time {text:?}: expected RFC 3339")))
    };
    let mut recording = match args.kind.as_str() {
        "stream" => {
            let (Some(task), Some(duration)) = (&args.task, &args.duration) else {
                return Err(ClientError(
                    "both task and duration are required".to_owned(),
                ));
            };
            let request = proto::RecordStreamRequest {
                id,
                task: task.clone(),
                stop: now.saturating_add(nanos(duration, "duration")?),
            };
            control.call(|mut c| async move { c.record_stream(request).await })?
        }
        "batch" => {
            let Some(task) = &args.task else {
                return Err(ClientError("task is required".to_owned()));
            };
            let (start, stop) = match (&args.past, &args.start) {
                (Some(past), None) => (now.saturating_sub(nanos(past, "past")?), now),
                (None, Some(start)) => (
                    time(start, "start")?,
                    match &args.stop {
                        Some(stop) => time(stop, "stop")?,
                        None => now,
                    },
                ),
                (Some(_), Some(_)) => {
                    return Err(ClientError("cannot use both -past and -start".to_owned()));
                }
                (None, None) => {
                    return Err(ClientError("must pass one of -past or -start".to_owned()));
                }
            };
            let request = proto::RecordBatchRequest {
                id,
                task: task.clone(),
                start,
                stop,
            };
            control.call(|mut c| async move { c.record_batch(request).await })?
        }
        "query" => {
            let (Some(query), Some(kind)) = (&args.query, &args.query_type) else {
                return Err(ClientError("both query and type are required".to_owned()));
            };
            let request = proto::RecordQueryRequest {
                id,
                query: query.clone(),
                r#type: kind.clone(),
                cluster: args.cluster.clone().unwrap_or_default(),
            };
            control.call(|mut c| async move { c.record_query(request).await })?
        }
        other => {
            return Err(ClientError(format!(
                "Unknown record type {other:?}, expected 'stream', 'batch' or 'query'"
            )));
        }
    };
    if args.no_wait {
        return Ok(());
    }
    while recording.status == "running" {
        std::thread::sleep(POLL);
        let request = proto::GetRecordingRequest {
            id: recording.id.clone(),
        };
        recording = control.call(|mut c| async move { c.get_recording(request).await })?;
    }
    println!("{}", recording.id);
    failed(&recording.status, &recording.error, "recording")
}

/// The error of a recording or replay that failed.
fn failed(status: &str, error: &str, what: &str) -> Result<(), ClientError> {
    if status != "failed" {
        return Ok(());
    }
    Err(ClientError(if error.is_empty() {
        format!("{what} failed: unknown reason")
    } else {
        error.to_owned()
    }))
}

/// `replay --recording R --task T`: replays the recording against the task, then prints
/// the replay's id.
pub(crate) fn replay(control: &Control, args: &ReplayArgs) -> Result<(), ClientError> {
    let recording = args
        .recording
        .clone()
        .ok_or_else(|| ClientError("must pass recording ID".to_owned()))?;
    let task = args
        .task
        .clone()
        .ok_or_else(|| ClientError("must pass task ID".to_owned()))?;
    let request = proto::ReplayRequest {
        id: args.replay_id.clone().unwrap_or_default(),
        task,
        recording,
        recording_time: args.rec_time,
        real_clock: args.real_clock,
    };
    let mut replay = control.call(|mut c| async move { c.replay(request).await })?;
    if args.no_wait {
        return Ok(());
    }
    while replay.status == "running" {
        std::thread::sleep(POLL);
        let request = proto::GetReplayRequest {
            id: replay.id.clone(),
        };
        replay = control.call(|mut c| async move { c.get_replay(request).await })?;
    }
    println!("{}", replay.id);
    failed(&replay.status, &replay.error, "replay")
}

/// Bytes as go-humanize writes them (`1.2 kB`, `83 MB`, `999 B`).
fn humanize_bytes(size: u64) -> String {
    if size < 10 {
        return format!("{size} B");
    }
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let exponent = ((size as f64).ln() / 1000f64.ln()).floor() as usize;
    let exponent = exponent.min(UNITS.len() - 1);
    let value = (size as f64 / 1000f64.powi(exponent as i32) * 10.0 + 0.5).floor() / 10.0;
    if value >= 10.0 {
        // Go's %.0f rounds half to even.
        format!("{} {}", value.round_ties_even(), UNITS[exponent])
    } else {
        format!("{value:.1} {}", UNITS[exponent])
    }
}

fn date(nanos: i64) -> String {
    rfc822(&condenser_model::time::rfc3339_nano(nanos))
}

/// `list recordings [PATTERN…]`: Kapacitor's table, newest first.
pub(crate) fn list_recordings(
    control: &Control,
    patterns: &[String],
    as_json: bool,
) -> Result<(), ClientError> {
    let listed = gather(patterns, |pattern| recordings(control, pattern))?;
    if as_json {
        print_json(listed.iter().map(|r| object(recording_fields(r))));
        return Ok(());
    }
    let width = listed.iter().map(|r| r.id.len()).max().unwrap_or(0) + 1;
    let row = |id: &str, kind: &str, status: &str, size: &str, date: &str| {
        println!("{id:<width$}{kind:<8}{status:<10}{size:<10}{date:<23}");
    };
    row("ID", "Type", "Status", "Size", "Date");
    for r in &listed {
        row(
            &r.id,
            &r.r#type,
            &r.status,
            &humanize_bytes(r.size),
            &date(r.date),
        );
    }
    Ok(())
}

/// `list replays [PATTERN…]`: Kapacitor's table, newest first.
pub(crate) fn list_replays(
    control: &Control,
    patterns: &[String],
    as_json: bool,
) -> Result<(), ClientError> {
    let listed = gather(patterns, |pattern| replays(control, pattern))?;
    if as_json {
        print_json(listed.iter().map(|r| object(replay_fields(r))));
        return Ok(());
    }
    let id = listed.iter().map(|r| r.id.len()).max().unwrap_or(0).max(2) + 1;
    let task = listed
        .iter()
        .map(|r| r.task.len())
        .max()
        .unwrap_or(0)
        .max(4)
        + 1;
    let recording = listed
        .iter()
        .map(|r| r.recording.len())
        .max()
        .unwrap_or(0)
        .max(9)
        + 1;
    let row = |a: &str, b: &str, c: &str, d: &str, e: &str, f: &str| {
        println!("{a:<id$}{b:<task$}{c:<recording$}{d:<9}{e:<8}{f:<23}");
    };
    row("ID", "Task", "Recording", "Status", "Clock", "Date");
    for r in &listed {
        row(
            &r.id,
            &r.task,
            &r.recording,
            &r.status,
            &r.clock,
            &date(r.date),
        );
    }
    Ok(())
}

/// `delete recordings PATTERN…`.
pub(crate) fn delete_recordings(control: &Control, patterns: &[String]) -> Result<(), ClientError> {
    for recording in gather(patterns, |pattern| recordings(control, pattern))? {
        let request = proto::DeleteRecordingRequest { id: recording.id };
        control.call(|mut c| async move { c.delete_recording(request).await })?;
    }
    Ok(())
}

/// `delete replays PATTERN…`.
pub(crate) fn delete_replays(control: &Control, patterns: &[String]) -> Result<(), ClientError> {
    for replay in gather(patterns, |pattern| replays(control, pattern))? {
        let request = proto::DeleteReplayRequest { id: replay.id };
        control.call(|mut c| async move { c.delete_replay(request).await })?;
    }
    Ok(())
}

/// The recordings matching `pattern`, newest first.
fn recordings(control: &Control, pattern: &str) -> Result<Vec<proto::Recording>, ClientError> {
    let request = proto::ListRecordingsRequest {
        pattern: pattern.to_owned(),
    };
    Ok(control
        .call(|mut c| async move { c.list_recordings(request).await })?
        .recordings)
}

/// The replays matching `pattern`, newest first.
fn replays(control: &Control, pattern: &str) -> Result<Vec<proto::ReplayStatus>, ClientError> {
    let request = proto::ListReplaysRequest {
        pattern: pattern.to_owned(),
    };
    Ok(control
        .call(|mut c| async move { c.list_replays(request).await })?
        .replays)
}

#[cfg(test)]
mod tests {
    use super::humanize_bytes;

    #[test]
    fn sizes_print_as_go_humanize_s() {
        assert_eq!(humanize_bytes(0), "0 B");
        assert_eq!(humanize_bytes(999), "999 B");
        assert_eq!(humanize_bytes(10), "10 B");
        assert_eq!(humanize_bytes(1234), "1.2 kB");
        assert_eq!(humanize_bytes(82_854_982), "83 MB");
    }
}
