//! `groupBy('host') | window()` of 10 s aligned windows: grouping and windowing every
//! point, against DataFusion's `SELECT count(v) … GROUP BY host, date_bin(10s, time)` on the
//! same batches, one core, 1k and 100k series.
//!
//! Run: `cargo bench -p condenser-benches --bench window`.

use condenser_benches::compare_with_datafusion;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::col;

fn main() {
    let mut c = criterion::Criterion::default().configure_from_args();
    compare_with_datafusion(
        &mut c,
        "window",
        "stream|from().measurement('cpu').groupBy('host')|window().period(10s).every(10s).align()|httpOut('out')",
        true,
        || vec![count(col("v"))],
    );
    c.final_summary();
}
