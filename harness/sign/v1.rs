//! Signature v1: HmacSHA1 or HmacSHA256 over the sorted request parameters.
//!
//! ```text
//! RequestString = k1=v1&k2=v2&...      every parameter but Signature, sorted by name (ASCII),
//!                                      values raw (not URL-encoded)
//! StringToSign  = METHOD + host + path + "?" + RequestString
//! Signature     = Base64(HMAC(SecretKey, StringToSign))    SHA-256 only when SignatureMethod=HmacSHA256
//! ```

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};

/// The v1 digest, chosen by the `SignatureMethod` parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum V1Method {
    /// `HmacSHA1`, the default when `SignatureMethod` is absent.
    HmacSha1,
    /// `HmacSHA256`.
    HmacSha256,
}

impl V1Method {
    /// What `SignatureMethod` selects: HmacSHA256 only when it says so
    /// exactly, HmacSHA1 otherwise (Tencent's documented rule).
    pub fn from_param(value: Option<&str>) -> Self {
        match value {
            Some("HmacSHA256") => Self::HmacSha256,
            _ => Self::HmacSha1,
        }
    }

    /// The `SignatureMethod` value.
    pub fn param_value(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HmacSHA1",
            Self::HmacSha256 => "HmacSHA256",
        }
    }
}

/// Every intermediate of one v1 signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct V1Stages {
    /// The sorted, unencoded `key=value&...` string.
    pub request_string: String,
    /// `METHOD` + host + path + `?` + the request string.
    pub string_to_sign: String,
    /// Base64, before URL-encoding.
    pub signature: String,
}

/// Sorted `k=v` pairs joined by `&`, leaving out `Signature`.
pub fn request_string<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_ref(), v.as_ref()))
        .filter(|(k, _)| *k != "Signature")
        .collect();
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// `METHOD + host + path + "?" + RequestString`.
pub fn string_to_sign(method: &str, host: &str, path: &str, request_string: &str) -> String {
    format!(
        "{}{host}{path}?{request_string}",
        method.to_ascii_uppercase()
    )
}

/// Base64 HMAC of the string to sign.
pub fn signature(method: V1Method, secret_key: &str, string_to_sign: &str) -> String {
    let raw: Vec<u8> = match method {
        V1Method::HmacSha1 => {
            let mut mac = Hmac::<sha1::Sha1>::new_from_slice(secret_key.as_bytes())
                .expect("HMAC accepts keys of any length");
            mac.update(string_to_sign.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        V1Method::HmacSha256 => {
            super::hmac_sha256(secret_key.as_bytes(), string_to_sign.as_bytes()).to_vec()
        }
    };
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// Runs every stage. `params` must already hold the common parameters
/// (Action, Version, SecretId, Timestamp, Nonce, and SignatureMethod when
/// it is HmacSHA256).
pub fn sign<K: AsRef<str>, V: AsRef<str>>(
    http_method: &str,
    host: &str,
    path: &str,
    params: &[(K, V)],
    method: V1Method,
    secret_key: &str,
) -> V1Stages {
    let request_string = request_string(params);
    let string_to_sign = string_to_sign(http_method, host, path, &request_string);
    let signature = signature(method, secret_key, &string_to_sign);
    V1Stages {
        request_string,
        string_to_sign,
        signature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_by_ascii_not_by_number() {
        let s = request_string(&[
            ("InstanceIds.12", "b"),
            ("InstanceIds.2", "a"),
            ("Signature", "x"),
        ]);
        assert_eq!(s, "InstanceIds.12=b&InstanceIds.2=a");
    }
}
