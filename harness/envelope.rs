//! The wire contract of every IAI answer:
//! `{"Response": {..., "RequestId": "<uuid>"}}`, with `Error{Code, Message}`
//! on failure, HTTP 200 and `Content-Type: application/json`.

use serde_json::{Map, Value, json};

/// The one content type every answer carries, exactly (the official Python
/// SDK ignores error envelopes when a charset is appended).
pub const CONTENT_TYPE: &str = "application/json";

/// A fresh RequestId: a lower-case UUID v4, as in every official example.
/// The random bits come from the thread's cryptographic generator, not a
/// system call per answer.
pub fn new_request_id() -> String {
    RequestId::new().as_str().to_owned()
}

/// A RequestId held inline, without an allocation: a fresh lower-case
/// UUID v4 ([`RequestId::new`]), or up to 36 bytes of other text.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RequestId {
    text: [u8; 36],
    len: u8,
}

impl Default for RequestId {
    /// Empty text.
    fn default() -> Self {
        Self {
            text: [0; 36],
            len: 0,
        }
    }
}

impl RequestId {
    /// A fresh one, as [`new_request_id`] makes.
    pub fn new() -> Self {
        let mut text = [0u8; 36];
        uuid::Builder::from_random_bytes(rand::random())
            .into_uuid()
            .hyphenated()
            .encode_lower(&mut text);
        Self { text, len: 36 }
    }

    /// The first 36 bytes of `text` (cut back to a character boundary).
    pub fn from_text(text: &str) -> Self {
        let mut len = text.len().min(36);
        while !text.is_char_boundary(len) {
            len -= 1;
        }
        let mut held = [0u8; 36];
        held[..len].copy_from_slice(&text.as_bytes()[..len]);
        Self {
            text: held,
            len: len as u8,
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Only ever filled from a `str`, cut at a character boundary.
        std::str::from_utf8(&self.text[..usize::from(self.len)]).unwrap_or_default()
    }
}

impl std::fmt::Debug for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A success answer: `fields` plus `RequestId`.
pub fn success(request_id: &str, fields: Map<String, Value>) -> Value {
    let mut response = fields;
    response.insert("RequestId".into(), Value::String(request_id.into()));
    // Moved in, not serialized again as `json!` would.
    let mut envelope = Map::with_capacity(1);
    envelope.insert("Response".into(), Value::Object(response));
    Value::Object(envelope)
}

/// An error answer.
pub fn error(request_id: &str, code: &str, message: &str) -> Value {
    json!({
        "Response": {
            "Error": { "Code": code, "Message": message },
            "RequestId": request_id,
        }
    })
}

/// [`success`] written straight to its JSON bytes (the same bytes as
/// `serde_json::to_vec(&success(request_id, fields))`), without building
/// the envelope's maps. `RequestId` comes last, after `fields`.
pub fn success_bytes(request_id: &str, fields: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    out.extend_from_slice(b"{\"Response\":{");
    for (name, value) in fields.iter().filter(|(name, _)| *name != "RequestId") {
        write_json(&mut out, name);
        out.push(b':');
        write_json(&mut out, value);
        out.push(b',');
    }
    out.extend_from_slice(b"\"RequestId\":");
    write_json(&mut out, request_id);
    out.extend_from_slice(b"}}");
    out
}

/// [`error`] written straight to its JSON bytes (the same bytes as
/// `serde_json::to_vec(&error(request_id, code, message))`).
pub fn error_bytes(request_id: &str, code: &str, message: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(128 + message.len());
    out.extend_from_slice(b"{\"Response\":{\"Error\":{\"Code\":");
    write_json(&mut out, code);
    out.extend_from_slice(b",\"Message\":");
    write_json(&mut out, message);
    out.extend_from_slice(b"},\"RequestId\":");
    write_json(&mut out, request_id);
    out.extend_from_slice(b"}}");
    out
}

/// Appends `value` as JSON. Writing a string or a `Value` into a `Vec`
/// cannot fail (its map keys are strings).
fn write_json<T: serde::Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let _ = serde_json::to_writer(out, value);
}

/// One way an answer breaks the contract, naming the field.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mismatch {
    /// A path into the exchange: `http.status`, `Response.RequestId`, ...
    pub field: String,
    /// What the contract or the case expects.
    pub expected: String,
    /// What the answer holds.
    pub found: String,
}

