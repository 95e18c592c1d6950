//! The command line itself: help, effective configuration, errors.

use crate::daemon::{condenser, scratch_dir};

#[test]
fn serve_help_documents_its_flags() {
    let out = condenser().args(["serve", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--data-dir <DIR>",
        "--bind <ADDR>",
        "--config <FILE>",
        "127.0.0.1:9092",
        "./condenser-data",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
}

#[test]
fn config_prints_defaults_overridden_by_file_environment_and_flags() {
    let dir = scratch_dir("config");
    let file = dir.join("c.toml");
    std::fs::write(
        &file,
        "[http]\nmax_body_bytes = 1234\nwrite_timeout = \"2s\"\n",
    )
    .unwrap();
    let out = condenser()
        .args(["config", "--bind", "127.0.0.1:7000", "--config"])
        .arg(&file)
        .env("CONDENSER_DATA_DIR", "/var/lib/condenser")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("bind = \"127.0.0.1:7000\""), "{text}");
    assert!(text.contains("data_dir = \"/var/lib/condenser\""), "{text}");
    assert!(text.contains("max_body_bytes = 1234"), "{text}");
    assert!(text.contains("write_timeout = \"2s\""), "{text}");
    assert!(
        text.contains("default_retention_policy = \"autogen\""),
        "{text}"
    );
}

/// What `condenser serve` prints on stderr when started with `config` as its file; it
/// must fail.
fn serve_error(file: &std::path::Path, config: &str) -> String {
    std::fs::write(file, config).unwrap();
    let out = condenser()
        .args(["serve", "--config"])
        .arg(file)
        .output()
        .unwrap();
    assert!(!out.status.success(), "started with {config:?}");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn a_bad_configuration_is_a_clear_error() {
    let file = scratch_dir("bad-config").join("c.toml");
    let err = serve_error(&file, "[http]\nmax_body = 1\n");
    assert!(err.contains("max_body") && err.contains("c.toml"), "{err}");
    let err = serve_error(&file, "[http]\nwrite_timeout = \"soon\"\n");
    assert!(err.contains("write_timeout"), "{err}");
    // The handlers' sections, checked as Kapacitor checks them.
    let err = serve_error(&file, "[smtp]\nenabled = true\n");
    assert!(err.contains("smtp: must provide a 'from' address"), "{err}");
    let err = serve_error(
        &file,
        "[telegram]\nenabled = true\ntoken = \"T\"\nchatid = \"1\"\n",
    );
    assert!(err.contains("unknown field `chatid`"), "{err}");
}

#[test]
fn the_daemon_keeps_the_alert_outbox_in_its_data_directory_and_counts_handlers() {
    let daemon = crate::daemon::Daemon::start("outbox", "");
    assert!(daemon.data_dir.join("alerts.redb").is_file());
    let metrics = crate::daemon::client()
        .get(daemon.at("/metrics"))
        .send()
        .and_then(|r| r.text())
        .unwrap();
    for family in [
        "# TYPE condenser_handler_sent_total counter",
        "# TYPE condenser_handler_failed_total counter",
        "# TYPE condenser_handler_retried_total counter",
        "# TYPE condenser_handler_queued gauge",
        "# TYPE condenser_handler_dropped_total counter",
    ] {
        assert!(metrics.contains(family), "{family} in {metrics}");
    }
}

#[test]
fn bench_loads_an_embedded_daemon_and_reads_what_its_task_processed() {
    let out = condenser()
        .args([
            "bench",
            "--embedded",
            "--points",
            "20000",
            "--series",
            "100",
        ])
        .args(["--points-per-request", "1000", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["points_accepted"], 20000);
    // Read from the task's own statistics: its from() took every accepted point.
    assert_eq!(report["points_processed"], 20000);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["series"], 100);
    assert!(report["points_processed_per_second"].as_f64().unwrap() > 0.0);
    assert!(report["write_latency_ms"]["p99"].as_f64().unwrap() > 0.0);
    assert!(report["daemon_peak_rss_bytes"].as_u64().unwrap() > 0);
}
