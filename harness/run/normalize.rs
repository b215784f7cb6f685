//! The normalized exchange: what a snapshot records. The request loses its
//! signature, timestamp, nonce, SecretId, token and host (the port varies);
//! the answer loses its RequestId; the run-scoped ID prefix becomes
//! `{{run}}`. Nothing secret survives.

use serde_json::{Map, Value, json};

use crate::case::capture::Captured;
use crate::scope::collapse as scrub;
use crate::wire::Exchange;

/// Query and form parameters that vary per run or are secret.
const VOLATILE_PARAMS: &[&str] = &["Signature", "Timestamp", "Nonce", "SecretId", "Token"];
/// Headers that vary per run or are secret.
const VOLATILE_HEADERS: &[&str] = &[
    "authorization",
    "x-tc-timestamp",
    "x-tc-token",
    "host",
    "content-length",
];
/// Bodies longer than this are recorded by size only.
const MAX_BODY: usize = 2048;

fn scrub_value(value: &mut Value, scope: &str) {
    match value {
        Value::String(s) => *s = scrub(s, scope),
        Value::Array(items) => items.iter_mut().for_each(|v| scrub_value(v, scope)),
        Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut v) in old {
                scrub_value(&mut v, scope);
                map.insert(scrub(&k, scope), v);
            }
        }
        _ => {}
    }
}

/// Face IDs, job IDs and timestamps are minted by the server: redacted
/// wherever they appear in an answer.
fn redact_face_ids(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(redact_face_ids),
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key.ends_with("FaceId") {
                    *v = Value::String("[face-id]".into());
                } else if key == "JobId" {
                    *v = Value::String("[job-id]".into());
                } else if key.ends_with("Timestamp") && v.is_number() {
                    *v = Value::String("[timestamp]".into());
                } else if key.ends_with("FaceIds") {
                    if let Value::Array(ids) = v {
                        ids.iter_mut()
                            .for_each(|id| *id = Value::String("[face-id]".into()));
                    }
                } else {
                    redact_face_ids(v);
                }
            }
        }
        _ => {}
    }
}

fn params(text: &str) -> Value {
    let map: Map<String, Value> = form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .filter(|(k, _)| !VOLATILE_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| {
            // like a long body: a padded parameter is recorded by size only
            let v = if v.len() > MAX_BODY {
                format!("<{} bytes>", v.len())
            } else {
                v
            };
            (k, Value::String(v))
        })
        .collect();
    Value::Object(map)
}

/// A body as a snapshot keeps it; `json` parses it (or gives the parse an
/// exchange already made), asked only for a body short enough to keep.
fn body(bytes: &[u8], content_type: Option<&str>, json: impl FnOnce() -> Option<Value>) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if bytes.len() > MAX_BODY {
        return Value::String(format!("<{} bytes>", bytes.len()));
    }
    if let Some(v) = json() {
        return v;
    }
    let text = String::from_utf8_lossy(bytes);
    if content_type.is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded")) {
        return params(&text);
    }
    Value::String(text.into_owned())
}

/// One exchange, normalized; `label` says which call it was.
pub(crate) fn exchange(label: &str, exchange: &Exchange, scope: &str) -> Value {
    let request = &exchange.request;
    let (path, query) = request
        .target
        .split_once('?')
        .unwrap_or((&request.target, ""));
    let headers: Map<String, Value> = request
        .headers
        .iter()
        .filter(|(k, _)| !VOLATILE_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let signed_headers = request
        .header("authorization")
        .and_then(|a| crate::sign::verify::parse_authorization(a).ok())
        .map(|a| a.signed_headers.to_string());
    let mut answer = body(&exchange.body, exchange.content_type.as_deref(), || {
        exchange.json().ok().cloned()
    });
    if let Some(response) = answer.get_mut("Response").and_then(Value::as_object_mut)
        && response.contains_key("RequestId")
    {
        response.insert("RequestId".into(), Value::String("[request-id]".into()));
    }
    redact_face_ids(&mut answer);
    let mut out = json!({
        "call": label,
        "request": {
            "method": request.method,
            "path": path,
            "query": if query.is_empty() { Value::Null } else { params(query) },
            "headers": headers,
            "signed_headers": signed_headers,
            "body": body(&request.body, request.header("content-type"), || {
                serde_json::from_slice(&request.body).ok()
            }),
        },
        "response": {
            "status": exchange.status,
            "content_type": exchange.content_type,
            "body": answer,
        },
    });
    scrub_value(&mut out, scope);
    out
}

/// In a normalized exchange's request, each value an earlier answer gave
/// (a case's `capture`, such as a FaceId the server minted) becomes its
/// placeholder again, so the snapshot does not depend on the server's IDs.
pub(crate) fn collapse_captured(normalized: &mut Value, captured: &Captured) {
    fn walk(value: &mut Value, captured: &Captured) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, captured)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, captured)),
            other => {
                if let Some((name, _)) = captured.iter().find(|(_, kept)| *kept == other) {
                    *other = Value::String(format!("{{{{capture:{name}}}}}"));
                }
            }
        }
    }
    if captured.is_empty() {
        return;
    }
    if let Some(request) = normalized.get_mut("request") {
        for part in ["body", "query"] {
            if let Some(v) = request.get_mut(part) {
                walk(v, captured);
            }
        }
    }
}
