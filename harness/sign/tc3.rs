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

/// The `Algorithm` of the `Authorization` header.
pub const ALGORITHM: &str = "TC3-HMAC-SHA256";
/// The last element of the credential scope.
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
    /// The body, or how it is left unsigned.
    pub payload: Payload<'a>,
}

/// Who signs and when.
#[derive(Clone, Copy, Debug)]
pub struct SigningParams<'a> {
    /// The SecretId.
    pub secret_id: &'a str,
    /// The SecretKey.
    pub secret_key: &'a str,
    /// The product in the credential scope: `iai` for Face Recognition.
    pub service: &'a str,
    /// `X-TC-Timestamp`, Unix seconds.
    pub timestamp: i64,
}

/// Every intermediate of one signature, in the order they are computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tc3Stages {
    /// Stage 1: the hex SHA-256 of the payload (or `UNSIGNED-PAYLOAD`).
    pub hashed_payload: String,
    /// Stage 1: the canonical request.
    pub canonical_request: String,
    /// Stage 2: the hex SHA-256 of the canonical request.
    pub hashed_canonical_request: String,
    /// Stage 2: the UTC date of the timestamp, `YYYY-MM-DD`.
    pub date: String,
    /// Stage 2: `date/service/tc3_request`.
    pub credential_scope: String,
    /// Stage 2: the string to sign.
    pub string_to_sign: String,
    /// Stage 3: `HMAC("TC3" + SecretKey, date)`.
    pub secret_date: [u8; 32],
    /// Stage 3: `HMAC(secret_date, service)`.
    pub secret_service: [u8; 32],
    /// Stage 3: `HMAC(secret_service, "tc3_request")`, the signing key.
    pub secret_signing: [u8; 32],
    /// The signed header names, `;`-separated.
    pub signed_headers: String,
    /// Stage 4: the hex HMAC of the string to sign.
    pub signature: String,
    /// Stage 5: the `Authorization` header.
    pub authorization: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
/// Why a request cannot be signed.
pub enum SignError {
    #[error("signed headers must include content-type and host, got {0:?}")]
    /// The signed headers lack `content-type` or `host`.
    MissingRequiredHeader(String),
    #[error("signed header {0:?} appears twice")]
    /// A header is named twice.
    DuplicateHeader(String),
    #[error("timestamp {0} has no calendar date")]
    /// The timestamp has no calendar date.
    TimestampOutOfRange(i64),
}

/// Lower-case hex SHA-256 of the payload, or of `UNSIGNED-PAYLOAD`.
pub fn hashed_payload(payload: Payload<'_>) -> String {
    match payload {
        Payload::Signed(bytes) => sha256_hex(bytes),
        Payload::Unsigned => sha256_hex(UNSIGNED_PAYLOAD.as_bytes()),
    }
}

/// Trims and sorts the headers to sign by lower-cased name; refuses a
/// duplicate and a list without content-type and host.
pub fn sorted_headers<'a>(
    headers: &[(&'a str, &'a str)],
) -> Result<Vec<(&'a str, &'a str)>, SignError> {
    let mut pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.trim(), v.trim())).collect();
    sort_checked(&mut pairs)?;
    Ok(pairs)
}

/// [`sorted_headers`] in place, on headers already trimmed.
fn sort_checked(pairs: &mut [(&str, &str)]) -> Result<(), SignError> {
    pairs.sort_by(|a, b| {
        a.0.bytes()
            .map(|c| c.to_ascii_lowercase())
            .cmp(b.0.bytes().map(|c| c.to_ascii_lowercase()))
    });
    if let Some(w) = pairs
        .windows(2)
        .find(|w| w[0].0.eq_ignore_ascii_case(w[1].0))
    {
        return Err(SignError::DuplicateHeader(w[0].0.to_ascii_lowercase()));
    }
    let has = |name: &str| pairs.iter().any(|(k, _)| k.eq_ignore_ascii_case(name));
    if !has("content-type") || !has("host") {
        let mut signed = String::new();
        write_signed_headers(&mut signed, pairs);
        return Err(SignError::MissingRequiredHeader(signed));
    }
    Ok(())
}

