use std::collections::HashMap;
use std::fmt;

/// A value that must never be printed: a secret key or a session token.
///
/// `Debug` and `Display` print `***`; the only way to read it is
/// [`Secret::expose`], which keeps every use greppable.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret's value, for signing and comparing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A SecretId with its SecretKey and, for temporary credentials, the token
/// that must travel with them (`X-TC-Token` / `Token`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The SecretId (not secret).
    pub secret_id: String,
    /// The SecretKey.
    pub secret_key: Secret,
    /// The session token of temporary credentials.
    pub token: Option<Secret>,
}

impl Credentials {
    /// Permanent credentials: a SecretId and its SecretKey.
    pub fn new(secret_id: impl Into<String>, secret_key: impl Into<String>) -> Self {
        Self {
            secret_id: secret_id.into(),
            secret_key: Secret::new(secret_key),
            token: None,
        }
    }

    /// The same credentials with a session token (temporary credentials).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Secret::new(token));
        self
    }

    /// A fresh random credential pair, shaped like Tencent's (`AKID` + 32
    /// characters, a 32-character key).
    pub fn generate() -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let key = uuid::Uuid::new_v4().simple().to_string();
        Self::new(format!("AKID{id}"), key)
    }

    /// Parses `ID:KEY` or `ID:KEY:TOKEN`, the `--credential` flag's form.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut parts = spec.splitn(3, ':');
        let id = parts.next().unwrap_or_default();
        let key = parts.next().unwrap_or_default();
        if id.is_empty() || key.is_empty() {
            return Err("expected ID:KEY or ID:KEY:TOKEN, with a non-empty ID and KEY".into());
        }
        let creds = Self::new(id, key);
        Ok(match parts.next() {
            Some(token) if !token.is_empty() => creds.with_token(token),
            Some(_) => return Err("the TOKEN after the second ':' is empty".into()),
            None => creds,
        })
    }
}

/// The credentials a verifier knows, by SecretId (hashed with foldhash, a
/// fraction of SipHash's cost on every request: the map never takes a key
/// from a request, so there is no flooding to resist).
#[derive(Clone, Debug, Default)]
pub struct KeyStore {
    by_id: HashMap<String, Credentials, foldhash::fast::RandomState>,
}

impl KeyStore {
    /// A store of these credentials.
    pub fn new(credentials: impl IntoIterator<Item = Credentials>) -> Self {
        Self {
            by_id: credentials
                .into_iter()
                .map(|c| (c.secret_id.clone(), c))
                .collect(),
        }
    }

    /// Adds (or replaces) the credentials of one SecretId.
    pub fn insert(&mut self, credentials: Credentials) {
        self.by_id
            .insert(credentials.secret_id.clone(), credentials);
    }

    /// The credentials of `secret_id`, if known.
    pub fn get(&self, secret_id: &str) -> Option<&Credentials> {
        self.by_id.get(secret_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let c = Credentials::new("AKIDx", "topsecret").with_token("tok123");
        let shown = format!("{c:?} {}", c.secret_key);
        assert!(
            !shown.contains("topsecret") && !shown.contains("tok123"),
            "{shown}"
        );
    }

    #[test]
    fn parses_the_credential_flag() {
        let c = Credentials::parse("AKID1:key:tok").unwrap();
        assert_eq!(c.secret_id, "AKID1");
        assert_eq!(c.secret_key.expose(), "key");
        assert_eq!(c.token.as_ref().map(Secret::expose), Some("tok"));
        assert!(Credentials::parse("AKID1").is_err());
        assert!(Credentials::parse(":key").is_err());
    }
}
