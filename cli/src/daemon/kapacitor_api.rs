//! Kapacitor's HTTP API under `/kapacitor/v1/`, over [`Tasks`]: the JSON shapes, status
//! codes and error bodies Kapacitor's own `kapacitor` CLI and Chronograf expect.
//!
//! `GET|HEAD /ping`. Tasks: `GET /tasks` (`pattern`, `fields`, `offset`, `limit`, `script-format`,
//! `dot-view`), `POST /tasks`, `GET|PATCH|DELETE /tasks/<id>`, and the httpOut results of
//! running tasks at `GET /tasks/<id>/<name>`. An error is `{"error": …, "message": …}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::tasks::{DbrpRecord, TaskChange, TaskError, TaskRecord, TaskStatus, Tasks};
use crate::control::{task_fields, task_json};

/// Kapacitor's routes over `tasks`.
pub(crate) fn router(tasks: Arc<Tasks>) -> Router {
    Router::new()
        .route("/kapacitor/v1/ping", get(ping).head(ping))
        .route("/kapacitor/v1/tasks", get(list_tasks).post(create_task))
        .route(
            "/kapacitor/v1/tasks/{id}",
            get(get_task).patch(update_task).delete(delete_task),
        )
        .route("/kapacitor/v1/tasks/{id}/{name}", get(http_out))
        .with_state(tasks)
        .layer(axum::middleware::map_response(kapacitor_version))
}

/// The version Condenser answers as, in `X-Kapacitor-Version`: the Kapacitor API it serves.
pub(crate) const KAPACITOR_VERSION: &str = concat!("1.8-condenser-", env!("CARGO_PKG_VERSION"));

/// Adds `X-Kapacitor-Version`, as Kapacitor's every response carries.
async fn kapacitor_version(mut response: Response) -> Response {
    response.headers_mut().insert(
        "x-kapacitor-version",
        axum::http::HeaderValue::from_static(KAPACITOR_VERSION),
    );
    response
}

/// A refused request: its status and message.
#[derive(Debug)]
struct ApiError {
    status: StatusCode,
    message: String,
}

/// `/ping`: 204, as Kapacitor (its version is in the header every response carries).
async fn ping() -> StatusCode {
    StatusCode::NO_CONTENT
}

/// Kapacitor's error response: the message under both `error` (1.5) and `message` (1.6).
impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let message = self.message;
        json_response(self.status, &json!({"error": message, "message": message}))
    }
}

fn error(status: StatusCode, message: &str) -> ApiError {
    ApiError {
        status,
        message: message.to_owned(),
    }
}

/// `value` as Kapacitor writes its responses: indented by four spaces.
fn json_response(status: StatusCode, value: &Json) -> Response {
    let mut body = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut body, formatter);
    if serde::Serialize::serialize(value, &mut serializer).is_err() {
        body = b"{}".to_vec();
    }
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body,
    )
        .into_response()
}

fn task_error(err: TaskError) -> Response {
    let status = match &err {
        TaskError::NotFound(_) => StatusCode::NOT_FOUND,
        TaskError::Invalid(_) => StatusCode::BAD_REQUEST,
        TaskError::StartFailed(_) | TaskError::Store(_) | TaskError::Stopped => {
            StatusCode::INTERNAL_SERVER_ERROR
        }
    };
    error(status, &err.to_string()).into_response()
}

/// How a task's script and DOT graph are written.
struct Rendering {
    formatted: bool,
}

impl Rendering {
    fn from_query(query: &HashMap<String, String>) -> Result<Self, ApiError> {
        let formatted = match query.get("script-format").map(String::as_str) {
            None | Some("" | "formatted") => true,
            Some("raw") => false,
            Some(other) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid script-format parameter {other:?}"),
                ));
            }
        };
        match query.get("dot-view").map(String::as_str) {
            None | Some("" | "attributes" | "labels") => {}
            Some(other) => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid dot-view parameter {other:?}"),
                ));
            }
        }
        Ok(Self { formatted })
    }
}

/// The fields `GET /tasks` may be asked for.
const TASK_FIELDS: [&str; 15] = [
    "link",
    "id",
    "type",
    "dbrps",
    "script",
    "dot",
    "status",
    "executing",
    "error",
    "stats",
    "created",
    "modified",
    "last-enabled",
    "vars",
    "template-id",
];

async fn list_tasks(
    State(tasks): State<Arc<Tasks>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let query: HashMap<String, String> = pairs.iter().cloned().collect();
    let rendering = match Rendering::from_query(&query) {
        Ok(rendering) => rendering,
        Err(response) => return response.into_response(),
    };
    let mut wanted: Vec<&str> = pairs
        .iter()
        .filter(|(k, _)| k == "fields")
        .map(|(_, v)| v.as_str())
        .collect();
    if let Some(unknown) = wanted.iter().find(|f| !TASK_FIELDS.contains(f)) {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("unsupported field {unknown:?}"),
        )
        .into_response();
    }
    if wanted.is_empty() {
        wanted = TASK_FIELDS.to_vec();
    } else {
        wanted.extend(["id", "link"]);
    }
    let number = |name: &str, default: i64| -> Result<i64, ApiError> {
        match query.get(name) {
            None => Ok(default),
            Some(text) => text.parse().map_err(|e| {
                error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid {name} parameter {text:?} must be an integer: {e}"),
                )
            }),
        }
    };
    let (offset, limit) = match (number("offset", 0), number("limit", 100)) {
        (Ok(offset), Ok(limit)) => (offset.max(0) as usize, limit),
        (Err(response), _) | (_, Err(response)) => return response.into_response(),
    };
    let pattern = query.get("pattern").map_or("", String::as_str);
    let views = match tasks.list(pattern).await {
        Ok(views) => views,
        Err(err) => return task_error(err),
    };
    // A negative limit takes every task, as Go's slicing in Kapacitor's store does.
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let listed: Vec<Json> = views
        .iter()
        .skip(offset)
        .take(limit)
        .map(|view| {
            Json::Object(
                task_fields(&view.to_proto(), rendering.formatted, true)
                    .into_iter()
                    .filter(|(k, _)| wanted.contains(k))
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
            )
        })
        .collect();
    json_response(StatusCode::OK, &json!({ "tasks": listed }))
}

