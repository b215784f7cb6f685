//! Checks of what a client sent: the signature verifies under the
//! credentials it was given (whichever signed-header set or signature
//! version it chose), the common parameters are as documented, the body
//! carries exactly the case's parameters, and Host and Content-Type agree
//! with the endpoint and the signature.

use serde_json::{Map, Value};
use wiremock::Request;

use crate::api;
use crate::envelope::Mismatch;
use crate::sign::verify::{self, ReceivedTc3, ReceivedV1, VerifyPolicy};
use crate::sign::{Credentials, KeyStore};
use crate::wire::flatten;

/// What the client was asked to do.
pub(crate) struct Asked<'a> {
    pub(crate) action: &'a str,
    pub(crate) params: &'a Map<String, Value>,
    pub(crate) credentials: &'a Credentials,
    pub(crate) region: &'a str,
    /// `127.0.0.1:PORT`.
    pub(crate) authority: &'a str,
    /// The verifier's "now", Unix seconds.
    pub(crate) now: i64,
}

fn header<'r>(request: &'r Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

/// Checks the requests of one call as a sequence: a retry resends the same
/// call (signed anew, same body), and when the case says how many requests
/// a correct client makes (`[reply] attempts`), the client made that many.
pub(crate) fn retries(
    requests: &[Request],
    attempts: Option<u32>,
    max_attempts: u32,
) -> Vec<Mismatch> {
    let mut out = Vec::new();
    if let Some(first) = requests.first() {
        for (i, r) in requests.iter().enumerate().skip(1) {
            if r.body != first.body {
                out.push(Mismatch::new(
                    format!("request[{i}].body"),
                    "the body of request[0]: a retry resends the same call",
                    String::from_utf8_lossy(&r.body).into_owned(),
                ));
            }
        }
    }
    if let Some(want) = attempts
        && requests.len() != want as usize
    {
        out.push(Mismatch::new(
            "requests",
            format!("{want} (max_attempts {max_attempts})"),
            requests.len().to_string(),
        ));
    }
    out
}

/// What the check of one request found.
#[derive(Debug, Default)]
pub(crate) struct Checked {
    /// What is wrong (fields prefixed by `at`): the case fails.
    pub(crate) mismatches: Vec<Mismatch>,
    /// The signed headers the client chose (`v1` for signature v1).
    pub(crate) signed_with: String,
    /// What the cloud accepts but a client should not rely on: named in
    /// the client report, the case still passes.
    pub(crate) findings: Vec<String>,
}

/// The finding for a signature over `Host` without its port.
pub(crate) const FINDING_HOST_WITHOUT_PORT: &str = "signs Host without the port it sends (accepted: the verifier retries without the port, as for the Node SDK; a server that signs the Host as received refuses it)";
/// The finding for `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`.
pub(crate) const FINDING_UNSIGNED_PAYLOAD: &str = "sends X-TC-Content-SHA256: UNSIGNED-PAYLOAD (accepted: the body is not covered by the signature, so it can be altered in transit unnoticed)";

/// Checks one request.
pub(crate) fn check(request: &Request, asked: &Asked<'_>, at: &str) -> Checked {
    let (mismatches, signed_with, findings) = check_parts(request, asked, at);
    Checked {
        mismatches,
        signed_with,
        findings,
    }
}

