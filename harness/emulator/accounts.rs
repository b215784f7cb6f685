//! Accounts: the library, the faults, the billing status, the rate limit
//! and the per-person write markers belong to an account, so that two test
//! suites sharing one emulator with different credentials neither see nor
//! break each other's data.
//!
//! An account is one credential (named by its SecretId) or several
//! credentials grouped under one name ([`super::Config::accounts`],
//! `serve --credential ID:KEY@NAME`). The first credential's account is
//! the default one, which the control API addresses when a request names
//! none. `State` is wrapped whole, one per account; its internals are not
//! this module's business.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

use crate::sign::Credentials;

use super::faults::{Account as Status, FaultSpec, Faults, RateLimiter};
use super::state::State;

/// The longest account name.
pub const MAX_ACCOUNT_NAME: usize = 64;

/// Whether `name` may name an account: 1 to 64 ASCII letters, digits, `_`, `-` or `.`.
pub fn valid_account_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_ACCOUNT_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// The PersonIds with a write in progress (foldhash, seeded per process:
/// a set looked up twice by every write).
pub(crate) type WriteMarks = Mutex<HashSet<Arc<str>, foldhash::fast::RandomState>>;

/// Where `status` stands in [`Status::ALL`].
fn status_index(status: Status) -> usize {
    Status::ALL
        .iter()
        .position(|&(_, s, _)| s == status)
        .unwrap_or(0)
}

/// One account's own world.
#[derive(Debug)]
pub(crate) struct Tenant {
    /// The account's name: its group name, or its only SecretId.
    pub(crate) name: Arc<str>,
    /// The SecretIds that act for it, in configuration order.
    pub(crate) secret_ids: Vec<String>,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Faults,
    /// The billing status, as its place in [`Status::ALL`]: read by every
    /// request without a lock.
    status: AtomicUsize,
    pub(crate) limiter: Option<RateLimiter>,
    /// The PersonIds with a write in progress.
    pub(crate) busy: WriteMarks,
}

impl Tenant {
    fn new(name: Arc<str>, rate_limit: Option<u32>) -> Self {
        Self {
            name,
            secret_ids: Vec::new(),
            state: Mutex::new(State::new()),
            faults: Faults::default(),
            status: AtomicUsize::new(status_index(Status::Normal)),
            limiter: rate_limit.map(RateLimiter::new),
            busy: Mutex::new(HashSet::default()),
        }
    }

    /// The account's billing status.
    pub(crate) fn status(&self) -> Status {
        Status::ALL
            .get(self.status.load(Ordering::Acquire))
            .map_or(Status::Normal, |&(_, status, _)| status)
    }

    pub(crate) fn set_status(&self, status: Status) {
        self.status.store(status_index(status), Ordering::Release);
    }

    /// An empty library, no faults, status normal.
    pub(crate) fn reset(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = State::new();
        self.faults.clear();
        self.set_status(Status::Normal);
    }
}

/// Every account, by name and by SecretId.
#[derive(Debug)]
pub(crate) struct Accounts {
    /// In the order of their first credential; never empty.
    list: Vec<Arc<Tenant>>,
    /// Looked up on every request: foldhash (see `KeyStore`).
    by_secret: HashMap<String, usize, foldhash::fast::RandomState>,
}

impl Accounts {
    /// One account per group name in `account_of` (SecretId → name), and
    /// one per credential not in it, named by its SecretId. Without any
    /// credential, one account named `default`.
    pub(crate) fn new(
        credentials: &[Credentials],
        account_of: &BTreeMap<String, String>,
        rate_limit: Option<u32>,
    ) -> Self {
        let mut list: Vec<Tenant> = Vec::new();
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut by_secret = HashMap::default();
        for c in credentials {
            if by_secret.contains_key(&c.secret_id) {
                continue;
            }
            let name = account_of
                .get(&c.secret_id)
                .cloned()
                .unwrap_or_else(|| c.secret_id.clone());
            let index = *by_name.entry(name.clone()).or_insert_with(|| {
                list.push(Tenant::new(name.as_str().into(), rate_limit));
                list.len() - 1
            });
            list[index].secret_ids.push(c.secret_id.clone());
            by_secret.insert(c.secret_id.clone(), index);
        }
        if list.is_empty() {
            list.push(Tenant::new("default".into(), rate_limit));
        }
        Self {
            list: list.into_iter().map(Arc::new).collect(),
            by_secret,
        }
    }

    /// The account a SecretId acts for.
    pub(crate) fn of_secret(&self, secret_id: &str) -> Option<&Arc<Tenant>> {
        self.by_secret.get(secret_id).map(|&i| &self.list[i])
    }

    /// The account of this name.
    pub(crate) fn named(&self, name: &str) -> Option<&Arc<Tenant>> {
        self.list.iter().find(|t| &*t.name == name)
    }

    /// The first credential's account.
    pub(crate) fn default_account(&self) -> &Arc<Tenant> {
        &self.list[0]
    }

