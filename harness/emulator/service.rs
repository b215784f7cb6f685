//! The service core, without sockets: one request in, one envelope out.
//!
//! Order of checks (the README's table): request size (the transport) →
//! method and content type → common parameters (Action, Version,
//! Timestamp) → authentication → account state, rate limit, faults →
//! parameter shape → value rules → existence and state.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use http::HeaderMap;
use serde_json::{Map, Value};

use crate::api::{self, Catalog};
use crate::envelope;
use crate::sign::KeyStore;
use crate::sign::verify::{ReceivedTc3, ReceivedV1, VerifyPolicy, verify_tc3, verify_v1};

use super::actions;
use super::faults::{Account, Faults, RateLimiter};
use super::params::{self, Params};
use super::state::{Reject, State};

/// A request as the transport received it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Incoming<'a> {
    pub(crate) method: &'a str,
    pub(crate) path: &'a str,
    /// The raw query string, without `?`.
    pub(crate) query: &'a str,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// Largest GET request (query and body), bytes.
pub(crate) const MAX_GET: usize = 32 * 1024;
/// Largest v1 (form) POST body, bytes.
pub(crate) const MAX_FORM_POST: usize = 1024 * 1024;
/// Largest TC3 POST body, bytes.
pub(crate) const MAX_TC3_POST: usize = 10 * 1024 * 1024;

/// The message of an error answer: the catalog's description of the
/// code, or a fallback, plus what exactly was wrong.
pub(crate) fn message(code: &str, detail: Option<&str>) -> String {
    let base = Catalog::get()
        .code(code)
        .map(|c| c.description.clone())
        .unwrap_or_else(|| format!("the request failed with {code}"));
    let mut text = match detail {
        Some(d) => format!("{base} ({d})"),
        None => base,
    };
    if let Some(first) = text.get(0..1) {
        let upper = first.to_ascii_uppercase();
        text.replace_range(0..1, &upper);
    }
    if !text.ends_with('.') {
        text.push('.');
    }
    text
}

/// An error envelope with a fresh RequestId.
pub(crate) fn error_answer(code: &str, detail: Option<&str>) -> Value {
    envelope::error(&envelope::new_request_id(), code, &message(code, detail))
}

fn reject_answer(r: &Reject) -> Value {
    match &r.message {
        Some(text) => envelope::error(&envelope::new_request_id(), &r.code, text),
        None => error_answer(&r.code, r.detail.as_deref()),
    }
}

/// How the action parameters arrived.
enum Body<'a> {
    Json(&'a [u8]),
    Pairs(Vec<(String, String)>),
}

fn pairs(text: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(text)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<Cow<'h, str>> {
    headers
        .get(name)
        .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// The emulator's service: keys, state, faults.
#[derive(Debug)]
pub(crate) struct Service {
    keys: KeyStore,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Faults,
    account: Mutex<Account>,
    limiter: Option<RateLimiter>,
    busy: Mutex<HashSet<String>>,
}

/// Marks a PersonId busy for one write; unmarks on drop.
struct Busy<'a> {
    set: &'a Mutex<HashSet<String>>,
    id: String,
}

impl Drop for Busy<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
    }
}

impl Service {
    pub(crate) fn new(keys: KeyStore, rate_limit: Option<u32>) -> Self {
        Self {
            keys,
            state: Mutex::new(State::new()),
            faults: Faults::default(),
            account: Mutex::new(Account::Normal),
            limiter: rate_limit.map(RateLimiter::new),
            busy: Mutex::new(HashSet::new()),
        }
    }

    pub(crate) fn account(&self) -> Account {
        *self.account.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn set_account(&self, account: Account) {
        *self.account.lock().unwrap_or_else(|e| e.into_inner()) = account;
    }

    pub(crate) fn reset(&self) {
        *self.state.lock().unwrap_or_else(|e| e.into_inner()) = State::new();
        self.faults.clear();
        self.set_account(Account::Normal);
    }

    fn mark_busy(&self, id: &str) -> Option<Busy<'_>> {
        let mut set = self.busy.lock().unwrap_or_else(|e| e.into_inner());
        if set.insert(id.to_string()) {
            Some(Busy {
                set: &self.busy,
                id: id.to_string(),
            })
        } else {
            None
        }
    }

    /// Answers one request. `now` is the verifier's clock, Unix seconds.
    pub(crate) async fn handle(&self, req: Incoming<'_>, now: i64) -> Value {
        match self.dispatch(req, now).await {
            Ok(fields) => envelope::success(&envelope::new_request_id(), fields),
            Err(r) => reject_answer(&r),
        }
    }

