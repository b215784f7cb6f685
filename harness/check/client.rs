//! Checks of what a client returned: a correct client returns what the
//! last answer it received says, read the way the document describes the
//! envelope ([`Expected`]); the adapter reports what the client returned
//! ([`Returned`]); [`judge`] names every difference.

use serde_json::{Map, Value};

use crate::envelope::Mismatch;

/// The kinds of client error the adapter protocol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The server answered an error envelope.
    Api,
    /// A non-200 status with no readable envelope.
    Http,
    /// The body is not a readable envelope.
    Parse,
    /// No answer: connection refused, reset, or a timeout.
    Transport,
}

impl ErrorKind {
    /// The name the adapter protocol uses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Api => "api",
            Self::Http => "http",
            Self::Parse => "parse",
            Self::Transport => "transport",
        }
    }
}

/// What a correct client returns for an answer.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// Success with these `Response` fields (RequestId included when served).
    Ok(Map<String, Value>),
    /// An error. `None` fields are free (any code), except `request_id`,
    /// which must then be absent or empty.
    Error {
        /// The code the error carries; any when `None`.
        code: Option<String>,
        /// The message the error carries; any when `None`.
        message: Option<String>,
        /// The RequestId the error carries; absent or empty when `None`.
        request_id: Option<String>,
        /// How the client must classify the error.
        kind: ErrorKind,
    },
}

impl std::fmt::Display for Expected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Ok(_) => f.write_str("success"),
            Self::Error {
                code: Some(code),
                kind,
                ..
            } => write!(f, "error {code} ({})", kind.as_str()),
            Self::Error {
                code: None, kind, ..
            } => {
                write!(f, "an error of kind {} (any code)", kind.as_str())
            }
        }
    }
}

/// What the client returned (read from the adapter's stdout).
#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Returned {
    /// Success, with the `Response` fields the client returned.
    Ok(Map<String, Value>),
    /// An error.
    Error(ReturnedError),
}

#[derive(Clone, Debug, PartialEq, serde::Deserialize, serde::Serialize)]
/// An error a client returned.
pub struct ReturnedError {
    /// The error's code (a `ClientError.*` code for a client-side error).
    pub code: String,
    #[serde(default)]
    /// Its message.
    pub message: Option<String>,
    #[serde(default)]
    /// The RequestId of the answer it read, if any.
    pub request_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// How the client classified it, if it says.
    pub kind: Option<ErrorKind>,
}

impl Returned {
    pub(crate) fn error(
        code: &str,
        message: String,
        request_id: Option<String>,
        kind: ErrorKind,
    ) -> Self {
        Self::Error(ReturnedError {
            code: code.to_string(),
            message: Some(message),
            request_id,
            kind: Some(kind),
        })
    }
}

/// Drops null members, recursively: a client that reports an unset field
/// as null says the same as one that leaves it out.
fn without_nulls(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Compares what the client returned with what a correct client returns.
pub(crate) fn judge(expected: &Expected, returned: &Returned, out: &mut Vec<Mismatch>) {
    let describe = |r: &Returned| match r {
        Returned::Ok(_) => "success".to_string(),
        Returned::Error(e) => format!(
            "error {} ({:?}, request_id {:?})",
            e.code,
            e.message.as_deref().unwrap_or_default(),
            e.request_id
        ),
    };
    match (expected, returned) {
        (Expected::Ok(fields), Returned::Ok(got)) => {
            let want = without_nulls(&Value::Object(fields.clone()));
            let got = without_nulls(&Value::Object(got.clone()));
            let (Value::Object(want), Value::Object(got)) = (want, got) else {
                unreachable!("objects stay objects")
            };
            for (name, value) in &want {
                if got.get(name) != Some(value) {
                    out.push(Mismatch::new(
                        format!("ok.{name}"),
                        value.to_string(),
                        got.get(name)
                            .map_or_else(|| "absent".into(), Value::to_string),
                    ));
                }
            }
            for (name, value) in &got {
                if !want.contains_key(name) {
                    out.push(Mismatch::new(
                        format!("ok.{name}"),
                        "absent (not served)",
                        value.to_string(),
                    ));
                }
            }
        }
        (Expected::Ok(_), other) => out.push(Mismatch::new("outcome", "success", describe(other))),
        (Expected::Error { .. }, Returned::Ok(_)) => out.push(Mismatch::new(
            "outcome",
            expected.to_string(),
            describe(returned),
        )),
        (
            Expected::Error {
                code,
                message,
                request_id,
                kind,
            },
            Returned::Error(e),
        ) => {
            if let Some(code) = code
                && &e.code != code
            {
                out.push(Mismatch::new(
                    "error.code",
                    format!("{code:?} (as served)"),
                    format!("{:?}", e.code),
                ));
            }
            if let Some(message) = message
                && e.message.as_deref().unwrap_or_default() != message
            {
                out.push(Mismatch::new(
                    "error.message",
                    format!("{message:?} (as served)"),
                    format!("{:?}", e.message),
                ));
            }
            let got_id = e.request_id.as_deref().filter(|id| !id.is_empty());
            if got_id != request_id.as_deref() {
                out.push(Mismatch::new(
                    "error.request_id",
                    request_id.as_ref().map_or_else(
                        || "absent (none was served)".into(),
                        |id| format!("{id:?} (as served)"),
                    ),
                    format!("{got_id:?}"),
                ));
            }
            if let Some(got) = e.kind
                && got != *kind
            {
                out.push(Mismatch::new("error.kind", kind.as_str(), got.as_str()));
            }
        }
    }
}
