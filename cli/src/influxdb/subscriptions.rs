//! Subscriptions, as Kapacitor makes them: on each configured InfluxDB, one subscription
//! per database and retention policy (all of them, or those `subscriptions` names, less
//! `excluded-subscriptions`), named `kapacitor-<cluster id>` (or the server id), sending
//! every write to Condenser over HTTP or UDP. At start and every
//! `subscriptions-sync-interval`, what is missing is created, and subscriptions of that name
//! that are not wanted or point elsewhere are dropped, so they stay right across restarts.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use condenser_ingest::Writer;
use condenser_ingest::udp::UdpConfig;
use serde_json::Value;

use super::client::first_column;
use super::{InfluxDbConfig, InfluxDbs, Peer};

/// Who Condenser is and where InfluxDB reaches it.
#[derive(Debug, Clone)]
pub(crate) struct Destination {
    /// The cluster's id (subscription names in `cluster` mode).
    pub(crate) cluster_id: String,
    /// The server's id (in `server` mode).
    pub(crate) server_id: String,
    /// The address Condenser's HTTP API listens on.
    pub(crate) listening: SocketAddr,
    /// Credentials InfluxDB must send, when Condenser asks for basic auth.
    pub(crate) credentials: Option<(String, String)>,
    /// Where datagrams of UDP subscriptions go.
    pub(crate) writer: Writer,
    /// The retention policy of writes that name none.
    pub(crate) default_retention_policy: String,
}

/// Stops the subscription thread when dropped.
#[derive(Debug)]
pub(crate) struct Syncing {
    _stop: crossbeam_channel::Sender<()>,
}

/// Starts keeping the subscriptions of every InfluxDB of `peers` right.
pub(crate) fn start(peers: Arc<InfluxDbs>, destination: Destination) -> Syncing {
    let (stop, stopped) = crossbeam_channel::bounded::<()>(0);
    let runtime = tokio::runtime::Handle::current();
    let spawned = std::thread::Builder::new()
        .name("influxdb-subscriptions".into())
        .spawn(move || {
            let mut states: Vec<PeerState> = peers
                .peers()
                .iter()
                .map(|peer| PeerState {
                    peer: Arc::clone(peer),
                    udp: HashMap::new(),
                    started: Instant::now(),
                    next: Instant::now(),
                })
                .collect();
            loop {
                for state in &mut states {
                    if Instant::now() >= state.next {
                        state.sync(&destination, &runtime);
                    }
                }
                let next = states.iter().map(|s| s.next).min();
                let wait = next.map_or(Duration::from_secs(60), |n| {
                    n.saturating_duration_since(Instant::now())
                });
                match stopped.recv_timeout(wait) {
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                    _ => break,
                }
            }
            for state in states {
                for (_, (_, task)) in state.udp {
                    task.abort();
                }
            }
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "cannot start keeping InfluxDB subscriptions");
    }
    Syncing { _stop: stop }
}

/// One InfluxDB's subscriptions as Condenser keeps them.
struct PeerState {
    peer: Arc<Peer>,
    /// The UDP listeners of its UDP subscriptions, by database and retention policy.
    udp: HashMap<(String, String), (SocketAddr, tokio::task::JoinHandle<()>)>,
    started: Instant,
    next: Instant,
}

/// An InfluxQL identifier, double-quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

impl PeerState {
    fn sync(&mut self, destination: &Destination, runtime: &tokio::runtime::Handle) {
        let peer = Arc::clone(&self.peer);
        let config = &peer.config;
        let interval = InfluxDbConfig::duration(&config.subscriptions_sync_interval)
            .max(Duration::from_secs(1));
        if config.disable_subscriptions {
            self.next = Instant::now() + Duration::from_secs(3600 * 24 * 365);
            return;
        }
        match self.link(destination, runtime) {
            Ok(()) => self.next = Instant::now() + interval,
            Err(error) => {
                // Until it answers: a few seconds apart during the start-up timeout.
                let startup = InfluxDbConfig::duration(&config.startup_timeout);
                let retry = if self.started.elapsed() < startup {
                    Duration::from_secs(2)
                } else {
                    interval
                };
                tracing::warn!(influxdb = config.name, %error, "cannot link the subscriptions");
                self.next = Instant::now() + retry;
            }
        }
    }

