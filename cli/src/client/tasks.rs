//! The task verbs: `define`, `list tasks`, `show`, `enable`, `disable`, `reload` and
//! `delete tasks`, as control-plane calls, printing what Kapacitor's `kapacitor` prints.

use std::path::PathBuf;

use serde_json::Value as Json;

use super::templates::var_text;
use super::{ClientError, Control, go_quote, rfc822};
use crate::control::proto::{self, TaskStatus};
use crate::control::{formatted_script, status_name, task_fields, task_json, type_name, vars_json};

/// `define`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct DefineArgs {
    /// The task's id
    pub(crate) id: String,
    /// The TICKscript file
    #[arg(long, value_name = "FILE")]
    pub(crate) tick: Option<PathBuf>,
    /// stream or batch (the script's own kind is what counts, as in Kapacitor)
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) kind: Option<String>,
    /// A database and retention policy the task reads (`db.rp`); repeatable. A script's
    /// `dbrp` statements take its place
    #[arg(long, value_name = "DB.RP")]
    pub(crate) dbrp: Vec<String>,
    /// The template to make the task from
    #[arg(long, value_name = "ID")]
    pub(crate) template: Option<String>,
    /// A JSON file of the vars of the task's script (`{"name": {"type": …, "value": …}}`)
    #[arg(long, value_name = "FILE")]
    pub(crate) vars: Option<PathBuf>,
    /// A YAML or JSON file of the task made from a template (`id`, `template-id`, `dbrps`,
    /// `vars`); `--tick`, `--type`, `--dbrp`, `--template` and `--vars` are then ignored
    #[arg(long, value_name = "FILE")]
    pub(crate) file: Option<PathBuf>,
    /// Do not restart the task if it is enabled
    #[arg(long)]
    pub(crate) no_reload: bool,
}

/// What `define` sends: the task's script, dbrps, template and vars (each when given).
#[derive(Debug, Default)]
struct Definition {
    script: Option<String>,
    dbrps: Vec<proto::Dbrp>,
    template_id: String,
    vars: String,
}

/// A template task file (`define --file`), as Kapacitor reads it.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct TaskFile {
    id: String,
    #[serde(rename = "template-id")]
    template_id: String,
    dbrps: Vec<TaskFileDbrp>,
    vars: Option<serde_json::Map<String, Json>>,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
struct TaskFileDbrp {
    db: String,
    rp: String,
}

/// The vars file of `define --vars`: `{"name": {…}}`, or `{"vars": {"name": {…}}}`.
fn read_vars(path: &std::path::Path) -> Result<String, ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError(format!("failed to open file {}: {e}", path.display())))?;
    let json: serde_json::Map<String, Json> = serde_json::from_str(&text)
        .map_err(|e| ClientError(format!("invalid JSON in file {}: {e}", path.display())))?;
    let vars = match json.get("vars") {
        Some(Json::Object(vars)) if json.len() == 1 => vars.clone(),
        _ => json,
    };
    Ok(Json::Object(vars).to_string())
}

/// The task file of `define --file`, checked against the task's id.
fn read_task_file(id: &str, path: &std::path::Path) -> Result<Definition, ClientError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| ClientError(format!("failed to open file {}: {e}", path.display())))?;
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    let file: TaskFile = match extension {
        "json" => serde_json::from_str(&text)
            .map_err(|e| ClientError(format!("failed to unmarshal json task file: {e}")))?,
        "yaml" | "yml" => serde_yaml::from_str(&text)
            .map_err(|e| ClientError(format!("failed to unmarshal yaml task file: {e}")))?,
        _ => {
            return Err(ClientError(
                "bad file extension. Must be YAML or JSON".to_owned(),
            ));
        }
    };
    if !file.id.is_empty() && file.id != id {
        return Err(ClientError(format!(
            "Task id given on command line does not match id in {}",
            path.display()
        )));
    }
    Ok(Definition {
        script: None,
        dbrps: file
            .dbrps
            .into_iter()
            .map(|d| proto::Dbrp { db: d.db, rp: d.rp })
            .collect(),
        template_id: file.template_id,
        vars: file
            .vars
            .map(|vars| Json::Object(vars).to_string())
            .unwrap_or_default(),
    })
}

