//! Tests of evaluation: values reach the nodes, template vars resolve, and the pipeline has
//! the shape and edges Kapacitor gives it.

use super::*;
use crate::catalog::Edge;
use crate::tick::Position;

const TEMPLATE: &str = "// Which measurement.
var measurement string
var crit lambda
var fields list
var period duration
var threshold = 90.0

stream
    |from()
        .measurement(measurement)
    |window()
        .period(period)
        .every(period)
    |eval(lambda: \"a\", lambda: \"b\")
        .as('a', 'b')
        .keep(fields)
    |alert()
        .crit(crit)
        .warn(lambda: \"a\" > threshold)
";

const VARS: &str = r#"{
    "measurement": {"type": "string", "value": "cpu"},
    "crit": {"type": "lambda", "value": "\"a\" > 95"},
    "fields": {"type": "list", "value": [{"type": "string", "value": "a"}, {"type": "string", "value": "b"}]},
    "period": {"type": "duration", "value": "1m"},
    "threshold": {"type": "float", "value": 80.0}
}"#;

fn node<'a>(pipeline: &'a Pipeline, name: &str) -> &'a Node {
    pipeline.nodes.iter().find(|n| n.name == name).unwrap()
}

fn values(setting: Option<&Setting>) -> Vec<Value> {
    setting
        .unwrap()
        .args
        .iter()
        .map(|a| a.value.clone())
        .collect()
}

#[test]
fn template_vars_resolve_to_a_concrete_task() {
    let vars = Vars::from_json(VARS).unwrap();
    let checked = check(TEMPLATE, TaskType::Stream, Some(&vars)).unwrap();
    let pipeline = &checked.pipeline;
    let from = node(pipeline, "from");
    assert_eq!(
        values(from.setting("Measurement")),
        [Value::String("cpu".into())]
    );
    let window = node(pipeline, "window");
    assert_eq!(
        values(window.setting("Period")),
        [Value::Duration(60_000_000_000)]
    );
    // A list var as the only argument is spread.
    let eval = node(pipeline, "eval");
    assert_eq!(
        values(eval.setting("Keep")),
        [Value::String("a".into()), Value::String("b".into())]
    );
    // The lambda var and the overridden plain var are inlined into the lambdas.
    let alert = node(pipeline, "alert");
    let [Value::Lambda(crit)] = <[Value; 1]>::try_from(values(alert.setting("Crit"))).unwrap()
    else {
        panic!("crit is not a lambda");
    };
    assert_eq!(
        crate::tick::format(&program_of(&crit)),
        "var x = lambda: \"a\" > 95\n"
    );
    let [Value::Lambda(warn)] = <[Value; 1]>::try_from(values(alert.setting("Warn"))).unwrap()
    else {
        panic!("warn is not a lambda");
    };
    assert_eq!(
        crate::tick::format(&program_of(&warn)),
        "var x = lambda: \"a\" > 80.0\n"
    );
    assert_eq!(
        pipeline.template_vars["measurement"].description,
        "Which measurement."
    );
    assert_eq!(
        pipeline.template_vars["period"].value,
        Some(Value::Duration(60_000_000_000))
    );
}

/// A program `var x = lambda: <body>`, to print a lambda body.
fn program_of(body: &crate::tick::ast::Expr) -> crate::tick::Program {
    use crate::tick::ast::{Expr, ExprKind, Ident, Statement};
    crate::tick::Program {
        statements: vec![Statement::Var {
            name: Ident {
                name: "x".into(),
                span: Span::default(),
                comment: None,
            },
            value: Expr {
                kind: ExprKind::Lambda(Box::new(body.clone())),
                span: Span::default(),
                comment: None,
            },
            comment: None,
            span: Span::default(),
        }],
    }
}

