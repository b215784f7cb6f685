//! The normalized exchange: what a snapshot records. The request loses its
//! signature, timestamp, nonce, SecretId, token and host (the port varies);
//! the answer loses its RequestId; the run-scoped ID prefix becomes
//! `{{run}}`. Nothing secret survives. A JSON answer is kept whole, so a
//! recording can answer a replay; a request body or parameter longer than
//! 2 KiB (a case's padding) is recorded by its size.

use serde_json::{Map, Value, json};

use crate::case::capture::Captured;
use crate::live::record::{REDACTED_REQUEST_ID, REDACTED_TIMESTAMP};
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
                    *v = Value::String(REDACTED_TIMESTAMP.into());
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

/// One exchange, normalized; `label` says which call it was, `captured`
/// what earlier answers of the case gave for `{{capture:NAME}}`.
pub(crate) fn exchange(
    label: &str,
    exchange: &Exchange,
    scope: &str,
    captured: &Captured,
) -> Value {
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
    // An answer is kept whole when it is JSON, however long (a replay
    // answers with it); only a request's padding is recorded by size.
    let mut answer = match exchange.json() {
        Ok(json) => json.clone(),
        _ => body(&exchange.body, exchange.content_type.as_deref(), || None),
    };
    if let Some(response) = answer.get_mut("Response").and_then(Value::as_object_mut)
        && response.contains_key("RequestId")
    {
        response.insert(
            "RequestId".into(),
            Value::String(REDACTED_REQUEST_ID.into()),
        );
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
    collapse_captured(&mut out["request"], captured);
    out
}

/// In a normalized request, each string an earlier answer gave (a case's
/// `capture`, such as a FaceId the server minted) becomes its placeholder
/// again, so the snapshot does not depend on the server's IDs. After the
/// run's scope is restored: a kept ID under the scope is already stable as
/// `{{run}}-...`, and stays as the case wrote it wherever else it stands.
/// Only non-empty strings: a kept number or `""` would also stand for
/// every equal value the case wrote itself.
fn collapse_captured(request: &mut Value, captured: &Captured) {
    fn walk(value: &mut Value, kept: &[(&String, &str)]) {
        match value {
            Value::Array(items) => items.iter_mut().for_each(|v| walk(v, kept)),
            Value::Object(map) => map.values_mut().for_each(|v| walk(v, kept)),
            Value::String(s) => {
                if let Some((name, _)) = kept.iter().find(|(_, k)| k == s) {
                    *s = format!("{{{{capture:{name}}}}}");
                }
            }
            _ => {}
        }
    }
    let kept: Vec<(&String, &str)> = captured
        .iter()
        .filter_map(|(name, v)| v.as_str().filter(|s| !s.is_empty()).map(|s| (name, s)))
        .collect();
    if kept.is_empty() {
        return;
    }
    for part in ["body", "query"] {
        if let Some(v) = request.get_mut(part) {
            walk(v, &kept);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::wire::Prepared;

    #[test]
    fn a_kept_server_id_is_its_placeholder_again_and_nothing_else_is() {
        let scope = "ct-t3k2x1a-q8z0mb-12";
        let body = json!({
            "PersonId": format!("{scope}-p"),
            "FaceIds": ["f-777"],
            "Offset": 0,
            "Tag": "",
        });
        let request = Prepared {
            method: "POST".into(),
            target: "/".into(),
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(&body).unwrap(),
        };
        let asked = Exchange::new(request, 0, None, Vec::new(), Default::default());
        let captured: Captured = [
            ("face".to_string(), json!("f-777")),
            ("person".to_string(), json!(format!("{scope}-p"))),
            ("n".to_string(), json!(0)),
            ("empty".to_string(), json!("")),
        ]
        .into();
        let out = exchange("step[1] DeleteFace", &asked, scope, &captured);
        assert_eq!(
            out["request"]["body"],
            json!({ "PersonId": "{{run}}-p", "FaceIds": ["{{capture:face}}"], "Offset": 0, "Tag": "" })
        );
        // nothing kept: the scope alone
        let out = exchange("step[1] DeleteFace", &asked, scope, &Captured::new());
        assert_eq!(out["request"]["body"]["FaceIds"], json!(["f-777"]));
    }
}
