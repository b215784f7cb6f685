//! Every check in one place. The checks every exchange goes through: the
//! envelope contract, the catalog (documented codes, documented output
//! fields) and the case's expectation (here); what a client sent
//! ([`request`]) and what it returned ([`client`]). Every mismatch is
//! collected; none stops the others.

pub(crate) mod client;
pub(crate) mod request;

pub use client::{ErrorKind, Expected, Returned, ReturnedError};

use serde_json::Value;

use crate::api::{Catalog, shape};
use crate::case::{Expect, TargetKind};
use crate::envelope::{self, Mismatch, Outcome, Said};
use crate::wire::Exchange;

/// What one answer said, as far as it could be read.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Observed {
    /// A success envelope.
    Success,
    /// An error envelope with this code.
    Error(String),
    /// Not a readable envelope.
    Unreadable,
}

impl Observed {
    /// The error code, if the answer was an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Error(code) => Some(code),
            _ => None,
        }
    }
}

impl std::fmt::Display for Observed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Success => f.write_str("success"),
            Self::Error(code) => f.write_str(code),
            Self::Unreadable => f.write_str("an unreadable answer"),
        }
    }
}

/// The result of checking one exchange.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    pub request_id: Option<String>,
    pub observed: Observed,
    pub mismatches: Vec<Mismatch>,
}

/// Checks one exchange of `action` against the contract, the catalog and
/// `expect`, as answered by a target of kind `target`.
pub(crate) fn exchange(
    action: &str,
    exchange: &Exchange,
    expect: &Expect,
    target: TargetKind,
    catalog: &Catalog,
) -> Checked {
    let mut out = Vec::new();
    let parsed = envelope::check_json(
        exchange.status,
        exchange.content_type.as_deref(),
        exchange.json(),
    );
    let (request_id, outcome, observed) = match parsed {
        Ok(env) => {
            let observed = match &env.outcome {
                Outcome::Success(_) => Observed::Success,
                Outcome::Error { code, .. } => Observed::Error(code.clone()),
            };
            (Some(env.request_id), Some(env.outcome), observed)
        }
        Err(found) => {
            out.extend(found);
            // A broken envelope may still say its code: read it leniently,
            // so that a report can still show it.
            let reading = envelope::read(exchange.json());
            let observed = match &reading.said {
                Said::Success(_) => Observed::Success,
                Said::Error { code, .. } => Observed::Error(code.clone()),
                Said::ErrorWithoutCode | Said::NoEnvelope(_) => Observed::Unreadable,
            };
            (reading.request_id, None, observed)
        }
    };
    if let Some(outcome) = &outcome {
        catalog_checks(action, outcome, expect, catalog, &mut out);
    }
    expectation(
        &observed,
        outcome.as_ref(),
        expect,
        target,
        catalog,
        &mut out,
    );
    Checked {
        request_id,
        observed,
        mismatches: out,
    }
}

/// The code is documented for the action (or common); a success carries
/// exactly the documented output fields, each of its documented type.
fn catalog_checks(
    action: &str,
    outcome: &Outcome,
    expect: &Expect,
    catalog: &Catalog,
    out: &mut Vec<Mismatch>,
) {
    match outcome {
        Outcome::Error { code, .. } => {
            // A code the case names on purpose (an undocumented code a
            // document example shows) is a recorded finding, not a failure.
            let named = expect
                .codes()
                .flat_map(|c| catalog.same_condition(c))
                .any(|c| c == code);
            if !named && !catalog.allows(action, code) {
                out.push(Mismatch::new(
                    "Response.Error.Code",
                    format!("a code documented for {action} or a common code"),
                    format!("{code:?}"),
                ));
            }
        }
        Outcome::Success(fields) => {
            // Every field at every depth, typed by the generated catalog.
            out.extend(shape::check_fields(action, fields));
        }
    }
}

