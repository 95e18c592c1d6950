//! The HTTP API of ingest, as an axum [`Router`] the daemon serves (and extends).
//!
//! | route | what |
//! |---|---|
//! | `POST /write`, `POST /kapacitor/v1/write` | InfluxDB 1.x write: `db`, `rp`, `precision` |
//! | `POST /api/v2/write` | InfluxDB 2.x write: `bucket` (`db/rp` or `db`), `org`, `precision` |
//! | `GET`/`HEAD /ping` | 204 with `X-Influxdb-Version` |
//! | `GET /metrics` | counters in Prometheus text format |
//!
//! Every answer carries `X-Influxdb-Version`, `X-Influxdb-Build`, `Request-Id` and
//! `X-Request-Id`, as InfluxDB's do. Errors are JSON `{"error":"…"}` labelled as JSON.

mod write;

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::write::Writer;

/// The version this build reports in `X-Influxdb-Version`: the InfluxDB API version it speaks,
/// then Condenser's own.
pub const INFLUXDB_VERSION: &str = concat!("1.8-condenser-", env!("CARGO_PKG_VERSION"));

/// Settings of the HTTP write API.
#[derive(Debug, Clone)]
pub struct HttpApiConfig {
    /// Largest body accepted, in bytes (after gzip decoding); larger ones get 413.
    pub max_body_bytes: usize,
    /// The retention policy of writes that name none.
    pub default_retention_policy: Arc<str>,
}

impl Default for HttpApiConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 25_000_000,
            default_retention_policy: "autogen".into(),
        }
    }
}

/// Something that adds its own counters to `/metrics`.
pub trait MetricsSource: Send + Sync {
    /// Appends the counters in Prometheus text format.
    fn render(&self, out: &mut String);
}

/// What the handlers share.
#[derive(Clone)]
struct ApiState {
    writer: Writer,
    config: Arc<HttpApiConfig>,
    metrics_sources: Arc<[Arc<dyn MetricsSource>]>,
}

/// The ingest routes, writing through `writer`; `metrics_sources` add to `/metrics`.
pub fn router(
    writer: Writer,
    config: HttpApiConfig,
    metrics_sources: Vec<Arc<dyn MetricsSource>>,
) -> Router {
    let state = ApiState {
        writer,
        config: Arc::new(config),
        metrics_sources: metrics_sources.into(),
    };
    Router::new()
        .route("/write", post(write::write_v1))
        .route("/kapacitor/v1/write", post(write::write_v1))
        .route("/api/v2/write", post(write::write_v2))
        .route("/ping", get(ping).head(ping))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::disable())
        .layer(axum::middleware::map_response(identify))
        .with_state(state)
}

/// `/ping`: 204, or with `verbose` (not `false`/`0`) 200 and `{"version": …}`, as InfluxDB.
async fn ping(Query(params): Query<HashMap<String, String>>) -> Response {
    let verbose = params
        .get("verbose")
        .is_some_and(|v| !matches!(v.as_str(), "" | "0" | "false"));
    if verbose {
        let body = serde_json::json!({ "version": INFLUXDB_VERSION }).to_string();
        return (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response();
    }
    (
        StatusCode::NO_CONTENT,
        [(header::CONTENT_TYPE, "application/json")],
    )
        .into_response()
}

async fn metrics(State(state): State<ApiState>) -> Response {
    let mut out = String::new();
    state.writer.metrics().render(&mut out);
    for source in state.metrics_sources.iter() {
        source.render(&mut out);
    }
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response()
}

/// How much of an error message `X-Influxdb-Error` repeats, as InfluxDB.
const MAX_ERROR_HEADER: usize = 1024;

/// A JSON error answer in InfluxDB's shape, with the message also in `X-Influxdb-Error`.
pub(crate) fn error_response(status: StatusCode, message: &str) -> Response {
    let body = serde_json::json!({ "error": message }).to_string() + "\n";
    let mut response = (status, [(header::CONTENT_TYPE, "application/json")], body).into_response();
    let mut one_line = message.replace(['\n', '\r'], " ");
    if one_line.len() > MAX_ERROR_HEADER {
        let mut end = MAX_ERROR_HEADER;
        while !one_line.is_char_boundary(end) {
            end -= 1;
        }
        one_line.truncate(end);
    }
    if let Ok(value) = HeaderValue::from_str(&one_line) {
        response
            .headers_mut()
            .insert(HeaderName::from_static("x-influxdb-error"), value);
    }
    response
}

/// Adds the headers InfluxDB puts on every answer.
async fn identify(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        HeaderName::from_static("x-influxdb-version"),
        HeaderValue::from_static(INFLUXDB_VERSION),
    );
    headers.insert(
        HeaderName::from_static("x-influxdb-build"),
        HeaderValue::from_static("OSS"),
    );
    if let Ok(id) = HeaderValue::from_str(&request_id()) {
        headers.insert(HeaderName::from_static("request-id"), id.clone());
        headers.insert(HeaderName::from_static("x-request-id"), id);
    }
    response
}

/// A fresh request id in UUID form (random per process, then counted).
fn request_id() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SEED: std::sync::OnceLock<RandomState> = std::sync::OnceLock::new();
    let seed = SEED.get_or_init(RandomState::new);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let high = seed.hash_one(n);
    let low = seed.hash_one(!n);
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xfff,
        (low >> 48) & 0x3fff | 0x8000,
        low & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests;