#[test]
fn a_missing_var_is_an_error_naming_it() {
    let vars = Vars::from_json(r#"{"measurement": {"type": "string", "value": "cpu"}}"#).unwrap();
    let error = &check(TEMPLATE, TaskType::Stream, Some(&vars))
        .unwrap_err()
        .0[0];
    assert_eq!(error.position(TEMPLATE), Position { line: 3, column: 5 });
    assert_eq!(
        error.message,
        "missing value for var \"crit\": the script declares `var crit lambda` but the vars do not give it"
    );
}

#[test]
fn a_mistyped_var_is_an_error_naming_it() {
    let vars = VARS.replace(
        r#""period": {"type": "duration""#,
        r#""period": {"type": "int""#,
    );
    let vars = Vars::from_json(&vars).unwrap();
    let error = &check(TEMPLATE, TaskType::Stream, Some(&vars))
        .unwrap_err()
        .0[0];
    assert_eq!(error.position(TEMPLATE), Position { line: 5, column: 5 });
    assert_eq!(
        error.message,
        "invalid type supplied for var period: the vars give int, the script declares duration"
    );
    // A value that does not fit its declared type names the var too.
    let vars = VARS.replace(r#""value": "1m""#, r#""value": "soon""#);
    let vars = Vars::from_json(&vars).unwrap();
    let error = &check(TEMPLATE, TaskType::Stream, Some(&vars))
        .unwrap_err()
        .0[0];
    assert!(
        error
            .message
            .starts_with("invalid value for var \"period\" of type duration"),
        "{}",
        error.message
    );
    // An unknown type word is refused when the vars are read.
    let error = Vars::from_json(r#"{"x": {"type": "number", "value": 1}}"#).unwrap_err();
    assert!(
        error.contains("var \"x\" has unknown type \"number\""),
        "{error}"
    );
}

#[test]
fn without_vars_a_template_checks_with_zero_values() {
    let checked = check(TEMPLATE, TaskType::Stream, None).unwrap();
    let vars = &checked.pipeline.template_vars;
    // The four declared by type have no value; `threshold` has its default.
    assert_eq!(vars.len(), 5);
    assert_eq!(vars.values().filter(|v| v.value.is_none()).count(), 4);
    assert_eq!(
        vars["threshold"].to_json(),
        serde_json::json!({"type": "float", "value": 90.0, "description": ""})
    );
    assert_eq!(
        vars["measurement"].to_json(),
        serde_json::json!({"type": "string", "value": null, "description": "Which measurement."})
    );
}

#[test]
fn edges_follow_the_catalog() {
    let source = "var a = stream|from().measurement('a')
var b = stream|from().measurement('b')
a|join(b).as('a', 'b')|window().period(10s).every(10s)|count('a.value')|distinct('count')|httpOut('x')";
    let pipeline = check(source, TaskType::Stream, None).unwrap().pipeline;
    let join = node(&pipeline, "join");
    assert_eq!(join.parents.len(), 2);
    assert_eq!((join.wants, join.provides), (Edge::Stream, Edge::Stream));
    let window = node(&pipeline, "window");
    assert_eq!((window.wants, window.provides), (Edge::Stream, Edge::Batch));
    let count = node(&pipeline, "count");
    assert_eq!((count.wants, count.provides), (Edge::Batch, Edge::Stream));
    let distinct = node(&pipeline, "distinct");
    assert_eq!(
        (distinct.wants, distinct.provides),
        (Edge::Stream, Edge::Batch)
    );
    assert_eq!(pipeline.children(join.id).count(), 1);
}

#[test]
fn handlers_keep_their_own_settings_and_reach_the_alert() {
    let source = "stream|from()|alert().crit(lambda: TRUE).email('a@example.com').to('b@example.com').id('x').slack().channel('#ops')";
    let pipeline = check(source, TaskType::Stream, None).unwrap().pipeline;
    let alert = node(&pipeline, "alert");
    let handlers: Vec<&str> = alert.handlers.iter().map(|h| h.object.go_type).collect();
    assert_eq!(handlers, ["EmailHandler", "SlackHandler"]);
    assert_eq!(alert.handlers[0].settings[0].name, "To");
    assert_eq!(alert.handlers[1].settings[0].name, "Channel");
    // `.id()` after `.email()` is the alert's property.
    assert_eq!(values(alert.setting("Id")), [Value::String("x".into())]);
}

#[test]
fn constants_fold_by_kapacitors_rules() {
    let source = "var a = 5 * 60\nvar b = 10s * 3\nvar c = 1m / 10s\nstream|from()|window().period(b).every(b)|httpOut('x')";
    let pipeline = check(source, TaskType::Stream, None).unwrap().pipeline;
    assert_eq!(
        values(node(&pipeline, "window").setting("Period")),
        [Value::Duration(30_000_000_000)]
    );
    let error = &check("var x = 1 + 2.0\n", TaskType::Stream, None)
        .unwrap_err()
        .0[0];
    assert!(
        error
            .message
            .starts_with("mismatched type to binary operator: got int 1 + float 2"),
        "{}",
        error.message
    );
    assert_eq!(format_duration(90_000_000_000), "90s");
    assert_eq!(format_duration(7_200_000_000_000), "2h");
}

#[test]
fn deadman_expands_as_kapacitors_and_a_global_one_watches_the_source() {
    let names = |pipeline: &Pipeline| -> Vec<String> {
        pipeline
            .nodes
            .iter()
            .map(|n| format!("{}{}", n.name, n.id.0))
            .collect()
    };
    let checked = check(
        "var data = stream|from()\ndata|deadman(5.0, 1m, lambda: hour(\"time\") > 8)\ndata|httpOut('out')",
        TaskType::Stream,
        None,
    )
    .unwrap();
    assert_eq!(
        names(&checked.pipeline),
        [
            "stream0",
            "from1",
            "stats2",
            "noop3",
            "derivative4",
            "alert5",
            "httpOut6"
        ]
    );
    let alert = &checked.pipeline.nodes[5];
    let strings = |name: &str| values(alert.setting(name));
    assert_eq!(
        strings("Id"),
        [Value::String(
            "{{ .Group }}:from1 for task '{{ .TaskName }}'".into()
        )]
    );
    let Value::String(message) = &strings("Message")[0] else {
        panic!("a message");
    };
    assert!(message.ends_with("points/1m0s."), "{message}");
    let Value::Lambda(crit) = &strings("Crit")[0] else {
        panic!("a lambda");
    };
    assert_eq!(
        crate::tick::format_expression(crit),
        "\"emitted\" <= 5.0 AND hour(\"time\") > 8"
    );

    let global = DeadmanConfig {
        global: true,
        id: "node 'NODE_NAME' in task '{{ .TaskName }}'".into(),
        ..DeadmanConfig::default()
    };
    let checked = check_with(
        "stream|from()|httpOut('out')",
        TaskType::Stream,
        None,
        &global,
    )
    .unwrap();
    assert_eq!(
        names(&checked.pipeline),
        [
            "stream0",
            "from1",
            "httpOut2",
            "stats3",
            "derivative4",
            "alert5"
        ]
    );
    assert_eq!(
        values(checked.pipeline.nodes[5].setting("Id")),
        [Value::String(
            "node 'stream0' in task '{{ .TaskName }}'".into()
        )]
    );
}
