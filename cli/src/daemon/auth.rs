//! Authentication of every request when `[auth]` sets credentials: a shared token
//! (`Authorization: Bearer <token>` or InfluxDB's `Token <token>`), or basic auth (or
//! InfluxDB's `u` and `p` query parameters) with the configured user and password.
//! A request without them gets Kapacitor's 401 and its compact error (a gRPC request, the
//! status UNAUTHENTICATED).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::AuthSection;

/// Lets `request` through when it carries the credentials of `auth`.
pub(crate) async fn authenticate(
    State(auth): State<Arc<AuthSection>>,
    request: Request,
    next: Next,
) -> Response {
    if allowed(&auth, &request) {
        return next.run(request).await;
    }
    let grpc = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/grpc"));
    if grpc {
        return tonic::Status::unauthenticated("authorization failed").into_http();
    }
    (
        StatusCode::UNAUTHORIZED,
        [
            (header::CONTENT_TYPE, "application/json; charset=utf-8"),
            (header::WWW_AUTHENTICATE, "Basic realm=\"condenser\""),
        ],
        r#"{"error":"authorization failed","message":"authorization failed"}"#,
    )
        .into_response()
}

/// Compares without stopping at the first difference, so timing tells nothing.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn allowed(auth: &AuthSection, request: &Request) -> bool {
    let user_ok = |user: &str, password: &str| {
        !auth.username.is_empty() && same(user, &auth.username) && same(password, &auth.password)
    };
    if let Some(value) = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let (scheme, credentials) = value.split_once(' ').unwrap_or((value, ""));
        let credentials = credentials.trim();
        return match scheme.to_ascii_lowercase().as_str() {
            "bearer" | "token" => !auth.token.is_empty() && same(credentials, &auth.token),
            "basic" => decode_basic(credentials)
                .and_then(|pair| {
                    pair.split_once(':')
                        .map(|(user, password)| user_ok(user, password))
                })
                .unwrap_or(false),
            _ => false,
        };
    }
    let query = request.uri().query().unwrap_or_default();
    let param = |name: &str| {
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k == name).then(|| percent_decode(v))
        })
    };
    match (param("u"), param("p")) {
        (Some(user), Some(password)) => user_ok(&user, &password),
        _ => false,
    }
}

/// A base64 (standard alphabet, padded) text decoded as UTF-8.
fn decode_basic(text: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|&c| c != b'=') {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `%XX` and `+` of a query value decoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = |b: u8| char::from(b).to_digit(16);
                match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                    (Some(high), Some(low)) => {
                        out.push((high * 16 + low) as u8);
                        i += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_decode() {
        assert_eq!(decode_basic("dXNlcjpwYXNz").as_deref(), Some("user:pass"));
        assert_eq!(decode_basic("YTpi").as_deref(), Some("a:b"));
        assert_eq!(percent_decode("p%40ss+w"), "p@ss w");
    }
}
