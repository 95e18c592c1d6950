//! The write handlers of the 1.x and 2.x APIs.

use std::collections::HashMap;
use std::io::Read as _;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use condenser_model::Precision;

use super::{ApiState, error_response};
use crate::line_protocol::LineError;
use crate::write::{WriteRefused, WriteReport, WriteTarget, now_nanos};

/// How many rejected lines an error message lists before it summarises the rest.
const MAX_LISTED_ERRORS: usize = 100;

/// `POST /write?db=&rp=&precision=`.
pub(super) async fn write_v1(
    State(state): State<ApiState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let db = params.get("db").map(String::as_str).unwrap_or_default();
    if db.is_empty() {
        return error_response(StatusCode::BAD_REQUEST, "database is required");
    }
    let rp = params.get("rp").map(String::as_str).unwrap_or_default();
    write(state, db, rp, params.get("precision"), headers, body).await
}

/// `POST /api/v2/write?bucket=db[/rp]&org=&precision=`.
pub(super) async fn write_v2(
    State(state): State<ApiState>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let bucket = params.get("bucket").map(String::as_str).unwrap_or_default();
    let (db, rp) = bucket.split_once('/').unwrap_or((bucket, ""));
    if db.is_empty() {
        return error_response(
            StatusCode::BAD_REQUEST,
            "bucket is required (as database/retention-policy or database)",
        );
    }
    write(state, db, rp, params.get("precision"), headers, body).await
}

async fn write(
    state: ApiState,
    db: &str,
    rp: &str,
    precision: Option<&String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let precision = match precision.map_or(Ok(Precision::Nanosecond), |p| p.parse()) {
        Ok(precision) => precision,
        Err(err) => return error_response(StatusCode::BAD_REQUEST, &err.to_string()),
    };
    let target = WriteTarget {
        db: db.into(),
        rp: if rp.is_empty() {
            Arc::clone(&state.config.default_retention_policy)
        } else {
            rp.into()
        },
        precision,
    };
    let body = match read_body(&headers, body, state.config.max_body_bytes).await {
        Ok(body) => body,
        Err(response) => return response,
    };
    let receive_time = now_nanos();
    match state.writer.write(&target, body, receive_time).await {
        Ok(report) => report_response(&report),
        Err(refused @ WriteRefused::Busy { .. }) => {
            let mut response =
                error_response(StatusCode::SERVICE_UNAVAILABLE, &refused.to_string());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Err(refused @ WriteRefused::Closed) => {
            error_response(StatusCode::SERVICE_UNAVAILABLE, &refused.to_string())
        }
        Err(WriteRefused::Internal(err)) => {
            tracing::error!(error = %err, "write failed");
            error_response(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string())
        }
    }
}

fn too_large(limit: usize) -> Response {
    error_response(
        StatusCode::PAYLOAD_TOO_LARGE,
        &format!("request body too large: the limit is {limit} bytes (http.max_body_bytes)"),
    )
}

/// The body, gunzipped when it says so, or the answer that refuses it.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, Response> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(too_large(limit));
    }
    let raw = axum::body::to_bytes(body, limit).await.map_err(|err| {
        let err = err.into_inner();
        if err.is::<http_body_util::LengthLimitError>() {
            too_large(limit)
        } else {
            error_response(StatusCode::BAD_REQUEST, &format!("reading the body: {err}"))
        }
    })?;
    let gzip = headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    if !gzip || raw.is_empty() {
        return Ok(raw);
    }
    let mut decoded = Vec::with_capacity(raw.len() * 4);
    flate2::read::MultiGzDecoder::new(&raw[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|err| error_response(StatusCode::BAD_REQUEST, &format!("gzip: {err}")))?;
    if decoded.len() > limit {
        return Err(too_large(limit));
    }
    Ok(decoded.into())
}

/// The answer to a write that was accepted, maybe with some lines rejected.
fn report_response(report: &WriteReport) -> Response {
    if report.rejected.is_empty() {
        return StatusCode::NO_CONTENT.into_response();
    }
    let listed = rejected_lines(&report.rejected);
    let message = if report.points > 0 {
        format!("partial write: {listed} dropped={}", report.rejected.len())
    } else {
        format!("{listed} dropped={}", report.rejected.len())
    };
    error_response(StatusCode::BAD_REQUEST, &message)
}

/// The rejected lines, one per line of the message, the tail summarised.
fn rejected_lines(errors: &[LineError]) -> String {
    let mut listed: Vec<String> = errors
        .iter()
        .take(MAX_LISTED_ERRORS)
        .map(LineError::to_string)
        .collect();
    if errors.len() > MAX_LISTED_ERRORS {
        listed.push(format!(
            "… and {} more rejected lines",
            errors.len() - MAX_LISTED_ERRORS
        ));
    }
    listed.join("\n")
}
