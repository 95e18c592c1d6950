//! `groupBy('host') | window() | mean('v')`: the whole aggregation path, against
//! DataFusion's `SELECT avg(v) … GROUP BY host, date_bin(10s, time)` on the same batches,
//! one core, 1k and 100k series.
//!
//! Run: `cargo bench -p condenser-benches --bench aggregates`.

use condenser_benches::compare_with_datafusion;
use datafusion::functions_aggregate::expr_fn::avg;
use datafusion::prelude::col;

fn main() {
    let mut c = criterion::Criterion::default().configure_from_args();
    compare_with_datafusion(
        &mut c,
        "aggregates",
        "stream|from().measurement('cpu').groupBy('host')|window().period(10s).every(10s).align()|mean('v')|httpOut('out')",
        true,
        || vec![avg(col("v"))],
    );
    c.final_summary();
}
