//! Faults on demand: an error code, added latency, or both, for the calls
//! that match (an action, a PersonId, the next N calls, a probability).
//!
//! Also the two account-wide switches: the account's billing state and
//! the rate limit.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::api::Catalog;

/// One fault, as `--fault`, the control API and [`super::Config`] give it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// The `Error.Code` to answer; it must be in the catalog. Empty when
    /// the fault only adds latency.
    #[serde(default)]
    pub code: String,
    /// Only calls of this action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    /// Only calls whose `PersonId` is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person_id: Option<String>,
    /// Only calls with a parameter whose string value (at any depth)
    /// contains this text: a test's own ID prefix, so that tests running
    /// side by side do not take each other's faults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The next N matching calls; `None`: until cleared.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// The chance, from 0 to 1, that a matching call is hit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probability: Option<f64>,
    /// Delay before answering, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// The `Error.Message`; the catalog's description when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Why a fault spec is refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    #[error("the code {0:?} is not in the error catalog")]
    /// The code is not in the catalog.
    UnknownCode(String),
    #[error("a fault needs a code, a latency, or both")]
    /// Neither a code nor a latency.
    Empty,
    #[error("probability must be from 0 to 1, got {0}")]
    /// The probability is not from 0 to 1.
    Probability(String),
    #[error("scope must not be empty (leave it out to match every call)")]
    /// An empty scope.
    EmptyScope,
    #[error("count must be at least 1")]
    /// A count of zero.
    ZeroCount,
    #[error("cannot parse the fault spec: {0}")]
    /// The `--fault` text cannot be read.
    Syntax(String),
    #[error("the action {0:?} is not an iai action")]
    /// The action is not one of iai's.
    UnknownAction(String),
    #[error("latency_ms may be at most {MAX_LATENCY_MS}, got {0}")]
    /// The latency is over the limit.
    Latency(u64),
    #[error("{0} may have at most {MAX_FAULT_TEXT} bytes")]
    /// A text field is over the limit.
    TooLong(&'static str),
    #[error("at most {MAX_FAULTS} faults may be in force; clear some first")]
    /// Too many faults in force.
    TooMany,
}

/// The largest latency of one fault, and of all faults on one call: 10 minutes.
pub const MAX_LATENCY_MS: u64 = 600_000;
/// The most faults in force at once.
pub const MAX_FAULTS: usize = 1000;
/// The longest `person_id` or `message`, bytes.
pub const MAX_FAULT_TEXT: usize = 1024;

