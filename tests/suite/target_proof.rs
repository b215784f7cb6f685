//! A URL is live unless it proves it is our emulator. A cloud-like server
//! (HTTP 200 and an error envelope on every path, as Tencent's front door
//! answers) given as `--target URL` runs under the live policy and is sent
//! nothing that policy forbids; `serve` proves itself with the challenge;
//! a target that does not answer at all ends the run at once.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde_json::{Map, Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::common::{self, bin, text};

const SECRET_ID: &str = "AKIDproofSuiteFakeId0123456789abcdef";
const SECRET_KEY: &str = "FAKE-PROOF-KEY-0a1b2c3d4e5f6a7b8c9d0e1f";

fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("proof-{name}"))
}

fn run(target: &str, extra: &[&str], dir: &std::path::Path) -> Output {
    Command::new(bin())
        .args(["run", "--target", target])
        .args(extra)
        .env_remove("IAI_TARGET")
        .env_remove("IAI_ENDPOINT")
        .env_remove("IAI_ALLOW_MUTATIONS")
        .env_remove("IAI_FACE_IMAGE")
        .env_remove("TENCENTCLOUD_SESSION_TOKEN")
        .env_remove("TENCENTCLOUD_REGION")
        .env_remove("CI")
        .env("IAI_LEDGER_DIR", dir)
        .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
        .env("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
        .output()
        .expect("the command runs")
}

/// The action and parameters of an API request, however it was encoded
/// (TC3 JSON body, GET query, v1 form body).
fn call_of(request: &Request) -> (String, Map<String, Value>) {
    let mut params = Map::new();
    if let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&request.body) {
        params = body;
    } else {
        for (k, v) in form_urlencoded::parse(&request.body) {
            params.insert(k.into_owned(), Value::String(v.into_owned()));
        }
    }
    for (k, v) in request.url.query_pairs() {
        params.insert(k.into_owned(), Value::String(v.into_owned()));
    }
    let action = request
        .headers
        .get("x-tc-action")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| {
            params
                .get("Action")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_default();
    (action, params)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cloud_like_url_runs_under_the_live_policy_and_is_sent_nothing_it_forbids() {
    let cloud = MockServer::start().await;
    // It even answers the challenge path with 200 and a plausible proof.
    Mock::given(method("GET"))
        .and(path("/__emulator/challenge"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "proof": "ab".repeat(32) })))
        .mount(&cloud)
        .await;
    Mock::given(any())
        .respond_with(move |_: &Request| {
            ResponseTemplate::new(200).set_body_json(json!({ "Response": {
                "Error": { "Code": "AuthFailure.SignatureFailure", "Message": "signature mismatch" },
                "RequestId": uuid::Uuid::new_v4().to_string(),
            }}))
        })
        .mount(&cloud)
        .await;
    let dir = scratch("cloud");
    let report = dir.join("report.json");
    let out = run(
        &cloud.uri(),
        &[
            "--rate",
            "1000",
            "--format",
            "json",
            "--out",
            report.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(report["target"], "live", "{report:#}");

    let stderr = String::from_utf8_lossy(&out.stderr);
    let prefix = stderr
        .split_whitespace()
        .find(|w| w.starts_with("ct-") && w.ends_with("-;"))
        .map(|w| w.trim_end_matches(';').to_string())
        .unwrap_or_else(|| panic!("the run names its prefix: {}", text(&out)));

    let received = cloud.received_requests().await.unwrap();
    assert!(!received.is_empty());
    let mut control = Vec::new();
    for request in &received {
        if request.url.path().starts_with("/__emulator/") {
            control.push(format!("{} {}", request.method, request.url.path()));
            continue;
        }
        let (action, params) = call_of(request);
        assert!(
            !action.starts_with("Create") && action != "CopyPerson",
            "{action} was sent without --allow-mutations: {params:?}"
        );
        let reads = ["Get", "Search", "Verify", "Detect", "Compare", "Analyze"];
        if reads.iter().any(|r| action.starts_with(r)) {
            continue;
        }
        for key in [
            "PersonId",
            "GroupId",
            "GroupIds",
            "FaceIds",
            "SrcGroupIds",
            "DstGroupIds",
        ] {
            let Some(value) = params.get(key) else {
                continue;
            };
            let ids: Vec<&Value> = match value {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for id in ids {
                let id = id.as_str().unwrap_or_else(|| {
                    panic!("{action} sent {key} = {id} (not a string) to a live target")
                });
                assert!(
                    id.is_empty() || id.starts_with(&prefix),
                    "{action} sent {key} = {id:?}: not an ID the run created ({prefix})"
                );
            }
        }
    }
    assert_eq!(
        control,
        ["GET /__emulator/challenge"],
        "the only control request is the one challenge"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_proves_itself_with_the_run_s_key_and_only_with_it() {
    let credential = format!("{SECRET_ID}:{SECRET_KEY}");
    let mut child = Command::new(bin())
        .args(["serve", "--credential", &credential])
        .args(["--credential", "AKIDsomeoneElse0000:another-key"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve starts");
    let (_, url) = common::startup_line(&mut child);
    let dir = scratch("serve");
    let report = dir.join("report.json");
    let args = [
        "--filter",
        "delete_person::doc_example",
        "--format",
        "json",
        "--out",
        report.to_str().unwrap(),
    ];
    let out = run(&url, &args, &dir);
    let kind = |out: &Output| {
        let report: Value = serde_json::from_slice(&std::fs::read(&report).unwrap())
            .unwrap_or_else(|e| panic!("{e}: {}", text(out)));
        report["target"].as_str().unwrap().to_string()
    };
    assert_eq!(kind(&out), "serve", "{}", text(&out));

    // The same server, a key it does not hold: no proof, so live.
    let out = Command::new(bin())
        .args(["run", "--target", &url])
        .args(args)
        .env_remove("IAI_TARGET")
        .env_remove("CI")
        .env("IAI_LEDGER_DIR", &dir)
        .env("TENCENTCLOUD_SECRET_ID", "AKIDunknownToServe000")
        .env("TENCENTCLOUD_SECRET_KEY", "not-a-key-serve-holds")
        .output()
        .unwrap();
    assert_eq!(kind(&out), "live", "{}", text(&out));
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn a_target_that_does_not_answer_ends_the_run_at_once() {
    let dir = scratch("refused");
    // Port 1 on loopback: nothing listens there.
    let out = run("http://127.0.0.1:1", &[], &dir);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("connection refused"), "{}", text(&out));
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains("FAILED"),
        "no case ran: {}",
        text(&out)
    );
}
