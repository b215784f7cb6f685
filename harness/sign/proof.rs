//! The proof that a URL is this project's emulator.
//!
//! A URL is live unless it proves otherwise, and no status, body or envelope
//! proves it: the cloud's front door answers HTTP 200 with an envelope to
//! every path. The proof is a challenge only a server that holds the run's
//! secret key *and* speaks this project's control API can answer: the
//! harness sends a fresh random nonce and its SecretId, and the emulator
//! answers
//!
//! ```text
//! proof = HexEncode(HMAC_SHA256(SecretKey, "iai-conformance emulator proof\n" + nonce))
//! ```
//!
//! The cloud holds the key but has no such endpoint; any other server lacks
//! the key. A fresh nonce per run means a recorded answer proves nothing.

use super::{Secret, constant_time_eq, hmac_sha256, lower_hex};

/// What the proof's HMAC covers before the nonce, so the proof is useless
/// as any other Tencent signature.
const CONTEXT: &str = "iai-conformance emulator proof\n";

/// A nonce the emulator accepts: 16 to 128 ASCII letters, digits or `-`.
pub fn valid_nonce(nonce: &str) -> bool {
    (16..=128).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The emulator's answer to `nonce` under `secret_key`.
pub fn emulator_proof(secret_key: &Secret, nonce: &str) -> String {
    let mut msg = Vec::with_capacity(CONTEXT.len() + nonce.len());
    msg.extend_from_slice(CONTEXT.as_bytes());
    msg.extend_from_slice(nonce.as_bytes());
    lower_hex(&hmac_sha256(secret_key.expose().as_bytes(), &msg))
}

/// Whether `proof` answers `nonce` under `secret_key` (constant time).
pub fn check_emulator_proof(secret_key: &Secret, nonce: &str, proof: &str) -> bool {
    constant_time_eq(
        emulator_proof(secret_key, nonce).as_bytes(),
        proof.as_bytes(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proof_is_bound_to_its_key_and_its_nonce() {
        let key = Secret::new("k1");
        let nonce = "0123456789abcdef0123";
        let proof = emulator_proof(&key, nonce);
        assert_eq!(proof.len(), 64);
        assert!(check_emulator_proof(&key, nonce, &proof));
        assert!(!check_emulator_proof(&Secret::new("k2"), nonce, &proof));
        assert!(!check_emulator_proof(&key, "0123456789abcdef0124", &proof));
        assert!(!check_emulator_proof(&key, nonce, ""));
        assert!(!check_emulator_proof(&key, nonce, &proof.to_uppercase()));
    }

    #[test]
    fn pins_the_formula() {
        // Computed independently with Python's hmac module.
        assert_eq!(
            emulator_proof(&Secret::new("secret"), "nonce-0000000000000"),
            "45e1496db761fec36d3e5236c0c834627bee1a789a0bbd847cc09dc58c098112"
        );
    }

    #[test]
    fn nonces_are_bounded_and_plain() {
        assert!(valid_nonce("0123456789abcdef"));
        assert!(!valid_nonce("short"));
        assert!(!valid_nonce(&"a".repeat(129)));
        assert!(!valid_nonce("0123456789abcdef&x=1"));
    }
}
