//! The daemon's own parts beside ingest, the engine and the handlers: the durable store,
//! the defined tasks and templates, the alert topics and topic handlers, and the two faces
//! over them: the control plane's gRPC service and
//! Kapacitor's HTTP API.

pub(crate) mod alerts;
pub(crate) mod auth;
pub(crate) mod control_service;
pub(crate) mod kapacitor_api;
pub(crate) mod logs;
pub(crate) mod recordings;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod tasks;
pub(crate) mod tls;

use std::sync::Arc;

/// The daemon's parts the control plane and Kapacitor's API serve. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Daemon {
    /// The tasks and templates.
    pub(crate) tasks: Arc<tasks::Tasks>,
    /// The topics and topic handlers.
    pub(crate) alerts: Arc<alerts::Alerts>,
    /// Who the server is and what it took.
    pub(crate) stats: Arc<stats::ServerStats>,
    /// The log lines.
    pub(crate) logs: logs::LogStream,
    /// The recordings and replays.
    pub(crate) recordings: Arc<recordings::Recordings>,
    /// The durable records (for backups).
    pub(crate) store: Arc<store::Store>,
}

impl Daemon {
    /// A backup of the store: a consistent copy of its records as a redb file's bytes
    /// (the tasks, templates, topic handlers and the server's identity), off the async
    /// runtime.
    pub(crate) async fn backup(&self) -> Result<Vec<u8>, String> {
        let store = Arc::clone(&self.store);
        tokio::task::spawn_blocking(move || {
            let path = std::env::temp_dir().join(format!(
                "condenser-backup-{}.redb",
                crate::replay::random_id()
            ));
            let copied = store.backup(&path).map_err(|e| e.to_string());
            let bytes = copied.and_then(|()| std::fs::read(&path).map_err(|e| e.to_string()));
            let _ = std::fs::remove_file(&path);
            bytes
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