impl FaultSpec {
    /// Checks the spec: a catalog code or a latency, sane numbers.
    pub fn validate(&self) -> Result<(), FaultError> {
        if self.code.is_empty() && self.latency_ms.is_none() {
            return Err(FaultError::Empty);
        }
        if !self.code.is_empty() && Catalog::get().code(&self.code).is_none() {
            return Err(FaultError::UnknownCode(self.code.clone()));
        }
        if let Some(action) = &self.action
            && Catalog::get().action(action).is_none()
        {
            return Err(FaultError::UnknownAction(action.chars().take(64).collect()));
        }
        if let Some(ms) = self.latency_ms
            && ms > MAX_LATENCY_MS
        {
            return Err(FaultError::Latency(ms));
        }
        if self
            .person_id
            .as_ref()
            .is_some_and(|p| p.len() > MAX_FAULT_TEXT)
        {
            return Err(FaultError::TooLong("person_id"));
        }
        if let Some(scope) = &self.scope {
            if scope.is_empty() {
                return Err(FaultError::EmptyScope);
            }
            if scope.len() > MAX_FAULT_TEXT {
                return Err(FaultError::TooLong("scope"));
            }
        }
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.len() > MAX_FAULT_TEXT)
        {
            return Err(FaultError::TooLong("message"));
        }
        if let Some(p) = self.probability
            && !(0.0..=1.0).contains(&p)
        {
            return Err(FaultError::Probability(p.to_string()));
        }
        if self.count == Some(0) {
            return Err(FaultError::ZeroCount);
        }
        Ok(())
    }

    /// Parses the `--fault` syntax: a JSON object, or comma-separated
    /// `key=value` pairs with keys `code`, `action`, `person_id` (or
    /// `person`), `count`, `probability`, `latency_ms` (or `latency`, which
    /// takes `250ms` or `2s`) and `message` (last, it may hold commas).
    pub fn parse(text: &str) -> Result<Self, FaultError> {
        let text = text.trim();
        if text.starts_with('{') {
            let spec: Self =
                serde_json::from_str(text).map_err(|e| FaultError::Syntax(e.to_string()))?;
            spec.validate()?;
            return Ok(spec);
        }
        let mut spec = Self::default();
        let mut rest = text;
        while !rest.is_empty() {
            let (key, after) = rest
                .split_once('=')
                .ok_or_else(|| FaultError::Syntax(format!("expected key=value in {rest:?}")))?;
            let key = key.trim();
            let (value, next) = if key == "message" {
                (after, "")
            } else {
                after.split_once(',').unwrap_or((after, ""))
            };
            rest = next;
            let number = |v: &str| {
                v.trim()
                    .parse::<u64>()
                    .map_err(|_| FaultError::Syntax(format!("{key}: not a number: {v:?}")))
            };
            match key {
                "code" => spec.code = value.trim().to_string(),
                "action" => spec.action = Some(value.trim().to_string()),
                "person_id" | "person" => spec.person_id = Some(value.trim().to_string()),
                "scope" => spec.scope = Some(value.trim().to_string()),
                "count" => {
                    spec.count =
                        Some(u32::try_from(number(value)?).map_err(|_| {
                            FaultError::Syntax(format!("count: too large: {value:?}"))
                        })?);
                }
                "probability" => {
                    spec.probability = Some(
                        value
                            .trim()
                            .parse::<f64>()
                            .map_err(|_| FaultError::Probability(value.to_string()))?,
                    );
                }
                "latency_ms" => spec.latency_ms = Some(number(value)?),
                "latency" => {
                    let v = value.trim();
                    spec.latency_ms = Some(if let Some(ms) = v.strip_suffix("ms") {
                        number(ms)?
                    } else if let Some(s) = v.strip_suffix('s') {
                        number(s)?.saturating_mul(1000)
                    } else {
                        number(v)?
                    });
                }
                "message" => spec.message = Some(value.to_string()),
                other => return Err(FaultError::Syntax(format!("unknown key {other:?}"))),
            }
        }
        spec.validate()?;
        Ok(spec)
    }
}

#[derive(Debug)]
struct Active {
    id: u64,
    spec: FaultSpec,
    remaining: Option<u32>,
}

/// The faults in force.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    inner: Mutex<(u64, Vec<Active>)>,
    /// How many are in force, kept with the list: every request asks
    /// [`Faults::is_empty`] without taking the lock.
    len: std::sync::atomic::AtomicUsize,
}

