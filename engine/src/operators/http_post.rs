//! `httpPost(url)`: POSTs each point (and each batch) as Kapacitor's JSON result
//! (`{"series": [row]}`) to a URL, which may be a template (`{{ .Name }}`,
//! `{{ index .Tags "host" }}`), then passes the message on. A failed POST is logged and the
//! data still flows; with `.codeField()` the status code (0 when no answer came) is added
//! to each point.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use condenser_model::FieldType;
use condenser_model::template::Value as TemplateValue;
use condenser_planner::nodes::HttpPostSpec;
use serde_json::{Value, json};

use super::http_out::{batch_row, point_row};
use super::{Context, Operator};
use crate::error::{Error, Result};
use crate::message::{Batch, Data, Message, Points};
use crate::points::set_field;

/// How long a request may take when the script sets no `.timeout()`.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// POSTs data.
#[derive(Debug)]
pub struct HttpPostOperator {
    spec: HttpPostSpec,
    client: reqwest::blocking::Client,
}

impl HttpPostOperator {
    /// A node with `spec`; an error when no HTTP client can be made (no TLS roots).
    pub fn try_new(spec: &HttpPostSpec) -> Result<Self> {
        let timeout = spec
            .timeout
            .to_std()
            .filter(|t| !t.is_zero())
            .unwrap_or(DEFAULT_TIMEOUT);
        let client = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| Error::External {
                service: "httpPost".into(),
                message: format!("cannot make an HTTP client: {e}"),
            })?;
        Ok(Self {
            spec: spec.clone(),
            client,
        })
    }

    /// POSTs one row; the status code, or 0 when the request failed (reported on `ctx`).
    fn post(&self, row: &Value, ctx: &mut Context<'_>) -> i64 {
        let name = row.get("name").and_then(Value::as_str).unwrap_or_default();
        let tags = row
            .get("tags")
            .and_then(Value::as_object)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        let data = TemplateValue::structure([
            ("Name", TemplateValue::Str(name.to_owned())),
            ("Tags", TemplateValue::strings(tags)),
        ]);
        let url = match self.spec.url.render(&data) {
            Ok(url) => url,
            Err(error) => {
                ctx.fail(&format_args!("rendering the URL template: {error}"));
                return 0;
            }
        };
        let mut request = self.client.post(&url).json(&json!({ "series": [row] }));
        for (k, v) in &self.spec.headers {
            request = request.header(k, v);
        }
        match request.send() {
            Ok(response) => {
                let status = response.status();
                let code = i64::from(status.as_u16());
                if !status.is_success() {
                    let body = if self.spec.capture_response {
                        response.text().unwrap_or_default()
                    } else {
                        String::new()
                    };
                    ctx.fail(&format_args!("POST {url} returned status {code} {body}"));
                }
                code
            }
            Err(error) => {
                ctx.fail(&format_args!("POST {url} failed: {error}"));
                0
            }
        }
    }

    /// `data` with the code field added to every row.
    fn with_code(&self, data: &RecordBatch, code: i64) -> Result<RecordBatch> {
        let Some(name) = &self.spec.code_field else {
            return Ok(data.clone());
        };
        let codes: ArrayRef = Arc::new(Int64Array::from(vec![code; data.num_rows()]));
        set_field(data, name, FieldType::Integer, codes)
    }

    fn batch(&self, batch: Batch, ctx: &mut Context<'_>, out: &mut Vec<Message>) -> Result<()> {
        let code = self.post(&batch_row(&batch), ctx);
        out.push(Message::Batch(Batch {
            data: self.with_code(&batch.data, code)?,
            ..batch
        }));
        Ok(())
    }
}

impl fmt::Display for HttpPostOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HttpPost: {}", self.spec)
    }
}

impl Operator for HttpPostOperator {
    fn process(
        &mut self,
        _input: usize,
        data: Data,
        ctx: &mut Context<'_>,
        out: &mut Vec<Message>,
    ) -> Result<()> {
        match data {
            Data::Points(points) => {
                for row in 0..points.data.num_rows() {
                    let code = self.post(&point_row(&points, row), ctx);
                    out.push(Message::Points(Points {
                        name: Arc::clone(&points.name),
                        data: self.with_code(&points.data.slice(row, 1), code)?,
                        groups: vec![Arc::clone(&points.groups[row])].into(),
                    }));
                }
            }
            Data::Batches(batches) => {
                for batch in batches.split()? {
                    self.batch(batch, ctx, out)?;
                }
            }
            Data::Batch(batch) => self.batch(batch, ctx, out)?,
        }
        Ok(())
    }
}