/// Appends `name:value\n` per header, lower-cased (values trimmed by the caller).
pub(crate) fn write_headers(out: &mut String, headers: &[(&str, &str)]) {
    for (name, value) in headers {
        push_lower(out, name);
        out.push(':');
        push_lower(out, value.trim());
        out.push('\n');
    }
}

/// Appends the `;`-separated lower-case names.
pub(crate) fn write_signed_headers(out: &mut String, headers: &[(&str, &str)]) {
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(';');
        }
        push_lower(out, name);
    }
}

/// Writes the whole canonical request into one buffer, headers in the
/// order given, and returns where `SignedHeaders` sits in it.
pub fn write_canonical_request(
    out: &mut String,
    method: &str,
    query: &str,
    headers: &[(&str, &str)],
    hashed_payload: &str,
) -> std::ops::Range<usize> {
    out.reserve(
        method.len()
            + query.len()
            + hashed_payload.len()
            + 8
            + headers
                .iter()
                .map(|(k, v)| 2 * k.len() + v.len() + 3)
                .sum::<usize>(),
    );
    for part in [method, "\n/\n", query, "\n"] {
        out.push_str(part);
    }
    write_headers(out, headers);
    out.push('\n');
    let start = out.len();
    write_signed_headers(out, headers);
    let range = start..out.len();
    out.push('\n');
    out.push_str(hashed_payload);
    range
}

/// Appends `text` lower-cased.
pub(crate) fn push_lower(out: &mut String, text: &str) {
    if text.is_ascii() {
        let start = out.len();
        out.push_str(text);
        out[start..].make_ascii_lowercase();
    } else {
        out.push_str(&text.to_lowercase());
    }
}

/// The UTC date of a Unix timestamp, as `YYYY-MM-DD`.
pub fn date_of(timestamp: i64) -> Result<String, SignError> {
    let buf = date_bytes(timestamp)?;
    Ok(String::from_utf8(buf.to_vec()).expect("digits are ASCII"))
}

/// [`date_of`] on the stack: the proleptic Gregorian date of the UTC day
/// (Howard Hinnant's `civil_from_days`), years 0000 to 9999 only.
pub(crate) fn date_bytes(timestamp: i64) -> Result<[u8; 10], SignError> {
    let out_of_range = SignError::TimestampOutOfRange(timestamp);
    let days = timestamp.div_euclid(86_400);
    // Shift the era to start on 0000-03-01.
    let z = days.checked_add(719_468).ok_or(out_of_range.clone())?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097); // [0, 146096]
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11], March first
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return Err(out_of_range);
    }
    let mut buf = *b"0000-00-00";
    let digits = |n: i64, out: &mut [u8]| {
        let mut n = n;
        for slot in out.iter_mut().rev() {
            *slot = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    digits(year, &mut buf[0..4]);
    digits(month, &mut buf[5..7]);
    digits(day, &mut buf[8..10]);
    Ok(buf)
}

/// `Date/service/tc3_request`.
pub fn credential_scope(date: &str, service: &str) -> String {
    [date, service, TERMINATOR].join("/")
}

/// The string to sign of stage 2.
pub fn string_to_sign(
    timestamp: i64,
    credential_scope: &str,
    hashed_canonical_request: &str,
) -> String {
    string_to_sign_parts(
        itoa::Buffer::new().format(timestamp),
        credential_scope,
        hashed_canonical_request,
    )
    .concat()
}

/// The pieces of the string to sign, in order, so that the fast path can
/// feed them to the MAC without joining them.
fn string_to_sign_parts<'a>(
    timestamp: &'a str,
    credential_scope: &'a str,
    hashed_canonical_request: &'a str,
) -> [&'a str; 7] {
    [
        ALGORITHM,
        "\n",
        timestamp,
        "\n",
        credential_scope,
        "\n",
        hashed_canonical_request,
    ]
}

