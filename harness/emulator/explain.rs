//! Explanations: for every answer, by its RequestId, which stage and rule,
//! state or injected fault produced it (README "Explain").
//!
//! A request leaves a small [`Record`] (a few short strings) in a bounded
//! ring of the most recent [`CAPACITY`] requests; the costly part of an
//! explanation, the server's canonical request and string to sign, is
//! built only for an `AuthFailure.SignatureFailure`. Nothing here ever
//! holds a secret key, a derived key or a session token: the expected
//! signature is an HMAC output, as the client's is.

use std::borrow::Cow;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use http::HeaderMap;
use serde::Serialize;
use serde_json::{Value, json};

use crate::envelope::RequestId;
use crate::sign::verify::{X_TC_CONTENT_SHA256, X_TC_TIMESTAMP, header_text, parse_authorization};
use crate::sign::{Credentials, V1Method, tc3, v1};

/// How many recent requests can be explained.
pub const CAPACITY: usize = 10_000;

/// The stage of the order of checks that decided an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Stage {
    /// Size limits and the body's arrival (the transport).
    Transport,
    /// Path, method, content type, common parameters.
    Protocol,
    /// The signature, the SecretId, the clock, the token.
    Auth,
    /// The account's billing status or its rate limit.
    Account,
    /// An injected fault.
    Fault,
    /// Parameter shape from the catalog.
    Params,
    /// A value rule (`api::validate`, the action's own rules), or coverage.
    Rule,
    /// Existence and state of the library.
    State,
    /// A deliberate deviation decided the answer.
    Quirk,
    /// The action ran and succeeded.
    Success,
}

/// What one request's explanation holds.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Record {
    pub(crate) request_id: RequestId,
    /// Unix milliseconds when the answer was made.
    pub(crate) at_ms: u64,
    /// The action the request named, once known to be one of the catalog's.
    pub(crate) action: Option<&'static str>,
    /// The account that answered (once the SecretId is known).
    #[serde(serialize_with = "arc_str")]
    pub(crate) account: Option<Arc<str>>,
    /// The SecretId the request named, once known.
    pub(crate) secret_id: Option<String>,
    pub(crate) stage: Stage,
    pub(crate) rule: Cow<'static, str>,
    /// The answer's `Error.Code`; absent for a success.
    pub(crate) code: Option<String>,
    /// What exactly was wrong, or the signature's working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) detail: Option<Value>,
    /// Latency the faults added before the answer, ms.
    #[serde(skip_serializing_if = "is_zero")]
    pub(crate) latency_ms: u64,
    /// The faults that matched (latency, count used), by id.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) faults: Vec<u64>,
    /// The deliberate deviations in force.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) quirks: Vec<&'static str>,
}

