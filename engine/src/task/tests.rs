//! Tasks run end to end on written points: types, windows and groups as Kapacitor has them.

use std::sync::Arc;

use condenser_ingest::line_protocol::{ParseOptions, parse};
use condenser_model::{Precision, WriteBatch};
use condenser_planner::{TaskType, check};
use serde_json::{Value, json};

use super::Task;

fn task(script: &str) -> Task {
    let checked = check(script, TaskType::Stream, None).unwrap();
    let plan = condenser_planner::plan::lower(&checked.pipeline).unwrap();
    Task::try_new(&plan).unwrap()
}

/// The error lowering `script` gives.
fn refusal(script: &str) -> String {
    let checked = check(script, TaskType::Stream, None).unwrap();
    let error = condenser_planner::plan::lower(&checked.pipeline).unwrap_err();
    error.0[0].message.clone()
}

/// Writes line protocol (timestamps in seconds) one line at a time, in order.
fn write(task: &mut Task, lines: &str) {
    write_at(task, lines, crate::clock::system_now());
}

/// Writes line protocol (timestamps in seconds) one line at a time, with the wall clock
/// reading `now`.
fn write_at(task: &mut Task, lines: &str, now: i64) {
    for line in lines.lines() {
        for write in writes(line) {
            task.write_at(&write, now);
        }
    }
}

/// The writes of a body of line protocol (timestamps in seconds): one per measurement.
fn writes(body: &str) -> Vec<WriteBatch> {
    let parsed = parse(body.as_bytes(), ParseOptions::new(Precision::Second, 0)).unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    parsed
        .tables
        .into_iter()
        .map(|table| {
            let measurement: Arc<str> = Arc::from(table.measurement.as_str());
            WriteBatch::try_new("db".into(), "rp".into(), measurement, table.batch).unwrap()
        })
        .collect()
}

fn result(task: &Task) -> Value {
    task.http_out("out").unwrap().to_json()
}

#[test]
fn integer_fields_stay_integers_through_sum_count_and_selectors() {
    for (function, expected) in [
        ("sum", json!(6)),
        ("count", json!(3)),
        ("max", json!(3)),
        ("first", json!(1)),
    ] {
        let mut t = task(&format!(
            "stream|from().measurement('m')|window().period(10s).every(10s)|{function}('i')|httpOut('out')"
        ));
        write(&mut t, "m i=1i 0\nm i=2i 1\nm i=3i 2\nm i=4i 10");
        let value = &result(&t)["series"][0]["values"][0][1];
        assert_eq!(value, &expected, "{function}");
        assert!(value.is_i64(), "{function} gave {value}, not an integer");
    }
    // The mean of integers is a float, as in InfluxQL.
    let mut t = task("stream|from()|window().period(10s).every(10s)|mean('i')|httpOut('out')");
    write(&mut t, "m i=1i 0\nm i=2i 1\nm i=4i 10");
    assert!(result(&t)["series"][0]["values"][0][1].is_f64());
}

#[test]
fn a_window_emits_when_a_later_point_of_its_group_arrives() {
    let mut t = task(
        "stream|from().groupBy('host')|window().period(10s).every(10s)|count('v')|httpOut('out')",
    );
    // host a fills [0s, 10s); host b's point at 10s does not close a's window.
    write(&mut t, "m,host=a v=1 0\nm,host=a v=1 5\nm,host=b v=1 10");
    assert_eq!(result(&t), json!({"series": null}));
    write(&mut t, "m,host=a v=1 12");
    assert_eq!(
        result(&t),
        json!({"series": [{"name": "m", "tags": {"host": "a"}, "columns": ["time", "count"], "values": [["1970-01-01T00:00:10Z", 2]]}]})
    );
}

/// Writes line protocol (timestamps in seconds) as one write: a measurement's lines are one
/// batch of points.
fn write_body(task: &mut Task, body: &str) {
    for write in writes(body) {
        task.write(&write);
    }
}

