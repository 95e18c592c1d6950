use super::*;

fn error_of(text: &str) -> String {
    parse(text).expect_err(text).to_string()
}

#[test]
fn the_corpus_queries_parse() {
    let query = parse(
        r#"SELECT mean("value") FROM "telegraf"."default".cpu_usage_idle
           WHERE "host" = 'serverA' AND "cpu" != 'cpu-total'"#,
    )
    .unwrap();
    assert!(query.aggregates());
    let source = &query.select.sources[0];
    assert_eq!(source.database.as_deref(), Some("telegraf"));
    assert_eq!(source.retention_policy.as_deref(), Some("default"));
    assert_eq!(source.name, MeasurementName::Name("cpu_usage_idle".into()));
    let condition = query.select.condition.unwrap();
    assert_eq!(
        condition.to_string(),
        "host = 'serverA' AND cpu != 'cpu-total'"
    );

    let query = parse(
        r#"SELECT mean("value") FROM "telegraf"."default"./cpu_.*/ WHERE "host" = 'serverA'"#,
    )
    .unwrap();
    assert_eq!(
        query.select.sources[0].name,
        MeasurementName::Regex("cpu_.*".into())
    );

    let query =
        parse(r#"SELECT sum("value") as "value" FROM "telegraf"."default".packets"#).unwrap();
    assert_eq!(query.select.fields[0].alias.as_deref(), Some("value"));
    assert!(!parse("SELECT value FROM cpu").unwrap().aggregates());
}

#[test]
fn group_by_fill_and_measurement_forms() {
    let query = parse(
        "SELECT top(v, 3) FROM db..m WHERE time > now() - 1h AND v =~ /^a/ \
         GROUP BY time(10s, -2s), host, /^d/, * fill(-1.5)",
    )
    .unwrap();
    let select = &query.select;
    assert_eq!(select.sources[0].database.as_deref(), Some("db"));
    assert_eq!(select.sources[0].retention_policy, None);
    assert_eq!(
        select.dimensions,
        vec![
            Dimension::Time {
                interval: 10_000_000_000,
                offset: -2_000_000_000
            },
            Dimension::Tag("host".into()),
            Dimension::Regex("^d".into()),
            Dimension::Star,
        ]
    );
    assert_eq!(select.fill, Fill::Number(-1.5));
    assert_eq!(
        query.time_dimension(),
        Some((10_000_000_000, -2_000_000_000))
    );
    assert_eq!(
        parse("SELECT a FROM rp.m").unwrap().select.sources[0]
            .retention_policy
            .as_deref(),
        Some("rp")
    );
    assert_eq!(
        parse("SELECT count(*) FROM m fill(none)")
            .unwrap()
            .select
            .fill,
        Fill::None
    );
}

#[test]
fn what_the_subset_does_not_run_is_named() {
    for (text, expected) in [
        (
            "SELECT derivative(v) FROM m",
            "function derivative() is not supported",
        ),
        (
            "SELECT v FROM (SELECT v FROM m)",
            "a subquery is not supported",
        ),
        ("SELECT v FROM m LIMIT 10", "LIMIT is not supported"),
        (
            "SELECT v FROM m ORDER BY time DESC",
            "ORDER BY is not supported",
        ),
        ("SELECT v INTO x FROM m", "SELECT … INTO is not supported"),
        (
            "SELECT v FROM m TZ('Europe/Paris')",
            "TZ() is not supported",
        ),
        (
            "SELECT count(distinct(v)) FROM m",
            "a function of a function",
        ),
        (
            "SELECT mean(v) FROM m WHERE abs(v) > 1",
            "function abs() in WHERE",
        ),
    ] {
        let error = error_of(text);
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn influxdb_s_rules_are_kept() {
    for (text, expected) in [
        (
            "SELECT mean(v), v FROM m",
            "mixing aggregate and non-aggregate",
        ),
        (
            "SELECT v FROM m GROUP BY time(10s)",
            "GROUP BY requires at least one aggregate",
        ),
        ("SELECT percentile(v) FROM m", "expected 2, got 1"),
        ("SELECT top(v, 0) FROM m", "must be at least 1"),
        ("SELECT mean(1) FROM m", "expected field argument in mean()"),
        ("SHOW DATABASES", "not a select statement"),
        (
            "SELECT v FROM m; SELECT w FROM m",
            "single select statement, got 2 statements",
        ),
        (
            "SELECT v FROM m GROUP BY time(1s), time(2s)",
            "multiple time dimensions",
        ),
    ] {
        let error = error_of(text);
        assert!(error.contains(expected), "{text}: {error}");
    }
}

#[test]
fn syntax_errors_say_what_was_found_and_where() {
    assert_eq!(
        error_of("SELECT FROM m"),
        "found FROM, expected a field, a tag, a function or a value at char 8"
    );
    assert_eq!(
        error_of("SELECT v FROM m WHERE host = 'a"),
        "unterminated quoted string at char 30"
    );
    assert!(error_of("SELECT v FROM m WHERE host =~ /(/").contains("bad regex"));
    assert_eq!(
        error_of("SELECT v m"),
        "found identifier \"m\", expected FROM at char 10"
    );
}

#[test]
fn where_splits_into_time_bounds_and_a_lambda() {
    let query = parse(
        "SELECT mean(v) FROM db.rp.m WHERE host =~ /^a/ AND time > now() - 1h \
         AND v >= 2 AND '2015-01-01T00:00:00Z' <= time",
    )
    .unwrap();
    assert_eq!(
        query.time_bounds,
        vec![
            TimeBound {
                op: BinaryOp::Gt,
                value: TimeValue::Now(-3_600_000_000_000)
            },
            TimeBound {
                op: BinaryOp::GtEq,
                value: TimeValue::Absolute(1_420_070_400_000_000_000)
            },
        ]
    );
    assert_eq!(
        query.condition.unwrap().text,
        "((\"host\" =~ /^a/) AND (\"v\" >= 2))"
    );
    assert!(error_of("SELECT v FROM m WHERE time > 1 OR v > 2").contains("time condition"));
    assert!(error_of("SELECT top(v, 2), mean(v) FROM m").contains("cannot be combined"));
    assert!(error_of("SELECT mean(v) * 2 FROM m").contains("expression over functions"));
}

#[test]
fn expressions_print_back_as_they_parse() {
    for text in [
        "host = 'a' AND (v > 1 OR v < -1)",
        "a - (b - c) * 2",
        "time > now() - 1h AND host =~ /^a\\/b/",
    ] {
        let query = parse(&format!("SELECT v FROM m WHERE {text}")).unwrap();
        assert_eq!(query.select.condition.unwrap().to_string(), text);
    }
}
