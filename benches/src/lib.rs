//! Inputs shared by the benchmarks in `benches/`: deterministic, realistic workloads.
//!
//! Every generator is seeded, so two runs (and two parsers in one run) see the same bytes.
//! The engine benchmarks share [`compare_with_datafusion`]: a task against DataFusion's
//! vectorized `GROUP BY` on the same batches.

/// A small, fast, deterministic random number generator (xorshift64*).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a non-zero seed.
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A float in `[0, scale)` with the digits a metrics agent prints.
    pub fn float(&mut self, scale: f64) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 * scale
    }

    /// An integer in `[0, n)`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

/// Telegraf's `cpu` input: 3 tags, 6 float fields, nanosecond timestamps, about 165 bytes a
/// line; 100 hosts × 8 CPUs, one line per series per 10 s interval.
pub fn telegraf_cpu(lines: usize) -> String {
    let mut rng = Rng::new(1);
    let mut out = String::with_capacity(lines * 170);
    let start: u64 = 1_600_000_000_000_000_000;
    for i in 0..lines {
        let series = i % 800;
        let interval = (i / 800) as u64;
        out.push_str(&format!(
            "cpu,cpu=cpu{},host=host{:03},region=eu-west-1 \
             usage_idle={:.6},usage_iowait={:.6},usage_system={:.6},usage_user={:.6},usage_steal={:.6} {}\n",
            series % 8,
            series / 8,
            rng.float(100.0),
            rng.float(5.0),
            rng.float(20.0),
            rng.float(60.0),
            rng.float(1.0),
            start + interval * 10_000_000_000,
        ));
    }
    out
}

/// A string- and integer-heavy mix (Telegraf's `syslog` and `procstat` shapes): quoted
/// messages with escapes, several integer fields, booleans.
pub fn strings_and_integers(lines: usize) -> String {
    let mut rng = Rng::new(2);
    let mut out = String::with_capacity(lines * 200);
    let start: u64 = 1_600_000_000_000_000_000;
    let words = [
        "connection",
        "from",
        "accepted",
        "closed",
        "\\\"quoted\\\"",
        "user=root",
        "port",
        "ssh2",
    ];
    for i in 0..lines {
        if i % 2 == 0 {
            let mut message = String::new();
            for _ in 0..8 {
                message.push_str(words[rng.below(words.len() as u64) as usize]);
                message.push(' ');
            }
            out.push_str(&format!(
                "syslog,appname=app{},facility=daemon,host=host{:03},severity=info \
                 facility_code=3i,message=\"{}\",procid=\"{}\",severity_code=6i,timestamp={}i,version=1i {}\n",
                rng.below(20),
                rng.below(100),
                message.trim_end(),
                rng.below(65_536),
                start + i as u64,
                start + i as u64 * 1_000_000,
            ));
        } else {
            out.push_str(&format!(
                "procstat,exe=nginx,host=host{:03},process_name=nginx,user=www-data \
                 cpu_usage={:.4},memory_rss={}i,num_threads={}i,pid={}i,running=true {}\n",
                rng.below(100),
                rng.float(100.0),
                rng.below(1 << 30),
                rng.below(64),
                rng.below(1 << 22),
                start + i as u64 * 1_000_000,
            ));
        }
    }
    out
}

/// High cardinality: every line is a series of its own (a request id and a user tag among
/// the tags), so every tag value is new to the dictionaries.
pub fn high_cardinality(lines: usize) -> String {
    let mut rng = Rng::new(3);
    let mut out = String::with_capacity(lines * 150);
    let start: u64 = 1_600_000_000_000_000_000;
    for i in 0..lines {
        out.push_str(&format!(
            "http_requests,host=web{:02},path=/api/v1/items/{},request_id={:016x},user=u{} \
             bytes={}i,duration_ms={:.3},status=200i {}\n",
            rng.below(32),
            rng.below(10_000),
            rng.next_u64(),
            i,
            rng.below(1 << 20),
            rng.float(250.0),
            start + i as u64 * 1_000,
        ));
    }
    out
}

