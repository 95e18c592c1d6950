//! `condenser test`: runs one task offline on recorded data and prints what its httpOut
//! node serves, as Kapacitor's replay does: the recording's clock starts at
//! 1971-01-01T00:00:00Z and the task sees every point in file order.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, TimestampNanosecondArray};
use arrow::datatypes::TimestampNanosecondType;
use condenser_engine::alerts::{AlertContext, AlertSink, ServerInfo};
use condenser_engine::{Dbrp, Engine};
use condenser_handlers::{HandlerService, Outbox, RetryPolicy, ServiceConfig, ServicesConfig};
use condenser_ingest::line_protocol::{LineErrorKind, ParseOptions, parse};
use condenser_model::schema::TIME_COLUMN;
use condenser_model::topic::TopicStates;
use condenser_model::{Precision, WriteBatch};
use condenser_planner::{Diagnostics, TaskType, check_with};

use crate::script::TaskTypeArg;

/// 1971-01-01T00:00:00Z in nanoseconds: where a replay's clock starts.
const REPLAY_START: i64 = 365 * 86_400 * 1_000_000_000;

/// Arguments of `condenser test`.
#[derive(Debug, clap::Args)]
pub(crate) struct TestArgs {
    /// The TICKscript of the task.
    file: PathBuf,
    /// A recording to replay (`.srpl` for a stream task); repeat for several
    #[arg(long = "data", value_name = "REC", required = true)]
    data: Vec<PathBuf>,
    /// The task type
    #[arg(long = "type", value_enum)]
    task_type: TaskTypeArg,
    /// How far the replay clock is fast-forwarded (Kapacitor's replay duration)
    #[arg(long, value_name = "DURATION", default_value = "0s")]
    duration: String,
    /// A database and retention policy of the task (`db.rp`); repeat for several. Default:
    /// the script's `dbrp` statements, or every database
    #[arg(long, value_name = "DB.RP")]
    dbrp: Vec<String>,
    /// The httpOut node whose result is printed [default: the only one]
    #[arg(long, value_name = "NAME")]
    http_out: Option<String>,
    /// The task's id (`.TaskName` in alert templates) [default: the --http-out name, as
    /// Kapacitor's replay tests name it, else the script's file name]
    #[arg(long, value_name = "ID")]
    task: Option<String>,
    /// Also write the task's DOT graph with each node's statistics (as `kapacitor show`
    /// prints it) to this file
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// The configuration file whose `[smtp]`, `[[slack]]`, `[telegram]` and `[pagerduty2]`
    /// sections the task's handlers send through (as `condenser serve --config` reads it)
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
}

