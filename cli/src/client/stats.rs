//! The server verbs: `stats general|ingress`, `vars` and `version`, printing what
//! Kapacitor's `kapacitor` prints.

use super::{ClientError, Control};
use crate::control::proto;

/// `stats general|ingress`: who the server is and what it runs, or the points it took by
/// database, retention policy and measurement. Another category prints nothing, as in
/// Kapacitor.
pub(crate) fn stats(control: &Control, category: &str, as_json: bool) -> Result<(), ClientError> {
    let stats =
        control.call(|mut c| async move { c.get_stats(proto::GetStatsRequest {}).await })?;
    match category {
        "general" if as_json => println!(
            "{}",
            serde_json::json!({
                "cluster_id": stats.cluster_id, "server_id": stats.server_id,
                "host": stats.host, "num_tasks": stats.num_tasks,
                "num_enabled_tasks": stats.num_enabled_tasks,
                "num_subscriptions": stats.num_subscriptions,
                "platform": stats.platform, "version": stats.version,
            })
        ),
        "general" => {
            for (name, value) in [
                ("ClusterID:", stats.cluster_id),
                ("ServerID:", stats.server_id),
                ("Host:", stats.host),
                ("Tasks:", stats.num_tasks.to_string()),
                ("Enabled Tasks:", stats.num_enabled_tasks.to_string()),
                ("Subscriptions:", stats.num_subscriptions.to_string()),
                ("Platform:", stats.platform),
                ("Version:", stats.version),
            ] {
                println!("{name:<30}{value:<30}");
            }
        }
        "ingress" => {
            let mut ingress = stats.ingress;
            ingress.sort_by(|a, b| {
                (&a.database, &a.retention_policy, &a.measurement).cmp(&(
                    &b.database,
                    &b.retention_policy,
                    &b.measurement,
                ))
            });
            if as_json {
                let rows: Vec<serde_json::Value> = ingress
                    .iter()
                    .map(|i| {
                        serde_json::json!({
                            "database": i.database, "retention_policy": i.retention_policy,
                            "measurement": i.measurement, "points_received": i.points_received,
                        })
                    })
                    .collect();
                println!("{}", serde_json::Value::Array(rows));
                return Ok(());
            }
            let width = |len: fn(&proto::Ingress) -> usize, least: usize| {
                ingress.iter().map(len).max().unwrap_or(0).max(least) + 1
            };
            let db = width(|i| i.database.len(), 8);
            let rp = width(|i| i.retention_policy.len(), 16);
            let m = width(|i| i.measurement.len(), 11);
            println!(
                "{:<db$}{:<rp$}{:<m$}Points Received",
                "Database", "Retention Policy", "Measurement"
            );
            for i in &ingress {
                println!(
                    "{:<db$}{:<rp$}{:<m$}{:>15}",
                    i.database, i.retention_policy, i.measurement, i.points_received
                );
            }
        }
        _ => {}
    }
    Ok(())
}

/// `vars`: the server's `debug/vars` document, as it is.
pub(crate) fn vars(control: &Control) -> Result<(), ClientError> {
    let vars = control.call(|mut c| async move { c.get_vars(proto::GetVarsRequest {}).await })?;
    print!("{}", vars.json);
    Ok(())
}

/// `version`: this command line's version (and the Kapacitor API it speaks).
pub(crate) fn version() {
    println!(
        "Condenser {} (Kapacitor API {})",
        env!("CARGO_PKG_VERSION"),
        crate::daemon::kapacitor_api::KAPACITOR_VERSION
    );
}

/// `backup FILE`: writes a copy of the daemon's store to `FILE` (a new file).
pub(crate) fn backup(control: &Control, path: Option<&std::path::Path>) -> Result<(), ClientError> {
    let path = path.ok_or_else(|| ClientError("must provide file path for backup.".to_owned()))?;
    let backup = control.call(|mut c| async move { c.backup(proto::BackupRequest {}).await })?;
    std::fs::write(path, backup.store)
        .map_err(|e| ClientError(format!("failed to save backup: {e}")))
}

/// The services matching `pattern` (`*` when empty, as Kapacitor's CLI sends).
fn service_tests(control: &Control, pattern: &str) -> Result<Vec<proto::ServiceTest>, ClientError> {
    let request = proto::ListServiceTestsRequest {
        pattern: if pattern.is_empty() { "*" } else { pattern }.to_owned(),
    };
    Ok(control
        .call(|mut c| async move { c.list_service_tests(request).await })?
        .services)
}

/// `list service-tests [PATTERN…]`: the services a test alert can be sent through.
pub(crate) fn list_service_tests(
    control: &Control,
    patterns: &[String],
) -> Result<(), ClientError> {
    println!("Service Name");
    for service in super::gather(patterns, |pattern| service_tests(control, pattern))? {
        println!("{}", service.name);
    }
    Ok(())
}

/// `service-tests NAME-OR-PATTERN…`: sends a test alert through each matching service and
/// prints whether it got through, as Kapacitor's table.
pub(crate) fn run_service_tests(control: &Control, patterns: &[String]) -> Result<(), ClientError> {
    if patterns.is_empty() {
        return Err(ClientError(
            "must provide at least one service name or pattern.".to_owned(),
        ));
    }
    let services = super::gather(patterns, |pattern| service_tests(control, pattern))?;
    println!("{:<20}{:<10}Message", "Service", "Success");
    for service in services {
        let request = proto::TestServiceRequest {
            name: service.name.clone(),
            options_json: String::new(),
        };
        let tested = control.call(|mut c| async move { c.test_service(request).await })?;
        println!(
            "{:<20}{:<10}{}",
            service.name, tested.success, tested.message
        );
    }
    Ok(())
}
