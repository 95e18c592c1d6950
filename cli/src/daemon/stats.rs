//! [`ServerStats`]: who the server is (its cluster and server ids, kept in the store so they
//! survive restarts), what it runs and what it took: Kapacitor's `stats general`,
//! `stats ingress` and `debug/vars`, behind the control plane and the HTTP API.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value as Json, json};

use super::store::{Collection, Store, StoreError};
use super::tasks::Tasks;
use crate::control::proto;

/// The ids a server keeps for life, as Kapacitor's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Identity {
    /// Its cluster's id.
    pub(crate) cluster_id: String,
    /// Its own id.
    pub(crate) server_id: String,
}

impl Identity {
    /// The identity `store` keeps; a new one (stored) for a new data directory.
    pub(crate) fn load(store: &Store) -> Result<Self, StoreError> {
        let stored: Vec<(String, Identity)> = store.all(Collection::SERVER)?;
        if let Some((_, identity)) = stored.into_iter().find(|(key, _)| key == "identity") {
            return Ok(identity);
        }
        let identity = Identity {
            cluster_id: crate::replay::random_id(),
            server_id: crate::replay::random_id(),
        };
        store.put(Collection::SERVER, "identity", &identity)?;
        Ok(identity)
    }
}

/// The platform Kapacitor's stats name (its open-source build's).
const PLATFORM: &str = "OSS";

/// What the server's stats read.
#[derive(Debug)]
pub(crate) struct ServerStats {
    identity: Identity,
    host: String,
    tasks: Arc<Tasks>,
}

impl ServerStats {
    /// The stats of the server `identity` on `host`, running `tasks`.
    pub(crate) fn new(identity: Identity, host: String, tasks: Arc<Tasks>) -> Self {
        Self {
            identity,
            host,
            tasks,
        }
    }

    /// Kapacitor's `stats general` and `stats ingress`.
    pub(crate) async fn stats(&self) -> proto::Stats {
        let (num_tasks, num_enabled_tasks) = self.tasks.counts().await;
        proto::Stats {
            cluster_id: self.identity.cluster_id.clone(),
            server_id: self.identity.server_id.clone(),
            host: self.host.clone(),
            num_tasks,
            num_enabled_tasks,
            num_subscriptions: 0,
            platform: PLATFORM.to_owned(),
            version: super::kapacitor_api::KAPACITOR_VERSION.to_owned(),
            ingress: self
                .tasks
                .engine()
                .stats()
                .ingress()
                .into_iter()
                .map(
                    |(database, retention_policy, measurement, points_received)| proto::Ingress {
                        database,
                        retention_policy,
                        measurement,
                        points_received,
                    },
                )
                .collect(),
        }
    }

    /// Kapacitor's `debug/vars` document: its keys in order, one per line, as Kapacitor
    /// writes it; the statistics under `kapacitor` (one `ingress` per database, retention
    /// policy and measurement) carry the server's tags.
    pub(crate) async fn debug_vars(&self) -> String {
        let stats = self.stats().await;
        let tags = |extra: Json| {
            let mut tags = json!({
                "cluster_id": stats.cluster_id,
                "server_id": stats.server_id,
                "host": stats.host,
            });
            if let (Json::Object(tags), Json::Object(extra)) = (&mut tags, extra) {
                tags.extend(extra);
            }
            tags
        };
        let statistics: serde_json::Map<String, Json> = stats
            .ingress
            .iter()
            .enumerate()
            .map(|(index, ingress)| {
                (
                    format!("ingress-{index}"),
                    json!({
                        "name": "ingress",
                        "tags": tags(json!({
                            "task_master": "main",
                            "database": ingress.database,
                            "retention_policy": ingress.retention_policy,
                            "measurement": ingress.measurement,
                        })),
                        "values": {"points_received": ingress.points_received},
                    }),
                )
            })
            .collect();
        let entries = [
            ("cluster_id", json!(stats.cluster_id)),
            ("cmdline", json!(std::env::args().collect::<Vec<_>>())),
            ("host", json!(stats.host)),
            ("kapacitor", Json::Object(statistics)),
            ("memstats", json!({})),
            ("num_enabled_tasks", json!(stats.num_enabled_tasks)),
            ("num_subscriptions", json!(stats.num_subscriptions)),
            ("num_tasks", json!(stats.num_tasks)),
            ("platform", json!(stats.platform)),
            ("product", json!("kapacitor")),
            ("server_id", json!(stats.server_id)),
            ("version", json!(stats.version)),
        ];
        let lines: Vec<String> = entries
            .iter()
            .map(|(key, value)| format!("{key:?}: {value}"))
            .collect();
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }
}
