//! What the fake server serves for a case, and what a client that reads it
//! correctly returns.
//!
//! The served answer comes from the case's `[reply]`, or from its
//! expectation: a success envelope with every documented output field
//! filled with a well-typed value, to its deepest member
//! (`api::shape::sample_fields`), or the expected code with the catalog's
//! description as message; always a fresh RequestId. The judge is the
//! answer itself: a client must return what the last answer it received
//! says, read the way the document describes the envelope.

use serde_json::{Map, Value, json};

use crate::api::Catalog;
use crate::case::{Answer, Expect};
use crate::check::{ErrorKind, Expected};
use crate::envelope::{self, Said};

/// One answer as served.
#[derive(Clone, Debug)]
pub(crate) struct Served {
    pub(crate) status: u16,
    pub(crate) content_type: Option<String>,
    pub(crate) body: Vec<u8>,
    pub(crate) request_id: Option<String>,
    /// What a correct client returns when it gets this answer in time.
    pub(crate) expected: Expected,
    /// A short description for reports.
    pub(crate) summary: String,
}

enum Shape {
    Raw(String),
    Success(Map<String, Value>),
    Error(String),
}

/// Builds the answer `answer` describes, falling back on `expect`.
pub(crate) fn serve(
    answer: &Answer,
    expect: Option<&Expect>,
    action: &str,
    catalog: &Catalog,
) -> Result<Served, String> {
    let success_fields = |values: &Map<String, Value>| {
        // Every documented field, well typed to its deepest member.
        let mut fields = crate::api::shape::sample_fields(action);
        for (k, v) in values {
            fields.insert(k.clone(), v.clone());
        }
        fields
    };
    let shape = if let Some(body) = &answer.body {
        Shape::Raw(body.clone())
    } else if let Some(code) = &answer.code {
        Shape::Error(code.clone())
    } else if answer.success == Some(true) {
        Shape::Success(success_fields(&Map::new()))
    } else {
        match expect {
            Some(Expect {
                answer: Some(whole),
                ..
            }) => Shape::Raw(whole.to_string()),
            Some(e) if e.is_success() => Shape::Success(success_fields(&e.values)),
            Some(e) => match e.code.as_ref().or(e.pinned.as_ref()).or(e.any_of.first()) {
                Some(code) => Shape::Error(code.clone()),
                None => return Err("the expectation names no code to serve".into()),
            },
            None => return Err("neither the reply nor an expectation says what to serve".into()),
        }
    };
    let status = answer.status.unwrap_or(200);
    let content_type = match answer.content_type.as_deref() {
        None => Some(envelope::CONTENT_TYPE.to_string()),
        Some("") => None,
        Some(ct) => Some(ct.to_string()),
    };
    let omitted = |key: &str| answer.omit.iter().any(|o| o == key);
    let unreadable = if status == 200 {
        ErrorKind::Parse
    } else {
        ErrorKind::Http
    };
    let any_error = |kind| Expected::Error {
        code: None,
        message: None,
        request_id: None,
        kind,
    };
    let ct_text = content_type.as_deref().unwrap_or("no content type");
    let (body, request_id, expected, what) = match shape {
        Shape::Raw(text) => {
            let expected = read_raw(&text).unwrap_or_else(|| any_error(unreadable));
            let preview: String = text.chars().take(24).collect();
            (
                text.into_bytes(),
                None,
                expected,
                format!("body {preview:?}"),
            )
        }
        shape => {
            let id = envelope::new_request_id();
            let mut response = Map::new();
            let mut what = match &shape {
                Shape::Success(fields) => {
                    response.extend(fields.clone());
                    "success".to_string()
                }
                Shape::Error(code) => {
                    let message = catalog
                        .code(code)
                        .map(|c| c.description.clone())
                        .filter(|d| !d.is_empty())
                        .unwrap_or_else(|| format!("{code} (served by the conformance harness)"));
                    let mut error = Map::new();
                    if !omitted("Code") {
                        error.insert("Code".into(), json!(code));
                    }
                    if !omitted("Message") {
                        error.insert("Message".into(), json!(message));
                    }
                    response.insert("Error".into(), Value::Object(error));
                    format!("error {code}")
                }
                Shape::Raw(_) => unreachable!("handled above"),
            };
            if !omitted("RequestId") {
                response.insert("RequestId".into(), json!(id));
            }
            let served_id = (!omitted("RequestId")).then(|| id.clone());
            let expected = if omitted("Response") || omitted("Code") {
                any_error(unreadable)
            } else {
                let body = json!({ "Response": response.clone() });
                read(Ok(&body)).expect("a Response object is an envelope")
            };
            let body = if omitted("Response") {
                Value::Object(response)
            } else {
                json!({ "Response": response })
            };
            if !answer.omit.is_empty() {
                what.push_str(&format!(" without {}", answer.omit.join(", ")));
            }
            (
                serde_json::to_vec(&body).expect("JSON serializes"),
                served_id,
                expected,
                what,
            )
        }
    };
    Ok(Served {
        status,
        content_type: content_type.clone(),
        body,
        request_id,
        expected,
        summary: format!("HTTP {status}, {ct_text}, {what}"),
    })
}

