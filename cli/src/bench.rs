//! `condenser bench`: Telegraf-like load against a daemon (Condenser's, or one started
//! here with `--embedded`), with a task under it, and what came of it: points accepted
//! and processed a second (processed read from the task's own statistics), write latency,
//! and, for an embedded daemon, its peak memory and CPU time.
//!
//! Points carry no timestamp, so event time moves with the wall clock as in real traffic
//! and the task's windows close (for an InfluxDB, which keeps one point per series and
//! time, each point gets a time of its own, now). The load goes to `/write?db=bench&rp=autogen` over HTTP;
//! the task is defined through Kapacitor's API (`POST /kapacitor/v1/tasks`).

use std::io::{BufRead, BufReader, IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::{Value, json};

/// `bench`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct BenchArgs {
    /// Start a daemon of this executable on a free port (in a temporary directory) and load
    /// it, instead of the one at --url
    #[arg(long)]
    embedded: bool,
    /// How many measurements the points spread over (the task reads `cpu`, the first)
    #[arg(long, default_value_t = 1)]
    measurements: usize,
    /// How many series (tag sets) a measurement has
    #[arg(long, default_value_t = 1000)]
    series: usize,
    /// Fields per point
    #[arg(long, default_value_t = 2)]
    fields: usize,
    /// Points per write request
    #[arg(long, default_value_t = 5000)]
    points_per_request: usize,
    /// Writers sending at once, each on a connection of its own
    #[arg(long, default_value_t = 2)]
    connections: usize,
    /// How long to send
    #[arg(long, default_value = "10s")]
    duration: String,
    /// Stop after this many points instead
    #[arg(long)]
    points: Option<u64>,
    /// The task under load [default: from(cpu) | where(host =~ …) | groupBy(host) |
    /// window(10s) | mean | alert(crit) .log()]
    #[arg(long, value_name = "FILE.tick")]
    task: Option<PathBuf>,
    /// What --url is: `condenser` or `kapacitor` (a task is defined and its statistics read
    /// through Kapacitor's API), or `influxdb` (an InfluxDB 1.x: writes only, into a
    /// database `bench` made first)
    #[arg(long, default_value = "condenser", value_parser = ["condenser", "kapacitor", "influxdb"])]
    target: String,
}

/// The id of the task under load.
const TASK: &str = "bench";

/// The default task: the representative one.
fn default_task(log: &std::path::Path) -> String {
    format!(
        "stream\n    |from()\n        .measurement('cpu')\n        \
         .where(lambda: \"host\" =~ /^host/)\n    |groupBy('host')\n    \
         |window()\n        .period(10s)\n        .every(10s)\n    |mean('usage_0')\n    \
         |alert()\n        .crit(lambda: \"mean\" > 90)\n        .log('{}')\n",
        log.display()
    )
}

/// An embedded daemon, stopped when dropped.
struct Embedded {
    child: Child,
    url: String,
    _dir: TempDir,
}

impl Drop for Embedded {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start_embedded() -> anyhow::Result<Embedded> {
    let dir = std::env::temp_dir().join(format!("condenser-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let mut child = Command::new(std::env::current_exe()?)
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(dir.join("data"))
        .env("CONDENSER_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting the embedded daemon")?;
    let stdout = child.stdout.take().context("the daemon's output")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let Some(line) = lines.next() else {
            anyhow::bail!("the embedded daemon stopped before it listened");
        };
        if let Some(url) = line?.strip_prefix("Condenser listening on ") {
            break url.to_owned();
        }
    };
    // Keep reading its output so that it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Ok(Embedded {
        child,
        url,
        _dir: TempDir(dir),
    })
}

/// The bodies a writer sends in turn: every series of every measurement, in requests of
/// `per_request` points.
fn bodies(args: &BenchArgs, writer: usize) -> Vec<String> {
    let per_request = args.points_per_request.max(1);
    let total = args.measurements.max(1) * args.series.max(1);
    let mut out = Vec::new();
    let mut body = String::new();
    let mut in_body = 0;
    let mut point = writer;
    // Enough bodies to cover every series, at least one.
    let count = total.div_ceil(per_request).max(1);
    while out.len() < count {
        let series = point % total;
        let (measurement, host) = (series / args.series.max(1), series % args.series.max(1));
        let name = if measurement == 0 {
            "cpu".to_owned()
        } else {
            format!("m{measurement}")
        };
        body.push_str(&format!("{name},host=host{host},region=r{} ", host % 8));
        for field in 0..args.fields.max(1) {
            if field > 0 {
                body.push(',');
            }
            body.push_str(&format!("usage_{field}={}", (point * 7 + field * 13) % 100));
        }
        body.push('\n');
        point += 1;
        in_body += 1;
        if in_body == per_request {
            out.push(std::mem::take(&mut body));
            in_body = 0;
        }
    }
    out
}

