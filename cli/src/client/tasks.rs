//! The task verbs: `define`, `list tasks`, `show`, `enable`, `disable`, `reload` and
//! `delete tasks`, with the HTTP calls and the output of Kapacitor's `kapacitor`.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value as Json, json};

use super::{Api, ClientError, go_quote, rfc822};

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
    /// Do not restart the task if it is enabled
    #[arg(long)]
    pub(crate) no_reload: bool,
}

/// The path of task `id`.
fn task_path(id: &str) -> String {
    format!("/kapacitor/v1/tasks/{id}")
}

/// What `kapacitor` sends with a task read.
const READ_QUERY: [(&str, &str); 3] = [
    ("dot-view", "attributes"),
    ("replay-id", ""),
    ("script-format", "formatted"),
];

/// `define ID [--tick FILE] [--type T] [--dbrp DB.RP]… [--no-reload]`: creates the task
/// (disabled) or updates it, and restarts it when it was enabled. Prints nothing.
pub(crate) fn define(api: &Api, args: &DefineArgs) -> Result<(), ClientError> {
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
        dbrps.push(json!({"db": db, "rp": rp}));
    }
    let mut body = serde_json::Map::new();
    if let Some(kind) = args
        .kind
        .as_deref()
        .filter(|k| matches!(*k, "stream" | "batch"))
    {
        body.insert("type".to_owned(), json!(kind));
    }
    if !dbrps.is_empty() {
        body.insert("dbrps".to_owned(), Json::Array(dbrps));
    }
    if let Some(script) = script {
        body.insert("script".to_owned(), Json::String(script));
    }
    let existing = api
        .call(Method::GET, &task_path(&args.id), &READ_QUERY, None, &[200])
        .ok();
    match &existing {
        None => {
            body.insert("id".to_owned(), json!(args.id));
            body.insert("status".to_owned(), json!("disabled"));
            api.call(
                Method::POST,
                "/kapacitor/v1/tasks",
                &[],
                Some(&Json::Object(body)),
                &[200],
            )?;
        }
        Some(task) => {
            api.call(
                Method::PATCH,
                &task_path(&args.id),
                &[],
                Some(&Json::Object(body)),
                &[200],
            )?;
            if task["status"] == "enabled" && !args.no_reload {
                for status in ["disabled", "enabled"] {
                    api.call(
                        Method::PATCH,
                        &task_path(&args.id),
                        &[],
                        Some(&json!({ "status": status })),
                        &[200],
                    )?;
                }
            }
        }
    }
    Ok(())
}

/// The tasks matching `pattern` with `fields`, every page of them.
fn list(api: &Api, pattern: &str, fields: &[&str]) -> Result<Vec<Json>, ClientError> {
    let mut tasks = Vec::new();
    let mut offset = 0;
    loop {
        let offset_text = offset.to_string();
        let mut query: Vec<(&str, &str)> = vec![("dot-view", "attributes")];
        query.extend(fields.iter().map(|f| ("fields", *f)));
        query.extend([
            ("limit", "100"),
            ("offset", offset_text.as_str()),
            ("pattern", pattern),
            ("replay-id", ""),
            ("script-format", "formatted"),
        ]);
        let page = api.call(Method::GET, "/kapacitor/v1/tasks", &query, None, &[200])?;
        let items = page["tasks"].as_array().cloned().unwrap_or_default();
        let full = items.len() == 100;
        tasks.extend(items);
        if !full {
            return Ok(tasks);
        }
        offset += 100;
    }
}

/// A task's dbrps as Go prints `[]DBRP`: `["telegraf"."autogen" "db"."rp"]`.
fn dbrps_text(dbrps: &Json) -> String {
    let items: Vec<String> = dbrps
        .as_array()
        .into_iter()
        .flatten()
        .map(|d| {
            format!(
                "{}.{}",
                go_quote(d["db"].as_str().unwrap_or_default()),
                go_quote(d["rp"].as_str().unwrap_or_default())
            )
        })
        .collect();
    format!("[{}]", items.join(" "))
}

