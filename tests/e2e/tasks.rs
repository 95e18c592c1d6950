//! Tasks in the daemon: defined over Kapacitor's HTTP API, run on live writes, their alerts
//! in the `.log()` file and their httpOut results served; after a `kill -9` and a restart
//! the task runs again and its alert state is remembered.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::daemon::{Daemon, client, scratch_dir};

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
fn a_task_defined_over_the_api_runs_on_writes_and_keeps_its_alert_state_across_kill_9() {
    let dir = scratch_dir("tasks");
    let log = dir.join("alerts.log");
    let daemon = Daemon::start_in(&dir, "");
    let created = client()
        .post(daemon.at("/kapacitor/v1/tasks"))
        .json(&json!({"id": "http-alert", "type": "stream", "script": script(&log), "status": "enabled"}))
        .send()
        .unwrap();
    assert_eq!(created.status(), 200);
    let task: Value = created.json().unwrap();
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
    assert_eq!(out["series"][0]["values"], json!([["1970-01-01T00:00:10Z", 1]]));
    let (_, shown) = get(&daemon, "/kapacitor/v1/tasks/http-alert");
    let dot = shown["dot"].as_str().unwrap();
    assert!(dot.starts_with("digraph http-alert {"), "{dot}");
    assert!(dot.contains("window3 -> mean4 [processed=\"1\"];"), "{dot}");

    // A crash: no shutdown, nothing flushed on the way out.
    drop(daemon);
    let daemon = Daemon::start_in(&dir, "");
    let (_, listed) = get(&daemon, "/kapacitor/v1/tasks?fields=status&fields=executing");
    assert_eq!(
        listed["tasks"],
        json!([{"id": "http-alert", "link": {"rel": "self", "href": "/kapacitor/v1/tasks/http-alert"},
                "status": "enabled", "executing": true}])
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
    let disabled: Value = client()
        .patch(daemon.at("/kapacitor/v1/tasks/http-alert"))
        .json(&json!({"status": "disabled"}))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(disabled["executing"], false);
    let deleted = client()
        .delete(daemon.at("/kapacitor/v1/tasks/http-alert"))
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let (status, missing) = get(&daemon, "/kapacitor/v1/tasks/http-alert");
    assert_eq!(status, 404);
    assert_eq!(missing["error"], "no task exists");
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
        (status, body["error"].as_str().unwrap_or_default().to_owned())
    };
    let (status, error) = post(json!({"id": "t", "script": "stream|from().measurment('x')",
                                     "dbrps": [{"db": "a", "rp": "b"}]}));
    assert_eq!(status, 400);
    assert!(
        error.starts_with("invalid TICKscript: error: t:1:15: from() has no property \"measurment\""),
        "{error}"
    );
    let (status, error) = post(json!({"id": "t", "script": "stream|from()"}));
    assert_eq!((status, error.as_str()), (400, "must specify dbrp"));
    let (status, error) = post(json!({"id": "a b", "script": "stream|from()"}));
    assert_eq!(status, 400);
    assert!(error.starts_with("task ID must contain only letters"), "{error}");
    let ok = json!({"id": "t", "script": "stream|from()|httpOut('x')", "dbrps": [{"db": "a", "rp": "b"}]});
    assert_eq!(post(ok.clone()).0, 200);
    assert_eq!(post(ok), (400, "task t already exists".to_owned()));
}
