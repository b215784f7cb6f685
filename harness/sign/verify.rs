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

use http::{HeaderMap, HeaderName};

use super::tc3::{self, Payload};
use super::v1::{self, V1Method};
use super::{Credentials, KeyStore, SigningKeyCache, constant_time_eq, trim};

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
    #[error(
        "signature mismatch: {reason}{}",
        .working.as_ref().map(|(what, text)| format!("; the server's {what} was {text:?}")).unwrap_or_default()
    )]
    /// `AuthFailure.SignatureFailure`: the signature differs.
    SignatureFailure {
        /// What does not match.
        reason: String,
        /// The server's own working, for the client's author: what it is
        /// (`canonical request`, `string to sign`) and its text.
        working: Option<(&'static str, String)>,
    },
    #[error("token failure: {0}")]
    /// `AuthFailure.TokenFailure`: the session token is wrong.
    TokenFailure(String),
}

impl AuthError {
    /// A signature failure for `reason`, without the server's working.
    fn signature(reason: impl Into<String>) -> Self {
        Self::SignatureFailure {
            reason: reason.into(),
            working: None,
        }
    }

    /// The message without the server's working: what an answer to the
    /// client says (the working goes to the explain record).
    pub fn summary(&self) -> String {
        match self {
            Self::SignatureFailure { reason, .. } => format!("signature mismatch: {reason}"),
            other => other.to_string(),
        }
    }

    /// The `Error.Code` the cloud answers for this failure.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidAuthorization(_) => "AuthFailure.InvalidAuthorization",
            Self::SecretIdNotFound(_) => "AuthFailure.SecretIdNotFound",
            Self::SignatureExpire { .. } => "AuthFailure.SignatureExpire",
            Self::SignatureFailure { .. } => "AuthFailure.SignatureFailure",
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
    /// Where derived TC3 signing keys are kept between requests (`serve`
    /// keeps one); `None` derives the key for every request.
    pub key_cache: Option<&'a SigningKeyCache>,
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
            key_cache: None,
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
    /// The signed-header list (TC3) the client chose, `;`-separated as
    /// sent; empty for v1.
    pub signed_headers: String,
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

/// `text` split at the first `byte` (ASCII), as [`str::split_once`]; a
/// plain loop, as the separators looked for this way sit near the start.
fn split_at_byte(text: &str, byte: u8) -> Option<(&str, &str)> {
    let at = text.bytes().position(|b| b == byte)?;
    Some((&text[..at], &text[at + 1..]))
}

/// The items of a short `;`-separated list, as `str::split(';')` gives
/// them.
fn items(list: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(list);
    std::iter::from_fn(move || {
        let text = rest?;
        Some(match split_at_byte(text, b';') {
            Some((item, next)) => {
                rest = Some(next);
                item
            }
            None => {
                rest = None;
                text
            }
        })
    })
}

/// Whether the `;`-separated list holds `name`.
fn lists(list: &str, name: &str) -> bool {
    items(list).any(|item| item == name)
}

/// Parses `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request, SignedHeaders=a;b, Signature=HEX`.
pub fn parse_authorization(value: &str) -> Result<Authorization<'_>, AuthError> {
    let bad = |why: &str| AuthError::InvalidAuthorization(why.to_string());
    let (algorithm, rest) = split_at_byte(trim(value), b' ').ok_or_else(|| {
        bad("expected 'TC3-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...'")
    })?;
    if algorithm != tc3::ALGORITHM {
        return Err(bad("the algorithm is not TC3-HMAC-SHA256"));
    }
    let (mut credential, mut signed_headers, mut signature) = (None, None, None);
    // The commas found in one pass (the signature's hex is long).
    let commas = memchr::memchr_iter(b',', rest.as_bytes());
    let mut start = 0;
    for end in commas.chain([rest.len()]) {
        let part = &rest[start..end];
        start = end + 1;
        let (key, val) = split_at_byte(trim(part), b'=').ok_or_else(|| bad("a part has no '='"))?;
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
    // SecretId/Date/service/tc3_request, split from the right: the
    // SecretId keeps any further '/'.
    let scope_error = || bad("Credential must be SecretId/Date/service/tc3_request");
    let last_slash = |text: &str| text.bytes().rposition(|b| b == b'/');
    let t = last_slash(credential).ok_or_else(scope_error)?;
    let (rest, terminator) = (&credential[..t], &credential[t + 1..]);
    let s = last_slash(rest).ok_or_else(scope_error)?;
    let (rest, service) = (&rest[..s], &rest[s + 1..]);
    let d = last_slash(rest).ok_or_else(scope_error)?;
    let (secret_id, date) = (&rest[..d], &rest[d + 1..]);
    if terminator != tc3::TERMINATOR || secret_id.is_empty() {
        return Err(scope_error());
    }
    if !lists(signed_headers, "content-type") || !lists(signed_headers, "host") {
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

/// A header's value as text (borrowed when it is UTF-8, else with
/// replacement characters), the first if it is sent twice. `from_utf8`
/// first: its ASCII path is much faster than `from_utf8_lossy`'s chunks.
pub(crate) fn header_text<'h>(
    headers: &'h HeaderMap,
    name: impl http::header::AsHeaderName,
) -> Option<std::borrow::Cow<'h, str>> {
    headers
        .get(name)
        .map(|v| match std::str::from_utf8(v.as_bytes()) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(v.as_bytes()),
        })
}