impl Mismatch {
    /// A mismatch of `field`.
    pub fn new(
        field: impl Into<String>,
        expected: impl Into<String>,
        found: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
            found: found.into(),
        }
    }
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: expected {}, found {}",
            self.field, self.expected, self.found
        )
    }
}

/// What an answer said, once its shape is known to be valid.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The success fields, without `RequestId`.
    Success(Map<String, Value>),
    /// An error.
    Error {
        /// `Error.Code`.
        code: String,
        /// `Error.Message`.
        message: String,
    },
}

/// A parsed answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Envelope {
    /// `Response.RequestId`.
    pub request_id: String,
    /// What it said.
    pub outcome: Outcome,
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether `id` has the form of Tencent's RequestIds: a UUID written as
/// 8-4-4-4-12 hex digits with hyphens (`uuid::Uuid::parse_str` would also
/// take 32 bare digits, braces or a `urn:uuid:` prefix, which the cloud
/// never sends).
pub fn is_request_id(id: &str) -> bool {
    id.len() == 36
        && id.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Checks an answer against the contract and parses it. Every mismatch is
/// collected; the envelope is returned only when there are none.
///
/// ```
/// use iai_conformance::envelope::{self, CONTENT_TYPE, Outcome};
///
/// let id = envelope::new_request_id();
/// let body = envelope::error(&id, "InternalError", "Internal error.").to_string();
/// let answer = envelope::check(200, Some(CONTENT_TYPE), body.as_bytes()).unwrap();
/// assert_eq!(answer.request_id, id);
/// assert!(matches!(answer.outcome, Outcome::Error { code, .. } if code == "InternalError"));
///
/// // an HTTP 500 with a charset and no RequestId breaks the contract thrice
/// let broken = br#"{"Response": {"Error": {"Code": "InternalError", "Message": "m"}}}"#;
/// let fields: Vec<String> = envelope::check(500, Some("application/json; charset=utf-8"), broken)
///     .unwrap_err()
///     .into_iter()
///     .map(|m| m.field)
///     .collect();
/// assert_eq!(fields, ["http.status", "http.content-type", "Response.RequestId"]);
/// ```
pub fn check(
    status: u16,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Envelope, Vec<Mismatch>> {
    let json: Result<Value, String> = serde_json::from_slice(body).map_err(|e| e.to_string());
    check_json(status, content_type, json.as_ref().map_err(String::as_str))
}

/// [`check`] of a body already parsed (or found not to be JSON, and why).
pub(crate) fn check_json(
    status: u16,
    content_type: Option<&str>,
    json: Result<&Value, &str>,
) -> Result<Envelope, Vec<Mismatch>> {
    let mut out = Vec::new();
    if status != 200 {
        out.push(Mismatch::new("http.status", "200", status.to_string()));
    }
    if content_type != Some(CONTENT_TYPE) {
        out.push(Mismatch::new(
            "http.content-type",
            CONTENT_TYPE,
            content_type.unwrap_or("(none)"),
        ));
    }
    let value = match json {
        Ok(v) => v,
        Err(e) => {
            out.push(Mismatch::new(
                "body",
                "a JSON object",
                format!("not JSON ({e})"),
            ));
            return Err(out);
        }
    };
    let Some(top) = value.as_object() else {
        out.push(Mismatch::new("body", "a JSON object", kind_of(value)));
        return Err(out);
    };
    for key in top.keys().filter(|k| *k != "Response") {
        out.push(Mismatch::new(
            key.clone(),
            "no key besides Response",
            "an extra top-level key",
        ));
    }
    let Some(response) = top.get("Response").and_then(Value::as_object) else {
        let found = top.get("Response").map_or("absent", kind_of);
        out.push(Mismatch::new("Response", "an object", found));
        return Err(out);
    };
    let request_id = match response.get("RequestId") {
        Some(Value::String(id)) if is_request_id(id) => id.clone(),
        Some(Value::String(id)) => {
            out.push(Mismatch::new(
                "Response.RequestId",
                "a UUID in the hyphenated 8-4-4-4-12 form",
                format!("{id:?}"),
            ));
            id.clone()
        }
        other => {
            out.push(Mismatch::new(
                "Response.RequestId",
                "a UUID string",
                other.map_or("absent", kind_of),
            ));
            String::new()
        }
    };
    let outcome = match response.get("Error") {
        Some(Value::Object(error)) => {
            let text = |name: &str, out: &mut Vec<Mismatch>| match error.get(name) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                other => {
                    let found = match other {
                        Some(Value::String(_)) => "an empty string",
                        Some(v) => kind_of(v),
                        None => "absent",
                    };
                    out.push(Mismatch::new(
                        format!("Response.Error.{name}"),
                        "a non-empty string",
                        found,
                    ));
                    String::new()
                }
            };
            let code = text("Code", &mut out);
            let message = text("Message", &mut out);
            for key in response
                .keys()
                .filter(|k| *k != "Error" && *k != "RequestId")
            {
                out.push(Mismatch::new(
                    format!("Response.{key}"),
                    "no success field beside Error",
                    "present",
                ));
            }
            for key in error.keys().filter(|k| *k != "Code" && *k != "Message") {
                out.push(Mismatch::new(
                    format!("Response.Error.{key}"),
                    "only Code and Message",
                    "present",
                ));
            }
            Outcome::Error { code, message }
        }
        Some(other) => {
            out.push(Mismatch::new("Response.Error", "an object", kind_of(other)));
            Outcome::Error {
                code: String::new(),
                message: String::new(),
            }
        }
        None => {
            let mut fields = response.clone();
            fields.remove("RequestId");
            Outcome::Success(fields)
        }
    };
    if out.is_empty() {
        Ok(Envelope {
            request_id,
            outcome,
        })
    } else {
        Err(out)
    }
}

/// What an answer says, read leniently: the way a client reads it, and
/// the way a report shows a broken answer's code, whatever its status, its
/// content type or the rest of the contract. The one lenient reader of the
/// harness; [`check`] is the strict one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Reading {
    /// `Response.RequestId`, when it is a string.
    pub(crate) request_id: Option<String>,
    /// What the `Response` says.
    pub(crate) said: Said,
}

