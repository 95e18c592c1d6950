//! `httpPost(url)`: POSTs each point (and each batch) as Kapacitor's JSON result
//! (`{"series": [row]}`) to a URL, which may be a template (`{{ .Name }}`,
//! `{{ index .Tags "host" }}`), then passes the message on. A failed POST is logged and the
//! data still flows; with `.codeField()` the status code (0 when no answer came) is added
//! to each point.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use condenser_model::FieldType;
use serde_json::{Value, json};

use super::http_out::{batch_row, point_row};
use super::{Operator, set_field};
use crate::message::{Batch, Message, Points};
use crate::template::{Template, TemplateData};

/// The resolved properties of an `httpPost()` node.
#[derive(Debug, Clone)]
pub struct HttpPostSpec {
    /// The URL template.
    pub url: Template,
    /// `.header(key, value)`.
    pub headers: Vec<(String, String)>,
    /// `.codeField()`.
    pub code_field: Option<String>,
    /// `.timeout()`; without one, 30 seconds, so that a silent server cannot stall a task.
    pub timeout: Duration,
}

/// POSTs data.
#[derive(Debug)]
pub struct HttpPostOperator {
    spec: HttpPostSpec,
    client: Option<reqwest::blocking::Client>,
}

impl HttpPostOperator {
    /// A node with `spec`.
    pub fn new(spec: HttpPostSpec) -> Self {
        let client = reqwest::blocking::Client::builder()
            .timeout(spec.timeout)
            .build()
            .ok();
        Self { spec, client }
    }

    /// POSTs one row; the status code, or 0 when the request failed.
    fn post(&self, row: &Value) -> i64 {
        let mut data = TemplateData::default();
        if let Some(name) = row.get("name").and_then(Value::as_str) {
            data.fields.insert("Name".into(), name.to_owned());
        }
        let tags: BTreeMap<String, String> = row
            .get("tags")
            .and_then(Value::as_object)
            .map(|t| {
                t.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default();
        data.maps.insert("Tags".into(), tags);
        let url = self.spec.url.render(&data);
        let Some(client) = &self.client else { return 0 };
        let mut request = client.post(&url).json(&json!({ "series": [row] }));
        for (k, v) in &self.spec.headers {
            request = request.header(k, v);
        }
        match request.send() {
            Ok(response) => {
                let code = i64::from(response.status().as_u16());
                if !response.status().is_success() {
                    tracing::error!(url, code, "httpPost: POST returned a non-2xx status code");
                }
                code
            }
            Err(error) => {
                tracing::error!(url, %error, "httpPost: failed to POST data");
                0
            }
        }
    }

    /// `data` with the code field added to every row.
    fn with_code(&self, data: &RecordBatch, code: i64) -> RecordBatch {
        let Some(name) = &self.spec.code_field else {
            return data.clone();
        };
        let codes: ArrayRef = Arc::new(Int64Array::from(vec![code; data.num_rows()]));
        set_field(data, name, FieldType::Integer, codes)
    }
}

impl Operator for HttpPostOperator {
    fn process(&mut self, message: Message, out: &mut Vec<Message>) {
        match message {
            Message::Points(points) => {
                for row in 0..points.data.num_rows() {
                    let code = self.post(&point_row(&points, row));
                    out.push(Message::Points(Points {
                        name: Arc::clone(&points.name),
                        data: self.with_code(&points.data.slice(row, 1), code),
                        groups: vec![Arc::clone(&points.groups[row])].into(),
                    }));
                }
            }
            Message::Batches(batches) => self.process_each(batches, out),
            Message::Batch(batch) => {
                let code = self.post(&batch_row(&batch));
                out.push(Message::Batch(Batch {
                    data: self.with_code(&batch.data, code),
                    ..batch
                }));
            }
            signal @ (Message::Barrier(_) | Message::DeleteGroup(_)) => out.push(signal),
        }
    }
}