fn text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => other.to_string(),
    }
}

/// `list tasks [PATTERN…]`: Kapacitor's table of ids, types, statuses, whether they run,
/// and their dbrps (as JSON with `--json`).
pub(crate) fn list_tasks(api: &Api, patterns: &[String], as_json: bool) -> Result<(), ClientError> {
    let patterns: Vec<&str> = if patterns.is_empty() {
        vec![""]
    } else {
        patterns.iter().map(String::as_str).collect()
    };
    let mut tasks = Vec::new();
    for pattern in patterns {
        tasks.extend(list(
            api,
            pattern,
            &["type", "status", "executing", "dbrps"],
        )?);
    }
    tasks.sort_by(|a, b| text(&a["id"]).cmp(&text(&b["id"])));
    if as_json {
        println!("{}", Json::Array(tasks));
        return Ok(());
    }
    let width = tasks
        .iter()
        .map(|t| text(&t["id"]).len())
        .max()
        .unwrap_or(0)
        .max(2)
        + 1;
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
            &text(&task["id"]),
            &text(&task["type"]),
            &text(&task["status"]),
            &text(&task["executing"]),
            &dbrps_text(&task["dbrps"]),
        );
    }
    Ok(())
}

/// `show ID`: the task as Kapacitor's `show` prints it, its DOT graph last (only the graph
/// with `--dot`, the API's JSON with `--json`).
pub(crate) fn show(api: &Api, id: &str, dot_only: bool, as_json: bool) -> Result<(), ClientError> {
    let task = api.call(Method::GET, &task_path(id), &READ_QUERY, None, &[200])?;
    if as_json {
        println!("{task}");
        return Ok(());
    }
    if dot_only {
        println!("{}", text(&task["dot"]));
        return Ok(());
    }
    println!("ID: {}", text(&task["id"]));
    println!("Error: {}", text(&task["error"]));
    println!("Template: {}", text(&task["template-id"]));
    println!("Type: {}", text(&task["type"]));
    println!("Status: {}", text(&task["status"]));
    println!("Executing: {}", text(&task["executing"]));
    println!("Created: {}", rfc822(&text(&task["created"])));
    println!("Modified: {}", rfc822(&text(&task["modified"])));
    println!("LastEnabled: {}", rfc822(&text(&task["last-enabled"])));
    println!(
        "Databases Retention Policies: {}",
        dbrps_text(&task["dbrps"])
    );
    println!("TICKscript:\n{}", text(&task["script"]));
    println!("DOT:\n{}", text(&task["dot"]));
    Ok(())
}

/// `enable`, `disable`: sets the status of every task matching the patterns (none
/// matching is no error).
pub(crate) fn set_status(api: &Api, patterns: &[String], enable: bool) -> Result<(), ClientError> {
    let (status, verb) = if enable {
        ("enabled", "enabling")
    } else {
        ("disabled", "disabling")
    };
    for pattern in patterns {
        let tasks = list(api, pattern, &["link"])
            .map_err(|e| ClientError(format!("listing tasks: {e}")))?;
        for task in tasks {
            let href = text(&task["link"]["href"]);
            api.call(
                Method::PATCH,
                &href,
                &[],
                Some(&json!({ "status": status })),
                &[200],
            )
            .map_err(|e| ClientError(format!("{verb} task {}: {e}", text(&task["id"]))))?;
        }
    }
    Ok(())
}

/// `delete tasks PATTERN…`: deletes every task matching the patterns.
pub(crate) fn delete(api: &Api, patterns: &[String]) -> Result<(), ClientError> {
    for pattern in patterns {
        for task in list(api, pattern, &["link"])? {
            api.call(
                Method::DELETE,
                &text(&task["link"]["href"]),
                &[],
                None,
                &[204],
            )?;
        }
    }
    Ok(())
}
