//! Kapacitor's HTTP API under `/kapacitor/v1/`, over [`Tasks`]: the JSON shapes, status
//! codes and error bodies Kapacitor's own `kapacitor` CLI and Chronograf expect.
//!
//! `GET|HEAD /ping`. Tasks: `GET /tasks` (`pattern`, `fields`, `offset`, `limit`, `script-format`,
//! `dot-view`), `POST /tasks` (from a template with `template-id` and `vars`),
//! `GET|PATCH|DELETE /tasks/<id>`, and the httpOut results of running tasks at
//! `GET /tasks/<id>/<name>`. Templates: `GET|POST /templates`, `GET|PATCH|DELETE
//! /templates/<id>`. `GET /debug/vars`, the log lines at `GET /kapacitor/v1preview/logs`, `GET /storage/backup`, the service tests at `GET /service-tests`, `GET|POST
//! /service-tests/<name>`, the configuration (read) at `GET /config` (in `config.rs`). Alert topics, their events and handlers under `/alerts/topics` (in
//! `alerts.rs`); recordings and replays (in `recordings.rs`). An error is `{"error": …, "message": …}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value as Json, json};

use super::tasks::{
    DbrpRecord, TaskChange, TaskError, TaskKind, TaskRecord, TaskStatus, Tasks, TemplateChange,
    TemplateView,
};
use crate::control::{task_fields, task_json, template_fields};
use crate::daemon::Daemon;
use crate::daemon::logs::LogStream;
use crate::daemon::stats::ServerStats;

mod alerts;
mod config;

/// Kapacitor's API base path.
const BASE_PATH: &str = crate::control::KAPACITOR_BASE;
mod recordings;

/// A path of Kapacitor's API that does not exist.
async fn no_route() -> Response {
    error(StatusCode::NOT_FOUND, "404 page not found").into_response()
}

/// Kapacitor's routes over `daemon`.
pub(crate) fn router(daemon: &Daemon) -> Router {
    Router::new()
        .route("/kapacitor/v1/ping", get(ping).head(ping))
        // Kapacitor serves its preview API's ping too (Chronograf reads its version there).
        .route("/kapacitor/v1preview/ping", get(ping).head(ping))
        // Anything else under /kapacitor is no route: 404, not the gRPC fallback's answer.
        .route("/kapacitor/{*rest}", axum::routing::any(no_route))
        .route("/kapacitor/v1/tasks", get(list_tasks).post(create_task))
        .route(
            "/kapacitor/v1/tasks/{id}",
            get(get_task).patch(update_task).delete(delete_task),
        )
        .route("/kapacitor/v1/tasks/{id}/{name}", get(http_out))
        .route(
            "/kapacitor/v1/templates",
            get(list_templates).post(create_template),
        )
        .route(
            "/kapacitor/v1/templates/{id}",
            get(get_template)
                .patch(update_template)
                .delete(delete_template),
        )
        .with_state(Arc::clone(&daemon.tasks))
        .merge(alerts::routes().with_state(Arc::clone(&daemon.alerts)))
        .merge(recordings::routes().with_state(Arc::clone(&daemon.recordings)))
        .merge(
            Router::new()
                .route("/kapacitor/v1/debug/vars", get(debug_vars))
                .with_state(Arc::clone(&daemon.stats)),
        )
        .merge(
            Router::new()
                .route("/kapacitor/v1preview/logs", get(logs))
                .with_state(daemon.logs.clone()),
        )
        .merge(
            Router::new()
                .route("/kapacitor/v1/storage/backup", get(backup))
                .route("/kapacitor/v1/service-tests", get(list_service_tests))
                .route(
                    "/kapacitor/v1/service-tests/{name}",
                    get(get_service_test).post(test_service),
                )
                .merge(config::routes())
                .with_state(daemon.clone()),
        )
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

/// `/debug/vars`: Kapacitor's statistics document.
async fn debug_vars(State(stats): State<Arc<ServerStats>>) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        stats.debug_vars().await,
    )
        .into_response()
}

/// `/kapacitor/v1preview/logs`: the log lines from now on that pass the query's filters,
/// streamed as logfmt (JSON when asked for with `Accept: application/json`).
async fn logs(
    State(logs): State<LogStream>,
    headers: axum::http::HeaderMap,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let filters = match crate::daemon::logs::filters(pairs) {
        Ok(filters) => filters,
        Err(message) => return error(StatusCode::BAD_REQUEST, &message).into_response(),
    };
    let json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    let lines = crate::daemon::logs::lines(&logs, filters, move |line| {
        Ok::<_, std::convert::Infallible>(if json { line.json() } else { line.logfmt() })
    });
    let content_type = if json {
        "application/json"
    } else {
        "application/logfmt"
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        axum::body::Body::from_stream(lines),
    )
        .into_response()
}