/// Points of `series` series (`cpu,host=hN v=…`), one write per second for `seconds`
/// seconds: each write holds one point of every series, as a Telegraf flush does.
pub fn series_writes(series: usize, seconds: usize) -> Vec<condenser_model::WriteBatch> {
    use condenser_ingest::line_protocol::{ParseOptions, parse};
    let mut rng = Rng::new(7);
    let start: u64 = 1_600_000_000;
    (0..seconds)
        .flat_map(|second| {
            let mut body = String::with_capacity(series * 32);
            for host in 0..series {
                body.push_str(&format!(
                    "cpu,host=h{host} v={:.2} {}\n",
                    rng.float(100.0),
                    start + second as u64
                ));
            }
            let parsed = parse(
                body.as_bytes(),
                ParseOptions::new(condenser_model::Precision::Second, 0),
            )
            .expect("generated lines parse");
            parsed
                .tables
                .into_iter()
                .map(|table| {
                    condenser_model::WriteBatch::try_new(
                        "telegraf".into(),
                        "autogen".into(),
                        table.measurement.as_str().into(),
                        table.batch,
                    )
                    .expect("ingest follows the schema conventions")
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The plan of the stream task `script`.
pub fn plan(script: &str) -> datafusion::logical_expr::LogicalPlan {
    let checked = condenser_planner::check(script, condenser_planner::TaskType::Stream, None)
        .expect("the bench script checks");
    condenser_planner::plan::lower(&checked.pipeline).expect("the bench script plans")
}

/// Runs a stream task, built from its plan, on `writes` and returns it (its httpOut result
/// holds the output).
pub fn run_task(
    plan: &datafusion::logical_expr::LogicalPlan,
    writes: &[condenser_model::WriteBatch],
) -> condenser_engine::Task {
    let mut task = condenser_engine::Task::try_new(plan).expect("the bench script runs");
    for write in writes {
        task.write(write);
    }
    task
}

/// The vectorized reference: DataFusion on one partition (one core), on the same batches.
pub struct DataFusionReference {
    runtime: tokio::runtime::Runtime,
    context: datafusion::prelude::SessionContext,
    batches: Vec<arrow::array::RecordBatch>,
}

impl DataFusionReference {
    /// A single-partition session over the points of `writes`.
    pub fn new(writes: &[condenser_model::WriteBatch]) -> Self {
        let config = datafusion::prelude::SessionConfig::new().with_target_partitions(1);
        Self {
            runtime: tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("a current-thread runtime"),
            context: datafusion::prelude::SessionContext::new_with_config(config),
            batches: writes.iter().map(|w| w.batch.clone()).collect(),
        }
    }

    /// `SELECT <aggregates> … GROUP BY host[, date_bin(10s, time)]`, collected; the number of
    /// result rows.
    pub fn group_by(&self, by_time: bool, aggregates: Vec<datafusion::prelude::Expr>) -> usize {
        use datafusion::functions::datetime::expr_fn::date_bin;
        use datafusion::prelude::{col, lit};
        use datafusion::scalar::ScalarValue;
        let mut keys = vec![col("host")];
        if by_time {
            let ten_seconds = ScalarValue::new_interval_dt(0, 10_000);
            let epoch = ScalarValue::TimestampNanosecond(Some(0), Some("UTC".into()));
            keys.push(date_bin(lit(ten_seconds), col("time"), lit(epoch)).alias("window"));
        }
        self.runtime.block_on(async {
            let frame = self
                .context
                .read_batches(self.batches.clone())
                .expect("batches of one schema")
                .aggregate(keys, aggregates)
                .expect("a valid aggregate");
            frame
                .collect()
                .await
                .expect("the query runs")
                .iter()
                .map(|b| b.num_rows())
                .sum()
        })
    }
}

impl DataFusionReference {
    /// The physical plan DataFusion makes of `query` over the batches (for `where`/`eval`: a
    /// `FilterExec` and a `ProjectionExec` over them), made once.
    pub fn physical_plan(
        &self,
        query: impl FnOnce(
            datafusion::dataframe::DataFrame,
        ) -> datafusion::error::Result<datafusion::dataframe::DataFrame>,
    ) -> std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan> {
        self.runtime.block_on(async {
            let frame = self
                .context
                .read_batches(self.batches.clone())
                .expect("batches of one schema");
            query(frame)
                .expect("a valid query")
                .create_physical_plan()
                .await
                .expect("a physical plan")
        })
    }

    /// Runs a physical plan made by [`DataFusionReference::physical_plan`]; the number of
    /// result rows.
    pub fn execute(
        &self,
        plan: &std::sync::Arc<dyn datafusion::physical_plan::ExecutionPlan>,
    ) -> usize {
        self.runtime.block_on(async {
            datafusion::physical_plan::collect(std::sync::Arc::clone(plan), self.context.task_ctx())
                .await
                .expect("the plan runs")
                .iter()
                .map(|b| b.num_rows())
                .sum()
        })
    }
}

/// Benchmarks the stream task `script` on 1k and 100k series next to DataFusion computing
/// `aggregates` grouped by host (and by 10 s time bins when `by_time`), on the same points,
/// both on one core. Throughput is in points.
pub fn compare_with_datafusion(
    c: &mut criterion::Criterion,
    name: &str,
    script: &str,
    by_time: bool,
    aggregates: fn() -> Vec<datafusion::prelude::Expr>,
) {
    compare_with(c, name, script, "datafusion_group_by", |reference| {
        let aggregates = aggregates();
        Box::new(move || reference.group_by(by_time, aggregates.clone()))
    });
}

/// Benchmarks the stream task `script` on 1k and 100k series next to DataFusion running
/// what `prepare` makes of a reference over the same points (prepared once per size, run per
/// iteration), both on one core. Throughput is in points.
pub fn compare_with<'r>(
    c: &mut criterion::Criterion,
    name: &str,
    script: &str,
    peer: &str,
    prepare: impl Fn(&'r DataFusionReference) -> Box<dyn Fn() -> usize + 'r>,
) {
    use criterion::{BenchmarkId, Throughput};
    let plan = plan(script);
    // 1k series over a minute; 100k series over 20 s: windows of 10 s close in both.
    for (series, seconds) in [(1_000, 60), (100_000, 20)] {
        let writes = series_writes(series, seconds);
        let points = (series * seconds) as u64;
        // Each size's reference lives for the rest of the bench run.
        let reference: &'r DataFusionReference =
            Box::leak(Box::new(DataFusionReference::new(&writes)));
        let run_peer = prepare(reference);
        let mut group = c.benchmark_group(format!("{name}/{series}_series"));
        group.sample_size(10);
        group.throughput(Throughput::Elements(points));
        group.bench_function(BenchmarkId::new("condenser_task", points), |b| {
            b.iter(|| run_task(&plan, std::hint::black_box(&writes)))
        });
        group.bench_function(BenchmarkId::new(peer, points), |b| b.iter(&run_peer));
        group.finish();
    }
}

#[cfg(test)]
mod tests {
    use condenser_ingest::line_protocol::{ParseOptions, parse};
    use condenser_model::Precision;

    use super::*;

    #[test]
    fn every_input_parses_without_errors() {
        for (name, body, measurements) in [
            ("cpu", telegraf_cpu(2_000), 1),
            ("mix", strings_and_integers(2_000), 2),
            ("cardinality", high_cardinality(2_000), 1),
        ] {
            let parsed =
                parse(body.as_bytes(), ParseOptions::new(Precision::Nanosecond, 0)).unwrap();
            assert!(
                parsed.errors.is_empty(),
                "{name}: {:?}",
                &parsed.errors[..1]
            );
            assert_eq!(parsed.points, 2_000, "{name}");
            assert_eq!(parsed.tables.len(), measurements, "{name}");
        }
    }

    #[test]
    fn cpu_lines_are_about_165_bytes() {
        let body = telegraf_cpu(1_000);
        let average = body.len() / 1_000;
        assert!((150..=180).contains(&average), "{average} bytes a line");
    }
}
