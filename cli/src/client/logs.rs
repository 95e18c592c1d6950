//! `logs [KEY=VALUE…]` and `watch TASK [KEY=VALUE…]`: the daemon's log lines from now on,
//! as logfmt, until interrupted, as Kapacitor's.

use std::io::Write as _;

use super::{ClientError, Control};
use crate::control::proto;
use crate::daemon::logs::LogLine;

/// The `key=value` filters, as Kapacitor reads them.
fn filters(pairs: &[String]) -> Result<Vec<proto::LogField>, ClientError> {
    pairs
        .iter()
        .map(
            |pair| match pair.split('=').collect::<Vec<_>>().as_slice() {
                [key, value] => Ok(proto::LogField {
                    key: (*key).to_owned(),
                    value: (*value).to_owned(),
                }),
                _ => Err(ClientError(format!("bad keyvalue pair: '{pair}'"))),
            },
        )
        .collect()
}

/// `logs [KEY=VALUE…]`: prints the log lines that pass the filters until interrupted
/// (then exits 0).
pub(crate) fn logs(control: &Control, pairs: &[String]) -> Result<(), ClientError> {
    let request = proto::StreamLogsRequest {
        filters: filters(pairs)?,
    };
    control.run(|mut client| async move {
        let mut lines = client.stream_logs(request).await?.into_inner();
        let mut out = std::io::stdout();
        loop {
            tokio::select! {
                line = lines.message() => match line? {
                    Some(line) => {
                        let text = LogLine::from_proto(line).logfmt();
                        if out.write_all(text.as_bytes()).and_then(|()| out.flush()).is_err() {
                            return Ok(());
                        }
                    }
                    None => return Ok(()),
                },
                () = interrupted() => return Ok(()),
            }
        }
    })
}

/// `watch TASK [KEY=VALUE…]`: the log lines of one task.
pub(crate) fn watch(control: &Control, task: &str, pairs: &[String]) -> Result<(), ClientError> {
    let mut pairs = pairs.to_vec();
    pairs.push(format!("task={task}"));
    logs(control, &pairs)
}

/// Resolves on SIGINT or SIGTERM: the end of a stream the user asked for, not a failure.
async fn interrupted() {
    #[cfg(unix)]
    if let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        return;
    }
    let _ = tokio::signal::ctrl_c().await;
}
