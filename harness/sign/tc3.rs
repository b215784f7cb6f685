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

use super::{hmac_sha256, lower_hex_bytes, sha256_hex, trim};

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
    String::from_utf8(hashed_payload_bytes(payload).to_vec()).expect("hex is ASCII")
}

/// Trims and sorts the headers to sign by lower-cased name; refuses a
/// duplicate and a list without content-type and host.
pub fn sorted_headers<'a>(
    headers: &[(&'a str, &'a str)],
) -> Result<Vec<(&'a str, &'a str)>, SignError> {
    let mut pairs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (trim(k), trim(v))).collect();
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
        let mut signed = Vec::new();
        write_signed_headers(&mut signed, pairs, Case::Lower);
        return Err(SignError::MissingRequiredHeader(
            String::from_utf8_lossy(&signed).into_owned(),
        ));
    }
    Ok(())
}

/// Appends `name:value\n` per header, the value trimmed.
fn write_headers(out: &mut Vec<u8>, headers: &[(&str, &str)], case: Case) {
    for (name, value) in headers {
        case.push(out, name);
        out.push(b':');
        case.push(out, trim(value));
        out.push(b'\n');
    }
}

/// Appends the `;`-separated names.
fn write_signed_headers(out: &mut Vec<u8>, headers: &[(&str, &str)], case: Case) {
    for (i, (name, _)) in headers.iter().enumerate() {
        if i > 0 {
            out.push(b';');
        }
        case.push(out, name);
    }
}

/// Writes the whole canonical request into one buffer, headers in the
/// order given, and returns where `SignedHeaders` sits in it. The bytes
/// are UTF-8: every part is text and lower-casing keeps it so.
pub fn write_canonical_request(
    out: &mut Vec<u8>,
    method: &str,
    query: &str,
    headers: &[(&str, &str)],
    hashed_payload: &[u8],
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
    let mut signed = 0..0;
    write_canonical_with(out, method, query, hashed_payload, |out, case| {
        write_headers(out, headers, case);
        out.push(b'\n');
        let start = out.len();
        write_signed_headers(out, headers, case);
        signed = start..out.len();
        Ok::<_, std::convert::Infallible>(())
    })
    .unwrap_or_else(|never| match never {});
    signed
}

/// The layout of every canonical request, the client's and the
/// verifier's: `method \n / \n query \n`, then the header section that
/// `headers` writes (`name:value` lines, a blank line, the signed names),
/// lower-cased by [`append_lowercased`], then `\n` and the hashed payload.
pub(crate) fn write_canonical_with<E>(
    out: &mut Vec<u8>,
    method: &str,
    query: &str,
    hashed_payload: &[u8],
    headers: impl FnMut(&mut Vec<u8>, Case) -> Result<(), E>,
) -> Result<(), E> {
    for part in [method, "\n/\n", query, "\n"] {
        out.extend_from_slice(part.as_bytes());
    }
    append_lowercased(out, headers)?;
    out.push(b'\n');
    out.extend_from_slice(hashed_payload);
    Ok(())
}

/// How [`append_lowercased`] has its writer append a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Case {
    /// As it is, to be lower-cased in place afterwards.
    AsIs,
    /// Lower-cased on its own ([`push_lower`]).
    Lower,
}

impl Case {
    /// Appends `text` in this case.
    pub(crate) fn push(self, out: &mut Vec<u8>, text: &str) {
        match self {
            Case::AsIs => out.extend_from_slice(text.as_bytes()),
            Case::Lower => push_lower(out, text),
        }
    }
}

/// Appends what `write` writes, lower-cased. Written as it is, then
/// lower-cased in place in one pass when all of it is ASCII (header names
/// and values nearly always are); else written again with each part
/// lower-cased on its own, as Unicode lower-cases it.
fn append_lowercased<E>(
    out: &mut Vec<u8>,
    mut write: impl FnMut(&mut Vec<u8>, Case) -> Result<(), E>,
) -> Result<(), E> {
    let start = out.len();
    write(out, Case::AsIs)?;
    if out[start..].is_ascii() {
        out[start..].make_ascii_lowercase();
        Ok(())
    } else {
        out.truncate(start);
        write(out, Case::Lower)
    }
}

