//! TC3-HMAC-SHA256, stage by stage.
//!
//! ```text
//! CanonicalRequest = Method \n "/" \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
//! StringToSign     = "TC3-HMAC-SHA256" \n Timestamp \n Date/service/tc3_request \n hex(sha256(CanonicalRequest))
//!
//! kSecret  = "TC3" + SecretKey
//! kDate    = HMAC(kSecret,  Date)          Date: the UTC day of Timestamp, YYYY-MM-DD
//! kService = HMAC(kDate,    service)
//! kSigning = HMAC(kService, "tc3_request")
//! Signature = hex(HMAC(kSigning, StringToSign))
//! ```

use super::{hmac_sha256, sha256_hex};

pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
pub const TERMINATOR: &str = "tc3_request";
/// The literal whose hash stands in for the body when the client sends
/// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";

/// What the payload contributes to the canonical request.
#[derive(Clone, Copy, Debug)]
pub enum Payload<'a> {
    /// The exact bytes sent (empty for GET).
    Signed(&'a [u8]),
    /// `X-TC-Content-SHA256: UNSIGNED-PAYLOAD`: the body is not covered.
    Unsigned,
}

/// The parts of an HTTP request that TC3 covers.
#[derive(Clone, Copy, Debug)]
pub struct Tc3Request<'a> {
    /// `GET` or `POST`.
    pub method: &'a str,
    /// The query string exactly as sent (without `?`); empty for POST.
    pub query: &'a str,
    /// The signed headers with the values sent; names in any case, any order.
    /// `content-type` and `host` are required.
    pub headers: &'a [(&'a str, &'a str)],
    pub payload: Payload<'a>,
}

/// Who signs and when.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    pub secret_id: &'a str,
    pub secret_key: &'a str,
    /// The product in the credential scope: `iai` for Face Recognition.
    pub service: &'a str,
    /// `X-TC-Timestamp`, Unix seconds.
    pub timestamp: i64,
}

/// Every intermediate of one signature, in the order they are computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tc3Stages {
    pub hashed_payload: String,
    pub canonical_request: String,
    pub hashed_canonical_request: String,
    pub date: String,
    pub credential_scope: String,
    pub string_to_sign: String,
    pub secret_date: [u8; 32],
    pub secret_service: [u8; 32],
    pub secret_signing: [u8; 32],
    pub signed_headers: String,
    pub signature: String,
    pub authorization: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    #[error("signed headers must include content-type and host, got {0:?}")]
    MissingRequiredHeader(String),
    #[error("signed header {0:?} appears twice")]
    DuplicateHeader(String),
    #[error("timestamp {0} has no calendar date")]
    TimestampOutOfRange(i64),
}

/// Lower-case hex SHA-256 of the payload, or of `UNSIGNED-PAYLOAD`.
pub fn hashed_payload(payload: Payload<'_>) -> String {
    match payload {
        Payload::Signed(bytes) => sha256_hex(bytes),
        Payload::Unsigned => sha256_hex(UNSIGNED_PAYLOAD.as_bytes()),
    }
}

/// Lower-cases a header value; ASCII (the usual case) takes the fast path.
pub(crate) fn lower(value: &str) -> String {
    if value.is_ascii() {
        value.to_ascii_lowercase()
    } else {
        value.to_lowercase()
    }
}

/// Canonical headers and the `SignedHeaders` list: names and values
/// lower-cased and trimmed, sorted by name.
pub fn canonical_headers(headers: &[(&str, &str)]) -> Result<(String, String), SignError> {
    let mut pairs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), lower(v.trim())))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    if let Some(w) = pairs.windows(2).find(|w| w[0].0 == w[1].0) {
        return Err(SignError::DuplicateHeader(w[0].0.clone()));
    }
    let names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    let signed = names.join(";");
    if !names.contains(&"content-type") || !names.contains(&"host") {
        return Err(SignError::MissingRequiredHeader(signed));
    }
    let mut canonical = String::with_capacity(signed.len() + 96);
    for (k, v) in &pairs {
        canonical.push_str(k);
        canonical.push(':');
        canonical.push_str(v);
        canonical.push('\n');
    }
    Ok((canonical, signed))
}