#[test]
fn windows_one_write_closes_are_reduced_together_as_one_at_a_time() {
    // Hosts a, b and c each fill [0s, 10s); the points at 10s close the three windows in
    // one message. b has no `f`: a sum of 0.0, a count of 0 and no mean.
    let first = "m,host=a i=1i,f=1.5 0\nm,host=b i=2i 1\nm,host=c i=3i,f=0.1 2\n\
                 m,host=a i=4i,f=2.25 3\nm,host=c i=5i,f=0.2 4\nm,host=c i=6i,f=0.3 5";
    let closing = "m,host=a i=0i 10\nm,host=b i=0i 10\nm,host=c i=0i 10";
    let series = |values: [Option<Value>; 3]| {
        let series: Vec<Value> = ["a", "b", "c"]
            .into_iter()
            .zip(values)
            .filter_map(|(host, value)| {
                Some(
                    json!({"name": "m", "tags": {"host": host}, "columns": ["time", "out"],
                            "values": [["1970-01-01T00:00:10Z", value?]]}),
                )
            })
            .collect();
        json!({ "series": series })
    };
    for (function, field, expected) in [
        (
            "sum",
            "i",
            series([Some(json!(5)), Some(json!(2)), Some(json!(14))]),
        ),
        (
            "sum",
            "f",
            series([
                Some(json!(3.75)),
                Some(json!(0.0)),
                Some(json!(0.6000000000000001)),
            ]),
        ),
        (
            "count",
            "f",
            series([Some(json!(2)), Some(json!(0)), Some(json!(3))]),
        ),
        (
            "mean",
            "f",
            series([Some(json!(1.875)), None, Some(json!(0.20000000000000004))]),
        ),
        (
            "mean",
            "i",
            series([Some(json!(2.5)), Some(json!(2.0)), Some(json!(14.0 / 3.0))]),
        ),
    ] {
        let script = format!(
            "stream|from().groupBy('host')|window().period(10s).every(10s).align()\
             |{function}('{field}').as('out')|httpOut('out')"
        );
        let mut together = task(&script);
        write_body(&mut together, first);
        write_body(&mut together, closing);
        let mut one_by_one = task(&script);
        write(&mut one_by_one, &format!("{first}\n{closing}"));
        assert_eq!(result(&together), expected, "{function}('{field}')");
        assert_eq!(
            result(&one_by_one),
            expected,
            "{function}('{field}') point by point"
        );
        for series in expected["series"].as_array().unwrap() {
            let value = &series["values"][0][1];
            let integer = matches!(function, "count") || (function != "mean" && field == "i");
            assert_eq!(
                value.is_i64(),
                integer,
                "{function}('{field}') gave {value}"
            );
        }
    }
}

#[test]
fn eval_keeps_only_its_results_unless_asked_and_drops_failed_points() {
    let mut t = task("stream|from()|eval(lambda: \"a\" * 2.0).as('b')|httpOut('out')");
    write(&mut t, "m,host=x a=1.5,c=1 0\nm,host=x c=2 1");
    // The second point has no "a": the expression fails and the point is dropped.
    assert_eq!(
        result(&t),
        json!({"series": [{"name": "m", "tags": {"host": "x"}, "columns": ["time", "b"], "values": [["1970-01-01T00:00:00Z", 3.0]]}]})
    );
    // Keeping a name that is no field of the point fails the point (a tag is not a field).
    let mut t =
        task("stream|from()|eval(lambda: \"a\" * 2.0).as('b').keep('b', 'host')|httpOut('out')");
    write(&mut t, "m,host=x a=1.5 0");
    assert_eq!(result(&t), json!({"series": null}));
    let mut t = task("stream|from()|eval(lambda: \"a\" * 2.0).as('b').keep()|httpOut('out')");
    write(&mut t, "m a=1.5,c=1 0");
    assert_eq!(
        result(&t)["series"][0]["columns"],
        json!(["time", "a", "b", "c"])
    );
}

#[test]
fn kapacitors_type_rules_hold_in_lambdas() {
    // int and float compare, but do not add: the point is dropped.
    let mut t = task(
        "stream|from()|where(lambda: \"i\" > 1.5)|eval(lambda: \"i\" + 1.5).as('x').keep()|httpOut('out')",
    );
    write(&mut t, "m i=2i 0");
    assert_eq!(result(&t), json!({"series": null}));
    let mut t =
        task("stream|from()|where(lambda: \"i\" > 1.5 AND \"host\" =~ /^web/)|httpOut('out')");
    write(&mut t, "m,host=web1 i=2i 0\nm,host=db1 i=3i 1");
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:00Z", 2]])
    );
}

