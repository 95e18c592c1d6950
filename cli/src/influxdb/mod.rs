//! Real InfluxDB servers as peers, as Kapacitor's `[[influxdb]]` entries configure them:
//! batch queries of a database that lives there go to its `/query`, `influxDBOut` writes to
//! its `/write` (batched, retried, counted), and subscriptions make it send what it is
//! written to Condenser's `/write` ([`subscriptions`]).

mod client;
pub(crate) mod subscriptions;
mod writer;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use condenser_engine::operators::influxdb_out::Written;
use serde::{Deserialize, Serialize};

pub(crate) use client::Client;
use writer::WriterHandle;

/// One `[[influxdb]]` entry, with kapacitor.conf's keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default, rename_all = "kebab-case")]
pub(crate) struct InfluxDbConfig {
    /// Whether it is used.
    pub(crate) enabled: bool,
    /// Its name (`.cluster()` of query and influxDBOut nodes).
    pub(crate) name: String,
    /// Whether it is the one nodes without `.cluster()` use (the only enabled one is too).
    pub(crate) default: bool,
    /// Its URLs; the first that answers is used.
    pub(crate) urls: Vec<String>,
    /// Basic auth user.
    pub(crate) username: String,
    /// Basic auth password.
    pub(crate) password: String,
    /// A token (`Authorization: Token …`), instead of a user and password.
    pub(crate) token: String,
    /// PEM file of the certificate authority its TLS certificate is checked against.
    pub(crate) ssl_ca: String,
    /// PEM file of a client certificate (with `ssl-key`).
    pub(crate) ssl_cert: String,
    /// PEM file of the client certificate's key.
    pub(crate) ssl_key: String,
    /// Accept any TLS certificate.
    pub(crate) insecure_skip_verify: bool,
    /// How long a request may take (`0s`: no limit).
    pub(crate) timeout: String,
    /// Make no subscriptions.
    pub(crate) disable_subscriptions: bool,
    /// `http`, `https` or `udp`: how InfluxDB sends its writes to Condenser.
    pub(crate) subscription_protocol: String,
    /// `cluster` (subscriptions named after the cluster id) or `server` (the server id).
    pub(crate) subscription_mode: String,
    /// Only these databases and retention policies are subscribed to (empty: all).
    pub(crate) subscriptions: BTreeMap<String, Vec<String>>,
    /// These are never subscribed to.
    pub(crate) excluded_subscriptions: BTreeMap<String, Vec<String>>,
    /// The host InfluxDB sends to (default: the host Condenser listens on, or `localhost`).
    pub(crate) kapacitor_hostname: String,
    /// The port InfluxDB sends to over HTTP (default: the one Condenser listens on).
    pub(crate) http_port: u16,
    /// The address UDP subscriptions' listeners bind (port 0 each).
    pub(crate) udp_bind: String,
    /// How often subscriptions are checked and made right.
    pub(crate) subscriptions_sync_interval: String,
    /// Kapacitor's UDP buffer sizes, start-up timeout, path, compression and shared secret:
    /// accepted, with Kapacitor's meaning where Condenser has one.
    pub(crate) udp_buffer: u64,
    /// As Kapacitor's.
    pub(crate) udp_read_buffer: u64,
    /// How long Condenser keeps trying to reach it at start.
    pub(crate) startup_timeout: String,
    /// A path appended to subscription destinations.
    pub(crate) subscription_path: String,
    /// `gzip` or `none`: how writes to it are sent.
    pub(crate) compression: String,
    /// Kapacitor signs subscription tokens with InfluxDB's shared secret; Condenser does not
    /// use tokens (must be false).
    pub(crate) http_shared_secret: bool,
}

impl Default for InfluxDbConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            name: "default".into(),
            default: false,
            urls: vec!["http://localhost:8086".into()],
            username: String::new(),
            password: String::new(),
            token: String::new(),
            ssl_ca: String::new(),
            ssl_cert: String::new(),
            ssl_key: String::new(),
            insecure_skip_verify: false,
            timeout: "0s".into(),
            disable_subscriptions: false,
            subscription_protocol: "http".into(),
            subscription_mode: "cluster".into(),
            subscriptions: BTreeMap::new(),
            excluded_subscriptions: BTreeMap::from([(
                "_kapacitor".to_owned(),
                vec!["autogen".to_owned()],
            )]),
            kapacitor_hostname: String::new(),
            http_port: 0,
            udp_bind: String::new(),
            subscriptions_sync_interval: "1m".into(),
            udp_buffer: 1000,
            udp_read_buffer: 0,
            startup_timeout: "5m".into(),
            subscription_path: String::new(),
            compression: "gzip".into(),
            http_shared_secret: false,
        }
    }
}

