//! Batch queries on the embedded store give what InfluxDB 1.x answered for the same data
//! and query (each expectation was read from a real `influxd` 1.6 answering the query over
//! `[0s, 20s)`), as Kapacitor's query node reads the answer: numbers as floats, nulls as no
//! field, a row without fields as no point.

use std::sync::Arc;

use condenser_engine::message::Batch;
use condenser_engine::query;
use condenser_engine::store::Store;
use condenser_ingest::line_protocol::{ParseOptions, parse};
use condenser_model::{Precision, WriteBatch};
use condenser_planner::nodes::{NodeSpec, QuerySpec};
use condenser_planner::{TaskType, check};
use datafusion_common::tree_node::TreeNode;
use serde_json::{Value, json};

const S: i64 = 1_000_000_000;

/// The data of the InfluxDB session the expectations come from.
fn store() -> Store {
    let store = Store::default();
    let body =
        "cpu,host=a v=1 1\ncpu,host=a v=3 2\ncpu,host=b v=5 4\ncpu v=7 12\nmem,host=a v=2 3\n";
    let parsed = parse(body.as_bytes(), ParseOptions::new(Precision::Second, 0)).unwrap();
    for table in parsed.tables {
        let write = WriteBatch::try_new(
            "db".into(),
            "autogen".into(),
            Arc::from(table.measurement.as_str()),
            table.batch,
        )
        .unwrap();
        store.insert(&write, 12 * S);
    }
    store
}

/// The spec of the script's query node.
fn spec(script: &str) -> QuerySpec {
    let checked = check(script, TaskType::Batch, None).unwrap();
    let plan = condenser_planner::plan::lower(&checked.pipeline).unwrap();
    let mut found = None;
    plan.apply(|node| {
        if let datafusion_expr::LogicalPlan::Extension(extension) = node
            && let Some(tick) = extension
                .node
                .as_any()
                .downcast_ref::<condenser_planner::plan::TickNode>()
            && let NodeSpec::Query(spec) = &tick.spec
        {
            found = Some(spec.as_ref().clone());
        }
        Ok(datafusion_common::tree_node::TreeNodeRecursion::Continue)
    })
    .unwrap();
    found.expect("a query node")
}

/// Each batch as `[name, group id, tmax (s), [[time (s), {fields}], …]]` (its points carry
/// the group's tags too, as Kapacitor's do).
fn run(query_and_properties: &str) -> Vec<Value> {
    let script = format!("batch|query('{query_and_properties}|httpOut('out')");
    let batches = query::run(&spec(&script), &store(), 0, 20 * S, 20 * S).unwrap();
    batches.iter().map(summary).collect()
}

fn summary(batch: &Batch) -> Value {
    let data = &batch.data;
    let schema = data.schema();
    let times = condenser_engine::points::times(data).unwrap();
    let points: Vec<Value> = (0..data.num_rows())
        .map(|row| {
            let mut fields = serde_json::Map::new();
            for (i, field) in schema.fields().iter().enumerate() {
                let value = condenser_engine::operators::http_out::json_value(data.column(i), row);
                let is_field = condenser_engine::message::role(&schema, i)
                    == condenser_model::schema::ColumnRole::Field;
                if is_field && !value.is_null() {
                    fields.insert(field.name().clone(), value);
                }
            }
            json!([times[row] / S, fields])
        })
        .collect();
    json!([batch.name.as_ref(), batch.group.id, batch.tmax / S, points])
}

#[test]
fn aggregates_by_time_and_tag_fill_counts_with_zero() {
    assert_eq!(
        run("SELECT count(v), mean(v) FROM db.autogen.cpu').every(10s).groupBy(time(5s), 'host')"),
        vec![
            json!(["cpu", "host=", 15, [[0, {"count": 0.0}], [5, {"count": 0.0}], [10, {"count": 1.0, "mean": 7.0}], [15, {"count": 0.0}]]]),
            json!(["cpu", "host=a", 15, [[0, {"count": 2.0, "mean": 2.0}], [5, {"count": 0.0}], [10, {"count": 0.0}], [15, {"count": 0.0}]]]),
            json!(["cpu", "host=b", 15, [[0, {"count": 1.0, "mean": 5.0}], [5, {"count": 0.0}], [10, {"count": 0.0}], [15, {"count": 0.0}]]]),
        ]
    );
}