#[test]
fn unsupported_nodes_and_properties_are_refused_by_name() {
    assert_eq!(
        refusal("stream|from()|httpPost().endpoint('alerts')"),
        ".endpoint() of httpPost() (configured endpoints) is not supported by Condenser yet"
    );
    assert_eq!(
        refusal("stream|from()|alert().crit(lambda: TRUE).hipChat()"),
        "the .hipChat() alert handler is not supported by Condenser yet"
    );
    assert_eq!(
        refusal("stream|from()|sideload().source('file:///tmp')"),
        "the sideload() node is not supported by Condenser yet"
    );
}

#[test]
fn nodes_count_points_errors_and_groups() {
    let mut t = task(
        "stream|from().groupBy('host')|where(lambda: \"v\" > 1)|window().period(10s).every(10s).align()|count('v')|httpOut('out')",
    );
    // The point without `v` fails the where (an error); `v=1` is false (no error).
    write(
        &mut t,
        "m,host=a v=1 0\nm,host=a v=2 1\nm,host=b v=3 2\nm,host=b w=3 3\nm,host=a v=5 10\nm,host=b v=6 11",
    );
    let stats = t.statistics();
    let names: Vec<&str> = stats.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "stream0",
            "from1",
            "where2",
            "window3",
            "count4",
            "http_out5"
        ]
    );
    let (where_, window) = (&stats[2], &stats[3]);
    assert_eq!((where_.collected, where_.emitted, where_.errors), (6, 4, 1));
    assert_eq!(window.working_cardinality, 2, "hosts a and b");
    // Each group's window [0s, 10s) closed: one batch per group.
    assert_eq!(window.emitted, 2);
    assert!(
        window.emitted_by_group.is_none(),
        "only a node a stats() node watches counts by group"
    );
    let dot = t.dot("t", 0.0);
    assert!(dot.contains("where2 [avg_exec_time_ns="), "{dot}");
    assert!(dot.contains("errors=\"1\""), "{dot}");
    assert!(
        dot.contains("where2 -> window3 [processed=\"4\"];"),
        "{dot}"
    );
}

#[test]
fn from_truncates_and_rounds_times_as_go_does() {
    // Checked against Kapacitor: multiples count from Go's zero time (0001-01-01), so 7s
    // steps fall on 3s past the Unix epoch, not on it; and a half rounds up.
    for (property, expected) in [
        (
            "truncate(7s)",
            ["1970-01-01T00:00:03Z", "1970-01-01T00:00:03Z"],
        ),
        (
            "round(10s)",
            ["1970-01-01T00:00:00Z", "1970-01-01T00:00:10Z"],
        ),
    ] {
        let mut t = task(&format!(
            "stream|from().{property}|window().period(100s).every(100s)|httpOut('out')"
        ));
        write(&mut t, "m v=1 4\nm v=2 5\nm v=3 200");
        let times: Vec<Value> = result(&t)["series"][0]["values"]
            .as_array()
            .unwrap()
            .iter()
            .map(|row| row[0].clone())
            .collect();
        assert_eq!(times, expected.map(Value::from), "{property}");
    }
}

/// A wall-clock time well after the data's (as a live task sees it), plus `ms`.
fn wall(ms: i64) -> i64 {
    1_800_000_000_000_000_000 + ms * 1_000_000
}

#[test]
fn an_idle_barrier_deletes_groups_that_stop_sending() {
    let mut t =
        task("stream|from().groupBy('host')|barrier().idle(1s).delete(TRUE)|httpOut('out')");
    write_at(&mut t, "m,host=a v=1 1\nm,host=b v=2 1", wall(0));
    t.tick(wall(500));
    assert_eq!(result(&t)["series"].as_array().unwrap().len(), 2);
    // a keeps sending, b falls idle: b's barrier and delete remove its entry.
    write_at(&mut t, "m,host=a v=3 2", wall(600));
    t.tick(wall(1_200));
    let series = result(&t)["series"].clone();
    assert_eq!(series.as_array().unwrap().len(), 1, "{series}");
    assert_eq!(series[0]["tags"], json!({"host": "a"}));
    t.tick(wall(1_700));
    assert_eq!(result(&t), json!({"series": []}), "every group was deleted");
    // A point older than the group's last barrier would be dropped; the group is gone, so
    // a new one starts.
    write_at(&mut t, "m,host=a v=4 3", wall(1_800));
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:03Z", 4.0]])
    );
}

