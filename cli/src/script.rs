//! The script verbs, which need no daemon: `condenser check` validates a TICKscript as
//! Kapacitor does when a task is defined, `condenser fmt` prints it in canonical form and
//! `condenser explain` prints the DataFusion logical plan it lowers to.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use condenser_planner::pipeline::Vars;
use condenser_planner::tick::{format, parse};
use condenser_planner::{Diagnostics, TaskType, check};

/// The task type given on the command line.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub(crate) enum TaskTypeArg {
    /// A stream task (`stream|from()…`).
    Stream,
    /// A batch task (`batch|query(…)…`).
    Batch,
}

impl From<TaskTypeArg> for TaskType {
    fn from(arg: TaskTypeArg) -> TaskType {
        match arg {
            TaskTypeArg::Stream => TaskType::Stream,
            TaskTypeArg::Batch => TaskType::Batch,
        }
    }
}

/// Arguments of `condenser check`.
#[derive(Debug, clap::Args)]
pub(crate) struct CheckArgs {
    /// The TICKscript to check.
    file: PathBuf,
    /// The task type [default: batch when the script starts from `batch`, else stream]
    #[arg(long = "type", value_enum)]
    task_type: Option<TaskTypeArg>,
    /// A JSON file of template vars (`{"name": {"type": "float", "value": 90}}`); without
    /// it a template's declared vars are checked by type only
    #[arg(long, value_name = "FILE")]
    vars: Option<PathBuf>,
}

/// Arguments of `condenser fmt`.
#[derive(Debug, clap::Args)]
pub(crate) struct FmtArgs {
    /// The TICKscript to format.
    file: PathBuf,
    /// Rewrite the file in place instead of printing to standard output
    #[arg(long, short)]
    write: bool,
}

fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))
}

/// A script that passed the check, with what was read.
struct Checked {
    path: String,
    task_type: TaskType,
    pipeline: condenser_planner::Pipeline,
}

/// Reads and checks the script of `args`, printing warnings and errors on standard error;
/// `None` when the script cannot be defined.
fn load(args: &CheckArgs) -> anyhow::Result<Option<Checked>> {
    let source = read(&args.file)?;
    let path = args.file.display().to_string();
    let vars = match &args.vars {
        Some(file) => Some(
            Vars::from_json(&read(file)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?,
        ),
        None => None,
    };
    let task_type = match args.task_type {
        Some(t) => t.into(),
        None => match parse(&source) {
            Ok(program) => TaskType::infer(&program),
            Err(error) => {
                eprint!("{}", error.render(&source, &path));
                return Ok(None);
            }
        },
    };
    match check(&source, task_type, vars.as_ref()) {
        Ok(checked) => {
            eprint!("{}", Diagnostics(checked.warnings).render(&source, &path));
            Ok(Some(Checked {
                path,
                task_type,
                pipeline: checked.pipeline,
            }))
        }
        Err(diagnostics) => {
            eprint!("{}", diagnostics.render(&source, &path));
            Ok(None)
        }
    }
}

/// `condenser check FILE`: prints warnings and errors on standard error; exits 1 when the
/// script cannot be defined.
pub(crate) fn run_check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    Ok(match load(args)? {
        Some(checked) => {
            println!(
                "{}: ok ({} task, {} nodes)",
                checked.path,
                checked.task_type.as_str(),
                checked.pipeline.nodes.len()
            );
            ExitCode::SUCCESS
        }
        None => ExitCode::FAILURE,
    })
}

/// `condenser explain FILE`: prints the task's logical plan, one node a line, inputs
/// indented under the node they feed; exits 1 when the script cannot be defined or planned.
pub(crate) fn run_explain(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let Some(checked) = load(args)? else {
        return Ok(ExitCode::FAILURE);
    };
    match condenser_planner::plan::lower(&checked.pipeline) {
        Ok(plan) => {
            print!("{}", condenser_planner::plan::explain(&plan));
            Ok(ExitCode::SUCCESS)
        }
        Err(diagnostics) => {
            let source = read(&args.file)?;
            eprint!("{}", diagnostics.render(&source, &checked.path));
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `condenser fmt FILE`: prints the canonical form, or rewrites the file with `--write`.
pub(crate) fn run_fmt(args: &FmtArgs) -> anyhow::Result<ExitCode> {
    let source = read(&args.file)?;
    let path = args.file.display().to_string();
    let program = match parse(&source) {
        Ok(program) => program,
        Err(error) => {
            eprint!("{}", error.render(&source, &path));
            return Ok(ExitCode::FAILURE);
        }
    };
    let formatted = format(&program);
    if args.write {
        if formatted != source {
            std::fs::write(&args.file, formatted)
                .map_err(|e| anyhow::anyhow!("cannot write {path}: {e}"))?;
        }
    } else {
        print!("{formatted}");
    }
    Ok(ExitCode::SUCCESS)
}