/// What the faults decided for one call.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Hit {
    pub(crate) code: Option<(String, Option<String>)>,
    pub(crate) latency: Duration,
    /// The fault that answered: its id and spec (for the explanation).
    pub(crate) answered_by: Option<(u64, FaultSpec)>,
    /// Every fault that matched (added its latency or answered), by id.
    pub(crate) matched: Vec<u64>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, (u64, Vec<Active>)> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a validated fault; returns its id, or refuses past [`MAX_FAULTS`].
    pub(crate) fn try_add(&self, spec: FaultSpec) -> Result<u64, FaultError> {
        if self.lock().1.len() >= MAX_FAULTS {
            return Err(FaultError::TooMany);
        }
        Ok(self.add(spec))
    }

    /// Adds a validated fault; returns its id.
    pub(crate) fn add(&self, spec: FaultSpec) -> u64 {
        let mut g = self.lock();
        g.0 += 1;
        let id = g.0;
        let remaining = spec.count;
        g.1.push(Active {
            id,
            spec,
            remaining,
        });
        self.counted(&g);
        id
    }

    /// Keeps [`Faults::len`] with the list, under its lock.
    fn counted(&self, g: &(u64, Vec<Active>)) {
        self.len
            .store(g.1.len(), std::sync::atomic::Ordering::Release);
    }

    pub(crate) fn clear(&self) {
        let mut g = self.lock();
        g.1.clear();
        self.counted(&g);
    }

    pub(crate) fn list(&self) -> serde_json::Value {
        let g = self.lock();
        serde_json::Value::Array(
            g.1.iter()
                .map(|a| {
                    serde_json::json!({
                        "id": a.id,
                        "spec": a.spec,
                        "remaining": a.remaining,
                    })
                })
                .collect(),
        )
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len.load(std::sync::atomic::Ordering::Acquire) == 0
    }

    /// Decides for one call: every matching fault adds its latency and
    /// uses up one of its count; the first with a code answers it.
    pub(crate) fn take(
        &self,
        action: &str,
        person_id: Option<&str>,
        params: Option<&serde_json::Map<String, serde_json::Value>>,
    ) -> Hit {
        let mut hit = Hit::default();
        let mut g = self.lock();
        for a in g.1.iter_mut() {
            if a.spec.action.as_deref().is_some_and(|x| x != action)
                || a.spec
                    .person_id
                    .as_deref()
                    .is_some_and(|x| Some(x) != person_id)
                || a.spec.scope.as_deref().is_some_and(|x| {
                    !params.is_some_and(|m| m.values().any(|v| crate::wire::holds_text(v, x)))
                })
                || a.remaining == Some(0)
            {
                continue;
            }
            if let Some(p) = a.spec.probability
                && rand::random::<f64>() >= p
            {
                continue;
            }
            if let Some(n) = a.remaining.as_mut() {
                *n -= 1;
            }
            hit.latency = hit
                .latency
                .saturating_add(Duration::from_millis(a.spec.latency_ms.unwrap_or(0)))
                .min(Duration::from_millis(MAX_LATENCY_MS));
            hit.matched.push(a.id);
            if hit.code.is_none() && !a.spec.code.is_empty() {
                hit.code = Some((a.spec.code.clone(), a.spec.message.clone()));
                hit.answered_by = Some((a.id, a.spec.clone()));
            }
        }
        g.1.retain(|a| a.remaining != Some(0));
        self.counted(&g);
        hit
    }
}

/// The account's billing state, set by `POST /__emulator/account`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Account {
    #[default]
    Normal,
    Arrears,
    Frozen,
    Suspended,
    NotActivated,
    LowBalance,
    Recovered,
    Delivering,
    Unknown,
    ChargeException,
}

impl Account {
    /// The names `POST /__emulator/account` takes, with their codes.
    pub(crate) const ALL: &[(&'static str, Account, Option<&'static str>)] = &[
        ("normal", Account::Normal, None),
        (
            "arrears",
            Account::Arrears,
            Some("ResourceUnavailable.InArrears"),
        ),
        (
            "frozen",
            Account::Frozen,
            Some("ResourceUnavailable.Freeze"),
        ),
        (
            "suspended",
            Account::Suspended,
            Some("ResourceUnavailable.StopUsing"),
        ),
        (
            "not_activated",
            Account::NotActivated,
            Some("ResourceUnavailable.NotExist"),
        ),
        (
            "low_balance",
            Account::LowBalance,
            Some("ResourceUnavailable.LowBalance"),
        ),
        (
            "recovered",
            Account::Recovered,
            Some("ResourceUnavailable.Recover"),
        ),
        (
            "delivering",
            Account::Delivering,
            Some("ResourceUnavailable.Delivering"),
        ),
        (
            "unknown",
            Account::Unknown,
            Some("ResourceUnavailable.UnknownStatus"),
        ),
        (
            "charge_exception",
            Account::ChargeException,
            Some("ResourcesSoldOut.ChargeStatusException"),
        ),
    ];

    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .find(|(n, ..)| *n == name)
            .map(|(_, a, _)| *a)
    }

    pub(crate) fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, a, _)| *a == self)
            .map_or("normal", |(n, ..)| n)
    }

    /// The code every IAI call answers in this state.
    pub(crate) fn code(self) -> Option<&'static str> {
        Self::ALL
            .iter()
            .find(|(_, a, _)| *a == self)
            .and_then(|(.., c)| *c)
    }
}

/// A token bucket: `rate` requests per second, bursts up to `rate`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    rate: f64,
    inner: Mutex<(f64, Instant)>,
}

impl RateLimiter {
    pub(crate) fn new(rate: u32) -> Self {
        let rate = f64::from(rate.max(1));
        Self {
            rate,
            inner: Mutex::new((rate, Instant::now())),
        }
    }