/// Task `id`; `None` when there is none.
fn get(control: &Control, id: &str) -> Result<Option<proto::Task>, ClientError> {
    let request = proto::GetTaskRequest { id: id.to_owned() };
    match control.call(|mut c| async move { c.get_task(request).await }) {
        Ok(task) => Ok(Some(task)),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// Sets task `id`'s status.
fn set(control: &Control, id: &str, status: TaskStatus) -> Result<proto::Task, ClientError> {
    let request = proto::UpdateTaskRequest {
        id: id.to_owned(),
        status: status.into(),
        ..proto::UpdateTaskRequest::default()
    };
    Ok(control.call(|mut c| async move { c.update_task(request).await })?)
}

/// What `define`'s flags (or its task file) ask for.
fn definition(args: &DefineArgs) -> Result<Definition, ClientError> {
    if let Some(path) = &args.file {
        return read_task_file(&args.id, path);
    }
    let script = match &args.tick {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| ClientError(format!("open {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let mut dbrps = Vec::new();
    for dbrp in &args.dbrp {
        let (db, rp) = dbrp
            .split_once('.')
            .ok_or_else(|| ClientError(format!("invalid dbrp {dbrp:?}: want db.rp")))?;
        dbrps.push(proto::Dbrp {
            db: db.to_owned(),
            rp: rp.to_owned(),
        });
    }
    Ok(Definition {
        script,
        dbrps,
        template_id: args.template.clone().unwrap_or_default(),
        vars: args
            .vars
            .as_deref()
            .map(read_vars)
            .transpose()?
            .unwrap_or_default(),
    })
}

/// `define ID [--tick FILE] [--type T] [--dbrp DB.RP]… [--template ID] [--vars FILE]
/// [--file FILE] [--no-reload]`: creates the task (disabled) or updates it, and restarts
/// it when it was enabled. Prints nothing.
pub(crate) fn define(control: &Control, args: &DefineArgs) -> Result<(), ClientError> {
    let definition = definition(args)?;
    match get(control, &args.id)? {
        None => {
            let request = proto::CreateTaskRequest {
                id: args.id.clone(),
                dbrps: definition.dbrps,
                script: definition.script.unwrap_or_default(),
                status: TaskStatus::Disabled.into(),
                template_id: definition.template_id,
                vars_json: definition.vars,
            };
            control.call(|mut c| async move { c.create_task(request).await })?;
        }
        Some(task) => {
            let request = proto::UpdateTaskRequest {
                id: args.id.clone(),
                dbrps: definition.dbrps,
                script: definition.script,
                status: TaskStatus::Unspecified.into(),
                template_id: definition.template_id,
                vars_json: definition.vars,
            };
            control.call(|mut c| async move { c.update_task(request).await })?;
            if task.status() == TaskStatus::Enabled && !args.no_reload {
                set(control, &args.id, TaskStatus::Disabled)?;
                set(control, &args.id, TaskStatus::Enabled)?;
            }
        }
    }
    Ok(())
}

/// The tasks matching `pattern` (every task for an empty one), in id order.
fn list(control: &Control, pattern: &str) -> Result<Vec<proto::Task>, ClientError> {
    let request = proto::ListTasksRequest {
        pattern: pattern.to_owned(),
        ..proto::ListTasksRequest::default()
    };
    Ok(control
        .call(|mut c| async move { c.list_tasks(request).await })?
        .tasks)
}

/// A task's dbrps as Go prints `[]DBRP`: `["telegraf"."autogen" "db"."rp"]`.
fn dbrps_text(dbrps: &[proto::Dbrp]) -> String {
    let items: Vec<String> = dbrps
        .iter()
        .map(|d| format!("{}.{}", go_quote(&d.db), go_quote(&d.rp)))
        .collect();
    format!("[{}]", items.join(" "))
}

/// `list tasks [PATTERN…]`: Kapacitor's table of ids, types, statuses, whether they run,
/// and their dbrps (with `--json`, those fields as Kapacitor's API writes them).
pub(crate) fn list_tasks(
    control: &Control,
    patterns: &[String],
    as_json: bool,
) -> Result<(), ClientError> {
    let patterns = super::patterns_or_all(patterns);
    let mut tasks = Vec::new();
    for pattern in patterns {
        tasks.extend(list(control, pattern)?);
    }
    tasks.sort_by(|a, b| a.id.cmp(&b.id));
    if as_json {
        let listed: Vec<Json> = tasks
            .iter()
            .map(|task| {
                Json::Object(
                    task_fields(task, true, true)
                        .into_iter()
                        .filter(|(k, _)| {
                            ["link", "id", "type", "status", "executing", "dbrps"].contains(k)
                        })
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            })
            .collect();
        println!("{}", Json::Array(listed));
        return Ok(());
    }
    let width = tasks.iter().map(|t| t.id.len()).max().unwrap_or(0).max(2) + 1;
    let row = |id: &str, kind: &str, status: &str, executing: &str, dbrps: &str| {
        println!("{id:<width$}{kind:<10}{status:<10}{executing:<10}{dbrps}");
    };
    row(
        "ID",
        "Type",
        "Status",
        "Executing",
        "Databases and Retention Policies",
    );
    for task in &tasks {
        row(
            &task.id,
            type_name(task),
            status_name(task),
            &task.executing.to_string(),
            &dbrps_text(&task.dbrps),
        );
    }
    Ok(())
}

/// Go's `time.RFC822` of a time in nanoseconds since the epoch (`None`: Go's zero time).
fn time_text(nanos: Option<i64>) -> String {
    rfc822(&nanos.map_or_else(
        || "0001-01-01T00:00:00Z".to_owned(),
        condenser_model::time::rfc3339_nano,
    ))
}

/// `show ID`: the task as Kapacitor's `show` prints it, its DOT graph last (only the graph
/// with `--dot`, Kapacitor's API JSON with `--json`).
pub(crate) fn show(
    control: &Control,
    id: &str,
    dot_only: bool,
    as_json: bool,
) -> Result<(), ClientError> {
    let task = get(control, id)?.ok_or_else(|| ClientError("no task exists".to_owned()))?;
    if as_json {
        println!("{}", task_json(&task, true));
        return Ok(());
    }
    if dot_only {
        println!("{}", task.dot);
        return Ok(());
    }
    println!("ID: {}", task.id);
    println!("Error: {}", task.error);
    println!("Template: {}", task.template_id);
    println!("Type: {}", type_name(&task));
    println!("Status: {}", status_name(&task));
    println!("Executing: {}", task.executing);
    println!("Created: {}", time_text(Some(task.created)));
    println!("Modified: {}", time_text(Some(task.modified)));
    println!("LastEnabled: {}", time_text(task.last_enabled));
    println!("Databases Retention Policies: {}", dbrps_text(&task.dbrps));
    println!("TICKscript:\n{}", formatted_script(&task.script));
    let vars = vars_json(&task.vars_json);
    if let Some(vars) = vars.as_object().filter(|v| !v.is_empty()) {
        println!("Vars:");
        let row = |name: &str, kind: &str, value: &str| println!("{name:<30}{kind:<10}{value:<40}");
        row("Name", "Type", "Value");
        for (name, var) in vars {
            row(
                name,
                var["type"].as_str().unwrap_or_default(),
                &var_text(var),
            );
        }
    }
    println!("DOT:\n{}", task.dot);
    Ok(())
}

/// `enable`, `disable`: sets the status of every task matching the patterns (none
/// matching is no error).
pub(crate) fn set_status(
    control: &Control,
    patterns: &[String],
    enable: bool,
) -> Result<(), ClientError> {
    let (status, verb) = if enable {
        (TaskStatus::Enabled, "enabling")
    } else {
        (TaskStatus::Disabled, "disabling")
    };
    for pattern in patterns {
        let tasks =
            list(control, pattern).map_err(|e| ClientError(format!("listing tasks: {e}")))?;
        for task in tasks {
            set(control, &task.id, status)
                .map_err(|e| ClientError(format!("{verb} task {}: {e}", task.id)))?;
        }
    }
    Ok(())
}

/// `delete tasks PATTERN…`: deletes every task matching the patterns.
pub(crate) fn delete(control: &Control, patterns: &[String]) -> Result<(), ClientError> {
    for pattern in patterns {
        for task in list(control, pattern)? {
            let request = proto::DeleteTaskRequest { id: task.id };
            control.call(|mut c| async move { c.delete_task(request).await })?;
        }
    }
    Ok(())
}