#[test]
fn a_lone_selector_keeps_its_point_s_time_and_others_take_the_range_s_start() {
    assert_eq!(
        run("SELECT max(v) FROM db.autogen.cpu').every(10s).groupBy('host')"),
        vec![
            json!(["cpu", "host=", 20, [[12, {"max": 7.0}]]]),
            json!(["cpu", "host=a", 20, [[2, {"max": 3.0}]]]),
            json!(["cpu", "host=b", 20, [[4, {"max": 5.0}]]]),
        ]
    );
    assert_eq!(
        run("SELECT max(v), min(v) FROM db.autogen.cpu').every(10s)"),
        vec![json!(["cpu", "", 20, [[0, {"max": 7.0, "min": 1.0}]]])]
    );
    assert_eq!(
        run("SELECT top(v, 2) FROM db.autogen.cpu').every(10s).groupBy(time(10s))"),
        vec![json!(["cpu", "", 12, [[2, {"top": 3.0}], [4, {"top": 5.0}], [12, {"top": 7.0}]]])]
    );
    assert_eq!(
        run(
            "SELECT percentile(v, 50), median(v), spread(v), stddev(v), mode(v) FROM db.autogen.cpu').every(10s)"
        ),
        vec![
            json!(["cpu", "", 20, [[0, {"percentile": 3.0, "median": 4.0, "spread": 6.0, "stddev": 2.581988897471611, "mode": 1.0}]]])
        ]
    );
}

#[test]
fn raw_points_and_their_filters() {
    assert_eq!(
        run("SELECT * FROM db.autogen.cpu').every(10s)"),
        vec![
            json!(["cpu", "", 20, [[1, {"host": "a", "v": 1.0}], [2, {"host": "a", "v": 3.0}], [4, {"host": "b", "v": 5.0}], [12, {"v": 7.0}]]])
        ]
    );
    assert_eq!(
        run("SELECT v + 1, v * v AS sq FROM db.autogen.cpu WHERE host != \\'a\\'').every(10s)"),
        vec![json!(["cpu", "", 20, [[4, {"v": 6.0, "sq": 25.0}]]])]
    );
    assert_eq!(
        run(
            "SELECT first(v) FROM db.autogen./c.*/ WHERE time >= 2s AND host =~ /a|b/').every(10s).groupBy('host')"
        ),
        vec![
            json!(["cpu", "host=a", 20, [[2, {"first": 3.0}]]]),
            json!(["cpu", "host=b", 20, [[4, {"first": 5.0}]]]),
        ]
    );
}

#[test]
fn empty_buckets_are_filled_as_asked() {
    let means = |fill: &str| {
        run(&format!(
            "SELECT mean(v) FROM db.autogen.cpu').every(10s).groupBy(time(5s)).fill({fill})"
        ))
    };
    assert_eq!(
        means("'previous'"),
        vec![
            json!(["cpu", "", 15, [[0, {"mean": 3.0}], [5, {"mean": 3.0}], [10, {"mean": 7.0}], [15, {"mean": 7.0}]]])
        ]
    );
    assert_eq!(
        means("'linear'"),
        vec![json!(["cpu", "", 10, [[0, {"mean": 3.0}], [5, {"mean": 5.0}], [10, {"mean": 7.0}]]])]
    );
    assert_eq!(
        run("SELECT first(v), count(v) FROM db.autogen.cpu').every(10s).groupBy(time(5s)).fill(7)"),
        vec![
            json!(["cpu", "", 15, [[0, {"first": 1.0, "count": 3.0}], [5, {"first": 7.0, "count": 7.0}], [10, {"first": 7.0, "count": 1.0}], [15, {"first": 7.0, "count": 7.0}]]])
        ]
    );
    assert_eq!(
        run("SELECT count(v) FROM db.autogen.cpu').every(10s).groupBy(time(5s)).fill('none')"),
        vec![json!(["cpu", "", 10, [[0, {"count": 3.0}], [10, {"count": 1.0}]]])]
    );
}

#[test]
fn the_node_s_group_by_replaces_the_query_s_and_offsets_move_the_buckets() {
    let script = "batch|query('SELECT count(v) FROM db.autogen.cpu GROUP BY host').every(10s).groupBy(time(5s, 2s))|httpOut('out')";
    let batches = query::run(&spec(script), &store(), 0, 12 * S, 20 * S).unwrap();
    assert_eq!(
        batches.iter().map(summary).collect::<Vec<_>>(),
        vec![
            json!(["cpu", "", 7, [[-3, {"count": 1.0}], [2, {"count": 2.0}], [7, {"count": 0.0}]]])
        ]
    );
}