fn expectation(
    observed: &Observed,
    outcome: Option<&Outcome>,
    expect: &Expect,
    target: TargetKind,
    catalog: &Catalog,
    out: &mut Vec<Mismatch>,
) {
    let describe = || match outcome {
        Some(Outcome::Error { code, message }) => format!("error {code} ({message:?})"),
        _ => observed.to_string(),
    };
    if expect.is_success() {
        match outcome {
            Some(Outcome::Success(fields)) => {
                for (name, want) in &expect.values {
                    match fields.get(name) {
                        Some(got) if got == want => {}
                        got => out.push(Mismatch::new(
                            format!("Response.{name}"),
                            want.to_string(),
                            got.map_or_else(|| "absent".to_string(), Value::to_string),
                        )),
                    }
                }
            }
            _ => out.push(Mismatch::new("outcome", "success", describe())),
        }
        return;
    }
    let found = observed.code();
    if let Some(code) = &expect.code {
        // Where the document names the condition with more than one code,
        // any of them is right on a server that is not ours; the emulator
        // answers the one the case expects.
        let accepted = catalog.same_condition(code);
        let strict = target.is_emulator() || accepted.len() == 1;
        let right = match found {
            Some(f) if strict => f == code,
            Some(f) => accepted.contains(&f),
            None => false,
        };
        if !right {
            let want = if strict {
                code.clone()
            } else {
                format!("{code} (or the same condition's {:?})", &accepted[1..])
            };
            out.push(Mismatch::new("Response.Error.Code", want, describe()));
        }
        return;
    }
    let pinned = expect.pinned.as_deref().filter(|_| target.is_emulator());
    match (found, pinned) {
        (Some(code), Some(pin)) if code != pin => out.push(Mismatch::new(
            "Response.Error.Code",
            format!(
                "{pin} (the emulator's pinned choice among {:?})",
                expect.any_of
            ),
            describe(),
        )),
        (Some(code), _) if expect.any_of.iter().any(|c| c == code) => {}
        _ => out.push(Mismatch::new(
            "Response.Error.Code",
            format!("one of {:?}", expect.any_of),
            describe(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::Prepared;
    use std::time::Duration;

    fn answer(body: Value) -> Exchange {
        Exchange::new(
            Prepared {
                method: "POST".into(),
                target: "/".into(),
                headers: vec![],
                body: vec![],
            },
            200,
            Some("application/json".into()),
            serde_json::to_vec(&body).unwrap(),
            Duration::ZERO,
        )
    }

    fn error(code: &str) -> Exchange {
        answer(envelope::error(&envelope::new_request_id(), code, "m"))
    }

    fn expect_code(code: &str) -> Expect {
        Expect {
            code: Some(code.into()),
            ..Expect::default()
        }
    }

    #[test]
    fn names_the_code_that_differs() {
        let c = exchange(
            "DeletePerson",
            &error("AuthFailure.SignatureFailure"),
            &expect_code("AuthFailure.SignatureExpire"),
            TargetKind::Emulator,
            Catalog::get(),
        );
        assert_eq!(c.mismatches.len(), 1, "{:?}", c.mismatches);
        assert_eq!(c.mismatches[0].field, "Response.Error.Code");
        assert_eq!(c.mismatches[0].expected, "AuthFailure.SignatureExpire");
    }

    #[test]
    fn a_success_for_deleteperson_holds_only_request_id() {
        let mut fields = serde_json::Map::new();
        fields.insert("Deleted".into(), Value::Bool(true));
        let c = exchange(
            "DeletePerson",
            &answer(envelope::success(&envelope::new_request_id(), fields)),
            &Expect::success(),
            TargetKind::Emulator,
            Catalog::get(),
        );
        assert_eq!(c.observed, Observed::Success);
        assert_eq!(c.mismatches[0].field, "Response.Deleted");
    }

    #[test]
    fn a_success_is_type_checked_field_by_field() {
        let mut fields = serde_json::Map::new();
        fields.insert("PersonName".into(), Value::from("Ann"));
        fields.insert("Gender".into(), Value::from("0"));
        fields.insert("FaceIds".into(), serde_json::json!(["1", 2]));
        let c = exchange(
            "GetPersonBaseInfo",
            &answer(envelope::success(&envelope::new_request_id(), fields)),
            &Expect::success(),
            TargetKind::Live,
            Catalog::get(),
        );
        let found: Vec<&str> = c.mismatches.iter().map(|m| m.field.as_str()).collect();
        assert_eq!(found, ["Response.Gender", "Response.FaceIds[1]"]);
    }

    #[test]
    fn pins_the_emulator_but_lets_live_choose() {
        let expect = Expect {
            any_of: vec!["A.B".into(), "AuthFailure.SignatureFailure".into()],
            pinned: Some("A.B".into()),
            ..Expect::default()
        };
        let live = exchange(
            "DeletePerson",
            &error("AuthFailure.SignatureFailure"),
            &expect,
            TargetKind::Live,
            Catalog::get(),
        );
        assert!(live.mismatches.is_empty(), "{:?}", live.mismatches);
        let emulated = exchange(
            "DeletePerson",
            &error("AuthFailure.SignatureFailure"),
            &expect,
            TargetKind::Serve,
            Catalog::get(),
        );
        assert_eq!(emulated.mismatches.len(), 1);
    }

    #[test]
    fn one_rule_for_a_condition_with_two_codes() {
        let expect = expect_code("InvalidParameterValue.PersonIdNotExist");
        let judge = |code: &str, target| {
            exchange(
                "DeletePerson",
                &error(code),
                &expect,
                target,
                Catalog::get(),
            )
            .mismatches
        };
        // A server that answers like the Chinese example is right ...
        let other = judge("ResourceNotFound.ErrorPersonNotExisted", TargetKind::Live);
        assert!(other.is_empty(), "{other:?}");
        // ... the emulator answers the one the case names ...
        let emulated = judge(
            "ResourceNotFound.ErrorPersonNotExisted",
            TargetKind::Emulator,
        );
        assert_eq!(emulated.len(), 1, "{emulated:?}");
        // ... and a third code is wrong everywhere.
        let wrong = judge("ResourceNotFound.PersonNotExist", TargetKind::Live);
        assert!(
            wrong.iter().any(|m| m.field == "Response.Error.Code"),
            "{wrong:?}"
        );
    }
}
