//! Kapacitor's `/kapacitor/v1/alerts/topics` routes over [`Alerts`]: topics (`pattern`,
//! `min-level`), their events, and their handlers (`POST`, `PUT`, `DELETE`).

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::{ApiError, error, json_response};
use crate::control::{event_json, handler_json, proto, topic_json, topic_path};
use crate::daemon::alerts::{
    Alerts, AlertsError, event_proto, handler_proto, handler_spec, parse_level,
};

/// The routes, for the API's router.
pub(super) fn routes() -> Router<Arc<Alerts>> {
    Router::new()
        .route("/kapacitor/v1/alerts/topics", get(list_topics))
        .route(
            "/kapacitor/v1/alerts/topics/{topic}",
            get(get_topic).delete(delete_topic),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/events",
            get(list_events),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/events/{id}",
            get(get_event),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/handlers",
            get(list_handlers).post(create_handler),
        )
        .route(
            "/kapacitor/v1/alerts/topics/{topic}/handlers/{id}",
            get(get_handler)
                .put(replace_handler)
                .patch(patch_handler)
                .delete(delete_handler),
        )
}

impl From<AlertsError> for ApiError {
    fn from(err: AlertsError) -> Self {
        let status = match &err {
            AlertsError::NotFound(_) => StatusCode::NOT_FOUND,
            AlertsError::Invalid(_) => StatusCode::BAD_REQUEST,
            AlertsError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        error(status, &err.to_string())
    }
}

fn answer(result: Result<Json, ApiError>) -> Response {
    match result {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(err) => err.into_response(),
    }
}

fn min_level(query: &HashMap<String, String>) -> Result<condenser_model::Level, ApiError> {
    Ok(parse_level(
        query.get("min-level").map_or("", String::as_str),
    )?)
}

async fn list_topics(
    State(alerts): State<Arc<Alerts>>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer((|| {
        let pattern = query.get("pattern").map_or("", String::as_str);
        let topics: Vec<Json> = alerts
            .topics(pattern, min_level(&query)?)
            .iter()
            .map(|t| topic_json(&t.to_proto()))
            .collect();
        Ok(json!({"link": {"rel": "self", "href": uri.to_string()}, "topics": topics}))
    })())
}

async fn get_topic(State(alerts): State<Arc<Alerts>>, Path(topic): Path<String>) -> Response {
    answer(
        alerts
            .topic(&topic)
            .map(|t| topic_json(&t.to_proto()))
            .map_err(ApiError::from),
    )
}

async fn delete_topic(State(alerts): State<Arc<Alerts>>, Path(topic): Path<String>) -> Response {
    alerts.delete_topic(&topic);
    StatusCode::NO_CONTENT.into_response()
}

async fn list_events(
    State(alerts): State<Arc<Alerts>>,
    Path(topic): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    answer((|| {
        let events = alerts.events(&topic, min_level(&query)?).map_err(|e| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                &format!("failed to get topic events: {e}"),
            )
        })?;
        let events: Vec<Json> = events
            .iter()
            .map(|(id, state)| event_json(&topic, &event_proto(id, state)))
            .collect();
        Ok(json!({
            "link": {"rel": "self", "href": format!("{}/events", topic_path(&topic))},
            "topic": topic,
            "events": events,
        }))
    })())
}

async fn get_event(
    State(alerts): State<Arc<Alerts>>,
    Path((topic, id)): Path<(String, String)>,
) -> Response {
    answer(
        alerts
            .event(&topic, &id)
            .map(|state| event_json(&topic, &event_proto(&id, &state)))
            .map_err(ApiError::from),
    )
}

async fn list_handlers(
    State(alerts): State<Arc<Alerts>>,
    Path(topic): Path<String>,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let pattern = query.get("pattern").map_or("", String::as_str);
    let handlers: Vec<Json> = alerts
        .topic_handlers(&topic, pattern)
        .iter()
        .map(|spec| handler_json(&handler_proto(spec)))
        .collect();
    json_response(
        StatusCode::OK,
        &json!({"link": {"rel": "self", "href": uri.to_string()}, "topic": topic, "handlers": handlers}),
    )
}

async fn get_handler(
    State(alerts): State<Arc<Alerts>>,
    Path((topic, id)): Path<(String, String)>,
) -> Response {
    answer(
        alerts
            .topic_handler(&topic, &id)
            .map(|spec| handler_json(&handler_proto(&spec)))
            .map_err(ApiError::from),
    )
}

/// A handler's body, as Kapacitor takes it (its topic is the path's).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct HandlerBody {
    id: String,
    kind: String,
    options: Option<Map<String, Json>>,
    #[serde(rename = "match")]
    match_expression: String,
}

/// Defines the handler of `body` in `topic` (its id `id` when given), off the async
/// runtime: replacing one waits for it to deliver what it holds.
async fn define(
    alerts: Arc<Alerts>,
    topic: String,
    id: Option<String>,
    body: &[u8],
    replace: bool,
) -> Response {
    let body: HandlerBody = match serde_json::from_slice(body) {
        Ok(body) => body,
        Err(_) => return error(StatusCode::BAD_REQUEST, "invalid JSON").into_response(),
    };
    let handler = proto::TopicHandler {
        topic,
        id: id.unwrap_or(body.id),
        kind: body.kind,
        options_json: body
            .options
            .map(Json::Object)
            .unwrap_or(Json::Null)
            .to_string(),
        r#match: body.match_expression,
    };
    let defined =
        tokio::task::spawn_blocking(move || alerts.define_handler(handler_spec(handler)?, replace))
            .await;
    match defined {
        Ok(Ok(spec)) => json_response(StatusCode::OK, &handler_json(&handler_proto(&spec))),
        Ok(Err(err)) => ApiError::from(err).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()).into_response(),
    }
}

async fn create_handler(
    State(alerts): State<Arc<Alerts>>,
    Path(topic): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    define(alerts, topic, None, &body, false).await
}

async fn replace_handler(
    State(alerts): State<Arc<Alerts>>,
    Path((topic, id)): Path<(String, String)>,
    body: axum::body::Bytes,
) -> Response {
    define(alerts, topic, Some(id), &body, true).await
}

async fn patch_handler() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "JSON Patch of a topic handler is not supported yet: PUT the whole handler instead",
    )
    .into_response()
}

async fn delete_handler(
    State(alerts): State<Arc<Alerts>>,
    Path((topic, id)): Path<(String, String)>,
) -> Response {
    let deleted = tokio::task::spawn_blocking(move || alerts.delete_handler(&topic, &id)).await;
    match deleted {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(err)) => ApiError::from(err).into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()).into_response(),
    }
}