fn arc_str<S: serde::Serializer>(value: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(v) => s.serialize_str(v),
        None => s.serialize_none(),
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Record {
    /// An empty record, filled in as the stages pass.
    pub(crate) fn new() -> Self {
        Self {
            request_id: RequestId::default(),
            at_ms: 0,
            action: None,
            account: None,
            secret_id: None,
            stage: Stage::Success,
            rule: Cow::Borrowed(""),
            code: None,
            detail: None,
            latency_ms: 0,
            faults: Vec::new(),
            quirks: Vec::new(),
        }
    }

    /// The stage and rule that decided the answer.
    pub(crate) fn decided(&mut self, stage: Stage, rule: impl Into<Cow<'static, str>>) {
        self.stage = stage;
        self.rule = rule.into();
    }

    /// The JSON the control API and the log line show.
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The `serve --explain` log line: `explain {json}`, one line.
    pub(crate) fn log_line(&self) -> String {
        format!("explain {}", self.to_json())
    }
}

/// The most recent [`CAPACITY`] records.
#[derive(Debug)]
pub(crate) struct Ring {
    capacity: usize,
    records: Mutex<VecDeque<Record>>,
}

impl Default for Ring {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl Ring {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            records: Mutex::new(VecDeque::with_capacity(capacity.clamp(1, 1024))),
        }
    }

    /// Keeps `record`, forgetting the oldest beyond the capacity.
    pub(crate) fn push(&self, record: Record) {
        let mut records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        if records.len() >= self.capacity {
            records.pop_front();
        }
        records.push_back(record);
    }

    /// The explanation of `request_id`, newest first.
    pub(crate) fn find(&self, request_id: &str) -> Option<Value> {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records
            .iter()
            .rev()
            .find(|r| r.request_id.as_str() == request_id)
            .map(Record::to_json)
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// The server's side of a TC3 signature that did not match: the
/// canonical request and string to sign it computed (with the `Host` as
/// sent; the verifier also tries it without the port), the scope it
/// expects and the one sent, and both signatures. `query` is the query as
/// the verifier canonicalized it.
pub(crate) fn tc3_working(
    method: &str,
    query: &str,
    headers: &HeaderMap,
    body: &[u8],
    creds: &Credentials,
    service: &str,
    reason: &str,
) -> Value {
    let Some(raw) = header_text(headers, http::header::AUTHORIZATION) else {
        return json!({ "reason": reason });
    };
    let Ok(auth) = parse_authorization(&raw) else {
        return json!({ "reason": reason });
    };
    let timestamp = header_text(headers, X_TC_TIMESTAMP)
        .and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or_default();
    let date = tc3::date_of(timestamp).unwrap_or_default();
    let host = header_text(headers, http::header::HOST).unwrap_or_default();
    let payload = match header_text(headers, X_TC_CONTENT_SHA256) {
        Some(v) if v.trim() == tc3::UNSIGNED_PAYLOAD => tc3::Payload::Unsigned,
        _ => tc3::Payload::Signed(body),
    };
    let hashed_payload = tc3::hashed_payload(payload);
    let mut missing = Vec::new();
    let values: Vec<(&str, Cow<'_, str>)> = auth
        .signed_headers
        .split(';')
        .map(|name| {
            let value = if name == "host" {
                host.clone()
            } else {
                header_text(headers, name).unwrap_or_else(|| {
                    missing.push(name.to_string());
                    Cow::Borrowed("")
                })
            };
            (name, value)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_ref())).collect();
    let mut canonical = tc3::canonical_request(method, query, &pairs, &hashed_payload);
    // The service the server derives the key with: the one sent when it is
    // accepted (iai or the host's first label), else iai.
    let first_label = host.split('.').next().unwrap_or_default();
    let server_service =
        if auth.service == service || (!host.is_empty() && auth.service == first_label) {
            auth.service
        } else {
            service
        };
    let scope = tc3::credential_scope(&date, server_service);
    let sts = tc3::string_to_sign(
        timestamp,
        &scope,
        &crate::sign::sha256_hex(canonical.as_bytes()),
    );
    let (_, _, signing) = tc3::derive_keys(creds.secret_key.expose(), &date, server_service);
    let expected = tc3::signature(&signing, &sts);
    // A signed session token is shown as `<redacted>`: the canonical
    // request differs from the client's in that value only.
    let redacted = redact_token_line(&mut canonical);
    let mut out = json!({
        "scheme": tc3::ALGORITHM,
        "reason": reason,
        "canonical_request": canonical,
        "string_to_sign": sts,
        "credential_scope": scope,
        "client_credential_scope": format!("{}/{}/{}", auth.date, auth.service, tc3::TERMINATOR),
        "signed_headers": auth.signed_headers,
        "client_signature": auth.signature,
        "expected_signature": expected,
    });
    if !missing.is_empty() {
        out["signed_headers_missing"] = json!(missing);
    }
    if redacted {
        out["redacted"] = json!(["x-tc-token"]);
    }
    out
}

/// Shown in place of a session token.
const REDACTED: &str = "<redacted>";

/// Replaces the value of an `x-tc-token:` line of a canonical request.
fn redact_token_line(canonical: &mut String) -> bool {
    let mut changed = false;
    let text: Vec<String> = canonical
        .split('\n')
        .map(|line| match line.strip_prefix("x-tc-token:") {
            Some(v) if !v.is_empty() => {
                changed = true;
                format!("x-tc-token:{REDACTED}")
            }
            _ => line.to_string(),
        })
        .collect();
    if changed {
        *canonical = text.join("\n");
    }
    changed
}

/// Replaces the value of a `Token=` pair of a v1 string to sign.
fn redact_token_pair(sts: &mut String) -> bool {
    let Some((head, query)) = sts.split_once('?') else {
        return false;
    };
    let mut changed = false;
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.strip_prefix("Token=") {
            Some(v) if !v.is_empty() => {
                changed = true;
                format!("Token={REDACTED}")
            }
            _ => pair.to_string(),
        })
        .collect();
    if changed {
        *sts = format!("{head}?{}", pairs.join("&"));
    }
    changed
}

/// The server's side of a v1 signature that did not match: its string to
/// sign (with the `Host` as sent) and both signatures.
pub(crate) fn v1_working(
    method: &str,
    host: &str,
    path: &str,
    params: &[(String, String)],
    creds: &Credentials,
    reason: &str,
) -> Value {
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let sig_method = V1Method::from_param(param("SignatureMethod"));
    let request_string = v1::request_string(params);
    let sts = v1::string_to_sign(method, host, path, &request_string);
    let expected = v1::signature(sig_method, creds.secret_key.expose(), &sts);
    let mut sts = sts;
    let redacted = redact_token_pair(&mut sts);
    let mut out = json!({
        "scheme": format!("v1 {}", sig_method.param_value()),
        "reason": reason,
        "string_to_sign": sts,
        "client_signature": param("Signature").unwrap_or_default(),
        "expected_signature": expected,
    });
    if redacted {
        out["redacted"] = json!(["Token"]);
    }
    out
}

/// Whether an error the action answered comes from the library's state
/// (existence, quotas, memberships, versions, jobs) rather than from a
/// value rule. The classification is by code; see the README.
pub(crate) fn is_state_code(code: &str) -> bool {
    const STATE: &[&str] = &[
        "NotExist",
        "AlreadyExist",
        "GroupPersonMap",
        "GroupNumExceed",
        "GroupNumPerPersonExceed",
        "PersonFaceNumExceed",
        "DeleteFaceNumExceed",
        "PersonExDescriptionInfosExceed",
        "GroupExDescriptionsExceed",
        "DuplicatedGroupDescription",
        "AcrossVersionsError",
        "GroupCannotUpgrade",
        "JobCannnotRollback",
        "NoFaceInGroups",
        "UnsupportedGroupFaceModelVersion",
        "ConflictOperation",
    ];
    STATE.iter().any(|s| code.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> Record {
        let mut r = Record::new();
        r.request_id = RequestId::from_text(id);
        r.decided(Stage::Rule, "a rule");
        r
    }

    #[test]
    fn the_ring_is_bounded_and_finds_the_newest() {
        let ring = Ring::with_capacity(3);
        for id in ["a", "b", "c", "d"] {
            ring.push(record(id));
        }
        assert_eq!(ring.len(), 3);
        assert!(ring.find("a").is_none(), "the oldest is forgotten");
        let d = ring.find("d").unwrap();
        assert_eq!(
            (d["stage"].as_str(), d["rule"].as_str()),
            (Some("rule"), Some("a rule"))
        );
        assert!(d.get("detail").is_none() && d.get("faults").is_none());
    }

    #[test]
    fn redacts_session_tokens() {
        let mut c =
            "POST\n/\n\ncontent-type:application/json\nx-tc-token:tok-123\n\nhost;x-tc-token\nabc"
                .to_string();
        assert!(redact_token_line(&mut c));
        assert!(
            !c.contains("tok-123") && c.contains("x-tc-token:<redacted>\n"),
            "{c}"
        );
        let mut s = "GEThost/?Action=X&Token=tok-123&Version=1".to_string();
        assert!(redact_token_pair(&mut s));
        assert_eq!(s, "GEThost/?Action=X&Token=<redacted>&Version=1");
        let mut plain = "GEThost/?Action=X".to_string();
        assert!(!redact_token_pair(&mut plain));
    }

    #[test]
    fn classifies_state_codes() {
        assert!(is_state_code("InvalidParameterValue.PersonIdNotExist"));
        assert!(is_state_code("FailedOperation.GroupPersonMapExist"));
        assert!(!is_state_code("InvalidParameterValue.PersonIdIllegal"));
        assert!(!is_state_code("InvalidParameterValue.UploadFaceNumExceed"));
    }
}