fn check_parts(
    request: &Request,
    asked: &Asked<'_>,
    at: &str,
) -> (Vec<Mismatch>, String, Vec<String>) {
    let mut findings = Vec::new();
    let mut out = Vec::new();
    let mut push = |field: &str, expected: String, found: String| {
        out.push(Mismatch::new(format!("{at}.{field}"), expected, found))
    };
    let keys = KeyStore::new([asked.credentials.clone()]);
    let policy = VerifyPolicy::new(asked.now, api::SERVICE);
    let method = request.method.as_str();
    let host = header(request, "host").unwrap_or_default();
    let bare = asked
        .authority
        .rsplit_once(':')
        .map_or(asked.authority, |(h, _)| h);
    if host != asked.authority && host != bare {
        push(
            "Host",
            format!("{:?} (the endpoint given)", asked.authority),
            format!("{host:?}"),
        );
    }
    let query = request.url.query().unwrap_or_default();
    let content_type = header(request, "content-type").unwrap_or_default();
    let authorization = header(request, "authorization");
    let signed_with;
    let sent: Map<String, Value>;
    if authorization.is_some() {
        let received = ReceivedTc3 {
            method,
            query,
            headers: &request.headers,
            body: &request.body,
        };
        let unsigned = header(request, "x-tc-content-sha256")
            .is_some_and(|v| v.trim() == crate::sign::tc3::UNSIGNED_PAYLOAD);
        signed_with = match verify::verify_tc3(&received, &keys, &policy) {
            Ok(verified) => {
                if verified.host_without_port {
                    findings.push(FINDING_HOST_WITHOUT_PORT.to_string());
                }
                if unsigned {
                    findings.push(FINDING_UNSIGNED_PAYLOAD.to_string());
                }
                verified.signed_headers
            }
            Err(e) => {
                push(
                    "signature",
                    "a TC3-HMAC-SHA256 signature that verifies under the credentials given".into(),
                    format!("{} ({e})", e.code()),
                );
                "unverified".into()
            }
        };
        for (name, want) in [
            ("X-TC-Action", asked.action),
            ("X-TC-Version", api::VERSION),
            ("X-TC-Region", asked.region),
        ] {
            let got = header(request, name);
            if got != Some(want) {
                push(name, format!("{want:?}"), format!("{got:?}"));
            }
        }
        match header(request, "x-tc-timestamp").and_then(|t| t.parse::<i64>().ok()) {
            Some(ts) if (ts - asked.now).abs() <= verify::MAX_SKEW_SECONDS => {}
            other => push(
                "X-TC-Timestamp",
                format!("Unix seconds within {} s of now", verify::MAX_SKEW_SECONDS),
                format!("{other:?}"),
            ),
        }
        sent = match method {
            "POST" => {
                let media = content_type.split(';').next().unwrap_or_default().trim();
                if !media.eq_ignore_ascii_case("application/json") {
                    push(
                        "Content-Type",
                        "application/json (a TC3 POST)".into(),
                        format!("{content_type:?}"),
                    );
                }
                match serde_json::from_slice::<Value>(&request.body) {
                    Ok(Value::Object(map)) => map,
                    _ => {
                        push(
                            "body",
                            "a JSON object of the parameters".into(),
                            format!("{:?}", String::from_utf8_lossy(&request.body)),
                        );
                        return (out, signed_with, findings);
                    }
                }
            }
            "GET" => {
                return {
                    let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                        .into_owned()
                        .collect();
                    compare_flat(&pairs, asked.params, at, &mut out);
                    (out, signed_with, findings)
                };
            }
            other => {
                push("method", "POST or GET".into(), other.to_string());
                return (out, signed_with, findings);
            }
        };
    } else {
        // Signature v1: every parameter in the query or the form body.
        let raw = if method == "GET" {
            query.as_bytes()
        } else {
            &request.body[..]
        };
        let pairs: Vec<(String, String)> = form_urlencoded::parse(raw).into_owned().collect();
        let received = ReceivedV1 {
            method,
            host,
            path: request.url.path(),
            params: &pairs,
        };
        signed_with = match verify::verify_v1(&received, &keys, &policy) {
            Ok(verified) => {
                if verified.host_without_port {
                    findings.push(FINDING_HOST_WITHOUT_PORT.to_string());
                }
                "v1".into()
            }
            Err(e) => {
                push(
                    "signature",
                    "a TC3 Authorization header or a v1 signature that verifies under the credentials given"
                        .into(),
                    format!("{} ({e})", e.code()),
                );
                "unverified".into()
            }
        };
        let param = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.as_str())
        };
        for (name, want) in [
            ("Action", asked.action),
            ("Version", api::VERSION),
            ("Region", asked.region),
        ] {
            if param(name) != Some(want) {
                push(name, format!("{want:?}"), format!("{:?}", param(name)));
            }
        }
        let own: Vec<(String, String)> = pairs
            .into_iter()
            .filter(|(k, _)| !crate::api::V1_COMMON_PARAMS.contains(&k.as_str()))
            .collect();
        compare_flat(&own, asked.params, at, &mut out);
        return (out, signed_with, findings);
    }
    if &sent != asked.params {
        out.push(Mismatch::new(
            format!("{at}.body"),
            Value::Object(asked.params.clone()).to_string(),
            Value::Object(sent).to_string(),
        ));
    }
    (out, signed_with, findings)
}

/// Compares flattened query parameters with the case's parameters.
fn compare_flat(
    pairs: &[(String, String)],
    params: &Map<String, Value>,
    at: &str,
    out: &mut Vec<Mismatch>,
) {
    let mut want = flatten(params);
    let mut got: Vec<(String, String)> = pairs.to_vec();
    want.sort();
    got.sort();
    if want != got {
        out.push(Mismatch::new(
            format!("{at}.query"),
            format!("{want:?}"),
            format!("{got:?}"),
        ));
    }
}
