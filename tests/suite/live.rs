//! The whole live path against `iai-conformance serve` standing in for the
//! cloud (`--target live` with `IAI_ENDPOINT` at serve): the policy refuses
//! writes to IDs the run did not create, a killed run leaves nothing after
//! `sweep`, the secret key and token never leak, and pacing holds under an
//! emulator that answers `RequestLimitExceeded`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use iai_conformance::sign::Credentials;
use iai_conformance::{CallOptions, Client, Style, now};
use serde_json::{Value, json};

use crate::common::{self, bin, text};

const SECRET_ID: &str = "AKIDliveSuiteFakeId0123456789abcdef";
const SECRET_KEY: &str = "FAKE-SECRET-KEY-9f3b7c1d2e4a6b8c0d1e2f3a";
const TOKEN: &str = "FAKE-SESSION-TOKEN-5e6f7a8b9c0d1e2f3a4b";
/// A 1x1 PNG: the emulator counts any decodable image as one face.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start(extra: &[&str]) -> Self {
        let credential = format!("{SECRET_ID}:{SECRET_KEY}:{TOKEN}");
        let mut child = Command::new(bin())
            .args(["serve", "--credential", &credential])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve starts");
        let (_, url) = common::startup_line(&mut child);
        Self { child, url }
    }

    fn client(&self) -> Client {
        Client::new(
            &self.url,
            Credentials::new(SECRET_ID, SECRET_KEY).with_token(TOKEN),
            None,
        )
        .unwrap()
    }

    /// A signed call straight to serve, outside any policy (the "existing
    /// account" a run finds).
    async fn call(&self, action: &str, params: Value) -> Value {
        let Value::Object(params) = params else {
            panic!()
        };
        let x = self
            .client()
            .call(
                action,
                &params,
                &CallOptions::new(Style::Tc3PostJson, now()),
            )
            .await
            .unwrap();
        serde_json::from_slice(&x.body).unwrap()
    }

    /// A group `shared-fixtures` holding the document's person 3001 and a
    /// `ct-keep` person that only looks like a run's.
    async fn seed_fixtures(&self) {
        let ok = |v: Value| assert!(v["Response"]["Error"].is_null(), "{v}");
        ok(self
            .call(
                "CreateGroup",
                json!({ "GroupId": "shared-fixtures", "GroupName": "shared" }),
            )
            .await);
        for id in ["3001", "ct-keep"] {
            ok(self
                .call(
                    "CreatePerson",
                    json!({ "GroupId": "shared-fixtures", "PersonId": id, "PersonName": "Fixture", "Image": PNG }),
                )
                .await);
        }
    }

    async fn state(&self) -> Value {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .unwrap()
            .get(format!("{}/__emulator/state", self.url))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Every group and person ID in serve's state.
    async fn ids(&self) -> Vec<String> {
        let state = self.state().await;
        let mut ids = Vec::new();
        for (list, key) in [("groups", "GroupId"), ("persons", "PersonId")] {
            for item in state[list].as_array().unwrap() {
                ids.push(item[key].as_str().unwrap().to_string());
            }
        }
        ids
    }

    /// `iai-conformance ARGS` with the live environment pointing at serve.
    fn command(&self, args: &[&str], ledger: &Path) -> Command {
        let mut cmd = Command::new(bin());
        cmd.args(args)
            .env_remove("IAI_TARGET")
            .env_remove("IAI_ALLOW_MUTATIONS")
            .env_remove("IAI_FACE_IMAGE")
            .env_remove("TENCENTCLOUD_REGION")
            .env_remove("CI")
            .env("IAI_ENDPOINT", &self.url)
            .env("IAI_LEDGER_DIR", ledger)
            .env("TENCENTCLOUD_SECRET_ID", SECRET_ID)
            .env("TENCENTCLOUD_SECRET_KEY", SECRET_KEY)
            .env("TENCENTCLOUD_SESSION_TOKEN", TOKEN);
        cmd
    }

    fn run(&self, args: &[&str], ledger: &Path) -> Output {
        self.command(args, ledger)
            .output()
            .expect("the command runs")
    }
}