/// Runs the task on the recordings and prints the httpOut JSON.
pub(crate) fn run_test(args: &TestArgs) -> anyhow::Result<ExitCode> {
    let source = std::fs::read_to_string(&args.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", args.file.display()))?;
    let path = args.file.display().to_string();
    crate::config::parse_duration(&args.duration)
        .map_err(|e| anyhow::anyhow!("invalid --duration {:?}: {e}", args.duration))?;
    let task_type: TaskType = args.task_type.into();
    let config = match &args.config {
        Some(file) => Some(crate::config::Config::load(Some(file))?),
        None => None,
    };
    let deadman = match &config {
        Some(config) => config.deadman.planner()?,
        None => condenser_planner::DeadmanConfig::default(),
    };
    let checked = match check_with(&source, task_type, None, &deadman) {
        Ok(checked) => checked,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(&source, &path));
            return Ok(ExitCode::FAILURE);
        }
    };
    eprint!(
        "{}",
        Diagnostics(checked.warnings.clone()).render(&source, &path)
    );
    let plan = match condenser_planner::plan::lower(&checked.pipeline) {
        Ok(plan) => plan,
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(&source, &path));
            return Ok(ExitCode::FAILURE);
        }
    };
    let mut dbrps: Vec<Dbrp> = checked
        .pipeline
        .dbrps
        .iter()
        .map(|(db, rp)| Dbrp::new(db.as_str(), rp.as_str()))
        .collect();
    for dbrp in &args.dbrp {
        let (db, rp) = dbrp
            .split_once('.')
            .ok_or_else(|| anyhow::anyhow!("--dbrp {dbrp:?} is not db.rp"))?;
        dbrps.push(Dbrp::new(db, rp));
    }
    let name = match (&args.task, &args.http_out) {
        (Some(task), _) | (None, Some(task)) => task.clone(),
        (None, None) => args
            .file
            .file_stem()
            .map_or_else(|| "task".to_owned(), |s| s.to_string_lossy().into_owned()),
    };
    // The task's handlers run as in Kapacitor's replay: each event delivered once, no
    // retries, and none lost (the engine waits for a full queue).
    let services = match &config {
        Some(config) => config.services(),
        None => ServicesConfig::default(),
    };
    let topics = TopicStates::default();
    let globals = services.globals();
    let handlers = HandlerService::start(
        ServiceConfig {
            retry: RetryPolicy::none(),
            ..ServiceConfig::default()
        },
        services,
        topics.clone(),
        Outbox::in_memory()?,
    );
    let alerts = AlertContext {
        sink: AlertSink::waiting(handlers.sender()),
        topics,
        globals,
        server: ServerInfo {
            hostname: "localhost".to_owned(),
            cluster_id: random_id(),
            server_id: random_id(),
        },
        ..AlertContext::default()
    };
    // The same engine the daemon runs, with this one task.
    let mut engine = Engine::with_alerts(alerts);
    match engine.define(&name, &plan, dbrps) {
        Ok(()) => {}
        Err(condenser_engine::Error::Script(diagnostics)) => {
            eprint!("{}", diagnostics.render(&source, &path));
            return Ok(ExitCode::FAILURE);
        }
        Err(error) => return Err(error.into()),
    }
    if let Some(task) = engine.task(&name) {
        for (topic, specs) in task.alert_handlers() {
            handlers.register(topic, specs)?;
        }
    }
    match task_type {
        TaskType::Stream => {
            for recording in &args.data {
                for write in
                    read_stream_recording(recording, Precision::Second, Some(REPLAY_START))?
                {
                    engine.write(Arc::new(write), condenser_engine::clock::system_now())?;
                    // The wall clock moves on while the replay runs, as Kapacitor's does.
                    engine.tick(condenser_engine::clock::system_now())?;
                }
            }
        }
        TaskType::Batch => {
            replay_batches(&mut engine, &name, &args.data, Some(REPLAY_START), false)?
        }
    }
    engine.finish()?;
    let task = engine
        .task(&name)
        .ok_or_else(|| anyhow::anyhow!("the task {name:?} is not in the engine"))?;
    if let Some(dot) = &args.dot {
        std::fs::write(dot, task.dot(&name, 0.0))
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", dot.display()))?;
    }
    let http_out = match &args.http_out {
        Some(name) => name.clone(),
        None => match task.http_out_names().as_slice() {
            [only] => (*only).to_owned(),
            [] => anyhow::bail!("the task has no httpOut node to print"),
            _ => anyhow::bail!("the task has several httpOut nodes: name one with --http-out"),
        },
    };
    let result = task
        .http_out(&http_out)
        .ok_or_else(|| anyhow::anyhow!("the task has no httpOut('{http_out}') node"))?
        .to_json();
    // The handlers finish what they were given before the result is printed.
    drop(engine);
    handlers.close();
    println!("{result}");
    Ok(ExitCode::SUCCESS)
}

/// Replays batch recordings into batch task `name`: the i-th recording feeds its i-th query
/// (in Kapacitor's order, [`condenser_engine::task::Task::queries`]), each shifted to start
/// at `first_at` (kept as recorded when `None`), paced as recorded with `real_clock`. Kapacitor reads the recordings concurrently, each in its order;
/// here they are merged by their batches' last points' times (the replay clock's order),
/// the earlier recording first on a tie.
pub(crate) fn replay_batches(
    engine: &mut Engine,
    name: &str,
    recordings: &[PathBuf],
    first_at: Option<i64>,
    real_clock: bool,
) -> anyhow::Result<()> {
    let queries = engine.task(name).map_or(0, |task| task.queries().len());
    if recordings.len() != queries {
        anyhow::bail!(
            "the task has {queries} query node(s) but {} batch recording(s) were given: \
             one a query, in Kapacitor's order",
            recordings.len()
        );
    }
    let mut files = Vec::new();
    for recording in recordings {
        let text = std::fs::read_to_string(recording)
            .map_err(|e| anyhow::anyhow!("cannot read recording {}: {e}", recording.display()))?;
        let read = condenser_engine::recording::read_batch_recording(&text, first_at)
            .map_err(|e| anyhow::anyhow!("{}: {e}", recording.display()))?;
        let mut timed = std::collections::VecDeque::new();
        for batch in read {
            let last = condenser_engine::points::times(&batch.data)?
                .last()
                .copied()
                .unwrap_or(batch.tmax);
            timed.push_back((last, batch));
        }
        files.push(timed);
    }
    // Each recording in its own order; between them, the earliest next batch first.
    let started = (
        std::time::Instant::now(),
        files
            .iter()
            .filter_map(|f| f.front())
            .map(|(t, _)| *t)
            .min(),
    );
    while let Some(query) = (0..files.len())
        .filter(|&i| !files[i].is_empty())
        .min_by_key(|&i| files[i].front().map(|(last, _)| *last))
    {
        if let Some((last, batch)) = files[query].pop_front() {
            // With the real clock, each batch when its time comes, as recorded.
            if real_clock && let (at, Some(first)) = started {
                let due = std::time::Duration::from_nanos(last.saturating_sub(first).max(0) as u64);
                if let Some(wait) = due.checked_sub(at.elapsed()) {
                    std::thread::sleep(wait);
                }
            }
            engine.take_batch(name, query, batch, condenser_engine::clock::system_now())?;
            engine.tick(condenser_engine::clock::system_now())?;
        }
    }
    Ok(())
}

