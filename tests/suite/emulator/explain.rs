//! Explanations over real HTTP: `GET /__emulator/explain/<RequestId>` says
//! which stage, rule, state or fault produced an answer.

use iai_conformance::emulator::{Config, FaultSpec, Quirk};
use iai_conformance::sign::{Credentials, Payload, Tc3Request, tc3};
use iai_conformance::{CallOptions, Style, now};
use serde_json::{Value, json};

use super::{call, checked, code, obj, start, start_with};

async fn get(url: &str) -> (u16, Value) {
    let r = reqwest::Client::builder()
        .no_proxy()
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn a_signature_failure_shows_the_canonical_request_a_good_signer_makes() {
    let (emu, c) = start().await;
    let secret_id = emu.credentials().secret_id.clone();
    let secret_key = emu.credentials().secret_key.expose().to_string();
    let wrong = c.with_credentials(Credentials::new(&secret_id, "not-the-key"));
    let ts = now();
    let prepared = wrong
        .prepare(
            "DeletePerson",
            &obj(json!({"PersonId": "p1"})),
            &CallOptions::new(Style::Tc3PostJson, ts),
        )
        .unwrap();
    // The known-good signer's own stages for the request it signed.
    let auth = prepared.header("Authorization").unwrap().to_string();
    let signed = auth
        .split("SignedHeaders=")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap()
        .to_string();
    let values: Vec<(String, String)> = signed
        .split(';')
        .map(|name| {
            let value = prepared
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
                .unwrap();
            (name.to_string(), value)
        })
        .collect();
    let pairs: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let sign_with = |key: &str| {
        tc3::sign(
            &Tc3Request {
                method: "POST",
                query: "",
                headers: &pairs,
                payload: Payload::Signed(&prepared.body),
            },
            &tc3::SigningParams {
                secret_id: &secret_id,
                secret_key: key,
                service: "iai",
                timestamp: ts,
            },
        )
        .unwrap()
    };
    let client_side = sign_with("not-the-key");
    let right = sign_with(&secret_key);
    assert!(
        auth.ends_with(&format!("Signature={}", client_side.signature)),
        "the reconstruction is the request the client sent"
    );
    let x = wrong.send(prepared).await.unwrap();
    let answer = checked(&x);
    assert_eq!(code(&answer), "AuthFailure.SignatureFailure");
    // The envelope stays Tencent's: no working in the answer.
    assert!(!String::from_utf8_lossy(&x.body).contains("canonical"));

    let e = emu.explain(&answer.request_id).await.unwrap();
    assert_eq!(
        (
            e["stage"].as_str(),
            e["code"].as_str(),
            e["action"].as_str()
        ),
        (
            Some("auth"),
            Some("AuthFailure.SignatureFailure"),
            Some("DeletePerson")
        ),
        "{e}"
    );
    assert_eq!(e["request_id"], answer.request_id.as_str());
    let detail = &e["detail"];
    assert_eq!(
        detail["canonical_request"],
        client_side.canonical_request.as_str()
    );
    assert_eq!(
        detail["string_to_sign"],
        client_side.string_to_sign.as_str()
    );
    assert_eq!(detail["client_signature"], client_side.signature.as_str());
    // The signature the right key gives, and never the key itself.
    assert_eq!(detail["expected_signature"], right.signature.as_str());
    let text = e.to_string();
    assert!(!text.contains(&secret_key) && !text.contains("not-the-key"));
    emu.shutdown().await;
}

#[tokio::test]
async fn a_v1_signature_failure_shows_the_string_to_sign() {
    let (emu, c) = start().await;
    let wrong = c.with_credentials(Credentials::new(&emu.credentials().secret_id, "wrong"));
    let x = wrong
        .call(
            "GetGroupList",
            &obj(json!({})),
            &CallOptions::new(Style::V1Get, now()),
        )
        .await
        .unwrap();
    let answer = checked(&x);
    assert_eq!(code(&answer), "AuthFailure.SignatureFailure");
    let e = emu.explain(&answer.request_id).await.unwrap();
    let sts = e["detail"]["string_to_sign"].as_str().unwrap_or_default();
    assert!(sts.starts_with("GET127.0.0.1:"), "{e}");
    assert!(sts.contains("Action=GetGroupList"), "{e}");
    emu.shutdown().await;
}

#[tokio::test]
async fn a_session_token_never_appears_in_an_explanation() {
    let creds = Credentials::new("AKIDwithtoken", "the-key").with_token("the-session-token");
    let (emu, c) = start_with(Config {
        credentials: vec![creds],
        ..Config::default()
    })
    .await;
    let wrong = c.with_credentials(
        Credentials::new("AKIDwithtoken", "wrong-key").with_token("the-session-token"),
    );
    let x = wrong
        .call(
            "GetGroupList",
            &obj(json!({})),
            &CallOptions::new(Style::V1Get, now()),
        )
        .await
        .unwrap();
    let answer = checked(&x);
    assert_eq!(code(&answer), "AuthFailure.SignatureFailure");
    let e = emu.explain(&answer.request_id).await.unwrap();
    let text = e.to_string();
    assert!(!text.contains("the-session-token"), "{text}");
    assert!(!text.contains("the-key") && !text.contains("wrong-key"));
    assert!(
        e["detail"]["string_to_sign"]
            .as_str()
            .unwrap()
            .contains("Token=<redacted>"),
        "{e}"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_fault_and_each_stage_are_named() {
    let (emu, c) = start().await;
    let id = emu
        .inject(FaultSpec {
            code: "FailedOperation.ServerError".into(),
            action: Some("GetGroupList".into()),
            count: Some(1),
            ..FaultSpec::default()
        })
        .await
        .unwrap();
    let faulted = call(&c, "GetGroupList", json!({})).await;
    assert_eq!(code(&faulted), "FailedOperation.ServerError");
    let e = emu.explain(&faulted.request_id).await.unwrap();
    assert_eq!(e["stage"], "fault", "{e}");
    assert_eq!(e["rule"], format!("fault {id}"));
    assert_eq!(e["detail"]["fault"]["id"], id);
    assert_eq!(e["detail"]["fault"]["spec"]["action"], "GetGroupList");
    assert_eq!(e["faults"], json!([id]));
    assert_eq!(e["account"], emu.credentials().secret_id.as_str());

    let cases = [
        (json!({}), "DeletePerson", "params"),
        (json!({"PersonId": "a b"}), "DeletePerson", "rule"),
        (json!({"PersonId": "nobody"}), "DeletePerson", "state"),
        (
            json!({"GroupId": "g", "GroupName": "G"}),
            "CreateGroup",
            "success",
        ),
    ];
    for (params, action, stage) in cases {
        let answer = call(&c, action, params.clone()).await;
        let e = emu.explain(&answer.request_id).await.unwrap();
        assert_eq!(e["stage"], stage, "{action} {params}: {e}");
        assert_eq!(
            e["code"].as_str(),
            Some(code(&answer)).filter(|c| !c.is_empty())
        );
    }
    emu.for_secret_id(&emu.credentials().secret_id)
        .set_status("arrears")
        .await
        .unwrap();
    let arrears = call(&c, "GetGroupList", json!({})).await;
    let e = emu.explain(&arrears.request_id).await.unwrap();
    assert_eq!(
        (e["stage"].as_str(), e["rule"].as_str()),
        (Some("account"), Some("account status arrears"))
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn an_unknown_request_id_is_a_404_in_json() {
    let (emu, _c) = start().await;
    let (status, body) = get(&format!(
        "{}/__emulator/explain/00000000-0000-4000-8000-000000000000",
        emu.url()
    ))
    .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"].as_str().unwrap().contains("RequestId"));
    assert!(emu.explain("nope").await.is_err());
    emu.shutdown().await;
}

#[tokio::test]
async fn a_quirk_that_rewrites_the_answer_is_explained_under_its_rewritten_id() {
    let (emu, c) = start_with(Config {
        quirks: vec![
            Quirk::RequestIdBareHex,
            Quirk::UndocumentedMissingPersonCode,
        ],
        ..Config::default()
    })
    .await;
    let x = c
        .call(
            "DeletePerson",
            &obj(json!({"PersonId": "nobody"})),
            &CallOptions::new(Style::Tc3PostJson, now()),
        )
        .await
        .unwrap();
    let answer: Value = serde_json::from_slice(&x.body).unwrap();
    let id = answer["Response"]["RequestId"].as_str().unwrap();
    assert!(!id.contains('-'));
    let e = emu.explain(id).await.unwrap();
    assert_eq!(e["stage"], "quirk", "{e}");
    assert_eq!(e["code"], "ResourceNotFound.PersonNotFound");
    assert_eq!(
        e["detail"]["code_before_quirk"],
        "InvalidParameterValue.PersonIdNotExist"
    );
    emu.shutdown().await;
}

#[tokio::test]
async fn a_transport_refusal_is_explained() {
    let (emu, _c) = start().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let query = "x".repeat(40 * 1024);
    let r = http
        .get(format!("{}/?{query}", emu.url()))
        .send()
        .await
        .unwrap();
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        answer["Response"]["Error"]["Code"],
        "RequestSizeLimitExceeded"
    );
    let id = answer["Response"]["RequestId"].as_str().unwrap();
    let e = emu.explain(id).await.unwrap();
    assert_eq!(e["stage"], "transport", "{e}");
    emu.shutdown().await;
}
