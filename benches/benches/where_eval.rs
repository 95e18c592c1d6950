//! `where() | eval()`: a lambda filter and two computed fields on every point, against
//! DataFusion's `FilterExec` and `ProjectionExec` of the same expressions over the same
//! batches, one core, 1k and 100k series.
//!
//! Run: `cargo bench -p condenser-benches --bench where_eval`.

use condenser_benches::compare_with;
use datafusion::prelude::{col, lit};

fn main() {
    let mut c = criterion::Criterion::default().configure_from_args();
    compare_with(
        &mut c,
        "where_eval",
        "stream|from().measurement('cpu')\
         |where(lambda: \"v\" > 25.0 AND \"host\" != 'h3')\
         |eval(lambda: \"v\" * 2.0, lambda: \"v\" / 100.0).as('double', 'ratio')\
         |httpOut('out')",
        "datafusion_filter_projection",
        |reference| {
            let plan = reference.physical_plan(|frame| {
                frame
                    .filter(col("v").gt(lit(25.0)).and(col("host").not_eq(lit("h3"))))?
                    .select(vec![
                        col("time"),
                        col("host"),
                        (col("v") * lit(2.0)).alias("double"),
                        (col("v") / lit(100.0)).alias("ratio"),
                    ])
            });
            Box::new(move || reference.execute(&plan))
        },
    );
    c.final_summary();
}