/// The canonical request of stage 1.
pub fn canonical_request(
    method: &str,
    query: &str,
    canonical_headers: &str,
    signed_headers: &str,
    hashed_payload: &str,
) -> String {
    [
        method,
        "/",
        query,
        canonical_headers,
        signed_headers,
        hashed_payload,
    ]
    .join("\n")
}

/// The UTC date of a Unix timestamp, as `YYYY-MM-DD`.
pub fn date_of(timestamp: i64) -> Result<String, SignError> {
    let at = time::OffsetDateTime::from_unix_timestamp(timestamp)
        .map_err(|_| SignError::TimestampOutOfRange(timestamp))?;
    let d = at.date();
    if !(0..=9999).contains(&d.year()) {
        return Err(SignError::TimestampOutOfRange(timestamp));
    }
    Ok(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}

/// `Date/service/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    format!("{date}/{service}/{TERMINATOR}")
}

/// The string to sign of stage 2.
pub fn string_to_sign(
    timestamp: i64,
    credential_scope: &str,
    hashed_canonical_request: &str,
) -> String {
    format!("{ALGORITHM}\n{timestamp}\n{credential_scope}\n{hashed_canonical_request}")
}

/// The key chain of stage 3: (SecretDate, SecretService, SecretSigning).
pub fn derive_keys(secret_key: &str, date: &str, service: &str) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let mut k_secret = Vec::with_capacity(3 + secret_key.len());
    k_secret.extend_from_slice(b"TC3");
    k_secret.extend_from_slice(secret_key.as_bytes());
    let k_date = hmac_sha256(&k_secret, date.as_bytes());
    let k_service = hmac_sha256(&k_date, service.as_bytes());
    let k_signing = hmac_sha256(&k_service, TERMINATOR.as_bytes());
    (k_date, k_service, k_signing)
}

/// Stage 4: lower-case hex HMAC of the string to sign.
pub fn signature(secret_signing: &[u8; 32], string_to_sign: &str) -> String {
    super::lower_hex(&hmac_sha256(secret_signing, string_to_sign.as_bytes()))
}

/// Stage 5: the `Authorization` header value.
pub fn authorization(
    secret_id: &str,
    credential_scope: &str,
    signed_headers: &str,
    signature: &str,
) -> String {
    format!(
        "{ALGORITHM} Credential={secret_id}/{credential_scope}, SignedHeaders={signed_headers}, Signature={signature}"
    )
}

/// Runs every stage and returns all intermediates.
pub fn sign(request: &Tc3Request<'_>, params: &SigningParams<'_>) -> Result<Tc3Stages, SignError> {
    let (canonical_hdrs, signed_headers) = canonical_headers(request.headers)?;
    let hashed_payload = hashed_payload(request.payload);
    let canonical_request = canonical_request(
        request.method,
        request.query,
        &canonical_hdrs,
        &signed_headers,
        &hashed_payload,
    );
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
    let date = date_of(params.timestamp)?;
    let credential_scope = credential_scope(&date, params.service);
    let string_to_sign = string_to_sign(
        params.timestamp,
        &credential_scope,
        &hashed_canonical_request,
    );
    let (secret_date, secret_service, secret_signing) =
        derive_keys(params.secret_key, &date, params.service);
    let signature = signature(&secret_signing, &string_to_sign);
    let authorization = authorization(
        params.secret_id,
        &credential_scope,
        &signed_headers,
        &signature,
    );
    Ok(Tc3Stages {
        hashed_payload,
        canonical_request,
        hashed_canonical_request,
        date,
        credential_scope,
        string_to_sign,
        secret_date,
        secret_service,
        secret_signing,
        signed_headers,
        signature,
        authorization,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc() {
        // 2019-02-26 00:44:25 in UTC+8 is still the 25th in UTC.
        assert_eq!(date_of(1551113065).unwrap(), "2019-02-25");
        assert_eq!(date_of(0).unwrap(), "1970-01-01");
        assert!(date_of(i64::MAX).is_err());
    }

    #[test]
    fn refuses_a_header_list_without_host() {
        let err = canonical_headers(&[("Content-Type", "application/json")]).unwrap_err();
        assert_eq!(err, SignError::MissingRequiredHeader("content-type".into()));
    }
}
