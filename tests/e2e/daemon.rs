//! Starting and stopping `condenser serve` for a test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `condenser` executable that cargo built for these tests.
pub(crate) fn condenser() -> Command {
    Command::new(env!("CARGO_BIN_EXE_condenser"))
}

/// A fresh, empty directory under the target directory, unique to `name`.
pub(crate) fn scratch_dir(name: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("e2e-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating a scratch directory");
    dir
}

/// A running daemon, stopped when dropped.
pub(crate) struct Daemon {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    /// Lines the daemon printed on stdout before it was ready.
    pub(crate) banner: Vec<String>,
    /// Its data directory.
    pub(crate) data_dir: PathBuf,
}

impl Daemon {
    /// Starts `condenser serve` with `config` (TOML) as its configuration file, in a fresh
    /// directory.
    pub(crate) fn start(name: &str, config: &str) -> Daemon {
        Self::start_in(&scratch_dir(name), config)
    }

    /// Starts `condenser serve` in `dir` (its data directory `dir/data`, kept from an
    /// earlier daemon there) with `config` as its configuration file.
    pub(crate) fn start_in(dir: &Path, config: &str) -> Daemon {
        let config_path = dir.join("condenser.toml");
        std::fs::write(&config_path, config).expect("writing the configuration");
        let child = condenser()
            .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
            .arg(dir.join("data"))
            .arg("--config")
            .arg(&config_path)
            .env("CONDENSER_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting condenser serve");
        // From here on, dropping `daemon` (also when a panic unwinds) stops the process.
        let mut daemon = Daemon {
            child,
            url: String::new(),
            banner: Vec::new(),
            data_dir: dir.join("data"),
        };
        let stdout = daemon.child.stdout.take().expect("piped stdout");
        let (lines_tx, lines_rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        loop {
            let line = lines_rx
                .recv_timeout(Duration::from_secs(60))
                .unwrap_or_else(|err| {
                    panic!(
                        "condenser serve did not say where it listens ({err}); printed {:?}",
                        daemon.banner
                    )
                });
            if let Some(url) = line.strip_prefix("Condenser listening on ") {
                daemon.url = url.to_owned();
                daemon.banner.push(line);
                return daemon;
            }
            daemon.banner.push(line);
        }
    }

    /// The daemon's URL followed by `path`.
    pub(crate) fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The value of the metric line that starts with `series` (e.g.
    /// `condenser_points_accepted_total{db="telegraf"}`), or 0 when absent.
    pub(crate) fn metric(&self, series: &str) -> u64 {
        let text = client()
            .get(self.at("/metrics"))
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.text())
            .expect("reading /metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
            .map_or(0, |value| value.parse().expect("a counter value"))
    }
}

impl Daemon {
    /// Stops the daemon as `kill` (SIGTERM) does, waiting for it to exit.
    pub(crate) fn terminate(mut self) {
        let pid = self.child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("running kill");
        assert!(status.success(), "kill -TERM {pid}");
        let _ = self.child.wait();
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that never goes through a proxy.
pub(crate) fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client")
}