#[test]
fn a_barrier_closes_a_window_at_its_time() {
    let mut t = task(
        "stream|from().groupBy('host')|barrier().idle(1s)|window().period(2s).every(2s)|count('v')|httpOut('out')",
    );
    write_at(&mut t, "m,host=a v=1 1\nm,host=a v=2 2", wall(0));
    assert_eq!(
        result(&t),
        json!({"series": null}),
        "the window [1s, 3s) is open"
    );
    // Idle for 1s: the barrier at 2s + 1s closes the window as a point at 3s would.
    t.tick(wall(1_000));
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:03Z", 2]])
    );
}

#[test]
fn a_periodic_barrier_drops_data_older_than_the_wall_clock() {
    let mut t = task("stream|from()|barrier().period(1s)|httpOut('out')");
    write_at(&mut t, "m v=1 1", wall(0));
    t.tick(wall(1_000));
    // The barrier's time is the wall clock's: the 1970 point that follows is dropped.
    write_at(&mut t, "m v=2 2", wall(1_100));
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:01Z", 1.0]])
    );
}

#[test]
fn stats_reports_what_a_node_emitted_per_group_on_the_wall_clock() {
    let mut t = task(
        "var data = stream|from().groupBy('host')\ndata|stats(1s)|httpOut('out')\ndata|httpOut('data')",
    );
    t.tick(wall(0));
    write_at(
        &mut t,
        "m,host=a v=1 1\nm,host=a v=2 2\nm,host=b v=3 3",
        wall(100),
    );
    t.tick(wall(900));
    assert_eq!(result(&t), json!({"series": null}), "not due yet");
    t.tick(wall(1_000));
    let series = result(&t)["series"].clone();
    let emitted: Vec<(Value, Value)> = series
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["tags"]["host"].clone(), s["values"][0][1].clone()))
        .collect();
    assert_eq!(emitted, [(json!("a"), json!(2)), (json!("b"), json!(1))]);
    assert_eq!(series[0]["name"], json!("stats"));
    assert_eq!(series[0]["columns"], json!(["time", "emitted"]));
}

#[test]
fn deadman_alerts_when_a_node_emits_no_more_than_its_threshold_per_interval() {
    let checked = check(
        "stream|from().measurement('cpu')|deadman(1.0, 1s).topic('alive')|httpOut('out')",
        TaskType::Stream,
        None,
    )
    .unwrap();
    let plan = condenser_planner::plan::lower(&checked.pipeline).unwrap();
    let (sender, events) = crossbeam_channel::unbounded();
    let env = super::TaskEnv {
        name: "cpu_alive".to_owned(),
        alerts: crate::alerts::AlertContext {
            sink: crate::alerts::AlertSink::waiting(sender),
            ..Default::default()
        },
        group_expiry: None,
    };
    let mut t = Task::build(&plan, &env).unwrap();
    // Kapacitor's nodes: the stats node, then a noop under from() (it had no children),
    // then the derivative and the alert.
    let names: Vec<&str> = checked
        .pipeline
        .nodes
        .iter()
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "stream",
            "from",
            "stats",
            "noop",
            "derivative",
            "alert",
            "httpOut"
        ]
    );
    t.tick(wall(0));
    t.tick(wall(1_000));
    write_at(&mut t, "cpu v=1 1\ncpu v=2 2\ncpu v=3 3", wall(1_500));
    t.tick(wall(2_000));
    assert!(events.try_recv().is_err(), "3 points a second is alive");
    t.tick(wall(3_000));
    let dead = events.try_recv().expect("no points in a second is dead");
    assert_eq!(dead.event.id, "nil:from1 for task 'cpu_alive'");
    assert_eq!(
        dead.event.message,
        "nil:from1 for task 'cpu_alive' is dead: 0.000 points/1s."
    );
    assert_eq!(dead.event.level, condenser_model::Level::Critical);
    assert_eq!(dead.topic, "alive");
    assert_eq!(
        result(&t)["series"][0]["values"][0][1],
        json!(0.0),
        "the alert passes the rate on"
    );
    write_at(&mut t, "cpu v=4 4\ncpu v=5 5", wall(3_500));
    t.tick(wall(4_000));
    let alive = events.try_recv().expect("a recovery");
    assert_eq!(
        alive.event.message,
        "nil:from1 for task 'cpu_alive' is alive: 2.000 points/1s."
    );
    assert_eq!(alive.event.level, condenser_model::Level::Ok);
}

