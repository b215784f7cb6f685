//! The wire vocabulary every part of the harness shares: how a request is
//! shaped and signed ([`Style`], [`SignedHeaderSet`]), a signed request
//! ([`Prepared`]), a request with its answer ([`Exchange`]), Tencent's
//! query encoding, and the clock at the edge ([`now`]).
//!
//! It sits below the client, the emulator, the cases and the checks, so
//! none of them imports another to speak about a request.

use std::sync::OnceLock;
use std::time::Duration;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Map, Value};

/// RFC 3986 unreserved characters stay; everything else is `%XX`, upper-case.
const QUERY: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query component the way Tencent documents.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, QUERY).to_string()
}

/// How a request is shaped and signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// POST `application/json`, TC3-HMAC-SHA256 (what every SDK sends).
    Tc3PostJson,
    /// GET with the parameters in the query, TC3-HMAC-SHA256.
    Tc3Get,
    /// GET with the parameters and signature in the query, signature v1.
    V1Get,
    /// POST `application/x-www-form-urlencoded`, signature v1.
    V1PostForm,
}

/// Which headers a TC3 request signs.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SignedHeaderSet {
    /// `content-type;host`, what the SDKs sign.
    #[default]
    #[serde(alias = "content-type;host")]
    ContentTypeHost,
    /// `content-type;host;x-tc-action`, what the current document shows.
    #[serde(alias = "content-type;host;x-tc-action")]
    ContentTypeHostAction,
}

/// A signed request, ready to send; cases may alter it first.
///
/// Its `Debug` shows no header value, query or body: they may carry a token
/// (`X-TC-Token`, v1 `Token`).
#[derive(Clone)]
pub struct Prepared {
    /// `GET` or `POST` (or anything a case sends).
    pub method: String,
    /// Path and query, e.g. `/?Action=...`.
    pub target: String,
    /// Headers in sending order; `Host` included.
    pub headers: Vec<(String, String)>,
    /// The body as sent.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path = self.target.split('?').next().unwrap_or_default();
        f.debug_struct("Prepared")
            .field("method", &self.method)
            .field("path", &path)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body_bytes", &self.body.len())
            .finish()
    }
}

impl Prepared {
    /// The value of header `name`, case-insensitive.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Sets header `name`, replacing its value if present.
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self
            .headers
            .iter_mut()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
        {
            Some(slot) => slot.1 = value,
            None => self.headers.push((name.to_string(), value)),
        }
    }

    /// Removes header `name`.
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    }
}

/// A request as sent and the answer as received.
#[derive(Clone, Debug)]
pub struct Exchange {
    /// The request as sent.
    pub request: Prepared,
    /// The HTTP status.
    pub status: u16,
    /// The `Content-Type`, if any.
    pub content_type: Option<String>,
    /// The body.
    pub body: Vec<u8>,
    /// How long the answer took.
    pub elapsed: Duration,
    /// The body as JSON, parsed on first use and then shared by every
    /// reader (the live guard, the checks, the snapshot).
    json: OnceLock<Result<Value, String>>,
}

impl Exchange {
    /// The answer `status`, `content_type`, `body` to `request`.
    pub fn new(
        request: Prepared,
        status: u16,
        content_type: Option<String>,
        body: Vec<u8>,
        elapsed: Duration,
    ) -> Self {
        Self {
            request,
            status,
            content_type,
            body,
            elapsed,
            json: OnceLock::new(),
        }
    }

    /// The body parsed as JSON, or why it is not JSON; parsed once per
    /// exchange however many readers ask.
    pub fn json(&self) -> Result<&Value, &str> {
        self.json
            .get_or_init(|| serde_json::from_slice(&self.body).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(String::as_str)
    }
}

/// Whether a string in `value`, at any depth, contains `text` (a case's
/// run-scoped ID prefix, say).
pub(crate) fn holds_text(value: &Value, text: &str) -> bool {
    match value {
        Value::String(s) => s.contains(text),
        Value::Array(a) => a.iter().any(|v| holds_text(v, text)),
        Value::Object(m) => m.values().any(|v| holds_text(v, text)),
        _ => false,
    }
}

/// `map` with every string in its values, at any depth, replaced by what
/// `f` makes of it; keys stay. One walk for every kind of placeholder
/// (`{{run}}`, `{{capture:NAME}}`).
pub(crate) fn map_strings(
    map: &Map<String, Value>,
    f: &impl Fn(&str) -> Value,
) -> Map<String, Value> {
    fn walk(value: &Value, f: &impl Fn(&str) -> Value) -> Value {
        match value {
            Value::String(s) => f(s),
            Value::Array(items) => Value::Array(items.iter().map(|v| walk(v, f)).collect()),
            Value::Object(map) => Value::Object(map_strings(map, f)),
            other => other.clone(),
        }
    }
    map.iter().map(|(k, v)| (k.clone(), walk(v, f))).collect()
}

/// Flattens JSON parameters into Tencent's query form: arrays as
/// `Name.0`, objects as `Name.Field`, scalars as text.
pub(crate) fn flatten(params: &Map<String, Value>) -> Vec<(String, String)> {
    fn walk(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(map) => map
                .iter()
                .for_each(|(k, v)| walk(&format!("{prefix}.{k}"), v, out)),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .for_each(|(i, v)| walk(&format!("{prefix}.{i}"), v, out)),
            Value::String(s) => out.push((prefix.to_string(), s.clone())),
            Value::Null => out.push((prefix.to_string(), String::new())),
            other => out.push((prefix.to_string(), other.to_string())),
        }
    }
    let mut out = Vec::new();
    for (k, v) in params {
        walk(k, v, &mut out);
    }
    out
}

/// The current Unix time, for callers at the edge (the signer never reads it).
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exchange_parses_its_body_once() {
        let request = Prepared {
            method: "POST".into(),
            target: "/".into(),
            headers: Vec::new(),
            body: Vec::new(),
        };
        let answer = Exchange::new(
            request.clone(),
            200,
            None,
            br#"{"Response":{}}"#.to_vec(),
            Duration::ZERO,
        );
        let first: *const Value = answer.json().unwrap();
        assert!(std::ptr::eq(first, answer.json().unwrap()), "parsed again");
        let broken = Exchange::new(request, 200, None, b"<html>".to_vec(), Duration::ZERO);
        assert!(broken.json().unwrap_err().contains("expected value"));
    }

    #[test]
    fn encodes_as_rfc3986_upper_case() {
        assert_eq!(encode("a-%@#&_ b/+=~."), "a-%25%40%23%26_%20b%2F%2B%3D~.");
    }

    #[test]
    fn flattens_arrays_and_objects() {
        let params: Map<String, Value> = serde_json::from_str(
            r#"{"GroupIds":["a","b"],"Info":[{"Index":0,"Text":"x"}],"Gender":1}"#,
        )
        .unwrap();
        let flat = flatten(&params);
        assert!(flat.contains(&("GroupIds.1".into(), "b".into())));
        assert!(flat.contains(&("Info.0.Index".into(), "0".into())));
        assert!(flat.contains(&("Gender".into(), "1".into())));
    }
}
