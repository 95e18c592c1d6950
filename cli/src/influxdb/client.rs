//! An InfluxDB 1.x HTTP client: `/query` (times as nanoseconds) and `/write` (line
//! protocol, nanoseconds, gzip unless told not to), over its URLs in turn.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context;
use serde_json::Value;

use super::InfluxDbConfig;

/// A client of one InfluxDB. Cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::blocking::Client,
    urls: Vec<String>,
    username: String,
    password: String,
    token: String,
    gzip: bool,
}

/// Why a request failed, and whether trying again may help.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(crate) struct RequestError {
    pub(crate) message: String,
    /// A connection error, a timeout or a 5xx: it may pass.
    pub(crate) retry: bool,
}

impl Client {
    /// The client `config` describes.
    pub(crate) fn new(config: &InfluxDbConfig) -> anyhow::Result<Self> {
        let mut builder = reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(config.insecure_skip_verify);
        let timeout = InfluxDbConfig::duration(&config.timeout);
        if !timeout.is_zero() {
            builder = builder.timeout(timeout);
        } else {
            builder = builder.timeout(None::<Duration>);
        }
        if !config.ssl_ca.is_empty() {
            let pem = std::fs::read(&config.ssl_ca)
                .with_context(|| format!("[[influxdb]] ssl-ca {}", config.ssl_ca))?;
            let certificate = reqwest::Certificate::from_pem(&pem)
                .with_context(|| format!("[[influxdb]] ssl-ca {}", config.ssl_ca))?;
            builder = builder.add_root_certificate(certificate);
        }
        if !config.ssl_cert.is_empty() {
            let mut pem = std::fs::read(&config.ssl_cert)
                .with_context(|| format!("[[influxdb]] ssl-cert {}", config.ssl_cert))?;
            if !config.ssl_key.is_empty() {
                pem.extend(
                    std::fs::read(&config.ssl_key)
                        .with_context(|| format!("[[influxdb]] ssl-key {}", config.ssl_key))?,
                );
            }
            let identity = reqwest::Identity::from_pem(&pem)
                .with_context(|| format!("[[influxdb]] ssl-cert {}", config.ssl_cert))?;
            builder = builder.identity(identity);
        }
        Ok(Self {
            http: builder.build().context("making the InfluxDB client")?,
            urls: config
                .urls
                .iter()
                .map(|u| u.trim_end_matches('/').to_owned())
                .collect(),
            username: config.username.clone(),
            password: config.password.clone(),
            token: config.token.clone(),
            gzip: config.compression != "none",
        })
    }

    fn authorize(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> reqwest::blocking::RequestBuilder {
        if !self.token.is_empty() {
            request.header("Authorization", format!("Token {}", self.token))
        } else if !self.username.is_empty() {
            request.basic_auth(&self.username, Some(&self.password))
        } else {
            request
        }
    }

    /// Sends `make(url)` to each URL until one answers; an answer of another status than
    /// 2xx is an error with InfluxDB's message.
    fn send(
        &self,
        make: impl Fn(&str) -> reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, RequestError> {
        let mut last = RequestError {
            message: "no URL configured".into(),
            retry: false,
        };
        for url in &self.urls {
            match self.authorize(make(url)).send() {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => {
                    let status = response.status();
                    let body = response.text().unwrap_or_default();
                    let message = serde_json::from_str::<Value>(&body)
                        .ok()
                        .and_then(|v| v["error"].as_str().map(str::to_owned))
                        .unwrap_or(body);
                    return Err(RequestError {
                        message: format!("{url}: {status}: {}", message.trim()),
                        retry: status.is_server_error() || status.as_u16() == 429,
                    });
                }
                Err(error) => {
                    last = RequestError {
                        message: format!("{url}: {error}"),
                        retry: true,
                    };
                }
            }
        }
        Err(last)
    }

    /// Runs `query` (on database `db`): InfluxDB's JSON answer, times in nanoseconds.
    pub(crate) fn query(&self, db: Option<&str>, query: &str) -> Result<Value, RequestError> {
        let mut form: Vec<(&str, &str)> = vec![("q", query), ("epoch", "ns")];
        if let Some(db) = db.filter(|d| !d.is_empty()) {
            form.push(("db", db));
        }
        let response = self.send(|url| self.http.post(format!("{url}/query")).form(&form))?;
        let answer: Value = response.json().map_err(|e| RequestError {
            message: format!("an answer that is not JSON: {e}"),
            retry: false,
        })?;
        if let Some(error) = answer["error"].as_str() {
            return Err(RequestError {
                message: error.to_owned(),
                retry: false,
            });
        }
        if let Some(error) = answer["results"]
            .as_array()
            .into_iter()
            .flatten()
            .find_map(|r| r["error"].as_str())
        {
            return Err(RequestError {
                message: error.to_owned(),
                retry: false,
            });
        }
        Ok(answer)
    }

    /// The databases it has.
    pub(crate) fn databases(&self) -> Result<Vec<String>, RequestError> {
        let answer = self.query(None, "SHOW DATABASES")?;
        Ok(first_column(&answer))
    }

    /// Writes line-protocol `lines` (nanosecond times) to `db`.`rp`.
    pub(crate) fn write(
        &self,
        db: &str,
        rp: &str,
        consistency: &str,
        lines: &str,
    ) -> Result<(), RequestError> {
        let mut params: Vec<(&str, &str)> = vec![("db", db), ("rp", rp), ("precision", "ns")];
        if !consistency.is_empty() {
            params.push(("consistency", consistency));
        }
        let body = if self.gzip {
            let mut encoder =
                flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
            encoder
                .write_all(lines.as_bytes())
                .and_then(|()| encoder.finish())
                .map_err(|e| RequestError {
                    message: format!("cannot compress the write: {e}"),
                    retry: false,
                })?
        } else {
            lines.as_bytes().to_vec()
        };
        self.send(|url| {
            let request = self
                .http
                .post(format!("{url}/write"))
                .query(&params)
                .body(body.clone());
            if self.gzip {
                request.header("Content-Encoding", "gzip")
            } else {
                request
            }
        })
        .map(|_| ())
    }
}

/// The first column of every row of every series of an answer (`SHOW DATABASES`, `SHOW
/// RETENTION POLICIES`).
pub(crate) fn first_column(answer: &Value) -> Vec<String> {
    answer["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["series"].as_array().into_iter().flatten())
        .flat_map(|s| s["values"].as_array().into_iter().flatten())
        .filter_map(|row| row.get(0).and_then(Value::as_str).map(str::to_owned))
        .collect()
}
