//! The HTTP API's answers when the engine is behind.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tokio::sync::mpsc;
use tower::ServiceExt;

use super::*;

#[tokio::test]
async fn a_write_the_engine_cannot_take_in_time_answers_503_with_retry_after() {
    let (sender, _receiver) = mpsc::channel(1);
    let writer = Writer::new(sender, Arc::default(), Duration::from_millis(20));
    let api = router(writer, HttpApiConfig::default(), Vec::new());
    let write = || {
        Request::post("/write?db=db")
            .body(Body::from("cpu v=1 1\n"))
            .unwrap()
    };
    let first = api.clone().oneshot(write()).await.unwrap();
    assert_eq!(first.status(), StatusCode::NO_CONTENT);
    let second = api.clone().oneshot(write()).await.unwrap();
    assert_eq!(second.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers()["retry-after"], "1");
    assert_eq!(second.headers()["content-type"], "application/json");
    let body = axum::body::to_bytes(second.into_body(), 1 << 20)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("retry later"),
        "{body}"
    );
}
