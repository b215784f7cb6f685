//! The live policy: what a run may send to a real account.
//!
//! Every request is judged on its final form (after signing and after any
//! tampering a case asks for), just before it leaves, so no case file can
//! talk its way past it:
//!
//! - an action that only reads (`Get*`, `Search*`, `Verify*`, `Detect*`,
//!   `Compare*`, `Analyze*`, `Estimate*`) always passes;
//! - every other action is a write. A write names its targets through ID
//!   parameters (`PersonId`, `GroupId`, `GroupIds.N`, `SourceGroupId`, ...);
//!   each of them must be *owned*: for a run, in the ledger or under the
//!   run's own prefix (`ct-<run id>-`), which nobody else uses, so such an
//!   ID is either one this run created or one that does not exist;
//! - a `Create*` needs consent (`--allow-mutations`), and its IDs go into the
//!   ledger before the request is sent.
//!
//! A write whose parameters cannot all be read (a body that is neither JSON
//! nor a form) is judged on what can be read, and every place a parameter
//! could hide (the query, a JSON body at any depth and with repeated keys,
//! a form body) is read.

use std::fmt;

pub(crate) use crate::api::{Effect, effect};
use crate::scope::{PREFIX, created_at};
use crate::wire::Prepared;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// Whether a parameter names a group or person the request acts on.
fn is_target_key(key: &str) -> bool {
    let leaf = key
        .split('.')
        .rev()
        .find(|part| part.parse::<u64>().is_err())
        .unwrap_or(key)
        .to_ascii_lowercase();
    ["personid", "personids", "groupid", "groupids"]
        .iter()
        .any(|suffix| leaf.ends_with(suffix))
}

/// A group or a person.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A group (`GroupId`).
    Group,
    /// A person (`PersonId`).
    Person,
}

impl Kind {
    fn of_key(key: &str) -> Self {
        if key.to_ascii_lowercase().contains("group") {
            Self::Group
        } else {
            Self::Person
        }
    }
}

/// What the policy read from a prepared request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reading {
    /// Every action the request names (header, query, body).
    pub actions: Vec<String>,
    /// Every (parameter, value) that names a group or person.
    pub targets: Vec<(String, String)>,
}

impl Reading {
    /// Reads the action and the target IDs from everywhere they could be.
    pub fn of(request: &Prepared) -> Self {
        let mut pairs = Vec::new();
        for (k, v) in &request.headers {
            if k.eq_ignore_ascii_case("x-tc-action") {
                pairs.push(("Action".to_string(), v.clone()));
            }
        }
        if let Some((_, query)) = request.target.split_once('?') {
            pairs.extend(form_urlencoded::parse(query.as_bytes()).into_owned());
        }
        if !request.body.is_empty() {
            let mut de = serde_json::Deserializer::from_slice(&request.body);
            if let Ok(found) = Pairs::deserialize_from(&mut de) {
                pairs.extend(found);
            }
            pairs.extend(form_urlencoded::parse(&request.body).into_owned());
        }
        let mut reading = Self::default();
        for (k, v) in pairs {
            if k.eq_ignore_ascii_case("action") {
                if !reading.actions.contains(&v) {
                    reading.actions.push(v);
                }
            } else if is_target_key(&k) {
                reading.targets.push((k, v));
            }
        }
        reading
    }

    /// The strongest effect among the named actions (`Read` when none).
    pub fn effect(&self) -> Effect {
        let effects: Vec<Effect> = self.actions.iter().map(|a| effect(a)).collect();
        if effects.contains(&Effect::Change) {
            Effect::Change
        } else if effects.contains(&Effect::Create) {
            Effect::Create
        } else {
            Effect::Read
        }
    }

    /// The action to name in messages.
    pub fn action(&self) -> &str {
        self.actions.first().map_or("(no action)", String::as_str)
    }

    /// The IDs a create would bring into being, by kind.
    pub fn created(&self) -> Vec<(Kind, String)> {
        let mut out: Vec<(Kind, String)> = self
            .targets
            .iter()
            .map(|(k, v)| (Kind::of_key(k), v.clone()))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

/// Every (key path, scalar) pair of a JSON document, repeated keys
/// included (a JSON object may repeat a key; servers disagree on which wins).
struct Pairs;

impl Pairs {
    fn deserialize_from<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        let mut out = Vec::new();
        d.deserialize_any(Walk {
            path: String::new(),
            out: &mut out,
        })?;
        Ok(out)
    }
}

struct Walk<'a> {
    path: String,
    out: &'a mut Vec<(String, String)>,
}

impl<'de> de::DeserializeSeed<'de> for Walk<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Walk<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.out.push((self.path, v.to_string()));
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.out.push((self.path, v.to_string()));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.out.push((self.path, v.to_string()));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.out.push((self.path, v.to_string()));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.out.push((self.path, v.to_string()));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.out.push((self.path, String::new()));
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut i = 0usize;
        loop {
            let path = format!("{}.{i}", self.path);
            if seq
                .next_element_seed(Walk {
                    path,
                    out: &mut *self.out,
                })?
                .is_none()
            {
                return Ok(());
            }
            i += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let path = if self.path.is_empty() {
                key
            } else {
                format!("{}.{key}", self.path)
            };
            map.next_value_seed(Walk {
                path,
                out: &mut *self.out,
            })?;
        }
        Ok(())
    }
}

