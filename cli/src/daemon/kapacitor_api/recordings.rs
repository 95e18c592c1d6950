//! Kapacitor's `/kapacitor/v1/recordings` and `/kapacitor/v1/replays` routes over
//! [`Recordings`]: stream recordings, and replays of them against tasks. Batch and query
//! recordings and replays come with batch tasks: they are refused, saying so.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use super::{ApiError, Listing, error, json_response};
use crate::control::{object, recording_fields, replay_fields};
use crate::daemon::recordings::{RecordingError, Recordings};

/// The fields `GET /recordings` and `GET /replays` may be asked for.
const RECORDING_FIELDS: [&str; 8] = [
    "link", "id", "type", "size", "date", "error", "status", "progress",
];
const REPLAY_FIELDS: [&str; 10] = [
    "link",
    "id",
    "recording",
    "task",
    "recording-time",
    "clock",
    "date",
    "error",
    "status",
    "progress",
];

/// The routes, for the API's router.
pub(super) fn routes() -> Router<Arc<Recordings>> {
    Router::new()
        .route("/kapacitor/v1/recordings", get(list_recordings))
        .route("/kapacitor/v1/recordings/stream", post(record_stream))
        .route("/kapacitor/v1/recordings/batch", post(record_batch))
        .route("/kapacitor/v1/recordings/query", post(record_query))
        .route(
            "/kapacitor/v1/recordings/{id}",
            get(get_recording).delete(delete_recording),
        )
        .route("/kapacitor/v1/replays", get(list_replays).post(replay))
        .route("/kapacitor/v1/replays/batch", post(not_yet))
        .route("/kapacitor/v1/replays/query", post(not_yet))
        .route(
            "/kapacitor/v1/replays/{id}",
            get(get_replay).delete(delete_replay),
        )
}

impl From<RecordingError> for ApiError {
    fn from(err: RecordingError) -> Self {
        let status = match &err {
            RecordingError::NotFound(message) if message.starts_with("error finding") => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
            RecordingError::NotFound(_) => StatusCode::NOT_FOUND,
            RecordingError::Invalid(_) => StatusCode::BAD_REQUEST,
            RecordingError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        error(status, &err.to_string())
    }
}

async fn not_yet() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "replaying a batch or a query directly (replay-live) is not supported by Condenser yet: record it, then replay the recording",
    )
    .into_response()
}

/// 202 while running, as Kapacitor answers.
fn running_or_done(status: &str, body: serde_json::Value) -> Response {
    let code = if status == "running" {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    json_response(code, &body)
}

async fn list_recordings(
    State(recordings): State<Arc<Recordings>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let listing = match Listing::parse(&pairs, &RECORDING_FIELDS, &RECORDING_FIELDS) {
        Ok(listing) => listing,
        Err(response) => return response.into_response(),
    };
    let listed = listing.page(&recordings.recordings(&listing.pattern), |r| {
        recording_fields(&r.to_proto())
    });
    json_response(StatusCode::OK, &serde_json::json!({ "recordings": listed }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordStreamBody {
    id: String,
    task: String,
    stop: String,
}

async fn record_stream(
    State(recordings): State<Arc<Recordings>>,
    body: axum::body::Bytes,
) -> Response {
    let body: RecordStreamBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()).into_response(),
    };
    let Some(stop) = condenser_model::time::parse_rfc3339(&body.stop) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("invalid stop time {:?}", body.stop),
        )
        .into_response();
    };
    created(recordings.record_stream(&body.id, &body.task, stop).await)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordBatchBody {
    id: String,
    task: String,
    start: String,
    stop: String,
}

async fn record_batch(
    State(recordings): State<Arc<Recordings>>,
    body: axum::body::Bytes,
) -> Response {
    let body: RecordBatchBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()).into_response(),
    };
    let Some(start) = condenser_model::time::parse_rfc3339(&body.start) else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("invalid start time {:?}", body.start),
        )
        .into_response();
    };
    // Without a stop, up to now.
    let stop = if body.stop.is_empty() {
        Some(condenser_engine::clock::system_now())
    } else {
        condenser_model::time::parse_rfc3339(&body.stop)
    };
    let Some(stop) = stop else {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("invalid stop time {:?}", body.stop),
        )
        .into_response();
    };
    created(
        recordings
            .record_batch(&body.id, &body.task, start, stop)
            .await,
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RecordQueryBody {
    id: String,
    query: String,
    #[serde(rename = "type")]
    kind: String,
    cluster: String,
}

async fn record_query(
    State(recordings): State<Arc<Recordings>>,
    body: axum::body::Bytes,
) -> Response {
    let body: RecordQueryBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()).into_response(),
    };
    created(recordings.record_query(&body.id, &body.query, &body.kind, &body.cluster))
}

/// A recording that started: 201 with it, as Kapacitor answers.
fn created(
    started: Result<crate::daemon::recordings::RecordingRecord, RecordingError>,
) -> Response {
    match started {
        Ok(record) => json_response(
            StatusCode::CREATED,
            &object(recording_fields(&record.to_proto())),
        ),
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn get_recording(
    State(recordings): State<Arc<Recordings>>,
    Path(id): Path<String>,
) -> Response {
    match recordings.recording(&id) {
        Ok(record) => {
            let record = record.to_proto();
            running_or_done(&record.status, object(recording_fields(&record)))
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn delete_recording(
    State(recordings): State<Arc<Recordings>>,
    Path(id): Path<String>,
) -> Response {
    match recordings.delete_recording(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn list_replays(
    State(recordings): State<Arc<Recordings>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let listing = match Listing::parse(&pairs, &REPLAY_FIELDS, &REPLAY_FIELDS) {
        Ok(listing) => listing,
        Err(response) => return response.into_response(),
    };
    let listed = listing.page(&recordings.replays(&listing.pattern), |r| {
        replay_fields(&r.to_proto())
    });
    json_response(StatusCode::OK, &serde_json::json!({ "replays": listed }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ReplayBody {
    id: String,
    task: String,
    recording: String,
    #[serde(rename = "recording-time")]
    recording_time: bool,
    clock: String,
}

async fn replay(State(recordings): State<Arc<Recordings>>, body: axum::body::Bytes) -> Response {
    let body: ReplayBody = match serde_json::from_slice(&body) {
        Ok(body) => body,
        Err(e) => return error(StatusCode::BAD_REQUEST, &e.to_string()).into_response(),
    };
    let real_clock = match body.clock.as_str() {
        "" | "fast" => false,
        "real" => true,
        other => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("invalid clock {other:?}: want fast or real"),
            )
            .into_response();
        }
    };
    match recordings
        .replay(
            &body.id,
            &body.task,
            &body.recording,
            body.recording_time,
            real_clock,
        )
        .await
    {
        Ok(replay) => json_response(
            StatusCode::CREATED,
            &object(replay_fields(&replay.to_proto())),
        ),
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn get_replay(State(recordings): State<Arc<Recordings>>, Path(id): Path<String>) -> Response {
    match recordings.replay_status(&id) {
        Ok(replay) => {
            let replay = replay.to_proto();
            running_or_done(&replay.status, object(replay_fields(&replay)))
        }
        Err(err) => ApiError::from(err).into_response(),
    }
}

async fn delete_replay(
    State(recordings): State<Arc<Recordings>>,
    Path(id): Path<String>,
) -> Response {
    match recordings.delete_replay(&id) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => ApiError::from(err).into_response(),
    }
}