/// The TC3 headers by name, made once (a lookup by `&str` parses the name
/// each time).
pub(crate) const X_TC_TIMESTAMP: HeaderName = HeaderName::from_static("x-tc-timestamp");
pub(crate) const X_TC_CONTENT_SHA256: HeaderName = HeaderName::from_static("x-tc-content-sha256");
pub(crate) const X_TC_TOKEN: HeaderName = HeaderName::from_static("x-tc-token");
pub(crate) const X_TC_ACTION: HeaderName = HeaderName::from_static("x-tc-action");
pub(crate) const X_TC_VERSION: HeaderName = HeaderName::from_static("x-tc-version");

/// A signed header's value by the name the client listed (any case); the
/// usual names without parsing them.
fn signed_header<'h>(headers: &'h HeaderMap, name: &str) -> Option<std::borrow::Cow<'h, str>> {
    match name {
        "content-type" => header_text(headers, http::header::CONTENT_TYPE),
        "x-tc-action" => header_text(headers, &X_TC_ACTION),
        other => header_text(headers, other),
    }
}

/// The host without its port, when it has a numeric one: the Node SDK
/// signs the bare hostname but sends the port.
fn without_port(host: &str) -> Option<&str> {
    let (bare, port) = host.rsplit_once(':')?;
    (!bare.is_empty()
        && bare.ends_with(']') == host.starts_with('[')
        && port.bytes().all(|b| b.is_ascii_digit()))
    .then_some(bare)
}

/// The `Host` values a client may have signed: as sent, and (looked for
/// only if that fails) without the port.
fn host_candidates(host: &str) -> impl Iterator<Item = &str> {
    std::iter::once(host).chain(std::iter::once_with(|| without_port(host)).flatten())
}

/// The canonical request of a received request, with `host` as the value
/// of the signed `host` header; a signed header missing from the request
/// is a signature failure.
fn write_received_canonical(
    out: &mut Vec<u8>,
    request: &ReceivedTc3<'_>,
    signed_headers: &str,
    host: &str,
    hashed_payload: &[u8],
) -> Result<(), AuthError> {
    out.clear();
    out.reserve(
        request.method.len() + request.query.len() + 2 * signed_headers.len() + host.len() + 256,
    );
    tc3::write_canonical_with(
        out,
        request.method,
        request.query,
        hashed_payload,
        |out, case| {
            for name in items(signed_headers) {
                let value = if name == "host" {
                    std::borrow::Cow::Borrowed(host)
                } else {
                    signed_header(request.headers, name).ok_or_else(|| {
                        AuthError::signature(format!(
                            "signed header {name:?} is not in the request"
                        ))
                    })?
                };
                case.push(out, name);
                out.push(b':');
                case.push(out, trim(&value));
                out.push(b'\n');
            }
            out.push(b'\n');
            // The names joined by ';' again are the list as sent.
            case.push(out, signed_headers);
            Ok(())
        },
    )
}

fn first_label(host: &str) -> &str {
    host.split('.').next().unwrap_or(host)
}

/// Verifies a TC3-HMAC-SHA256 request against the known keys.
///
/// ```
/// use http::{HeaderMap, HeaderName};
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
    let raw = header_text(request.headers, http::header::AUTHORIZATION).ok_or_else(|| {
        AuthError::InvalidAuthorization("the Authorization header is missing".into())
    })?;
    let auth = parse_authorization(&raw)?;
    let timestamp = header_text(request.headers, &X_TC_TIMESTAMP)
        .and_then(|t| trim(&t).parse::<i64>().ok())
        .ok_or_else(|| {
            AuthError::InvalidAuthorization("X-TC-Timestamp is missing or not an integer".into())
        })?;
    let creds = keys
        .get(auth.secret_id)
        .ok_or_else(|| AuthError::SecretIdNotFound(auth.secret_id.to_string()))?;
    check_skew(timestamp, policy)?;

    let expected_date =
        tc3::date_bytes(timestamp).map_err(|e| AuthError::signature(e.to_string()))?;
    if policy.check_scope && auth.date.as_bytes() != expected_date {
        return Err(AuthError::signature(format!(
            "the credential date {} is not the UTC date of X-TC-Timestamp ({})",
            auth.date,
            String::from_utf8_lossy(&expected_date)
        )));
    }
    let host = header_text(request.headers, http::header::HOST).unwrap_or_default();
    let service_ok = auth.service == policy.service
        || (policy.accept_host_label_service
            && !host.is_empty()
            && auth.service == first_label(&host));
    if policy.check_scope && !service_ok {
        return Err(AuthError::signature(format!(
            "the credential scope names service {:?}, expected {:?}",
            auth.service, policy.service
        )));
    }

    let payload = match header_text(request.headers, &X_TC_CONTENT_SHA256) {
        Some(v) if trim(&v) == tc3::UNSIGNED_PAYLOAD => Payload::Unsigned,
        _ => Payload::Signed(request.body),
    };
    let hashed_payload = tc3::hashed_payload_bytes(payload);
    // With the scope checked its date is the timestamp's; the emulator's
    // deliberate `credential-scope-unchecked` quirk derives the key chain
    // from the scope's date and service as given.
    let scope_date = if policy.check_scope {
        &expected_date[..]
    } else {
        auth.date.as_bytes()
    };
    let secret_key = creds.secret_key.expose();
    let k_signing = match policy.key_cache {
        Some(cache) => cache.signing_key(secret_key, scope_date, auth.service),
        None => tc3::derive_keys_bytes(secret_key, scope_date, auth.service).2,
    };
    tc3::with_buffer(|canonical| {
        check_signature(
            canonical,
            request,
            &auth,
            &host,
            &hashed_payload,
            creds,
            &k_signing,
            timestamp,
            scope_date,
        )
    })
}