#[test]
fn influxdb_out_writes_points_back_with_its_measurement_tags_and_precision() {
    let mut t = task(
        "stream|from().measurement('cpu')|eval(lambda: \"v\" * 2).as('d')|influxDBOut().database('db2').retentionPolicy('rp2').measurement('doubled').tag('k', 'x').precision('s')",
    );
    let parsed = parse(
        b"cpu,host=a v=2i 1500000000",
        ParseOptions::new(Precision::Millisecond, 0),
    )
    .unwrap();
    let table = parsed.tables.into_iter().next().unwrap();
    t.write(&WriteBatch::try_new("db".into(), "rp".into(), "cpu".into(), table.batch).unwrap());
    let writes = t.take_writes();
    assert_eq!(writes.len(), 1);
    let write = &writes[0].write;
    assert_eq!(
        (&*write.db, &*write.rp, &*write.measurement),
        ("db2", "rp2", "doubled")
    );
    let batch = &write.batch;
    assert_eq!(
        crate::points::times(batch).unwrap(),
        [1_500_000_000_000_000]
    );
    let tag = |name: &str| crate::message::tag_value(batch.column_by_name(name).unwrap(), 0);
    assert_eq!(tag("host").as_deref(), Some("a"));
    assert_eq!(tag("k").as_deref(), Some("x"));
    assert_eq!(
        batch.column_by_name("d").unwrap().data_type(),
        &arrow::datatypes::DataType::Int64,
        "an integer times an integer stays an integer"
    );
    assert!(t.take_writes().is_empty(), "taken");
}

#[test]
fn influxdb_out_without_a_database_is_refused_at_definition() {
    let message = refusal("stream|from()|influxDBOut()");
    assert!(
        message.contains("influxDBOut() without .database()"),
        "{message}"
    );
}

#[test]
fn a_task_with_a_from_of_a_measurement_and_a_from_of_all_takes_its_points_twice() {
    // Kapacitor's task master hands a cpu point to this task once for the cpu from() and
    // once for the from() of every measurement; both copies reach every from().
    let mut t = task(
        "var all = stream|from()\nvar cpu = stream|from().measurement('cpu')\n\
         all|window().period(10s).every(10s).align()|count('v')|httpOut('out')",
    );
    write(&mut t, "cpu v=1 1\ncpu v=2 2\nmem v=3 3\nmem v=4 11");
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:10Z", 5]])
    );
}

#[test]
fn operators_whose_operand_types_are_known_at_definition_are_checked_there() {
    // Kapacitor knows the type of a literal, of `!x` and of a comparison or logical
    // operator whatever their operands, and refuses an operator of two such operands whose
    // types it does not take, inside function arguments too.
    for (script, refused) in [
        (
            "stream|from()|eval(lambda: cos(100.0 / 3)).as('x')|httpOut('out')",
            "float / int",
        ),
        (
            "stream|from()|where(lambda: !\"b\" != 0.25)|httpOut('out')",
            "boolean != float",
        ),
        (
            "stream|from()|where(lambda: (\"a\" > \"b\") != 3)|httpOut('out')",
            "boolean != int",
        ),
    ] {
        let message = refusal(script);
        assert!(
            message.starts_with("mismatched type to binary operator") && message.contains(refused),
            "{script}: {message}"
        );
    }
    // An operand of the data is typed point by point: `!0` fails where it is evaluated.
    let mut t = task("stream|from()|where(lambda: !0 == \"f\" OR TRUE)|httpOut('out')");
    write(&mut t, "m f=1 1");
    assert_eq!(result(&t)["series"], Value::Null);
}

#[test]
fn and_or_type_both_sides_before_evaluating_either() {
    // The right side of `TRUE OR x` is not evaluated, but it is typed first: a point
    // without `b` fails; a comparison is a boolean whatever its operands.
    let mut t = task(
        "stream|from()|eval(lambda: TRUE OR \"b\", lambda: TRUE OR \"c\" > 1).as('x', 'y')|httpOut('out')",
    );
    write(&mut t, "m b=false 1");
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:01Z", true, true]])
    );
    write(&mut t, "m a=1 2");
    assert_eq!(
        result(&t)["series"][0]["values"],
        json!([["1970-01-01T00:00:01Z", true, true]]),
        "the point without b failed"
    );
}

