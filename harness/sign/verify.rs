//! Verification of received requests, classified as the cloud classifies.
//!
//! | what is wrong                                         | code                               |
//! |-------------------------------------------------------|------------------------------------|
//! | `Authorization` missing, not TC3, unparseable         | `AuthFailure.InvalidAuthorization` |
//! | SecretId unknown                                      | `AuthFailure.SecretIdNotFound`     |
//! | timestamp more than `max_skew` s from `now`           | `AuthFailure.SignatureExpire`      |
//! | scope date or service wrong, any signature mismatch   | `AuthFailure.SignatureFailure`     |
//! | token missing or wrong for temporary credentials      | `AuthFailure.TokenFailure`         |
//!
//! The checks run in that order, so a request that is both expired and
//! tampered with answers `SignatureExpire`.

use http::HeaderMap;

use super::tc3::{self, Payload};
use super::v1::{self, V1Method};
use super::{Credentials, KeyStore, constant_time_eq};

/// Tencent's documented skew: "more than 5 minutes" fails.
pub const MAX_SKEW_SECONDS: i64 = 300;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
/// Why a request does not authenticate; [`AuthError::code`] is the cloud's code for it.
pub enum AuthError {
    #[error("invalid authorization: {0}")]
    /// `AuthFailure.InvalidAuthorization`: the signature cannot be read.
    InvalidAuthorization(String),
    #[error("secret id {0:?} not found")]
    /// `AuthFailure.SecretIdNotFound`.
    SecretIdNotFound(String),
    #[error(
        "signature expired: timestamp {timestamp} is {skew} s away from the server clock (limit {limit} s)"
    )]
    /// `AuthFailure.SignatureExpire`: the timestamp is too far from the clock.
    SignatureExpire {
        /// The request's timestamp.
        timestamp: i64,
        /// Its distance from the server clock, seconds.
        skew: i64,
        /// The largest distance allowed, seconds.
        limit: i64,
    },
    #[error("signature mismatch: {0}")]
    /// `AuthFailure.SignatureFailure`: the signature differs.
    SignatureFailure(String),
    #[error("token failure: {0}")]
    /// `AuthFailure.TokenFailure`: the session token is wrong.
    TokenFailure(String),
}

impl AuthError {
    /// The `Error.Code` the cloud answers for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidAuthorization(_) => "AuthFailure.InvalidAuthorization",
            Self::SecretIdNotFound(_) => "AuthFailure.SecretIdNotFound",
            Self::SignatureExpire { .. } => "AuthFailure.SignatureExpire",
            Self::SignatureFailure(_) => "AuthFailure.SignatureFailure",
            Self::TokenFailure(_) => "AuthFailure.TokenFailure",
        }
    }
}

/// The verifier's clock and tolerances.
#[derive(Clone, Copy, Debug)]
pub struct VerifyPolicy<'a> {
    /// The verifier's "now", Unix seconds.
    pub now: i64,
    /// Largest accepted |now - timestamp|, inclusive.
    pub max_skew: i64,
    /// The service the credential scope must name (`iai`).
    pub service: &'a str,
    /// Also accept the first DNS label of the `Host` header as the service,
    /// as the Node and Java SDKs derive it from a custom endpoint.
    pub accept_host_label_service: bool,
    /// Check that the credential scope names the timestamp's UTC date and
    /// the service, and derive the key from those. Always on, but for the
    /// emulator's deliberate `credential-scope-unchecked` quirk, which
    /// takes the scope's date and service as given.
    pub check_scope: bool,
}

impl<'a> VerifyPolicy<'a> {
    /// The policy at `now` (Unix seconds) for `service`.
    pub fn new(now: i64, service: &'a str) -> Self {
        Self {
            now,
            max_skew: MAX_SKEW_SECONDS,
            service,
            accept_host_label_service: true,
            check_scope: true,
        }
    }
}

/// What a successful verification established.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The SecretId that signed.
    pub secret_id: String,
    /// The request's timestamp.
    pub timestamp: i64,
    /// The signed-header list (TC3) the client chose; empty for v1.
    pub signed_headers: Vec<String>,
    /// The signature covers `Host` without the port the request was sent
    /// with (accepted, as the Node SDK signs; a client report names it).
    pub host_without_port: bool,
}

/// The parsed `Authorization` header of a TC3 request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authorization<'a> {
    /// The SecretId of the credential.
    pub secret_id: &'a str,
    /// The date of the credential scope.
    pub date: &'a str,
    /// The service of the credential scope.
    pub service: &'a str,
    /// `SignedHeaders`, as sent.
    pub signed_headers: &'a str,
    /// `Signature`, as sent.
    pub signature: &'a str,
}

/// Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX`.
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let bad = |why: &str| AuthError::InvalidAuthorization(why.to_string());
    let (algorithm, rest) = value.trim().split_once(' ').ok_or_else(|| {
        bad("expected 'TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'")
    })?;
    if algorithm != tc3::ALGORITHM {
        return Err(bad("the algorithm is not TC3-HMAC-SHA256"));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    for part in rest.split(',') {
        let (key, val) = part
            .trim()
            .split_once('=')
            .ok_or_else(|| bad("a part has no '='"))?;
        let slot = match key {
            "Credential" => &mut credential,
            "SignedHeaders" => &mut signed_headers,
            "Signature" => &mut signature,
            _ => {
                return Err(bad(
                    "unknown part; expected Credential, SignedHeaders and Signature",
                ));
            }
        };
        if slot.replace(val).is_some() {
            return Err(bad("a part appears twice"));
        }
    }
    let credential = credential.ok_or_else(|| bad("Credential is missing"))?;
    let signed_headers = signed_headers.ok_or_else(|| bad("SignedHeaders is missing"))?;
    let signature = signature.ok_or_else(|| bad("Signature is missing"))?;
    let mut scope = credential.rsplitn(4, '/');
    let (terminator, service, date, secret_id) =
        (scope.next(), scope.next(), scope.next(), scope.next());
    let (Some(secret_id), Some(date), Some(service), Some(terminator)) =
        (secret_id, date, service, terminator)
    else {
        return Err(bad("Credential must be SecretId/Date/service/tc3_request"));
    };
    if terminator != tc3::TERMINATOR || secret_id.is_empty() {
        return Err(bad("Credential must be SecretId/Date/service/tc3_request"));
    }
    let has = |name: &str| signed_headers.split(';').any(|n| n == name);
    if !has("content-type") || !has("host") {
        return Err(bad("SignedHeaders must include content-type and host"));
    }
    Ok(Authorization {
        secret_id,
        date,
        service,
        signed_headers,
        signature,
    })
}

/// A TC3 request as it arrived.
#[derive(Clone, Copy, Debug)]
pub struct ReceivedTc3<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The raw query string, without `?`.
    pub query: &'a str,
    /// The headers as received.
    pub headers: &'a HeaderMap,
    /// The body as received.
    pub body: &'a [u8],
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Option<std::borrow::Cow<'h, str>> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// The `Host` values a client may have signed: as sent, and without the
/// port (the Node SDK signs the bare hostname but sends the port).
fn host_candidates(host: &str) -> Vec<&str> {
    let mut out = vec![host];
    if let Some((bare, port)) = host.rsplit_once(':')
        && !bare.is_empty()
        && bare.ends_with(']') == host.starts_with('[')
        && port.bytes().all(|b| b.is_ascii_digit())
    {
        out.push(bare);
    }
    out
}

