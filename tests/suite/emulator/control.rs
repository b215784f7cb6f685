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
    // One client per test thread (each test has its own runtime):
    // building one is slow in a debug build.
    thread_local! {
        static HTTP: reqwest::Client = reqwest::Client::builder().no_proxy().build().unwrap();
    }
    let mut rb = HTTP.with(|http| http.request(method, format!("{base}{path}")));
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

/// Faults of the largest latency, then a matching call: the handler must
/// not panic (the sum of latencies once overflowed a `Duration`). Latency
/// and the number of faults are bounded; a call still answers.
#[tokio::test]
async fn fault_latency_and_count_are_bounded() {
    let (emu, c) = start().await;
    let base = emu.url().to_string();
    let mut refused = 0;
    for _ in 0..1100 {
        let (status, body) = control(
            &base,
            reqwest::Method::POST,
            "/__emulator/faults",
            Some(json!({"latency_ms": u64::MAX, "action": "GetGroupList"})),
        )
        .await;
        if status == 400 {
            assert!(
                body["error"].as_str().unwrap().contains("latency_ms"),
                "{body}"
            );
            refused += 1;
        }
    }
    // The matching call is answered or still waiting; never cut off.
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(std::time::Duration::from_millis(1500))
        .build()
        .unwrap();
    let mut p = c
        .prepare(
            "GetGroupList",
            &super::obj(json!({})),
            &iai_conformance::CallOptions::new(
                iai_conformance::Style::Tc3PostJson,
                iai_conformance::now(),
            ),
        )
        .unwrap();
    p.set_header("Connection", "close");
    let mut rb = http.post(format!("{base}/")).body(p.body.clone());
    for (k, v) in &p.headers {
        if !k.eq_ignore_ascii_case("host") {
            rb = rb.header(k, v);
        }
    }
    match rb.send().await {
        Ok(r) => assert_eq!(r.status(), 200),
        Err(e) => assert!(e.is_timeout(), "the call was cut off: {e:?}"),
    }
    assert_eq!(refused, 1100, "a latency of u64::MAX ms was accepted");
    // Up to the cap of faults at the largest latency, then refused.
    let mut accepted = 0;
    let mut last = Value::Null;
    for _ in 0..1100 {
        let (status, body) = control(
            &base,
            reqwest::Method::POST,
            "/__emulator/faults",
            Some(json!({"latency_ms": 600_000, "action": "GetGroupList"})),
        )
        .await;
        if status == 200 {
            accepted += 1;
        } else {
            last = body;
            break;
        }
    }
    assert_eq!(accepted, 1000, "{last}");
    assert!(last["error"].as_str().unwrap().contains("1000"), "{last}");
    control(&base, reqwest::Method::DELETE, "/__emulator/faults", None).await;
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    emu.shutdown().await;
}

#[tokio::test]
async fn faults_and_seeds_are_validated() {
    let (emu, c) = start().await;
    let base = emu.url().to_string();
    for (path, body, needle) in [
        (
            "/__emulator/faults",
            json!({"code": "InternalError", "action": "NoSuchAction"}),
            "NoSuchAction",
        ),
        (
            "/__emulator/faults",
            json!({"code": "InternalError", "message": "m".repeat(5000)}),
            "message",
        ),
        (
            "/__emulator/faults",
            json!({"code": "InternalError", "person_id": "p".repeat(5000)}),
            "person_id",
        ),
        (
            "/__emulator/seed",
            json!({"group_id": "g", "count": 5_000_000}),
            "1000000",
        ),
        (
            "/__emulator/seed",
            json!({"group_id": "not a group id!", "count": 1}),
            "group_id",
        ),
        (
            "/__emulator/seed",
            json!({"group_id": "g", "prefix": "x".repeat(70), "count": 1}),
            "prefix",
        ),
    ] {
        let (status, reply) = control(&base, reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, 400, "{path}: {reply}");
        let error = reply["error"].as_str().unwrap_or_default();
        assert!(error.contains(needle), "{path}: {error}");
    }
    // An iai action the emulator does not cover is a valid fault target:
    // faults answer before UnsupportedOperation.
    let (status, reply) = control(
        &base,
        reqwest::Method::POST,
        "/__emulator/faults",
        Some(json!({"code": "InternalError", "action": "SearchFaces"})),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(
        code(&call(&c, "SearchFaces", json!({})).await),
        "InternalError"
    );
    let (_, state) = control(&base, reqwest::Method::GET, "/__emulator/state", None).await;
    assert_eq!(state["person_count"], 0);
    emu.shutdown().await;
}

/// Arbitrary bytes to every control endpoint: a JSON answer every time,
/// never a dropped connection, and the server goes on.
#[tokio::test]
async fn the_control_api_survives_any_input() {
    let (emu, c) = start().await;
    let base = emu.url().to_string();
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\xff\xfe\x00".to_vec(),
        b"{\"count\": -1, \"group_id\": \"g\"}".to_vec(),
        b"{\"count\": 1e400, \"group_id\": \"g\"}".to_vec(),
        b"{\"latency_ms\": -5}".to_vec(),
        b"{\"latency_ms\": 18446744073709551616}".to_vec(),
        b"{\"code\": \"InternalError\", \"probability\": 1e308}".to_vec(),
        b"{\"code\": \"InternalError\", \"count\": 4294967296}".to_vec(),
        b"{\"state\": \"\"}".to_vec(),
        "[".repeat(10_000).into_bytes(),
        vec![b'{'; 70_000],
    ];
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for path in [
        "faults",
        "reset",
        "state",
        "account",
        "seed",
        "challenge",
        "nope",
    ] {
        for method in [
            reqwest::Method::GET,
            reqwest::Method::POST,
            reqwest::Method::DELETE,
        ] {
            for body in &bodies {
                let r = http
                    .request(
                        method.clone(),
                        format!("{base}/__emulator/{path}?nonce=%ff&secret_id="),
                    )
                    .body(body.clone())
                    .send()
                    .await
                    .unwrap_or_else(|e| panic!("{method} {path}: cut off: {e:?}"));
                let status = r.status().as_u16();
                let text = r.text().await.unwrap();
                assert!(
                    serde_json::from_str::<Value>(&text).is_ok(),
                    "{method} {path} answered {status} {text:?}"
                );
            }
        }
    }
    assert_eq!(code(&call(&c, "GetGroupList", json!({})).await), "");
    emu.shutdown().await;
}
