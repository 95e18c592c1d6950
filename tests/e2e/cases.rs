//! The engine's golden cases: `tests/cases/<node>/<case>/` holds a `case.tick`, a recording
//! (`data.srpl`; a batch case, `"kind": "batch"` in its `case.json`, `data.0.brpl`, … one a
//! query), the replay's duration in `case.json`, and in `expected.json` the httpOut JSON
//! that real Kapacitor gave for them (written by `tools/golden_cases.py`, never by hand).
//! A case whose script logs alerts to `ALERTS_LOG` (replaced by a fresh absolute path) also
//! holds in `expected_alerts.jsonl` the events Kapacitor's `.log()` handler wrote.
//! Each case runs through `condenser test` and must give the same series and events: numbers
//! compare as numbers (Go writes the float 5.0 as `5`), series in any order (Kapacitor's come
//! in Go map order), the random ServerInfo ids of an event as `UUID`.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::daemon::{condenser, scratch_dir};

/// The placeholder of a case's `.log()` path.
const ALERTS_LOG: &str = "ALERTS_LOG";

/// The folder of the golden cases.
fn cases_dir() -> PathBuf {
    Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"))
        .join("../tests/cases")
}

/// Every case folder (one holding a `case.tick`), sorted.
fn cases() -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![cases_dir()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else if path.file_name().is_some_and(|n| n == "case.tick") {
                found.push(dir.clone());
            }
        }
    }
    found.sort();
    found
}

/// A case's recordings: `data.srpl` for a stream case; `data.0.brpl`, `data.1.brpl`, … (one
/// a query, in Kapacitor's order) for a batch case.
fn recordings(case: &Path, kind: &str) -> Vec<PathBuf> {
    if kind != "batch" {
        return vec![case.join("data.srpl")];
    }
    (0..)
        .map(|i| case.join(format!("data.{i}.brpl")))
        .take_while(|path| path.exists())
        .collect()
}

/// Whether two httpOut results say the same: numbers within a relative 1e-9, series
/// matched by name and tags.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            let (x, y) = (
                x.as_f64().unwrap_or(f64::NAN),
                y.as_f64().unwrap_or(f64::NAN),
            );
            x == y || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

/// The events of an alert log, parsed, with the random ServerInfo ids as `UUID`.
fn alert_events(log: &str) -> Vec<Value> {
    let uuid =
        regex::Regex::new("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
    log.lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| serde_json::from_str(&uuid.replace_all(line, "UUID")).unwrap())
        .collect()
}

/// The series of a result, in a fixed order; `null` and `[]` are both no series.
fn series(result: &Value) -> Vec<Value> {
    let mut series = result["series"].as_array().cloned().unwrap_or_default();
    series.sort_by_key(|s| format!("{}{}", s["name"], s["tags"]));
    series
}

#[test]
fn every_golden_case_gives_what_kapacitor_gave() {
    let cases = cases();
    assert!(
        !cases.is_empty(),
        "no golden cases under {}",
        cases_dir().display()
    );
    let mut failures = Vec::new();
    for case in &cases {
        let meta: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("case.json")).unwrap())
                .unwrap();
        let expected: Value =
            serde_json::from_str(&std::fs::read_to_string(case.join("expected.json")).unwrap())
                .unwrap();
        let name = case
            .strip_prefix(cases_dir())
            .unwrap_or(case)
            .display()
            .to_string();
        let script = std::fs::read_to_string(case.join("case.tick")).unwrap();
        let scratch = scratch_dir(&format!("case-{}", name.replace('/', "-")));
        let log = scratch.join("alerts.log");
        let tick = scratch.join("case.tick");
        std::fs::write(
            &tick,
            script.replace(ALERTS_LOG, &log.display().to_string()),
        )
        .unwrap();
        let kind = meta["kind"].as_str().unwrap_or("stream");
        let mut test = condenser();
        test.arg("test").arg(&tick);
        for recording in recordings(case, kind) {
            test.arg("--data").arg(recording);
        }
        let out = test
            .args(["--type", kind, "--http-out", "out", "--duration"])
            .arg(meta["duration"].as_str().unwrap_or("0s"))
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!(
                "{name}: condenser test failed: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
            continue;
        }
        let got: Value = match serde_json::from_slice(&out.stdout) {
            Ok(got) => got,
            Err(error) => {
                failures.push(format!("{name}: not JSON ({error})"));
                continue;
            }
        };
        if !same(
            &Value::Array(series(&expected)),
            &Value::Array(series(&got)),
        ) {
            failures.push(format!(
                "{name}:\n  kapacitor {expected}\n  condenser {got}"
            ));
        }
        if script.contains(ALERTS_LOG) {
            let expected =
                alert_events(&std::fs::read_to_string(case.join("expected_alerts.jsonl")).unwrap());
            let got = alert_events(&std::fs::read_to_string(&log).unwrap_or_default());
            if !same(&Value::Array(expected.clone()), &Value::Array(got.clone())) {
                failures.push(format!(
                    "{name}: alert logs differ:\n  kapacitor {expected:?}\n  condenser {got:?}"
                ));
            }
        }
        let _ = std::fs::remove_dir_all(&scratch);
    }
    assert!(
        failures.is_empty(),
        "{} of {} golden cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn there_is_a_golden_case_for_every_node_kind_the_engine_runs() {
    let kinds: Vec<String> = std::fs::read_dir(cases_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    // One folder per node kind, named as the node's file in planner/src/nodes/.
    let nodes_dir = Path::new(
        &std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"),
    )
    .join("../planner/src/nodes");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(nodes_dir).unwrap() {
        let file = entry.unwrap().file_name().to_string_lossy().into_owned();
        let Some(kind) = file.strip_suffix(".rs").filter(|k| *k != "mod") else {
            continue;
        };
        let kind = kind.trim_end_matches('_');
        // httpPost POSTs to a server the recording cannot hold; it has its own e2e test.
        // Kapacitor's replay has no InfluxDB to write to, so it refuses influxDBOut at task
        // start: its write-back is tested in the engine (engine/src/task/tests.rs, engine.rs).
        let exempt = ["http_post", "influxdb_out"];
        if !exempt.contains(&kind) && !kinds.iter().any(|k| k == kind) {
            missing.push(kind.to_owned());
        }
    }
    missing.sort();
    assert!(missing.is_empty(), "no golden case for {missing:?}");
}