/// A random id in the form of a UUID (the server's and cluster's ids a replay shows in
/// `.ServerInfo`, different in each run as Kapacitor's).
pub(crate) fn random_id() -> String {
    let bytes = std::fs::read("/proc/sys/kernel/random/uuid").unwrap_or_default();
    String::from_utf8_lossy(&bytes).trim().to_owned()
}

/// Reads a stream recording: records of three lines (database, retention policy, one point
/// in line protocol with a timestamp in `precision`). Consecutive points of one database,
/// retention policy and measurement become one write; with `first_at`, times are shifted
/// so that the first record's point is at `first_at` (Kapacitor's recordings of its tests start
/// at 1971-01-01T00:00:00Z), else kept.
pub(crate) fn read_stream_recording(
    path: &Path,
    precision: Precision,
    first_at: Option<i64>,
) -> anyhow::Result<Vec<WriteBatch>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read recording {}: {e}", path.display()))?;
    let lines: Vec<&str> = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut records: Vec<(&str, &str, &str)> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].is_empty() && lines[i..].iter().all(|l| l.is_empty()) {
            break;
        }
        if i + 2 >= lines.len() {
            anyhow::bail!("{}: record at line {} is incomplete", path.display(), i + 1);
        }
        records.push((lines[i], lines[i + 1], lines[i + 2]));
        i += 3;
    }
    let mut writes = Vec::new();
    let mut shift: Option<i64> = None;
    let mut start = 0;
    while start < records.len() {
        let (db, rp, line) = records[start];
        let measurement = measurement_of(line);
        let mut end = start + 1;
        while end < records.len() {
            let (d, r, l) = records[end];
            if d != db || r != rp || measurement_of(l) != measurement {
                break;
            }
            end += 1;
        }
        let parse_records = |end: usize| {
            let body: String = records[start..end]
                .iter()
                .map(|(_, _, l)| format!("{l}\n"))
                .collect();
            parse(body.as_bytes(), ParseOptions::new(precision, 0))
        };
        let mut parsed = parse_records(end)?;
        // A recording may give a field another type point by point (Kapacitor keeps no
        // schema): the points from the first conflict on go in a write of their own.
        if let Some(conflict) = parsed.errors.iter().find(|e| {
            matches!(e.kind, LineErrorKind::FieldTypeConflict { .. }) && e.line_number > 1
        }) {
            end = start + conflict.line_number - 1;
            parsed = parse_records(end)?;
        }
        if let Some(error) = parsed.errors.first() {
            anyhow::bail!("{}: {error}", path.display());
        }
        for table in parsed.tables {
            let batch = match first_at {
                Some(first_at) => {
                    let first_time = first_time(&table.batch)?;
                    let shift = *shift.get_or_insert(first_at - first_time);
                    shift_times(&table.batch, shift)?
                }
                None => table.batch,
            };
            writes.push(WriteBatch::try_new(
                db.into(),
                rp.into(),
                Arc::from(table.measurement.as_str()),
                batch,
            )?);
        }
        start = end;
    }
    Ok(writes)
}

/// The measurement of a line: up to the first unescaped comma or space.
fn measurement_of(line: &str) -> &str {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b',' | b' ' => return &line[..i],
            _ => i += 1,
        }
    }
    line
}

fn time_column(batch: &RecordBatch) -> anyhow::Result<&ArrayRef> {
    batch
        .column_by_name(TIME_COLUMN)
        .ok_or_else(|| anyhow::anyhow!("parsed points without a time column"))
}

fn first_time(batch: &RecordBatch) -> anyhow::Result<i64> {
    Ok(time_column(batch)?
        .as_primitive::<TimestampNanosecondType>()
        .value(0))
}

fn shift_times(batch: &RecordBatch, shift: i64) -> anyhow::Result<RecordBatch> {
    let times = time_column(batch)?.as_primitive::<TimestampNanosecondType>();
    let shifted: TimestampNanosecondArray = times
        .iter()
        .map(|t| t.map(|t| t + shift))
        .collect::<TimestampNanosecondArray>()
        .with_timezone_opt(times.timezone().map(str::to_owned));
    let index = batch.schema().index_of(TIME_COLUMN)?;
    let mut columns = batch.columns().to_vec();
    columns[index] = Arc::new(shifted);
    debug_assert_eq!(columns[index].len(), batch.num_rows());
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}
