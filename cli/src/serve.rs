//! `condenser serve`: the daemon, wiring ingest to the engine on one listener.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use condenser_engine::alerts::{AlertContext, AlertSink, ServerInfo};
use condenser_engine::{
    EngineConfig, EngineService, EngineStats, QueueStatistics, Refused, TaskRouter,
};
use condenser_ingest::http::{HttpApiConfig, MetricsSource};
use condenser_ingest::metrics::IngestMetrics;
use condenser_ingest::write::HandOver;
use condenser_ingest::{WriteRefused, WriteRoute, Writer};
use condenser_model::WriteBatch;
use tokio::net::TcpListener;

use crate::config::Config;
use crate::daemon::Daemon;
use crate::daemon::alerts::Alerts;
use crate::daemon::logs::LogStream;
use crate::daemon::recordings::Recordings;
use crate::daemon::stats::{Identity, ServerStats};
use crate::daemon::store::Store;
use crate::daemon::tasks::Tasks;
use crate::daemon::{control_service, kapacitor_api};

/// Ingest's writes go to the engine's router, into the queues of the tasks that take them.
#[derive(Debug)]
struct EngineRoute(TaskRouter);

impl WriteRoute for EngineRoute {
    fn hand_over(&self, batches: Vec<WriteBatch>, timeout: Duration) -> HandOver<'_> {
        Box::pin(async move {
            self.0
                .hand_over(batches, timeout)
                .await
                .map_err(|refused| match refused {
                    Refused::Busy { task, waited } => WriteRefused::Busy {
                        behind: format!("task {task:?}"),
                        waited,
                    },
                    Refused::Closed => WriteRefused::Closed,
                })
        })
    }
}

/// The engine's counters and its tasks' queues on `/metrics`.
struct EngineMetrics {
    stats: Arc<EngineStats>,
    router: TaskRouter,
    store: Arc<condenser_engine::store::StoreCounters>,
}

impl MetricsSource for EngineMetrics {
    fn render(&self, out: &mut String) {
        for (name, help, value) in [
            (
                "condenser_engine_writes_total",
                "Writes taken by the engine from ingest.",
                self.stats.writes(),
            ),
            (
                "condenser_engine_points_total",
                "Points taken by the engine from ingest.",
                self.stats.points(),
            ),
            (
                "condenser_engine_write_back_dropped_total",
                "influxDBOut writes dropped: a task they go to stayed behind, or they looped.",
                self.stats.errors(),
            ),
        ] {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let store = &self.store;
        for (name, kind, help, value) in [
            (
                "condenser_store_points",
                "gauge",
                "Points the embedded store keeps for batch queries.",
                &store.points,
            ),
            (
                "condenser_store_bytes",
                "gauge",
                "Memory the embedded store's record batches take.",
                &store.bytes,
            ),
            (
                "condenser_store_expired_points_total",
                "counter",
                "Points the store dropped as older than [engine] store_retention.",
                &store.expired_points,
            ),
            (
                "condenser_store_evicted_points_total",
                "counter",
                "Points the store dropped to stay under [engine] store_max_bytes.",
                &store.evicted_points,
            ),
        ] {
            let value = value.load(std::sync::atomic::Ordering::Relaxed);
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        }
        let queues = self.router.queues();
        type Column = fn(&QueueStatistics) -> String;
        let columns: [(&str, &str, &str, Column); 8] = [
            (
                "condenser_task_queue_depth",
                "gauge",
                "Writes waiting in the task's input queue.",
                |q| q.depth.to_string(),
            ),
            (
                "condenser_task_queue_capacity",
                "gauge",
                "Writes the task's input queue holds before writers wait.",
                |q| q.capacity.to_string(),
            ),
            (
                "condenser_task_queue_writes_total",
                "counter",
                "Writes put in the task's input queue.",
                |q| q.writes.to_string(),
            ),
            (
                "condenser_task_queue_points_total",
                "counter",
                "Points put in the task's input queue.",
                |q| q.points.to_string(),
            ),
            (
                "condenser_task_queue_waits_total",
                "counter",
                "Writes that found the task's queue full and waited.",
                |q| q.waits.to_string(),
            ),
            (
                "condenser_task_queue_wait_seconds_total",
                "counter",
                "Time writes waited for room in the task's queue.",
                |q| q.wait_seconds.to_string(),
            ),
            (
                "condenser_task_queue_refused_total",
                "counter",
                "Writes refused because the task's queue stayed full.",
                |q| q.refused.to_string(),
            ),
            (
                "condenser_task_expired_groups_total",
                "counter",
                "Groups the task forgot as idle past [engine] group_expiry.",
                |q| q.expired_groups.to_string(),
            ),
        ];
        for (name, kind, help, value) in columns {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
            for queue in &queues {
                let _ = writeln!(out, "{name}{{task={:?}}} {}", queue.task, value(queue));
            }
        }
    }
}

/// What went to and came from the configured InfluxDB servers, on `/metrics`.
struct InfluxDbMetrics(Arc<crate::influxdb::InfluxDbs>);

impl MetricsSource for InfluxDbMetrics {
    fn render(&self, out: &mut String) {
        self.0.render_metrics(out);
    }
}

/// The alert handlers' counters on `/metrics`.
struct HandlerMetrics(condenser_handlers::CountersHandle);

impl MetricsSource for HandlerMetrics {
    fn render(&self, out: &mut String) {
        self.0.render(out);
    }
}

/// The file of the alert handlers' outbox in the data directory.
const OUTBOX_FILE: &str = "alerts.redb";

/// The file of the defined tasks (and the rest of the daemon's records) in the data
/// directory.
const STORE_FILE: &str = "condenser.redb";

/// This machine's name, for templates' `.ServerInfo.Hostname`.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_owned())
        .unwrap_or_else(|_| "localhost".to_owned())
}