fn first_label(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

/// Verifies a TC3-HMAC-SHA256 request against the known keys.
///
/// ```
/// use http::HeaderMap;
/// use iai_conformance::sign::verify::{ReceivedTc3, verify_tc3};
/// use iai_conformance::sign::{Credentials, KeyStore, VerifyPolicy};
/// use iai_conformance::{CallOptions, Client, Style};
///
/// let credentials = Credentials::new("AKIDexample", "example-key");
/// let client = Client::new("https://iai.tencentcloudapi.com", credentials.clone(), None).unwrap();
/// let params = serde_json::json!({ "PersonId": "3001" });
/// let request = client
///     .prepare("DeletePerson", params.as_object().unwrap(), &CallOptions::new(Style::Tc3PostJson, 1_700_000_000))
///     .unwrap();
/// let mut headers = HeaderMap::new();
/// for (name, value) in &request.headers {
///     headers.insert(http::HeaderName::from_bytes(name.as_bytes()).unwrap(), value.parse().unwrap());
/// }
/// let received = ReceivedTc3 { method: "POST", query: "", headers: &headers, body: &request.body };
/// let keys = KeyStore::new([credentials]);
/// // on time: it verifies; ten minutes later: the code the cloud answers
/// assert!(verify_tc3(&received, &keys, &VerifyPolicy::new(1_700_000_000, "iai")).is_ok());
/// let late = verify_tc3(&received, &keys, &VerifyPolicy::new(1_700_000_600, "iai")).unwrap_err();
/// assert_eq!(late.code(), "AuthFailure.SignatureExpire");
/// ```
pub fn verify_tc3(
    request: &ReceivedTc3<'_>,
    keys: &KeyStore,
    policy: &VerifyPolicy<'_>,
) -> Result<Verified, AuthError> {
    let raw = header_text(request.headers, "authorization").ok_or_else(|| {
        AuthError::InvalidAuthorization("the Authorization header is missing".into())
    })?;
    let auth = parse_authorization(&raw)?;
    let timestamp = header_text(request.headers, "x-tc-timestamp")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .ok_or_else(|| {
            AuthError::InvalidAuthorization("X-TC-Timestamp is missing or not an integer".into())
        })?;
    let creds = keys
        .get(auth.secret_id)
        .ok_or_else(|| AuthError::SecretIdNotFound(auth.secret_id.to_string()))?;
    check_skew(timestamp, policy)?;

    let expected_date =
        tc3::date_of(timestamp).map_err(|e| AuthError::SignatureFailure(e.to_string()))?;
    if policy.check_scope && auth.date != expected_date {
        return Err(AuthError::SignatureFailure(format!(
            "the credential date {} is not the UTC date of X-TC-Timestamp ({expected_date})",
            auth.date
        )));
    }
    let host = header_text(request.headers, "host").unwrap_or_default();
    let service_ok = auth.service == policy.service
        || (policy.accept_host_label_service
            && !host.is_empty()
            && auth.service == first_label(&host));
    if policy.check_scope && !service_ok {
        return Err(AuthError::SignatureFailure(format!(
            "the credential scope names service {:?}, expected {:?}",
            auth.service, policy.service
        )));
    }

    let payload = match header_text(request.headers, "x-tc-content-sha256") {
        Some(v) if v.trim() == tc3::UNSIGNED_PAYLOAD => Payload::Unsigned,
        _ => Payload::Signed(request.body),
    };
    let hashed_payload = tc3::hashed_payload_bytes(payload);
    let hashed_payload = std::str::from_utf8(&hashed_payload).expect("hex is ASCII");
    let mut values = Vec::new();
    for name in auth.signed_headers.split(';') {
        if name == "host" {
            values.push((name, std::borrow::Cow::Borrowed("")));
        } else {
            let value = header_text(request.headers, name).ok_or_else(|| {
                AuthError::SignatureFailure(format!("signed header {name:?} is not in the request"))
            })?;
            values.push((name, value));
        }
    }
    let mut first_canonical = None;
    let mut canonical = String::new();
    for host_value in host_candidates(&host) {
        let pairs: Vec<(&str, &str)> = values
            .iter()
            .map(|(name, value)| {
                (
                    *name,
                    if *name == "host" {
                        host_value
                    } else {
                        value.as_ref()
                    },
                )
            })
            .collect();
        canonical.clear();
        tc3::write_canonical_request(
            &mut canonical,
            request.method,
            request.query,
            &pairs,
            hashed_payload,
        );
        // With the scope checked its date is the timestamp's; the emulator's
        // deliberate `credential-scope-unchecked` quirk derives the key chain
        // from the scope's date and service as given.
        let scope_date = if policy.check_scope {
            expected_date.as_str()
        } else {
            auth.date
        };
        let expected = tc3::signature_hex_of_canonical(
            &canonical,
            creds.secret_key.expose(),
            timestamp,
            scope_date,
            auth.service,
        );
        if constant_time_eq(&expected, auth.signature.as_bytes()) {
            check_token(creds, header_text(request.headers, "x-tc-token").as_deref())?;
            return Ok(Verified {
                secret_id: auth.secret_id.to_string(),
                timestamp,
                signed_headers: auth.signed_headers.split(';').map(str::to_string).collect(),
                host_without_port: host_value != host,
            });
        }
        if first_canonical.is_none() {
            first_canonical = Some(canonical.clone());
        }
    }
    Err(AuthError::SignatureFailure(format!(
        "the signature does not match; the server's canonical request was {:?}",
        first_canonical.unwrap_or_default()
    )))
}

/// A v1 request as it arrived: its parameters (from the query or the form
/// body), URL-decoded.
#[derive(Clone, Copy, Debug)]
pub struct ReceivedV1<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The `Host` header.
    pub host: &'a str,
    /// The path, `/`.
    pub path: &'a str,
    /// The parameters, from the query or the form body.
    pub params: &'a [(String, String)],
}