/// Why a request was not sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(
        "{action} creates groups or persons on a live account: pass --allow-mutations (or IAI_ALLOW_MUTATIONS=1) to allow it"
    )]
    NoConsent { action: String },
    #[error(
        "{action} of {key} {id:?} refused: this run did not create it (only IDs in the run's ledger or under its prefix {prefix} may be written)"
    )]
    NotOwned {
        action: String,
        key: String,
        id: String,
        prefix: String,
    },
    #[error("{action} of {key} {id:?} refused: {reason}")]
    NotSweepable {
        action: String,
        key: String,
        id: String,
        reason: String,
    },
}

/// Which IDs a writer may touch.
#[derive(Clone, Debug)]
pub enum Ownership {
    /// A run: its own prefix (and so its ledger).
    Run { prefix: String, consent: bool },
    /// The sweeper: IDs under [`PREFIX`] whose run is older than the limit.
    Sweep { now: i64, older_than: i64 },
}

impl Ownership {
    /// Judges a prepared request. `Ok` carries the IDs a create brings into
    /// being (for the ledger).
    pub fn judge(&self, request: &Prepared) -> Result<(Reading, Vec<(Kind, String)>), Refusal> {
        let reading = Reading::of(request);
        let effect = reading.effect();
        if effect == Effect::Read {
            return Ok((reading, Vec::new()));
        }
        let action = reading.action().to_string();
        match self {
            Self::Run { prefix, consent } => {
                if effect == Effect::Create && !consent {
                    return Err(Refusal::NoConsent { action });
                }
                for (key, id) in &reading.targets {
                    // An empty ID names nothing; anything else must be ours.
                    if !id.is_empty() && !id.starts_with(prefix.as_str()) {
                        return Err(Refusal::NotOwned {
                            action,
                            key: key.clone(),
                            id: id.clone(),
                            prefix: prefix.clone(),
                        });
                    }
                }
            }
            Self::Sweep { now, older_than } => {
                if !matches!(
                    reading
                        .actions
                        .iter()
                        .map(String::as_str)
                        .collect::<Vec<_>>()[..],
                    ["DeletePerson"] | ["DeleteGroup"]
                ) {
                    return Err(Refusal::NotSweepable {
                        action,
                        key: String::new(),
                        id: String::new(),
                        reason: "the sweeper only sends DeletePerson and DeleteGroup".into(),
                    });
                }
                for (key, id) in &reading.targets {
                    if let Err(reason) = sweepable(id, *now, *older_than) {
                        return Err(Refusal::NotSweepable {
                            action,
                            key: key.clone(),
                            id: id.clone(),
                            reason,
                        });
                    }
                }
            }
        }
        let created = if effect == Effect::Create {
            reading.created()
        } else {
            Vec::new()
        };
        Ok((reading, created))
    }
}

