//! The emulator over real loopback HTTP: in-process through the library,
//! and as the `serve` process.

mod accounts;
mod concurrency;
mod control;
mod detection;
mod explain;
mod faces;
mod fuzz;
mod process;
mod protocol;
mod transport;

use iai_conformance::check_output_fields;
use iai_conformance::emulator::{Config, Emulator};
use iai_conformance::envelope::{self, Envelope, Outcome};
use iai_conformance::{CallOptions, Client, Exchange, Style, now};
use serde_json::{Map, Value, json};

/// A 1x1 PNG, Base64.
pub(crate) const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

pub(crate) async fn start() -> (Emulator, Client) {
    start_with(Config::default()).await
}

pub(crate) async fn start_with(config: Config) -> (Emulator, Client) {
    let emu = Emulator::start(config, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("the emulator starts");
    let client = Client::new(
        emu.url(),
        emu.credentials().clone(),
        Some("ap-guangzhou".into()),
    )
    .expect("a client");
    (emu, client)
}

pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// Checks the envelope contract and returns the parsed answer.
pub(crate) fn checked(x: &Exchange) -> Envelope {
    envelope::check(x.status, x.content_type.as_deref(), &x.body).unwrap_or_else(|m| {
        panic!(
            "not a valid envelope: {m:?}\n{}",
            String::from_utf8_lossy(&x.body)
        )
    })
}

pub(crate) async fn call_style(c: &Client, style: Style, action: &str, params: Value) -> Envelope {
    let x = c
        .call(action, &obj(params), &CallOptions::new(style, now()))
        .await
        .expect("the call goes through");
    let answer = checked(&x);
    // Every success the suite sees is type-checked against the catalog.
    if let Outcome::Success(fields) = &answer.outcome {
        let wrong = check_output_fields(action, fields);
        assert!(wrong.is_empty(), "{action}: {wrong:#?}");
    }
    answer
}

pub(crate) async fn call(c: &Client, action: &str, params: Value) -> Envelope {
    call_style(c, Style::Tc3PostJson, action, params).await
}

pub(crate) fn code(e: &Envelope) -> &str {
    match &e.outcome {
        Outcome::Error { code, .. } => code,
        Outcome::Success(_) => "",
    }
}

pub(crate) fn field<'a>(e: &'a Envelope, name: &str) -> &'a Value {
    match &e.outcome {
        Outcome::Success(m) => m.get(name).unwrap_or(&Value::Null),
        Outcome::Error { code, message } => {
            panic!("{name}: the call failed with {code}: {message}")
        }
    }
}

#[tokio::test]
async fn runs_the_library_lifecycle_over_http() {
    let (emu, c) = start().await;
    assert_eq!(
        code(
            &call(
                &c,
                "CreateGroup",
                json!({"GroupId": "g1", "GroupName": "G1", "GroupExDescriptions": ["dept"]})
            )
            .await
        ),
        ""
    );
    assert_eq!(
        code(
            &call(
                &c,
                "CreateGroup",
                json!({"GroupId": "g2", "GroupName": "G2"})
            )
            .await
        ),
        ""
    );
    let created = call(&c, "CreatePerson", json!({"GroupId": "g1", "PersonId": "p1", "PersonName": "Ann", "Gender": 2, "Image": PNG,
        "PersonExDescriptionInfos": [{"PersonExDescriptionIndex": 0, "PersonExDescription": "lab"}]})).await;
    assert!(
        field(&created, "FaceId")
            .as_str()
            .is_some_and(|f| !f.is_empty())
    );
    let copied = call(
        &c,
        "CopyPerson",
        json!({"PersonId": "p1", "GroupIds": ["g2"]}),
    )
    .await;
    assert_eq!(field(&copied, "SucGroupNum"), 1);
    let faces = call(&c, "CreateFace", json!({"PersonId": "p1", "Urls": ["http://img.example.com/a.jpg", "https://img.example.com/b.png"]})).await;
    assert_eq!(field(&faces, "SucFaceNum"), 2);
    let list = call_style(
        &c,
        Style::Tc3Get,
        "GetPersonList",
        json!({"GroupId": "g1", "Limit": 10}),
    )
    .await;
    assert_eq!(
        (field(&list, "PersonNum"), field(&list, "FaceNum")),
        (&json!(1), &json!(3))
    );
    assert_eq!(
        field(&list, "PersonInfos")[0]["PersonExDescriptions"],
        json!(["lab"])
    );
    let groups = call_style(
        &c,
        Style::V1PostForm,
        "GetPersonGroupInfo",
        json!({"PersonId": "p1"}),
    )
    .await;
    assert_eq!(field(&groups, "GroupNum"), 2);
    assert_eq!(
        code(&call(&c, "DeletePerson", json!({"PersonId": "p1"})).await),
        ""
    );
    for g in ["g1", "g2"] {
        let n = call_style(&c, Style::V1Get, "GetPersonListNum", json!({"GroupId": g})).await;
        assert_eq!(
            (field(&n, "PersonNum"), field(&n, "FaceNum")),
            (&json!(0), &json!(0)),
            "{g}"
        );
    }
    assert_eq!(
        code(&call(&c, "DeletePerson", json!({"PersonId": "p1"})).await),
        "InvalidParameterValue.PersonIdNotExist"
    );
    // The same PersonId can be created again.
    let again = call(&c, "CreatePerson", json!({"GroupId": "g2", "PersonId": "p1", "PersonName": "Ann", "Url": "http://x.example/a.jpg"})).await;
    assert_eq!(code(&again), "");
    emu.shutdown().await;
}