    async fn dispatch(&self, req: Incoming<'_>, now: i64) -> Result<Map<String, Value>, Reject> {
        if req.path != "/" {
            return Err(Reject::with(
                "UnsupportedProtocol",
                "the API is served at the path /",
            ));
        }
        let tc3 = req.headers.contains_key("authorization");
        // Method and content type.
        let body = match req.method {
            "GET" => Body::Pairs(pairs(req.query.as_bytes())),
            "POST" => {
                let ct = header(req.headers, "content-type").unwrap_or_default();
                let mime = ct
                    .split(';')
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_ascii_lowercase();
                match mime.as_str() {
                    "application/json" if tc3 => Body::Json(req.body),
                    "application/json" => {
                        return Err(Reject::with(
                            "AuthFailure.InvalidAuthorization",
                            "application/json requests must be signed with TC3-HMAC-SHA256",
                        ));
                    }
                    "application/x-www-form-urlencoded" => Body::Pairs(pairs(req.body)),
                    _ => {
                        return Err(Reject::with(
                            "UnsupportedProtocol",
                            "POST takes application/json (TC3) or application/x-www-form-urlencoded (v1)",
                        ));
                    }
                }
            }
            other => {
                return Err(Reject::with(
                    "UnsupportedProtocol",
                    format!("the HTTP method {other} is not supported; use POST or GET"),
                ));
            }
        };
        // Common parameters.
        let common = |name: &str, header_name: &str| -> Option<String> {
            if tc3 {
                header(req.headers, header_name).map(|v| v.trim().to_string())
            } else if let Body::Pairs(p) = &body {
                p.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
            } else {
                None
            }
        };
        let missing = |name: &str| {
            Reject::with(
                "MissingParameter",
                format!("the common parameter `{name}` is missing"),
            )
        };
        let action = common("Action", "x-tc-action")
            .filter(|a| !a.is_empty())
            .ok_or_else(|| missing("Action"))?;
        let covered = actions::COVERED.contains(&action.as_str());
        if !covered && !actions::NOT_COVERED.contains(&action.as_str()) {
            return Err(Reject::with(
                "InvalidAction",
                format!(
                    "the action `{}` does not exist in iai",
                    action.chars().take(64).collect::<String>()
                ),
            ));
        }
        let version = common("Version", "x-tc-version")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing("Version"))?;
        if version != api::VERSION {
            return Err(Reject::with(
                "NoSuchVersion",
                format!("the emulator serves iai {} only", api::VERSION),
            ));
        }
        if common("Timestamp", "x-tc-timestamp").is_none_or(|t| t.is_empty()) {
            return Err(missing("Timestamp"));
        }
        // Authentication.
        let policy = VerifyPolicy::new(now, api::SERVICE);
        let verified = if tc3 {
            verify_tc3(
                &ReceivedTc3 {
                    method: req.method,
                    query: req.query,
                    headers: req.headers,
                    body: req.body,
                },
                &self.keys,
                &policy,
            )
        } else {
            let Body::Pairs(p) = &body else {
                return Err(Reject::new("AuthFailure.InvalidAuthorization"));
            };
            let host = header(req.headers, "host").unwrap_or_default();
            verify_v1(
                &ReceivedV1 {
                    method: req.method,
                    host: &host,
                    path: req.path,
                    params: p,
                },
                &self.keys,
                &policy,
            )
        };
        if let Err(e) = verified {
            // The verifier's detail may quote the canonical request: never
            // secrets, but long; keep the code's own message.
            return Err(Reject::new(e.code()));
        }
        // Account state, rate limit, faults.
        if let Some(code) = self.account().code() {
            return Err(Reject::new(code));
        }
        if let Some(limiter) = &self.limiter
            && !limiter.admit()
        {
            return Err(Reject::new("RequestLimitExceeded"));
        }
        let params = match &body {
            Body::Json(bytes) => match serde_json::from_slice::<Value>(bytes) {
                Ok(Value::Object(map)) => Ok(map),
                Ok(_) => Err(Reject::with(
                    "InvalidParameter",
                    "the body must be a JSON object",
                )),
                Err(e) => Err(Reject::with(
                    "InvalidParameter",
                    format!("the body is not JSON: {e}"),
                )),
            },
            Body::Pairs(p) => match Catalog::get().action(&action) {
                Some(a) => params::unflatten(a, p),
                None => Ok(Map::new()),
            },
        };
        let person_id = params
            .as_ref()
            .ok()
            .and_then(|m| m.get("PersonId"))
            .and_then(Value::as_str)
            .map(str::to_string);
        let latency = if self.faults.is_empty() {
            Duration::ZERO
        } else {
            let hit = self.faults.take(&action, person_id.as_deref());
            if let Some((code, msg)) = hit.code {
                tokio::time::sleep(hit.latency).await;
                return Err(Reject {
                    code: code.into(),
                    detail: None,
                    message: msg.filter(|m| !m.is_empty()),
                });
            }
            hit.latency
        };
        if !covered {
            return Err(Reject::with(
                "UnsupportedOperation",
                format!("the emulator does not cover {action}"),
            ));
        }
        let Some(spec) = Catalog::get().action(&action) else {
            return Err(Reject::with(
                "UnsupportedOperation",
                format!("the catalog does not describe {action}"),
            ));
        };
        // Parameter shape, then value rules and state.
        let params = params?;
        params::check_shape(spec, &params)?;
        let _busy = match (
            actions::PERSON_WRITES.contains(&action.as_str()),
            &person_id,
        ) {
            (true, Some(id)) => Some(
                self.mark_busy(id)
                    .ok_or(Reject::new("FailedOperation.ConflictOperation"))?,
            ),
            _ => None,
        };
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        actions::run(&action, &Params(&params), &self.state)
            .unwrap_or_else(|| Err(Reject::new("UnsupportedOperation")))
    }
}
