//! `condenser`: the daemon (`condenser serve`) and the command line.
//!
//! In: command-line arguments, a TOML configuration file and `CONDENSER_*` variables. Out: a
//! running daemon that wires ingest to the engine on one listener, or the answer of a
//! client verb.

mod config;
mod daemon;
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
    /// Run a task offline on recorded data and print what its httpOut node serves
    /// (Kapacitor's replay: the clock starts at 1971-01-01T00:00:00Z).
    Test(replay::TestArgs),
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
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CONDENSER_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match cli.command {
        Command::Serve(args) => {
            let config = args.load()?;
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(serve::run(config))?;
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Config(args) => {
            print!("{}", toml::to_string(&args.load()?)?);
            Ok(std::process::ExitCode::SUCCESS)
        }
        Command::Check(args) => script::run_check(&args),
        Command::Fmt(args) => script::run_fmt(&args),
        Command::Explain(args) => script::run_explain(&args),
        Command::Test(args) => replay::run_test(&args),
    }
}
