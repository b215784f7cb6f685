//! Accounts over real HTTP: two suites sharing one emulator with
//! different credentials neither see nor break each other's data, faults
//! or status; two credentials of one account share everything.

use std::collections::BTreeMap;

use iai_conformance::Client;
use iai_conformance::emulator::{Config, Emulator, FaultSpec};
use iai_conformance::sign::Credentials;
use serde_json::json;

use super::{PNG, call, code, start_with};

/// An emulator with A, B (two accounts) and A2 (a second credential of A's account).
async fn three() -> (Emulator, Client, Client, Client) {
    let (a, b, a2) = (
        Credentials::new("AKIDsuiteA", "key-a"),
        Credentials::new("AKIDsuiteB", "key-b"),
        Credentials::new("AKIDsuiteA2", "key-a2"),
    );
    let accounts: BTreeMap<String, String> = [
        ("AKIDsuiteA".to_string(), "team-a".to_string()),
        ("AKIDsuiteA2".to_string(), "team-a".to_string()),
    ]
    .into();
    let (emu, ca) = start_with(Config {
        credentials: vec![a, b.clone(), a2.clone()],
        accounts,
        ..Config::default()
    })
    .await;
    let (cb, ca2) = (ca.with_credentials(b), ca.with_credentials(a2));
    (emu, ca, cb, ca2)
}

async fn person(c: &Client, id: &str) {
    let group = call(c, "CreateGroup", json!({"GroupId": "g", "GroupName": "G"})).await;
    assert!(matches!(
        code(&group),
        "" | "InvalidParameterValue.GroupIdAlreadyExist"
    ));
    let p = call(
        c,
        "CreatePerson",
        json!({"GroupId": "g", "PersonId": id, "PersonName": "P", "Image": PNG}),
    )
    .await;
    assert_eq!(code(&p), "");
}

#[tokio::test]
async fn another_account_cannot_read_or_delete_a_person() {
    let (emu, a, b, _) = three().await;
    person(&a, "p1").await;
    for action in ["GetPersonBaseInfo", "DeletePerson"] {
        let answer = call(&b, action, json!({"PersonId": "p1"})).await;
        assert_eq!(
            code(&answer),
            "InvalidParameterValue.PersonIdNotExist",
            "{action}"
        );
    }
    // B may use the same ids for its own data.
    person(&b, "p1").await;
    assert_eq!(
        code(&call(&b, "DeletePerson", json!({"PersonId": "p1"})).await),
        ""
    );
    let info = call(&a, "GetPersonBaseInfo", json!({"PersonId": "p1"})).await;
    assert_eq!(code(&info), "", "A's person survives B's delete");
    assert_eq!(emu.state().await.unwrap()["person_count"], 1);
    assert_eq!(
        emu.account("AKIDsuiteB").state().await.unwrap()["person_count"],
        0
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn two_credentials_of_one_account_share_its_data() {
    let (emu, a, _, a2) = three().await;
    person(&a, "shared").await;
    let info = call(&a2, "GetPersonBaseInfo", json!({"PersonId": "shared"})).await;
    assert_eq!(code(&info), "");
    assert_eq!(
        code(&call(&a2, "DeletePerson", json!({"PersonId": "shared"})).await),
        ""
    );
    assert_eq!(
        code(&call(&a, "GetPersonBaseInfo", json!({"PersonId": "shared"})).await),
        "InvalidParameterValue.PersonIdNotExist"
    );
    let accounts = emu.accounts().await.unwrap();
    let names: Vec<_> = accounts["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["account"].as_str().unwrap().to_string(),
                a["secret_ids"].clone(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [
            ("team-a".to_string(), json!(["AKIDsuiteA", "AKIDsuiteA2"])),
            ("AKIDsuiteB".to_string(), json!(["AKIDsuiteB"])),
        ]
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn one_accounts_status_and_faults_leave_the_other_working() {
    let (emu, a, b, a2) = three().await;
    emu.for_secret_id("AKIDsuiteB")
        .set_status("arrears")
        .await
        .unwrap();
    assert_eq!(
        code(&call(&b, "GetGroupList", json!({})).await),
        "ResourceUnavailable.InArrears"
    );
    assert_eq!(code(&call(&a, "GetGroupList", json!({})).await), "");
    emu.inject(FaultSpec {
        code: "FailedOperation.ServerError".into(),
        action: Some("GetGroupList".into()),
        ..FaultSpec::default()
    })
    .await
    .unwrap();
    emu.for_secret_id("AKIDsuiteB")
        .set_status("normal")
        .await
        .unwrap();
    for _ in 0..3 {
        assert_eq!(code(&call(&b, "GetGroupList", json!({})).await), "");
    }
    assert_eq!(
        code(&call(&a, "GetGroupList", json!({})).await),
        "FailedOperation.ServerError"
    );
    assert_eq!(
        code(&call(&a2, "GetGroupList", json!({})).await),
        "FailedOperation.ServerError",
        "a fault belongs to the account, not to one credential"
    );
    // B's reset clears B only.
    emu.account("AKIDsuiteB").reset().await.unwrap();
    assert_eq!(
        code(&call(&a, "GetGroupList", json!({})).await),
        "FailedOperation.ServerError"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn control_requests_naming_no_known_account_are_refused() {
    let (emu, ..) = three().await;
    for selector in [
        "account=nobody",
        "secret_id=AKIDnobody",
        "account=team-a&secret_id=AKIDsuiteB",
    ] {
        let r = reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{}/__emulator/state?{selector}", emu.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{selector}");
    }
    assert!(emu.account("nobody").state().await.is_err());
    assert!(
        Emulator::start(
            Config {
                accounts: [("AKIDnot-a-credential".to_string(), "x".to_string())].into(),
                ..Config::default()
            },
            "127.0.0.1:0".parse().unwrap()
        )
        .await
        .is_err()
    );
    emu.shutdown().await;
}