    /// Makes the subscriptions right.
    fn link(
        &mut self,
        destination: &Destination,
        runtime: &tokio::runtime::Handle,
    ) -> Result<(), String> {
        let peer = Arc::clone(&self.peer);
        let config = &peer.config;
        let client = &peer.client;
        let name = format!(
            "kapacitor-{}",
            if config.subscription_mode == "server" {
                &destination.server_id
            } else {
                &destination.cluster_id
            }
        );
        let mut wanted: BTreeSet<(String, String)> = BTreeSet::new();
        for db in client.databases().map_err(|e| e.to_string())? {
            let policies = client
                .query(None, &format!("SHOW RETENTION POLICIES ON {}", ident(&db)))
                .map_err(|e| e.to_string())?;
            for rp in first_column(&policies) {
                if should_exist(config, &db, &rp) {
                    wanted.insert((db.clone(), rp));
                }
            }
        }
        // The UDP listeners of subscriptions no longer wanted stop.
        self.udp.retain(|key, (_, task)| {
            let keep = wanted.contains(key);
            if !keep {
                task.abort();
            }
            keep
        });
        let mut destinations: BTreeMap<(String, String), String> = BTreeMap::new();
        for (db, rp) in &wanted {
            let url = self.destination(config, destination, db, rp, runtime)?;
            destinations.insert((db.clone(), rp.clone()), url);
        }
        let existing = client
            .query(None, "SHOW SUBSCRIPTIONS")
            .map_err(|e| e.to_string())?;
        let mut present: BTreeSet<(String, String)> = BTreeSet::new();
        for (db, rp, sub, targets) in subscriptions(&existing) {
            if sub != name {
                continue;
            }
            let key = (db.clone(), rp.clone());
            let right = destinations
                .get(&key)
                .is_some_and(|url| targets == [url.clone()]);
            if right {
                present.insert(key);
            } else {
                tracing::info!(
                    influxdb = config.name,
                    db,
                    rp,
                    "dropping a stale subscription"
                );
                client
                    .query(
                        None,
                        &format!(
                            "DROP SUBSCRIPTION {} ON {}.{}",
                            ident(&name),
                            ident(&db),
                            ident(&rp)
                        ),
                    )
                    .map_err(|e| e.to_string())?;
            }
        }
        for ((db, rp), url) in &destinations {
            if present.contains(&(db.clone(), rp.clone())) {
                continue;
            }
            tracing::info!(
                influxdb = config.name,
                db,
                rp,
                url,
                "creating a subscription"
            );
            client
                .query(
                    None,
                    &format!(
                        "CREATE SUBSCRIPTION {} ON {}.{} DESTINATIONS ALL '{}'",
                        ident(&name),
                        ident(db),
                        ident(rp),
                        url.replace('\\', "\\\\").replace('\'', "\\'")
                    ),
                )
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// Where InfluxDB sends the writes of `db`.`rp`: Condenser's HTTP API, or a UDP
    /// listener of that database's own.
    fn destination(
        &mut self,
        config: &InfluxDbConfig,
        destination: &Destination,
        db: &str,
        rp: &str,
        runtime: &tokio::runtime::Handle,
    ) -> Result<String, String> {
        let host = if !config.kapacitor_hostname.is_empty() {
            config.kapacitor_hostname.clone()
        } else if destination.listening.ip().is_unspecified() {
            "localhost".to_owned()
        } else {
            destination.listening.ip().to_string()
        };
        if config.subscription_protocol == "udp" {
            let key = (db.to_owned(), rp.to_owned());
            if let Some((addr, _)) = self.udp.get(&key) {
                return Ok(format!("udp://{host}:{}", addr.port()));
            }
            let bind_host = if config.udp_bind.is_empty() {
                destination.listening.ip().to_string()
            } else {
                config.udp_bind.clone()
            };
            let bind: SocketAddr = format!("{bind_host}:0")
                .parse()
                .or_else(|_| bind_host.parse())
                .map_err(|e| format!("udp-bind {bind_host:?}: {e}"))?;
            let udp = UdpConfig {
                bind,
                database: db.to_owned(),
                retention_policy: Some(rp.to_owned()),
                precision: None,
            };
            let (addr, task) = runtime
                .block_on(condenser_ingest::udp::spawn(
                    &udp,
                    &destination.default_retention_policy,
                    destination.writer.clone(),
                ))
                .map_err(|e| e.to_string())?;
            self.udp.insert(key, (addr, task));
            return Ok(format!("udp://{host}:{}", addr.port()));
        }
        let port = if config.http_port != 0 {
            config.http_port
        } else {
            destination.listening.port()
        };
        let credentials = match &destination.credentials {
            Some((user, password)) => format!("{}:{}@", encode(user), encode(password)),
            None => String::new(),
        };
        Ok(format!(
            "{}://{credentials}{host}:{port}{}",
            config.subscription_protocol, config.subscription_path
        ))
    }
}

/// Percent-encodes what a URL's user information cannot hold as it is.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Whether `db`.`rp` should be subscribed to.
fn should_exist(config: &InfluxDbConfig, db: &str, rp: &str) -> bool {
    let listed = |map: &BTreeMap<String, Vec<String>>| {
        map.get(db).is_some_and(|rps| rps.iter().any(|r| r == rp))
    };
    (config.subscriptions.is_empty() || listed(&config.subscriptions))
        && !listed(&config.excluded_subscriptions)
}

/// The subscriptions of a `SHOW SUBSCRIPTIONS` answer: database, retention policy, name,
/// destinations.
fn subscriptions(answer: &Value) -> Vec<(String, String, String, Vec<String>)> {
    let mut found = Vec::new();
    for series in answer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["series"].as_array().into_iter().flatten())
    {
        let db = series["name"].as_str().unwrap_or_default().to_owned();
        let columns: Vec<&str> = series["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let at = |name: &str| columns.iter().position(|c| *c == name);
        let (Some(rp), Some(sub), Some(targets)) =
            (at("retention_policy"), at("name"), at("destinations"))
        else {
            continue;
        };
        for row in series["values"].as_array().into_iter().flatten() {
            let text = |i: usize| {
                row.get(i)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let destinations = row
                .get(targets)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect();
            found.push((db.clone(), text(rp), text(sub), destinations));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusions_and_lists_choose_the_subscriptions() {
        let mut config = InfluxDbConfig::default();
        assert!(should_exist(&config, "telegraf", "autogen"));
        assert!(!should_exist(&config, "_kapacitor", "autogen"));
        config.subscriptions = BTreeMap::from([("telegraf".into(), vec!["autogen".into()])]);
        assert!(should_exist(&config, "telegraf", "autogen"));
        assert!(!should_exist(&config, "other", "autogen"));
    }

    #[test]
    fn show_subscriptions_is_read_by_column_name() {
        let answer = serde_json::json!({"results": [{"statement_id": 0, "series": [{
            "name": "telegraf",
            "columns": ["retention_policy", "name", "mode", "destinations"],
            "values": [["autogen", "kapacitor-x", "ALL", ["http://127.0.0.1:9092"]]]
        }]}]});
        assert_eq!(
            subscriptions(&answer),
            vec![(
                "telegraf".into(),
                "autogen".into(),
                "kapacitor-x".into(),
                vec!["http://127.0.0.1:9092".into()]
            )]
        );
        assert_eq!(encode("a b@c"), "a%20b%40c");
    }
}