/// The key chain of stage 3: (SecretDate, SecretService, SecretSigning).
pub fn derive_keys(secret_key: &str, date: &str, service: &str) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let mut short = [0u8; 128];
    let long;
    let k_secret: &[u8] = if secret_key.len() + 3 <= short.len() {
        short[..3].copy_from_slice(b"TC3");
        short[3..3 + secret_key.len()].copy_from_slice(secret_key.as_bytes());
        &short[..3 + secret_key.len()]
    } else {
        long = ["TC3", secret_key].concat();
        long.as_bytes()
    };
    let k_date = hmac_sha256(k_secret, date.as_bytes());
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
    [
        ALGORITHM,
        " Credential=",
        secret_id,
        "/",
        credential_scope,
        ", SignedHeaders=",
        signed_headers,
        ", Signature=",
        signature,
    ]
    .concat()
}

/// Runs every stage and returns all intermediates.
///
/// ```
/// use iai_conformance::sign::tc3::{self, Payload, SigningParams, Tc3Request};
///
/// let stages = tc3::sign(
///     &Tc3Request {
///         method: "POST",
///         query: "",
///         headers: &[("content-type", "application/json"), ("host", "iai.tencentcloudapi.com")],
///         payload: Payload::Signed(br#"{"PersonId":"3001"}"#),
///     },
///     &SigningParams {
///         secret_id: "AKIDexample",
///         secret_key: "example-key",
///         service: "iai",
///         timestamp: 1_700_000_000,
///     },
/// )
/// .expect("content-type and host are signed");
/// assert_eq!(stages.credential_scope, "2023-11-14/iai/tc3_request");
/// assert!(stages.authorization.starts_with(
///     "TC3-HMAC-SHA256 Credential=AKIDexample/2023-11-14/iai/tc3_request, SignedHeaders=content-type;host, Signature="
/// ));
/// ```
pub fn sign(request: &Tc3Request<'_>, params: &SigningParams<'_>) -> Result<Tc3Stages, SignError> {
    with_sorted_headers(request.headers, |headers| {
        sign_sorted(request, headers, params)
    })
}

/// Only the `Authorization` header that [`sign`] computes: what a client
/// sends, with no intermediate kept (one allocation, the header itself).
///
/// ```
/// use iai_conformance::sign::tc3::{self, Payload, SigningParams, Tc3Request};
///
/// let request = Tc3Request {
///     method: "POST",
///     query: "",
///     headers: &[("host", "iai.tencentcloudapi.com"), ("Content-Type", "application/json")],
///     payload: Payload::Signed(br#"{"PersonId":"3001"}"#),
/// };
/// let params = SigningParams {
///     secret_id: "AKIDexample",
///     secret_key: "example-key",
///     service: "iai",
///     timestamp: 1_700_000_000,
/// };
/// let header = tc3::authorization_header(&request, &params).unwrap();
/// assert_eq!(header, tc3::sign(&request, &params).unwrap().authorization);
/// ```
pub fn authorization_header(
    request: &Tc3Request<'_>,
    params: &SigningParams<'_>,
) -> Result<String, SignError> {
    with_sorted_headers(request.headers, |headers| {
        let date_buf = date_bytes(params.timestamp)?;
        let date = std::str::from_utf8(&date_buf).expect("digits are ASCII");
        let payload_hex = hashed_payload_bytes(request.payload);
        let hashed_payload = std::str::from_utf8(&payload_hex).expect("hex is ASCII");
        with_buffer(|canonical| {
            let signed = write_canonical_request(
                canonical,
                request.method,
                request.query,
                headers,
                hashed_payload,
            );
            let signature = signature_hex_of_canonical(
                canonical,
                params.secret_key,
                params.timestamp,
                date,
                params.service,
            );
            let parts = [
                ALGORITHM,
                " Credential=",
                params.secret_id,
                "/",
                date,
                "/",
                params.service,
                "/",
                TERMINATOR,
                ", SignedHeaders=",
                &canonical[signed],
                ", Signature=",
                std::str::from_utf8(&signature).expect("hex is ASCII"),
            ];
            Ok(parts.concat())
        })
    })
}