/// What a leniently read `Response` says.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Said {
    /// No `Error`: the whole `Response` object, RequestId included.
    Success(Map<String, Value>),
    /// `Error.Code`, with `Error.Message` when it is a string.
    Error {
        code: String,
        message: Option<String>,
    },
    /// An `Error` with no string `Code`.
    ErrorWithoutCode,
    /// No envelope at all (not JSON, or no `Response` object): why.
    NoEnvelope(String),
}

impl Reading {
    /// The error code, when the answer is an error with one.
    pub(crate) fn code(&self) -> Option<&str> {
        match &self.said {
            Said::Error { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Reads an answer's body, already parsed (or found not to be JSON, and why).
pub(crate) fn read(json: Result<&Value, &str>) -> Reading {
    let none = |why: String| Reading {
        request_id: None,
        said: Said::NoEnvelope(why),
    };
    let value = match json {
        Ok(value) => value,
        Err(e) => return none(format!("the body is not JSON ({e})")),
    };
    let Some(response) = value.get("Response").and_then(Value::as_object) else {
        return none("the body has no Response object".into());
    };
    let request_id = response
        .get("RequestId")
        .and_then(Value::as_str)
        .map(str::to_string);
    let said = match response.get("Error") {
        None => Said::Success(response.clone()),
        Some(error) => match error.get("Code").and_then(Value::as_str) {
            Some(code) => Said::Error {
                code: code.to_string(),
                message: error
                    .get("Message")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            },
            None => Said::ErrorWithoutCode,
        },
    };
    Reading { request_id, said }
}

/// [`read`] of raw bytes.
pub(crate) fn read_bytes(body: &[u8]) -> Reading {
    let json: Result<Value, String> = serde_json::from_slice(body).map_err(|e| e.to_string());
    read(json.as_ref().map_err(String::as_str))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bytes_writers_write_what_the_value_builders_serialize() {
        let id = new_request_id();
        let fields = match json!({
            "PersonName": "Zoë \"quoted\" \u{1}",
            "Gender": 1,
            "Score": 99.5,
            "FaceIds": ["1", "2"],
            "FaceRect": {"X": 1, "Y": 2},
            "Empty": {},
            "Nothing": null,
        }) {
            Value::Object(m) => m,
            _ => unreachable!(),
        };
        for fields in [fields, Map::new()] {
            assert_eq!(
                success_bytes(&id, &fields),
                serde_json::to_vec(&success(&id, fields.clone())).unwrap()
            );
        }
        for (code, message) in [("InternalError", "boom"), ("A.B", "line\nbreak \"é\"")] {
            assert_eq!(
                error_bytes(&id, code, message),
                serde_json::to_vec(&error(&id, code, message)).unwrap()
            );
        }
    }

    #[test]
    fn a_request_id_is_a_fresh_uuid_or_up_to_36_bytes_of_text() {
        let (a, b) = (RequestId::new(), RequestId::new());
        assert!(is_request_id(a.as_str()), "{a}");
        assert_ne!(a, b);
        assert_eq!(
            RequestId::from_text("6faa05d0287b464e8755cf3e8d0c703d").as_str(),
            "6faa05d0287b464e8755cf3e8d0c703d"
        );
        // 35 ASCII bytes and a two-byte character: cut before it.
        let long = format!("{}é", "x".repeat(35));
        assert_eq!(RequestId::from_text(&long).as_str(), "x".repeat(35));
        assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{a}\""));
    }

    #[test]
    fn accepts_what_it_builds() {
        let id = new_request_id();
        let body = serde_json::to_vec(&error(&id, "InternalError", "boom")).unwrap();
        let env = check(200, Some(CONTENT_TYPE), &body).unwrap();
        assert_eq!(env.request_id, id);
        assert_eq!(
            env.outcome,
            Outcome::Error {
                code: "InternalError".into(),
                message: "boom".into()
            }
        );
    }

    #[test]
    fn reads_what_a_broken_answer_says() {
        let said = |body: &[u8]| read_bytes(body).said;
        assert!(
            matches!(said(b"<html>"), Said::NoEnvelope(why) if why.starts_with("the body is not JSON"))
        );
        assert_eq!(
            said(br#"{"Response": 1}"#),
            Said::NoEnvelope("the body has no Response object".into())
        );
        assert_eq!(
            said(br#"{"Response": {"Error": {}}}"#),
            Said::ErrorWithoutCode
        );
        assert_eq!(
            said(br#"{"Response": {"Error": "x"}}"#),
            Said::ErrorWithoutCode
        );
        let reading = read_bytes(
            br#"{"Response": {"Error": {"Code": "A.B"}, "RequestId": "r"}, "Extra": 1}"#,
        );
        assert_eq!(reading.request_id.as_deref(), Some("r"));
        assert_eq!(reading.code(), Some("A.B"));
        assert_eq!(
            reading.said,
            Said::Error {
                code: "A.B".into(),
                message: None
            }
        );
        let Said::Success(fields) = said(br#"{"Response": {"RequestId": "r", "X": 1}}"#) else {
            panic!()
        };
        assert_eq!(fields.len(), 2);
    }

    #[test]
    fn names_every_broken_field() {
        let body = br#"{"Response":{"Error":{"Code":""},"RequestId":"x"},"Extra":1}"#;
        let fields: Vec<String> = check(500, Some("application/json; charset=utf-8"), body)
            .unwrap_err()
            .into_iter()
            .map(|m| m.field)
            .collect();
        assert_eq!(
            fields,
            [
                "http.status",
                "http.content-type",
                "Extra",
                "Response.RequestId",
                "Response.Error.Code",
                "Response.Error.Message"
            ]
        );
    }

    #[test]
    fn a_request_id_is_a_hyphenated_uuid_and_nothing_looser() {
        let id = new_request_id();
        assert!(is_request_id(&id), "{id}");
        // Version 4, RFC variant, and fresh each time.
        let parsed = uuid::Uuid::parse_str(&id).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(new_request_id(), id);
        let bare = id.replace('-', "");
        for wrong in [
            bare.clone(),
            format!("{{{id}}}"),
            format!("urn:uuid:{id}"),
            format!("{}x", &id[..35]),
            id.replacen('-', "_", 1),
            String::new(),
        ] {
            assert!(!is_request_id(&wrong), "{wrong}");
            let body = serde_json::to_vec(&error(&wrong, "InternalError", "boom")).unwrap();
            let fields: Vec<String> = check(200, Some(CONTENT_TYPE), &body)
                .unwrap_err()
                .into_iter()
                .map(|m| m.field)
                .collect();
            assert_eq!(fields, ["Response.RequestId"], "{wrong}");
        }
    }
}
