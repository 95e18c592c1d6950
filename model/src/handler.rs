//! Alert handlers as a task configures them: what an alert node's `.log()`, `.post()`,
//! `.tcp()` and `.exec()` say, resolved and checked when the task is defined, then carried
//! by the plan to the handlers that run them. Serialized (tagged by `kind`) for storage with
//! the task and in topic handler specs.

use serde::{Deserialize, Serialize};

use crate::Duration;

/// One handler of an alert node, with the options the script gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase", deny_unknown_fields)]
pub enum HandlerSpec {
    /// `.log(path)`: each event as a JSON line appended to a file.
    Log(LogHandlerSpec),
    /// `.post(url)`: each event's JSON POSTed to a URL.
    Post(PostHandlerSpec),
    /// `.tcp(address)`: each event's JSON written to a TCP connection.
    Tcp(TcpHandlerSpec),
    /// `.exec(program, args…)`: a program run for each event, the JSON on its stdin.
    Exec(ExecHandlerSpec),
}

impl HandlerSpec {
    /// Kapacitor's name of the handler kind (`log`, `post`, `tcp`, `exec`).
    pub fn kind(&self) -> &'static str {
        match self {
            HandlerSpec::Log(_) => "log",
            HandlerSpec::Post(_) => "post",
            HandlerSpec::Tcp(_) => "tcp",
            HandlerSpec::Exec(_) => "exec",
        }
    }
}

/// `.log(path).mode(m)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LogHandlerSpec {
    /// The file, an absolute path; opened to append for each event.
    pub path: String,
    /// The permission bits of the file when it is created (default `0600`).
    pub mode: u32,
}

/// `.post(url)` with `.header(k, v)`, `.captureResponse()` and `.timeout(d)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostHandlerSpec {
    /// The URL, a Go template over the event (`{{ .ID }}`).
    pub url: String,
    /// Headers set on each request, in order (a later key replaces an earlier one).
    pub headers: Vec<(String, String)>,
    /// Whether the body of a failed response is logged.
    pub capture_response: bool,
    /// How long one request may take; zero for the handler's default.
    pub timeout: Duration,
}

/// `.tcp(address)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TcpHandlerSpec {
    /// `host:port` to connect to for each event.
    pub address: String,
}

/// `.exec(program, args…)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecHandlerSpec {
    /// The program, then its arguments.
    pub command: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_round_trip_tagged_by_kind() {
        let spec = HandlerSpec::Log(LogHandlerSpec {
            path: "/tmp/alerts.log".into(),
            mode: 0o644,
        });
        let json = serde_json::to_string(&spec).unwrap();
        assert_eq!(
            json,
            r#"{"kind":"log","path":"/tmp/alerts.log","mode":420}"#
        );
        assert_eq!(serde_json::from_str::<HandlerSpec>(&json).unwrap(), spec);
        assert!(
            serde_json::from_str::<HandlerSpec>(r#"{"kind":"log","path":"/x","mode":1,"y":2}"#)
                .is_err()
        );
    }
}
