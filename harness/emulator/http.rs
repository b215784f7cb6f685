//! The transport: HTTP/1.1 on loopback (hyper, through axum's server), one
//! handler for everything. It enforces Tencent's size limits while reading
//! (never buffering more than the limit), hands the bytes to the service
//! core, and writes every answer as HTTP 200 `application/json`.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderValue, StatusCode, header};
use http_body_util::{BodyExt, Limited};
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
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large(limit);
    }
    let bytes: Bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                return too_large(limit);
            }
            // The client went away or sent a broken body: answer anyway;
            // if the connection is gone hyper drops the answer.
            return envelope_response(&service::error_answer(
                "InvalidParameter",
                Some("the request body could not be read"),
            ));
        }
    };

    if is_control && let Some((status, value)) = control::handle(&svc, &method, &path, &bytes) {
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
    envelope_response(&answer)
}
