//! `httpPost(url)`: POSTs each point (and each batch) as JSON, then passes it on.

use std::fmt;

use condenser_model::Duration;

use super::{Call, Properties, Quoted, string_of, unsupported};
use crate::Diagnostic;
use crate::template::Template;

/// The resolved properties of an `httpPost()` node.
#[derive(Debug, Clone, PartialEq)]
pub struct HttpPostSpec {
    /// The URL, a template over the data's `.Name` and `.Tags`.
    pub url: Template,
    /// `.header(key, value)`: headers of every request (a later key replaces a value).
    pub headers: Vec<(String, String)>,
    /// `.codeField()`: a field that gets the response's status code (0 without an answer).
    pub code_field: Option<String>,
    /// `.captureResponse()`: the body of a failed response is logged.
    pub capture_response: bool,
    /// `.timeout()`: how long a request may take (zero: Condenser's 30 seconds, so that a
    /// silent server cannot stall the task).
    pub timeout: Duration,
}

impl HttpPostSpec {
    pub(super) fn resolve(props: &mut Properties<'_>) -> Result<Self, Diagnostic> {
        if let Some(setting) = props.last("Endpoint") {
            return Err(unsupported(
                setting.span,
                ".endpoint() of httpPost() (configured endpoints)".to_owned(),
            ));
        }
        let (url, span) = match props.strings("URLs") {
            Some(urls) => (urls.into_iter().next(), props.span()),
            None => {
                let arg = props.args().first();
                (
                    arg.and_then(string_of).map(str::to_owned),
                    arg.map_or(props.span(), |a| a.span),
                )
            }
        };
        let url =
            url.ok_or_else(|| Diagnostic::error(props.span(), "must provide url or endpoint"))?;
        let url = Template::parse(&url).map_err(|e| Diagnostic::error(span, e))?;
        let mut headers = Vec::new();
        for setting in props.all("Header") {
            if let [key, value] = setting.args.as_slice() {
                let (key, value) = (string_of(key), string_of(value));
                super::default::upsert(
                    &mut headers,
                    key.unwrap_or_default().to_owned(),
                    value.unwrap_or_default().to_owned(),
                );
            }
        }
        Ok(HttpPostSpec {
            url,
            headers,
            code_field: props.string("CodeField"),
            capture_response: props.flag("CaptureResponse"),
            timeout: props.duration("Timeout").unwrap_or_default(),
        })
    }
}

impl fmt::Display for HttpPostSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut call = Call::new(f, "httpPost", &[&Quoted(self.url.source())]);
        for (key, value) in &self.headers {
            call = call.prop("header", &[&Quoted(key), &Quoted(value)]);
        }
        let code_field = self.code_field.as_deref().map(Quoted);
        call.opt(
            "codeField",
            code_field.as_ref().map(|q| q as &dyn fmt::Display),
        )
        .flag("captureResponse", self.capture_response)
        .duration("timeout", self.timeout)
        .end()
    }
}