/// Runs `f` on the headers trimmed and sorted by [`sorted_headers`]; a few
/// headers (the usual case) are sorted on the stack.
fn with_sorted_headers<T>(
    headers: &[(&str, &str)],
    f: impl FnOnce(&[(&str, &str)]) -> Result<T, SignError>,
) -> Result<T, SignError> {
    let mut few = [("", ""); 8];
    if headers.len() <= few.len() {
        let few = &mut few[..headers.len()];
        for (slot, (k, v)) in few.iter_mut().zip(headers) {
            *slot = (k.trim(), v.trim());
        }
        sort_checked(few)?;
        f(few)
    } else {
        f(&sorted_headers(headers)?)
    }
}

thread_local! {
    /// A canonical request's buffer, one per thread, reused.
    static BUFFER: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Runs `f` on this thread's empty reusable buffer (a fresh one if the
/// buffer is in use further up the stack); a huge buffer is not kept.
pub(crate) fn with_buffer<T>(f: impl FnOnce(&mut String) -> T) -> T {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let out = f(&mut buffer);
            if buffer.capacity() > 64 * 1024 {
                *buffer = String::new();
            }
            out
        }
        Err(_) => f(&mut String::new()),
    })
}

fn sign_sorted(
    request: &Tc3Request<'_>,
    headers: &[(&str, &str)],
    params: &SigningParams<'_>,
) -> Result<Tc3Stages, SignError> {
    let date_buf = date_bytes(params.timestamp)?;
    let date = std::str::from_utf8(&date_buf).expect("digits are ASCII");
    let payload_hex = hashed_payload_bytes(request.payload);
    let hashed_payload = std::str::from_utf8(&payload_hex).expect("hex is ASCII");
    let mut canonical_request = String::new();
    let signed = write_canonical_request(
        &mut canonical_request,
        request.method,
        request.query,
        headers,
        hashed_payload,
    );
    let signed_headers = &canonical_request[signed];
    let canonical_hex = {
        use sha2::Digest;
        super::lower_hex_bytes(&sha2::Sha256::digest(canonical_request.as_bytes()).into())
    };
    let hashed_canonical_request = std::str::from_utf8(&canonical_hex).expect("hex is ASCII");
    let credential_scope = credential_scope(date, params.service);
    let string_to_sign = string_to_sign(
        params.timestamp,
        &credential_scope,
        hashed_canonical_request,
    );
    let (secret_date, secret_service, secret_signing) =
        derive_keys(params.secret_key, date, params.service);
    let signature_hex = super::lower_hex_bytes(&super::hmac_sha256(
        &secret_signing,
        string_to_sign.as_bytes(),
    ));
    let signature = std::str::from_utf8(&signature_hex).expect("hex is ASCII");
    let authorization = authorization(
        params.secret_id,
        &credential_scope,
        signed_headers,
        signature,
    );
    Ok(Tc3Stages {
        hashed_payload: hashed_payload.to_string(),
        signed_headers: signed_headers.to_string(),
        canonical_request,
        hashed_canonical_request: hashed_canonical_request.to_string(),
        date: date.to_string(),
        credential_scope,
        string_to_sign,
        secret_date,
        secret_service,
        secret_signing,
        signature: signature.to_string(),
        authorization,
    })
}

