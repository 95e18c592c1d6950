//! The client verbs of `condenser`, Kapacitor's (`define`, `list tasks|templates`, `show`,
//! `enable`, `disable`, `reload`, `delete tasks|templates`, `define-template`,
//! `show-template`, and the topic verbs: `list topics|topic-handlers`, `show-topic`,
//! `show-topic-handler`, `define-topic-handler`, `delete topics|topic-handlers`; `stats`,
//! `vars`, `version`, `logs`, `watch`, `backup`; `record stream`, `replay`,
//! `list|delete recordings|replays`): they speak the daemon's gRPC control plane
//! (`condenser.v1.Control`, on the daemon's one port: `--url`, `CONDENSER_URL`, by default
//! the local daemon) and print what Kapacitor's own `kapacitor` prints, byte for byte.
//!
//! A verb that fails prints `Error: <why>` on standard error and exits 3, as Kapacitor's;
//! a misused one prints its usage and exits 2.

pub(crate) mod alerts;
pub(crate) mod logs;
pub(crate) mod recordings;
pub(crate) mod stats;
pub(crate) mod tasks;
pub(crate) mod templates;

use std::future::Future;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use crate::control::proto::control_client::ControlClient;

/// A refused or failed request: what to print after `Error: `.
#[derive(Debug)]
pub(crate) struct ClientError(pub(crate) String);

impl std::fmt::Display for ClientError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<tonic::Status> for ClientError {
    /// The daemon's message: Kapacitor's words for what was refused.
    fn from(status: tonic::Status) -> Self {
        ClientError(status.message().to_owned())
    }
}

/// The exit of a verb: 0, or `Error: …` and 3.
pub(crate) fn finish(result: Result<(), ClientError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("Error: {error}");
            ExitCode::from(3)
        }
    }
}

/// Sends the token of `CONDENSER_TOKEN` (the daemon's `[auth] token`) with every call.
#[derive(Debug, Clone)]
pub(crate) struct Token(Option<AsciiMetadataValue>);

impl Interceptor for Token {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(token) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", token.clone());
        }
        Ok(request)
    }
}

/// TLS for an `https://` daemon: the certificate authority in the PEM file
/// `CONDENSER_CA` (a daemon's own self-signed certificate, say), else the web's roots.
fn tls_config() -> Result<tonic::transport::ClientTlsConfig, ClientError> {
    let config = tonic::transport::ClientTlsConfig::new();
    match std::env::var_os("CONDENSER_CA") {
        Some(path) => {
            let pem = std::fs::read(&path).map_err(|e| {
                ClientError(format!(
                    "reading CONDENSER_CA {}: {e}",
                    Path::new(&path).display()
                ))
            })?;
            Ok(config.ca_certificate(tonic::transport::Certificate::from_pem(pem)))
        }
        None => Ok(config.with_webpki_roots()),
    }
}

/// The control plane of one daemon, called from the client's synchronous verbs.
pub(crate) struct Control {
    runtime: tokio::runtime::Runtime,
    client: ControlClient<InterceptedService<Channel, Token>>,
}

impl Control {
    /// Connects to the daemon at `url` (`http://host:port`).
    pub(crate) fn connect(url: &str) -> Result<Self, ClientError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(ClientError(format!(
                "unsupported protocol scheme in {url:?}: the address must start with http:// or https://"
            )));
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ClientError(e.to_string()))?;
        let mut endpoint = Endpoint::from_shared(url.trim_end_matches('/').to_owned())
            .map_err(|e| ClientError(format!("invalid address {url:?}: {e}")))?
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if url.starts_with("https://") {
            endpoint = endpoint
                .tls_config(tls_config()?)
                .map_err(|e| ClientError(format!("TLS for {url}: {e}")))?;
        }
        let channel = runtime.block_on(endpoint.connect()).map_err(|e| {
            let why =
                std::error::Error::source(&e).map_or_else(|| e.to_string(), |s| s.to_string());
            ClientError(format!("cannot reach the daemon at {url}: {why}"))
        })?;
        let token = std::env::var("CONDENSER_TOKEN")
            .ok()
            .and_then(|token| MetadataValue::try_from(format!("Bearer {token}")).ok());
        Ok(Self {
            runtime,
            client: ControlClient::with_interceptor(channel, Token(token)),
        })
    }

    /// Runs `work` with the client, waiting for it to end; its status, if it failed, is
    /// the error.
    pub(crate) fn run<F>(
        &self,
        work: impl FnOnce(ControlClient<InterceptedService<Channel, Token>>) -> F,
    ) -> Result<(), ClientError>
    where
        F: Future<Output = Result<(), tonic::Status>>,
    {
        self.runtime
            .block_on(work(self.client.clone()))
            .map_err(ClientError::from)
    }

    /// Makes one call with the client, waiting for its answer.
    pub(crate) fn call<T, F>(
        &self,
        call: impl FnOnce(ControlClient<InterceptedService<Channel, Token>>) -> F,
    ) -> Result<T, tonic::Status>
    where
        F: Future<Output = Result<tonic::Response<T>, tonic::Status>>,
    {
        self.runtime
            .block_on(call(self.client.clone()))
            .map(tonic::Response::into_inner)
    }
}