/// A service test as Kapacitor lists it.
fn service_test_json(name: &str, options: &Json) -> Json {
    json!({
        "link": {"rel": "self", "href": format!("{BASE_PATH}/service-tests/{name}")},
        "name": name,
        "options": options,
    })
}

/// Kapacitor's compact JSON and a newline, as its service tests answer.
fn compact(status: StatusCode, value: &Json) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        format!("{value}\n"),
    )
        .into_response()
}

/// `GET /service-tests?pattern=`: the services a test alert can be sent through.
async fn list_service_tests(Query(query): Query<HashMap<String, String>>) -> Response {
    let pattern = query.get("pattern").map_or("*", String::as_str);
    let services: Vec<Json> = crate::daemon::service_tests(pattern)
        .iter()
        .map(|(name, options)| service_test_json(name, options))
        .collect();
    let services = if services.is_empty() {
        Json::Null
    } else {
        Json::Array(services)
    };
    compact(
        StatusCode::OK,
        &json!({"link": {"rel": "self", "href": format!("{BASE_PATH}/service-tests")}, "services": services}),
    )
}

/// `GET /service-tests/<name>`, the configuration (read) at `GET /config` (in `config.rs`).
async fn get_service_test(Path(name): Path<String>) -> Response {
    match crate::daemon::service_tests("")
        .into_iter()
        .find(|(service, _)| *service == name)
    {
        Some((service, options)) => compact(StatusCode::OK, &service_test_json(service, &options)),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("service {name:?} not found"),
        )
        .into_response(),
    }
}

/// `POST /service-tests/<name>`: a test alert through the service; 200 whether it got
/// through (`success`) or not (`message` says why).
async fn test_service(
    State(daemon): State<Daemon>,
    Path(name): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let options: Option<Map<String, Json>> = match serde_json::from_slice(&body) {
        Ok(options) => options,
        Err(_) if body.iter().all(u8::is_ascii_whitespace) => None,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("failed to decode JSON body:{e}"),
            )
            .into_response();
        }
    };
    if !condenser_handlers::service_test::SERVICES.contains(&name.as_str()) {
        return error(
            StatusCode::NOT_FOUND,
            &format!("service {name:?} not found"),
        )
        .into_response();
    }
    let tested = daemon
        .test_service(&name, options.unwrap_or_default())
        .await;
    compact(
        StatusCode::OK,
        &json!({"success": tested.is_ok(), "message": tested.err().unwrap_or_default()}),
    )
}

/// `/storage/backup`: a consistent copy of the store, as a file to download.
async fn backup(State(daemon): State<Daemon>) -> Response {
    match daemon.backup().await {
        Ok(bytes) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/octet-stream"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"condenser.redb\"",
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(message) => error(StatusCode::INTERNAL_SERVER_ERROR, &message).into_response(),
    }
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

/// The fields `GET /templates` may be asked for, and those it gives when asked for none.
const TEMPLATE_FIELDS: [&str; 9] = [
    "link", "id", "type", "script", "vars", "dot", "error", "created", "modified",
];
const TEMPLATE_DEFAULT_FIELDS: [&str; 8] = [
    "link", "id", "type", "script", "dot", "error", "created", "modified",
];

/// What a list request asks for: Kapacitor's `pattern`, `fields`, `offset`, `limit` and
/// `script-format` (and `dot-view`, checked).
struct Listing<'a> {
    rendering: Rendering,
    pattern: String,
    wanted: Vec<&'a str>,
    offset: usize,
    limit: usize,
}

