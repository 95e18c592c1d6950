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
    /// The handlers' services, for service tests.
    pub(crate) services: Arc<condenser_handlers::ServicesConfig>,
    /// The configuration's sections as Kapacitor's config API shows them.
    pub(crate) config_sections: Arc<Vec<(&'static str, Vec<crate::config::ApiElement>)>>,
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

/// The services matching `pattern` (every one when empty) with their default test options.
pub(crate) fn service_tests(pattern: &str) -> Vec<(&'static str, serde_json::Value)> {
    condenser_handlers::service_test::SERVICES
        .into_iter()
        .filter(|name| pattern.is_empty() || tasks::glob_match(pattern, name))
        .map(|name| {
            (
                name,
                condenser_handlers::service_test::default_options(name),
            )
        })
        .collect()
}

impl Daemon {
    /// Sends a test alert through service `name` with `options`, off the async runtime: an
    /// empty message when it got through, else why not.
    pub(crate) async fn test_service(
        &self,
        name: &str,
        options: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), String> {
        let services = Arc::clone(&self.services);
        let name = name.to_owned();
        tokio::task::spawn_blocking(move || {
            condenser_handlers::service_test::test_service(&name, &options, &services)
        })
        .await
        .map_err(|e| e.to_string())?
    }
}
