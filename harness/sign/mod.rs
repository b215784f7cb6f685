//! Tencent Cloud API request signing and verification.
//!
//! Two algorithms, both pure: nothing here reads the clock, the network or the
//! environment. The caller passes the timestamp in (to sign) and the
//! verifier's notion of "now" (to verify).
//!
//! - [`tc3`]: TC3-HMAC-SHA256 ("signature v3"), the algorithm every current
//!   SDK uses. Each stage is its own function so that a failing vector names
//!   the stage that diverged.
//! - [`v1`]: the older HmacSHA1 / HmacSHA256 query signature.
//! - [`verify`]: checks a received request and classifies every failure with
//!   the `AuthFailure.*` code the cloud answers.
//! - [`SigningKeyCache`]: a verifier's derived TC3 keys, per key and day.
//! - [`emulator_proof`]: the challenge that proves a URL is our emulator.

mod credentials;
mod key_cache;
mod proof;
pub mod tc3;
pub mod v1;
pub mod verify;

#[cfg(test)]
mod proptests;

pub use credentials::{Credentials, KeyStore, Secret};
pub use key_cache::SigningKeyCache;
pub use proof::{check_emulator_proof, emulator_proof, valid_nonce};
pub use tc3::{Payload, Tc3Request, Tc3Stages};
pub use v1::{V1Method, V1Stages};
pub use verify::{AuthError, Verified, VerifyPolicy};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// Lower-case hex SHA-256 of `data`.
pub(crate) fn sha256_hex(data: &[u8]) -> String {
    lower_hex(&Sha256::digest(data).into())
}

/// Lower-case hex of a 32-byte digest.
pub(crate) fn lower_hex(bytes: &[u8; 32]) -> String {
    String::from_utf8(lower_hex_bytes(bytes).to_vec()).expect("hex is ASCII")
}

/// Lower-case hex of a 32-byte digest, on the stack.
pub(crate) fn lower_hex_bytes(bytes: &[u8; 32]) -> [u8; 64] {
    let mut buf = [0u8; 64];
    const_hex::encode_to_slice(bytes, &mut buf).expect("64 bytes hold 32 in hex");
    buf
}

/// HMAC-SHA256 of `msg` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// `text` without leading and trailing whitespace, as [`str::trim`]: ASCII
/// whitespace (with the vertical tab that `trim_ascii` keeps) off both
/// ends, and [`str::trim`] only when an end is then not ASCII.
pub(crate) fn trim(text: &str) -> &str {
    let ws = |b: u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() && ws(bytes[start]) {
        start += 1;
    }
    let mut end = bytes.len();
    while end > start && ws(bytes[end - 1]) {
        end -= 1;
    }
    let t = &text[start..end];
    let wide = |b: Option<&u8>| b.is_some_and(|b| !b.is_ascii());
    if wide(t.as_bytes().first()) || wide(t.as_bytes().last()) {
        t.trim()
    } else {
        t
    }
}

/// Constant-time comparison of two byte strings (the length is not
/// secret): the differences of all bytes, eight at a time, are gathered
/// without a branch and compared once.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    if a.len() != b.len() {
        return false;
    }
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().expect("eight bytes"));
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = wa
        .remainder()
        .iter()
        .zip(wb.remainder())
        .fold(0u64, |diff, (x, y)| diff | u64::from(x ^ y));
    let diff = wa
        .zip(wb)
        .fold(tail, |diff, (x, y)| diff | (word(x) ^ word(y)));
    diff.ct_eq(&0).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lower_case_digits_a_byte() {
        let mut bytes = [0u8; 32];
        for round in 0..8u8 {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (i as u8)
                    .wrapping_mul(37)
                    .wrapping_add(round.wrapping_mul(101));
            }
            let by_format: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(lower_hex(&bytes), by_format);
        }
        assert_eq!(lower_hex(&[0xff; 32]), "f".repeat(64));
    }

    #[test]
    fn constant_time_eq_compares_every_byte() {
        let a: Vec<u8> = (0..67).collect();
        for len in [0, 1, 7, 8, 9, 64, 67] {
            assert!(constant_time_eq(&a[..len], &a[..len]));
            for at in 0..len {
                let mut b = a[..len].to_vec();
                b[at] ^= 1;
                assert!(!constant_time_eq(&a[..len], &b), "len {len}, byte {at}");
            }
        }
        assert!(!constant_time_eq(b"ab", b"abc"));
    }
}