impl<'a> Listing<'a> {
    /// Reads `pairs`; fields must be of `allowed` (`defaults` when none are asked for).
    fn parse(
        pairs: &'a [(String, String)],
        allowed: &[&str],
        defaults: &[&'a str],
    ) -> Result<Self, ApiError> {
        let query: HashMap<String, String> = pairs.iter().cloned().collect();
        let rendering = Rendering::from_query(&query)?;
        let mut wanted: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == "fields")
            .map(|(_, v)| v.as_str())
            .collect();
        if let Some(unknown) = wanted.iter().find(|f| !allowed.contains(f)) {
            return Err(error(
                StatusCode::BAD_REQUEST,
                &format!("unsupported field {unknown:?}"),
            ));
        }
        if wanted.is_empty() {
            wanted = defaults.to_vec();
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
        let offset = number("offset", 0)?.max(0) as usize;
        // A negative limit takes every item, as Go's slicing in Kapacitor's store does.
        let limit = usize::try_from(number("limit", 100)?).unwrap_or(usize::MAX);
        Ok(Self {
            rendering,
            pattern: query.get("pattern").cloned().unwrap_or_default(),
            wanted,
            offset,
            limit,
        })
    }

    /// The page of `items` asked for, each of the fields asked for.
    fn page<T>(&self, items: &[T], fields: impl Fn(&T) -> Vec<(&'static str, Json)>) -> Vec<Json> {
        items
            .iter()
            .skip(self.offset)
            .take(self.limit)
            .map(|item| {
                Json::Object(
                    fields(item)
                        .into_iter()
                        .filter(|(k, _)| self.wanted.contains(k))
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect(),
                )
            })
            .collect()
    }
}

async fn list_tasks(
    State(tasks): State<Arc<Tasks>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let listing = match Listing::parse(&pairs, &TASK_FIELDS, &TASK_FIELDS) {
        Ok(listing) => listing,
        Err(response) => return response.into_response(),
    };
    let views = match tasks.list(&listing.pattern).await {
        Ok(views) => views,
        Err(err) => return task_error(err),
    };
    let listed = listing.page(&views, |view| {
        task_fields(&view.to_proto(), listing.rendering.formatted, true)
    });
    json_response(StatusCode::OK, &json!({ "tasks": listed }))
}

async fn list_templates(
    State(tasks): State<Arc<Tasks>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Response {
    let listing = match Listing::parse(&pairs, &TEMPLATE_FIELDS, &TEMPLATE_DEFAULT_FIELDS) {
        Ok(listing) => listing,
        Err(response) => return response.into_response(),
    };
    let views = tasks.list_templates(&listing.pattern).await;
    let listed = listing.page(&views, |view| {
        template_fields(&view.to_proto(), listing.rendering.formatted)
    });
    json_response(StatusCode::OK, &json!({ "templates": listed }))
}

/// The body of `POST /templates` and `PATCH /templates/<id>`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct TemplateBody {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    script: String,
}

impl TemplateBody {
    fn parse(body: &[u8]) -> Result<(String, TemplateChange), ApiError> {
        let body: Self = serde_json::from_slice(body)
            .map_err(|_| error(StatusCode::BAD_REQUEST, "invalid JSON"))?;
        let kind = match body.kind.as_str() {
            "" => None,
            "stream" => Some(TaskKind::Stream),
            "batch" => Some(TaskKind::Batch),
            other => {
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    &format!("invalid task type {other:?}"),
                ));
            }
        };
        Ok((
            body.id,
            TemplateChange {
                kind,
                script: (!body.script.is_empty()).then_some(body.script),
            },
        ))
    }
}

fn template_response(view: &TemplateView, formatted: bool) -> Response {
    json_response(
        StatusCode::OK,
        &Json::Object(
            template_fields(&view.to_proto(), formatted)
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
        ),
    )
}

async fn create_template(State(tasks): State<Arc<Tasks>>, body: axum::body::Bytes) -> Response {
    let (id, change) = match TemplateBody::parse(&body) {
        Ok(parsed) => parsed,
        Err(response) => return response.into_response(),
    };
    let id = if id.is_empty() {
        crate::replay::random_id()
    } else {
        id
    };
    match tasks.create_template(&id, change, now()).await {
        Ok(view) => template_response(&view, true),
        Err(err) => task_error(err),
    }
}

async fn update_template(
    State(tasks): State<Arc<Tasks>>,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let (new_id, change) = match TemplateBody::parse(&body) {
        Ok(parsed) => parsed,
        Err(response) => return response.into_response(),
    };
    if !new_id.is_empty() && new_id != id {
        return error(
            StatusCode::BAD_REQUEST,
            "renaming a template is not supported yet (id)",
        )
        .into_response();
    }
    match tasks.update_template(&id, change, now()).await {
        Ok(view) => template_response(&view, true),
        Err(err) => task_error(err),
    }
}

async fn get_template(
    State(tasks): State<Arc<Tasks>>,
    Path(id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let rendering = match Rendering::from_query(&query) {
        Ok(rendering) => rendering,
        Err(response) => return response.into_response(),
    };
    match tasks.get_template(&id).await {
        Ok(view) => template_response(&view, rendering.formatted),
        Err(err) => task_error(err),
    }
}

async fn delete_template(State(tasks): State<Arc<Tasks>>, Path(id): Path<String>) -> Response {
    match tasks.delete_template(&id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(err) => task_error(err),
    }
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

    /// What the body asks to change.
    fn change(self) -> Result<(String, TaskChange), ApiError> {
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
                template_id: (!self.template_id.is_empty()).then_some(self.template_id),
                vars: self.vars.map(Json::Object),
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