/// The body of `POST /tasks` and `PATCH /tasks/<id>` (Kapacitor's Create/UpdateTaskOptions).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TaskBody {
    id: String,
    #[serde(rename = "template-id")]
    template_id: String,
    #[serde(rename = "type")]
    kind: String,
    dbrps: Vec<DbrpRecord>,
    script: String,
    status: String,
    vars: Option<Map<String, Json>>,
}

impl TaskBody {
    fn parse(body: &[u8]) -> Result<Self, ApiError> {
        serde_json::from_slice(body).map_err(|_| error(StatusCode::BAD_REQUEST, "invalid JSON"))
    }

    /// What the body asks to change; what Condenser cannot do yet is an error naming it.
    fn change(self) -> Result<(String, TaskChange), ApiError> {
        if !self.template_id.is_empty() {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "tasks from templates are not supported yet (template-id)",
            ));
        }
        if self.vars.as_ref().is_some_and(|v| !v.is_empty()) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "task vars are not supported yet (vars)",
            ));
        }
        if !matches!(self.kind.as_str(), "" | "stream" | "batch") {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("invalid task type {:?}", self.kind),
            ));
        }
        let status = match self.status.as_str() {
            "" => None,
            "enabled" => Some(TaskStatus::Enabled),
            "disabled" => Some(TaskStatus::Disabled),
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid task status {other:?}"),
                ));
            }
        };
        Ok((
            self.id,
            TaskChange {
                dbrps: (!self.dbrps.is_empty()).then_some(self.dbrps),
                script: (!self.script.is_empty()).then_some(self.script),
                status,
            },
        ))
    }
}

/// Now, in nanoseconds since the epoch.
fn now() -> i64 {
    condenser_engine::clock::system_now()
}

async fn respond_with_task(tasks: &Tasks, record: TaskRecord) -> Response {
    match tasks.get(&record.id).await {
        Ok(view) => json_response(StatusCode::OK, &task_json(&view.to_proto(), true)),
        Err(err) => task_error(err),
    }
}

async fn create_task(State(tasks): State<Arc<Tasks>>, body: axum::body::Bytes) -> Response {
    let (id, change) = match TaskBody::parse(&body).and_then(TaskBody::change) {
        Ok(parsed) => parsed,
        Err(response) => return response.into_response(),
    };
    // A task created without an id gets a random one, as in Kapacitor.
    let id = if id.is_empty() {
        crate::replay::random_id()
    } else {
        id
    };
    match tasks.create(&id, change, now()).await {
        Ok(record) => respond_with_task(&tasks, record).await,
        Err(err) => task_error(err),
    }
}

async fn update_task(
    State(tasks): State<Arc<Tasks>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (new_id, change) = match TaskBody::parse(&body).and_then(TaskBody::change) {
        Ok(parsed) => parsed,
        Err(response) => return response.into_response(),
    };
    if !new_id.is_empty() && new_id != id {
        return error(
            StatusCode::BAD_REQUEST,
            "renaming a task is not supported yet (id)",
        )
        .into_response();
    }
    match tasks.update(&id, change, now()).await {
        Ok(record) => respond_with_task(&tasks, record).await,
        Err(err) => task_error(err),
    }
}

async fn get_task(
    State(tasks): State<Arc<Tasks>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let rendering = match Rendering::from_query(&query) {
        Ok(rendering) => rendering,
        Err(response) => return response.into_response(),
    };
    match tasks.get(&id).await {
        Ok(view) => json_response(
            StatusCode::OK,
            &task_json(&view.to_proto(), rendering.formatted),
        ),
        Err(err) => task_error(err),
    }
}

async fn delete_task(State(tasks): State<Arc<Tasks>>, Path(id): Path<String>) -> Response {
    match tasks.delete(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => task_error(err),
    }
}

async fn http_out(
    State(tasks): State<Arc<Tasks>>,
    Path((id, name)): Path<(String, String)>,
) -> Response {
    match tasks.engine().http_out(&id, &name).await {
        // httpOut serves Go's JSON (floats as Go prints them: `1`, not `1.0`).
        Ok(Some(result)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            condenser_model::go_json::to_string(&result.to_json()),
        )
            .into_response(),
        Ok(None) | Err(condenser_engine::Error::UnknownTask(_)) => error(
            StatusCode::NOT_FOUND,
            &format!("no httpOut node {name:?} in running task {id:?}"),
        )
        .into_response(),
        Err(err) => error(StatusCode::INTERNAL_SERVER_ERROR, &err.to_string()).into_response(),
    }
}