/// Each of the 17 library actions answers a success whose every field has
/// the catalog's type ([`call_style`] type-checks each one).
#[tokio::test]
async fn every_library_action_answers_in_the_catalogs_types() {
    let (emu, c) = start().await;
    let png = || json!([PNG]);
    let steps = [
        (
            "CreateGroup",
            json!({"GroupId": "g1", "GroupName": "G1", "GroupExDescriptions": ["dept", "desk"], "Tag": "t"}),
        ),
        ("CreateGroup", json!({"GroupId": "g2", "GroupName": "G2"})),
        ("GetGroupList", json!({"Offset": 0, "Limit": 10})),
        ("GetGroupInfo", json!({"GroupId": "g1"})),
        (
            "ModifyGroup",
            json!({"GroupId": "g1", "GroupName": "G1b", "Tag": "u",
            "GroupExDescriptionInfos": [{"GroupExDescriptionIndex": 1, "GroupExDescription": "room"}]}),
        ),
        (
            "CreatePerson",
            json!({"GroupId": "g1", "PersonId": "p1", "PersonName": "Ann", "Gender": 2, "Image": PNG,
            "PersonExDescriptionInfos": [{"PersonExDescriptionIndex": 0, "PersonExDescription": "lab"}]}),
        ),
        ("CopyPerson", json!({"PersonId": "p1", "GroupIds": ["g2"]})),
        ("CreateFace", json!({"PersonId": "p1", "Images": png()})),
        ("GetPersonList", json!({"GroupId": "g1"})),
        ("GetPersonListNum", json!({"GroupId": "g1"})),
        ("GetPersonBaseInfo", json!({"PersonId": "p1"})),
        ("GetPersonGroupInfo", json!({"PersonId": "p1"})),
        (
            "ModifyPersonBaseInfo",
            json!({"PersonId": "p1", "PersonName": "Bea", "Gender": 1}),
        ),
        (
            "ModifyPersonGroupInfo",
            json!({"GroupId": "g1", "PersonId": "p1",
            "PersonExDescriptionInfos": [{"PersonExDescriptionIndex": 1, "PersonExDescription": "d2"}]}),
        ),
        (
            "DeletePersonFromGroup",
            json!({"GroupId": "g2", "PersonId": "p1"}),
        ),
    ];
    let mut seen = std::collections::BTreeSet::new();
    for (action, params) in steps {
        let answer = call(&c, action, params).await;
        assert_eq!(code(&answer), "", "{action}");
        seen.insert(action);
    }
    let base = call(&c, "GetPersonBaseInfo", json!({"PersonId": "p1"})).await;
    let face = field(&base, "FaceIds")[0].clone();
    for (action, params) in [
        ("DeleteFace", json!({"PersonId": "p1", "FaceIds": [face]})),
        ("DeletePerson", json!({"PersonId": "p1"})),
        ("DeleteGroup", json!({"GroupId": "g1"})),
    ] {
        assert_eq!(code(&call(&c, action, params).await), "", "{action}");
        seen.insert(action);
    }
    assert_eq!(seen.len(), 17, "{seen:?}");
    emu.shutdown().await;
}

#[tokio::test]
async fn every_answer_has_a_fresh_request_id_and_the_exact_content_type() {
    let (emu, c) = start().await;
    let mut seen = std::collections::HashSet::new();
    for params in [
        json!({"PersonId": "nobody"}),
        json!({}),
        json!({"PersonId": "a b"}),
    ] {
        let x = c
            .call(
                "DeletePerson",
                &obj(params),
                &CallOptions::new(Style::Tc3PostJson, now()),
            )
            .await
            .unwrap();
        assert_eq!(x.content_type.as_deref(), Some("application/json"));
        assert!(seen.insert(checked(&x).request_id));
    }
    emu.shutdown().await;
}
