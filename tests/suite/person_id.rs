//! Property tests of PersonId validation, against the target named by
//! `IAI_TARGET` (default: the embedded emulator).
//!
//! Generated IDs carry a prefix unique to the run, so a "valid ID that does
//! not exist" really does not, and nothing outside the run is touched.
//! Failures print the shrunk PersonId in full (`{:?}`), escapes included.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{Map, Value, json};

use iai_conformance::envelope::{self, Outcome};
use iai_conformance::{CallOptions, Client, Style, now};
use iai_conformance::{Session, Target};

struct Fixture {
    runtime: tokio::runtime::Runtime,
    session: Session,
    prefix: String,
    group: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime");
        let spec = std::env::var("IAI_TARGET").unwrap_or_default();
        let target = Target::from_spec(&spec, |k| std::env::var(k).ok()).expect("IAI_TARGET");
        let session = runtime
            .block_on(Session::start(&target))
            .expect("the target starts");
        let prefix = format!("pt{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let group = format!("{prefix}-g");
        let fixture = Fixture {
            runtime,
            session,
            prefix,
            group,
        };
        let answer = fixture.call(
            Style::Tc3PostJson,
            "CreateGroup",
            json!({"GroupId": fixture.group, "GroupName": fixture.group}),
        );
        assert_eq!(answer, Ok(()), "CreateGroup for the property tests");
        fixture
    })
}

/// A fresh run-scoped prefix for one generated ID (≤ 16 bytes).
fn unique(f: &Fixture) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{}-{}-", f.prefix, N.fetch_add(1, Ordering::Relaxed))
}

impl Fixture {
    fn client(&self) -> &Client {
        self.session.client()
    }

    /// Calls `action`; `Ok(())` on success, `Err(code)` on an error answer.
    fn call(&self, style: Style, action: &str, params: Value) -> Result<(), String> {
        let Value::Object(params): Value = params else {
            unreachable!("params are an object")
        };
        let params: Map<String, Value> = params;
        let exchange = self
            .runtime
            .block_on(
                self.client()
                    .call(action, &params, &CallOptions::new(style, now())),
            )
            .map_err(|e| format!("transport: {e}"))?;
        let env = envelope::check(
            exchange.status,
            exchange.content_type.as_deref(),
            &exchange.body,
        )
        .map_err(|m| format!("a broken envelope: {m:?}"))?;
        match env.outcome {
            Outcome::Success(_) => Ok(()),
            Outcome::Error { code, .. } => Err(code),
        }
    }

    fn delete(&self, style: Style, id: &str) -> Result<(), String> {
        self.call(style, "DeletePerson", json!({ "PersonId": id }))
    }
}

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

// Characters a PersonId may hold: letters, digits and `-%@#&_`, written
// as the regex class `[A-Za-z0-9%@#&_-]` in the strategies below.

/// One character outside that set: any Unicode, and the usual suspects.
fn illegal_char() -> impl Strategy<Value = char> {
    prop_oneof![
        prop::sample::select(vec![
            ' ', '/', '+', '=', '.', '?', '\'', '"', '\\', '\t', '\n', '~', '*'
        ]),
        any::<char>().prop_filter("outside the ID set", |c| {
            !iai_conformance::is_id_char(*c) && *c != '\0'
        }),
    ]
}

fn config() -> Config {
    Config {
        cases: 48,
        failure_persistence: None,
        ..Config::default()
    }
}

fn expect(found: Result<(), String>, want: &str, id: &str) -> Result<(), TestCaseError> {
    match found {
        Err(code) if code == want => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "PersonId {id:?} ({} bytes): expected {want}, found {other:?}",
            id.len()
        ))),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_valid_id_nobody_created_does_not_exist(tail in "[A-Za-z0-9%@#&_-]{1,40}") {
        let f = fixture();
        let id = format!("{}{tail}", unique(f));
        expect(f.delete(Style::Tc3PostJson, &id), "InvalidParameterValue.PersonIdNotExist", &id)?;
    }

    #[test]
    fn an_id_over_64_bytes_is_too_long(id in "[A-Za-z0-9%@#&_-]{65,200}") {
        let f = fixture();
        expect(f.delete(Style::Tc3PostJson, &id), "InvalidParameterValue.PersonIdTooLong", &id)?;
    }

    #[test]
    fn an_id_with_a_character_outside_the_set_is_illegal(
        head in "[A-Za-z0-9%@#&_-]{0,20}",
        bad in illegal_char(),
        tail in "[A-Za-z0-9%@#&_-]{0,20}",
    ) {
        let f = fixture();
        let id = format!("{head}{bad}{tail}");
        prop_assume!(id.len() <= 64);
        expect(f.delete(Style::Tc3PostJson, &id), "InvalidParameterValue.PersonIdIllegal", &id)?;
    }

    #[test]
    fn every_valid_id_survives_create_delete_not_exist(
        tail in "[A-Za-z0-9%@#&_-]{1,40}",
        get in any::<bool>(),
    ) {
        let f = fixture();
        let style = if get { Style::Tc3Get } else { Style::Tc3PostJson };
        let id = format!("{}{tail}", unique(f));
        let created = f.call(style, "CreatePerson", json!({
            "GroupId": f.group, "PersonId": id, "PersonName": "P", "Image": PNG,
        }));
        prop_assert_eq!(created, Ok(()), "CreatePerson {:?} ({:?})", id, style);
        prop_assert_eq!(f.delete(style, &id), Ok(()), "DeletePerson {:?} ({:?})", id, style);
        expect(f.delete(style, &id), "InvalidParameterValue.PersonIdNotExist", &id)?;
    }
}

#[test]
fn an_empty_id_is_a_missing_parameter() {
    let f = fixture();
    for style in [Style::Tc3PostJson, Style::Tc3Get] {
        assert_eq!(
            f.delete(style, ""),
            Err("MissingParameter.ErrorParameterEmpty".to_string()),
            "{style:?}"
        );
    }
}

#[test]
fn percent_ampersand_hash_and_at_round_trip_in_a_get_query() {
    let f = fixture();
    for style in [Style::Tc3Get, Style::Tc3PostJson] {
        let id = format!("{}%&#@_%25%", unique(f));
        let create = f.call(
            style,
            "CreatePerson",
            json!({"GroupId": f.group, "PersonId": id, "PersonName": "P", "Image": PNG}),
        );
        assert_eq!(create, Ok(()), "{id:?} {style:?}");
        assert_eq!(f.delete(style, &id), Ok(()), "{id:?} {style:?}");
        assert_eq!(
            f.delete(style, &id),
            Err("InvalidParameterValue.PersonIdNotExist".into()),
            "{id:?} {style:?}"
        );
    }
}