/// The signature against each `Host` candidate, then the token.
#[allow(clippy::too_many_arguments)]
fn check_signature(
    canonical: &mut Vec<u8>,
    request: &ReceivedTc3<'_>,
    auth: &Authorization<'_>,
    host: &str,
    hashed_payload: &[u8],
    creds: &Credentials,
    k_signing: &[u8; 32],
    timestamp: i64,
    scope_date: &[u8],
) -> Result<Verified, AuthError> {
    let mut first_canonical = None;
    for host_value in host_candidates(host) {
        write_received_canonical(
            canonical,
            request,
            auth.signed_headers,
            host_value,
            hashed_payload,
        )?;
        let expected =
            tc3::signature_hex_with_key(canonical, k_signing, timestamp, scope_date, auth.service);
        if constant_time_eq(&expected, auth.signature.as_bytes()) {
            check_token(creds, header_text(request.headers, &X_TC_TOKEN).as_deref())?;
            return Ok(Verified {
                secret_id: auth.secret_id.to_string(),
                timestamp,
                signed_headers: auth.signed_headers.to_string(),
                host_without_port: host_value != host,
            });
        }
        if first_canonical.is_none() {
            first_canonical = Some(String::from_utf8_lossy(canonical).into_owned());
        }
    }
    Err(AuthError::SignatureFailure {
        reason: "the signature does not match".into(),
        working: Some(("canonical request", first_canonical.unwrap_or_default())),
    })
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
                signed_headers: String::new(),
                host_without_port: host != request.host,
            });
        }
        first_sts.get_or_insert(sts);
    }
    Err(AuthError::SignatureFailure {
        reason: "the signature does not match".into(),
        working: Some(("string to sign", first_sts.unwrap_or_default())),
    })
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
    fn the_summary_leaves_out_the_servers_working() {
        let e = AuthError::SignatureFailure {
            reason: "the signature does not match".into(),
            working: Some(("canonical request", "POST\n/\n".into())),
        };
        assert_eq!(
            e.to_string(),
            r#"signature mismatch: the signature does not match; the server's canonical request was "POST\n/\n""#
        );
        assert_eq!(
            e.summary(),
            "signature mismatch: the signature does not match"
        );
        assert_eq!(
            AuthError::signature("x").to_string(),
            "signature mismatch: x"
        );
        let expired = AuthError::SignatureExpire {
            timestamp: 1,
            skew: 301,
            limit: 300,
        };
        assert_eq!(expired.summary(), expired.to_string());
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
    fn trims_as_str_trim_does() {
        for text in [
            "",
            " ",
            "a",
            " a ",
            "\u{b}a\u{b}",
            "\t a b \r\n",
            "\u{a0}a\u{2003}",
            " \u{a0} x \u{a0} ",
            "é",
            " é ",
            "\u{85}",
            "a\u{a0}",
            "\u{3000}\u{3000}",
        ] {
            assert_eq!(trim(text), text.trim(), "{text:?}");
        }
    }

    #[test]
    fn strips_only_a_numeric_port() {
        let all = |h| host_candidates(h).collect::<Vec<_>>();
        assert_eq!(all("127.0.0.1:8080"), vec!["127.0.0.1:8080", "127.0.0.1"]);
        assert_eq!(
            all("iai.tencentcloudapi.com"),
            vec!["iai.tencentcloudapi.com"]
        );
        assert_eq!(all("[::1]:80"), vec!["[::1]:80", "[::1]"]);
        assert_eq!(all("[::1]"), vec!["[::1]"]);
        assert_eq!(all("host:8o"), vec!["host:8o"]);
    }
}