/// The patterns given, or the one that takes everything.
pub(crate) fn patterns_or_all(patterns: &[String]) -> Vec<&str> {
    if patterns.is_empty() {
        vec![""]
    } else {
        patterns.iter().map(String::as_str).collect()
    }
}

/// What `fetch` gives for each pattern (every item for none), one pattern after another.
pub(crate) fn gather<T>(
    patterns: &[String],
    mut fetch: impl FnMut(&str) -> Result<Vec<T>, ClientError>,
) -> Result<Vec<T>, ClientError> {
    let mut all = Vec::new();
    for pattern in patterns_or_all(patterns) {
        all.extend(fetch(pattern)?);
    }
    Ok(all)
}

/// Prints `items` as a JSON array.
pub(crate) fn print_json(items: impl Iterator<Item = serde_json::Value>) {
    println!("{}", serde_json::Value::Array(items.collect()));
}

/// Go's `time.RFC822` of an RFC 3339 time as the daemon writes it (`02 Jan 06 15:04 UTC`);
/// the text itself when it is not one.
pub(crate) fn rfc822(text: &str) -> String {
    // Go's zero time (a task never enabled) is before what nanoseconds since 1970 reach.
    if text == "0001-01-01T00:00:00Z" {
        return "01 Jan 01 00:00 UTC".to_owned();
    }
    let Some(nanos) = condenser_model::time::parse_rfc3339(text) else {
        return text.to_owned();
    };
    // The zone: UTC for `Z`, else the offset as Go prints an unnamed zone (`-0300`).
    let (offset_seconds, zone) = match text.rfind(['+', '-']).filter(|&i| i > 10) {
        Some(i) if !text.ends_with('Z') => {
            let sign = if &text[i..=i] == "-" { -1 } else { 1 };
            let digits: String = text[i + 1..].chars().filter(char::is_ascii_digit).collect();
            let hours: i64 = digits.get(..2).and_then(|h| h.parse().ok()).unwrap_or(0);
            let minutes: i64 = digits.get(2..4).and_then(|m| m.parse().ok()).unwrap_or(0);
            (
                sign * (hours * 3600 + minutes * 60),
                format!("{}{digits}", &text[i..=i]),
            )
        }
        _ => (0, "UTC".to_owned()),
    };
    let seconds = nanos.div_euclid(1_000_000_000) + offset_seconds;
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = condenser_model::time::civil_from_days(days);
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{day:02} {} {:02} {:02}:{:02} {zone}",
        MONTHS[(month as usize + 11) % 12],
        year.rem_euclid(100),
        second_of_day / 3600,
        second_of_day / 60 % 60
    )
}

/// Go's `%q` of a string: double-quoted, with `"`, `\` and control characters escaped.
pub(crate) fn go_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Turns Go-style single-dash long flags (`-tick f`, `-url=…`) into clap's (`--tick`), so
/// Kapacitor users' habits work; a lone `-x`, a number and `--…` are left alone.
pub(crate) fn normalize_flags(args: impl IntoIterator<Item = String>) -> Vec<String> {
    args.into_iter()
        .map(|arg| {
            let long = arg.len() > 2
                && arg.starts_with('-')
                && !arg.starts_with("--")
                && arg[1..].starts_with(|c: char| c.is_ascii_alphabetic())
                && arg[1..].split('=').next().is_some_and(|name| {
                    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                });
            if long { format!("-{arg}") } else { arg }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_as_go_s_rfc822() {
        assert_eq!(rfc822("2020-10-25T17:01:02.5Z"), "25 Oct 20 17:01 UTC");
        assert_eq!(rfc822("2020-12-12T20:08:00-03:00"), "12 Dec 20 20:08 -0300");
        assert_eq!(rfc822("0001-01-01T00:00:00Z"), "01 Jan 01 00:00 UTC");
    }

    #[test]
    fn single_dash_long_flags_become_double_dash() {
        let args = [
            "condenser",
            "define",
            "t",
            "-tick",
            "a.tick",
            "-dbrp=db.rp",
            "-h",
            "--url",
            "-5",
        ];
        assert_eq!(
            normalize_flags(args.map(String::from)),
            [
                "condenser",
                "define",
                "t",
                "--tick",
                "a.tick",
                "--dbrp=db.rp",
                "-h",
                "--url",
                "-5"
            ]
        );
    }

    #[test]
    fn strings_quote_as_go_s_percent_q() {
        assert_eq!(go_quote("telegraf"), "\"telegraf\"");
        assert_eq!(go_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
