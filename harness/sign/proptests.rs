//! Properties of signing and verification, over arbitrary inputs.

use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;

use super::verify::{ReceivedTc3, verify_tc3};
use super::{Credentials, KeyStore, VerifyPolicy, tc3};

const ID: &str = "AKIDproptest";

/// A signed request held as owned parts, to mutate and verify.
#[derive(Clone, Debug)]
struct Signed {
    content_type: String,
    host: String,
    query: String,
    body: Vec<u8>,
    timestamp: i64,
    authorization: String,
}

fn sign(
    secret: &str,
    content_type: &str,
    host: &str,
    query: &str,
    body: &[u8],
    timestamp: i64,
) -> Signed {
    let stages = tc3::sign(
        &tc3::Tc3Request {
            method: "POST",
            query,
            headers: &[("content-type", content_type), ("host", host)],
            payload: tc3::Payload::Signed(body),
        },
        &tc3::SigningParams {
            secret_id: ID,
            secret_key: secret,
            service: "iai",
            timestamp,
        },
    )
    .expect("valid inputs sign");
    Signed {
        content_type: content_type.into(),
        host: host.into(),
        query: query.into(),
        body: body.to_vec(),
        timestamp,
        authorization: stages.authorization,
    }
}

fn verify(req: &Signed, secret: &str, now: i64) -> Result<(), &'static str> {
    let mut headers = HeaderMap::new();
    let value =
        |s: &str| HeaderValue::from_str(s).expect("generated values are valid header values");
    headers.insert("content-type", value(&req.content_type));
    headers.insert("host", value(&req.host));
    headers.insert("x-tc-timestamp", value(&req.timestamp.to_string()));
    headers.insert("authorization", value(&req.authorization));
    let keys = KeyStore::new([Credentials::new(ID, secret)]);
    let received = ReceivedTc3 {
        method: "POST",
        query: &req.query,
        headers: &headers,
        body: &req.body,
    };
    verify_tc3(&received, &keys, &VerifyPolicy::new(now, "iai"))
        .map(drop)
        .map_err(|e| e.code())
}

/// Replaces the byte at `at` (modulo the length) with another character of
/// `[a-z0-9]`, so the change survives lower-casing and trimming.
fn flip(text: &str, at: usize) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let i = at % bytes.len();
    bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
    String::from_utf8(bytes).expect("ASCII stays UTF-8")
}

