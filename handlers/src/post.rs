//! `.post(url)`: each event's JSON POSTed (`Content-Type: application/json`, the script's
//! headers) to a URL, which may be a template over the event (`{{ .ID }}`). A refused
//! connection, a timeout, a 5xx or a 429 answer may pass and is retried; another 4xx is not,
//! and its body is logged with `.captureResponse()`.

use condenser_model::alert::TopicEvent;
use condenser_model::handler::PostHandlerSpec;
use condenser_model::template::Template;

use crate::{Failure, Handler, http};

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
            .unwrap_or(http::DEFAULT_TIMEOUT);
        let client = http::client(timeout, &http::Tls::default())?;
        Ok(Self {
            spec: spec.clone(),
            url,
            client,
        })
    }
}

impl Handler for PostHandler {
    fn handle(&mut self, published: &TopicEvent) -> Result<(), Failure> {
        let url = self
            .url
            .render(&crate::event_data::template_data(published))
            .map_err(|e| Failure::permanent(format!("rendering the URL template: {e}")))?;
        let mut request = self
            .client
            .post(&url)
            .header("Content-Type", "application/json")
            .body(published.event.to_json_line());
        for (key, value) in &self.spec.headers {
            request = request.header(key, value);
        }
        let capture = self.spec.capture_response;
        http::send(
            request,
            &format!("POST {url}"),
            |status| status.is_success(),
            |refusal| {
                let body = if capture { refusal.body } else { String::new() };
                format!("POST {url}: {} {body}", refusal.status)
                    .trim_end()
                    .to_owned()
            },
        )
        .map(drop)
    }
}