/// Runs the daemon until SIGINT or SIGTERM, its log lines (as the tracing subscriber's
/// [`crate::daemon::logs::LogLayer`] gives them) streamed to whoever asks on `logs`.
pub(crate) async fn run(
    config: Config,
    insecure_no_auth: bool,
    logs: LogStream,
) -> anyhow::Result<()> {
    if !config.bind.ip().is_loopback() && !config.auth.enabled() && !insecure_no_auth {
        anyhow::bail!(
            "refusing to serve {} without authentication: set [auth] token (or username and \
             password), or pass --insecure-no-auth",
            config.bind
        );
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    let write_timeout = config.http.write_timeout()?;
    // The defined tasks, templates and topic handlers, and who this server is.
    let store =
        Arc::new(Store::open(&config.data_dir.join(STORE_FILE)).context("opening the task store")?);
    let identity = Identity::load(&store).context("reading the server's identity")?;
    // The handlers deliver from a durable outbox: what waited for a down endpoint when the
    // daemon stopped is delivered once it is back.
    let outbox = condenser_handlers::Outbox::open(&config.data_dir.join(OUTBOX_FILE))
        .context("opening the alert outbox")?;
    let services = config.services();
    let globals = services.globals();
    let topics = condenser_model::topic::TopicStates::default();
    let handlers = Arc::new(condenser_handlers::HandlerService::start(
        condenser_handlers::ServiceConfig::default(),
        services,
        topics.clone(),
        outbox,
    ));
    // The engine's task registry takes every write; its alert nodes send to the handlers
    // without waiting (a full queue is counted, never waited on).
    let alerts = AlertContext {
        sink: AlertSink::new(handlers.sender()),
        topics,
        globals,
        server: ServerInfo {
            hostname: hostname(),
            cluster_id: identity.cluster_id.clone(),
            server_id: identity.server_id.clone(),
        },
        ..AlertContext::default()
    };
    let replay_alerts = alerts.clone();
    // Blocking HTTP clients are made (and used) off the async runtime.
    let influxdb_configs = config.influxdb.clone();
    let influxdbs = Arc::new(
        tokio::task::spawn_blocking(move || crate::influxdb::InfluxDbs::start(&influxdb_configs))
            .await?
            .context("[[influxdb]]")?,
    );
    let peers: Option<Arc<dyn condenser_engine::Peers>> = if influxdbs.is_empty() {
        None
    } else {
        Some(Arc::clone(&influxdbs) as Arc<dyn condenser_engine::Peers>)
    };
    let engine = EngineService::start_with_peers(
        alerts,
        EngineConfig {
            queue_capacity: config.http.write_queue.max(1),
            write_back_timeout: write_timeout,
            group_expiry: config.engine.group_expiry()?,
            store: config.engine.store(&config.data_dir)?,
        },
        peers,
    );
    let router = engine.router();
    let metrics_handlers = handlers.counters_handle();
    // The defined tasks come back from the store; the enabled ones start.
    // The topic handlers subscribe before the tasks start publishing.
    let alerts = Arc::new(
        Alerts::load(Arc::clone(&store), Arc::clone(&handlers))
            .context("loading the topic handlers")?,
    );
    let tasks = Arc::new(
        Tasks::load(
            Arc::clone(&store),
            engine,
            Arc::clone(&handlers),
            config.deadman.planner()?,
        )
        .await
        .context("loading the defined tasks")?,
    );
    let services = Arc::new(config.services());
    let daemon = Daemon {
        tasks: Arc::clone(&tasks),
        alerts: Arc::clone(&alerts),
        stats: Arc::new(ServerStats::new(
            identity.clone(),
            hostname(),
            Arc::clone(&tasks),
        )),
        logs,
        recordings: Arc::new(
            Recordings::load(
                Arc::clone(&store),
                config.data_dir.join("recordings"),
                Arc::clone(&tasks),
                Arc::clone(&services),
                replay_alerts,
            )
            .context("loading the recordings")?,
        ),
        store: Arc::clone(&store),
        services,
        config_sections: Arc::new(config.api_sections()),
    };
    let writer = Writer::new(
        EngineRoute(router.clone()),
        Arc::new(IngestMetrics::default()),
        write_timeout,
    );
    // Arrow Flight's DoPut takes batches into the same write path.
    let flight = condenser_ingest::flight::FlightIngest::new(
        writer.clone(),
        config.http.default_retention_policy.as_str().into(),
    );

    let mut udp_tasks = Vec::new();
    for udp in &config.udp {
        let (addr, task) = condenser_ingest::udp::spawn(
            udp,
            &config.http.default_retention_policy,
            writer.clone(),
        )
        .await?;
        println!(
            "Condenser UDP listener for database {:?} on {addr}",
            udp.database
        );
        udp_tasks.push(task);
    }

    let engine_stats = tasks.engine().stats();
    let store_counters = Arc::clone(tasks.engine().store().counters());
    let subscription_writer = writer.clone();
    let api = condenser_ingest::http::router(
        writer,
        HttpApiConfig {
            max_body_bytes: config.http.max_body_bytes,
            default_retention_policy: config.http.default_retention_policy.as_str().into(),
        },
        vec![
            Arc::new(EngineMetrics {
                stats: engine_stats,
                router,
                store: store_counters,
            }),
            Arc::new(HandlerMetrics(metrics_handlers)),
            Arc::new(InfluxDbMetrics(Arc::clone(&influxdbs))),
        ],
    )
    .merge(kapacitor_api::router(&daemon))
    // The control plane and Arrow Flight: gRPC on the same port, under their own paths
    // (`/condenser.v1.Control/…`, `/arrow.flight.protocol.FlightService/…`, content type
    // application/grpc), over HTTP/2.
    .merge(
        tonic::service::Routes::new(control_service::server(&daemon))
            .add_service(flight.server())
            .prepare()
            .into_axum_router(),
    );
    drop(daemon);
    let api = if config.auth.enabled() {
        api.layer(axum::middleware::from_fn_with_state(
            Arc::new(config.auth.clone()),
            crate::daemon::auth::authenticate,
        ))
    } else {
        api
    };
    let tls = match config.http.https_enabled {
        true => Some(crate::daemon::tls::acceptor(
            &config.http.https_certificate,
            &config.http.https_private_key,
        )?),
        false => None,
    };
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let addr = listener.local_addr()?;
    // Subscriptions on the InfluxDB servers, once the port they send to is known.
    let subscriptions = (!influxdbs.is_empty()).then(|| {
        crate::influxdb::subscriptions::start(
            Arc::clone(&influxdbs),
            crate::influxdb::subscriptions::Destination {
                cluster_id: identity.cluster_id.clone(),
                server_id: identity.server_id.clone(),
                listening: addr,
                credentials: (!config.auth.username.is_empty())
                    .then(|| (config.auth.username.clone(), config.auth.password.clone())),
                writer: subscription_writer.clone(),
                default_retention_policy: config.http.default_retention_policy.clone(),
            },
        )
    });
    let scheme = if tls.is_some() { "https" } else { "http" };
    // Tests and scripts read this line to find the port when binding port 0.
    println!("Condenser listening on {scheme}://{addr}");
    tracing::info!(%addr, data_dir = %config.data_dir.display(), "condenser started");
    match tls {
        Some(acceptor) => crate::daemon::tls::serve(listener, acceptor, api, shutdown_signal())
            .await
            .context("serving HTTPS")?,
        None => axum::serve(listener, api)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .context("serving HTTP")?,
    }
    for task in udp_tasks {
        task.abort();
    }
    drop(subscriptions);
    // The listeners have stopped: each task takes what is queued for it and stops, then the
    // handlers deliver what they were given.
    let tasks = Arc::try_unwrap(tasks)
        .map_err(|_| anyhow::anyhow!("the task registry is still in use at shutdown"))?;
    drop(alerts);
    tokio::task::spawn_blocking(move || {
        tasks.into_engine().join();
        influxdbs.flush();
        match Arc::try_unwrap(handlers) {
            Ok(handlers) => handlers.close(),
            Err(_) => tracing::error!("the alert handlers are still in use at shutdown"),
        }
    })
    .await?;
    tracing::info!("condenser stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(err) => {
                    tracing::warn!(error = %err, "cannot watch SIGTERM");
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}
