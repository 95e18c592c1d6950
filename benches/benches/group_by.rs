//! `groupBy('host')`: assigning each point its group, against DataFusion's
//! `SELECT count(v) … GROUP BY host` on the same batches, one core, 1k and 100k series.
//!
//! Run: `cargo bench -p condenser-benches --bench group_by`.

use condenser_benches::compare_with_datafusion;
use datafusion::functions_aggregate::expr_fn::count;
use datafusion::prelude::col;

fn main() {
    let mut c = criterion::Criterion::default().configure_from_args();
    compare_with_datafusion(
        &mut c,
        "group_by",
        "stream|from().measurement('cpu').groupBy('host')|httpOut('out')",
        false,
        || vec![count(col("v"))],
    );
    c.final_summary();
}