const TS: std::ops::Range<i64> = 0..4_102_444_800; // 1970 .. 2100

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn signing_never_panics_yields_64_lower_hex_and_the_lean_path_agrees(
        content_type in any::<String>(),
        host in any::<String>(),
        extra in any::<String>(),
        body in proptest::collection::vec(any::<u8>(), 0..512),
        secret in any::<String>(),
        // Mostly dates that sign, so the properties are exercised.
        timestamp in prop_oneof![3 => TS, 1 => any::<i64>()],
    ) {
        let headers = [("content-type", content_type.as_str()), ("host", host.as_str()), ("x-tc-action", extra.as_str())];
        let request = tc3::Tc3Request { method: "POST", query: "", headers: &headers, payload: tc3::Payload::Signed(&body) };
        let params = tc3::SigningParams { secret_id: ID, secret_key: &secret, service: "iai", timestamp };
        let result = tc3::sign(&request, &params);
        // The client's lean path signs exactly as the staged one, or fails alike.
        prop_assert_eq!(
            tc3::authorization_header(&request, &params),
            result.clone().map(|stages| stages.authorization)
        );
        if let Ok(stages) = result {
            prop_assert_eq!(stages.signature.len(), 64);
            prop_assert!(stages.signature.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
        } else {
            prop_assert!(tc3::date_of(timestamp).is_err(), "only an out-of-range timestamp may fail");
        }
    }

    #[test]
    fn sign_then_verify_always_verifies(
        content_type in "[ -~]{1,60}",
        host in "[a-z0-9.-]{1,40}(:[0-9]{1,5})?",
        query in "[A-Za-z0-9=&%._-]{0,80}",
        body in proptest::collection::vec(any::<u8>(), 0..1024),
        secret in "[ -~]{1,64}",
        timestamp in TS,
    ) {
        let req = sign(&secret, &content_type, &host, &query, &body, timestamp);
        prop_assert_eq!(verify(&req, &secret, timestamp), Ok(()));
    }

    #[test]
    fn any_single_change_fails_with_the_right_code(
        content_type in "[a-z0-9/;=.-]{1,40}",
        host in "[a-z0-9.-]{1,40}",
        body in proptest::collection::vec(any::<u8>(), 1..512),
        secret in "[a-z0-9]{8,40}",
        timestamp in TS,
        at in any::<usize>(),
        delta in 1i64..=300,
    ) {
        let req = sign(&secret, &content_type, &host, "", &body, timestamp);

        let mut body_changed = req.clone();
        let i = at % body_changed.body.len();
        body_changed.body[i] ^= 0x01;
        prop_assert_eq!(verify(&body_changed, &secret, timestamp), Err("AuthFailure.SignatureFailure"));

        let mut header_changed = req.clone();
        header_changed.content_type = flip(&req.content_type, at);
        prop_assert_eq!(verify(&header_changed, &secret, timestamp), Err("AuthFailure.SignatureFailure"));

        let mut host_changed = req.clone();
        host_changed.host = flip(&req.host, at);
        prop_assert_eq!(verify(&host_changed, &secret, timestamp), Err("AuthFailure.SignatureFailure"));

        let mut time_changed = req.clone();
        time_changed.timestamp += delta;
        prop_assert_eq!(verify(&time_changed, &secret, timestamp), Err("AuthFailure.SignatureFailure"));

        prop_assert_eq!(verify(&req, &flip(&secret, at), timestamp), Err("AuthFailure.SignatureFailure"));

        let date = tc3::date_of(timestamp).unwrap();
        for (from, to) in [(format!("/{date}/"), "/2000-01-01/".to_string()), ("/iai/".to_string(), "/cvm/".to_string())] {
            let mut scope_changed = req.clone();
            scope_changed.authorization = req.authorization.replace(&from, &to);
            if scope_changed.authorization != req.authorization {
                prop_assert_eq!(verify(&scope_changed, &secret, timestamp), Err("AuthFailure.SignatureFailure"));
            }
        }

        prop_assert_eq!(verify(&req, &secret, timestamp + 300 + delta), Err("AuthFailure.SignatureExpire"));
        prop_assert_eq!(verify(&req, &secret, timestamp - 300 - delta), Err("AuthFailure.SignatureExpire"));
        prop_assert_eq!(verify(&req, &secret, timestamp + 300), Ok(()));
    }
}

#[test]
fn an_unsigned_payload_leaves_the_body_out_of_the_signature() {
    let headers = [
        ("content-type", "application/json"),
        ("host", "iai.tencentcloudapi.com"),
    ];
    let stages = tc3::sign(
        &tc3::Tc3Request {
            method: "POST",
            query: "",
            headers: &headers,
            payload: tc3::Payload::Unsigned,
        },
        &tc3::SigningParams {
            secret_id: ID,
            secret_key: "key",
            service: "iai",
            timestamp: 1_551_113_065,
        },
    )
    .unwrap();
    assert!(
        stages
            .canonical_request
            .ends_with(&super::sha256_hex(b"UNSIGNED-PAYLOAD"))
    );
    let mut map = HeaderMap::new();
    for (k, v) in headers {
        map.insert(k, HeaderValue::from_static(v));
    }
    map.insert("x-tc-timestamp", HeaderValue::from_static("1551113065"));
    map.insert(
        "authorization",
        HeaderValue::from_str(&stages.authorization).unwrap(),
    );
    let keys = KeyStore::new([Credentials::new(ID, "key")]);
    let policy = VerifyPolicy::new(1_551_113_065, "iai");
    let verify = |map: &HeaderMap, body: &[u8]| {
        let received = ReceivedTc3 {
            method: "POST",
            query: "",
            headers: map,
            body,
        };
        verify_tc3(&received, &keys, &policy)
            .map(drop)
            .map_err(|e| e.code())
    };
    // without the header, the verifier hashes the body: a mismatch
    assert_eq!(
        verify(&map, b"{\"PersonId\":\"a\"}"),
        Err("AuthFailure.SignatureFailure")
    );
    // with it, any body verifies
    map.insert(
        "x-tc-content-sha256",
        HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    assert_eq!(verify(&map, b"{\"PersonId\":\"a\"}"), Ok(()));
    assert_eq!(verify(&map, b"anything"), Ok(()));
}