/// Whether the sweeper may delete `id`: made by a run, older than the limit.
pub(crate) fn sweepable(id: &str, now: i64, older_than: i64) -> Result<(), String> {
    let Some(at) = created_at(id) else {
        return Err(format!(
            "not made by a run (no {PREFIX}<time>-<random>- prefix)"
        ));
    };
    if now - at < older_than {
        return Err(format!(
            "made {}s ago, within the limit of {older_than}s",
            now - at
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{CallOptions, Client};
    use crate::sign::Credentials;
    use crate::wire::Style;
    use serde_json::{Value, json};

    fn prepared(action: &str, params: Value, style: Style) -> Prepared {
        let client = Client::new(
            "https://iai.tencentcloudapi.com",
            Credentials::new("AKIDx", "key"),
            None,
        )
        .unwrap();
        let Value::Object(map) = params else { panic!() };
        client
            .prepare(action, &map, &CallOptions::new(style, 1_700_000_000))
            .unwrap()
    }

    fn run(consent: bool) -> Ownership {
        Ownership::Run {
            prefix: "ct-abc-def-".into(),
            consent,
        }
    }

    #[test]
    fn classifies_actions() {
        assert_eq!(effect("GetPersonList"), Effect::Read);
        assert_eq!(effect("SearchFaces"), Effect::Read);
        assert_eq!(effect("CreatePerson"), Effect::Create);
        assert_eq!(effect("DeletePerson"), Effect::Change);
        assert_eq!(effect("CopyPerson"), Effect::Change);
        assert_eq!(effect("UpgradeGroupFaceModelVersion"), Effect::Change);
        assert_eq!(effect("Getaway"), Effect::Change);
        assert_eq!(effect("getPersonList"), Effect::Change);
    }

    #[test]
    fn refuses_to_delete_an_id_the_run_does_not_own() {
        for style in [
            Style::Tc3PostJson,
            Style::Tc3Get,
            Style::V1Get,
            Style::V1PostForm,
        ] {
            let p = prepared("DeletePerson", json!({ "PersonId": "2001" }), style);
            let err = run(true).judge(&p).unwrap_err();
            assert!(matches!(err, Refusal::NotOwned { .. }), "{style:?}: {err}");
            let ok = prepared(
                "DeletePerson",
                json!({ "PersonId": "ct-abc-def-1-2001" }),
                style,
            );
            assert!(run(false).judge(&ok).is_ok(), "{style:?}");
        }
    }

    #[test]
    fn reads_the_request_as_sent_not_as_built() {
        let mut p = prepared(
            "GetPersonBaseInfo",
            json!({ "PersonId": "2001" }),
            Style::Tc3PostJson,
        );
        assert!(run(false).judge(&p).is_ok());
        p.set_header("X-TC-Action", "DeletePerson");
        assert!(run(true).judge(&p).is_err(), "a changed header");
        let mut p = prepared(
            "DeletePerson",
            json!({ "PersonId": "ct-abc-def-1" }),
            Style::Tc3PostJson,
        );
        p.body = br#"{"PersonId":"ct-abc-def-1","PersonId":"2001"}"#.to_vec();
        assert!(run(true).judge(&p).is_err(), "a repeated key");
        p.body = b"PersonId=2001".to_vec();
        assert!(
            run(true).judge(&p).is_err(),
            "a form body under a JSON type"
        );
        p.body = br#"{"Nested":{"GroupIds":["ct-abc-def-g","real"]}}"#.to_vec();
        assert!(run(true).judge(&p).is_err(), "a nested array");
        p.body = br#"{"PersonId":2001}"#.to_vec();
        assert!(run(true).judge(&p).is_err(), "a number");
        let mut p = prepared("GetGroupList", json!({ "Limit": 1 }), Style::Tc3Get);
        p.target.push_str("&Action=DeleteGroup&GroupId=real");
        assert!(run(true).judge(&p).is_err(), "a second action in the query");
    }

    #[test]
    fn a_create_needs_consent_and_the_prefix() {
        let p = prepared(
            "CreatePerson",
            json!({ "GroupId": "ct-abc-def-1-g", "PersonId": "ct-abc-def-1-p", "PersonName": "x" }),
            Style::Tc3PostJson,
        );
        assert!(matches!(
            run(false).judge(&p),
            Err(Refusal::NoConsent { .. })
        ));
        let (_, created) = run(true).judge(&p).unwrap();
        assert_eq!(
            created,
            vec![
                (Kind::Group, "ct-abc-def-1-g".to_string()),
                (Kind::Person, "ct-abc-def-1-p".to_string())
            ]
        );
        let into_real = prepared(
            "CreatePerson",
            json!({ "GroupId": "TencentShenZhenEmployee", "PersonId": "ct-abc-def-1-p" }),
            Style::Tc3PostJson,
        );
        assert!(run(true).judge(&into_real).is_err());
        let copy = prepared(
            "CopyPerson",
            json!({ "PersonId": "ct-abc-def-1-p", "GroupIds": ["ct-abc-def-1-g", "real"] }),
            Style::Tc3PostJson,
        );
        assert!(run(true).judge(&copy).is_err());
    }

    #[test]
    fn run_ids_carry_their_time() {
        let id = crate::scope::mint_run_id(1_700_000_000);
        let person = format!("ct-{id}-3-2001");
        assert_eq!(created_at(&person), Some(1_700_000_000));
        assert!(sweepable(&person, 1_700_001_800, 1800).is_ok());
        assert!(sweepable(&person, 1_700_001_799, 1800).is_err());
        for other in [
            "2001",
            "ct-",
            "ct-abc",
            "ct-ABC-x-y",
            "ct-abc-def",
            "keep-ct-abc-def-1",
            "ct-abc--1",
        ] {
            assert!(sweepable(other, i64::MAX / 2, 0).is_err(), "{other}");
        }
    }

    #[test]
    fn the_sweeper_only_deletes_old_run_ids() {
        let sweep = Ownership::Sweep {
            now: 1_700_000_000 + 3600,
            older_than: 1800,
        };
        let id = format!("ct-{}-1-p", crate::scope::mint_run_id(1_700_000_000));
        assert!(
            sweep
                .judge(&prepared(
                    "DeletePerson",
                    json!({ "PersonId": id }),
                    Style::Tc3PostJson
                ))
                .is_ok()
        );
        assert!(
            sweep
                .judge(&prepared(
                    "DeletePerson",
                    json!({ "PersonId": "3001" }),
                    Style::Tc3PostJson
                ))
                .is_err()
        );
        assert!(
            sweep
                .judge(&prepared(
                    "ModifyGroup",
                    json!({ "GroupId": id }),
                    Style::Tc3PostJson
                ))
                .is_err()
        );
        let fresh = format!("ct-{}-1-p", crate::scope::mint_run_id(1_700_000_000 + 3000));
        assert!(
            sweep
                .judge(&prepared(
                    "DeletePerson",
                    json!({ "PersonId": fresh }),
                    Style::Tc3PostJson
                ))
                .is_err()
        );
    }
}