/// A fresh scratch folder under the target dir.
fn scratch(name: &str) -> PathBuf {
    common::scratch(&format!("live-{name}"))
}

fn face_image(dir: &Path) -> PathBuf {
    use base64::Engine as _;
    let path = dir.join("face.png");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(PNG)
        .unwrap();
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Case files a careless author could write: each tries to delete or
/// change the shared person 3001.
const WRONG_CASES: &[(&str, &str)] = &[
    (
        "deletes_a_fixed_id.toml",
        r#"
description = "deletes the document's fixed PersonId as it stands"
source = { kind = "finding", ref = "Schemathesis#3972" }
[[step]]
action = "DeletePerson"
params = { PersonId = "3001" }
expect = { success = true }
"#,
    ),
    (
        "tampers_the_id_after_signing.toml",
        r#"
description = "a run-scoped ID, replaced by a fixed one after signing and signed again"
source = { kind = "finding", ref = "Schemathesis#3972" }
[[step]]
action = "DeletePerson"
params = { PersonId = "{{run}}-3001" }
tamper = { set_param = { PersonId = "3001" }, resign = true }
expect = { success = true }
"#,
    ),
    (
        "reads_then_swaps_the_action.toml",
        r#"
description = "a read whose action header becomes DeletePerson after signing"
source = { kind = "finding", ref = "Schemathesis#3972" }
[[step]]
action = "GetPersonBaseInfo"
params = { PersonId = "3001" }
tamper = { set_header = { X-TC-Action = "DeletePerson" }, resign = true }
expect = { success = true }
"#,
    ),
    (
        "removes_from_a_shared_group.toml",
        r#"
description = "removes the fixed person from the shared group"
source = { kind = "finding", ref = "Schemathesis#3972" }
[[step]]
action = "DeletePersonFromGroup"
params = { PersonId = "3001", GroupId = "shared-fixtures" }
expect = { success = true }
"#,
    ),
    (
        "deletes_the_shared_group.toml",
        r#"
description = "deletes the shared group, and every person only in it"
source = { kind = "finding", ref = "Schemathesis#3972" }
[[step]]
action = "DeleteGroup"
params = { GroupId = "shared-fixtures" }
expect = { success = true }
"#,
    ),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_that_deletes_a_person_the_run_did_not_create_is_refused() {
    let served = Served::start(&[]);
    served.seed_fixtures().await;
    let dir = scratch("refuse");
    let cases = dir.join("cases");
    std::fs::create_dir_all(&cases).unwrap();
    for (name, text) in WRONG_CASES {
        std::fs::write(cases.join(name), text).unwrap();
    }
    let report = dir.join("report.json");
    let out = served.run(
        &[
            "run",
            "--target",
            "live",
            "--allow-mutations",
            "--cases",
            cases.to_str().unwrap(),
            "--format",
            "json",
            "--out",
            report.to_str().unwrap(),
        ],
        &dir,
    );
    let ids = served.ids().await;
    for kept in ["shared-fixtures", "3001", "ct-keep"] {
        assert!(ids.iter().any(|i| i == kept), "{kept} is gone: {ids:?}");
    }
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let results = report["cases"].as_array().unwrap();
    assert_eq!(results.len(), WRONG_CASES.len());
    for r in results {
        assert_eq!(r["status"], "failed", "{r}");
        let mismatch = &r["mismatches"][0];
        assert!(
            mismatch["field"].as_str().unwrap().ends_with("live policy"),
            "{r}"
        );
        assert!(
            r["request_ids"].as_array().unwrap().is_empty(),
            "nothing was sent: {r}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_consent_creating_cases_are_skipped_and_negative_ones_run() {
    let served = Served::start(&[]);
    let dir = scratch("consent");
    let report = dir.join("report.json");
    let out = served.run(
        &[
            "run",
            "--target",
            "live",
            "--filter",
            "doc_example",
            "--format",
            "json",
            "--out",
            report.to_str().unwrap(),
        ],
        &dir,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["target"], "live");
    let status = |name: &str| {
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    let one = status("delete_person::doc_example_1");
    assert_eq!(one["status"], "skipped");
    assert!(
        one["reason"]
            .as_str()
            .unwrap()
            .contains("--allow-mutations"),
        "{one}"
    );
    assert_eq!(status("delete_person::doc_example_2")["status"], "passed");
    assert!(served.ids().await.is_empty(), "nothing created");

    // With consent but no face image: the cases that create a person say why.
    let out = served.run(
        &[
            "run",
            "--target",
            "live",
            "--allow-mutations",
            "--filter",
            "doc_example_1",
            "--format",
            "json",
        ],
        &dir,
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("--face-image"), "{}", text(&out));

    // Without credentials: one line, nothing run.
    let out = served
        .command(&["run", "--target", "live"], &dir)
        .env_remove("TENCENTCLOUD_SECRET_ID")
        .env_remove("TENCENTCLOUD_SECRET_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("skipped, no credentials"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_killed_midway_leaves_nothing_behind_after_sweep() {
    let served = Served::start(&[]);
    served.seed_fixtures().await;
    let dir = scratch("kill");
    let face = face_image(&dir);
    let mut child = served
        .command(
            &[
                "run",
                "--target",
                "live",
                "--allow-mutations",
                "--face-image",
                face.to_str().unwrap(),
                "--filter",
                "lifecycle",
                "--rate",
                "4",
            ],
            &dir,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let ours = |ids: &[String]| {
        ids.iter()
            .filter(|i| i.starts_with("ct-") && *i != "ct-keep")
            .count()
    };
    loop {
        if ours(&served.ids().await) >= 2 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run created nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    child.wait().unwrap();
    assert!(ours(&served.ids().await) >= 2, "the kill left leftovers");
    let ledger = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with("ledger-"))
        .expect("the ledger survives the kill");
    assert!(
        std::fs::read_to_string(ledger.path())
            .unwrap()
            .contains("ct-")
    );

    // Too young for a 30-minute limit, and a dry run deletes nothing.
    let before = served.ids().await;
    for args in [
        &["sweep", "--older-than", "30m"][..],
        &["sweep", "--older-than", "0s", "--dry-run"][..],
    ] {
        let out = served.run(args, &dir);
        assert!(out.status.success(), "{}", text(&out));
        assert_eq!(served.ids().await, before, "{args:?} deleted something");
    }

    let out = served.run(&["sweep", "--older-than", "0s"], &dir);
    assert!(out.status.success(), "{}", text(&out));
    let ids = served.ids().await;
    assert_eq!(ours(&ids), 0, "leftovers: {ids:?}\n{}", text(&out));
    for kept in ["shared-fixtures", "3001", "ct-keep"] {
        assert!(ids.iter().any(|i| i == kept), "{kept} is gone: {ids:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_midway_deletes_what_the_run_created() {
    let served = Served::start(&[]);
    served.seed_fixtures().await;
    let dir = scratch("term");
    let face = face_image(&dir);
    let child = served
        .command(
            &[
                "run",
                "--target",
                "live",
                "--allow-mutations",
                "--face-image",
                face.to_str().unwrap(),
                "--filter",
                "lifecycle",
                "--rate",
                "4",
            ],
            &dir,
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !served
        .ids()
        .await
        .iter()
        .any(|i| i.starts_with("ct-") && i != "ct-keep")
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run created nothing"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{}", text(&out));
    let ids = served.ids().await;
    assert_eq!(
        ids.iter()
            .filter(|i| i.starts_with("ct-") && *i != "ct-keep")
            .count(),
        0,
        "left behind: {ids:?}\n{}",
        text(&out)
    );
    assert!(ids.iter().any(|i| i == "3001"), "{ids:?}");
}

/// Every file below `dir`, with its contents.
fn files(dir: &Path, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            files(&path, out);
        } else if let Ok(bytes) = std::fs::read(&path) {
            out.push((path, bytes));
        }
    }
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_secret_key_and_token_never_appear_in_anything_written() {
    let served = Served::start(&[]);
    let dir = scratch("secrets");
    let face = face_image(&dir);
    // The real delete_person cases (every signing style, wrong keys, bogus
    // tokens) plus one that fails.
    let cases = dir.join("cases");
    std::fs::create_dir_all(cases.join("delete_person")).unwrap();
    let crate_cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("cases/delete_person");
    for entry in std::fs::read_dir(crate_cases)
        .unwrap()
        .filter_map(Result::ok)
    {
        std::fs::copy(
            entry.path(),
            cases.join("delete_person").join(entry.file_name()),
        )
        .unwrap();
    }
    std::fs::write(
        cases.join("delete_person/fails_on_purpose.toml"),
        r#"
description = "expects success from a person nobody created"
source = { kind = "finding", ref = "secret-leak test" }
[[step]]
action = "GetPersonBaseInfo"
params = { PersonId = "{{run}}-nobody" }
expect = { success = true }
"#,
    )
    .unwrap();
    let recording = dir.join("recording");
    let report = dir.join("report.json");
    let live = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--target",
            "live",
            "--allow-mutations",
            "--face-image",
            face.to_str().unwrap(),
            "--cases",
            cases.to_str().unwrap(),
            "--rate",
            "500",
        ];
        args.extend_from_slice(extra);
        served.run(&args, &dir)
    };
    let json_run = live(&[
        "--record",
        recording.to_str().unwrap(),
        "--format",
        "json",
        "--out",
        report.to_str().unwrap(),
    ]);
    assert_eq!(json_run.status.code(), Some(1), "{}", text(&json_run));
    // --verbose: every case's line, so the scan covers the most output
    let human_run = live(&["--verbose"]);
    let replay_run = live(&["--replay", recording.to_str().unwrap(), "--verbose"]);
    assert_eq!(replay_run.status.code(), Some(1), "{}", text(&replay_run));
    let replayed = String::from_utf8_lossy(&replay_run.stdout);
    assert!(
        replayed.contains("fails_on_purpose") && replayed.contains("doc_example_1"),
        "{replayed}"
    );

    let mut written = Vec::new();
    files(&dir, &mut written);
    files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("snapshots"),
        &mut written,
    );
    for (i, out) in [&json_run, &human_run, &replay_run].iter().enumerate() {
        written.push((PathBuf::from(format!("run {i} stdout")), out.stdout.clone()));
        written.push((PathBuf::from(format!("run {i} stderr")), out.stderr.clone()));
    }
    let recorded = written
        .iter()
        .filter(|(p, _)| p.starts_with(&recording))
        .count();
    assert!(recorded > 50, "the recording holds every case: {recorded}");
    for (path, bytes) in &written {
        for secret in [SECRET_KEY, TOKEN] {
            assert!(
                !contains(bytes, secret),
                "{} holds {secret}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_absorbs_request_limit_exceeded() {
    // serve admits 3 requests a second; the run asks for 30.
    let served = Served::start(&["--rate-limit", "3/s"]);
    let dir = scratch("rate");
    let face = face_image(&dir);
    let out = served.run(
        &[
            "run",
            "--target",
            "live",
            "--allow-mutations",
            "--face-image",
            face.to_str().unwrap(),
            "--filter",
            "lifecycle",
            "--rate",
            "30",
        ],
        &dir,
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("3 passed"), "{stdout}");
    assert!(served.ids().await.is_empty(), "cleanup under the limit too");
}

#[test]
fn clock_boundary_cases_pass_at_the_default_rate_because_each_request_is_signed_as_it_leaves() {
    // The README's live run: default --rate 5, concurrency 64. The boundary
    // cases wait in the pacer for seconds; signed at enqueue time, a 302 s
    // skew would arrive as 300 s and be accepted, a 299 s one as 301 s.
    let served = Served::start(&[]);
    let dir = scratch("boundary");
    for filter in ["_299s", "_30"] {
        let out = served.run(&["run", "--target", "live", "--filter", filter], &dir);
        assert!(out.status.success(), "{filter}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(" passed") && !stdout.contains("0 passed"),
            "{filter}: {stdout}"
        );
    }
}
