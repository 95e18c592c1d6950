//! `condenser`: the daemon (`condenser serve`) and the command line.
//!
//! In: command-line arguments, a TOML configuration file and `CONDENSER_*` variables. Out: a
//! running daemon that wires ingest to the engine on one listener, or the answer of a
//! client verb.

mod bench;
mod client;
mod config;
mod control;
mod daemon;
mod influxdb;
mod replay;
mod script;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// Condenser: a Kapacitor-compatible stream processor.
#[derive(Debug, Parser)]
#[command(name = "condenser", version, about, long_about = None)]
struct Cli {
    /// The daemon the client verbs speak to (its control plane, on its one port)
    #[arg(
        long,
        global = true,
        env = "CONDENSER_URL",
        default_value = "http://127.0.0.1:9092"
    )]
    url: String,
    /// Print what a read verb got as JSON
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the daemon: the HTTP write API (InfluxDB 1.x and 2.x), UDP listeners, `/ping` and
    /// `/metrics`, all on one listener. With no flags it uses embedded defaults.
    Serve(ServeArgs),
    /// Print the effective configuration (defaults, file, environment, flags) as TOML.
    Config(ServeArgs),
    /// Check a TICKscript as Kapacitor does when a task is defined; errors and warnings go
    /// to standard error with line, column and the source line.
    Check(script::CheckArgs),
    /// Print a TICKscript in canonical form (Kapacitor's layout).
    Fmt(script::FmtArgs),
    /// Print the logical plan a TICKscript lowers to: filters and projections for the
    /// stateless nodes, one line per stateful node, inputs indented under what they feed.
    Explain(script::CheckArgs),
    /// Load a daemon (the one at --url, or one started with --embedded) with Telegraf-like
    /// writes and a task, then report points accepted and processed a second, write latency
    /// and, embedded, the daemon's peak memory and CPU time
    Bench(bench::BenchArgs),
    /// Run a task offline on recorded data and print what its httpOut node serves
    /// (Kapacitor's replay: the clock starts at 1971-01-01T00:00:00Z).
    Test(replay::TestArgs),
    /// Define a task on the daemon, or change it (restarting it if it is enabled), as
    /// `kapacitor define` does
    Define(client::tasks::DefineArgs),
    /// Define a template, or change it (and the tasks made from it), as
    /// `kapacitor define-template` does
    DefineTemplate(client::templates::DefineTemplateArgs),
    /// Define a topic handler (or replace it) from a YAML or JSON file: `topic`, `id`,
    /// `kind`, `options`, `match`
    DefineTopicHandler {
        /// The handler's file
        file: PathBuf,
    },
    /// List what the daemon holds: `list tasks|templates|topics [PATTERN…]`,
    /// `list topic-handlers [TOPIC-PATTERN] [HANDLER-PATTERN…]`
    List {
        /// What to list: tasks, templates, recordings, replays, topics or topic-handlers
        kind: String,
        /// Glob patterns of ids (all when none)
        patterns: Vec<String>,
    },
    /// Show a task: its definition, status, TICKscript and DOT graph with live statistics
    Show {
        /// The task's id
        id: String,
        /// Print only the DOT graph (for Graphviz)
        #[arg(long)]
        dot: bool,
    },
    /// Show a template: its TICKscript, its vars with their defaults, its DOT graph
    ShowTemplate {
        /// The template's id
        id: String,
    },
    /// Show an alert topic: its level, handlers and events
    ShowTopic {
        /// The topic's id
        id: String,
    },
    /// Show a topic handler: its kind, match expression and options
    ShowTopicHandler {
        /// The topic's id
        topic: String,
        /// The handler's id
        id: String,
    },
    /// Print the server's statistics: `stats general` or `stats ingress`
    Stats {
        /// general or ingress
        category: String,
    },
    /// Print the server's Kapacitor debug/vars document
    Vars,
    /// Print this command line's version
    Version,
    /// Send a test alert through each service matching the names or patterns (`slack`,
    /// `smtp`, …) and print whether it got through
    ServiceTests {
        /// Service names or glob patterns
        patterns: Vec<String>,
    },
    /// Record what a task takes: `record stream --task T --duration D`
    Record(client::recordings::RecordArgs),
    /// Replay a recording against a task: `replay --recording R --task T`
    Replay(client::recordings::ReplayArgs),
    /// Save a copy of the daemon's store (tasks, templates, topic handlers) to a file
    Backup {
        /// The file to write
        file: Option<PathBuf>,
    },
    /// Print the daemon's log lines from now on, as logfmt, until interrupted: those that
    /// pass every `KEY=VALUE` filter (`lvl=info+`, `task=cpu_alert`, `msg=…`)
    Logs {
        /// Filters
        filters: Vec<String>,
    },
    /// Print a task's log lines from now on (its log nodes' too) until interrupted
    Watch {
        /// The task's id
        task: String,
        /// More filters
        filters: Vec<String>,
    },
    /// Enable the tasks matching the patterns
    Enable {
        /// Ids or glob patterns
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Disable the tasks matching the patterns
    Disable {
        /// Ids or glob patterns
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Disable then enable the tasks matching the patterns
    Reload {
        /// Ids or glob patterns
        #[arg(required = true)]
        patterns: Vec<String>,
    },
    /// Delete what the daemon holds: `delete tasks|templates|topics PATTERN…`,
    /// `delete topic-handlers TOPIC PATTERN…`
    Delete {
        /// What to delete: tasks, templates, recordings, replays, topics or topic-handlers
        kind: String,
        /// Ids or glob patterns
        #[arg(required = true)]
        patterns: Vec<String>,
    },
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Directory for Condenser's state [default: ./condenser-data] [env: CONDENSER_DATA_DIR]
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Address of the one listener (HTTP API and gRPC) [default: 127.0.0.1:9092]
    /// [env: CONDENSER_BIND]
    #[arg(long, value_name = "ADDR")]
    bind: Option<std::net::SocketAddr>,
    /// TOML configuration file; its keys are those `condenser config` prints
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Serve a non-loopback address without `[auth]` (refused otherwise)
    #[arg(long)]
    insecure_no_auth: bool,
}

impl ServeArgs {
    fn load(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir.clone_from(dir);
        }
        if let Some(bind) = self.bind {
            config.bind = bind;
        }
        Ok(config)
    }
}