/// Points accepted, errors, and each request's latency, shared by the writers.
#[derive(Default)]
struct Tally {
    points: AtomicU64,
    errors: AtomicU64,
    latencies: std::sync::Mutex<Vec<Duration>>,
}

/// The peak resident memory (bytes) and CPU seconds of process `pid`.
fn usage(pid: u32) -> Option<(u64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches(" kB")
        .trim()
        .parse::<u64>()
        .ok()?
        * 1024;
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some((peak, ticks / 100.0))
}

/// The points the task's `from()` took, read from its statistics.
fn processed(http: &reqwest::blocking::Client, url: &str) -> Option<u64> {
    let task: Value = http
        .get(format!("{url}/kapacitor/v1/tasks/{TASK}"))
        .send()
        .ok()?
        .json()
        .ok()?;
    let nodes = task["stats"]["node-stats"].as_object()?;
    nodes
        .iter()
        .filter(|(name, _)| name.starts_with("from"))
        .map(|(_, stats)| stats["collected"].as_u64().unwrap_or(0))
        .max()
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

/// Defines the task under load (replacing one of its id) through Kapacitor's API.
fn define_task(http: &reqwest::blocking::Client, url: &str, script: &str) -> anyhow::Result<()> {
    let _ = http
        .delete(format!("{url}/kapacitor/v1/tasks/{TASK}"))
        .send();
    // A task file with its own `dbrp` statement names its databases itself.
    let dbrps = if script.lines().any(|l| l.trim_start().starts_with("dbrp ")) {
        json!([])
    } else {
        json!([{"db": "bench", "rp": "autogen"}])
    };
    let defined = http
        .post(format!("{url}/kapacitor/v1/tasks"))
        .json(&json!({
            "id": TASK, "type": "stream", "dbrps": dbrps,
            "script": script, "status": "enabled",
        }))
        .send()
        .with_context(|| format!("defining the task on {url}"))?;
    if !defined.status().is_success() {
        anyhow::bail!(
            "the daemon refused the task: {}",
            defined.text().unwrap_or_default()
        );
    }
    Ok(())
}

/// Runs the benchmark; prints the table (or JSON) at the end.
pub(crate) fn run(url: &str, as_json: bool, args: &BenchArgs) -> anyhow::Result<()> {
    let duration = crate::config::parse_duration(&args.duration)
        .with_context(|| format!("--duration {:?}", args.duration))?;
    if args.embedded && args.target != "condenser" {
        anyhow::bail!("--embedded starts Condenser: it goes with --target condenser only");
    }
    let embedded = if args.embedded {
        Some(start_embedded()?)
    } else {
        None
    };
    let url = embedded.as_ref().map_or(url, |e| e.url.as_str()).to_owned();
    let http = reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(60))
        .build()?;
    let log = std::env::temp_dir().join(format!("condenser-bench-{}.log", std::process::id()));
    let script = match &args.task {
        Some(file) => {
            std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?
        }
        None => default_task(&log),
    };
    let influxdb = args.target == "influxdb";
    if influxdb {
        let made = http
            .post(format!("{url}/query"))
            .form(&[("q", "CREATE DATABASE bench")])
            .send()
            .with_context(|| format!("creating the database on {url}"))?;
        if !made.status().is_success() {
            anyhow::bail!(
                "InfluxDB refused CREATE DATABASE: {}",
                made.text().unwrap_or_default()
            );
        }
    } else {
        define_task(&http, &url, &script)?;
    }
    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let writers: Vec<_> = (0..args.connections.max(1))
        .map(|writer| {
            let bodies = bodies(args, writer * 7919);
            let points_per_body = args.points_per_request.max(1) as u64;
            let (tally, stop) = (Arc::clone(&tally), Arc::clone(&stop));
            let target = format!("{url}/write?db=bench&rp=autogen");
            let limit = args.points;
            // An InfluxDB keeps one point per series and time: points there get times of
            // their own (now, a nanosecond apart, interleaved between the writers).
            let stamped = (args.target == "influxdb").then_some((writer, args.connections.max(1)));
            std::thread::spawn(move || {
                let http = reqwest::blocking::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(60))
                    .build();
                let Ok(http) = http else { return };
                let mut latencies = Vec::new();
                for body in bodies.iter().cycle() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Some(limit) = limit {
                        // Claim the points before sending, so that writers stop at the limit.
                        let before = tally.points.fetch_add(points_per_body, Ordering::Relaxed);
                        if before >= limit {
                            tally.points.fetch_sub(points_per_body, Ordering::Relaxed);
                            break;
                        }
                    }
                    let body = match stamped {
                        Some((writer, writers)) => {
                            let now = condenser_engine::clock::system_now();
                            let mut out = String::with_capacity(body.len() + body.len() / 2);
                            for (i, line) in body.lines().enumerate() {
                                let time = now + (i * writers + writer) as i64;
                                out.push_str(line);
                                out.push(' ');
                                out.push_str(&time.to_string());
                                out.push('\n');
                            }
                            out
                        }
                        None => body.clone(),
                    };
                    let sent = Instant::now();
                    let ok = http
                        .post(&target)
                        .body(body)
                        .send()
                        .is_ok_and(|r| r.status().as_u16() == 204);
                    latencies.push(sent.elapsed());
                    if !ok {
                        tally.errors.fetch_add(1, Ordering::Relaxed);
                        if limit.is_some() {
                            tally.points.fetch_sub(points_per_body, Ordering::Relaxed);
                        }
                    } else if limit.is_none() {
                        tally.points.fetch_add(points_per_body, Ordering::Relaxed);
                    }
                }
                tally
                    .latencies
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .extend(latencies);
            })
        })
        .collect();
    let terminal = std::io::stderr().is_terminal() && !as_json;
    let mut last = (Instant::now(), 0u64);
    while writers.iter().any(|w| !w.is_finished()) {
        std::thread::sleep(Duration::from_millis(200));
        if args.points.is_none() && started.elapsed() >= duration {
            stop.store(true, Ordering::Relaxed);
        }
        if last.0.elapsed() >= Duration::from_secs(1) {
            let points = tally.points.load(Ordering::Relaxed);
            let rate = (points - last.1) as f64 / last.0.elapsed().as_secs_f64();
            let line = format!(
                "{:>6.1}s  {:>12.0} points/s  {} points  {} errors",
                started.elapsed().as_secs_f64(),
                rate,
                points,
                tally.errors.load(Ordering::Relaxed)
            );
            if terminal {
                eprint!("\r{line}");
            } else if !as_json {
                eprintln!("{line}");
            }
            last = (Instant::now(), points);
        }
    }
    for writer in writers {
        let _ = writer.join();
    }
    let sending = started.elapsed().as_secs_f64();
    if terminal {
        eprintln!();
    }
    let accepted = tally.points.load(Ordering::Relaxed);
    // The task takes what is queued for it: its statistics catch up.
    let deadline = Instant::now() + Duration::from_secs(30);
    // An InfluxDB runs no task: what it accepted is what it took.
    let read = |http: &reqwest::blocking::Client| {
        if influxdb {
            Some(accepted)
        } else {
            processed(http, &url)
        }
    };
    let mut taken = read(&http).unwrap_or(0);
    while taken < accepted && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
        taken = read(&http).unwrap_or(taken);
    }
    let processing = started.elapsed().as_secs_f64();
    let mut latencies =
        std::mem::take(&mut *tally.latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies.sort();
    let usage = embedded.as_ref().and_then(|e| usage(e.child.id()));
    let report = json!({
        "url": url,
        "target": args.target,
        "series": args.series * args.measurements.max(1),
        "seconds": sending,
        "points_accepted": accepted,
        "points_accepted_per_second": accepted as f64 / sending.max(1e-9),
        "points_processed": taken,
        "points_processed_per_second": taken as f64 / processing.max(1e-9),
        "errors": tally.errors.load(Ordering::Relaxed),
        "write_latency_ms": {"p50": percentile(&latencies, 0.5), "p99": percentile(&latencies, 0.99)},
        "daemon_peak_rss_bytes": usage.map(|u| u.0),
        "daemon_cpu_seconds": usage.map(|u| u.1),
    });
    let _ = std::fs::remove_file(&log);
    if as_json {
        println!("{report}");
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    let row = |out: &mut std::io::StdoutLock<'_>, name: &str, value: String| {
        let _ = writeln!(out, "{name:<28} {value}");
    };
    row(&mut out, "series", report["series"].to_string());
    row(
        &mut out,
        "points accepted/s",
        format!(
            "{:.0}",
            report["points_accepted_per_second"].as_f64().unwrap_or(0.0)
        ),
    );
    row(
        &mut out,
        "points processed/s",
        format!(
            "{:.0}",
            report["points_processed_per_second"]
                .as_f64()
                .unwrap_or(0.0)
        ),
    );
    row(
        &mut out,
        "points accepted / processed",
        format!("{accepted} / {taken}"),
    );
    row(&mut out, "errors", report["errors"].to_string());
    row(
        &mut out,
        "write latency p50 / p99",
        format!(
            "{:.2} ms / {:.2} ms",
            percentile(&latencies, 0.5),
            percentile(&latencies, 0.99)
        ),
    );
    if let Some((rss, cpu)) = usage {
        row(
            &mut out,
            "daemon peak RSS",
            format!("{:.1} MiB", rss as f64 / 1048576.0),
        );
        row(&mut out, "daemon CPU", format!("{cpu:.2} s"));
    }
    Ok(())
}
