//! Signing (as the client signs, and with every stage kept) and verifying
//! one DeletePerson POST request, against the floor:
//! the same SHA-256 and HMAC calls on the same bytes without building any
//! string. Verifying as `serve` does, with the day's signing key kept
//! ([`SigningKeyCache`]), is measured against its own floor: the same
//! calls less the three HMACs of the key chain. Rounds of each are
//! interleaved so that the machine's noise hits all alike; medians and the
//! median of the rounds' ratios are printed.
//!
//! Run: `cargo bench --bench signing`

use std::hint::black_box;
use std::time::Instant;

use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};

use iai_conformance::sign::verify::{ReceivedTc3, verify_tc3};
use iai_conformance::sign::{Credentials, KeyStore, SigningKeyCache, VerifyPolicy, tc3};

// The allocator of the `iai-conformance` binary, so that signing is
// measured as the binary signs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const KEY: &str = "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE";
const TS: i64 = 1_551_113_065;
const BODY: &[u8] = br#"{"PersonId":"2001"}"#;
const HOST: &str = "iai.tencentcloudapi.com";
const BATCH: u32 = 500;
const ROUNDS: usize = 201;

const REQUEST: tc3::Tc3Request<'static> = tc3::Tc3Request {
    method: "POST",
    query: "",
    headers: &[("content-type", "application/json"), ("host", HOST)],
    payload: tc3::Payload::Signed(BODY),
};
const PARAMS: tc3::SigningParams<'static> = tc3::SigningParams {
    secret_id: ID,
    secret_key: KEY,
    service: "iai",
    timestamp: TS,
};

fn sign() -> tc3::Tc3Stages {
    tc3::sign(&REQUEST, &PARAMS).expect("signs")
}

/// What the client does: the `Authorization` header alone.
fn sign_header() -> String {
    tc3::authorization_header(&REQUEST, &PARAMS).expect("signs")
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The same hash and HMAC calls as [`sign`], on bytes prepared in advance.
fn floor(canonical: &[u8], string_to_sign: &[u8], k_secret: &[u8]) -> [u8; 32] {
    black_box(Sha256::digest(BODY));
    black_box(Sha256::digest(canonical));
    let k_date = hmac(k_secret, b"2019-02-25");
    let k_service = hmac(&k_date, b"iai");
    let k_signing = hmac(&k_service, b"tc3_request");
    hmac(&k_signing, string_to_sign)
}

/// [`floor`] with the signing key derived beforehand: the calls a
/// verifier with a [`SigningKeyCache`] makes.
fn floor_keyed(canonical: &[u8], string_to_sign: &[u8], k_signing: &[u8]) -> [u8; 32] {
    black_box(Sha256::digest(BODY));
    black_box(Sha256::digest(canonical));
    hmac(k_signing, string_to_sign)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn per_op_ns(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..BATCH {
        f();
    }
    start.elapsed().as_nanos() as f64 / f64::from(BATCH)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists benches; there are no tests here
    }
    let stages = sign();
    let canonical = stages.canonical_request.clone().into_bytes();
    let sts = stages.string_to_sign.clone().into_bytes();
    let k_secret = format!("TC3{KEY}").into_bytes();

    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("host", HeaderValue::from_static(HOST));
    headers.insert(
        "x-tc-timestamp",
        HeaderValue::from_str(&TS.to_string()).unwrap(),
    );
    headers.insert(
        "authorization",
        HeaderValue::from_str(&stages.authorization).unwrap(),
    );
    let keys = KeyStore::new([Credentials::new(ID, KEY)]);
    let policy = VerifyPolicy::new(TS, "iai");
    let received = ReceivedTc3 {
        method: "POST",
        query: "",
        headers: &headers,
        body: BODY,
    };
    assert!(verify_tc3(&received, &keys, &policy).is_ok());
    let cache = SigningKeyCache::new();
    let cached = VerifyPolicy {
        key_cache: Some(&cache),
        ..policy
    };
    assert!(verify_tc3(&received, &keys, &cached).is_ok());
    let k_signing = tc3::derive_keys(KEY, "2019-02-25", "iai").2;

    assert_eq!(sign_header(), stages.authorization);
    let (mut s, mut h, mut v, mut f) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut vk, mut fk) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        f.push(per_op_ns(|| {
            black_box(floor(
                black_box(&canonical),
                black_box(&sts),
                black_box(&k_secret),
            ));
        }));
        h.push(per_op_ns(|| {
            black_box(sign_header());
        }));
        s.push(per_op_ns(|| {
            black_box(sign());
        }));
        v.push(per_op_ns(|| {
            black_box(verify_tc3(black_box(&received), &keys, &policy)).ok();
        }));
        fk.push(per_op_ns(|| {
            black_box(floor_keyed(
                black_box(&canonical),
                black_box(&sts),
                black_box(&k_signing),
            ));
        }));
        vk.push(per_op_ns(|| {
            black_box(verify_tc3(black_box(&received), &keys, &cached)).ok();
        }));
    }
    // Each round's own ratio: a burst of noise hits one round's four
    // batches (a few milliseconds apart) alike, so the median of the
    // rounds' ratios is steadier than the ratio of the medians.
    let ratio = |x: &[f64]| median(x.iter().zip(&f).map(|(x, f)| x / f).collect());
    let (rh, rs, rv) = (ratio(&h), ratio(&s), ratio(&v));
    let rvk = median(vk.iter().zip(&fk).map(|(x, f)| x / f).collect());
    let (h, s, v, f) = (median(h), median(s), median(v), median(f));
    let (vk, fk) = (median(vk), median(fk));
    println!(
        "DeletePerson POST, {ROUNDS} interleaved rounds of {BATCH} operations, medians per operation and of the rounds' ratios:"
    );
    let line = |what: &str, ns: f64, r: f64| println!("  {what:<47} {ns:>7.0} ns   {r:.2}x floor");
    line("floor (same SHA-256/HMAC calls, no strings)", f, 1.0);
    line("sign (the Authorization header, as the client)", h, rh);
    line("sign (every stage kept)", s, rs);
    line("verify", v, rv);
    println!("  with the day's signing key kept, as serve verifies:");
    let keyed =
        |what: &str, ns: f64, r: f64| println!("  {what:<47} {ns:>7.0} ns   {r:.2}x keyed floor");
    keyed("keyed floor (the same calls less the key chain)", fk, 1.0);
    keyed("verify (SigningKeyCache)", vk, rvk);
}
