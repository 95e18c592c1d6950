//! Tasks in the daemon: defined over Kapacitor's HTTP API, run on live writes, their alerts
//! in the `.log()` file and their httpOut results served; after a `kill -9` and a restart
//! the task runs again and its alert state is remembered.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::daemon::{Daemon, client, condenser, scratch_dir};

/// Runs the `condenser` client verb `args` against `daemon` (Kapacitor's single-dash flags,
/// as users type them); its exit code, standard output and standard error.
fn verb(daemon: &Daemon, args: &[&str]) -> (i32, String, String) {
    let out = condenser()
        .args(["-url", &daemon.url])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The user's task from the issue, logging to `log`.
fn script(log: &Path) -> String {
    format!(
        "dbrp \"telegraf\".\"autogen\"\n\nstream\n    |from().measurement('http_response')\n    \
         |groupBy('host')\n    |window().period(10s).every(10s)\n    |mean('result_code')\n    \
         |alert()\n        .warn(lambda: \"mean\" > 0)\n        \
         .message('{{{{ index .Tags \"host\" }}}} looks down')\n        .log('{}')\n    \
         |httpOut('out')\n",
        log.display()
    )
}

fn write(daemon: &Daemon, body: &str) {
    let response = client()
        .post(daemon.at("/write?db=telegraf&rp=autogen&precision=s"))
        .body(body.to_owned())
        .send()
        .unwrap();
    assert_eq!(response.status(), 204, "{:?}", response.text());
}

/// The alert log's events, once it has `count` of them (waiting up to 30 s).
fn events(log: &Path, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = std::fs::read_to_string(log).unwrap_or_default();
        let events: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        if events.len() >= count || Instant::now() > deadline {
            assert_eq!(events.len(), count, "alert log: {text}");
            return events;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn get(daemon: &Daemon, path: &str) -> (u16, Value) {
    let response = client().get(daemon.at(path)).send().unwrap();
    let status = response.status().as_u16();
    (status, response.json().unwrap())
}

#[test]
fn a_task_defined_with_the_cli_runs_on_writes_and_keeps_its_alert_state_across_kill_9() {
    let dir = scratch_dir("tasks");
    let log = dir.join("alerts.log");
    let tick = dir.join("http-alert.tick");
    std::fs::write(&tick, script(&log)).unwrap();
    let daemon = Daemon::start_in(&dir, "");
    let tick_arg = tick.display().to_string();
    assert_eq!(
        verb(&daemon, &["define", "http-alert", "-tick", &tick_arg]),
        (0, String::new(), String::new())
    );
    let header = "ID         Type      Status    Executing Databases and Retention Policies\n";
    assert_eq!(
        verb(&daemon, &["list", "tasks"]).1,
        format!("{header}http-alert stream    disabled  false     [\"telegraf\".\"autogen\"]\n")
    );
    assert_eq!(verb(&daemon, &["enable", "http-alert"]).0, 0);
    let (_, task) = get(&daemon, "/kapacitor/v1/tasks/http-alert");
    assert_eq!(task["status"], "enabled");
    assert_eq!(task["executing"], true);
    assert_eq!(task["dbrps"], json!([{"db": "telegraf", "rp": "autogen"}]));
    assert_eq!(task["link"]["href"], "/kapacitor/v1/tasks/http-alert");

    write(
        &daemon,
        "http_response,host=web1 result_code=1 0\nhttp_response,host=web1 result_code=1 5\n\
         http_response,host=web1 result_code=1 10\n",
    );
    let first = &events(&log, 1)[0];
    assert_eq!(first["message"], "web1 looks down");
    assert_eq!(first["level"], "WARNING");
    assert_eq!(first["previousLevel"], "OK");
    assert_eq!(first["time"], "1970-01-01T00:00:10Z");
    let (status, out) = get(&daemon, "/kapacitor/v1/tasks/http-alert/out");
    assert_eq!(status, 200);
    assert_eq!(
        out["series"][0]["values"],
        json!([["1970-01-01T00:00:10Z", 1]])
    );
    let (code, shown, _) = verb(&daemon, &["show", "http-alert"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(
        lines[..6],
        [
            "ID: http-alert",
            "Error: ",
            "Template: ",
            "Type: stream",
            "Status: enabled",
            "Executing: true"
        ]
    );
    let created = regex::Regex::new(r"^Created: \d\d [A-Z][a-z]{2} \d\d \d\d:\d\d UTC$").unwrap();
    assert!(created.is_match(lines[6]), "{}", lines[6]);
    assert_eq!(
        lines[9],
        "Databases Retention Policies: [\"telegraf\".\"autogen\"]"
    );
    assert_eq!(
        lines[10..13],
        ["TICKscript:", "dbrp \"telegraf\".\"autogen\"", ""]
    );
    let dot = &shown[shown.find("DOT:\n").unwrap() + 5..];
    assert!(
        dot.starts_with("digraph http-alert {\ngraph [throughput=\""),
        "{dot}"
    );
    assert!(
        dot.contains("\nwindow3 -> mean4 [processed=\"1\"];\n"),
        "{dot}"
    );
    assert!(
        dot.contains("\nalert5 [alerts_inhibited=\"0\" alerts_triggered=\"1\" avg_exec_time_ns=\""),
        "{dot}"
    );
    assert!(dot.contains("warns_triggered=\"1\" working_cardinality=\"1\" ];\nalert5 -> http_out6 [processed=\"1\"];"), "{dot}");
    assert!(dot.ends_with("}\n"), "{dot}");
    assert_eq!(verb(&daemon, &["show", "http-alert", "-dot"]).1, dot);

    // A crash: no shutdown, nothing flushed on the way out.
    drop(daemon);
    let daemon = Daemon::start_in(&dir, "");
    assert_eq!(
        verb(&daemon, &["list", "tasks", "http-*"]).1,
        format!("{header}http-alert stream    enabled   true      [\"telegraf\".\"autogen\"]\n")
    );
    write(
        &daemon,
        "http_response,host=web1 result_code=1 15\nhttp_response,host=web1 result_code=1 20\n\
         http_response,host=web1 result_code=1 30\n",
    );
    let second = &events(&log, 2)[1];
    // The window restarts with the first point after the crash ([15s, 25s)). The episode
    // goes on: the level before is the remembered one, and its duration counts from the
    // first alert before the crash.
    assert_eq!(second["previousLevel"], "WARNING");
    assert_eq!(second["time"], "1970-01-01T00:00:25Z");
    assert_eq!(second["duration"], 15_000_000_000_i64);

    // Disabled, it stops; deleted, it is gone.
    assert_eq!(verb(&daemon, &["disable", "http-alert"]).0, 0);
    let (_, disabled) = get(&daemon, "/kapacitor/v1/tasks/http-alert");
    assert_eq!(disabled["executing"], false);
    assert_eq!(
        disabled["dot"],
        "digraph http-alert {\nstream0 -> from1;\nfrom1 -> groupby2;\ngroupby2 -> window3;\n\
         window3 -> mean4;\nmean4 -> alert5;\nalert5 -> http_out6;\n}"
    );
    assert_eq!(verb(&daemon, &["delete", "tasks", "http-alert"]).0, 0);
    let (status, missing) = get(&daemon, "/kapacitor/v1/tasks/http-alert");
    assert_eq!(status, 404);
    assert_eq!(missing["error"], "no task exists");
    assert_eq!(
        verb(&daemon, &["show", "http-alert"]),
        (3, String::new(), "Error: no task exists\n".to_owned())
    );
}

#[test]
fn kapacitor_s_ping_answers_with_its_version_and_auth_guards_every_route() {
    let open = Daemon::start("tasks-ping", "");
    let ping = client().get(open.at("/kapacitor/v1/ping")).send().unwrap();
    assert_eq!(ping.status(), 204);
    assert!(
        ping.headers()["x-kapacitor-version"]
            .to_str()
            .unwrap()
            .starts_with("1.8")
    );
    drop(open);

    let daemon = Daemon::start(
        "tasks-auth",
        "[auth]\ntoken = \"s3cret\"\nusername = \"admin\"\npassword = \"pa ss\"\n",
    );
    let status =
        |request: reqwest::blocking::RequestBuilder| request.send().unwrap().status().as_u16();
    let tasks = daemon.at("/kapacitor/v1/tasks");
    assert_eq!(status(client().get(&tasks)), 401);
    assert_eq!(status(client().get(&tasks).bearer_auth("wrong")), 401);
    assert_eq!(status(client().get(&tasks).bearer_auth("s3cret")), 200);
    assert_eq!(
        status(client().get(&tasks).header("authorization", "Token s3cret")),
        200
    );
    assert_eq!(
        status(client().get(&tasks).basic_auth("admin", Some("pa ss"))),
        200
    );
    assert_eq!(
        status(client().get(&tasks).basic_auth("admin", Some("no"))),
        401
    );
    assert_eq!(
        status(client().get(format!("{tasks}?u=admin&p=pa%20ss"))),
        200
    );
    assert_eq!(
        status(client().post(daemon.at("/write?db=x")).body("m v=1")),
        401
    );
    // The CLI passes the token on to the control plane (gRPC), which the token guards too.
    let list = |token: &str| {
        condenser()
            .args(["--url", &daemon.url, "list", "tasks"])
            .env("CONDENSER_TOKEN", token)
            .output()
            .unwrap()
    };
    let out = list("s3cret");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = list("wrong");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: authorization failed\n"
    );
    let printed = condenser()
        .args(["config", "--config"])
        .arg(daemon.data_dir.parent().unwrap().join("condenser.toml"))
        .output()
        .unwrap();
    let printed = String::from_utf8(printed.stdout).unwrap();
    assert!(printed.contains("token = \"********\""), "{printed}");
    assert!(!printed.contains("s3cret"), "{printed}");
}

#[test]
fn a_daemon_on_a_public_address_without_auth_refuses_to_start() {
    let out = condenser()
        .args(["serve", "--bind", "0.0.0.0:0", "--data-dir"])
        .arg(scratch_dir("tasks-public").join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("without authentication"), "{stderr}");
    assert!(stderr.contains("--insecure-no-auth"), "{stderr}");
}

#[test]
fn a_cli_verb_without_a_daemon_says_so() {
    let out = condenser()
        .args(["--url", "http://127.0.0.1:1", "list", "tasks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.starts_with("Error: cannot reach the daemon at http://127.0.0.1:1: "),
        "{stderr}"
    );
}

#[test]
fn a_bad_task_is_refused_with_kapacitor_s_messages() {
    let daemon = Daemon::start("tasks-bad", "");
    let post = |body: Value| {
        let response = client()
            .post(daemon.at("/kapacitor/v1/tasks"))
            .json(&body)
            .send()
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().unwrap();
        (
            status,
            body["error"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let (status, error) = post(json!({"id": "t", "script": "stream|from().measurment('x')",
                                     "dbrps": [{"db": "a", "rp": "b"}]}));
    assert_eq!(status, 400);
    assert!(
        error.starts_with(
            "invalid TICKscript: error: t:1:15: from() has no property \"measurment\""
        ),
        "{error}"
    );
    let (status, error) = post(json!({"id": "t", "script": "stream|from()"}));
    assert_eq!((status, error.as_str()), (400, "must specify dbrp"));
    let (status, error) = post(json!({"id": "a b", "script": "stream|from()"}));
    assert_eq!(status, 400);
    assert!(
        error.starts_with("task ID must contain only letters"),
        "{error}"
    );
    let ok = json!({"id": "t", "script": "stream|from()|httpOut('x')", "dbrps": [{"db": "a", "rp": "b"}]});
    assert_eq!(post(ok.clone()).0, 200);
    assert_eq!(post(ok), (400, "task t already exists".to_owned()));
    // A Flux query resolves (replays run it from recordings) but cannot run here.
    let (status, error) = post(json!({"id": "flux", "type": "batch", "status": "enabled",
        "script": "batch|queryFlux('from(bucket: \"b\") |> range(start: -1m)').every(1m)|httpOut('x')",
        "dbrps": [{"db": "a", "rp": "b"}]}));
    // Kapacitor answers 500 for a task that is stored but cannot start.
    assert_eq!(status, 500);
    assert!(
        error.contains("queryFlux() cannot run in the daemon"),
        "{error}"
    );
}

#[test]
fn kill_9_during_defines_and_writes_loses_no_acknowledged_task() {
    let dir = scratch_dir("tasks-crash");
    let mut acknowledged: Vec<String> = Vec::new();
    for round in 0..3 {
        let daemon = Daemon::start_in(&dir, "");
        // Defines and writes race the kill from other threads; whatever was answered 200
        // must be there after the restart.
        let url = daemon.url.clone();
        let definer = std::thread::spawn(move || {
            let mut defined = Vec::new();
            for i in 0.. {
                let id = format!("t{round}_{i}");
                let body = json!({"id": id, "script": "stream|from().measurement('m')|httpOut('o')",
                                  "dbrps": [{"db": "db", "rp": "rp"}], "status": "enabled"});
                match client()
                    .post(format!("{url}/kapacitor/v1/tasks"))
                    .json(&body)
                    .send()
                {
                    Ok(response) if response.status() == 200 => defined.push(id),
                    _ => break,
                }
            }
            defined
        });
        let url = daemon.url.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..1000 {
                let body = format!("m v={i} {i}\n");
                if client()
                    .post(format!("{url}/write?db=db&rp=rp&precision=s"))
                    .body(body)
                    .send()
                    .is_err()
                {
                    break;
                }
            }
        });
        std::thread::sleep(Duration::from_millis(300 + 200 * round as u64));
        drop(daemon);
        acknowledged.extend(definer.join().unwrap());
        writer.join().unwrap();
        let daemon = Daemon::start_in(&dir, "");
        let (_, listed) = get(&daemon, "/kapacitor/v1/tasks?fields=status&limit=-1");
        let stored: Vec<&str> = listed["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        for id in &acknowledged {
            assert!(
                stored.contains(&id.as_str()),
                "{id} was acknowledged, then lost"
            );
        }
        assert!(
            listed["tasks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|t| t["status"] == "enabled")
        );
    }
    assert!(!acknowledged.is_empty());
}

#[test]
fn a_task_that_stays_behind_gets_503_for_its_writes_only_and_shows_in_metrics() {
    // The slow task POSTs each point to a server that takes connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", silent.local_addr().unwrap());
    let daemon = Daemon::start(
        "tasks-slow",
        "[http]\nwrite_queue = 1\nwrite_timeout = \"100ms\"\n",
    );
    let define = |id: &str, script: &str| {
        let response = client()
            .post(daemon.at("/kapacitor/v1/tasks"))
            .json(
                &json!({"id": id, "type": "stream", "status": "enabled", "script": script,
                          "dbrps": [{"db": "telegraf", "rp": "autogen"}]}),
            )
            .send()
            .unwrap();
        assert_eq!(response.status(), 200, "{:?}", response.text());
    };
    define(
        "slow",
        &format!("stream|from().measurement('cpu')|httpPost('{url}').timeout(60s)"),
    );
    define("fast", "stream|from().measurement('mem')|httpOut('out')");
    let post = |body: &str| {
        client()
            .post(daemon.at("/write?db=telegraf&precision=s"))
            .body(body.to_owned())
            .send()
            .unwrap()
    };
    let mut refused = None;
    for second in 1..50 {
        let response = post(&format!("cpu v=1 {second}"));
        if response.status() == 503 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), 204);
    }
    let refused = refused.expect("the slow task's writes were refused once its queue was full");
    assert_eq!(refused.headers()["retry-after"], "1");
    let body: Value = refused.json().unwrap();
    assert_eq!(
        body["error"],
        "task \"slow\" is behind: write not accepted within 100ms, retry later"
    );
    // Writes the slow task does not take go on.
    for second in 1..10 {
        assert_eq!(post(&format!("mem v={second} {second}")).status(), 204);
    }
    assert_eq!(
        daemon.metric("condenser_task_queue_refused_total{task=\"slow\"}"),
        1
    );
    assert_eq!(
        daemon.metric("condenser_task_queue_depth{task=\"slow\"}"),
        1
    );
    assert_eq!(
        daemon.metric("condenser_task_queue_points_total{task=\"fast\"}"),
        9
    );
    assert_eq!(
        daemon.metric("condenser_task_queue_capacity{task=\"fast\"}"),
        1
    );
    let (status, out) = get(&daemon, "/kapacitor/v1/tasks/fast/out");
    assert_eq!(status, 200);
    assert_eq!(out["series"][0]["values"][0][1], 9.0);
    drop(silent);
}

#[test]
fn tasks_made_from_a_template_take_its_script_with_their_vars_and_follow_its_changes() {
    let dir = scratch_dir("tasks-templates");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("alerts.log");
    let template = |threshold: &str| {
        format!(
            "// Which measurement to watch\nvar measurement string\nvar crit lambda\n\
             var window = 10s\nvar field = 'value'\n\nstream\n    |from()\n        \
             .measurement(measurement)\n    |window()\n        .period(window)\n        \
             .every(window)\n    |mean(field)\n    |alert()\n        .crit(crit)\n        \
             .warn(lambda: \"mean\" > {threshold})\n        .log('{}')\n",
            log.display()
        )
    };
    let tick = dir.join("template.tick");
    std::fs::write(&tick, template("1000")).unwrap();
    let vars = dir.join("vars.json");
    std::fs::write(
        &vars,
        r#"{"measurement": {"type": "string", "value": "cpu"},
            "crit": {"type": "lambda", "value": "\"mean\" > 90"}}"#,
    )
    .unwrap();
    let tick_arg = tick.display().to_string();
    let vars_arg = vars.display().to_string();
    let mut daemon = Daemon::start_in(&dir, "");
    let ok = |daemon: &Daemon, args: &[&str]| {
        let (code, out, err) = verb(daemon, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    ok(&daemon, &["define-template", "generic", "-tick", &tick_arg]);
    assert_eq!(
        ok(&daemon, &["list", "templates"]),
        format!(
            "ID      Type      {:<40}\ngeneric stream    {:<40}\n",
            "Vars", "crit,field,measurement,window"
        )
    );
    let shown = ok(&daemon, &["show-template", "generic"]);
    let vars_block = |name: &str, kind: &str, value: &str, description: &str| {
        format!("{name:<30}{kind:<10}{value:<40}{description:<40}\n")
    };
    for row in [
        vars_block("crit", "lambda", "<required>", ""),
        vars_block("field", "string", "value", ""),
        vars_block(
            "measurement",
            "string",
            "<required>",
            "Which measurement to watch",
        ),
        vars_block("window", "duration", "10s", ""),
    ] {
        assert!(shown.contains(&row), "{row:?} in {shown}");
    }
    assert!(shown.ends_with("mean3 -> alert4;\n}\n"), "{shown}");

    // A var the template declares by type and the task does not give is refused.
    let (code, _, err) = verb(
        &daemon,
        &[
            "define",
            "bad",
            "-template",
            "generic",
            "-dbrp",
            "telegraf.autogen",
        ],
    );
    assert_eq!(code, 3);
    assert!(err.contains("missing value for var"), "{err}");
    let (code, _, err) = verb(
        &daemon,
        &[
            "define",
            "bad",
            "-template",
            "nosuch",
            "-dbrp",
            "telegraf.autogen",
        ],
    );
    assert_eq!(
        (code, err.as_str()),
        (
            3,
            "Error: unknown template nosuch: err: no template exists\n"
        )
    );

    ok(
        &daemon,
        &[
            "define",
            "cpu",
            "-template",
            "generic",
            "-vars",
            &vars_arg,
            "-dbrp",
            "telegraf.autogen",
        ],
    );
    let shown = ok(&daemon, &["show", "cpu"]);
    assert!(shown.contains("Template: generic\n"), "{shown}");
    assert!(
        shown.contains(&format!(
            "Vars:\n{:<30}{:<10}{:<40}\n{:<30}{:<10}{:<40}\n{:<30}{:<10}{:<40}\nDOT:\n",
            "Name",
            "Type",
            "Value",
            "crit",
            "lambda",
            "\"mean\" > 90",
            "measurement",
            "string",
            "cpu"
        )),
        "{shown}"
    );
    ok(&daemon, &["enable", "cpu"]);
    write(
        &daemon,
        "cpu value=95 0\ncpu value=97 5\nmem value=99 6\ncpu value=1 10\n",
    );
    assert_eq!(events(&log, 1)[0]["level"], "CRITICAL");

    // Changing the template changes (and restarts) the task: the lower warn threshold makes
    // an OK mean a warning.
    std::fs::write(&tick, template("0")).unwrap();
    ok(&daemon, &["define-template", "generic", "-tick", &tick_arg]);
    let shown = ok(&daemon, &["show", "cpu"]);
    assert!(shown.contains(".warn(lambda: \"mean\" > 0)"), "{shown}");
    write(&daemon, "cpu value=5 20\ncpu value=5 25\ncpu value=1 30\n");
    let events = events(&log, 2);
    assert_eq!(events[1]["level"], "WARNING");

    // Templates and the tasks made from them are kept across a restart; deleting the
    // template leaves its tasks.
    drop(daemon);
    daemon = Daemon::start_in(&dir, "");
    assert!(ok(&daemon, &["list", "templates"]).contains("generic"));
    ok(&daemon, &["delete", "templates", "gen*"]);
    assert_eq!(
        ok(&daemon, &["list", "templates"]),
        format!("ID Type      {:<40}\n", "Vars")
    );
    assert!(ok(&daemon, &["show", "cpu"]).contains("Executing: true\n"));
    let (status, body) = get(&daemon, "/kapacitor/v1/tasks/cpu");
    assert_eq!(status, 200);
    assert_eq!(body["template-id"], "generic");
    assert_eq!(
        body["vars"]["crit"],
        json!({"type": "lambda", "value": "\"mean\" > 90", "description": ""})
    );
}

#[test]
fn topic_handlers_defined_with_the_cli_see_their_topic_s_events_and_outlive_a_restart() {
    let dir = scratch_dir("tasks-topics");
    std::fs::create_dir_all(&dir).unwrap();
    let (task_log, handler_log) = (dir.join("task.log"), dir.join("handler.log"));
    let tick = dir.join("cpu.tick");
    std::fs::write(
        &tick,
        format!(
            "dbrp \"telegraf\".\"autogen\"\nstream\n    |from().measurement('cpu').groupBy('host')\n    \
             |alert()\n        .crit(lambda: \"v\" > 90)\n        .topic('cpu')\n        .log('{}')\n",
            task_log.display()
        ),
    )
    .unwrap();
    let handler = dir.join("log-crit.yaml");
    std::fs::write(
        &handler,
        format!(
            "topic: cpu\nid: log-crit\nkind: log\nmatch: level() == CRITICAL\noptions:\n  path: {}\n",
            handler_log.display()
        ),
    )
    .unwrap();
    let mut daemon = Daemon::start_in(&dir, "");
    let ok = |daemon: &Daemon, args: &[&str]| {
        let (code, out, err) = verb(daemon, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    ok(
        &daemon,
        &["define", "cpu", "-tick", &tick.display().to_string()],
    );
    ok(&daemon, &["enable", "cpu"]);
    ok(
        &daemon,
        &["define-topic-handler", &handler.display().to_string()],
    );
    write(&daemon, "cpu,host=a v=95 0\ncpu,host=b v=5 1\n");
    assert_eq!(events(&handler_log, 1)[0]["id"], "cpu:host=a");
    assert_eq!(
        ok(&daemon, &["list", "topics"]),
        "ID              Level     Collected\n\
         cpu             CRITICAL          1\n\
         main:cpu:alert2 CRITICAL          1\n"
    );
    assert_eq!(
        ok(&daemon, &["show-topic", "cpu"]),
        format!(
            "ID: cpu\nLevel: CRITICAL\nCollected: 1\nHandlers: [log-crit]\nEvents:\n\
             {:<11}{:<9}{:<23}{:<23}\n{:<11}{:<9}{:<23}{:<23}\n",
            "Event",
            "Level",
            "Message",
            "Date",
            "cpu:host=a",
            "CRITICAL",
            "cpu:host=a is CRITICAL",
            "01 Jan 70 00:00 UTC"
        )
    );
    assert_eq!(
        ok(&daemon, &["show-topic-handler", "cpu", "log-crit"]),
        format!(
            "ID: log-crit\nTopic: cpu\nKind: log\nMatch: level() == CRITICAL\n\
             Options: {{\"path\":\"{}\"}}\n",
            handler_log.display()
        )
    );
    // A bad handler is refused with what is wrong.
    std::fs::write(&handler, "topic: cpu\nid: bad\nkind: nosuch\n").unwrap();
    let (code, _, err) = verb(
        &daemon,
        &["define-topic-handler", &handler.display().to_string()],
    );
    assert_eq!(code, 3, "{err}");

    drop(daemon);
    daemon = Daemon::start_in(&dir, "");
    let listed = ok(&daemon, &["list", "topic-handlers"]);
    assert_eq!(
        listed,
        format!(
            "{:<11}{:<11}{:<11}\n{:<11}{:<11}{:<11}\n",
            "Topic", "ID", "Kind", "cpu", "log-crit", "log"
        )
    );
    // The handler subscribed again at boot: the next critical event reaches it.
    write(&daemon, "cpu,host=c v=99 2\n");
    assert_eq!(events(&handler_log, 2)[1]["id"], "cpu:host=c");
    let (status, body) = get(&daemon, "/kapacitor/v1/alerts/topics/cpu/handlers/log-crit");
    assert_eq!(status, 200);
    assert_eq!(body["kind"], "log");
    ok(&daemon, &["delete", "topic-handlers", "cpu", "log-*"]);
    assert_eq!(
        get(&daemon, "/kapacitor/v1/alerts/topics/cpu/handlers/log-crit").0,
        404
    );
}

#[test]
fn groups_idle_past_the_configured_expiry_are_forgotten_and_counted() {
    let daemon = Daemon::start("tasks-expiry", "[engine]\ngroup_expiry = \"500ms\"\n");
    let response = client()
        .post(daemon.at("/kapacitor/v1/tasks"))
        .json(&json!({"id": "by_host", "status": "enabled",
                      "script": "stream|from().measurement('cpu').groupBy('host')\
                                 |window().period(1h).every(1h)|count('v')|httpOut('out')",
                      "dbrps": [{"db": "telegraf", "rp": "autogen"}]}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    write(&daemon, "cpu,host=a v=1 0\ncpu,host=b v=1 0\n");
    let series = "condenser_task_expired_groups_total{task=\"by_host\"}";
    let deadline = Instant::now() + Duration::from_secs(30);
    while daemon.metric(series) < 2 {
        assert!(
            Instant::now() < deadline,
            "the idle groups were never forgotten"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (_, task) = get(&daemon, "/kapacitor/v1/tasks/by_host");
    assert_eq!(
        task["stats"]["node-stats"]["window2"]["working_cardinality"],
        0
    );
}

#[test]
fn stats_show_who_the_server_is_what_it_runs_and_what_it_took() {
    let dir = scratch_dir("tasks-stats");
    std::fs::create_dir_all(&dir).unwrap();
    let mut daemon = Daemon::start_in(&dir, "");
    let response = client()
        .post(daemon.at("/kapacitor/v1/tasks"))
        .json(
            &json!({"id": "t", "status": "enabled", "script": "stream|from()|httpOut('x')",
                      "dbrps": [{"db": "telegraf", "rp": "autogen"}]}),
        )
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    write(&daemon, "cpu v=1 0\ncpu v=2 1\nmem v=1 1\n");
    let general = |daemon: &Daemon| verb(daemon, &["stats", "general"]).1;
    let before = general(&daemon);
    let lines: Vec<&str> = before.lines().collect();
    assert_eq!(lines.len(), 8, "{before}");
    assert!(
        lines[0].starts_with("ClusterID:                    "),
        "{before}"
    );
    assert_eq!(lines[3], format!("{:<30}{:<30}", "Tasks:", 1));
    assert_eq!(lines[4], format!("{:<30}{:<30}", "Enabled Tasks:", 1));
    assert_eq!(
        verb(&daemon, &["stats", "ingress"]).1,
        "Database Retention Policy Measurement Points Received\n\
         telegraf autogen          cpu                       2\n\
         telegraf autogen          mem                       1\n"
    );
    let vars: Value = serde_json::from_str(&verb(&daemon, &["vars"]).1).unwrap();
    assert_eq!(
        (vars["num_tasks"].as_u64(), vars["product"].as_str()),
        (Some(1), Some("kapacitor"))
    );
    // The server keeps its ids across a restart.
    drop(daemon);
    daemon = Daemon::start_in(&dir, "");
    let after = general(&daemon);
    assert_eq!(
        before.lines().take(2).collect::<Vec<_>>(),
        after.lines().take(2).collect::<Vec<_>>()
    );

    // A backup is the store of a data directory: a daemon started on it has the task.
    let restored = scratch_dir("tasks-stats-restored");
    std::fs::create_dir_all(restored.join("data")).unwrap();
    let file = restored.join("data/condenser.redb");
    let (code, _, err) = verb(&daemon, &["backup", &file.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = verb(&daemon, &["backup"]);
    assert_eq!(
        (code, err.as_str()),
        (3, "Error: must provide file path for backup.\n")
    );
    let http = client()
        .get(daemon.at("/kapacitor/v1/storage/backup"))
        .send()
        .unwrap();
    assert_eq!(http.headers()["content-type"], "application/octet-stream");
    drop(daemon);
    let daemon = Daemon::start_in(&restored, "");
    assert!(verb(&daemon, &["list", "tasks"]).1.contains("\nt "));
}

#[test]
fn watch_streams_a_task_s_log_lines_until_interrupted() {
    let daemon = Daemon::start("tasks-watch", "");
    let response = client()
        .post(daemon.at("/kapacitor/v1/tasks"))
        .json(&json!({"id": "logged", "status": "enabled",
                      "script": "stream|from().measurement('cpu')|log().prefix('P')",
                      "dbrps": [{"db": "telegraf", "rp": "autogen"}]}))
        .send()
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut watch = condenser()
        .args(["-url", &daemon.url, "watch", "logged"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Kapacitor's HTTP stream too, with a filter of the level.
    let mut http = client()
        .get(daemon.at("/kapacitor/v1preview/logs?task=logged&lvl=info%2B"))
        .send()
        .unwrap();
    assert_eq!(http.headers()["content-type"], "application/logfmt");
    // Write until the watcher has subscribed and seen a line.
    let stdout = watch.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut first = String::new();
        let mut stdout = std::io::BufReader::new(stdout);
        std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
        first
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while !reader.is_finished() {
        assert!(Instant::now() < deadline, "watch printed nothing");
        write(&daemon, "cpu,host=a v=1 0\n");
        std::thread::sleep(Duration::from_millis(200));
    }
    let first = reader.join().unwrap();
    assert!(
        first.contains(" lvl=info msg=\"log node\" ") && first.contains(" task=logged prefix=P "),
        "{first}"
    );
    let mut line = String::new();
    let mut body = std::io::BufReader::new(&mut http);
    std::io::BufRead::read_line(&mut body, &mut line).unwrap();
    assert!(line.contains(" task=logged "), "{line}");
    // Interrupted, watch ends quietly.
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &watch.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    assert!(watch.wait().unwrap().success());
}

#[test]
fn a_stream_recording_replays_against_a_task_whose_alerts_reach_its_handlers() {
    let dir = scratch_dir("tasks-record");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("alerts.log");
    let tick = dir.join("cpu.tick");
    std::fs::write(
        &tick,
        format!(
            "dbrp \"telegraf\".\"autogen\"\nstream\n    |from().measurement('cpu').groupBy('host')\n    \
             |alert()\n        .crit(lambda: \"v\" > 90)\n        .log('{}')\n",
            log.display()
        ),
    )
    .unwrap();
    let daemon = Daemon::start_in(&dir, "");
    let ok = |args: &[&str]| {
        let (code, out, err) = verb(&daemon, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    // The task need not run to be recorded for.
    ok(&["define", "cpu", "-tick", &tick.display().to_string()]);
    // Meanwhile, writes: what the task takes is recorded, the rest is not.
    let writer = std::thread::scope(|scope| {
        let recording = scope.spawn(|| {
            condenser()
                .args(["-url", &daemon.url, "record", "stream", "-task", "cpu"])
                .args(["-duration", "3s", "-recording-id", "rec1"])
                .output()
                .unwrap()
        });
        // Write once the recording runs (202 while it does).
        let deadline = Instant::now() + Duration::from_secs(30);
        while get(&daemon, "/kapacitor/v1/recordings/rec1").0 != 202 {
            assert!(Instant::now() < deadline, "the recording never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        write(
            &daemon,
            "cpu,host=a v=95 0\nmem v=1 0\ncpu,host=a v=50 10\n",
        );
        recording.join().unwrap()
    });
    assert!(
        writer.status.success(),
        "{}",
        String::from_utf8_lossy(&writer.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&writer.stdout), "rec1\n");
    let data = std::fs::read_to_string(daemon.data_dir.join("recordings/rec1.srpl")).unwrap();
    assert_eq!(
        data,
        "telegraf\nautogen\ncpu,host=a v=95.0 0\ntelegraf\nautogen\ncpu,host=a v=50.0 10000000000\n"
    );
    let listed = ok(&["list", "recordings"]);
    assert!(
        listed.starts_with(&format!(
            "{:<5}{:<8}{:<10}{:<10}{:<23}\nrec1 stream  finished  {:<10}",
            "ID", "Type", "Status", "Size", "Date", "84 B"
        )),
        "{listed}"
    );

    // The replay keeps the recorded times; its alerts reach the task's log handler.
    assert_eq!(
        ok(&[
            "replay",
            "-recording",
            "rec1",
            "-task",
            "cpu",
            "-replay-id",
            "r1",
            "-rec-time"
        ]),
        "r1\n"
    );
    let events = events(&log, 2);
    assert_eq!(
        (events[0]["level"].as_str(), events[1]["level"].as_str()),
        (Some("CRITICAL"), Some("OK"))
    );
    assert_eq!(events[0]["time"], "1970-01-01T00:00:00Z");
    let replays = ok(&["list", "replays"]);
    assert!(
        replays.contains("\nr1 cpu  rec1      finished fast    "),
        "{replays}"
    );
    let (status, body) = get(&daemon, "/kapacitor/v1/replays/r1");
    assert_eq!((status, body["status"].as_str()), (200, Some("finished")));
    // What cannot be done says why.
    let (code, _, err) = verb(&daemon, &["replay", "-recording", "nosuch", "-task", "cpu"]);
    assert_eq!(
        (code, err.as_str()),
        (3, "Error: recording not found: no recording exists\n")
    );
    let (code, _, err) = verb(&daemon, &["record", "batch", "-task", "cpu"]);
    assert_eq!(code, 3, "{err}");
    ok(&["delete", "recordings", "rec*"]);
    ok(&["delete", "replays", "r1"]);
    assert!(!daemon.data_dir.join("recordings/rec1.srpl").exists());
    assert_eq!(
        ok(&["list", "replays"]),
        format!(
            "{:<3}{:<5}{:<10}{:<9}{:<8}{:<23}\n",
            "ID", "Task", "Recording", "Status", "Clock", "Date"
        )
    );
}

#[test]
fn https_serves_the_apis_and_the_control_plane_with_kapacitor_s_keys() {
    let dir = scratch_dir("tasks-tls");
    std::fs::create_dir_all(&dir).unwrap();
    // A certificate authority of the test's own, and the daemon's certificate it signs.
    let (ca, cert, key) = (
        dir.join("ca.pem"),
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    let openssl = |args: &[&str]| {
        let made = std::process::Command::new("openssl")
            .current_dir(&dir)
            .args(args)
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run openssl (apt-get install openssl)");
        assert!(made.success(), "openssl {args:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=test CA",
        "-keyout",
        "ca-key.pem",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "key.pem",
        "-out",
        "cert.csr",
    ]);
    std::fs::write(dir.join("san.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "cert.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca-key.pem",
        "-CAcreateserial",
        "-days",
        "1",
        "-extfile",
        "san.ext",
        "-out",
        "cert.pem",
    ]);
    let daemon = Daemon::start_in(
        &dir,
        &format!(
            "[http]\nhttps-enabled = true\nhttps-certificate = {:?}\nhttps-private-key = {:?}\n",
            cert.display().to_string(),
            key.display().to_string()
        ),
    );
    assert!(
        daemon.url.starts_with("https://127.0.0.1:"),
        "{}",
        daemon.url
    );
    let pem = std::fs::read(&ca).unwrap();
    let tls = reqwest::blocking::Client::builder()
        .no_proxy()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .build()
        .unwrap();
    let ping = tls.get(daemon.at("/kapacitor/v1/ping")).send().unwrap();
    assert_eq!(ping.status(), 204);
    let written = tls
        .post(daemon.at("/write?db=telegraf"))
        .body("cpu v=1")
        .send()
        .unwrap();
    assert_eq!(written.status(), 204);
    // The control plane over TLS, trusting the daemon's certificate.
    let out = condenser()
        .args(["-url", &daemon.url, "list", "tasks"])
        .env("CONDENSER_CA", &ca)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without trusting it, the CLI says it cannot reach the daemon.
    let out = condenser()
        .args(["-url", &daemon.url, "list", "tasks"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .starts_with("Error: cannot reach the daemon at https://"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Plain HTTP to the TLS port is no request.
    assert!(
        client()
            .get(daemon.at("/ping").replace("https://", "http://"))
            .send()
            .is_err()
    );
}

#[test]
fn service_tests_send_a_test_alert_through_each_configured_service() {
    // A Slack-shaped receiver: it answers every request 200 and keeps what it got.
    let receiver = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", receiver.local_addr().unwrap());
    let got = std::thread::spawn(move || {
        let (mut stream, _) = receiver.accept().unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let mut request = Vec::new();
        let mut buffer = [0; 4096];
        while let Ok(n) = std::io::Read::read(&mut stream, &mut buffer) {
            if n == 0 {
                break;
            }
            request.extend_from_slice(&buffer[..n]);
            if String::from_utf8_lossy(&request).contains("test slack message") {
                break;
            }
        }
        let _ = std::io::Write::write_all(
            &mut stream,
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok",
        );
        String::from_utf8_lossy(&request).into_owned()
    });
    let daemon = Daemon::start(
        "tasks-service-tests",
        &format!("[[slack]]\nenabled = true\nurl = {url:?}\n"),
    );
    let (code, out, err) = verb(&daemon, &["service-tests", "slack", "smtp"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        format!(
            "{:<20}{:<10}Message\n{:<20}{:<10}\n{:<20}{:<10}service is not enabled\n",
            "Service", "Success", "slack", "true", "smtp", "false"
        )
    );
    assert!(got.join().unwrap().contains("test slack message"));
    let listed = verb(&daemon, &["list", "service-tests", "s*"]).1;
    assert!(listed.starts_with("Service Name\nsensu\n"), "{listed}");
    let (status, body) = get(&daemon, "/kapacitor/v1/service-tests/nosuch");
    assert_eq!(
        (status, body["error"].as_str()),
        (404, Some("service \"nosuch\" not found"))
    );
}

#[test]
fn kapacitor_s_config_api_reads_the_configuration_with_secrets_hidden() {
    let daemon = Daemon::start(
        "tasks-config-api",
        "[smtp]\nenabled = true\nfrom = \"k@example.com\"\npassword = \"s3cret\"\n\
         [[slack]]\nworkspace = \"ops\"\nurl = \"http://hooks.example.com/x\"\n",
    );
    let (status, smtp) = get(&daemon, "/kapacitor/v1/config/smtp");
    assert_eq!(status, 200);
    let element = &smtp["elements"][0];
    assert_eq!(element["options"]["password"], true);
    assert_eq!(element["options"]["from"], "k@example.com");
    assert_eq!(element["redacted"], json!(["password"]));
    let (status, slack) = get(&daemon, "/kapacitor/v1/config/slack/ops");
    assert_eq!(status, 200);
    assert_eq!(slack["options"]["url"], true);
    assert_eq!(slack["link"]["href"], "/kapacitor/v1/config/slack/ops");
    let (status, all) = get(&daemon, "/kapacitor/v1/config");
    assert_eq!(status, 200);
    assert!(all["sections"]["telegram"]["elements"].is_array());
    assert!(!all.to_string().contains("s3cret"));
    assert_eq!(get(&daemon, "/kapacitor/v1/config/nosuch").0, 404);
    let refused = client()
        .post(daemon.at("/kapacitor/v1/config/smtp"))
        .body("{\"set\": {\"enabled\": false}}")
        .send()
        .unwrap();
    assert_eq!(refused.status(), 403);
}

/// The user's batch task (`../shared/USER-EXAMPLE.md`), logging to `info` and `warn`.
fn batch_script(info: &Path, warn: &Path) -> String {
    format!(
        "dbrp \"telegraf\".\"autogen\"\n\n// HTTP egallo.com.ar alerts\nvar data = batch\n    \
         |query('''\n        select mean(result_code) from \"telegraf\".\"autogen\".\"http_response\"\n      \
         ''')\n        .groupBy('host')\n        .period(10s)\n        .every(10s)\n\ndata\n    \
         |alert()\n        .info(lambda: \"mean\" > 0)\n        \
         .message('El sitio www.egallo.com.ar aparenta estar caido')\n        .log('{}')\n\n\
         data\n    |alert()\n        .warn(lambda: \"mean\" > 0)\n        \
         .message('El sitio www.egallo.com.ar aparenta estar caido')\n        .log('{}')\n",
        info.display(),
        warn.display()
    )
}

#[test]
fn the_user_s_batch_task_queries_what_was_written_and_alerts() {
    let dir = scratch_dir("batch-task");
    let (info, warn) = (dir.join("alert"), dir.join("alert2"));
    let tick = dir.join("http-alert.tick");
    std::fs::write(&tick, batch_script(&info, &warn)).unwrap();
    let daemon = Daemon::start_in(&dir, "");
    let tick_arg = tick.display().to_string();
    assert_eq!(
        verb(&daemon, &["define", "http-alert", "-tick", &tick_arg]),
        (0, String::new(), String::new())
    );
    assert_eq!(verb(&daemon, &["enable", "http-alert"]).0, 0);
    let header = "ID         Type      Status    Executing Databases and Retention Policies\n";
    assert_eq!(
        verb(&daemon, &["list", "tasks"]).1,
        format!("{header}http-alert batch     enabled   true      [\"telegraf\".\"autogen\"]\n")
    );
    // Points of now (no timestamp): the query that runs 10 s after the task started reads
    // them from the embedded store.
    let response = client()
        .post(daemon.at("/write?db=telegraf&rp=autogen"))
        .body("http_response,host=web1 result_code=1\nhttp_response,host=web2 result_code=0\n")
        .send()
        .unwrap();
    assert_eq!(response.status(), 204);
    for log in [&info, &warn] {
        let event = &events(log, 1)[0];
        assert_eq!(event["id"], "http_response:host=web1");
        assert_eq!(
            event["message"],
            "El sitio www.egallo.com.ar aparenta estar caido"
        );
        assert_eq!(
            event["data"]["series"][0]["columns"],
            json!(["time", "mean"])
        );
    }
    assert_eq!(events(&info, 1)[0]["level"], "INFO");
    assert_eq!(events(&warn, 1)[0]["level"], "WARNING");
    let (code, shown, _) = verb(&daemon, &["show", "http-alert"]);
    assert_eq!(code, 0);
    assert!(shown.contains("\nType: batch\n"), "{shown}");
    let dot = &shown[shown.find("DOT:\n").unwrap() + 5..];
    assert!(
        dot.starts_with("digraph http-alert {\ngraph [throughput=\""),
        "{dot}"
    );
    assert!(
        dot.contains(" batches/s\"];\n\nquery1 [avg_exec_time_ns=\""),
        "{dot}"
    );
    assert!(
        dot.contains("\" batches_queried=\"2\" errors=\"0\" points_queried=\"2\" working_cardinality=\"0\" ];\nquery1 -> alert3 [processed=\"2\"];\nquery1 -> alert2 [processed=\"2\"];\n"),
        "{dot}"
    );
    assert!(
        dot.contains("\nalert3 [alerts_inhibited=\"0\" alerts_triggered=\"1\" "),
        "{dot}"
    );
    assert!(dot.contains(" infos_triggered=\"1\" "), "{dot}");
    // The points it queried are kept in the embedded store.
    assert_eq!(daemon.metric("condenser_store_points"), 2);
    assert!(daemon.metric("condenser_store_bytes") > 0);

    // After a crash the task runs again.
    drop(daemon);
    let daemon = Daemon::start_in(&dir, "");
    assert_eq!(
        verb(&daemon, &["list", "tasks"]).1,
        format!("{header}http-alert batch     enabled   true      [\"telegraf\".\"autogen\"]\n")
    );
}

#[test]
fn a_batch_recording_keeps_what_the_queries_gave_and_replays_against_the_task() {
    let dir = scratch_dir("tasks-record-batch");
    let log = dir.join("alerts.log");
    let tick = dir.join("b.tick");
    std::fs::write(
        &tick,
        format!(
            "dbrp \"telegraf\".\"autogen\"\nbatch\n    \
             |query('SELECT mean(v) FROM \"telegraf\".\"autogen\".\"cpu\"')\n        \
             .period(10s)\n        .every(10s)\n        .groupBy('host')\n    \
             |alert()\n        .crit(lambda: \"mean\" > 90)\n        .log('{}')\n",
            log.display()
        ),
    )
    .unwrap();
    let daemon = Daemon::start_in(&dir, "");
    let ok = |args: &[&str]| {
        let (code, out, err) = verb(&daemon, args);
        assert_eq!(code, 0, "{args:?}: {err}");
        out
    };
    ok(&["define", "b", "-tick", &tick.display().to_string()]);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    write(
        &daemon,
        &format!(
            "cpu,host=a v=95 {}\ncpu,host=a v=97 {}\ncpu,host=b v=10 {}\n",
            now - 25,
            now - 24,
            now - 23
        ),
    );
    // The task need not run: its query runs over the past minute as it would have.
    assert_eq!(
        ok(&[
            "record",
            "batch",
            "-task",
            "b",
            "-past",
            "1m",
            "-recording-id",
            "brec"
        ]),
        "brec\n"
    );
    let recorded = std::fs::read_to_string(daemon.data_dir.join("recordings/brec.0.brpl")).unwrap();
    let batches: Vec<Value> = serde_json::Deserializer::from_str(&recorded)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect();
    let of = |host: &str| {
        batches
            .iter()
            .filter(|b| b["tags"]["host"] == host)
            .flat_map(|b| b["points"].as_array().unwrap().clone())
            .map(|p| p["fields"]["mean"].as_f64().unwrap())
            .collect::<Vec<_>>()
    };
    assert_eq!(of("a"), [96.0]);
    assert_eq!(of("b"), [10.0]);
    let listed = ok(&["list", "recordings"]);
    assert!(listed.contains("\nbrec batch   finished  "), "{listed}");
    // Replayed against the task, the alert reaches its log.
    ok(&["replay", "-recording", "brec", "-task", "b", "-rec-time"]);
    let event = &events(&log, 1)[0];
    assert_eq!(event["id"], "cpu:host=a");
    assert_eq!(event["level"], "CRITICAL");

    // A query recorded as a stream: its points, line by line.
    ok(&[
        "record",
        "query",
        "-query",
        "SELECT v FROM \"telegraf\".\"autogen\".\"cpu\" WHERE host = 'b'",
        "-type",
        "stream",
        "-recording-id",
        "qrec",
    ]);
    assert_eq!(
        std::fs::read_to_string(daemon.data_dir.join("recordings/qrec.srpl")).unwrap(),
        format!("telegraf\nautogen\ncpu v=10.0 {}000000000\n", now - 23)
    );
    ok(&["delete", "recordings", "brec"]);
    assert!(!daemon.data_dir.join("recordings/brec.0.brpl").exists());
}

#[test]
fn the_embedded_store_kept_on_disk_outlives_a_restart() {
    let dir = scratch_dir("store-persist");
    let config = "[engine]\nstore_persist = true\n";
    let daemon = Daemon::start_in(&dir, config);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    write(
        &daemon,
        &format!("cpu,host=a v=1 {}\ncpu,host=b v=2 {}\n", now - 20, now - 10),
    );
    daemon.terminate();
    let files = std::fs::read_dir(dir.join("data/store")).unwrap().count();
    assert_eq!(files, 1, "one Parquet file for cpu");
    let daemon = Daemon::start_in(&dir, config);
    assert_eq!(daemon.metric("condenser_store_points"), 2);
    let (code, out, err) = verb(
        &daemon,
        &[
            "record",
            "query",
            "-query",
            "SELECT v FROM \"telegraf\".\"autogen\".\"cpu\"",
            "-type",
            "stream",
            "-recording-id",
            "back",
        ],
    );
    assert_eq!((code, out.as_str()), (0, "back\n"), "{err}");
    assert_eq!(
        std::fs::read_to_string(daemon.data_dir.join("recordings/back.srpl")).unwrap(),
        format!(
            "telegraf\nautogen\ncpu v=1.0 {}000000000\ntelegraf\nautogen\ncpu v=2.0 {}000000000\n",
            now - 20,
            now - 10
        )
    );
}

/// Chronograf's requests to Kapacitor, as its code sends them (its Go client for tasks, its
/// UI through its proxy for the rest; see `chronograf/kapacitor/client.go` and
/// `ui/src/kapacitor/apis`): a rule defined, listed page by page, updated, switched off and
/// on, and deleted; the ping, config, service tests and log stream it reads.
#[test]
fn chronograf_s_requests_get_the_answers_it_reads() {
    let daemon = Daemon::start("chronograf", "");
    let http = client();
    let go_client = |request: reqwest::blocking::RequestBuilder| {
        request
            .header("User-Agent", "KapacitorClient")
            .header("Content-Type", "application/json")
    };
    assert!(
        http.get(daemon.at("/kapacitor/v1/ping"))
            .send()
            .unwrap()
            .status()
            .is_success()
    );
    let ping = http
        .get(daemon.at("/kapacitor/v1preview/ping"))
        .header("Accept", "application/json")
        .send()
        .unwrap();
    assert!(ping.status().is_success());
    let version = ping.headers()["x-kapacitor-version"]
        .to_str()
        .unwrap()
        .to_owned();
    let minor: u32 = version
        .split('.')
        .nth(1)
        .unwrap()
        .split('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(minor >= 4, "Chronograf shows logs from 1.4 on: {version}");

    // The rule builder's task: created with 200, as Kapacitor answers.
    let script = "var crit = 90\nstream\n    |from()\n        .measurement('cpu')\n    \
                  |alert()\n        .crit(lambda: \"usage_user\" > crit)\n    \
                  |httpOut('output')\n";
    let created = go_client(http.post(daemon.at("/kapacitor/v1/tasks")))
        .body(format!(
            "{}\n",
            json!({"id": "chronograf-v1-1", "type": "stream",
                   "dbrps": [{"db": "telegraf", "rp": "autogen"}],
                   "script": script, "status": "enabled"})
        ))
        .send()
        .unwrap();
    assert_eq!(created.status(), 200);
    let task: Value = created.json().unwrap();
    assert_eq!(task["link"]["href"], "/kapacitor/v1/tasks/chronograf-v1-1");
    assert_eq!(
        (task["type"].as_str(), task["status"].as_str()),
        (Some("stream"), Some("enabled"))
    );
    assert_eq!(task["executing"], true);
    for key in ["created", "modified", "last-enabled"] {
        let time = task[key].as_str().unwrap();
        assert!(
            condenser_model::time::parse_rfc3339(time).is_some(),
            "{key}: {time}"
        );
    }
    // Vars are those the task was defined with (Chronograf's rule name is one when set).
    assert_eq!(task["vars"], json!({}));
    let one = "/kapacitor/v1/tasks/chronograf-v1-1?dot-view=attributes&replay-id=&script-format=formatted";
    assert_eq!(
        go_client(http.get(daemon.at(one))).send().unwrap().status(),
        200
    );

    // Listed 100 a page until a page is empty.
    let page = |offset: u32| -> Vec<Value> {
        let path = format!(
            "/kapacitor/v1/tasks?dot-view=attributes&limit=100&offset={offset}&pattern=&replay-id=&script-format=formatted"
        );
        let listed: Value = go_client(http.get(daemon.at(&path)))
            .send()
            .unwrap()
            .json()
            .unwrap();
        listed["tasks"].as_array().unwrap().clone()
    };
    assert_eq!(page(0).len(), 1);
    assert!(page(100).is_empty());

    // An update: disabled with its new script, then enabled again.
    let update = |body: Value| {
        let response = go_client(http.patch(daemon.at("/kapacitor/v1/tasks/chronograf-v1-1")))
            .body(body.to_string())
            .send()
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json::<Value>().unwrap()
    };
    let changed = update(
        json!({"type": "stream", "dbrps": [{"db": "telegraf", "rp": "autogen"}],
                                "script": script.replace("90", "95"), "status": "disabled"}),
    );
    assert_eq!(changed["status"], "disabled");
    assert_eq!(update(json!({"status": "enabled"}))["executing"], true);

    // What the UI reads through the proxy.
    let config: Value = http
        .get(daemon.at("/kapacitor/v1/config"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert!(
        config["sections"]["slack"]["elements"][0]["options"]
            .get("enabled")
            .is_some()
    );
    let tests: Value = http
        .get(daemon.at("/kapacitor/v1/service-tests"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let slack = tests["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "slack")
        .unwrap();
    assert_eq!(slack["link"]["href"], "/kapacitor/v1/service-tests/slack");
    let logs = http
        .get(daemon.at("/kapacitor/v1preview/logs?task=chronograf-v1-1"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json")
        .send()
        .unwrap();
    assert_eq!(logs.status(), 200);
    assert_eq!(logs.headers()["content-type"], "application/json");
    drop(logs);

    let deleted = go_client(http.delete(daemon.at("/kapacitor/v1/tasks/chronograf-v1-1")))
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(
        go_client(http.get(daemon.at(one))).send().unwrap().status(),
        404
    );
    assert_eq!(
        http.get(daemon.at("/kapacitor/v1/nosuch"))
            .send()
            .unwrap()
            .status(),
        404
    );
}