/// The canonical request of [`write_canonical_request`] as text.
pub fn canonical_request(
    method: &str,
    query: &str,
    headers: &[(&str, &str)],
    hashed_payload: &str,
) -> String {
    let mut out = Vec::new();
    write_canonical_request(&mut out, method, query, headers, hashed_payload.as_bytes());
    String::from_utf8(out).expect("text lower-cased is text")
}

/// Appends `text` lower-cased: ASCII byte by byte, anything else as
/// [`str::to_lowercase`].
fn push_lower(out: &mut Vec<u8>, text: &str) {
    if text.is_ascii() {
        out.extend(text.bytes().map(|b| b.to_ascii_lowercase()));
    } else {
        out.extend_from_slice(text.to_lowercase().as_bytes());
    }
}

/// The UTC date of a Unix timestamp, as `YYYY-MM-DD`.
pub fn date_of(timestamp: i64) -> Result<String, SignError> {
    let buf = date_bytes(timestamp)?;
    Ok(String::from_utf8(buf.to_vec()).expect("digits are ASCII"))
}

/// [`date_of`] on the stack: the proleptic Gregorian date of the UTC day,
/// years 0000 to 9999 only, by Neri and Schneider's calendar algorithm
/// ("Euclidean affine functions and their application to calendar
/// algorithms", 2022): 32-bit unsigned arithmetic, no division but by
/// constants.
pub(crate) fn date_bytes(timestamp: i64) -> Result<[u8; 10], SignError> {
    /// 0000-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
    const FIRST: i64 = -62_167_219_200;
    const LAST: i64 = 253_402_300_799;
    if !(FIRST..=LAST).contains(&timestamp) {
        return Err(SignError::TimestampOutOfRange(timestamp));
    }
    // Days since 0000-03-01 of the year -400 (a 400-year era earlier, so
    // that all is positive); 0000-01-01 is 60 days before 0000-03-01.
    let n =
        u32::try_from((timestamp - FIRST) / 86_400).expect("under 3,652,425 days") + 146_097 - 60;
    // The century and the day in it.
    let n1 = 4 * n + 3;
    let century = n1 / 146_097;
    let day_of_century = n1 % 146_097 / 4;
    // The year in the century and the day in the year (from March 1st).
    let p2 = 2_939_745 * u64::from(4 * day_of_century + 3);
    let year_of_century = (p2 >> 32) as u32;
    let day_of_year = (p2 as u32) / 2_939_745 / 4;
    // The month (March = 3) and the day.
    let n3 = 2_141 * day_of_year + 197_913;
    let (month, day) = (n3 / 65_536, n3 % 65_536 / 2_141 + 1);
    let january_or_february = day_of_year >= 306;
    let year = 100 * century + year_of_century + u32::from(january_or_february) - 400;
    let month = if january_or_february {
        month - 12
    } else {
        month
    };
    let mut buf = *b"0000-00-00";
    let digits = |n: u32, out: &mut [u8]| {
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
    [
        ALGORITHM,
        "\n",
        itoa::Buffer::new().format(timestamp),
        "\n",
        credential_scope,
        "\n",
        hashed_canonical_request,
    ]
    .concat()
}

/// The key chain of stage 3: (SecretDate, SecretService, SecretSigning).
pub fn derive_keys(secret_key: &str, date: &str, service: &str) -> ([u8; 32], [u8; 32], [u8; 32]) {
    derive_keys_bytes(secret_key, date.as_bytes(), service)
}

/// [`derive_keys`] on the date's bytes. `TC3` + SecretKey is joined in an
/// HMAC block on the stack when it fits: a key shorter than the block is
/// zero-padded to it anyway (RFC 2104), so the padded block is the same key.
pub(crate) fn derive_keys_bytes(
    secret_key: &str,
    date: &[u8],
    service: &str,
) -> ([u8; 32], [u8; 32], [u8; 32]) {
    let mut block = [0u8; 64];
    let long;
    let k_secret: &[u8] = if secret_key.len() + 3 <= block.len() {
        block[..3].copy_from_slice(b"TC3");
        block[3..3 + secret_key.len()].copy_from_slice(secret_key.as_bytes());
        &block
    } else {
        long = ["TC3", secret_key].concat();
        long.as_bytes()
    };
    let k_date = hmac_sha256(k_secret, date);
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
        let date = date_bytes(params.timestamp)?;
        let hashed_payload = hashed_payload_bytes(request.payload);
        with_buffer(|canonical| {
            let signed = write_canonical_request(
                canonical,
                request.method,
                request.query,
                headers,
                &hashed_payload,
            );
            let signature = signature_hex_of_canonical(
                canonical,
                params.secret_key,
                params.timestamp,
                &date,
                params.service,
            );
            // `ALGORITHM Credential=id/date/service/tc3_request,
            // SignedHeaders=..., Signature=...`, the fixed parts copied inline.
            let (id, service) = (params.secret_id.as_bytes(), params.service.as_bytes());
            let signed = &canonical[signed];
            let fixed = 27 + 1 + 10 + 1 + 28 + 12 + 64;
            let mut header = Vec::with_capacity(fixed + id.len() + service.len() + signed.len());
            header.extend_from_slice(b"TC3-HMAC-SHA256 Credential=");
            header.extend_from_slice(id);
            header.push(b'/');
            header.extend_from_slice(&date);
            header.push(b'/');
            header.extend_from_slice(service);
            header.extend_from_slice(b"/tc3_request, SignedHeaders=");
            header.extend_from_slice(signed);
            header.extend_from_slice(b", Signature=");
            header.extend_from_slice(&signature);
            Ok(String::from_utf8(header).expect("every part is text"))
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
            *slot = (trim(k), trim(v));
        }
        sort_checked(few)?;
        f(few)
    } else {
        f(&sorted_headers(headers)?)
    }
}

thread_local! {
    /// A canonical request's buffer, one per thread, reused.
    static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on this thread's empty reusable buffer (a fresh one if the
/// buffer is in use further up the stack); a huge buffer is not kept.
pub(crate) fn with_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    BUFFER.with(|cell| match cell.try_borrow_mut() {
        Ok(mut buffer) => {
            buffer.clear();
            let out = f(&mut buffer);
            if buffer.capacity() > 64 * 1024 {
                *buffer = Vec::new();
            }
            out
        }
        Err(_) => f(&mut Vec::new()),
    })
}

fn sign_sorted(
    request: &Tc3Request<'_>,
    headers: &[(&str, &str)],
    params: &SigningParams<'_>,
) -> Result<Tc3Stages, SignError> {
    let date = date_of(params.timestamp)?;
    let hashed_payload = hashed_payload(request.payload);
    let mut canonical = Vec::new();
    let signed = write_canonical_request(
        &mut canonical,
        request.method,
        request.query,
        headers,
        hashed_payload.as_bytes(),
    );
    let canonical_request = String::from_utf8(canonical).expect("text lower-cased is text");
    let signed_headers = canonical_request[signed].to_string();
    let hashed_canonical_request = sha256_hex(canonical_request.as_bytes());
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
        signed_headers,
        canonical_request,
        hashed_canonical_request,
        date,
        credential_scope,
        string_to_sign,
        secret_date,
        secret_service,
        secret_signing,
        signature,
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
    let hex = signature_hex_of_canonical(
        canonical_request.as_bytes(),
        secret_key,
        timestamp,
        &date,
        service,
    );
    Ok(String::from_utf8(hex.to_vec()).expect("hex is ASCII"))
}

/// [`signature_of_canonical`] with the date already known, into a stack
/// buffer: the verifier's path, with no allocation.
pub(crate) fn signature_hex_of_canonical(
    canonical_request: &[u8],
    secret_key: &str,
    timestamp: i64,
    date: &[u8],
    service: &str,
) -> [u8; 64] {
    let (_, _, k_signing) = derive_keys_bytes(secret_key, date, service);
    signature_hex_with_key(canonical_request, &k_signing, timestamp, date, service)
}

/// [`signature_hex_of_canonical`] under a signing key already derived
/// (the verifier's [`SigningKeyCache`](super::SigningKeyCache)): the string
/// to sign is laid out on the stack and signed as one message.
pub(crate) fn signature_hex_with_key(
    canonical_request: &[u8],
    k_signing: &[u8; 32],
    timestamp: i64,
    date: &[u8],
    service: &str,
) -> [u8; 64] {
    use sha2::Digest;
    let hashed = lower_hex_bytes(&sha2::Sha256::digest(canonical_request).into());
    let mut ts = itoa::Buffer::new();
    let ts = ts.format(timestamp).as_bytes();
    const HEAD: &[u8; 16] = b"TC3-HMAC-SHA256\n";
    const TAIL: &[u8; 13] = b"/tc3_request\n";
    let len = HEAD.len() + ts.len() + 1 + date.len() + 1 + service.len() + TAIL.len() + 64;
    let mut buf = [0u8; 192];
    if len > buf.len() {
        // A scope date or service far longer than any real one.
        let sts = [
            HEAD,
            ts,
            b"\n",
            date,
            b"/",
            service.as_bytes(),
            TAIL,
            &hashed,
        ]
        .concat();
        return lower_hex_bytes(&hmac_sha256(k_signing, &sts));
    }
    // Part by part, so that the fixed-length parts are copied inline.
    let mut at = 0;
    let mut put = |bytes: &[u8]| {
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        at += bytes.len();
    };
    put(HEAD);
    put(ts);
    put(b"\n");
    put(date);
    put(b"/");
    put(service.as_bytes());
    put(TAIL);
    put(&hashed);
    lower_hex_bytes(&hmac_sha256(k_signing, &buf[..len]))
}

/// The lower-case hex SHA-256 of the payload, on the stack.
pub(crate) fn hashed_payload_bytes(payload: Payload<'_>) -> [u8; 64] {
    use sha2::Digest;
    let bytes = match payload {
        Payload::Signed(bytes) => bytes,
        Payload::Unsigned => UNSIGNED_PAYLOAD.as_bytes(),
    };
    lower_hex_bytes(&sha2::Sha256::digest(bytes).into())
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
    fn lower_cases_ascii_in_one_pass_and_anything_else_as_unicode_does() {
        let write = |headers: &[(&str, &str)]| {
            let mut out = Vec::new();
            let signed = write_canonical_request(&mut out, "POST", "", headers, b"HASH");
            let text = String::from_utf8(out).unwrap();
            (text.clone(), text[signed].to_string())
        };
        let ascii = write(&[("Content-Type", " Application/JSON "), ("HOST", "IAI.X")]);
        assert_eq!(
            ascii,
            (
                "POST\n/\n\ncontent-type:application/json\nhost:iai.x\n\ncontent-type;host\nHASH"
                    .into(),
                "content-type;host".into()
            )
        );
        // One non-ASCII value sends every part through `str::to_lowercase`.
        let wide = write(&[("Content-Type", "Text/Ä"), ("Host", "ÉCOLE.X")]);
        assert_eq!(
            wide.0,
            "POST\n/\n\ncontent-type:text/ä\nhost:école.x\n\ncontent-type;host\nHASH"
        );
        assert_eq!(wide.1, "content-type;host");
    }

    #[test]
    fn a_scope_too_long_for_the_stack_signs_as_the_stages_do() {
        let canonical = b"POST\n/\n\ncontent-type:a\nhost:b\n\ncontent-type;host\nHASH";
        for service in ["iai", &"s".repeat(300)] {
            let date = date_of(1_551_113_065).unwrap();
            let (_, _, key) = derive_keys("secret", &date, service);
            let sts = string_to_sign(
                1_551_113_065,
                &credential_scope(&date, service),
                &sha256_hex(canonical),
            );
            let lean =
                signature_hex_with_key(canonical, &key, 1_551_113_065, date.as_bytes(), service);
            assert_eq!(
                String::from_utf8(lean.to_vec()).unwrap(),
                signature(&key, &sts),
                "{service:.8}"
            );
        }
    }

    #[test]
    fn refuses_a_header_list_without_host() {
        let err = sorted_headers(&[("Content-Type", "application/json")]).unwrap_err();
        assert_eq!(err, SignError::MissingRequiredHeader("content-type".into()));
    }
}
