//! The control API and faults on demand, over HTTP.

use iai_conformance::emulator::{Config, FaultSpec};
use serde_json::{Value, json};

use super::{PNG, call, code, start, start_with};

async fn control(
    base: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut rb = http.request(method, format!("{base}{path}"));
    if let Some(b) = body {
        rb = rb.body(b.to_string());
    }
    let r = rb.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn injects_catalog_faults_for_an_action_a_person_and_a_count() {
    let (emu, c) = start().await;
    let base = emu.url().to_string();
    let (status, body) = control(
        &base,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"code": "Not.A.Code"})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, body) = control(&base, reqwest::Method::POST, "/__emulator/faults",
        Some(json!({"code": "FailedOperation.RequestTimeout", "action": "GetPersonBaseInfo", "person_id": "p1", "count": 2}))).await;
    assert_eq!(status, 200);
    assert!(body["id"].as_u64().is_some());
    let mut ids = std::collections::HashSet::new();
    for _ in 0..2 {
        let e = call(&c, "GetPersonBaseInfo", json!({"PersonId": "p1"})).await;
        assert_eq!(code(&e), "FailedOperation.RequestTimeout");
        assert!(ids.insert(e.request_id));
    }
    assert_eq!(
        code(&call(&c, "GetPersonBaseInfo", json!({"PersonId": "p1"})).await),
        "InvalidParameterValue.PersonIdNotExist"
    );
    control(
        &base,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"code": "InternalError"})),
    )
    .await;
    let (_, list) = control(&base, reqwest::Method::GET, "/__emulator/faults", None).await;
    assert_eq!(list["faults"].as_array().unwrap().len(), 1);
    assert_eq!(
        code(&call(&c, "GetGroupList", json!({})).await),
        "InternalError"
    );
    control(&base, reqwest::Method::DELETE, "/__emulator/faults", None).await;
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    emu.shutdown().await;
}

#[tokio::test]
async fn account_states_answer_their_codes_and_reset_clears_everything() {
    let (emu, c) = start().await;
    let base = emu.url().to_string();
    call(&c, "CreateGroup", json!({"GroupId": "g", "GroupName": "G"})).await;
    call(
        &c,
        "CreatePerson",
        json!({"GroupId": "g", "PersonId": "p", "PersonName": "P", "Image": PNG}),
    )
    .await;
    let (_, state) = control(&base, reqwest::Method::GET, "/__emulator/state", None).await;
    assert_eq!(
        (
            state["group_count"].as_u64(),
            state["person_count"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(state["groups"][0]["PersonIds"], json!(["p"]));
    for (name, expected) in [
        ("arrears", "ResourceUnavailable.InArrears"),
        ("frozen", "ResourceUnavailable.Freeze"),
        ("suspended", "ResourceUnavailable.StopUsing"),
    ] {
        let (status, _) = control(
            &base,
            reqwest::Method::POST,
            "/__emulator/account",
            Some(json!({"state": name})),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), expected);
    }
    let (status, _) = control(
        &base,
        reqwest::Method::POST,
        "/__emulator/account",
        Some(json!({"state": "bogus"})),
    )
    .await;
    assert_eq!(status, 400);
    control(&base, reqwest::Method::POST, "/__emulator/reset", None).await;
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    let (_, state) = control(&base, reqwest::Method::GET, "/__emulator/state", None).await;
    assert_eq!(state["person_count"], 0);
    emu.shutdown().await;
}

#[tokio::test]
async fn rate_limits_and_config_faults() {
    let config = Config {
        rate_limit: Some(5),
        faults: vec![FaultSpec {
            code: "FailedOperation.ServerError".into(),
            action: Some("GetGroupInfo".into()),
            ..Default::default()
        }],
        ..Config::default()
    };
    let (emu, c) = start_with(config).await;
    assert_eq!(
        code(&call(&c, "GetGroupInfo", json!({"GroupId": "g"})).await),
        "FailedOperation.ServerError"
    );
    let mut limited = 0;
    for _ in 0..10 {
        if code(&call(&c, "GetGroupList", json!({})).await) == "RequestLimitExceeded" {
            limited += 1;
        }
    }
    assert!(limited >= 4, "{limited} of 10 calls were limited");
    emu.shutdown().await;
}