/// What a correct client reads from an answer's body (already parsed).
fn read(json: Result<&Value, &str>) -> Option<Expected> {
    let reading = envelope::read(json);
    Some(match reading.said {
        Said::Success(response) => Expected::Ok(response),
        Said::Error { code, message } => Expected::Error {
            code: Some(code),
            message: Some(message.unwrap_or_default()),
            request_id: reading.request_id,
            kind: ErrorKind::Api,
        },
        Said::ErrorWithoutCode => Expected::Error {
            code: None,
            message: None,
            request_id: None,
            kind: ErrorKind::Parse,
        },
        Said::NoEnvelope(_) => return None,
    })
}

/// A raw body that happens to be an envelope is read as one.
fn read_raw(text: &str) -> Option<Expected> {
    let json: Result<Value, String> = serde_json::from_str(text).map_err(|e| e.to_string());
    read(json.as_ref().map_err(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect_code(code: &str) -> Expect {
        Expect {
            code: Some(code.into()),
            ..Expect::default()
        }
    }

    #[test]
    fn serves_the_expected_code_with_the_catalog_message() {
        let served = serve(
            &Answer::default(),
            Some(&expect_code("InternalError")),
            "DeletePerson",
            Catalog::get(),
        )
        .unwrap();
        let env = envelope::check(200, served.content_type.as_deref(), &served.body).unwrap();
        assert_eq!(Some(env.request_id.clone()), served.request_id);
        let Expected::Error { code, message, .. } = &served.expected else {
            panic!("{:?}", served.expected)
        };
        assert_eq!(code.as_deref(), Some("InternalError"));
        assert!(!message.as_deref().unwrap().is_empty());
    }

    #[test]
    fn a_missing_request_id_is_expected_absent() {
        let answer = Answer {
            omit: vec!["RequestId".into()],
            ..Answer::default()
        };
        let served = serve(
            &answer,
            Some(&expect_code("InternalError")),
            "DeletePerson",
            Catalog::get(),
        )
        .unwrap();
        assert!(served.request_id.is_none());
        assert!(matches!(
            served.expected,
            Expected::Error {
                request_id: None,
                kind: ErrorKind::Api,
                ..
            }
        ));
    }

    #[test]
    fn a_body_that_is_not_json_expects_a_parse_error() {
        let answer = Answer {
            body: Some("<html>".into()),
            ..Answer::default()
        };
        let served = serve(&answer, None, "DeletePerson", Catalog::get()).unwrap();
        assert!(matches!(
            served.expected,
            Expected::Error {
                code: None,
                kind: ErrorKind::Parse,
                ..
            }
        ));
    }
}