    /// The account a control request names with `account=NAME` or
    /// `secret_id=ID` in its query; the default account when it names none.
    pub(crate) fn select(&self, query: &str) -> Result<&Arc<Tenant>, String> {
        let mut by_name = None;
        let mut by_secret = None;
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            match &*k {
                "account" => by_name = Some(v.into_owned()),
                "secret_id" => by_secret = Some(v.into_owned()),
                _ => {}
            }
        }
        let named = match &by_name {
            Some(name) => Some(self.named(name).ok_or_else(|| {
                format!(
                    "no account {:?}; the accounts are: {}",
                    name.chars().take(MAX_ACCOUNT_NAME).collect::<String>(),
                    self.names()
                )
            })?),
            None => None,
        };
        let of_secret = match &by_secret {
            Some(id) => Some(self.of_secret(id).ok_or_else(|| {
                format!(
                    "no account holds the secret_id {:?}",
                    id.chars().take(128).collect::<String>()
                )
            })?),
            None => None,
        };
        match (named, of_secret) {
            (Some(a), Some(b)) if !Arc::ptr_eq(a, b) => Err(format!(
                "account {:?} does not hold secret_id {:?}",
                &*a.name,
                by_secret.unwrap_or_default()
            )),
            (Some(a), _) | (None, Some(a)) => Ok(a),
            (None, None) => Ok(self.default_account()),
        }
    }

    fn names(&self) -> String {
        self.list
            .iter()
            .map(|t| &*t.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Adds a fault to every account (each its own copy and count).
    pub(crate) fn add_fault_everywhere(&self, spec: &FaultSpec) {
        for t in &self.list {
            t.faults.add(spec.clone());
        }
    }

    /// `GET /__emulator/accounts`: each account's name, SecretIds, status
    /// and library size.
    pub(crate) fn view(&self) -> Value {
        let accounts: Vec<Value> = self
            .list
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let (groups, persons, faces) =
                    t.state.lock().unwrap_or_else(|e| e.into_inner()).counts();
                json!({
                    "account": &*t.name,
                    "secret_ids": t.secret_ids,
                    "default": i == 0,
                    "state": t.status().name(),
                    "group_count": groups,
                    "person_count": persons,
                    "face_count": faces,
                })
            })
            .collect();
        json!({ "accounts": accounts })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(id: &str) -> Credentials {
        Credentials::new(id, "key")
    }

    #[test]
    fn groups_credentials_and_selects_by_name_or_secret_id() {
        let groups: BTreeMap<String, String> = [
            ("AKIDa1".to_string(), "team-a".to_string()),
            ("AKIDa2".to_string(), "team-a".to_string()),
        ]
        .into();
        let accounts = Accounts::new(
            &[creds("AKIDa1"), creds("AKIDb"), creds("AKIDa2")],
            &groups,
            None,
        );
        let a = accounts.of_secret("AKIDa1").unwrap();
        assert!(Arc::ptr_eq(a, accounts.of_secret("AKIDa2").unwrap()));
        assert!(!Arc::ptr_eq(a, accounts.of_secret("AKIDb").unwrap()));
        assert_eq!(&*a.name, "team-a");
        assert_eq!(a.secret_ids, ["AKIDa1", "AKIDa2"]);
        assert_eq!(&*accounts.of_secret("AKIDb").unwrap().name, "AKIDb");
        assert!(Arc::ptr_eq(accounts.default_account(), a));
        assert!(Arc::ptr_eq(accounts.select("").unwrap(), a));
        assert_eq!(&*accounts.select("secret_id=AKIDb").unwrap().name, "AKIDb");
        assert_eq!(&*accounts.select("account=AKIDb").unwrap().name, "AKIDb");
        assert!(accounts.select("account=team-a&secret_id=AKIDa2").is_ok());
        for bad in [
            "account=nobody",
            "secret_id=AKIDnobody",
            "account=team-a&secret_id=AKIDb",
        ] {
            assert!(accounts.select(bad).is_err(), "{bad}");
        }
        assert!(valid_account_name("team-a.1_x"));
        assert!(!valid_account_name("") && !valid_account_name("a b"));
    }

    #[test]
    fn every_status_is_kept_as_set() {
        let accounts = Accounts::new(&[creds("A")], &BTreeMap::new(), None);
        let a = accounts.of_secret("A").unwrap();
        for &(name, status, _) in Status::ALL {
            a.set_status(status);
            assert_eq!(a.status(), status, "{name}");
        }
    }

    #[test]
    fn statuses_and_resets_stay_in_their_account() {
        let accounts = Accounts::new(&[creds("A"), creds("B")], &BTreeMap::new(), None);
        let (a, b) = (
            accounts.of_secret("A").unwrap(),
            accounts.of_secret("B").unwrap(),
        );
        b.set_status(Status::Arrears);
        a.faults.add(FaultSpec {
            code: "InternalError".into(),
            ..FaultSpec::default()
        });
        assert_eq!((a.status(), b.status()), (Status::Normal, Status::Arrears));
        assert!(b.faults.is_empty());
        a.reset();
        assert_eq!(b.status(), Status::Arrears);
        assert!(a.faults.is_empty());
    }
}