/// Stages 2 to 4 from a canonical request: the hex signature.
pub fn signature_of_canonical(
    canonical_request: &str,
    secret_key: &str,
    timestamp: i64,
    service: &str,
) -> Result<String, SignError> {
    let date = date_bytes(timestamp)?;
    let date = std::str::from_utf8(&date).expect("digits are ASCII");
    let hex = signature_hex_of_canonical(canonical_request, secret_key, timestamp, date, service);
    Ok(String::from_utf8(hex.to_vec()).expect("hex is ASCII"))
}

/// [`signature_of_canonical`] with the date already known, into a stack
/// buffer: the verifier's path, with no allocation.
pub(crate) fn signature_hex_of_canonical(
    canonical_request: &str,
    secret_key: &str,
    timestamp: i64,
    date: &str,
    service: &str,
) -> [u8; 64] {
    let (_, _, k_signing) = derive_keys(secret_key, date, service);
    signature_hex_with_key(canonical_request, &k_signing, timestamp, date, service)
}

/// [`signature_hex_of_canonical`] under a signing key already derived
/// (the verifier's [`SigningKeyCache`](super::SigningKeyCache)).
pub(crate) fn signature_hex_with_key(
    canonical_request: &str,
    k_signing: &[u8; 32],
    timestamp: i64,
    date: &str,
    service: &str,
) -> [u8; 64] {
    use hmac::{Hmac, KeyInit, Mac};
    use sha2::Digest;
    let hashed = super::lower_hex_bytes(&sha2::Sha256::digest(canonical_request).into());
    let hashed = std::str::from_utf8(&hashed).expect("hex is ASCII");
    let mut mac =
        Hmac::<sha2::Sha256>::new_from_slice(k_signing).expect("HMAC accepts keys of any length");
    let mut ts = itoa::Buffer::new();
    // The credential scope `date/service/tc3_request`, fed in pieces.
    for part in [
        ALGORITHM,
        "\n",
        ts.format(timestamp),
        "\n",
        date,
        "/",
        service,
        "/",
        TERMINATOR,
        "\n",
        hashed,
    ] {
        mac.update(part.as_bytes());
    }
    super::lower_hex_bytes(&mac.finalize().into_bytes().into())
}

/// The lower-case hex SHA-256 of the payload, on the stack.
pub(crate) fn hashed_payload_bytes(payload: Payload<'_>) -> [u8; 64] {
    use sha2::Digest;
    let bytes = match payload {
        Payload::Signed(bytes) => bytes,
        Payload::Unsigned => UNSIGNED_PAYLOAD.as_bytes(),
    };
    super::lower_hex_bytes(&sha2::Sha256::digest(bytes).into())
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
        assert!(date_of(i64::MIN).is_err());
    }

    #[test]
    fn dates_agree_with_the_time_crate() {
        let of_time = |ts: i64| -> Option<String> {
            let d = time::OffsetDateTime::from_unix_timestamp(ts).ok()?.date();
            let year = u32::try_from(d.year()).ok().filter(|y| *y <= 9999)?;
            Some(format!(
                "{year:04}-{:02}-{:02}",
                u8::from(d.month()),
                d.day()
            ))
        };
        // Both ends of the range, leap days, and a spread in between.
        let mut probes = vec![
            -62_167_219_200, // 0000-01-01
            -62_167_219_201,
            253_402_300_799, // 9999-12-31T23:59:59
            253_402_300_800,
            951_782_400,   // 2000-02-29
            4_107_542_400, // 2100-03-01
            -1,
            0,
        ];
        let mut x: i64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            probes.push(x.rem_euclid(316_000_000_000) - 62_200_000_000);
        }
        for ts in probes {
            assert_eq!(date_of(ts).ok(), of_time(ts), "timestamp {ts}");
        }
    }

    #[test]
    fn refuses_a_header_list_without_host() {
        let err = sorted_headers(&[("Content-Type", "application/json")]).unwrap_err();
        assert_eq!(err, SignError::MissingRequiredHeader("content-type".into()));
    }
}
