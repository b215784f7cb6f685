//! Derived TC3 signing keys, kept for a verifier that checks many requests
//! signed with the same key on the same day (as `serve` does): the chain
//! `TC3<key>` → date → service → `tc3_request` is three HMACs that give
//! the same key all day, so the cache saves them on every request after
//! the first. The signature itself is computed and compared in full on
//! every request.
//!
//! An entry is found by the SecretKey itself, its date and its service, so
//! a SecretId whose key is replaced never meets the old key's entry. The
//! cache holds at most [`CAPACITY`] entries and starts over when full.

use std::sync::RwLock;

use super::tc3;

/// The most entries kept; a full cache is emptied, not evicted by age.
const CAPACITY: usize = 64;

struct Entry {
    secret_key: String,
    date: [u8; 10],
    service: String,
    k_signing: [u8; 32],
}

/// Signing keys by (SecretKey, date, service).
#[derive(Default)]
pub struct SigningKeyCache {
    entries: RwLock<Vec<Entry>>,
}

impl std::fmt::Debug for SigningKeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys and derived keys are secret: only the count.
        f.debug_struct("SigningKeyCache")
            .field("entries", &self.len())
            .finish()
    }
}

impl SigningKeyCache {
    /// An empty cache.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many signing keys are kept.
    pub fn len(&self) -> usize {
        self.entries.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether the cache holds no key.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The signing key of `secret_key` on `date` (`YYYY-MM-DD`) for
    /// `service`: kept, or derived ([`tc3::derive_keys`]) and kept.
    pub fn signing_key(&self, secret_key: &str, date: &[u8], service: &str) -> [u8; 32] {
        let Ok(day) = <[u8; 10]>::try_from(date) else {
            // Not a date the verifier made: derived, never kept.
            return tc3::derive_keys_bytes(secret_key, date, service).2;
        };
        let matches =
            |e: &Entry| e.date == day && e.service == service && e.secret_key == secret_key;
        if let Some(found) = self
            .entries
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .find(|e| matches(e))
        {
            return found.k_signing;
        }
        let k_signing = tc3::derive_keys_bytes(secret_key, date, service).2;
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if !entries.iter().any(matches) {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.push(Entry {
                secret_key: secret_key.to_string(),
                date: day,
                service: service.to_string(),
                k_signing,
            });
        }
        k_signing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_key_is_the_derived_key_and_a_new_secret_gets_its_own() {
        let cache = SigningKeyCache::new();
        let derived = |key: &str, date: &str| tc3::derive_keys(key, date, "iai").2;
        assert_eq!(
            cache.signing_key("k1", b"2019-02-25", "iai"),
            derived("k1", "2019-02-25")
        );
        assert_eq!(
            cache.signing_key("k1", b"2019-02-25", "iai"),
            derived("k1", "2019-02-25")
        );
        assert_eq!(cache.len(), 1);
        // the same SecretId with a replaced key, another day, another service
        assert_eq!(
            cache.signing_key("k2", b"2019-02-25", "iai"),
            derived("k2", "2019-02-25")
        );
        assert_eq!(
            cache.signing_key("k1", b"2019-02-26", "iai"),
            derived("k1", "2019-02-26")
        );
        assert_eq!(
            cache.signing_key("k1", b"2019-02-25", "cvm"),
            tc3::derive_keys("k1", "2019-02-25", "cvm").2
        );
        assert_eq!(cache.len(), 4);
        // a scope date of another length is derived and not kept
        assert_eq!(
            cache.signing_key("k1", b"2019-2-25", "iai"),
            derived("k1", "2019-2-25")
        );
        assert_eq!(cache.len(), 4);
        assert!(!format!("{cache:?}").contains("k1"));
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = SigningKeyCache::new();
        for i in 0..CAPACITY {
            cache.signing_key(&format!("key{i}"), b"2019-02-25", "iai");
        }
        assert_eq!(cache.len(), CAPACITY);
        let next = cache.signing_key("one-more", b"2019-02-25", "iai");
        assert_eq!(next, tc3::derive_keys("one-more", "2019-02-25", "iai").2);
        assert_eq!(cache.len(), 1);
    }
}