    /// Takes one token; false when the bucket is empty.
    pub(crate) fn admit(&self) -> bool {
        let mut g = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let refill = now.duration_since(g.1).as_secs_f64() * self.rate;
        g.0 = (g.0 + refill).min(self.rate);
        g.1 = now;
        if g.0 >= 1.0 {
            g.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_flag_syntax() {
        let s = FaultSpec::parse("latency=250ms,action=DeletePerson,person=p1,count=2").unwrap();
        assert_eq!(s.latency_ms, Some(250));
        assert_eq!(s.action.as_deref(), Some("DeletePerson"));
        assert_eq!(s.person_id.as_deref(), Some("p1"));
        assert_eq!(s.count, Some(2));
        assert_eq!(FaultSpec::parse("action=X"), Err(FaultError::Empty));
        assert!(matches!(
            FaultSpec::parse("code=No.Such.Code"),
            Err(FaultError::UnknownCode(_))
        ));
        assert!(FaultSpec::parse(r#"{"latency_ms": 5}"#).is_ok());
        assert!(FaultSpec::parse("latency=1s,probability=2").is_err());
    }

    #[test]
    fn counts_down_and_matches_by_action_and_person() {
        let f = Faults::default();
        f.add(FaultSpec {
            latency_ms: Some(7),
            action: Some("DeletePerson".into()),
            person_id: Some("p1".into()),
            count: Some(2),
            ..FaultSpec::default()
        });
        assert_eq!(f.take("DeletePerson", Some("p2"), None), Hit::default());
        assert_eq!(
            f.take("GetPersonBaseInfo", Some("p1"), None),
            Hit::default()
        );
        assert_eq!(
            f.take("DeletePerson", Some("p1"), None).latency,
            Duration::from_millis(7)
        );
        assert_eq!(
            f.take("DeletePerson", Some("p1"), None).latency,
            Duration::from_millis(7)
        );
        assert_eq!(f.take("DeletePerson", Some("p1"), None), Hit::default());
        assert!(f.is_empty());
    }

    #[test]
    fn a_scoped_fault_hits_only_calls_that_hold_its_text() {
        let f = Faults::default();
        f.add(FaultSpec {
            code: "InternalError".into(),
            scope: Some("run1-case7".into()),
            count: Some(1),
            ..FaultSpec::default()
        });
        let params = |v: serde_json::Value| v.as_object().cloned().unwrap();
        let other = params(serde_json::json!({"GroupIds": ["run1-case8-g"], "Limit": 1}));
        assert_eq!(f.take("SearchPersons", None, Some(&other)), Hit::default());
        assert_eq!(f.take("GetGroupList", None, None), Hit::default());
        let own = params(serde_json::json!({"Infos": [{"GroupId": "run1-case7-g"}]}));
        assert!(f.take("SearchPersons", None, Some(&own)).code.is_some());
        assert!(f.is_empty(), "the one hit was spent");
        assert_eq!(
            FaultSpec::parse("code=InternalError,scope=").map(|_| ()),
            Err(FaultError::EmptyScope)
        );
    }

    #[test]
    fn bounds_latency_actions_and_the_number_of_faults() {
        let huge = FaultSpec {
            latency_ms: Some(u64::MAX),
            ..FaultSpec::default()
        };
        assert_eq!(huge.validate(), Err(FaultError::Latency(u64::MAX)));
        assert!(matches!(
            FaultSpec::parse("code=InternalError,action=NoSuchAction"),
            Err(FaultError::UnknownAction(_))
        ));
        assert!(FaultSpec::parse("code=InternalError,action=SearchPersons").is_ok());
        let f = Faults::default();
        for _ in 0..MAX_FAULTS {
            f.try_add(FaultSpec {
                latency_ms: Some(MAX_LATENCY_MS),
                ..FaultSpec::default()
            })
            .unwrap();
        }
        assert_eq!(f.try_add(FaultSpec::default()), Err(FaultError::TooMany));
        // Even unvalidated specs cannot overflow the sum.
        f.clear();
        for _ in 0..3 {
            f.add(huge.clone());
        }
        assert_eq!(
            f.take("GetGroupList", None, None).latency,
            Duration::from_millis(MAX_LATENCY_MS)
        );
    }

    #[test]
    fn the_bucket_empties() {
        let r = RateLimiter::new(3);
        assert_eq!((0..5).filter(|_| r.admit()).count(), 3);
    }
}
