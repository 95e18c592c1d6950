//! `.post(url)`: each event's JSON POSTed (`Content-Type: application/json`, the script's
//! headers) to a URL, which may be a template over the event (`{{ .ID }}`). A refused
//! connection, a timeout, a 5xx or a 429 answer may pass and is retried; another 4xx is not,
//! and its body is logged with `.captureResponse()`.

use std::time::Duration;

use condenser_model::AlertEvent;
use condenser_model::handler::PostHandlerSpec;
use condenser_model::template::{Template, Value};

use crate::{Failure, Handler};

/// How long a request may take when the script sets no `.timeout()`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// POSTs events.
#[derive(Debug)]
pub struct PostHandler {
    spec: PostHandlerSpec,
    url: Template,
    client: reqwest::blocking::Client,
}

impl PostHandler {
    /// A handler posting where `spec` says; an error when the URL is no template or no
    /// HTTP client can be made.
    pub fn new(spec: &PostHandlerSpec) -> Result<Self, String> {
        let url = Template::parse(&spec.url)?;
        let timeout = spec
            .timeout
            .to_std()
            .filter(|t| !t.is_zero())
            .unwrap_or(DEFAULT_TIMEOUT);
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| format!("cannot make an HTTP client: {e}"))?;
        Ok(Self {
            spec: spec.clone(),
            url,
            client,
        })
    }
}

/// What a `.post()` URL template sees: Kapacitor's `alert.Data`.
fn template_data(event: &AlertEvent) -> Value {
    Value::structure([
        ("ID", Value::Str(event.id.clone())),
        ("Message", Value::Str(event.message.clone())),
        ("Details", Value::Str(event.details.clone())),
        ("Time", Value::Time(event.time)),
        ("Duration", Value::Duration(event.duration)),
        ("Level", Value::Str(event.level.as_str().to_owned())),
        (
            "PreviousLevel",
            Value::Str(event.previous_level.as_str().to_owned()),
        ),
        ("Recoverable", Value::Bool(event.recoverable)),
    ])
}

impl Handler for PostHandler {
    fn handle(&mut self, event: &AlertEvent) -> Result<(), Failure> {
        let url = self
            .url
            .render(&template_data(event))
            .map_err(|e| Failure::permanent(format!("rendering the URL template: {e}")))?;
        let mut request = self
            .client
            .post(&url)
            .header("Content-Type", "application/json")
            .body(event.to_json_line());
        for (key, value) in &self.spec.headers {
            request = request.header(key, value);
        }
        let response = request
            .send()
            .map_err(|e| Failure::transient(format!("POST {url}: {e}")))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let body = if self.spec.capture_response {
            response.text().unwrap_or_default()
        } else {
            String::new()
        };
        let message = format!("POST {url}: {status} {body}").trim_end().to_owned();
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(Failure::transient(message))
        } else {
            Err(Failure::permanent(message))
        }
    }
}
