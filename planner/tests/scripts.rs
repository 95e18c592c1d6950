//! File-driven tests of the TICKscript front end.
//!
//! - `scripts/corpus/NAME.KIND.tick`: every script of Kapacitor's conformance corpus. Each
//!   must pass the check as a task of KIND, and formatting must round-trip it.
//! - `scripts/errors/NAME.KIND.tick` with `NAME.KIND.err`: a script that must fail, and the
//!   diagnostics it must print (message, line:column, source line and caret).
//! - `scripts/warnings/NAME.KIND.tick` with `NAME.KIND.warn`: a script Kapacitor accepts
//!   but that cannot work, and the warnings it must print.
//! - `scripts/format/NAME.tick` with `NAME.fmt`: a script and its canonical form.
//! - `scripts/plans/NAME.KIND.tick` with `NAME.KIND.plan`: a script and the logical plan
//!   `condenser explain` prints for it. Every corpus script must lower to a plan too.
//!
//! Expected files are refreshed with `CONDENSER_BLESS=1 cargo test -p condenser-planner
//! --test scripts`, then reviewed; they are never edited by hand to make a test pass.

use std::path::{Path, PathBuf};

use condenser_planner::plan::{explain, lower};
use condenser_planner::tick::{format, parse};
use condenser_planner::{TaskType, check};

fn dir(name: &str) -> PathBuf {
    Path::new(&std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo test sets CARGO_MANIFEST_DIR"))
        .join("tests/scripts")
        .join(name)
}

/// The `.tick` files of a folder, sorted.
fn scripts(folder: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir(folder))
        .expect("the scripts folder exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "tick"))
        .collect();
    files.sort();
    files
}

/// The task type named in a file name `NAME.stream.tick` / `NAME.batch.tick`.
fn task_type(path: &Path) -> TaskType {
    let stem = path.file_stem().unwrap().to_string_lossy();
    if stem.ends_with(".batch") {
        TaskType::Batch
    } else {
        assert!(
            stem.ends_with(".stream"),
            "{} names no task type",
            path.display()
        );
        TaskType::Stream
    }
}

fn bless() -> bool {
    std::env::var_os("CONDENSER_BLESS").is_some()
}

/// Compares `actual` with the expected file, or writes it when blessing.
fn expect_file(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if bless() {
        std::fs::write(path, actual).expect("write expected file");
        return;
    }
    let expected = std::fs::read_to_string(path).unwrap_or_default();
    if expected != actual {
        failures.push(format!(
            "{}:\n--- expected\n{expected}\n--- actual\n{actual}",
            path.display()
        ));
    }
}

/// Renders every script of `folder` with `render(path, source, file name)` and compares the
/// result with the script's expected file (its path with `extension`).
fn expect_renderings(folder: &str, extension: &str, render: impl Fn(&Path, &str, &str) -> String) {
    let files = scripts(folder);
    assert!(!files.is_empty());
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let rendered = render(path, &source, &name);
        expect_file(&path.with_extension(extension), &rendered, &mut failures);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_corpus_script_checks() {
    let files = scripts("corpus");
    assert_eq!(files.len(), 198, "the corpus has 198 scripts");
    let mut failures = Vec::new();
    for path in &files {
        let source = std::fs::read_to_string(path).unwrap();
        if let Err(diagnostics) = check(&source, task_type(path), None) {
            failures.push(diagnostics.render(&source, &path.display().to_string()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} corpus scripts fail the check:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n")
    );
}

#[test]
fn formatting_round_trips_the_corpus() {
    let mut failures = Vec::new();
    for path in scripts("corpus") {
        let source = std::fs::read_to_string(&path).unwrap();
        let program = parse(&source).unwrap();
        let formatted = format(&program);
        let reparsed = match parse(&formatted) {
            Ok(p) => p,
            Err(e) => {
                failures.push(format!(
                    "{}: formatted output does not parse: {}\n{formatted}",
                    path.display(),
                    e.render(&formatted, "formatted")
                ));
                continue;
            }
        };
        if reparsed != program {
            failures.push(format!(
                "{}: parse(fmt(x)) != parse(x)\n{formatted}",
                path.display()
            ));
        }
        if format(&reparsed) != formatted {
            failures.push(format!("{}: formatting is not idempotent", path.display()));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_scripts_report_what_and_where() {
    expect_renderings("errors", "err", |path, source, name| {
        match check(source, task_type(path), None) {
            Ok(_) => format!("{name}: unexpectedly valid\n"),
            Err(diagnostics) => diagnostics.render(source, name),
        }
    });
}

#[test]
fn scripts_that_cannot_work_are_accepted_with_warnings() {
    expect_renderings("warnings", "warn", |path, source, name| {
        let rendered = match check(source, task_type(path), None) {
            Ok(checked) => condenser_planner::Diagnostics(checked.warnings).render(source, name),
            Err(diagnostics) => format!(
                "unexpectedly invalid:\n{}",
                diagnostics.render(source, name)
            ),
        };
        assert!(!rendered.is_empty(), "{name} gives no warning");
        rendered
    });
}

#[test]
fn scripts_format_to_their_canonical_form() {
    expect_renderings("format", "fmt", |path, source, _| {
        let formatted = format(&parse(source).unwrap());
        assert_eq!(
            format(&parse(&formatted).unwrap()),
            formatted,
            "{}",
            path.display()
        );
        formatted
    });
}

/// The node kinds whose specs are later milestones: a script that uses one is refused,
/// naming it, when it is lowered.
const NOT_YET: &[&str] = &[
    "the alert() node",
    "the query() node",
    "the queryFlux() node",
    "the sideload() node",
    "the kapacitorLoopback() node",
    "the ec2Autoscale() node",
    "the k8sAutoscale() node",
    "the swarmAutoscale() node",
];

#[test]
fn every_corpus_script_lowers_to_a_plan_or_names_a_node_not_run_yet() {
    let mut failures = Vec::new();
    let mut lowered = 0;
    for path in scripts("corpus") {
        let source = std::fs::read_to_string(&path).unwrap();
        let checked = check(&source, task_type(&path), None).expect("corpus scripts check");
        match lower(&checked.pipeline) {
            Ok(_) => lowered += 1,
            Err(diagnostics) => {
                if !diagnostics.0.iter().all(|d| {
                    NOT_YET.iter().any(|kind| {
                        d.message == format!("{kind} is not supported by Condenser yet")
                    })
                }) {
                    failures.push(diagnostics.render(&source, &path.display().to_string()));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(lowered > 100, "only {lowered} corpus scripts lower");
}

#[test]
fn scripts_explain_to_their_plans() {
    expect_renderings("plans", "plan", |path, source, name| {
        match check(source, task_type(path), None) {
            Ok(checked) => match lower(&checked.pipeline) {
                Ok(plan) => explain(&plan),
                Err(diagnostics) => diagnostics.render(source, name),
            },
            Err(diagnostics) => diagnostics.render(source, name),
        }
    });
}
