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
//! - [`emulator_proof`]: the challenge that proves a URL is our emulator.

mod credentials;
mod proof;
pub mod tc3;
pub mod v1;
pub mod verify;

#[cfg(test)]
mod proptests;

pub use credentials::{Credentials, KeyStore, Secret};
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

/// Lower-case hex of a 32-byte digest (`hex::encode` goes char by char,
/// which shows in the signing benchmark).
pub(crate) fn lower_hex(bytes: &[u8; 32]) -> String {
    String::from_utf8(lower_hex_bytes(bytes).to_vec()).expect("hex is ASCII")
}

/// Lower-case hex of a 32-byte digest, on the stack.
pub(crate) fn lower_hex_bytes(bytes: &[u8; 32]) -> [u8; 64] {
    let mut buf = [0u8; 64];
    hex::encode_to_slice(bytes, &mut buf).expect("64 bytes hold 32 in hex");
    buf
}

/// HMAC-SHA256 of `msg` under `key`.
pub(crate) fn hmac_sha256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// Constant-time comparison of two byte strings.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