#[test]
fn groups_follow_tag_values_whatever_the_order_of_rows_from_write_to_write() {
    let mut t = task(
        "stream|from().groupBy('host', 'dc')|window().period(10s).every(10s).align()|sum('v')|httpOut('out')",
    );
    // The same series in the same order, then reordered, then one row's dc changed and one
    // row lacking dc (its group has the empty dc).
    write_body(
        &mut t,
        "m,host=a,dc=x v=1 0\nm,host=b,dc=x v=2 0\nm,host=c,dc=y v=4 0",
    );
    write_body(
        &mut t,
        "m,host=a,dc=x v=1 1\nm,host=b,dc=x v=2 1\nm,host=c,dc=y v=4 1",
    );
    write_body(
        &mut t,
        "m,host=c,dc=y v=4 2\nm,host=a,dc=x v=1 2\nm,host=b,dc=x v=2 2",
    );
    write_body(
        &mut t,
        "m,host=c,dc=x v=8 3\nm,host=a,dc=x v=1 3\nm,host=b v=16 3",
    );
    write_body(
        &mut t,
        "m,host=a,dc=x v=0 10\nm,host=b,dc=x v=0 10\nm,host=c,dc=y v=0 10",
    );
    write_body(&mut t, "m,host=c,dc=x v=0 10\nm,host=b v=0 10");
    let mut sums: Vec<(String, String, f64)> = result(&t)["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["tags"]["host"].as_str().unwrap().to_owned(),
                s["tags"]["dc"].as_str().unwrap().to_owned(),
                s["values"][0][1].as_f64().unwrap(),
            )
        })
        .collect();
    sums.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let expected = [
        ("a", "x", 4.0),
        ("b", "", 16.0),
        ("b", "x", 6.0),
        ("c", "x", 8.0),
        ("c", "y", 12.0),
    ];
    let expected: Vec<(String, String, f64)> = expected
        .iter()
        .map(|&(h, d, v)| (h.to_owned(), d.to_owned(), v))
        .collect();
    assert_eq!(sums, expected);
}

#[test]
fn groups_idle_past_the_expiry_are_forgotten_by_every_node_below() {
    let checked = check(
        "stream|from().measurement('cpu').groupBy('host')|window().period(1h).every(1h)\
         |count('v')|httpOut('out')",
        TaskType::Stream,
        None,
    )
    .unwrap();
    let plan = condenser_planner::plan::lower(&checked.pipeline).unwrap();
    let env = super::TaskEnv {
        group_expiry: Some(std::time::Duration::from_secs(10)),
        ..super::TaskEnv::default()
    };
    let mut t = Task::build(&plan, &env).unwrap();
    assert!(t.ticks(), "a task with an expiry is ticked");
    let second = 1_000_000_000;
    write_at(&mut t, "cpu,host=a v=1 0\ncpu,host=b v=1 1", 0);
    write_at(&mut t, "cpu,host=b v=2 5", 8 * second);
    let window = |t: &Task| {
        t.statistics()
            .into_iter()
            .find(|n| n.name == "window2")
            .unwrap()
            .working_cardinality
    };
    assert_eq!(window(&t), 2);
    // At 12 s host a has been idle 12 s, past the expiry; host b only 4 s.
    t.tick(12 * second);
    assert_eq!((window(&t), t.expired_groups()), (1, 1));
    // A forgotten group that comes back starts afresh: its window counts from its return.
    write_at(&mut t, "cpu,host=a v=1 3600", 13 * second);
    write_at(
        &mut t,
        "cpu,host=a v=1 7200\ncpu,host=b v=1 7200",
        14 * second,
    );
    let counts: Vec<Value> = result(&t)["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| json!([s["tags"]["host"], s["values"][0][1]]))
        .collect();
    assert_eq!(counts, [json!(["a", 1]), json!(["b", 2])]);
    // Without an expiry nothing is forgotten.
    let mut kept = Task::build(&plan, &super::TaskEnv::default()).unwrap();
    write_at(&mut kept, "cpu,host=a v=1 0", 0);
    kept.tick(100 * second);
    assert_eq!((window(&kept), kept.expired_groups()), (1, 0));
}
