//! A real InfluxDB 1.x (Debian's `influxd`, which `./test.sh` installs) as Condenser's peer:
//! its subscriptions deliver what it is written to a stream task, a batch task queries it,
//! influxDBOut writes to it, and the subscriptions stay right across a restart.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::daemon::{Daemon, client, condenser, scratch_dir};

/// A free port on 127.0.0.1 (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running `influxd`, stopped when dropped.
struct Influxd {
    child: Child,
    url: String,
}

impl Influxd {
    /// Starts `influxd` on 127.0.0.1 with its data under `dir`.
    fn start(dir: &Path) -> Influxd {
        let (http, rpc) = (free_port(), free_port());
        let data = dir.join("influxdb");
        let config = format!(
            "reporting-disabled = true\nbind-address = \"127.0.0.1:{rpc}\"\n\
             [meta]\n  dir = \"{meta}\"\n\
             [data]\n  dir = \"{data_dir}\"\n  wal-dir = \"{wal}\"\n  query-log-enabled = false\n\
             [http]\n  bind-address = \"127.0.0.1:{http}\"\n  log-enabled = false\n\
             [monitor]\n  store-enabled = false\n\
             [subscriber]\n  enabled = true\n",
            meta = data.join("meta").display(),
            data_dir = data.join("data").display(),
            wal = data.join("wal").display(),
        );
        let path = dir.join("influxdb.conf");
        std::fs::write(&path, config).unwrap();
        let child = Command::new("influxd")
            .arg("-config")
            .arg(&path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting influxd (Debian's influxdb package; ./test.sh installs it)");
        let influxd = Influxd {
            child,
            url: format!("http://127.0.0.1:{http}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while client()
            .get(format!("{}/ping", influxd.url))
            .send()
            .map_or(true, |r| r.status() != 204)
        {
            assert!(Instant::now() < deadline, "influxd did not answer its ping");
            std::thread::sleep(Duration::from_millis(100));
        }
        influxd
    }

    /// Runs InfluxQL `q` (on `db`), its JSON answer.
    fn query(&self, db: &str, q: &str) -> Value {
        client()
            .post(format!("{}/query", self.url))
            .form(&[("db", db), ("q", q)])
            .send()
            .unwrap()
            .json()
            .unwrap()
    }

    /// Writes line protocol (seconds) to `db`.
    fn write(&self, db: &str, body: &str) {
        let response = client()
            .post(format!("{}/write?db={db}&precision=s", self.url))
            .body(body.to_owned())
            .send()
            .unwrap();
        assert_eq!(response.status(), 204, "{:?}", response.text());
    }

    /// The subscriptions: (database, retention policy, name, destinations).
    fn subscriptions(&self) -> Vec<(String, String, String, Value)> {
        let answer = self.query("", "SHOW SUBSCRIPTIONS");
        let mut found = Vec::new();
        for series in answer["results"][0]["series"]
            .as_array()
            .into_iter()
            .flatten()
        {
            for row in series["values"].as_array().into_iter().flatten() {
                found.push((
                    series["name"].as_str().unwrap().to_owned(),
                    row[0].as_str().unwrap().to_owned(),
                    row[1].as_str().unwrap().to_owned(),
                    row[3].clone(),
                ));
            }
        }
        found.sort_by(|a, b| (&a.0, &a.1, &a.2).cmp(&(&b.0, &b.1, &b.2)));
        found
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Condenser's configuration with `influxd` as its one InfluxDB.
fn config(influxd: &Influxd) -> String {
    format!(
        "[[influxdb]]\nname = \"local\"\nurls = [\"{}\"]\nsubscriptions-sync-interval = \"1s\"\n",
        influxd.url
    )
}

/// Defines and enables task `id` from `script` with the `condenser` CLI.
fn define(daemon: &Daemon, dir: &Path, id: &str, script: &str) {
    let tick = dir.join(format!("{id}.tick"));
    std::fs::write(&tick, script).unwrap();
    for args in [
        vec!["define", id, "-tick", tick.to_str().unwrap()],
        vec!["enable", id],
    ] {
        let out = condenser()
            .args(["-url", &daemon.url])
            .args(&args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// The lines of `log` once it has one (waiting up to 30 s).
fn first_event(log: &PathBuf) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(line) = std::fs::read_to_string(log)
            .unwrap_or_default()
            .lines()
            .next()
        {
            return serde_json::from_str(line).unwrap();
        }
        assert!(Instant::now() < deadline, "no alert in {}", log.display());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (up to 30 s) until `ready` holds.
fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn subscriptions_deliver_influxdb_writes_to_a_stream_task_and_stay_right_across_restarts() {
    let dir = scratch_dir("influxdb-subscriptions");
    let influxd = Influxd::start(&dir);
    influxd.query("", "CREATE DATABASE telegraf");
    let daemon = Daemon::start_in(&dir, &config(&influxd));
    let ours = |subs: &[(String, String, String, Value)], url: &str| {
        subs.iter()
            .filter(|(db, rp, name, destinations)| {
                db == "telegraf"
                    && rp == "autogen"
                    && name.starts_with("kapacitor-")
                    && *destinations == serde_json::json!([url])
            })
            .count()
    };
    wait_for("the subscription", || {
        ours(&influxd.subscriptions(), &daemon.url) == 1
    });

    let log = dir.join("stream.log");
    define(
        &daemon,
        &dir,
        "cpu_alert",
        &format!(
            "dbrp \"telegraf\".\"autogen\"\nstream\n    |from().measurement('cpu')\n    \
             |alert()\n        .crit(lambda: \"usage\" > 90)\n        .log('{}')\n",
            log.display()
        ),
    );
    influxd.write(
        "telegraf",
        &format!("cpu,host=web1 usage=97 {}", now_seconds()),
    );
    let event = first_event(&log);
    assert_eq!(event["id"], "cpu:nil");
    assert_eq!(event["level"], "CRITICAL");
    assert_eq!(event["data"]["series"][0]["tags"]["host"], "web1");

    // Restarted on another port: the subscription follows, and the old one goes.
    drop(daemon);
    let daemon = Daemon::start_in(&dir, &config(&influxd));
    wait_for("the subscription to follow the new port", || {
        let subs = influxd.subscriptions();
        ours(&subs, &daemon.url) == 1
            && subs
                .iter()
                .filter(|(db, _, name, _)| db == "telegraf" && name.starts_with("kapacitor-"))
                .count()
                == 1
    });
}

#[test]
fn a_batch_task_queries_influxdb_and_alerts_and_influxdb_out_writes_to_it() {
    let dir = scratch_dir("influxdb-batch");
    let influxd = Influxd::start(&dir);
    influxd.query("", "CREATE DATABASE telegraf");
    let now = now_seconds();
    influxd.write(
        "telegraf",
        &format!(
            "http_response,host=web1 result_code=1 {}\nhttp_response,host=web2 result_code=0 {}\n",
            now - 30,
            now - 20
        ),
    );
    let daemon = Daemon::start_in(&dir, &config(&influxd));
    let log = dir.join("batch.log");
    define(
        &daemon,
        &dir,
        "http_alert",
        &format!(
            "dbrp \"telegraf\".\"autogen\"\nbatch\n    \
             |query('SELECT max(result_code) FROM \"telegraf\".\"autogen\".\"http_response\"')\n        \
             .period(1h)\n        .every(1s)\n        .groupBy('host')\n    \
             |alert()\n        .crit(lambda: \"max\" > 0)\n        .log('{}')\n    \
             |influxDBOut()\n        .database('derived')\n        .retentionPolicy('autogen')\n        \
             .measurement('down')\n        .flushInterval(1s)\n        .create()\n",
            log.display()
        ),
    );
    let event = first_event(&log);
    assert_eq!(event["id"], "http_response:host=web1");
    assert_eq!(event["level"], "CRITICAL");
    assert_eq!(
        event["data"]["series"][0]["values"][0][1].as_f64(),
        Some(1.0)
    );
    // What influxDBOut wrote (into the database its .create() made) is read back from
    // InfluxDB.
    wait_for("influxDBOut's points in InfluxDB", || {
        let answer = influxd.query("derived", "SELECT max, host FROM down WHERE host = 'web1'");
        answer["results"][0]["series"][0]["values"][0][1] == serde_json::json!(1)
    });
    assert!(daemon.metric("condenser_influxdb_queries_total{influxdb=\"local\"}") >= 1);
    assert!(daemon.metric("condenser_influxdb_points_written_total{influxdb=\"local\"}") >= 1);
    assert_eq!(
        daemon.metric("condenser_influxdb_query_errors_total{influxdb=\"local\"}"),
        0
    );
}

#[test]
fn a_udp_subscription_delivers_influxdb_writes_too() {
    let dir = scratch_dir("influxdb-udp");
    let influxd = Influxd::start(&dir);
    influxd.query("", "CREATE DATABASE telegraf");
    let config = format!(
        "{}subscription-protocol = \"udp\"\nudp-bind = \"127.0.0.1\"\n\
         subscriptions = {{ telegraf = [\"autogen\"] }}\n",
        config(&influxd)
    );
    let daemon = Daemon::start_in(&dir, &config);
    wait_for("the UDP subscription", || {
        influxd
            .subscriptions()
            .iter()
            .any(|(db, rp, name, destinations)| {
                db == "telegraf"
                    && rp == "autogen"
                    && name.starts_with("kapacitor-")
                    && destinations[0]
                        .as_str()
                        .is_some_and(|d| d.starts_with("udp://127.0.0.1:"))
            })
    });
    // Only the databases `subscriptions` names are subscribed to.
    assert!(
        influxd
            .subscriptions()
            .iter()
            .all(|(db, _, name, _)| db == "telegraf" || !name.starts_with("kapacitor-"))
    );
    let log = dir.join("udp.log");
    define(
        &daemon,
        &dir,
        "mem_alert",
        &format!(
            "dbrp \"telegraf\".\"autogen\"\nstream\n    |from().measurement('mem')\n    \
             |alert()\n        .warn(lambda: \"used\" > 80)\n        .log('{}')\n",
            log.display()
        ),
    );
    influxd.write(
        "telegraf",
        &format!("mem,host=db1 used=85 {}", now_seconds()),
    );
    let event = first_event(&log);
    assert_eq!(event["level"], "WARNING");
    assert_eq!(event["data"]["series"][0]["tags"]["host"], "db1");
}

#[test]
fn bench_sends_the_same_load_to_an_influxdb() {
    let dir = scratch_dir("influxdb-bench");
    let influxd = Influxd::start(&dir);
    let out = condenser()
        .args(["--url", &influxd.url, "bench", "--target", "influxdb"])
        .args([
            "--points",
            "5000",
            "--series",
            "50",
            "--points-per-request",
            "1000",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["points_accepted"], 5000);
    assert_eq!(report["errors"], 0);
    // InfluxDB has them: 50 series of cpu.
    let answer = influxd.query("bench", "SELECT count(usage_0) FROM cpu");
    assert_eq!(answer["results"][0]["series"][0]["values"][0][1], 5000);
}
