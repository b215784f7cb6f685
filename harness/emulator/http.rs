//! The transport: HTTP/1.1 on loopback (hyper, through axum's server), one
//! handler for everything. It enforces Tencent's size limits while reading
//! (never buffering more than the limit), hands the bytes to the service
//! core, and writes every answer as HTTP 200 `application/json`.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, HttpBody as _};
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::{Bytes, BytesMut};
use http::{HeaderValue, StatusCode, header};
use http_body_util::BodyExt;
use serde_json::Value;

use crate::envelope;

use super::control;
use super::service::{self, Incoming, Service};

fn json_response(status: u16, value: &Value) -> Response {
    let bytes = serde_json::to_vec(value).unwrap_or_else(|_| b"{}".to_vec());
    let mut response = Response::new(Body::from(bytes));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(envelope::CONTENT_TYPE),
    );
    response
}

fn envelope_response(value: &Value) -> Response {
    json_response(200, value)
}

fn too_large(limit: usize) -> Response {
    envelope_response(&service::error_answer(
        "RequestSizeLimitExceeded",
        Some(&format!("this request may carry at most {limit} bytes")),
    ))
}

/// The largest body this request may carry, before reading any of it.
fn limit_for(method: &http::Method, headers: &http::HeaderMap, query_len: usize) -> usize {
    if method == http::Method::GET {
        return service::MAX_GET.saturating_sub(query_len);
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    let tc3 = headers.contains_key(header::AUTHORIZATION);
    if form && !tc3 {
        service::MAX_FORM_POST
    } else {
        service::MAX_TC3_POST
    }
}

/// How much of an oversized body is read and thrown away before answering,
/// so that the client, still sending, reads the answer instead of a reset.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;
/// How long draining may take.
const DRAIN_TIME: Duration = Duration::from_secs(10);

enum Read {
    Body(Bytes),
    TooLarge,
    Broken,
}

/// Reads the body, keeping at most `limit` bytes. Past the limit the rest is
/// read and dropped (up to [`DRAIN_LIMIT`] bytes and [`DRAIN_TIME`]), never
/// kept; a declared length over the drain limit is refused unread.
async fn read_body(mut body: Body, limit: usize) -> Read {
    let declared = body.size_hint().exact();
    if declared.is_some_and(|n| n > DRAIN_LIMIT) {
        return Read::TooLarge;
    }
    let mut kept = BytesMut::new();
    let mut seen: u64 = 0;
    let mut over = declared.is_some_and(|n| n > limit as u64);
    let reading = async {
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else {
                return if over { Read::TooLarge } else { Read::Broken };
            };
            let Ok(data) = frame.into_data() else {
                continue;
            };
            seen += data.len() as u64;
            if !over && kept.len() + data.len() > limit {
                over = true;
                kept = BytesMut::new();
            }
            if over {
                if seen > DRAIN_LIMIT {
                    return Read::TooLarge;
                }
            } else {
                kept.extend_from_slice(&data);
            }
        }
        if over {
            Read::TooLarge
        } else {
            Read::Body(kept.freeze())
        }
    };
    tokio::time::timeout(DRAIN_TIME, reading)
        .await
        .unwrap_or(Read::TooLarge)
}

pub(crate) async fn handle(State(svc): State<Arc<Service>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let method = parts.method.as_str().to_string();
    let is_control = path.starts_with("/__emulator/");

    let limit = if is_control {
        service::MAX_TC3_POST
    } else {
        let full = limit_for(&parts.method, &parts.headers, query.len());
        if parts.method == http::Method::GET && query.len() > service::MAX_GET {
            return too_large(service::MAX_GET);
        }
        full
    };
    let bytes = match read_body(body, limit).await {
        Read::Body(bytes) => bytes,
        Read::TooLarge => return too_large(limit),
        // The client went away or sent a broken body: answer anyway;
        // if the connection is gone hyper drops the answer.
        Read::Broken => {
            return envelope_response(&service::error_answer(
                "InvalidParameter",
                Some("the request body could not be read"),
            ));
        }
    };

    if is_control
        && let Some((status, value)) = control::handle(&svc, &method, &path, &query, &bytes)
    {
        return json_response(status, &value);
    }
    let incoming = Incoming {
        method: &method,
        path: &path,
        query: &query,
        headers: &parts.headers,
        body: &bytes,
    };
    let answer = svc.handle(incoming, crate::client::now()).await;
    // 200 and the exact content type, unless a deliberate quirk says otherwise.
    let (status, content_type) = svc.quirks.transport(&answer);
    let mut response = json_response(status, &answer);
    if content_type != envelope::CONTENT_TYPE {
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    }
    response
}