impl InfluxDbConfig {
    /// Checks the entry; an error names the key.
    pub(crate) fn validate(&self) -> anyhow::Result<()> {
        let name = &self.name;
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '-' | '.' | '_'))
        {
            anyhow::bail!("[[influxdb]] name {name:?} must be letters, digits, '-', '.' or '_'");
        }
        if self.urls.is_empty() {
            anyhow::bail!("[[influxdb]] {name:?}: urls must name at least one URL");
        }
        for url in &self.urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                anyhow::bail!("[[influxdb]] {name:?}: urls: {url:?} is not an http(s) URL");
            }
        }
        if !matches!(
            self.subscription_protocol.as_str(),
            "http" | "https" | "udp"
        ) {
            anyhow::bail!(
                "[[influxdb]] {name:?}: subscription-protocol {:?} must be http, https or udp",
                self.subscription_protocol
            );
        }
        if !matches!(self.subscription_mode.as_str(), "cluster" | "server") {
            anyhow::bail!(
                "[[influxdb]] {name:?}: subscription-mode {:?} must be cluster or server",
                self.subscription_mode
            );
        }
        if !matches!(self.compression.as_str(), "gzip" | "none" | "") {
            anyhow::bail!(
                "[[influxdb]] {name:?}: compression {:?} must be gzip or none",
                self.compression
            );
        }
        if self.http_shared_secret {
            anyhow::bail!(
                "[[influxdb]] {name:?}: http-shared-secret (subscription tokens) is not supported by Condenser yet"
            );
        }
        for (key, value) in [
            ("timeout", &self.timeout),
            (
                "subscriptions-sync-interval",
                &self.subscriptions_sync_interval,
            ),
            ("startup-timeout", &self.startup_timeout),
        ] {
            crate::config::parse_duration(value)
                .with_context(|| format!("[[influxdb]] {name:?}: {key} {value:?}"))?;
        }
        Ok(())
    }

    /// The entry with its password and token masked, for `condenser config`.
    pub(crate) fn masked(&self) -> Self {
        let mask = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                "********".to_owned()
            }
        };
        Self {
            password: mask(&self.password),
            token: mask(&self.token),
            ..self.clone()
        }
    }

    fn duration(value: &str) -> Duration {
        crate::config::parse_duration(value).unwrap_or_default()
    }
}

/// What is sent to and read from one InfluxDB, for `/metrics`.
#[derive(Debug, Default)]
pub(crate) struct PeerCounters {
    pub(crate) queries: std::sync::atomic::AtomicU64,
    pub(crate) query_errors: std::sync::atomic::AtomicU64,
    pub(crate) points_written: std::sync::atomic::AtomicU64,
    pub(crate) write_errors: std::sync::atomic::AtomicU64,
}

/// One configured InfluxDB: its client, the databases it has (looked up now and then),
/// and its writer.
#[derive(Debug)]
pub(crate) struct Peer {
    pub(crate) config: InfluxDbConfig,
    pub(crate) client: Client,
    pub(crate) counters: Arc<PeerCounters>,
    writer: WriterHandle,
    databases: Mutex<(Option<Instant>, Vec<String>)>,
}

/// How long the list of an InfluxDB's databases is trusted.
const DATABASES_TTL: Duration = Duration::from_secs(30);

impl Peer {
    /// Whether database `db` lives there (asked at most every half minute).
    fn has_database(&self, db: &str) -> bool {
        let mut cached = self.databases.lock().unwrap_or_else(|e| e.into_inner());
        let age = cached.0.map(|at| at.elapsed());
        let stale = age.is_none_or(|age| age >= DATABASES_TTL);
        // A database not seen may have been made since: looked for again after a while.
        let missing = !cached.1.iter().any(|d| d == db)
            && age.is_none_or(|age| age >= Duration::from_secs(5));
        if stale || missing {
            match self.client.databases() {
                Ok(databases) => *cached = (Some(Instant::now()), databases),
                Err(error) => {
                    tracing::warn!(influxdb = self.config.name, %error, "cannot list the databases");
                    *cached = (Some(Instant::now()), Vec::new());
                }
            }
        }
        cached.1.iter().any(|d| d == db)
    }
}