/// Verifies a signature-v1 request against the known keys.
pub fn verify_v1(
    request: &ReceivedV1<'_>,
    keys: &KeyStore,
    policy: &VerifyPolicy<'_>,
) -> Result<Verified, AuthError> {
    let param = |name: &str| {
        request
            .params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let secret_id = param("SecretId").filter(|s| !s.is_empty()).ok_or_else(|| {
        AuthError::InvalidAuthorization("the SecretId parameter is missing".into())
    })?;
    let signature = param("Signature")
        .filter(|s| !s.is_empty())
        .ok_or_else(|| {
            AuthError::InvalidAuthorization("the Signature parameter is missing".into())
        })?;
    let timestamp = param("Timestamp")
        .and_then(|t| t.parse::<i64>().ok())
        .ok_or_else(|| {
            AuthError::InvalidAuthorization("Timestamp is missing or not an integer".into())
        })?;
    let creds = keys
        .get(secret_id)
        .ok_or_else(|| AuthError::SecretIdNotFound(secret_id.to_string()))?;
    check_skew(timestamp, policy)?;
    let method = V1Method::from_param(param("SignatureMethod"));
    let request_string = v1::request_string(request.params);
    let mut first_sts = None;
    for host in host_candidates(request.host) {
        let sts = v1::string_to_sign(request.method, host, request.path, &request_string);
        let expected = v1::signature(method, creds.secret_key.expose(), &sts);
        if constant_time_eq(expected.as_bytes(), signature.as_bytes()) {
            check_token(creds, param("Token"))?;
            return Ok(Verified {
                secret_id: secret_id.to_string(),
                timestamp,
                signed_headers: Vec::new(),
                host_without_port: host != request.host,
            });
        }
        first_sts.get_or_insert(sts);
    }
    Err(AuthError::SignatureFailure(format!(
        "the signature does not match; the server's string to sign was {:?}",
        first_sts.unwrap_or_default()
    )))
}

fn check_skew(timestamp: i64, policy: &VerifyPolicy<'_>) -> Result<(), AuthError> {
    let skew = policy.now.saturating_sub(timestamp).saturating_abs();
    if skew > policy.max_skew {
        return Err(AuthError::SignatureExpire {
            timestamp,
            skew,
            limit: policy.max_skew,
        });
    }
    Ok(())
}

fn check_token(creds: &Credentials, sent: Option<&str>) -> Result<(), AuthError> {
    let sent = sent.map(str::trim).filter(|t| !t.is_empty());
    match (&creds.token, sent) {
        (None, None) => Ok(()),
        (None, Some(_)) => Err(AuthError::TokenFailure(
            "a token was sent with long-term credentials".into(),
        )),
        (Some(_), None) => Err(AuthError::TokenFailure(
            "temporary credentials need their token".into(),
        )),
        (Some(expected), Some(sent))
            if constant_time_eq(expected.expose().as_bytes(), sent.as_bytes()) =>
        {
            Ok(())
        }
        (Some(_), Some(_)) => Err(AuthError::TokenFailure("the token does not match".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_layout() {
        let a = parse_authorization(
            "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2019-02-25/cvm/tc3_request, SignedHeaders=content-type;host, Signature=abc",
        )
        .unwrap();
        assert_eq!(
            (a.secret_id, a.date, a.service),
            ("AKIDEXAMPLE", "2019-02-25", "cvm")
        );
        assert_eq!(a.signed_headers, "content-type;host");
    }

    #[test]
    fn classifies_malformed_headers() {
        for bad in [
            "",
            "Bearer x",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=content-type;host",
            "TC3-HMAC-SHA256 Credential=a/b/c/other, SignedHeaders=content-type;host, Signature=x",
            "TC3-HMAC-SHA256 Credential=a/b/c/tc3_request, SignedHeaders=content-type, Signature=x",
        ] {
            let err = parse_authorization(bad).unwrap_err();
            assert_eq!(err.code(), "AuthFailure.InvalidAuthorization", "{bad:?}");
        }
    }

    #[test]
    fn strips_only_a_numeric_port() {
        assert_eq!(
            host_candidates("127.0.0.1:8080"),
            vec!["127.0.0.1:8080", "127.0.0.1"]
        );
        assert_eq!(
            host_candidates("iai.tencentcloudapi.com"),
            vec!["iai.tencentcloudapi.com"]
        );
        assert_eq!(host_candidates("[::1]:80"), vec!["[::1]:80", "[::1]"]);
    }
}
