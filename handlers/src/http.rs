//! What the HTTP handlers share: a client with a timeout and the TLS a section asks for,
//! and how an answer becomes a [`Failure`] (a refused connection, a timeout, a 5xx or a 429
//! may pass and is retried; another 4xx is not).

use std::time::Duration;

use reqwest::blocking::{Client, RequestBuilder};

use crate::Failure;

/// How long a request may take when nothing else says.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// The TLS a section asks for: certificate authorities and a client certificate (PEM
/// files), or no verification at all.
#[derive(Debug, Default)]
pub(crate) struct Tls<'a> {
    pub(crate) ca: &'a str,
    pub(crate) cert: &'a str,
    pub(crate) key: &'a str,
    pub(crate) insecure_skip_verify: bool,
}

/// A client whose requests time out after `timeout`.
pub(crate) fn client(timeout: Duration, tls: &Tls<'_>) -> Result<Client, String> {
    let read = |path: &str| std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"));
    let mut builder = Client::builder()
        .timeout(timeout)
        .danger_accept_invalid_certs(tls.insecure_skip_verify);
    if !tls.ca.is_empty() {
        let ca = reqwest::Certificate::from_pem(&read(tls.ca)?)
            .map_err(|e| format!("Could not load TLS CA: {e}"))?;
        builder = builder.add_root_certificate(ca);
    }
    match (tls.cert.is_empty(), tls.key.is_empty()) {
        (true, true) => {}
        (false, true) => {
            return Err("Must provide both key and cert files: only cert file provided.".into());
        }
        (true, false) => {
            return Err("Must provide both key and cert files: only key file provided.".into());
        }
        (false, false) => {
            let mut pem = read(tls.cert)?;
            pem.extend(read(tls.key)?);
            let identity = reqwest::Identity::from_pem(&pem)
                .map_err(|e| format!("Could not load TLS client key/certificate: {e}"))?;
            builder = builder.identity(identity);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot make an HTTP client: {e}"))
}

/// An answer that was not a success.
pub(crate) struct Refusal {
    /// Its status.
    pub(crate) status: reqwest::StatusCode,
    /// Its body.
    pub(crate) body: String,
}

/// Sends `request` (to `what`, for messages) and returns the body of an answer whose
/// status `accept` takes; any other answer is a [`Refusal`] made into a failure by
/// `describe`, retried when a 5xx or 429.
pub(crate) fn send(
    request: RequestBuilder,
    what: &str,
    accept: impl Fn(reqwest::StatusCode) -> bool,
    describe: impl FnOnce(Refusal) -> String,
) -> Result<String, Failure> {
    let response = request
        .send()
        .map_err(|e| Failure::transient(format!("{what}: {e}")))?;
    let status = response.status();
    let body = response.text().unwrap_or_default();
    if accept(status) {
        return Ok(body);
    }
    let message = describe(Refusal { status, body });
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        Err(Failure::transient(message))
    } else {
        Err(Failure::permanent(message))
    }
}

/// A body as Go's `json.Encoder` writes it: Go's JSON, then a newline.
pub(crate) fn go_json_line<T: serde::Serialize>(value: &T) -> String {
    let mut body = condenser_model::go_json::to_string(value);
    body.push('\n');
    body
}