/// The configured InfluxDB servers, as the engine's [`condenser_engine::Peers`].
#[derive(Debug, Default)]
pub(crate) struct InfluxDbs {
    peers: Vec<Arc<Peer>>,
}

impl InfluxDbs {
    /// The enabled entries of `configs`, their writers started.
    pub(crate) fn start(configs: &[InfluxDbConfig]) -> anyhow::Result<Self> {
        let mut peers = Vec::new();
        for config in configs.iter().filter(|c| c.enabled) {
            config.validate()?;
            let client = Client::new(config)?;
            let counters = Arc::new(PeerCounters::default());
            let writer = writer::start(client.clone(), Arc::clone(&counters), &config.name);
            peers.push(Arc::new(Peer {
                config: config.clone(),
                client,
                counters,
                writer,
                databases: Mutex::new((None, Vec::new())),
            }));
        }
        let defaults = peers.iter().filter(|p| p.config.default).count();
        if defaults > 1 {
            anyhow::bail!("more than one [[influxdb]] is the default");
        }
        let mut names = HashMap::new();
        for peer in &peers {
            if names.insert(peer.config.name.clone(), ()).is_some() {
                anyhow::bail!("two [[influxdb]] entries are named {:?}", peer.config.name);
            }
        }
        Ok(Self { peers })
    }

    /// Whether none is configured.
    pub(crate) fn is_empty(&self) -> bool {
        self.peers.is_empty()
    }

    /// The configured servers.
    pub(crate) fn peers(&self) -> &[Arc<Peer>] {
        &self.peers
    }

    /// The InfluxDB named `cluster`, or with an empty name the default one (the only one,
    /// or the one marked `default`).
    fn named(&self, cluster: &str) -> Option<&Arc<Peer>> {
        if !cluster.is_empty() {
            return self.peers.iter().find(|p| p.config.name == cluster);
        }
        self.peers
            .iter()
            .find(|p| p.config.default)
            .or(match self.peers.as_slice() {
                [only] => Some(only),
                _ => None,
            })
    }

    /// Waits for every write handed over so far to be sent (or to fail).
    pub(crate) fn flush(&self) {
        for peer in &self.peers {
            peer.writer.flush();
        }
    }

    /// The counters, as `/metrics` lines.
    pub(crate) fn render_metrics(&self, out: &mut String) {
        use std::fmt::Write as _;
        use std::sync::atomic::Ordering::Relaxed;
        type Counter = fn(&PeerCounters) -> u64;
        let counters: [(&str, &str, Counter); 4] = [
            (
                "condenser_influxdb_queries_total",
                "Batch queries sent to the InfluxDB.",
                |c| c.queries.load(Relaxed),
            ),
            (
                "condenser_influxdb_query_errors_total",
                "Batch queries the InfluxDB failed.",
                |c| c.query_errors.load(Relaxed),
            ),
            (
                "condenser_influxdb_points_written_total",
                "influxDBOut points the InfluxDB took.",
                |c| c.points_written.load(Relaxed),
            ),
            (
                "condenser_influxdb_write_errors_total",
                "influxDBOut points that could not be written to the InfluxDB after retries.",
                |c| c.write_errors.load(Relaxed),
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for peer in &self.peers {
                let _ = writeln!(
                    out,
                    "{name}{{influxdb={:?}}} {}",
                    peer.config.name,
                    value(&peer.counters)
                );
            }
        }
    }
}

impl condenser_engine::Peers for InfluxDbs {
    fn query(
        &self,
        cluster: &str,
        db: &str,
        query: &str,
    ) -> Option<Result<serde_json::Value, String>> {
        let peer = self.named(cluster)?;
        // Without `.cluster()`, a query goes to the default InfluxDB only where its database
        // lives; else it runs on the embedded store.
        if cluster.is_empty() && !peer.has_database(db) {
            return None;
        }
        use std::sync::atomic::Ordering::Relaxed;
        peer.counters.queries.fetch_add(1, Relaxed);
        let answer = peer
            .client
            .query(Some(db), query)
            .map_err(|e| e.to_string());
        if answer.is_err() {
            peer.counters.query_errors.fetch_add(1, Relaxed);
        }
        Some(answer)
    }

    fn write(&self, written: &Written) -> bool {
        match self.named(&written.cluster) {
            Some(peer) => {
                peer.writer.send(written);
                true
            }
            None if self.peers.is_empty() => false,
            None => {
                tracing::error!(
                    cluster = %written.cluster,
                    "influxDBOut names an InfluxDB that is not configured; the points were dropped"
                );
                true
            }
        }
    }
}
