//! The script verbs: `condenser check` and `condenser fmt`, as a user runs them.

use std::process::Output;

use crate::daemon::{condenser, scratch_dir};

fn run(args: &[&str]) -> (Output, String, String) {
    let out = condenser().args(args).output().unwrap();
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let stderr = String::from_utf8(out.stderr.clone()).unwrap();
    (out, stdout, stderr)
}

#[test]
fn check_accepts_a_valid_script_and_infers_its_type() {
    let dir = scratch_dir("check-ok");
    let file = dir.join("cpu.tick");
    std::fs::write(
        &file,
        "dbrp \"telegraf\".\"autogen\"\n\nbatch\n    |query('SELECT mean(usage) FROM cpu')\n        .period(1m)\n        .every(1m)\n    |alert()\n        .crit(lambda: \"mean\" > 90)\n",
    )
    .unwrap();
    let (out, stdout, stderr) = run(&["check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.contains("ok (batch task, 3 nodes)"), "{stdout}");
    assert_eq!(stderr, "");
}

#[test]
fn check_rejects_a_mistake_with_line_column_and_caret() {
    let dir = scratch_dir("check-bad");
    let file = dir.join("cpu.tick");
    std::fs::write(
        &file,
        "stream\n    |from()\n        .measurement('cpu')\n    |window()\n        .peroid(10s)\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();
    let (out, stdout, stderr) = run(&["check", path]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        format!(
            "error: {path}:5:10: window() has no property \"peroid\"; did you mean \"period\"?\n 5 |         .peroid(10s)\n   |          ^\n"
        )
    );
    // The same script as a batch task fails where the stream is named.
    let (out, _, stderr) = run(&["check", "--type", "batch", path]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.starts_with(&format!("error: {path}:1:1: name \"stream\" is undefined")),
        "{stderr}"
    );
}

#[test]
fn check_resolves_template_vars_from_a_file() {
    let dir = scratch_dir("check-vars");
    let script = dir.join("t.tick");
    std::fs::write(
        &script,
        "var crit lambda\nvar measurement string\n\nstream\n    |from()\n        .measurement(measurement)\n    |alert()\n        .crit(crit)\n",
    )
    .unwrap();
    let vars = dir.join("vars.json");
    std::fs::write(
        &vars,
        r#"{"crit": {"type": "lambda", "value": "\"usage\" > 90"}, "measurement": {"type": "string", "value": "cpu"}}"#,
    )
    .unwrap();
    let (out, _, stderr) = run(&[
        "check",
        script.to_str().unwrap(),
        "--vars",
        vars.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{stderr}");
    std::fs::write(
        &vars,
        r#"{"crit": {"type": "lambda", "value": "\"usage\" > 90"}}"#,
    )
    .unwrap();
    let (out, _, stderr) = run(&[
        "check",
        script.to_str().unwrap(),
        "--vars",
        vars.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(":2:5: missing value for var \"measurement\""),
        "{stderr}"
    );
}

#[test]
fn check_warns_about_what_cannot_work_but_accepts_it() {
    let dir = scratch_dir("check-warn");
    let file = dir.join("w.tick");
    std::fs::write(
        &file,
        "stream\n    |from()\n    |where(lambda: sigmaa(\"x\") > 3.0)\n",
    )
    .unwrap();
    let (out, _, stderr) = run(&["check", file.to_str().unwrap()]);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(":3:20: unknown function \"sigmaa\""),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean \"sigma\"?"), "{stderr}");
}

#[test]
fn fmt_prints_canonical_tickscript_and_rewrites_in_place() {
    let dir = scratch_dir("fmt");
    let file = dir.join("f.tick");
    let messy =
        "var period=10s\nstream|from().measurement('cpu')|window().period(period).every(period)\n";
    let canonical = "var period = 10s\n\nstream\n    |from()\n        .measurement('cpu')\n    |window()\n        .period(period)\n        .every(period)\n";
    std::fs::write(&file, messy).unwrap();
    let (out, stdout, _) = run(&["fmt", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(stdout, canonical);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), messy);
    let (out, stdout, _) = run(&["fmt", "--write", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert_eq!(stdout, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), canonical);
    // A script that does not parse is not rewritten.
    std::fs::write(&file, "stream|from(\n").unwrap();
    let (out, _, stderr) = run(&["fmt", "--write", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("unexpected end of script"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "stream|from(\n");
}

#[test]
fn test_replays_a_recording_and_prints_the_http_out_json() {
    let dir = scratch_dir("replay");
    let script = dir.join("cpu.tick");
    std::fs::write(
        &script,
        "stream\n    |from()\n        .measurement('cpu')\n        .groupBy('host')\n    |window()\n        .period(10s)\n        .every(10s)\n    |sum('n')\n    |httpOut('out')\n",
    )
    .unwrap();
    let recording = dir.join("cpu.srpl");
    let mut text = String::new();
    for (t, n) in [(100, 1), (105, 2), (110, 4), (111, 8)] {
        text.push_str(&format!("db\nrp\ncpu,host=a n={n}i {t}\n"));
    }
    std::fs::write(&recording, text).unwrap();
    let (out, stdout, stderr) = run(&[
        "test",
        script.to_str().unwrap(),
        "--data",
        recording.to_str().unwrap(),
        "--type",
        "stream",
        "--duration",
        "20s",
    ]);
    assert!(out.status.success(), "{stderr}");
    // The first point is shifted to 1971-01-01T00:00:00Z; the window [0s, 10s) closes when
    // the point at 10s arrives; the sum of integers is an integer.
    assert_eq!(
        stdout.trim(),
        r#"{"series":[{"columns":["time","sum"],"name":"cpu","tags":{"host":"a"},"values":[["1971-01-01T00:00:10Z",3]]}]}"#
    );
    // A node the engine does not run yet is refused by name, with its place.
    std::fs::write(
        &script,
        "stream\n    |from()\n    |sideload()\n        .source('file:///tmp')\n    |httpOut('out')\n",
    )
    .unwrap();
    let (out, _, stderr) = run(&[
        "test",
        script.to_str().unwrap(),
        "--data",
        recording.to_str().unwrap(),
        "--type",
        "stream",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(":3:6: the sideload() node is not supported by Condenser yet"),
        "{stderr}"
    );
}

#[test]
fn test_logs_what_a_log_node_sees() {
    let dir = scratch_dir("replay-log");
    let script = dir.join("log.tick");
    std::fs::write(
        &script,
        "stream\n    |from()\n    |log()\n        .prefix('seen')\n        .level('warn')\n    |httpOut('out')\n",
    )
    .unwrap();
    let recording = dir.join("log.srpl");
    std::fs::write(&recording, "db\nrp\ncpu,host=a n=1i 100\n").unwrap();
    let (out, _, stderr) = run(&[
        "test",
        script.to_str().unwrap(),
        "--data",
        recording.to_str().unwrap(),
        "--type",
        "stream",
    ]);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains("prefix=\"seen\""), "{stderr}");
    assert!(
        stderr.contains(r#"row={"columns":["time","n"],"name":"cpu","tags":{"host":"a"}"#),
        "{stderr}"
    );
}

#[test]
fn test_logs_points_an_expression_fails_on_unless_quiet() {
    let dir = scratch_dir("replay-fail");
    let recording = dir.join("fail.srpl");
    std::fs::write(&recording, "db\nrp\ncpu n=1i 100\n").unwrap();
    let script = dir.join("fail.tick");
    for (quiet, logged) in [("", true), ("\n        .quiet()", false)] {
        std::fs::write(
            &script,
            format!("stream\n    |from()\n    |eval(lambda: \"missing\" * 2.0)\n        .as('x'){quiet}\n    |httpOut('out')\n"),
        )
        .unwrap();
        let (out, stdout, stderr) = run(&[
            "test",
            script.to_str().unwrap(),
            "--data",
            recording.to_str().unwrap(),
            "--type",
            "stream",
        ]);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(stdout.trim(), r#"{"series":null}"#);
        assert_eq!(
            stderr.contains("points dropped") && stderr.contains("an expression failed"),
            logged,
            "{stderr}"
        );
    }
}

#[test]
fn test_sends_alerts_through_the_services_its_config_file_sets() {
    let dir = scratch_dir("replay-services");
    let receiver = crate::receiver::HttpReceiver::start();
    let config = dir.join("condenser.toml");
    std::fs::write(
        &config,
        format!(
            "[slack]\nenabled = true\nurl = \"http://{0}/hook\"\n\n\
             [telegram]\nenabled = true\nurl = \"http://{0}/bot\"\ntoken = \"T\"\nchat-id = \"7\"\nglobal = true\n",
            receiver.address
        ),
    )
    .unwrap();
    let script = dir.join("alert.tick");
    std::fs::write(
        &script,
        "stream\n    |from()\n        .measurement('cpu')\n    |alert()\n        .crit(lambda: \"n\" > 1)\n        .message('{{ .ID }} is {{ .Level }}')\n        .slack()\n            .channel('#ops')\n    |httpOut('out')\n",
    )
    .unwrap();
    let recording = dir.join("alert.srpl");
    std::fs::write(&recording, "db\nrp\ncpu n=2i 100\n").unwrap();
    let (out, _, stderr) = run(&[
        "test",
        script.to_str().unwrap(),
        "--data",
        recording.to_str().unwrap(),
        "--type",
        "stream",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{stderr}");
    // The script's .slack() and the global [telegram], in either order.
    let mut requests = [receiver.next(), receiver.next()];
    requests.sort_by(|a, b| a.path.cmp(&b.path));
    let [telegram, slack] = requests;
    assert_eq!(telegram.path, "/botT/sendMessage");
    assert_eq!(telegram.json()["text"], "cpu:nil is CRITICAL");
    assert_eq!(telegram.json()["chat_id"], "7");
    assert_eq!(slack.path, "/hook");
    assert_eq!(slack.json()["channel"], "#ops");
    assert_eq!(slack.json()["username"], "kapacitor");
    assert_eq!(
        slack.json()["attachments"][0]["text"],
        "cpu:nil is CRITICAL"
    );

    // A bad section is refused before anything runs, naming the key.
    std::fs::write(
        &config,
        "[slack]\nenabled = true\nurl = \"x\"\nchanel = \"#a\"\n",
    )
    .unwrap();
    let (out, _, stderr) = run(&[
        "test",
        script.to_str().unwrap(),
        "--data",
        recording.to_str().unwrap(),
        "--type",
        "stream",
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("chanel"), "{stderr}");
}

#[test]
fn test_takes_the_deadman_section_of_its_config_file() {
    let dir = scratch_dir("replay-deadman");
    let config = dir.join("condenser.toml");
    std::fs::write(&config, "[deadman]\nglobal = true\ninterval = \"1m\"\n").unwrap();
    let script = dir.join("plain.tick");
    std::fs::write(&script, "stream\n    |from()\n    |httpOut('out')\n").unwrap();
    let recording = dir.join("plain.srpl");
    std::fs::write(&recording, "db\nrp\ncpu n=2i 100\n").unwrap();
    let dot = dir.join("plain.dot");
    let args = |config: &std::path::Path| {
        vec![
            "test".to_owned(),
            script.display().to_string(),
            "--data".to_owned(),
            recording.display().to_string(),
            "--type".to_owned(),
            "stream".to_owned(),
            "--config".to_owned(),
            config.display().to_string(),
            "--dot".to_owned(),
            dot.display().to_string(),
        ]
    };
    let arguments = args(&config);
    let (out, _, stderr) = run(&arguments.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(out.status.success(), "{stderr}");
    // The global deadman watches the stream node: Kapacitor's stats, derivative and alert.
    let graph = std::fs::read_to_string(&dot).unwrap();
    for node in ["stats3", "derivative4", "alert5"] {
        assert!(graph.contains(node), "{node} in {graph}");
    }
    std::fs::write(&config, "[deadman]\ninterval = \"soon\"\n").unwrap();
    let (out, _, stderr) = run(&arguments.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("deadman.interval"), "{stderr}");
}
