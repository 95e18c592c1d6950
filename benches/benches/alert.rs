//! `alert()`: the level lambda and the per-series alert state over 100k series, with about
//! 1% of points changing level (`"v"` is uniform in [0, 100); CRITICAL above 99.5, so half
//! a percent of points go critical and as many recover), next to the same batches through
//! `where()` with the same lambda: the cost of alert state over a plain filter. Both group
//! by host, both on one core; throughput is in points.
//!
//! Run: `cargo bench -p condenser-benches --bench alert`.

use condenser_benches::{plan, run_task, series_writes};
use criterion::{BenchmarkId, Throughput};

fn main() {
    let mut c = criterion::Criterion::default().configure_from_args();
    let alert = plan(
        "stream|from().measurement('cpu').groupBy('host')\
         |alert().crit(lambda: \"v\" > 99.5)\
         |httpOut('out')",
    );
    let filter = plan(
        "stream|from().measurement('cpu').groupBy('host')\
         |where(lambda: \"v\" > 99.5)\
         |httpOut('out')",
    );
    for (series, seconds) in [(1_000, 60), (100_000, 20)] {
        let writes = series_writes(series, seconds);
        let mut group = c.benchmark_group(format!("alert/{series}_series"));
        group.sample_size(10);
        group.throughput(Throughput::Elements((series * seconds) as u64));
        for (name, plan) in [("condenser_alert", &alert), ("condenser_where", &filter)] {
            group.bench_function(BenchmarkId::new(name, series * seconds), |b| {
                b.iter(|| run_task(plan, std::hint::black_box(&writes)))
            });
        }
        group.finish();
    }
    c.final_summary();
}