fn main() -> anyhow::Result<std::process::ExitCode> {
    let cli = Cli::parse_from(client::normalize_flags(std::env::args()));
    // Standard error shows what `CONDENSER_LOG` lets through (`info`); the daemon's log
    // stream (`condenser logs`, `watch`) gets its lines while someone listens.
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    use tracing_subscriber::{EnvFilter, Layer as _};
    let logs = daemon::logs::LogStream::default();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter(
                    EnvFilter::try_from_env("CONDENSER_LOG")
                        .unwrap_or_else(|_| EnvFilter::new("info")),
                ),
        )
        .with(
            // Condenser's own lines from debug up, the libraries' from info up (the HTTP/2
            // library's debug lines about sending the stream would feed the stream itself).
            logs.layer().with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_default(tracing::Level::INFO)
                    .with_targets(
                        [
                            "condenser",
                            "condenser_engine",
                            "condenser_handlers",
                            "condenser_ingest",
                            "condenser_planner",
                            "condenser_model",
                        ]
                        .map(|target| (target, tracing::Level::DEBUG)),
                    ),
            ),
        )
        .init();
    match cli.command {
        Command::Serve(args) => {
            let config = args.load()?;
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve::run(config, args.insecure_no_auth, logs))?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Config(args) => {
            let mut config = args.load()?;
            config.auth = config.auth.masked();
            for influxdb in &mut config.influxdb {
                *influxdb = influxdb.masked();
            }
            print!("{}", toml::to_string(&config)?);
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Check(args) => script::run_check(&args),
        Command::Fmt(args) => script::run_fmt(&args),
        Command::Explain(args) => script::run_explain(&args),
        Command::Test(args) => replay::run_test(&args),
        Command::Bench(args) => {
            bench::run(&cli.url, cli.json, &args)?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Version => {
            client::stats::version();
            Ok(std::process::ExitCode::SUCCESS)
        }
        verb => Ok(run_client(&cli.url, cli.json, verb)),
    }
}

/// Runs a client verb against the daemon at `url`.
fn run_client(url: &str, as_json: bool, verb: Command) -> std::process::ExitCode {
    use client::{ClientError, alerts, recordings, stats, tasks, templates};
    let api = match client::Control::connect(url) {
        Ok(control) => control,
        Err(error) => return client::finish(Err(error)),
    };
    let unknown = |what: &str, kind: &str| {
        Err(ClientError(format!(
            "cannot {what} '{kind}' did you mean 'tasks', 'templates', 'recordings', 'replays', 'topics' or 'topic-handlers'?"
        )))
    };
    client::finish(match verb {
        Command::Define(args) => tasks::define(&api, &args),
        Command::DefineTemplate(args) => templates::define(&api, &args),
        Command::List { kind, patterns } => match kind.as_str() {
            "tasks" => tasks::list_tasks(&api, &patterns, as_json),
            "templates" => templates::list_templates(&api, &patterns, as_json),
            "topics" => alerts::list_topics(&api, &patterns, as_json),
            "topic-handlers" => alerts::list_topic_handlers(&api, &patterns, as_json),
            "recordings" => recordings::list_recordings(&api, &patterns, as_json),
            "replays" => recordings::list_replays(&api, &patterns, as_json),
            "service-tests" => stats::list_service_tests(&api, &patterns),
            _ => unknown("list", &kind),
        },
        Command::Show { id, dot } => tasks::show(&api, &id, dot, as_json),
        Command::ShowTemplate { id } => templates::show(&api, &id, as_json),
        Command::ShowTopic { id } => alerts::show_topic(&api, &id, as_json),
        Command::ShowTopicHandler { topic, id } => {
            alerts::show_topic_handler(&api, &topic, &id, as_json)
        }
        Command::DefineTopicHandler { file } => alerts::define_topic_handler(&api, &file),
        Command::Stats { category } => stats::stats(&api, &category, as_json),
        Command::Vars => stats::vars(&api),
        Command::Record(args) => recordings::record(&api, &args),
        Command::ServiceTests { patterns } => stats::run_service_tests(&api, &patterns),
        Command::Replay(args) => recordings::replay(&api, &args),
        Command::Backup { file } => stats::backup(&api, file.as_deref()),
        Command::Logs { filters } => client::logs::logs(&api, &filters),
        Command::Watch { task, filters } => client::logs::watch(&api, &task, &filters),
        Command::Enable { patterns } => tasks::set_status(&api, &patterns, true),
        Command::Disable { patterns } => tasks::set_status(&api, &patterns, false),
        Command::Reload { patterns } => tasks::set_status(&api, &patterns, false)
            .and_then(|()| tasks::set_status(&api, &patterns, true)),
        Command::Delete { kind, patterns } => match kind.as_str() {
            "tasks" => tasks::delete(&api, &patterns),
            "templates" => templates::delete(&api, &patterns),
            "topics" => alerts::delete_topics(&api, &patterns),
            "topic-handlers" => alerts::delete_topic_handlers(&api, &patterns),
            "recordings" => recordings::delete_recordings(&api, &patterns),
            "replays" => recordings::delete_replays(&api, &patterns),
            _ => unknown("delete", &kind),
        },
        _ => Err(ClientError("not a client verb".to_owned())),
    })
}
