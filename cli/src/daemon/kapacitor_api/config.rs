//! Kapacitor's config API, read-only: `GET /config`, `/config/<section>` and
//! `/config/<section>/<element>`, secrets shown as whether they are set. Condenser takes
//! its configuration from its file: changes (`POST`) are refused, saying so.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value as Json, json};

use super::{BASE_PATH, error};
use crate::daemon::Daemon;

/// The routes, for the API's router.
pub(super) fn routes() -> Router<Daemon> {
    Router::new()
        .route("/kapacitor/v1/config", get(all).post(refused))
        .route("/kapacitor/v1/config/", get(no_section).post(refused))
        .route("/kapacitor/v1/config/{section}", get(section).post(refused))
        .route(
            "/kapacitor/v1/config/{section}/{element}",
            get(element).post(refused),
        )
        .route(
            "/kapacitor/v1/config/{section}/",
            get(only_element).post(refused),
        )
}

/// Kapacitor's compact JSON and a newline, as its config API answers.
fn compact(value: &Json) -> Response {
    (
        StatusCode::OK,
        [(
            axum::http::header::CONTENT_TYPE,
            "application/json; charset=utf-8",
        )],
        format!("{value}\n"),
    )
        .into_response()
}

fn element_json(section: &str, (id, options, redacted): &crate::config::ApiElement) -> Json {
    json!({
        "link": {"rel": "self", "href": format!("{BASE_PATH}/config/{section}/{id}")},
        "options": options,
        "redacted": if redacted.is_empty() { Json::Null } else { json!(redacted) },
    })
}

fn section_json(section: &str, elements: &[crate::config::ApiElement]) -> Json {
    json!({
        "link": {"rel": "self", "href": format!("{BASE_PATH}/config/{section}")},
        "elements": elements.iter().map(|e| element_json(section, e)).collect::<Vec<_>>(),
    })
}

async fn all(State(daemon): State<Daemon>) -> Response {
    let sections: serde_json::Map<String, Json> = daemon
        .config_sections
        .iter()
        .map(|(name, elements)| ((*name).to_owned(), section_json(name, elements)))
        .collect();
    compact(&json!({
        "link": {"rel": "self", "href": format!("{BASE_PATH}/config")},
        "sections": sections,
    }))
}

async fn no_section() -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "section not specified, do you have an extra trailing '/'?",
    )
    .into_response()
}

async fn section(State(daemon): State<Daemon>, Path(section): Path<String>) -> Response {
    match daemon
        .config_sections
        .iter()
        .find(|(name, _)| *name == section)
    {
        Some((name, elements)) => compact(&section_json(name, elements)),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("unknown section: {section}"),
        )
        .into_response(),
    }
}

fn find_element(daemon: &Daemon, section: &str, element: &str) -> Response {
    let found = daemon
        .config_sections
        .iter()
        .find(|(name, _)| *name == section)
        .and_then(|(name, elements)| {
            elements
                .iter()
                .find(|(id, _, _)| id == element)
                .map(|e| element_json(name, e))
        });
    match found {
        Some(json) => compact(&json),
        None => error(
            StatusCode::NOT_FOUND,
            &format!("unknown section/element: {section}/{element}"),
        )
        .into_response(),
    }
}

async fn element(
    State(daemon): State<Daemon>,
    Path((section, element)): Path<(String, String)>,
) -> Response {
    find_element(&daemon, &section, &element)
}

async fn only_element(State(daemon): State<Daemon>, Path(section): Path<String>) -> Response {
    find_element(&daemon, &section, "")
}

async fn refused() -> Response {
    error(
        StatusCode::FORBIDDEN,
        "config override service is not enabled: Condenser takes its configuration from its \
         file (condenser serve --config)",
    )
    .into_response()
}
