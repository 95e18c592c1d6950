//! The template verbs: `define-template`, `list templates`, `show-template` and
//! `delete templates`, as control-plane calls, printing what Kapacitor's `kapacitor` prints;
//! and how a var's value prints (in `show` and `show-template`).

use std::path::PathBuf;

use serde_json::Value as Json;

use super::{ClientError, Control, rfc822};
use crate::control::proto::{self, TaskType};
use crate::control::{formatted_script, template_fields, vars_json};

/// `define-template`'s arguments.
#[derive(Debug, clap::Args)]
pub(crate) struct DefineTemplateArgs {
    /// The template's id
    pub(crate) id: String,
    /// The TICKscript file
    #[arg(long, value_name = "FILE")]
    pub(crate) tick: Option<PathBuf>,
    /// stream or batch
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) kind: Option<String>,
}

/// Template `id`; `None` when there is none.
fn get(control: &Control, id: &str) -> Result<Option<proto::Template>, ClientError> {
    let request = proto::GetTemplateRequest { id: id.to_owned() };
    match control.call(|mut c| async move { c.get_template(request).await }) {
        Ok(template) => Ok(Some(template)),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// The templates matching `pattern` (every one for an empty one), in id order.
fn list(control: &Control, pattern: &str) -> Result<Vec<proto::Template>, ClientError> {
    let request = proto::ListTemplatesRequest {
        pattern: pattern.to_owned(),
    };
    Ok(control
        .call(|mut c| async move { c.list_templates(request).await })?
        .templates)
}

/// `define-template ID [--tick FILE] [--type T]`: creates the template or changes it (and
/// with it the tasks made from it). Prints nothing.
pub(crate) fn define(control: &Control, args: &DefineTemplateArgs) -> Result<(), ClientError> {
    let script = match &args.tick {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| ClientError(format!("open {}: {e}", path.display())))?,
        ),
        None => None,
    };
    let kind = match args.kind.as_deref() {
        Some("stream") => TaskType::Stream,
        Some("batch") => TaskType::Batch,
        _ => TaskType::Unspecified,
    };
    if get(control, &args.id)?.is_none() {
        let request = proto::CreateTemplateRequest {
            id: args.id.clone(),
            script: script.unwrap_or_default(),
        };
        control.call(|mut c| async move { c.create_template(request).await })?;
    } else {
        let request = proto::UpdateTemplateRequest {
            id: args.id.clone(),
            script,
            r#type: kind.into(),
        };
        control.call(|mut c| async move { c.update_template(request).await })?;
    }
    Ok(())
}

/// `list templates [PATTERN…]`: Kapacitor's table of ids, types and var names.
pub(crate) fn list_templates(
    control: &Control,
    patterns: &[String],
    as_json: bool,
) -> Result<(), ClientError> {
    let patterns = super::patterns_or_all(patterns);
    let mut templates = Vec::new();
    for pattern in patterns {
        templates.extend(list(control, pattern)?);
    }
    templates.sort_by(|a, b| a.id.cmp(&b.id));
    if as_json {
        let listed: Vec<Json> = templates
            .iter()
            .map(|t| {
                Json::Object(
                    template_fields(t, true)
                        .into_iter()
                        .filter(|(k, _)| ["link", "id", "type", "vars"].contains(k))
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            })
            .collect();
        println!("{}", Json::Array(listed));
        return Ok(());
    }
    let width = templates
        .iter()
        .map(|t| t.id.len())
        .max()
        .unwrap_or(0)
        .max(2)
        + 1;
    let row = |id: &str, kind: &str, vars: &str| println!("{id:<width$}{kind:<10}{vars:<40}");
    row("ID", "Type", "Vars");
    for template in &templates {
        let vars = vars_json(&template.vars_json);
        let names: Vec<&str> = vars
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys().map(String::as_str))
            .collect();
        let kind = match template.r#type() {
            TaskType::Batch => "batch",
            _ => "stream",
        };
        row(&template.id, kind, &names.join(","));
    }
    Ok(())
}

/// `show-template ID`: the template as Kapacitor's `show-template` prints it, with its vars
/// and their defaults (`<required>` for none) and its DOT graph.
pub(crate) fn show(control: &Control, id: &str, as_json: bool) -> Result<(), ClientError> {
    let template = get(control, id)?.ok_or_else(|| ClientError("no template exists".to_owned()))?;
    if as_json {
        let fields = template_fields(&template, true)
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v));
        println!("{}", Json::Object(fields.collect()));
        return Ok(());
    }
    let time = |nanos| rfc822(&condenser_model::time::rfc3339_nano(nanos));
    println!("ID: {}", template.id);
    println!("Error: {}", template.error);
    println!(
        "Type: {}",
        match template.r#type() {
            TaskType::Batch => "batch",
            _ => "stream",
        }
    );
    println!("Created: {}", time(template.created));
    println!("Modified: {}", time(template.modified));
    println!("TICKscript:\n{}", formatted_script(&template.script));
    println!("Vars:");
    let row = |name: &str, kind: &str, value: &str, description: &str| {
        println!("{name:<30}{kind:<10}{value:<40}{description:<40}");
    };
    row("Name", "Type", "Default Value", "Description");
    let vars = vars_json(&template.vars_json);
    for (name, var) in vars.as_object().into_iter().flatten() {
        let value = match &var["value"] {
            Json::Null => "<required>".to_owned(),
            _ => var_text(var),
        };
        row(
            name,
            var["type"].as_str().unwrap_or_default(),
            &value,
            var["description"].as_str().unwrap_or_default(),
        );
    }
    println!("DOT:\n{}", template.dot);
    Ok(())
}

/// `delete templates PATTERN…`: deletes every template matching the patterns.
pub(crate) fn delete(control: &Control, patterns: &[String]) -> Result<(), ClientError> {
    for pattern in patterns {
        for template in list(control, pattern)? {
            let request = proto::DeleteTemplateRequest { id: template.id };
            control.call(|mut c| async move { c.delete_template(request).await })?;
        }
    }
    Ok(())
}

/// A var's value as Kapacitor's CLI prints it (Go's `%v` of the decoded value): a duration
/// as Go writes one (`5m0s`), a list of strings or stars as `[host, *]`.
pub(crate) fn var_text(var: &Json) -> String {
    let value = &var["value"];
    match (var["type"].as_str().unwrap_or_default(), value) {
        (_, Json::Null) => "<nil>".to_owned(),
        ("duration", Json::Number(n)) => {
            condenser_model::template::go_duration(n.as_i64().unwrap_or_default())
        }
        ("float", Json::Number(n)) => {
            condenser_model::template::go_float(n.as_f64().unwrap_or_default(), 'g', None)
        }
        ("list", Json::Array(items)) => {
            let items: Vec<String> = items
                .iter()
                .map(|item| match item["type"].as_str() {
                    Some("star") => "*".to_owned(),
                    _ => item["value"].as_str().unwrap_or_default().to_owned(),
                })
                .collect();
            format!("[{}]", items.join(", "))
        }
        (_, Json::String(text)) => text.clone(),
        (_, other) => other.to_string(),
    }
}
